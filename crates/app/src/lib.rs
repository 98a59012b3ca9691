//! The use cases every front end shares (the command line today, the volunteers' web routes
//! next): building a [`Batch`](veedor_store::Batch) from rows or payloads with the table-merge
//! rules ([`batch`]), classifying a scanned file's pages and storing it with its blob
//! ([`intake`]), signing a checkpoint of the transparency log through a [`Signer`] with the time
//! passed in ([`checkpoint`]), and the log as published, one value for the server and the export
//! ([`PublishedLog`]), a voter registry checked and stored ([`registry`]), and a coordinator's
//! decision between copies of a table in conflict ([`decisions`]).
//!
//! This crate talks to storage only through the ports of `veedor-store` (`&mut dyn Store`,
//! `&dyn BlobStore`), never an adapter, so every adapter gets the same rules. It reads no files,
//! no clock and no environment: times, bytes and keys come in as values.
#![deny(missing_docs)]

pub mod batch;
pub mod checkpoint;
pub mod decisions;
pub mod intake;
pub mod log;
pub mod registry;
pub mod tasks;
pub mod volunteers;

pub use batch::{CopyRow, ImportReport, KnownTables, Origin};
pub use checkpoint::{Signer, sign_checkpoint};
pub use intake::{PageOutcome, ReadScan, ScanIntake, ScanReport};
pub use log::{LogError, PublishedLog};

use veedor_store::StoreError;

/// Why a use case failed. Nothing was stored when it fails, unless it says otherwise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No row of a file could be read: nothing was recorded, so that the corrected file can be
    /// imported later.
    #[error("none of its {rows} rows could be read; nothing was imported")]
    NothingReadable {
        /// The rows that could not be read.
        rows: usize,
    },
    /// The blob store returned another hash than the bytes have.
    #[error("the blob store hashed {file} as {stored}, its bytes are {expected}")]
    BlobMismatch {
        /// The file.
        file: String,
        /// What the blob store said.
        stored: veedor_core::Sha256,
        /// What the bytes hash to.
        expected: veedor_core::Sha256,
    },
    /// Signing or checking a checkpoint failed.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The store's log is shorter than its latest checkpoint: the store was tampered with.
    #[error(
        "the latest checkpoint covers {checkpoint} entries but the log has {log}: the store was tampered with"
    )]
    LogShrank {
        /// The checkpoint's size.
        checkpoint: u64,
        /// The log's.
        log: u64,
    },
    /// A registry places a voter on a table the store does not know.
    #[error("the registry places voter {voter} on table {table:?}, which the store does not know")]
    RegistryUnknownTable {
        /// The voter.
        voter: veedor_core::VoterId,
        /// The table.
        table: veedor_core::TableId,
    },
    /// A registry that cannot be built (a voter listed twice).
    #[error("registry: {0}")]
    Registry(String),
    /// The election's acta format is not known.
    #[error(transparent)]
    Format(#[from] veedor_formats::FormatError),
}
