//! `veedor verify DIR_OR_URL --key KEY [--since CHECKPOINT]`: checks a mirror made by
//! `veedor export` against the log's public key, obtained by the checker from somewhere other
//! than the mirror (a mirror's own copy of the key proves nothing):
//!
//! 1. the checkpoint's signature, and that it names the key's log;
//! 2. every hash tile against the checkpoint's root, every entry bundle against the tiles;
//! 3. every row of `data/actas.csv` against its log entry, including the vote columns derived
//!    from the counts through the ballot, which the log's first entry (the election) defines;
//!    and every log entry has its row;
//! 4. `data/tables.csv` and every `data/tally-*.csv` against the statuses and totals recomputed
//!    from the log's entries, and each `.json` twin against its CSV;
//! 5. every scan a logged copy names, against its SHA-256;
//! 6. with `--since`, an older checkpoint: signed by the same key and a prefix of this log, so a
//!    rewritten history is caught.
//!
//! It reports the first problems, each naming its file, and exits non-zero.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use veedor_core::{
    ActaCopy, CopyId, Dataset, Election, Finding, PollingTable, Results, SourceKind, TableId,
    TableKey,
};
use veedor_formats::LogEntry;
use veedor_formats::log_entry::parse_election_entry;
use veedor_ledger::{
    Checkpoint, MerkleLog, TilePath, VerifierKey, decode_entry_bundle, entry_bundle_paths,
    leaf_hash, verify_mirror,
};
use veedor_web::opendata::Cell;

use crate::exit;

/// At most this many problems are listed.
const MAX_PROBLEMS: usize = 25;

/// Where the mirror is.
enum Source {
    Folder(PathBuf),
    Web { base: String, agent: ureq::Agent },
}

impl Source {
    fn new(target: &str) -> Self {
        if target.starts_with("http://") || target.starts_with("https://") {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(60)))
                .http_status_as_error(false)
                .build()
                .into();
            Self::Web {
                base: format!("{}/", target.trim_end_matches('/')),
                agent,
            }
        } else {
            Self::Folder(PathBuf::from(target))
        }
    }

    /// A file's bytes, or `None` if it is not there.
    fn get(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Self::Folder(root) => match std::fs::read(root.join(path)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error).with_context(|| format!("reading {path}")),
            },
            Self::Web { base, agent } => {
                let url = format!("{base}{path}");
                let mut response = agent
                    .get(&url)
                    .call()
                    .with_context(|| format!("fetching {url}"))?;
                match response.status().as_u16() {
                    200 => Ok(Some(
                        response
                            .body_mut()
                            .with_config()
                            .limit(1 << 30)
                            .read_to_vec()
                            .with_context(|| format!("reading {url}"))?,
                    )),
                    404 | 410 => Ok(None),
                    status => anyhow::bail!("{url}: HTTP status {status}"),
                }
            }
        }
    }
}

/// The problems found, by file.
#[derive(Default)]
struct Problems {
    list: Vec<String>,
    total: usize,
}

