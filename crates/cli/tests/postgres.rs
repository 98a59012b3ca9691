//! `veedor --data postgres://...`: the same commands on a throwaway PostgreSQL server (the scans
//! and the log's key in `VEEDOR_FILES`) give the same tally, lookup and open data as on a data
//! folder, and the exported mirror verifies.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pg_server::Server;
use crate::support::{Data, Run, head_of_real_file};

/// A PostgreSQL location: the server's URL and a local folder for scans and the key.
struct PgData {
    url: String,
    files: tempfile::TempDir,
}

impl PgData {
    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_veedor"))
            .arg("--data")
            .arg(&self.url)
            .args(args)
            .env("VEEDOR_FILES", self.files.path())
            .env_remove("VEEDOR_DATA")
            .output()
            .expect("running veedor");
        Run::from(output)
    }
}

/// The same steps on a location: results defining the tables, scanned sheets, a registry, a
/// lookup, the tally and the open data, then verify. Returns (tally, lookup, actas.csv without
/// the time each copy was received).
fn journey(run: &dyn Fn(&[&str]) -> Run, work: &Path) -> (String, String, String) {
    let results = work.join("results.csv");
    std::fs::write(&results, head_of_real_file(40)).unwrap();
    run(&["init", "--election", "ve-2024-presidential"]).expect_code(0);
    run(&[
        "import",
        "results",
        "--defines-tables",
        results.to_str().unwrap(),
    ])
    .expect_code(0);
    let sheets = work.join("sheets");
    run(&[
        "generate",
        "sheets",
        "--count",
        "3",
        "-o",
        sheets.to_str().unwrap(),
    ])
    .expect_code(0);
    // One file a run: a run stores its scans in the order they are read, on every core, so the
    // copies' ids and log entries follow that order; one at a time, both stores get the same.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&sheets)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3);
    for file in &files {
        let ingest = run(&["ingest", file.to_str().unwrap()]).expect_code(0);
        assert!(
            ingest.stdout.contains("ingested 1 files"),
            "{}",
            ingest.stdout
        );
    }
    let registry = work.join("registry.csv");
    run(&[
        "generate",
        "registry",
        "--seed",
        "7",
        "-o",
        registry.to_str().unwrap(),
    ])
    .expect_code(0);
    run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        registry.to_str().unwrap(),
    ])
    .expect_code(0);
    let voter = std::fs::read_to_string(&registry)
        .unwrap()
        .lines()
        .nth(1)
        .and_then(|line| line.split(',').next())
        .unwrap()
        .to_owned();
    let lookup = run(&["lookup", &voter, "--format", "json"])
        .expect_code(0)
        .stdout;
    let tally = run(&["tally", "--format", "json"]).expect_code(0).stdout;
    let key = run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let export = work.join("export");
    run(&["export", "data", export.to_str().unwrap()]).expect_code(0);
    run(&["verify", export.to_str().unwrap(), "--key", &key]).expect_code(0);
    let actas = std::fs::read_to_string(export.join("data/actas.csv")).unwrap();
    (
        tally,
        strip_received_at(&lookup),
        without_column(&actas, "received_at"),
    )
}

/// A CSV without one column.
fn without_column(csv: &str, name: &str) -> String {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let skip = headers.iter().position(|h| h == name).unwrap();
    let mut out = String::new();
    let keep = |record: &csv::StringRecord| {
        record
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != skip)
            .map(|(_, field)| field.to_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push_str(&keep(&headers));
    out.push('\n');
    for record in reader.records() {
        out.push_str(&keep(&record.unwrap()));
        out.push('\n');
    }
    out
}

/// The lookup's JSON without the times copies were received.
fn strip_received_at(json: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("received_at");
                map.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value.to_string()
}

#[test]
fn every_step_on_postgresql_gives_what_it_gives_on_a_data_folder() {
    let server = Server::start(false).unwrap_or_else(|error| panic!("{error}"));
    let pg = PgData {
        url: server.url().to_owned(),
        files: tempfile::tempdir().unwrap(),
    };
    let pg_work = tempfile::tempdir().unwrap();
    let on_postgres = journey(&|args| pg.run(args), pg_work.path());
    // The scans and the key are in the local folder, the rows in the database.
    let files: PathBuf = pg.files.path().to_owned();
    assert!(files.join("keys/log.key").is_file());
    assert!(
        std::fs::read_dir(files.join("blobs"))
            .unwrap()
            .next()
            .is_some()
    );

    let data = Data::empty();
    let on_folder = journey(&|args| data.run(args), data.path());
    assert_eq!(on_postgres.0, on_folder.0, "tally");
    assert_eq!(on_postgres.1, on_folder.1, "lookup");
    assert_eq!(on_postgres.2, on_folder.2, "actas.csv");
}
