//! The storage port. Focused traits, so that an adapter implements what it serves:
//! [`ResultStore`] keeps an election's tables, area names, acta copies with their provenance and
//! findings, imported files and the pages waiting for a person; [`RegistryStore`] the voter
//! registry; [`LogStore`] the transparency log's entries and signed checkpoints; [`Store`] is all
//! three, what a data location opens to. [`BlobStore`] keeps scans by their SHA-256. Adapters
//! implement them: `veedor-store-sqlite` (the embedded default) now, a PostgreSQL one later,
//! without touching `veedor-core`. Every adapter passes the one conformance suite
//! (`veedor-store-conformance`).
//!
//! Adapters store what a [`Batch`] says and decide nothing: which tables are new, which change
//! and which area names are set is decided above them (`veedor-app`), so every adapter merges
//! the same way.
//!
//! Invariants every adapter keeps:
//! - [`ResultStore::apply`] is one transaction: all of a batch is stored or none of it.
//! - A source file (kind and SHA-256) is applied once; applying it again adds nothing.
//! - Nothing is ever overwritten or deleted: copies, findings, sources and log entries only
//!   accumulate. (Tables are the exception that proves it: a table list may set a table's
//!   registered voters.)
//! - A blob is on durable storage before any row that names it commits.
//! - [`ResultStore::data_version`] changes with every commit, by any writer.
//! - A coordinator's decision ([`ResultStore::record_decision`]) is only ever inserted, with its
//!   log entry and audit event in one transaction; [`ResultStore::load_dataset`] gives every
//!   decision back, oldest first, with its log index.
#![deny(missing_docs)]

use std::collections::BTreeMap;

use veedor_core::entry::{Recorded, Role};
use veedor_core::{
    ActaRecord, AreaCode, Dataset, Decision, Election, Finding, PollingTable, Provenance,
    Pseudonym, Registry, Sha256, TableKey, Timestamp, VoterId,
};

/// What kind of file was imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// A table list.
    Tables,
    /// A per-acta result file.
    Results,
    /// A file of acta payloads.
    Payloads,
    /// A voter registry.
    Registry,
    /// A scan (image or PDF).
    Scan,
    /// The settlement of a page's double-blind manual entry (no file of its own: named by the
    /// scan and page it settles).
    Manual,
}

impl FileKind {
    /// The stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tables => "tables",
            Self::Results => "results",
            Self::Payloads => "payloads",
            Self::Registry => "registry",
            Self::Scan => "scan",
            Self::Manual => "manual",
        }
    }

    /// Parses a stable name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Tables,
            Self::Results,
            Self::Payloads,
            Self::Registry,
            Self::Scan,
            Self::Manual,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// A file that was imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// What kind.
    pub kind: FileKind,
    /// Its name, without folders.
    pub file_name: String,
    /// SHA-256 of its bytes.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
    /// When it was imported.
    pub received_at: Timestamp,
}

/// A new acta copy, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCopy {
    /// What it says.
    pub record: ActaRecord,
    /// Where it came from.
    pub provenance: Provenance,
    /// What validation found.
    pub findings: Vec<Finding>,
    /// Its transparency-log entry (`veedor_formats::LogEntry`), appended to the log if and only
    /// if the copy is stored.
    pub log_entry: Vec<u8>,
}

/// A signed checkpoint of the transparency log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The log's size it commits to.
    pub size: u64,
    /// The signed note (C2SP tlog-checkpoint in C2SP signed-note).
    pub note: String,
    /// When it was signed.
    pub signed_at: Timestamp,
}

/// A part of a file that could not be used, kept with the source for the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Where (`line 12`, `page 3`).
    pub location: String,
    /// Why.
    pub message: String,
}

/// Everything one imported file adds, applied in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The file.
    pub source: SourceFile,
    /// Tables to add. A table that exists when the batch is applied (another writer added it
    /// since the batch was built) fails the whole batch with [`StoreError::Conflict`].
    pub new_tables: Vec<PollingTable>,
    /// Existing tables whose registered voters or listing change, with their new values. A
    /// table that does not exist fails the whole batch with [`StoreError::Conflict`].
    pub changed_tables: Vec<PollingTable>,
    /// Area names to set, added or replaced.
    pub area_names: Vec<(AreaCode, String)>,
    /// New acta copies.
    pub copies: Vec<NewCopy>,
    /// Parts of the file that could not be used.
    pub rejections: Vec<Rejection>,
    /// Pages of a scan that need a person (no readable acta code); the scan itself is in the
    /// blob store under the source's SHA-256.
    pub queue: Vec<QueuedPage>,
}