impl Problems {
    fn add(&mut self, file: &str, message: impl std::fmt::Display) {
        self.total += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(format!("{file}: {message}"));
        }
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// A CSV data file, read into rows of named cells.
struct CsvFile {
    name: String,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl CsvFile {
    fn parse(name: &str, bytes: &[u8]) -> anyhow::Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(bytes);
        let header = reader
            .headers()
            .with_context(|| format!("{name}: header"))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.with_context(|| format!("{name}: not CSV"))?;
            let line = record.position().map_or(0, csv::Position::line);
            rows.push((line, record.iter().map(str::to_owned).collect()));
        }
        Ok(Self {
            name: name.to_owned(),
            header,
            rows,
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

fn cell<'a>(file: &CsvFile, row: &'a [String], column: &str) -> &'a str {
    file.column(column)
        .and_then(|i| row.get(i))
        .map_or("", String::as_str)
}

fn dash(value: &str) -> &str {
    if value == "-" { "" } else { value }
}

/// Compares a JSON twin with its CSV: same rows, same cells.
fn check_twin(csv: &CsvFile, json: &[u8], problems: &mut Problems) {
    let name = csv.name.replace(".csv", ".json");
    let Ok(serde_json::Value::Array(rows)) = serde_json::from_slice::<serde_json::Value>(json)
    else {
        problems.add(&name, "not a JSON array");
        return;
    };
    if rows.len() != csv.rows.len() {
        problems.add(
            &name,
            format!(
                "{} rows, but {} has {}",
                rows.len(),
                csv.name,
                csv.rows.len()
            ),
        );
        return;
    }
    for (index, (object, (line, row))) in rows.iter().zip(&csv.rows).enumerate() {
        for (column, value) in csv.header.iter().zip(row) {
            let json_value = match object.get(column) {
                Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(serde_json::Value::Number(number)) => match number.as_u64() {
                    Some(n) => n.to_string(),
                    None => format!("{:.4}", number.as_f64().unwrap_or(f64::NAN)),
                },
                Some(other) => other.to_string(),
                None => {
                    problems.add(&name, format!("row {}: no `{column}`", index + 1));
                    return;
                }
            };
            if json_value != *value {
                problems.add(
                    &name,
                    format!(
                        "row {}: `{column}` is `{json_value}`, but {} line {line} has `{value}`",
                        index + 1,
                        csv.name
                    ),
                );
                return;
            }
        }
    }
}

/// `veedor verify`.
pub fn run(target: &str, key: &str, since: Option<&str>) -> anyhow::Result<u8> {
    let key = VerifierKey::parse(key.trim())
        .context("--key: not a verifier key (`<name>+<hex id>+<base64 key>`)")?;
    let source = Source::new(target);
    let mut problems = Problems::default();
    let outcome = check(&source, &key, since, &mut problems)?;
    if problems.is_empty() {
        outln!("{target}: verified. {outcome}");
        return Ok(exit::OK);
    }
    eprintln!("{target}: {} problem(s) found:", problems.total);
    for problem in &problems.list {
        eprintln!("  {problem}");
    }
    if problems.total > problems.list.len() {
        eprintln!("  ... and {} more", problems.total - problems.list.len());
    }
    Ok(exit::ERROR)
}

fn check(
    source: &Source,
    key: &VerifierKey,
    since: Option<&str>,
    problems: &mut Problems,
) -> anyhow::Result<String> {
    // 1. The checkpoint.
    let Some(note) = source.get("log/checkpoint")? else {
        problems.add("log/checkpoint", "missing");
        return Ok(String::new());
    };
    let note = String::from_utf8_lossy(&note).into_owned();
    let checkpoint = match key.verify(&note) {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            problems.add(
                "log/checkpoint",
                format!("does not verify with the given key: {error}"),
            );
            return Ok(String::new());
        }
    };
    if checkpoint.origin != key.name() {
        problems.add(
            "log/checkpoint",
            format!(
                "is of the log `{}`, the key is of `{}`",
                checkpoint.origin,
                key.name()
            ),
        );
        return Ok(String::new());
    }

