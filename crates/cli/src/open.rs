//! Opening a data location: the one place the binary names a storage adapter. Every command
//! gets a [`Store`], a [`BlobStore`] and a [`Signer`] from here and never knows which adapter
//! serves them.
//!
//! A location is a folder (the embedded SQLite store: `veedor.db`, `blobs/`, `registry/` and the
//! log's key in `keys/log.key`) or a `postgres://` URL (the PostgreSQL adapter), whose scans and
//! log key stay in a local folder beside it: `VEEDOR_FILES`, default `./veedor-files` (`blobs/`,
//! `keys/log.key`). Either way, `--blobs s3://bucket/prefix` puts the scans in object storage
//! instead (`veedor-blobs-s3`), where several servers reach them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use veedor_app::Signer;
use veedor_blobs_s3::S3BlobStore;
use veedor_core::{Election, Timestamp};
use veedor_store::{BlobStore, Store};
use veedor_store_postgres::PostgresStore;
use veedor_store_sqlite::{FsBlobStore, SqliteStore};

use crate::ledger::KeyFile;

/// Where an election's data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A data folder: the embedded store.
    Folder(PathBuf),
    /// A PostgreSQL database, with the local folder that holds its scans and the log's key.
    Postgres {
        /// The database's URL.
        url: String,
        /// `blobs/` and `keys/log.key`.
        files: PathBuf,
    },
}

/// The environment variable naming a PostgreSQL location's local folder.
pub const FILES_VARIABLE: &str = "VEEDOR_FILES";
/// Its default.
pub const DEFAULT_FILES: &str = "veedor-files";

impl Location {
    /// Reads `--data`: a `postgres://` or `postgresql://` URL, else a folder.
    pub fn parse(text: &Path) -> Self {
        let as_text = text.to_string_lossy();
        if as_text.starts_with("postgres://") || as_text.starts_with("postgresql://") {
            Self::Postgres {
                url: as_text.into_owned(),
                files: std::env::var_os(FILES_VARIABLE)
                    .filter(|folder| !folder.is_empty())
                    .map_or_else(|| PathBuf::from(DEFAULT_FILES), PathBuf::from),
            }
        } else {
            Self::Folder(text.to_owned())
        }
    }

    /// For messages: the folder, or the URL without its user, password or parameters (a
    /// password may be given as `?password=`).
    pub fn display(&self) -> String {
        match self {
            Self::Folder(folder) => folder.display().to_string(),
            Self::Postgres { url, .. } => {
                // The user and password first (a password may hold `?`, `/` or `@`), then the
                // parameters of what is left.
                let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
                let host = rest.rfind('@').map_or(rest, |at| &rest[at + 1..]);
                let host = host.split_once('?').map_or(host, |(host, _)| host);
                let hidden = if host.len() < rest.len() { "…@" } else { "" };
                format!("{scheme}://{hidden}{host}")
            }
        }
    }

    /// The local folder of files: the data folder itself, or a PostgreSQL location's folder of
    /// scans and key.
    pub fn folder(&self) -> &Path {
        match self {
            Self::Folder(folder) | Self::Postgres { files: folder, .. } => folder,
        }
    }
}

/// The scans: in object storage when `blobs` names it, else in `default`.
fn blob_store(
    blobs: Option<&str>,
    default: impl FnOnce() -> Arc<dyn BlobStore>,
) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(match blobs {
        Some(location) => {
            Arc::new(S3BlobStore::open(location).with_context(|| format!("--blobs {location}"))?)
        }
        None => default(),
    })
}

fn local_files(files: &Path, store: Box<dyn Store>, blobs: Option<&str>) -> anyhow::Result<Opened> {
    Ok(Opened {
        store,
        blobs: blob_store(blobs, || Arc::new(FsBlobStore::new(files.join("blobs"))))?,
        signer: Box::new(KeyFile::of_folder(files)),
    })
}

/// The embedded store's parts.
fn folder_parts(folder: &Path, store: SqliteStore, blobs: Option<&str>) -> anyhow::Result<Opened> {
    Ok(Opened {
        blobs: blob_store(blobs, || Arc::new(store.blobs()))?,
        store: Box::new(store),
        signer: Box::new(KeyFile::of_folder(folder)),
    })
}

/// An opened data location.
pub struct Opened {
    /// The election's data.
    pub store: Box<dyn Store>,
    /// Scans, by SHA-256.
    pub blobs: Arc<dyn BlobStore>,
    /// Signs the log's checkpoints.
    pub signer: Box<dyn Signer>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").finish_non_exhaustive()
    }
}

/// Parses an election definition (the store keeps it as text).
pub fn parse_election(text: &str) -> Result<Election, String> {
    veedor_formats::parse_election(text).map_err(|error| error.to_string())
}

/// Opens the store at `location`, migrating it if it is older; the scans in `blobs` when given
/// (`s3://bucket/prefix`).
pub fn open(location: &Location, blobs: Option<&str>) -> anyhow::Result<Opened> {
    match location {
        Location::Folder(folder) => {
            let store = SqliteStore::open(folder, &parse_election)
                .with_context(|| format!("opening the data folder {}", folder.display()))?;
            folder_parts(folder, store, blobs)
        }
        Location::Postgres { url, files } => {
            let store = PostgresStore::open(url, &parse_election)
                .with_context(|| format!("opening the database {}", location.display()))?;
            local_files(files, Box::new(store), blobs)
        }
    }
}

/// Creates a store at `location` for an election, with the log's first entry; the caller makes
/// the key.
pub fn create(
    location: &Location,
    blobs: Option<&str>,
    definition: &str,
    now: Timestamp,
) -> anyhow::Result<Opened> {
    let first_entry = veedor_formats::log_entry::election_entry(definition);
    match location {
        Location::Folder(folder) => {
            let store = SqliteStore::create(folder, definition, &first_entry, &parse_election, now)
                .with_context(|| format!("creating the data folder {}", folder.display()))?;
            folder_parts(folder, store, blobs)
        }
        Location::Postgres { url, files } => {
            let store = PostgresStore::create(url, definition, &first_entry, &parse_election, now)
                .with_context(|| format!("creating the store in {}", location.display()))?;
            local_files(files, Box::new(store), blobs)
        }
    }
}

/// SHA-256 of bytes, as the blob store names them.
pub fn sha256(bytes: &[u8]) -> veedor_core::Sha256 {
    veedor_core::Sha256::from_bytes(veedor_scan::sha256(bytes))
}
