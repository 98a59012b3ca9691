//! `veedor import ...`: read a file, validate every row against what the store knows, and
//! apply everything as one batch (one transaction), or nothing.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256 as Hasher};
use veedor_core::{
    ActaRecord, AreaCode, Election, FindingCode, Location, PollingTable, Provenance, Pseudonym,
    Sha256, SourceKind, TableId, TableKey, validate,
};
use veedor_formats::{LogEntry, MAX_LISTED_PROBLEMS, RowProblem};
use veedor_store::{
    Batch, BatchOutcome, FileKind, NewCopy, Rejection, SourceFile, Store, TableMode,
};
use veedor_store_sqlite::SqliteStore;

use crate::context::{Context, InputFile, file_name, now, read_input, short_hash};
use crate::exit;

/// One readable row of a results or payloads file.
pub struct Row {
    pub location: Location,
    pub record: ActaRecord,
    pub area_names: Vec<(usize, String)>,
}

/// What an import did, for the summary.
#[derive(Debug, Default)]
pub struct Summary {
    pub rows: usize,
    pub copies_added: usize,
    pub tables_added: usize,
    pub tables_updated: usize,
    pub already_applied: Option<String>,
    pub findings: BTreeMap<FindingCode, usize>,
    pub unknown_tables: Vec<(Location, String)>,
    pub rejected: Vec<RowProblem>,
    pub checkpoint: Option<u64>,
}

/// The tables an import validates against, kept current as rows teach new ones.
pub struct KnownTables {
    tables: HashMap<TableId, PollingTable>,
    /// Whether a table list was imported: then a table not in it is flagged, never added.
    table_list: bool,
}

impl KnownTables {
    /// The store's tables.
    pub fn load(store: &dyn Store) -> anyhow::Result<Self> {
        let tables: HashMap<TableId, PollingTable> = store
            .tables()?
            .into_iter()
            .map(|(_, t)| (t.id, t))
            .collect();
        let table_list = tables.values().any(|t| t.listed);
        Ok(Self { tables, table_list })
    }
}

/// Who and what a batch's copies come from.
#[derive(Clone, Debug)]
pub struct Origin {
    pub kind: SourceKind,
    pub device: Option<String>,
    pub volunteer: Option<Pseudonym>,
}

impl Origin {
    pub fn of(kind: SourceKind) -> Self {
        Self {
            kind,
            device: None,
            volunteer: None,
        }
    }
}

/// Builds the batch for rows of acta copies: each row validated against the known tables;
/// tables learnt from the rows when there is no table list (and added to `known`), flagged when
/// there is one.
pub fn copies_batch(
    election: &Election,
    known: &mut KnownTables,
    source: &SourceFile,
    origin: &Origin,
    rows: Vec<Row>,
    problems: &[RowProblem],
) -> (Batch, Summary) {
    let table_list = known.table_list;
    let known = &mut known.tables;
    let mut summary = Summary {
        rows: rows.len() + problems.len(),
        rejected: problems.to_vec(),
        ..Summary::default()
    };
    let mut new_tables: Vec<PollingTable> = Vec::new();
    let mut area_names: BTreeMap<AreaCode, String> = BTreeMap::new();
    let mut copies = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.record.table;
        match known.get_mut(&id) {
            None if !table_list => {
                let table = PollingTable {
                    id,
                    registered: row.record.stated_registered,
                    listed: false,
                };
                new_tables.push(table.clone());
                known.insert(id, table);
            }
            // A table learnt from a scan (no registered voters on a QR code) learns them from a
            // result file that states them.
            Some(table) if table.registered.is_none() && row.record.stated_registered.is_some() => {
                table.registered = row.record.stated_registered;
                new_tables.push(table.clone());
            }
            _ => {}
        }
        let table = known.get(&id);
        if table.is_none() {
            summary
                .unknown_tables
                .push((row.location, id.display(election.geography.centre_digits)));
        }
        let findings = validate(&row.record, election, table, table_list);
        for finding in &findings {
            *summary.findings.entry(finding.code).or_default() += 1;
        }
        for (level, name) in row.area_names {
            area_names
                .entry(election.geography.area_of(id.centre, level))
                .or_insert(name);
        }
        let provenance = Provenance {
            source: origin.kind,
            file_name: source.file_name.clone(),
            file_sha256: source.sha256,
            location: row.location,
            received_at: source.received_at,
            device: origin.device.clone(),
            volunteer: origin.volunteer.clone(),
        };
        let log_entry = LogEntry::of_copy(
            &election.id,
            election.geography.centre_digits,
            &row.record,
            &provenance,
            &findings,
        )
        .encode();
        copies.push(NewCopy {
            record: row.record,
            provenance,
            findings,
            log_entry,
        });
    }
    let batch = Batch {
        source: source.clone(),
        table_mode: TableMode::Learn,
        tables: new_tables,
        area_names: area_names.into_iter().collect(),
        copies,
        rejections: problems
            .iter()
            .map(|p| Rejection {
                location: format!("line {}", p.line),
                message: p.message.clone(),
            })
            .collect(),
        queue: Vec::new(),
    };
    (batch, summary)
}