/// A page that needs a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedPage {
    /// The page, from 1.
    pub page: u32,
    /// Why no acta was read from it.
    pub reason: String,
}

/// A page waiting for a person, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    /// The store's id.
    pub id: i64,
    /// The scan's file name.
    pub file_name: String,
    /// The scan's SHA-256.
    pub file_sha256: Sha256,
    /// The page.
    pub page: u32,
    /// Why.
    pub reason: String,
    /// When the scan was received.
    pub received_at: Timestamp,
}

/// What applying a batch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Stored.
    Applied {
        /// Copies added.
        copies_added: usize,
        /// Tables added.
        tables_added: usize,
        /// Existing tables whose registered voters or listing changed.
        tables_updated: usize,
    },
    /// The same file (kind and SHA-256) was applied before, at this time; nothing was added.
    AlreadyApplied {
        /// When it was first applied.
        at: Timestamp,
    },
}

/// A stored source file with what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSource {
    /// The file.
    pub source: SourceFile,
    /// Its rejected parts.
    pub rejections: Vec<Rejection>,
}

/// What is known of the stored registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryInfo {
    /// Voters in it.
    pub voters: u64,
    /// The file it was imported from.
    pub source: SourceFile,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data folder has no store yet.
    #[error("no veedor store in {path}: create one with `veedor init --election FILE`")]
    NotInitialised {
        /// The folder.
        path: String,
    },
    /// A store exists where a new one was to be created.
    #[error("a veedor store already exists in {path}")]
    AlreadyInitialised {
        /// The folder.
        path: String,
    },
    /// The store was written by a newer veedor.
    #[error(
        "the store's schema is version {found}, newer than this veedor's {supported}: upgrade veedor"
    )]
    SchemaTooNew {
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// Stored data that does not read back.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// A file-system error, with the path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("database: {0}")]
    Database(String),
    /// The batch no longer fits what is stored (another writer committed since it was built);
    /// nothing was stored, and building it again from the store resolves it.
    #[error("conflicting write: {0}")]
    Conflict(String),
}

/// An election's results: its definition, tables, area names, imported files, acta copies and the
/// pages waiting for a person. One transaction per write; reads see committed data.
pub trait ResultStore: Send {
    /// The election.
    fn election(&self) -> Result<Election, StoreError>;

    /// The known tables with their keys, in key order.
    fn tables(&self) -> Result<Vec<(TableKey, PollingTable)>, StoreError>;

    /// The names of areas, by code.
    fn area_names(&self) -> Result<BTreeMap<AreaCode, String>, StoreError>;

    /// Everything, to compute results from, as of one moment: the copies and the decisions
    /// (in the order they were recorded, each with its log index).
    fn load_dataset(&self) -> Result<Dataset, StoreError>;

    /// Records a coordinator's decision on a table in conflict (checked above: `veedor-app`),
    /// appends `log_entry` (`veedor_formats::DecisionEntry`) to the transparency log and
    /// records `audit`, in one transaction. Decisions are only ever inserted.
    fn record_decision(
        &mut self,
        decision: &Decision,
        log_entry: &[u8],
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Applies a batch in one transaction, unless its source was applied before.
    fn apply(&mut self, batch: &Batch) -> Result<BatchOutcome, StoreError>;

    /// The imported files, oldest first.
    fn sources(&self) -> Result<Vec<StoredSource>, StoreError>;

    /// Whether a file of this kind and SHA-256 was applied.
    fn has_source(&self, kind: FileKind, sha256: &Sha256) -> Result<bool, StoreError>;

    /// The pages waiting for a person, oldest first.
    fn queue(&self) -> Result<Vec<QueueEntry>, StoreError>;

    /// A number that changes whenever anything is committed (results, registry, log), by this
    /// writer or any other, so that a reader such as the web server knows when to load again;
    /// cheap to ask often. Only equality is meaningful.
    fn data_version(&self) -> Result<u64, StoreError>;
}

/// The voter registry: voter id -> table key, replaced whole.
pub trait RegistryStore: Send {
    /// Replaces the voter registry atomically: afterwards lookups answer from the new one, or,
    /// if this fails, still from the old one. A registry file imported before (same SHA-256)
    /// is not imported again. `log_entry` (`veedor_formats::lookup::RegistryEntry`, committing
    /// to the static lookup's records) is appended to the transparency log in the same
    /// transaction, if and only if the registry is replaced.
    fn replace_registry(
        &mut self,
        registry: &Registry,
        source: &SourceFile,
        log_entry: &[u8],
    ) -> Result<BatchOutcome, StoreError>;

