//! The data folder, the store, the election and the files the commands read.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use veedor_core::{Election, Sha256, Timestamp};
use veedor_store::{FileKind, SourceFile, Store};
use veedor_store_sqlite::SqliteStore;

use crate::exit;

/// Elections shipped with veedor, by name.
pub const SHIPPED_ELECTIONS: &[(&str, &str)] = &[(
    "ve-2024-presidential",
    include_str!("../../../elections/ve-2024-presidential.toml"),
)];

/// What every command needs: where the data folder is.
#[derive(Debug, Clone)]
pub struct Context {
    /// The data folder.
    pub data: PathBuf,
}

impl Context {
    pub fn new(data: PathBuf) -> Self {
        Self { data }
    }

    /// Opens the store of the data folder.
    pub fn open(&self) -> anyhow::Result<SqliteStore> {
        SqliteStore::open(&self.data, &parse_election)
            .with_context(|| format!("opening the data folder {}", self.data.display()))
    }
}

/// Parses an election definition (the store keeps it as text).
pub fn parse_election(text: &str) -> Result<Election, String> {
    veedor_formats::parse_election(text).map_err(|error| error.to_string())
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

/// Reads a file and describes it as a source of `kind`.
pub fn read_input(path: &Path, kind: FileKind) -> anyhow::Result<InputFile> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let source = SourceFile {
        kind,
        file_name: file_name(path),
        sha256: veedor_store_sqlite::sha256(&bytes),
        size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        received_at: now(),
    };
    Ok(InputFile { bytes, source })
}

/// A path's last component, for provenance (folders may name people or places).
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
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
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{}: expected UTF-8 text", path.display()))
}

/// Creates a store and its log key.
pub fn create_store(
    folder: &Path,
    definition: &str,
    origin: Option<&str>,
) -> anyhow::Result<SqliteStore> {
    let first_entry = veedor_formats::log_entry::election_entry(definition);
    let store = SqliteStore::create(folder, definition, &first_entry, &parse_election, now())
        .with_context(|| format!("creating the data folder {}", folder.display()))?;
    let origin = match origin {
        Some(origin) => origin.to_owned(),
        None => crate::ledger::default_origin(&store.election()?.id)?,
    };
    crate::ledger::create_key(folder, &origin)?;
    let mut store = store;
    crate::ledger::sign_checkpoint(&mut store, folder)?;
    Ok(store)
}

/// `veedor key`.
pub fn key(context: &Context) -> anyhow::Result<u8> {
    let key = crate::ledger::read_key(&context.data)?;
    println!("{}", key.verifier_key());
    Ok(exit::OK)
}

/// `veedor init`.
pub fn init(context: &Context, election: &str, origin: Option<&str>) -> anyhow::Result<u8> {
    let definition = election_definition(election)?;
    let parsed = veedor_formats::parse_election(&definition)
        .with_context(|| format!("election {election}"))?;
    create_store(&context.data, &definition, origin)?;
    println!(
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
    println!("Next: veedor import tables|results|registry FILE");
    Ok(exit::OK)
}