    // 2. Tiles and entry bundles against the root.
    let mut fetch_error = None;
    let report = verify_mirror(&checkpoint, |path: &TilePath| {
        match source.get(&format!("log/{path}")) {
            Ok(bytes) => bytes,
            Err(error) => {
                fetch_error.get_or_insert(error);
                None
            }
        }
    });
    if let Some(error) = fetch_error {
        return Err(error);
    }
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            problems.add("log/", error);
            return Ok(String::new());
        }
    };
    let mut entries: Vec<Vec<u8>> = Vec::new();
    for path in entry_bundle_paths(checkpoint.size) {
        let bytes = source.get(&format!("log/{path}"))?.unwrap_or_default();
        entries.extend(
            decode_entry_bundle(&path, &bytes)?
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }

    // The election, from the log's first entry.
    let election = match entries.first().map(|e| parse_election_entry(e)) {
        Some(Ok(definition)) => veedor_formats::parse_election(definition)
            .map_err(|e| anyhow::anyhow!("log entry 0: the election does not parse: {e}"))?,
        _ => {
            problems.add("log/", "entry 0 is not the election definition");
            return Ok(String::new());
        }
    };
    let mut copies = Vec::new();
    for (index, bytes) in entries.iter().enumerate().skip(1) {
        let parsed = LogEntry::parse(bytes).and_then(|entry| {
            entry
                .to_copy(election.geography.centre_digits)
                .map(|(record, provenance, codes)| (entry, record, provenance, codes))
        });
        match parsed {
            Ok(copy) => copies.push((u64::try_from(index).unwrap_or(0), copy)),
            Err(error) => problems.add("log/", format!("entry {index}: {error}")),
        }
    }

    // 3. The acta rows against their entries.
    let actas = check_actas(source, &election, &copies, problems)?;

    // 4. Tables and tallies against what the entries add up to.
    let recomputed = check_totals(source, &election, &copies, problems)?;

    // 5. Scans.
    let mut scans = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (_, (_, _, provenance, _)) in &copies {
        if provenance.source != SourceKind::Qr || !seen.insert(provenance.file_sha256) {
            continue;
        }
        let name = format!("scans/{}", provenance.file_sha256);
        match source.get(&name)? {
            None => problems.add(&name, "missing"),
            Some(bytes) => {
                let actual = veedor_store_sqlite::sha256(&bytes);
                if actual == provenance.file_sha256 {
                    scans += 1;
                } else {
                    problems.add(
                        &name,
                        format!("its SHA-256 is {actual}: the scan was altered"),
                    );
                }
            }
        }
    }

    // 6. An older checkpoint.
    let mut history = String::new();
    if let Some(since) = since {
        let text = match std::fs::read_to_string(since) {
            Ok(text) => text,
            Err(_) if since.contains('\n') => since.to_owned(),
            Err(error) => return Err(error).with_context(|| format!("--since {since}")),
        };
        let old: Checkpoint = key
            .verify(&text)
            .context("--since: the older checkpoint does not verify with the key")?;
        if old.size > checkpoint.size {
            problems.add(
                "log/checkpoint",
                format!(
                    "covers {} entries, fewer than the older checkpoint's {}: the log shrank",
                    checkpoint.size, old.size
                ),
            );
        } else {
            let log = MerkleLog::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)).collect());
            let root = log.root_at(old.size)?;
            if root == old.root {
                history = format!(" It extends the older checkpoint of {} entries.", old.size);
            } else {
                problems.add(
                    "log/",
                    format!(
                        "the log was rewritten: its first {} entries give the root {}, but the older checkpoint signed {}",
                        old.size, root, old.root
                    ),
                );
            }
        }
    }
    Ok(format!(
        "Checkpoint of {} entries signed by {}; {} hash tiles and {} entry bundles match it; {actas} acta rows match their entries; {recomputed} table and tally rows match what the entries add up to; {scans} scans match their SHA-256.{history}",
        checkpoint.size,
        key.name(),
        report.hash_tiles,
        report.entry_bundles
    ))
}

type LoggedCopy = (
    u64,
    (
        LogEntry,
        veedor_core::ActaRecord,
        veedor_core::Provenance,
        Vec<veedor_core::FindingCode>,
    ),
);