    /// What is known of the registry, if one was imported.
    fn registry_info(&self) -> Result<Option<RegistryInfo>, StoreError>;

    /// The table of one voter, without loading the whole registry.
    fn lookup_voter(&self, voter: VoterId) -> Result<Option<TableKey>, StoreError>;

    /// The whole registry, for a server that answers many lookups.
    fn load_registry(&self) -> Result<Registry, StoreError>;
}

/// The transparency log: entries (appended by [`ResultStore::apply`] with their copies) and
/// signed checkpoints.
pub trait LogStore: Send {
    /// Entries in the transparency log.
    fn log_size(&self) -> Result<u64, StoreError>;

    /// Waits for the signer's turn: until [`Self::end_signing_turn`], no other process that
    /// asks for the turn on this store gets it, so checkpoints are signed one at a time
    /// (PostgreSQL: an advisory lock held by the connection, released if the process dies).
    /// A store written by one process at a time needs nothing: the default does nothing.
    fn begin_signing_turn(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Ends the turn [`Self::begin_signing_turn`] began.
    fn end_signing_turn(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The leaf hashes of the log's entries, in order (RFC 6962: SHA-256 of 0x00 and the entry).
    fn log_leaf_hashes(&self) -> Result<Vec<[u8; 32]>, StoreError>;

    /// The log's entries `start..end`.
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Keeps a signed checkpoint. A checkpoint of a size already kept is ignored: the first
    /// one signed for a size stays.
    fn add_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError>;

    /// The latest signed checkpoint.
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
}

/// A volunteer's account: a pseudonym and a role, never a real name, e-mail or phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The only name veedor knows.
    pub pseudonym: Pseudonym,
    /// What they may do.
    pub role: Role,
    /// When a coordinator created it.
    pub created_at: Timestamp,
    /// SHA-256 of the one-time sign-in code, until the volunteer sets a passphrase with it.
    pub signin_code_sha256: Option<Sha256>,
    /// The passphrase's Argon2id hash, as a PHC string, once set.
    pub passphrase_hash: Option<String>,
    /// When a coordinator suspended it.
    pub suspended_at: Option<Timestamp>,
}

/// A signed-in volunteer's session as the store keeps it, so that every server on one store
/// knows it and a restart keeps it. The token itself is only in the volunteer's cookie: the
/// store keeps its SHA-256, so a copy of the database opens no session. Times to the second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session's token.
    pub token_sha256: Sha256,
    /// Whose.
    pub pseudonym: Pseudonym,
    /// The token every form and JSON write must carry.
    pub csrf: String,
    /// When the volunteer signed in.
    pub created_at: Timestamp,
    /// When it was last used (kept to the minute or so: see the desk).
    pub last_seen: Timestamp,
}

/// Which sessions [`VolunteerStore::end_sessions`] ends.
#[derive(Clone, Copy, Debug)]
pub enum EndSessions<'a> {
    /// The one with this token's SHA-256 (signing out).
    Token(&'a Sha256),
    /// Every session of a volunteer (suspended).
    Of(&'a Pseudonym),
    /// Every session last used before `idle_since` or begun before `started_before`.
    Expired {
        /// Last used before this: idle too long.
        idle_since: Timestamp,
        /// Begun before this: too old, however used.
        started_before: Timestamp,
    },
}

/// One action on the record: who (by pseudonym), when, what, on what. Append-only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// When.
    pub at: Timestamp,
    /// Who, when someone signed in did it (`None`: the command line, the operator).
    pub actor: Option<Pseudonym>,
    /// What: `user.add`, `user.suspend`, `user.passphrase`, `sign_in`, `upload`, `claim`, ...
    pub action: String,
    /// On what: a pseudonym, a table, a file's SHA-256 and page.
    pub object: String,
    /// Anything else worth keeping (a decision's reason), never a voter id or a secret.
    pub detail: String,
}

/// Volunteers' accounts and the audit log.
pub trait VolunteerStore: Send {
    /// Creates an account and records `audit` in one transaction; a pseudonym taken already
    /// is a [`StoreError::Conflict`], and nothing is stored.
    fn add_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError>;

