//! The data folder, the store, the election and the files the commands read.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::Path;

use anyhow::{Context as _, bail};
use veedor_core::{Sha256, Timestamp};
use veedor_store::{FileKind, SourceFile};

use crate::exit;
use crate::open::{Location, Opened};

/// Elections shipped with veedor, by name.
pub const SHIPPED_ELECTIONS: &[(&str, &str)] = &[
    (
        "ve-2024-presidential",
        include_str!("../../../elections/ve-2024-presidential.toml"),
    ),
    (
        "br-2024-ac-example",
        include_str!("../../../elections/br-2024-ac-example.toml"),
    ),
];

/// What every command needs: where the data is.
#[derive(Debug, Clone)]
pub struct Context {
    /// The data location: a folder, or a database's URL.
    pub data: Location,
    /// Where the scans are when not in the local folder: `s3://bucket/prefix`.
    pub blobs: Option<String>,
}

impl Context {
    /// The data at `data`, scans beside it.
    pub fn new(data: &Path) -> Self {
        Self {
            data: Location::parse(data),
            blobs: None,
        }
    }

    /// With the scans in object storage (`--blobs`).
    #[must_use]
    pub fn with_blobs(self, blobs: Option<String>) -> Self {
        Self { blobs, ..self }
    }

    /// Opens the store of the data location.
    pub fn open(&self) -> anyhow::Result<Opened> {
        crate::open::open(&self.data, self.blobs.as_deref())
    }
}

/// The current time: the one place the command line reads the clock.
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// A file read whole, with its hash.
pub struct InputFile {
    pub bytes: Vec<u8>,
    pub source: SourceFile,
}

/// Reads a file whole, unless it is larger than `limit` bytes: its size is taken from its
/// metadata before anything is read, and no more than `limit` bytes and one are read whatever
/// the metadata said (a file that grows while read, a pipe, a device). The error, an
/// [`io::ErrorKind::FileTooLarge`], names the size and the limit but not the file.
pub fn read_limited(path: &Path, limit: usize) -> io::Result<Vec<u8>> {
    let too_large = |size: u64| {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "{size} bytes, more than the limit of {limit} bytes for this kind of file; nothing was read"
            ),
        )
    };
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit_u64 {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit_u64.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(too_large(u64::try_from(bytes.len()).unwrap_or(u64::MAX)));
    }
    Ok(bytes)
}

/// The largest file of a kind that an import reads whole (`veedor_formats::limits`).
pub fn input_limit(kind: FileKind) -> usize {
    use veedor_formats::limits;
    match kind {
        FileKind::Tables => limits::TABLES_FILE_BYTES,
        FileKind::Results => limits::RESULTS_FILE_BYTES,
        FileKind::Payloads => limits::PAYLOADS_FILE_BYTES,
        FileKind::Scan => veedor_scan::Limits::default().max_file_bytes,
        // Streamed rather than read whole (`import::registry`); this bounds a whole read.
        FileKind::Registry => usize::try_from(limits::REGISTRY_FILE_BYTES).unwrap_or(usize::MAX),
        // A settlement of manual entries is no file: nothing to read.
        FileKind::Manual => 0,
    }
}

/// Reads a file, within the limit of its kind, and describes it as a source of `kind`.
pub fn read_input(path: &Path, kind: FileKind) -> anyhow::Result<InputFile> {
    let bytes = read_limited(path, input_limit(kind))
        .with_context(|| format!("reading {} as a {} file", path.display(), kind.as_str()))?;
    let source = SourceFile {
        kind,
        file_name: file_name(path),
        sha256: crate::open::sha256(&bytes),
        size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        received_at: now(),
    };
    Ok(InputFile { bytes, source })
}

/// A path's last component, for provenance (folders may name people or places). Control
/// characters are replaced by `?`, as the log's entries replace them (`docs/ledger.md`), so that
/// the store, the log and open data say the same and no name drives a terminal. Its length is the
/// file system's (255 bytes on common ones), well within an entry's limit.
pub fn file_name(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Formats a digest briefly for people: the first 12 hex digits.
pub fn short_hash(hash: &Sha256) -> String {
    hash.to_hex()[..12].to_owned()
}

/// The definition text of `election`: a shipped election's name or a file.
pub fn election_definition(election: &str) -> anyhow::Result<String> {
    if let Some((_, text)) = SHIPPED_ELECTIONS.iter().find(|(name, _)| *name == election) {
        return Ok((*text).to_owned());
    }
    let path = Path::new(election);
    if !path.exists() {
        bail!(
            "{election}: no such file, and not a shipped election (shipped: {})",
            SHIPPED_ELECTIONS
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let bytes =
        read_limited(path, veedor_formats::limits::ELECTION_FILE_BYTES).with_context(|| {
            format!(
                "reading {}: the transparency log's first entry holds the election file whole",
                path.display()
            )
        })?;
    String::from_utf8(bytes).with_context(|| format!("{}: expected UTF-8 text", path.display()))
}

/// Creates a store and its log key, and signs the first checkpoint.
pub fn create_store(
    context: &Context,
    definition: &str,
    origin: Option<&str>,
) -> anyhow::Result<Opened> {
    let location = &context.data;
    // A PostgreSQL store's key is in a folder apart: one left by another store must not be
    // taken over, nor found only after the database was made.
    let key = crate::ledger::key_path(location.folder());
    if matches!(location, Location::Postgres { .. }) && key.exists() {
        anyhow::bail!(
            "{} exists: the log's key of another store; give this one its own folder ({} for a PostgreSQL store)",
            key.display(),
            crate::open::FILES_VARIABLE
        );
    }
    let mut opened = crate::open::create(location, context.blobs.as_deref(), definition, now())?;
    let origin = match origin {
        Some(origin) => origin.to_owned(),
        None => crate::ledger::default_origin(&opened.store.election()?.id)?,
    };
    crate::ledger::create_key(location.folder(), &origin)?;
    veedor_app::sign_checkpoint(&mut *opened.store, &*opened.signer, now())?;
    Ok(opened)
}

/// `veedor key`.
pub fn key(context: &Context) -> anyhow::Result<u8> {
    let opened = context.open()?;
    outln!("{}", opened.signer.verifier_key()?);
    Ok(exit::OK)
}

/// `veedor init`.
pub fn init(context: &Context, election: &str, origin: Option<&str>) -> anyhow::Result<u8> {
    let definition = election_definition(election)?;
    let parsed = veedor_formats::parse_election(&definition)
        .with_context(|| format!("election {election}"))?;
    create_store(context, &definition, origin)?;
    outln!(
        "Created {} for {} ({}): {} candidates, {} ballot cards, levels {}.",
        context.data.display(),
        parsed.title.get("en"),
        parsed.id,
        parsed.candidates.len(),
        parsed.cards.len(),
        parsed
            .geography
            .levels
            .iter()
            .map(|l| l.id.as_str())
            .collect::<Vec<_>>()
            .join(" > "),
    );
    outln!("Next: veedor import tables|results|registry FILE");
    Ok(exit::OK)
}