fn check_actas(
    source: &Source,
    election: &Election,
    copies: &[LoggedCopy],
    problems: &mut Problems,
) -> anyhow::Result<usize> {
    let name = "data/actas.csv";
    let Some(bytes) = source.get(name)? else {
        problems.add(name, "missing");
        return Ok(0);
    };
    let file = CsvFile::parse(name, &bytes)?;
    if let Some(json) = source.get("data/actas.json")? {
        check_twin(&file, &json, problems);
    } else {
        problems.add("data/actas.json", "missing");
    }
    let by_index: HashMap<u64, &LoggedCopy> = copies.iter().map(|c| (c.0, c)).collect();
    let mut covered = std::collections::BTreeSet::new();
    for (line, row) in &file.rows {
        let place = format!("{name} line {line}");
        let Ok(index) = cell(&file, row, "log_index").parse::<u64>() else {
            problems.add(&place, "no log index");
            continue;
        };
        let Some((_, (entry, record, _, _))) = by_index.get(&index) else {
            problems.add(
                &place,
                format!("log index {index} is not an acta entry of the log"),
            );
            continue;
        };
        if !covered.insert(index) {
            problems.add(&place, format!("a second row for log entry {index}"));
        }
        let counts = entry.get("counts").unwrap_or("");
        let (kind, values) = counts.split_once(' ').unwrap_or(("", ""));
        let mut expected: Vec<(String, String)> = [
            ("table_id", entry.get("table").unwrap_or("").to_owned()),
            ("source", entry.get("source").unwrap_or("").to_owned()),
            ("counts_kind", kind.to_owned()),
            ("counts", values.replace(',', " ")),
            (
                "null_votes",
                dash(entry.get("null_votes").unwrap_or("")).to_owned(),
            ),
            (
                "stated_valid_votes",
                dash(entry.get("stated_valid_votes").unwrap_or("")).to_owned(),
            ),
            (
                "stated_registered",
                dash(entry.get("stated_registered").unwrap_or("")).to_owned(),
            ),
            (
                "format_fields",
                dash(entry.get("format_fields").unwrap_or("")).to_owned(),
            ),
            (
                "file_sha256",
                entry.get("file_sha256").unwrap_or("").to_owned(),
            ),
            (
                "received_at",
                entry.get("received_at").unwrap_or("").to_owned(),
            ),
            ("device", dash(entry.get("device").unwrap_or("")).to_owned()),
            (
                "volunteer",
                dash(entry.get("volunteer").unwrap_or("")).to_owned(),
            ),
            (
                "findings",
                dash(entry.get("findings").unwrap_or("")).replace(',', " "),
            ),
        ]
        .into_iter()
        .map(|(column, value)| (column.to_owned(), value))
        .collect();
        let location = entry.get("location").unwrap_or("");
        let (location_kind, location_number) = location.split_once(' ').unwrap_or(("", ""));
        expected.push(("location_kind".to_owned(), location_kind.to_owned()));
        expected.push(("location".to_owned(), location_number.to_owned()));
        let votes = record.candidate_votes(election);
        let valid: u64 = votes.iter().sum();
        for (candidate, votes) in election.candidates.iter().zip(&votes) {
            expected.push((format!("votes_{}", candidate.id), votes.to_string()));
        }
        expected.push(("valid_votes".to_owned(), valid.to_string()));
        expected.push((
            "total_votes".to_owned(),
            (valid + u64::from(record.null_votes.unwrap_or(0))).to_string(),
        ));
        for (column, value) in &expected {
            let found = cell(&file, row, column);
            if found != value {
                problems.add(
                    &place,
                    format!("`{column}` is `{found}`, but log entry {index} gives `{value}`"),
                );
            }
        }
        let file_name: String = cell(&file, row, "file_name")
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        if file_name != entry.get("file_name").unwrap_or("") {
            problems.add(
                &place,
                format!("`file_name` differs from log entry {index}"),
            );
        }
    }
    for (index, _) in copies {
        if !covered.contains(index) {
            problems.add(name, format!("no row for log entry {index}"));
        }
    }
    Ok(file.rows.len())
}

