//! `veedor import ...`: read a file, validate every row against what the store knows, and
//! apply everything as one batch (one transaction), or nothing.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256 as Hasher};
use veedor_app::AppError;
use veedor_app::batch::{self, CopyRow, ImportReport, Origin, Tables};
use veedor_core::{Location, Sha256, SourceKind};
use veedor_formats::lookup::LookupKdf;
use veedor_formats::{MAX_LISTED_PROBLEMS, RowProblem};
use veedor_store::{BatchOutcome, FileKind, SourceFile};

use crate::context::{Context, InputFile, file_name, now, read_input, short_hash};
use crate::exit;
use crate::open::Opened;

/// Imports rows of acta copies read from one file (through `veedor-app`); a file of which no
/// row could be read is refused whole, its problems listed, and nothing is recorded.
pub fn import_copies(
    opened: &mut Opened,
    source: &SourceFile,
    kind: SourceKind,
    rows: Vec<CopyRow>,
    problems: &[RowProblem],
    path: &Path,
    defines: Tables,
) -> anyhow::Result<ImportReport> {
    match batch::import_copies(
        &mut *opened.store,
        &*opened.signer,
        source,
        &Origin::of(kind),
        rows,
        problems,
        defines,
    ) {
        Err(error @ AppError::NothingReadable { .. }) => {
            for problem in problems.iter().take(MAX_LISTED_PROBLEMS) {
                errln!("  {problem}");
            }
            Err(anyhow::Error::new(error).context(path.display().to_string()))
        }
        other => Ok(other?),
    }
}

fn print_summary(input: &InputFile, summary: &ImportReport, what: &str) -> anyhow::Result<u8> {
    let source = &input.source;
    if let Some(at) = &summary.already_applied {
        outln!(
            "{}: already imported on {at} (sha256 {}); nothing added.",
            source.file_name,
            short_hash(&source.sha256)
        );
        return Ok(exit::OK);
    }
    outln!(
        "{}: {} rows read, {} {what} added, {} tables added, {} tables updated (sha256 {}).",
        source.file_name,
        summary.rows,
        summary.copies_added,
        summary.tables_added,
        summary.tables_updated,
        short_hash(&source.sha256)
    );
    if let Some(size) = summary.checkpoint {
        outln!("  log: signed a checkpoint of {size} entries");
    }
    for (code, count) in &summary.findings {
        outln!(
            "  flagged {} ({}): {count}",
            code.code(),
            code.name().replace('_', " ")
        );
    }
    if !summary.unknown_tables.is_empty() {
        outln!(
            "  {} rows name a table that no table list or defining result file established; kept, \
             flagged F101, not counted until one does:",
            summary.unknown_tables.len()
        );
        for (location, table) in summary.unknown_tables.iter().take(MAX_LISTED_PROBLEMS) {
            outln!("    {}: table {table}", location.describe());
        }
    }
    if summary.rejected.is_empty() {
        return Ok(exit::OK);
    }
    errln!(
        "{}: {} rows could not be read and were not imported:",
        source.file_name,
        summary.rejected.len()
    );
    for problem in summary.rejected.iter().take(MAX_LISTED_PROBLEMS) {
        errln!("  {problem}");
    }
    if summary.rejected.len() > MAX_LISTED_PROBLEMS {
        errln!(
            "  ... and {} more (veedor sources lists them all)",
            summary.rejected.len() - MAX_LISTED_PROBLEMS
        );
    }
    Ok(exit::PARTIAL)
}

/// The rows of a result file, as rows of acta copies.
pub fn result_rows(rows: Vec<veedor_formats::ResultRow>) -> Vec<CopyRow> {
    rows.into_iter()
        .map(|row| CopyRow {
            location: Location::Line(row.line),
            record: row.record,
            area_names: row.area_names,
            published_sha256: None,
            same_image_as: None,
            entered_by: Vec::new(),
        })
        .collect()
}

/// `veedor import results FILE`.
pub fn results(context: &Context, path: &Path, defines_tables: bool) -> anyhow::Result<u8> {
    let mut opened = context.open()?;
    let election = opened.store.election()?;
    let input = read_input(path, FileKind::Results)?;
    let file = veedor_formats::parse_results(&input.bytes, &election)
        .with_context(|| format!("{}", path.display()))?;
    errln!(
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
        &mut opened,
        &input.source,
        SourceKind::CsvImport,
        result_rows(file.rows),
        &file.problems,
        path,
        if defines_tables {
            Tables::Define
        } else {
            Tables::Refer
        },
    )?;
    print_summary(&input, &summary, "acta copies")
}