/// Applies a batch, completes the summary, and signs a checkpoint of the log if it grew.
pub fn apply(store: &mut SqliteStore, batch: &Batch, summary: &mut Summary) -> anyhow::Result<()> {
    apply_unsigned(store, batch, summary)?;
    let folder = store.folder().to_owned();
    if let Some(checkpoint) = crate::ledger::sign_checkpoint(store, &folder)? {
        summary.checkpoint = Some(checkpoint.size);
    }
    Ok(())
}

/// Applies a batch and completes the summary; the caller signs a checkpoint later (ingest
/// signs once per run and every so often, not after every file).
pub fn apply_unsigned(
    store: &mut dyn Store,
    batch: &Batch,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    match store.apply(batch)? {
        BatchOutcome::Applied {
            copies_added,
            tables_added,
            tables_updated,
        } => {
            summary.copies_added = copies_added;
            summary.tables_added = tables_added;
            summary.tables_updated = tables_updated;
        }
        BatchOutcome::AlreadyApplied { at } => summary.already_applied = Some(at.to_string()),
    }
    Ok(())
}

/// Applies a batch of copies; a file of which no row could be read is refused whole and
/// nothing is recorded, so that the corrected file can be imported later.
fn apply_copies(
    store: &mut SqliteStore,
    batch: &Batch,
    summary: &mut Summary,
    path: &Path,
) -> anyhow::Result<()> {
    if batch.copies.is_empty() {
        for problem in summary.rejected.iter().take(MAX_LISTED_PROBLEMS) {
            eprintln!("  {problem}");
        }
        anyhow::bail!(
            "{}: none of its {} rows could be read; nothing was imported",
            path.display(),
            summary.rejected.len()
        );
    }
    apply(store, batch, summary)
}

fn print_summary(input: &InputFile, summary: &Summary, what: &str) -> u8 {
    let source = &input.source;
    if let Some(at) = &summary.already_applied {
        println!(
            "{}: already imported on {at} (sha256 {}); nothing added.",
            source.file_name,
            short_hash(&source.sha256)
        );
        return exit::OK;
    }
    println!(
        "{}: {} rows read, {} {what} added, {} tables added, {} tables updated (sha256 {}).",
        source.file_name,
        summary.rows,
        summary.copies_added,
        summary.tables_added,
        summary.tables_updated,
        short_hash(&source.sha256)
    );
    if let Some(size) = summary.checkpoint {
        println!("  log: signed a checkpoint of {size} entries");
    }
    for (code, count) in &summary.findings {
        println!(
            "  flagged {} ({}): {count}",
            code.code(),
            code.name().replace('_', " ")
        );
    }
    if !summary.unknown_tables.is_empty() {
        println!(
            "  {} rows name a table not in the table list; kept, flagged F101, not counted:",
            summary.unknown_tables.len()
        );
        for (location, table) in summary.unknown_tables.iter().take(MAX_LISTED_PROBLEMS) {
            println!("    {}: table {table}", location.describe());
        }
    }
    if summary.rejected.is_empty() {
        return exit::OK;
    }
    eprintln!(
        "{}: {} rows could not be read and were not imported:",
        source.file_name,
        summary.rejected.len()
    );
    for problem in summary.rejected.iter().take(MAX_LISTED_PROBLEMS) {
        eprintln!("  {problem}");
    }
    if summary.rejected.len() > MAX_LISTED_PROBLEMS {
        eprintln!(
            "  ... and {} more (veedor sources lists them all)",
            summary.rejected.len() - MAX_LISTED_PROBLEMS
        );
    }
    exit::PARTIAL
}

/// The rows of a result file, as rows of acta copies.
pub fn result_rows(rows: Vec<veedor_formats::ResultRow>) -> Vec<Row> {
    rows.into_iter()
        .map(|row| Row {
            location: Location::Line(row.line),
            record: row.record,
            area_names: row.area_names,
        })
        .collect()
}

/// Imports rows of acta copies read from one file: validated against the store's tables, one
/// batch, applied, and a checkpoint signed.
pub fn import_copies(
    store: &mut SqliteStore,
    source: &SourceFile,
    kind: SourceKind,
    rows: Vec<Row>,
    problems: &[RowProblem],
    path: &Path,
) -> anyhow::Result<Summary> {
    let election = store.election()?;
    let (batch, mut summary) = copies_batch(
        &election,
        &mut KnownTables::load(store)?,
        source,
        &Origin::of(kind),
        rows,
        problems,
    );
    apply_copies(store, &batch, &mut summary, path)?;
    Ok(summary)
}