fn check_totals(
    source: &Source,
    election: &Election,
    copies: &[LoggedCopy],
    problems: &mut Problems,
) -> anyhow::Result<usize> {
    // The table list is not in the log: registered voters and listing come from tables.csv,
    // and only the numbers that follow from the entries are checked.
    let name = "data/tables.csv";
    let Some(bytes) = source.get(name)? else {
        problems.add(name, "missing");
        return Ok(0);
    };
    let tables_file = CsvFile::parse(name, &bytes)?;
    if let Some(json) = source.get("data/tables.json")? {
        check_twin(&tables_file, &json, problems);
    }
    let digits = election.geography.centre_digits;
    let mut tables = BTreeMap::new();
    for (line, row) in &tables_file.rows {
        let Ok(id) = TableId::parse(cell(&tables_file, row, "table_id"), digits) else {
            problems.add(&format!("{name} line {line}"), "bad table_id");
            continue;
        };
        tables.insert(
            id,
            PollingTable {
                id,
                registered: cell(&tables_file, row, "registered").parse().ok(),
                listed: cell(&tables_file, row, "listed") == "true",
            },
        );
    }
    let dataset = Dataset {
        election: election.clone(),
        tables: tables
            .into_values()
            .enumerate()
            .map(|(key, table)| (TableKey::new(u32::try_from(key).unwrap_or(0)), table))
            .collect(),
        area_names: BTreeMap::new(),
        copies: copies
            .iter()
            .map(|(index, (_, record, provenance, codes))| ActaCopy {
                id: CopyId::new(i64::try_from(*index).unwrap_or(0)),
                record: record.clone(),
                provenance: provenance.clone(),
                findings: codes
                    .iter()
                    .map(|code| Finding {
                        code: *code,
                        detail: String::new(),
                    })
                    .collect(),
                log_index: Some(*index),
            })
            .collect(),
    };
    let results = Results::compute(dataset);
    let mut checked = 0;
    for (line, row) in &tables_file.rows {
        let Ok(id) = TableId::parse(cell(&tables_file, row, "table_id"), digits) else {
            continue;
        };
        let place = format!("{name} line {line}");
        let Some(state) = results.table(id) else {
            continue;
        };
        let status = state.assessment.status.as_str();
        if cell(&tables_file, row, "status") != status {
            problems.add(
                &place,
                format!(
                    "`status` is `{}`, but the log's copies give `{status}`",
                    cell(&tables_file, row, "status")
                ),
            );
        }
        if let Some(result) = &state.assessment.result {
            for (candidate, votes) in election.candidates.iter().zip(&result.candidate_votes) {
                let column = format!("votes_{}", candidate.id);
                if cell(&tables_file, row, &column) != votes.to_string() {
                    problems.add(
                        &place,
                        format!(
                            "`{column}` is `{}`, but the log's copies give `{votes}`",
                            cell(&tables_file, row, &column)
                        ),
                    );
                }
            }
        }
        checked += 1;
    }
    let levels = std::iter::once(("national".to_owned(), None)).chain(
        election
            .geography
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), Some(i))),
    );
    for (level_id, level) in levels {
        let name = format!("data/tally-{level_id}.csv");
        let Some(bytes) = source.get(&name)? else {
            problems.add(&name, "missing");
            continue;
        };
        let file = CsvFile::parse(&name, &bytes)?;
        if let Some(json) = source.get(&name.replace(".csv", ".json"))? {
            check_twin(&file, &json, problems);
        }
        let expected = veedor_web::opendata::tally(&results, level);
        let by_code: HashMap<String, &Vec<Cell>> = expected
            .rows
            .iter()
            .map(|row| (row.get(1).map(Cell::to_csv).unwrap_or_default(), row))
            .collect();
        let columns: Vec<String> = ["valid_votes", "null_votes", "tables_counted"]
            .into_iter()
            .map(str::to_owned)
            .chain(
                election
                    .candidates
                    .iter()
                    .map(|c| format!("votes_{}", c.id)),
            )
            .collect();
        for (line, row) in &file.rows {
            let code = cell(&file, row, "code");
            let place = format!("{name} line {line}");
            let Some(expected_row) = by_code.get(code) else {
                problems.add(&place, format!("area `{code}` holds no table of the log"));
                continue;
            };
            for column in &columns {
                let Some(position) = expected.columns.iter().position(|c| c == column) else {
                    continue;
                };
                let want = expected_row[position].to_csv();
                if cell(&file, row, column) != want {
                    problems.add(
                        &place,
                        format!(
                            "`{column}` is `{}`, but the log's entries add up to `{want}`",
                            cell(&file, row, column)
                        ),
                    );
                }
            }
            checked += 1;
        }
        if file.rows.len() != expected.rows.len() {
            problems.add(
                &name,
                format!(
                    "{} areas, but the log's entries fill {}",
                    file.rows.len(),
                    expected.rows.len()
                ),
            );
        }
    }
    Ok(checked)
}