    /// Replaces an existing account's sign-in code, passphrase and suspension (its pseudonym,
    /// role and creation stay) and records `audit`, in one transaction.
    fn update_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError>;

    /// One account.
    fn account(&self, pseudonym: &Pseudonym) -> Result<Option<Account>, StoreError>;

    /// Every account, by pseudonym.
    fn accounts(&self) -> Result<Vec<Account>, StoreError>;

    /// Appends an event to the audit log.
    fn record_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError>;

    /// The audit log, oldest first.
    fn audit(&self) -> Result<Vec<AuditEvent>, StoreError>;

    /// Appends `event` to the task of queued page `queue_id` with `audit`, in one transaction,
    /// provided the task has exactly `expected` events, the ones the event was decided on;
    /// otherwise (another volunteer acted meanwhile) a [`StoreError::Conflict`] and nothing is
    /// stored. Two servers can never both claim one task.
    fn append_task_event(
        &mut self,
        queue_id: i64,
        expected: usize,
        event: &Recorded,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// The events of the task of queued page `queue_id`, oldest first.
    fn task_events(&self, queue_id: i64) -> Result<Vec<Recorded>, StoreError>;

    /// The events of every page's task in one read, by queue id, each oldest first; a page no
    /// one has acted on is not in it. What [`Self::task_events`] gives page by page, for the
    /// desk's list of pages, which would otherwise ask once a page.
    fn all_task_events(&self) -> Result<BTreeMap<i64, Vec<Recorded>>, StoreError>;

    /// Stores a new session and ends the volunteer's least recently used others beyond `most`
    /// (this one counted, and always kept, whatever its times), in one transaction. Sessions
    /// are not results: writing them leaves [`ResultStore::data_version`] as it was, so servers
    /// do not reload for them.
    fn open_session(&mut self, session: &SessionRecord, most: usize) -> Result<(), StoreError>;

    /// The session with this token's SHA-256, if stored.
    fn session(&self, token_sha256: &Sha256) -> Result<Option<SessionRecord>, StoreError>;

    /// Records that the session was used at `at`.
    fn touch_session(&mut self, token_sha256: &Sha256, at: Timestamp) -> Result<(), StoreError>;

    /// Ends sessions; returns how many.
    fn end_sessions(&mut self, which: EndSessions<'_>) -> Result<u64, StoreError>;
}

/// Everything a data location holds: what `veedor --data LOCATION` opens.
pub trait Store: ResultStore + RegistryStore + LogStore + VolunteerStore {}

impl<T: ResultStore + RegistryStore + LogStore + VolunteerStore + ?Sized> Store for T {}

/// Scans and other files, by their SHA-256.
pub trait BlobStore: Send + Sync {
    /// Stores bytes durably (on disk, synced) and returns their SHA-256. Storing the same bytes
    /// twice stores them once.
    fn put(&self, bytes: &[u8]) -> Result<Sha256, StoreError>;

    /// The bytes with this SHA-256, if stored.
    fn get(&self, hash: &Sha256) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether bytes with this SHA-256 are stored.
    fn contains(&self, hash: &Sha256) -> Result<bool, StoreError>;
}

/// The traits, to call their methods on an adapter's own type: `use veedor_store::prelude::*;`.
pub mod prelude {
    pub use crate::{BlobStore, LogStore, RegistryStore, ResultStore, Store, VolunteerStore};
}