/// `veedor import payloads FILE`.
pub fn payloads(context: &Context, path: &Path) -> anyhow::Result<u8> {
    let mut opened = context.open()?;
    let election = opened.store.election()?;
    let input = read_input(path, FileKind::Payloads)?;
    let file = veedor_formats::parse_payload_lines(&input.bytes, &election)
        .with_context(|| format!("{}", path.display()))?;
    let rows = file
        .rows
        .into_iter()
        .map(|row| CopyRow {
            location: Location::Line(row.line),
            record: row.record,
            area_names: Vec::new(),
            published_sha256: None,
            same_image_as: None,
            entered_by: Vec::new(),
        })
        .collect();
    let summary = import_copies(
        &mut opened,
        &input.source,
        SourceKind::PayloadImport,
        rows,
        &file.problems,
        path,
        Tables::Refer,
    )?;
    print_summary(&input, &summary, "acta copies")
}

/// `veedor import tables FILE`.
pub fn tables(context: &Context, path: &Path) -> anyhow::Result<u8> {
    let mut opened = context.open()?;
    let election = opened.store.election()?;
    let input = read_input(path, FileKind::Tables)?;
    let rows = veedor_formats::parse_tables(&input.bytes, &election)
        .with_context(|| format!("{}", path.display()))?;
    let summary = batch::import_tables(&mut *opened.store, &*opened.signer, &input.source, &rows)?;
    print_summary(&input, &summary, "copies")
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
pub fn registry(context: &Context, path: &Path, kdf: LookupKdf) -> anyhow::Result<u8> {
    let mut opened = context.open()?;
    let store = &mut opened.store;
    let election = store.election()?;
    let keys = veedor_app::registry::table_keys(&**store)?;
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    // Streamed, but its size reserves memory: refused from its metadata before it is read
    // (`parse_registry` stops at the same limit whatever the metadata said).
    let limit = veedor_formats::limits::REGISTRY_FILE_BYTES;
    if size > limit {
        anyhow::bail!(
            "reading {}: {size} bytes, more than the limit of {limit} bytes for a voter registry; nothing was read",
            path.display()
        );
    }
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
    let replaced = replace_registry(&mut opened, &registry, &source, kdf)?;
    match replaced.outcome {
        BatchOutcome::AlreadyApplied { at } => {
            outln!(
                "{}: already imported on {at}; the registry and its lookup are unchanged (to change the lookup's cost, import a changed file).",
                source.file_name
            );
        }
        BatchOutcome::Applied { .. } => outln!(
            "{}: registry of {} voters imported (sha256 {}); it replaces any earlier one.",
            source.file_name,
            registry.len(),
            short_hash(&source.sha256)
        ),
    }
    Ok(exit::OK)
}

/// Replaces the registry through `veedor-app` (the lookup records computed on every core, with
/// a progress bar), and says what the lookup costs and which log entry commits to it.
pub fn replace_registry(
    opened: &mut Opened,
    registry: &veedor_core::Registry,
    source: &SourceFile,
    kdf: LookupKdf,
) -> anyhow::Result<veedor_app::registry::Replaced> {
    let log_size = opened.store.log_size()?;
    if kdf.is_unprotected() {
        errln!(
            "warning: lookup cost {kdf} is UNPROTECTED: anyone can rebuild the whole registry from a mirror's lookup in minutes; use it for tests and demos only"
        );
    }
    let progress = ProgressBar::new(u64::try_from(registry.len()).unwrap_or(0)).with_style(
        ProgressStyle::with_template("lookup keys {bar:40} {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let replaced = veedor_app::registry::replace(
        &mut *opened.store,
        &*opened.blobs,
        &*opened.signer,
        registry,
        source,
        kdf,
        &|done| progress.set_position(u64::try_from(done).unwrap_or(0)),
    );
    progress.finish_and_clear();
    let replaced = replaced?;
    if let Some(entry) = &replaced.entry {
        outln!(
            "  lookup: {} records keyed by {kdf} ({} MiB a lane) in {:.1} s; committed to in log entry {log_size} (records sha256 {})",
            entry.voters,
            kdf.memory_bytes() >> 20,
            started.elapsed().as_secs_f64(),
            short_hash(&entry.records_sha256)
        );
    }
    if let Some(size) = replaced.checkpoint {
        outln!("  log: signed a checkpoint of {size} entries");
    }
    Ok(replaced)
}