/// `veedor import results FILE`.
pub fn results(context: &Context, path: &Path) -> anyhow::Result<u8> {
    let mut store = context.open()?;
    let election = store.election()?;
    let input = read_input(path, FileKind::Results)?;
    let file = veedor_formats::parse_results(&input.bytes, &election)
        .with_context(|| format!("{}", path.display()))?;
    eprintln!(
        "{}: {}; columns used: {}{}",
        input.source.file_name,
        file.encoding.name(),
        file.used_columns.join(", "),
        if file.ignored_columns.is_empty() {
            String::new()
        } else {
            format!("; ignored: {}", file.ignored_columns.join(", "))
        }
    );
    let summary = import_copies(
        &mut store,
        &input.source,
        SourceKind::CsvImport,
        result_rows(file.rows),
        &file.problems,
        path,
    )?;
    Ok(print_summary(&input, &summary, "acta copies"))
}

/// `veedor import payloads FILE`.
pub fn payloads(context: &Context, path: &Path) -> anyhow::Result<u8> {
    let mut store = context.open()?;
    let election = store.election()?;
    let input = read_input(path, FileKind::Payloads)?;
    let file = veedor_formats::parse_payload_lines(&input.bytes, &election)
        .with_context(|| format!("{}", path.display()))?;
    let rows = file
        .rows
        .into_iter()
        .map(|row| Row {
            location: Location::Line(row.line),
            record: row.record,
            area_names: Vec::new(),
        })
        .collect();
    let summary = import_copies(
        &mut store,
        &input.source,
        SourceKind::PayloadImport,
        rows,
        &file.problems,
        path,
    )?;
    Ok(print_summary(&input, &summary, "acta copies"))
}

/// `veedor import tables FILE`.
pub fn tables(context: &Context, path: &Path) -> anyhow::Result<u8> {
    let mut store = context.open()?;
    let election = store.election()?;
    let input = read_input(path, FileKind::Tables)?;
    let rows = veedor_formats::parse_tables(&input.bytes, &election)
        .with_context(|| format!("{}", path.display()))?;
    let mut area_names = BTreeMap::new();
    let tables = rows
        .iter()
        .map(|row| {
            for (level, name) in &row.area_names {
                area_names.insert(
                    election.geography.area_of(row.id.centre, *level),
                    name.clone(),
                );
            }
            PollingTable {
                id: row.id,
                registered: Some(row.registered),
                listed: true,
            }
        })
        .collect();
    let batch = Batch {
        source: input.source.clone(),
        table_mode: TableMode::List,
        tables,
        area_names: area_names.into_iter().collect(),
        copies: Vec::new(),
        rejections: Vec::new(),
        queue: Vec::new(),
    };
    let mut summary = Summary {
        rows: rows.len(),
        ..Summary::default()
    };
    apply(&mut store, &batch, &mut summary)?;
    Ok(print_summary(&input, &summary, "copies"))
}

/// Hashes what passes through it, and counts it for a progress bar.
struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
    read: u64,
    progress: ProgressBar,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..count]);
        self.read += u64::try_from(count).unwrap_or(0);
        self.progress.set_position(self.read);
        Ok(count)
    }
}

/// `veedor import registry FILE`.
pub fn registry(context: &Context, path: &Path) -> anyhow::Result<u8> {
    let mut store = context.open()?;
    let election = store.election()?;
    let keys: HashMap<TableId, TableKey> = store
        .tables()?
        .into_iter()
        .map(|(key, t)| (t.id, key))
        .collect();
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut reader = HashingReader {
        inner: BufReader::with_capacity(1 << 20, file),
        hasher: Hasher::new(),
        read: 0,
        progress: progress.clone(),
    };
    // A row is 20 bytes or more (`1234567,201301006,1`): reserving for 20-byte rows gives room
    // for every voter at once, without the doubling that would reserve twice the memory.
    let size_hint = usize::try_from(size / 20).unwrap_or(0);
    let registry = veedor_formats::parse_registry(&mut reader, &election, size_hint, |id| {
        keys.get(&id).copied()
    })
    .with_context(|| format!("{}", path.display()));
    progress.finish_and_clear();
    let registry = registry?;
    let source = SourceFile {
        kind: FileKind::Registry,
        file_name: file_name(path),
        sha256: Sha256::from_bytes(reader.hasher.finalize().into()),
        size: reader.read,
        received_at: now(),
    };
    match store.replace_registry(&registry, &source)? {
        BatchOutcome::AlreadyApplied { at } => {
            println!(
                "{}: already imported on {at}; the registry is unchanged.",
                source.file_name
            );
        }
        BatchOutcome::Applied { .. } => println!(
            "{}: registry of {} voters imported (sha256 {}); it replaces any earlier one.",
            source.file_name,
            registry.len(),
            short_hash(&source.sha256)
        ),
    }
    Ok(exit::OK)
}
