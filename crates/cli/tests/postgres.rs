//! `veedor --data postgres://... --blobs s3://...`: the same commands on a throwaway PostgreSQL
//! server with the scans in a throwaway S3 server (SeaweedFS; the log's key in `VEEDOR_FILES`)
//! give the same tally, lookup and open data as on a data folder, and the exported mirror
//! verifies.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pg_server::Server;
use crate::s3_server::S3Server;
use crate::support::{Data, Run, head_of_real_file};

/// A PostgreSQL location: the server's URL, a local folder for the key (and the scans, unless
/// they are in object storage: `blobs`, with the S3 server's environment).
struct PgData {
    url: String,
    files: tempfile::TempDir,
    blobs: Option<(String, Vec<(&'static str, String)>)>,
}

impl PgData {
    /// `veedor --data URL [--blobs ...] ARGS` with the location's environment, its key and
    /// local scans in `files`.
    fn command(&self, files: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_veedor"));
        command
            .arg("--data")
            .arg(&self.url)
            .args(
                self.blobs
                    .iter()
                    .flat_map(|(at, _)| ["--blobs", at.as_str()]),
            )
            .args(args)
            .envs(
                self.blobs
                    .iter()
                    .flat_map(|(_, environment)| environment.clone()),
            )
            .env("VEEDOR_FILES", files)
            .env_remove("VEEDOR_DATA")
            .env_remove("VEEDOR_BLOBS")
            .env_remove("VEEDOR_LOG_KEY");
        command
    }

    /// `init` of the 2024 election and the first `rows` rows of the real result file imported as
    /// defining the tables; the work folder that holds the file.
    fn init_with_results(&self, rows: usize) -> tempfile::TempDir {
        let work = tempfile::tempdir().unwrap();
        let results = work.path().join("results.csv");
        std::fs::write(&results, head_of_real_file(rows)).unwrap();
        self.run(&["init", "--election", "ve-2024-presidential"])
            .expect_code(0);
        self.run(&[
            "import",
            "results",
            "--defines-tables",
            results.to_str().unwrap(),
        ])
        .expect_code(0);
        work
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::from(
            self.command(self.files.path(), args)
                .output()
                .expect("running veedor"),
        )
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
fn every_step_on_postgresql_and_s3_gives_what_it_gives_on_a_data_folder() {
    let server = Server::start(false).unwrap_or_else(|error| panic!("{error}"));
    let s3 = S3Server::start().unwrap_or_else(|error| panic!("{error}"));
    let pg = PgData {
        url: veedor_store_postgres::fresh_schema(server.url()).unwrap(),
        files: tempfile::tempdir().unwrap(),
        blobs: Some((s3.location("ve-2024/scans"), s3.environment())),
    };
    let pg_work = tempfile::tempdir().unwrap();
    let on_postgres = journey(&|args| pg.run(args), pg_work.path());
    // The key is in the local folder, the rows in the database, the scans in the bucket: every
    // sheet ingested is there under its SHA-256, and none on the local disk.
    let files: PathBuf = pg.files.path().to_owned();
    assert!(files.join("keys/log.key").is_file());
    assert!(!files.join("blobs").exists());
    let settings = s3.settings();
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let bucket =
        veedor_blobs_s3::S3BlobStore::open_with(&s3.location("ve-2024/scans"), &settings).unwrap();
    let sheets: Vec<PathBuf> = std::fs::read_dir(pg_work.path().join("sheets"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(sheets.len(), 3);
    for sheet in &sheets {
        let bytes = std::fs::read(sheet).unwrap();
        let hash = veedor_core::Sha256::from_bytes(veedor_scan::sha256(&bytes));
        use veedor_store::BlobStore as _;
        assert_eq!(
            bucket.get(&hash).unwrap(),
            Some(bytes),
            "{}",
            sheet.display()
        );
    }

    let data = Data::empty();
    let on_folder = journey(&|args| data.run(args), data.path());
    assert_eq!(on_postgres.0, on_folder.0, "tally");
    assert_eq!(on_postgres.1, on_folder.1, "lookup");
    assert_eq!(on_postgres.2, on_folder.2, "actas.csv");
}

/// Counts in the database: (scan sources, distinct scan digests, copies, log entries).
fn stored(url: &str) -> (i64, i64, i64, i64) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM sources WHERE kind = 'scan'),
                    (SELECT count(DISTINCT sha256) FROM sources WHERE kind = 'scan'),
                    (SELECT count(*) FROM copies),
                    (SELECT count(*) FROM log_entries)",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

/// The database is killed in the middle of an ingest: the run fails, nothing half-stored
/// remains, and once the server is back, the same ingest again stores every file exactly once
/// (a copy and a log entry each), the files stored before the crash skipped.
#[test]
fn an_ingest_cut_by_a_database_crash_is_finished_by_running_it_again() {
    let mut server =
        crate::pg_server::LocalServer::start(false).unwrap_or_else(|error| panic!("{error}"));
    let url = server.url().to_owned();
    let pg = PgData {
        url: url.clone(),
        files: tempfile::tempdir().unwrap(),
        blobs: None,
    };
    let work = pg.init_with_results(400);
    let (_, _, copies_before, log_before) = stored(&url);
    let sheets = work.path().join("sheets");
    let count = 40;
    pg.run(&[
        "generate",
        "sheets",
        "--count",
        &count.to_string(),
        "-o",
        sheets.to_str().unwrap(),
    ])
    .expect_code(0);

    let ingest = |pg: &PgData| {
        pg.command(pg.files.path(), &["ingest", sheets.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("running veedor ingest")
    };
    let running = ingest(&pg);
    // Crash the server once the ingest has stored a few files, long before it is done.
    let started = std::time::Instant::now();
    loop {
        let (scans, ..) = stored(&url);
        if scans >= 3 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the ingest stored nothing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server.crash().unwrap();
    let cut = Run::from(running.wait_with_output().unwrap());
    assert_ne!(
        cut.code, 0,
        "the ingest did not notice the crash:\n{}",
        cut.stdout
    );
    server.restart().unwrap();
    let (scans, distinct, copies, log) = stored(&url);
    assert!(
        scans < count,
        "the crash came after the whole ingest ({scans} files): nothing was cut"
    );
    // What the crash left is whole: each scan stored has its copy and its log entry.
    assert_eq!(scans, distinct);
    assert_eq!(copies - copies_before, scans);
    assert_eq!(log - log_before, scans);

    let again = Run::from(ingest(&pg).wait_with_output().unwrap()).expect_code(0);
    let (scans, distinct, copies, log) = stored(&url);
    assert_eq!((scans, distinct), (count, count), "{}", again.stdout);
    assert_eq!(copies - copies_before, count);
    assert_eq!(log - log_before, count);
    // And a third run stores nothing more.
    pg.run(&["ingest", sheets.to_str().unwrap()]).expect_code(0);
    assert_eq!(stored(&url), (count, count, copies, log));
}

/// `veedor serve --volunteers` on a location, killed when dropped.
struct Served {
    child: std::process::Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PgData {
    /// `veedor serve --volunteers` with its key and scans folder in `files`, and `extra` flags.
    fn serve(&self, files: &Path, extra: &[&str]) -> Served {
        use std::io::BufRead as _;
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--volunteers"];
        args.extend_from_slice(extra);
        let mut child = self
            .command(files, &args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("running veedor serve");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("listening on ") {
                base = Some(rest.trim_end_matches('/').to_owned());
            }
            if line == "stop with Ctrl-C" {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Served {
            child,
            base: base.expect("veedor serve printed no address"),
        }
    }
}

const PASSPHRASE: &str = "correct horse battery staple";

/// A volunteer signed in on one server: the session cookie and CSRF token.
struct Session {
    base: String,
    cookie: String,
    csrf: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// POSTs `body` (of `content_type`); the status and the answer's text.
fn post(
    url: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: Vec<u8>,
) -> (u16, String, String) {
    let mut request = agent().post(url).header("content-type", content_type);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(&body[..]).unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .unwrap_or_default()
        .to_owned();
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap(),
        cookie,
    )
}

fn get(url: &str) -> (u16, Vec<u8>) {
    let mut response = agent().get(url).call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_vec().unwrap())
}

/// Sets the passphrase with the sign-in code on `activate_on`, then signs in on `base`.
fn sign_in(activate_on: &Served, base: &Served, name: &str, code: &str) -> Session {
    let json = |value: serde_json::Value| value.to_string().into_bytes();
    let (status, text, _) = post(
        &format!("{}/api/v1/volunteer/activate", activate_on.base),
        &[],
        "application/json",
        json(serde_json::json!({ "pseudonym": name, "code": code, "passphrase": PASSPHRASE })),
    );
    assert_eq!(status, 200, "{text}");
    let (status, text, cookie) = post(
        &format!("{}/api/v1/volunteer/session", base.base),
        &[],
        "application/json",
        json(serde_json::json!({ "pseudonym": name, "passphrase": PASSPHRASE })),
    );
    assert_eq!(status, 200, "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    Session {
        base: base.base.clone(),
        cookie,
        csrf: answer["csrf_token"].as_str().unwrap().to_owned(),
    }
}

impl Session {
    fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, String) {
        let (status, text, _) = post(
            &format!("{}{path}", self.base),
            &[("cookie", &self.cookie), ("x-csrf-token", &self.csrf)],
            "application/json",
            body.to_string().into_bytes(),
        );
        (status, text)
    }

    fn upload(&self, name: &str, file: &[u8]) -> (u16, String) {
        let boundary = "veedor-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n",
            self.csrf
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let (status, text, _) = post(
            &format!("{}/api/v1/volunteer/upload", self.base),
            &[("cookie", &self.cookie)],
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        );
        (status, text)
    }
}

/// The sign-in code `veedor user add` printed.
fn add_user(pg: &PgData, name: &str, role: &str) -> String {
    let run = pg
        .run(&["user", "add", name, "--role", role])
        .expect_code(0);
    run.stdout
        .lines()
        .find(|line| line.starts_with("  ") && line.matches('-').count() == 5)
        .unwrap_or_else(|| panic!("no code in {}", run.stdout))
        .trim()
        .to_owned()
}

/// Two `veedor serve` on one PostgreSQL database, the scans in one S3 bucket: a sheet uploaded
/// through one server is on the other's pages within its refresh (3 s, and the load); typists
/// on both servers asking for work at the same moment never get the same page; each checkpoint
/// size is signed once.
#[test]
fn two_servers_on_one_database_share_writes_and_never_hand_out_a_page_twice() {
    let server = Server::start(false).unwrap_or_else(|error| panic!("{error}"));
    let s3 = S3Server::start().unwrap_or_else(|error| panic!("{error}"));
    let pg = PgData {
        url: veedor_store_postgres::fresh_schema(server.url()).unwrap(),
        files: tempfile::tempdir().unwrap(),
        blobs: Some((s3.location("scans"), s3.environment())),
    };
    let work = pg.init_with_results(40);
    // Eight pages with no code to read: they wait for typists.
    let blanks = work.path().join("blanks");
    std::fs::create_dir_all(&blanks).unwrap();
    for shade in 0..8u8 {
        let blank = image::RgbImage::from_pixel(600, 800, image::Rgb([250 - shade, 250, 250]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(blank)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        std::fs::write(blanks.join(format!("blank-{shade}.png")), png).unwrap();
    }
    pg.run(&["ingest", blanks.to_str().unwrap()]).expect_code(0);
    let sheets = work.path().join("sheets");
    pg.run(&[
        "generate",
        "sheets",
        "--count",
        "1",
        "-o",
        sheets.to_str().unwrap(),
    ])
    .expect_code(0);
    let sheet = std::fs::read_dir(&sheets)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let typists: Vec<(String, String)> = (0..6)
        .map(|n| {
            let name = format!("typist-{n}");
            let code = add_user(&pg, &name, "typist");
            (name, code)
        })
        .collect();
    let uploader = add_user(&pg, "witness-1", "uploader");

    // The first server has the signing key; the second, as a web server should, has only the
    // public key, and publishes the log with it.
    let key = pg.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let keyless = tempfile::tempdir().unwrap();
    let one = pg.serve(pg.files.path(), &[]);
    let two = pg.serve(keyless.path(), &["--log-key", &key]);
    let (status, checkpoint) = get(&format!("{}/log/checkpoint", two.base));
    assert_eq!(status, 200);
    assert!(
        String::from_utf8(checkpoint)
            .unwrap()
            .contains(key.split('+').next().unwrap())
    );
    assert!(!keyless.path().join("keys").exists());
    // Half the typists work on each server (activated on the other: one database).
    let sessions: Vec<Session> = typists
        .iter()
        .enumerate()
        .map(|(n, (name, code))| {
            let (here, there) = if n % 2 == 0 {
                (&one, &two)
            } else {
                (&two, &one)
            };
            sign_in(there, here, name, code)
        })
        .collect();
    let barrier = std::sync::Barrier::new(sessions.len());
    let claimed: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = sessions
            .iter()
            .map(|session| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let (status, text) =
                        session.post_json("/api/v1/volunteer/tasks/next", serde_json::json!({}));
                    assert_eq!(status, 200, "{text}");
                    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
                    answer["claimed"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("nothing claimed: {text}"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let distinct: std::collections::BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        claimed.len(),
        "a page was handed out twice: {claimed:?}"
    );

    // Sessions are in the database: one opened through a server works through the other (no
    // sticky sessions), and signing out through one ends it on both.
    for (n, (session, page)) in sessions.iter().zip(&claimed).enumerate() {
        let elsewhere = Session {
            base: if n % 2 == 0 { &two } else { &one }.base.clone(),
            cookie: session.cookie.clone(),
            csrf: session.csrf.clone(),
        };
        let (status, text) =
            elsewhere.post_json("/api/v1/volunteer/tasks/next", serde_json::json!({}));
        assert_eq!(status, 200, "{text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            answer["claimed"], *page,
            "the claim held, seen from the other server"
        );
        if n == 0 {
            let (status, text) = elsewhere.post_json("/volunteer/sign-out", serde_json::json!({}));
            assert!(status == 200 || status == 303, "{status} {text}");
            let (status, _) =
                session.post_json("/api/v1/volunteer/tasks/next", serde_json::json!({}));
            assert_eq!(
                status, 401,
                "signed out through one server, still in on the other"
            );
        }
    }

    // A sheet uploaded through the first server shows on the second's pages.
    let witness = sign_in(&one, &one, "witness-1", &uploader);
    let (copies_before, _) = copies_on(&two);
    let (status, text) = witness.upload("acta.png", &std::fs::read(&sheet).unwrap());
    assert_eq!(status, 200, "{text}");
    let uploaded = std::time::Instant::now();
    loop {
        let (copies, _) = copies_on(&two);
        if copies > copies_before {
            break;
        }
        assert!(
            uploaded.elapsed() < std::time::Duration::from_secs(15),
            "the second server did not show the upload within 15 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Its scan is served by the second server from the bucket.
    let hash =
        veedor_core::Sha256::from_bytes(veedor_scan::sha256(&std::fs::read(&sheet).unwrap()));
    let (status, scan) = get(&format!("{}/scans/{}", two.base, hash.to_hex()));
    assert_eq!(status, 200);
    assert_eq!(scan, std::fs::read(&sheet).unwrap());

    // What both servers wrote is in one log that verifies.
    let export = work.path().join("export");
    pg.run(&["export", "data", export.to_str().unwrap()])
        .expect_code(0);
    pg.run(&["verify", export.to_str().unwrap(), "--key", &key])
        .expect_code(0);
}

/// The tables a server's national summary counts as corroborated (a scan agreeing with the
/// result file's copy makes one).
fn copies_on(served: &Served) -> (u64, serde_json::Value) {
    let (status, text) = get(&format!("{}/api/v1/area/national", served.base));
    let text = String::from_utf8(text).unwrap();
    assert_eq!(status, 200, "{text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let corroborated = value
        .pointer("/area/tables_by_status/corroborated")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_else(|| panic!("{text}"));
    (corroborated, value)
}
