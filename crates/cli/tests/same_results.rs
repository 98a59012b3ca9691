//! The real 2024 file, payloads and scans made from it, and copies that break every rule: the
//! open data they give (every copy with its findings, every table, every level's tally) is the
//! same, byte for byte, as before the acta's counts and rules came from the election file
//! (issue 13). The digests below were recorded by this test on the code before that change
//! (commit 4a67eb7), where every rule was written in core; the counts of each finding code are
//! asserted as well, so a mismatch says what changed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};
use veedor_sim::sheet::{
    FileFormat, Sheet, Ve2024Place, counts_from_candidate_totals, encode, render_clean,
    ve2024_payload,
};

use crate::support::{Data, real_results};

/// SHA-256 of the export's `data/*.csv`, each without its `received_at` column (the only
/// column that depends on when the test runs), in name order.
const EXPORT_DIGEST: &str = "92af70f43debb943ab99c7bf48814309a83d599c1dd0ad95d23db36ff34b3e9a";

/// How many copies carry each finding code.
const FINDINGS: [(&str, usize); 6] = [
    ("F101", 10),
    ("F102", 5),
    ("F103", 4),
    ("F105", 5),
    ("W201", 4),
    ("W202", 5),
];

/// A real row: its table's acta id stem and its per-candidate totals.
struct Row {
    centre: String,
    table: u32,
    totals: [u32; 10],
    null: u32,
}

fn real_rows(count: usize) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(real_results()).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .unwrap()
    };
    let candidates = [
        "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EG", "EM", "BERA",
    ]
    .map(column);
    let (centre, table, null) = (column("CENTRO"), column("MESA"), column("VOTOS_NULOS"));
    reader
        .records()
        .step_by(611)
        .take(count)
        .map(|record| {
            let record = record.unwrap();
            Row {
                centre: format!("{:0>9}", &record[centre]),
                table: record[table].parse().unwrap(),
                totals: candidates.map(|i| record[i].parse().unwrap()),
                null: record[null].parse().unwrap(),
            }
        })
        .collect()
}

/// A payload for each row, one in seven breaking one rule: votes beyond the registered (F102),
/// a missing count (refused by the codec, a rejected row: the import exits 3), an unknown table in a known state (F101), a state that does not
/// exist (F101, F105), no votes (W202); the rest as the file says (corroborating its rows).
fn payloads(rows: &[Row]) -> String {
    let mut text = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut cells = counts_from_candidate_totals(&row.totals);
        let mut centre = row.centre.clone();
        let mut table = row.table;
        match i % 7 {
            1 => cells[0] += 5_000,
            3 => table += 40,
            4 => centre.replace_range(..2, "99"),
            5 => cells = [0; 38],
            _ => {}
        }
        let mut payload = ve2024_payload(&format!("{centre}.{table:02}.1.0001"), &cells, row.null);
        if i % 7 == 2 {
            let (id, rest) = payload.split_once('!').unwrap();
            let (counts, tail) = rest.split_once('!').unwrap();
            let shorter: Vec<&str> = counts.split(',').skip(1).collect();
            payload = format!("{id}!{}!{tail}", shorter.join(","));
        }
        writeln!(text, "{payload}").unwrap();
    }
    text
}

/// A second result file, not defining tables, whose rows state other valid votes (F103) and
/// other registered voters (W201) than the first.
fn other_results(rows: usize) -> String {
    let text = std::fs::read_to_string(real_results()).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for (i, line) in lines.step_by(977).take(rows).enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        match i % 3 {
            0 => cells[9] = (cells[9].parse::<u64>().unwrap() + 1).to_string(),
            1 => cells[8] = (cells[8].parse::<u64>().unwrap() + 3).to_string(),
            _ => {}
        }
        writeln!(out, "{}", cells.join(",")).unwrap();
    }
    out
}

fn export_digest(folder: &std::path::Path) -> (String, BTreeMap<String, usize>) {
    let mut names: Vec<_> = std::fs::read_dir(folder.join("data"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".csv"))
        .collect();
    names.sort();
    let mut hasher = Sha256::new();
    let mut findings = BTreeMap::new();
    for name in names {
        let mut reader = csv::Reader::from_path(folder.join("data").join(&name)).unwrap();
        let headers = reader.headers().unwrap().clone();
        let skip = headers.iter().position(|h| h == "received_at");
        let findings_column = headers.iter().position(|h| h == "findings");
        hasher.update(name.as_bytes());
        let keep = |record: &csv::StringRecord| -> Vec<String> {
            record
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .map(|(_, cell)| cell.to_owned())
                .collect()
        };
        hasher.update(keep(&headers).join(",").as_bytes());
        for record in reader.records() {
            let record = record.unwrap();
            hasher.update(b"\n");
            hasher.update(keep(&record).join(",").as_bytes());
            if name == "actas.csv"
                && let Some(column) = findings_column
            {
                for code in record[column].split_whitespace() {
                    *findings.entry(code.to_owned()).or_insert(0) += 1;
                }
            }
        }
        hasher.update(b"\n\n");
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (digest, findings)
}

#[test]
fn the_real_file_payloads_and_scans_give_the_same_open_data_as_before() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let rows = real_rows(35);
    let payloads = data.file("payloads.txt", payloads(&rows));
    data.run(&["import", "payloads", &payloads]).expect_code(3);
    let other = data.file("other.csv", other_results(12));
    data.run(&["import", "results", &other]).expect_code(0);
    let scans = data.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    for (i, row) in rows.iter().take(2).enumerate() {
        let cells = counts_from_candidate_totals(&row.totals);
        let payload = ve2024_payload(
            &format!("{}.{:02}.1.0001", row.centre, row.table),
            &cells,
            row.null,
        );
        let sheet = Sheet::ve2024(&payload, &Ve2024Place::default()).unwrap();
        let image = render_clean(&sheet, 150, 7).unwrap();
        let bytes = encode(&[image.into()], FileFormat::Png).unwrap();
        // One scan per run: the scans of one run are read in parallel and stored as they are
        // read, so their log order would vary.
        let path = scans.join(format!("scan-{i}.png"));
        std::fs::write(&path, bytes).unwrap();
        data.run(&["ingest", path.to_str().unwrap()]).expect_code(0);
    }
    let export = data.path().join("export");
    data.run(&["export", "data", export.to_str().unwrap()])
        .expect_code(0);
    let (digest, findings) = export_digest(&export);
    let expected: BTreeMap<String, usize> = FINDINGS
        .iter()
        .map(|(code, n)| ((*code).to_owned(), *n))
        .collect();
    assert_eq!(findings, expected);
    assert_eq!(digest, EXPORT_DIGEST);
}
