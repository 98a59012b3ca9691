//! The embedded store: a data folder holding `veedor.db` (SQLite in WAL mode, full sync,
//! versioned migrations), `blobs/` (scans by SHA-256) and `registry/` (the voter registry as one
//! compact file named by its SHA-256).
//!
//! The election is kept as its definition text; the caller gives the parser when opening, so
//! that this crate need not know the file format.
#![deny(missing_docs)]

mod decisions;
mod files;
mod migrations;
mod registry_file;
mod sessions;
mod volunteers;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use veedor_core::{
    ActaCopy, ActaRecord, AreaCode, CentreCode, CopyId, Counts, Dataset, Decision, Election,
    EvidenceRef, Finding, FindingCode, Location, PollingTable, Provenance, Pseudonym, Registry,
    Sha256, SourceKind, TableId, TableKey, TableNumber, Timestamp, VoterId,
};
use veedor_store::{
    AuditEvent, Batch, BatchOutcome, FileKind, LogStore, QueueEntry, RegistryInfo, RegistryStore,
    Rejection, ResultStore, SourceFile, StoreError, StoredCheckpoint, StoredSource,
};

pub use files::{FsBlobStore, sha256};

/// The database file's name in the data folder.
pub const DATABASE_FILE: &str = "veedor.db";

fn db_error(error: rusqlite::Error) -> StoreError {
    StoreError::Database(error.to_string())
}

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// Parses a stored election definition.
pub type ElectionParser = dyn Fn(&str) -> Result<Election, String>;

/// The embedded store of one election.
pub struct SqliteStore {
    connection: Connection,
    folder: PathBuf,
    election: Election,
    /// The lock file held during the signing turn ([`LogStore::begin_signing_turn`]).
    signing: Option<std::fs::File>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("folder", &self.folder)
            .field("election", &self.election.id)
            .finish_non_exhaustive()
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(db_error)?;
    // WAL lets readers (the web server) go on while an import writes; FULL sync makes every
    // committed sheet survive a power cut, at the price of one fsync per transaction.
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 10000;",
        )
        .map_err(db_error)?;
    Ok(connection)
}

impl SqliteStore {
    /// Creates a store for an election in `folder` (created if needed). Fails if one exists.
    /// `first_log_entry` opens the transparency log (the election definition, in the format the
    /// caller publishes), in the same transaction.
    pub fn create(
        folder: &Path,
        definition: &str,
        first_log_entry: &[u8],
        parse: &ElectionParser,
        now: Timestamp,
    ) -> Result<Self, StoreError> {
        let database = folder.join(DATABASE_FILE);
        if database.exists() {
            return Err(StoreError::AlreadyInitialised {
                path: folder.display().to_string(),
            });
        }
        let election = parse(definition).map_err(|error| corrupt(format!("election: {error}")))?;
        fs::create_dir_all(folder).map_err(files::io_error(folder))?;
        let mut connection = connect(&database)?;
        migrations::migrate(&mut connection)?;
        let transaction = connection.transaction().map_err(db_error)?;
        transaction
            .execute(
                "INSERT INTO election (id, election_id, definition, created_at) VALUES (1, ?1, ?2, ?3)",
                params![election.id, definition, now.to_string()],
            )
            .map_err(db_error)?;
        transaction
            .execute(
                "INSERT INTO log_entries (idx, copy_id, entry, leaf_hash) VALUES (0, NULL, ?1, ?2)",
                params![
                    first_log_entry,
                    &veedor_ledger::leaf_hash(first_log_entry).as_bytes()[..]
                ],
            )
            .map_err(db_error)?;
        transaction.commit().map_err(db_error)?;
        Ok(Self {
            connection,
            folder: folder.to_owned(),
            signing: None,
            election,
        })
    }

    /// Opens the store in `folder`, migrating it if it is older.
    pub fn open(folder: &Path, parse: &ElectionParser) -> Result<Self, StoreError> {
        let database = folder.join(DATABASE_FILE);
        if !database.exists() {
            return Err(StoreError::NotInitialised {
                path: folder.display().to_string(),
            });
        }
        let mut connection = connect(&database)?;
        migrations::migrate(&mut connection)?;
        let definition: String = connection
            .query_row("SELECT definition FROM election WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(db_error)?
            .ok_or_else(|| corrupt("no election stored"))?;
        let election =
            parse(&definition).map_err(|error| corrupt(format!("stored election: {error}")))?;
        Ok(Self {
            connection,
            folder: folder.to_owned(),
            signing: None,
            election,
        })
    }

    /// The data folder.
    #[must_use]
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The stored election definition text.
    pub fn election_definition(&self) -> Result<String, StoreError> {
        self.connection
            .query_row("SELECT definition FROM election WHERE id = 1", [], |row| {
                row.get(0)
            })
            .map_err(db_error)
    }

    /// The blob store of this data folder.
    #[must_use]
    pub fn blobs(&self) -> FsBlobStore {
        FsBlobStore::new(self.folder.join("blobs"))
    }

    /// Every row of every table, in a stable order, as text: what tests compare before and
    /// after a failed import to show that nothing changed.
    pub fn dump(&self) -> Result<String, StoreError> {
        let mut out = String::new();
        let tables: Vec<String> = {
            let mut statement = self
                .connection
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .map_err(db_error)?;
            statement
                .query_map([], |row| row.get(0))
                .map_err(db_error)?
                .collect::<Result<_, _>>()
                .map_err(db_error)?
        };
        for table in tables {
            out.push_str(&format!("== {table}\n"));
            let mut statement = self
                .connection
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1, 2"))
                .map_err(db_error)?;
            let columns = statement.column_count();
            let mut rows = statement.query([]).map_err(db_error)?;
            while let Some(row) = rows.next().map_err(db_error)? {
                let fields: Vec<String> = (0..columns)
                    .map(|i| {
                        row.get_ref(i)
                            .map(|value| format!("{value:?}"))
                            .unwrap_or_default()
                    })
                    .collect();
                out.push_str(&fields.join("|"));
                out.push('\n');
            }
        }
        if let Some(info) = self.registry_info()? {
            out.push_str(&format!("== registry file: {} voters\n", info.voters));
        }
        Ok(out)
    }

    fn registry_path(&self, digest: &str) -> PathBuf {
        self.folder.join("registry").join(format!("{digest}.bin"))
    }

    fn current_registry_file(&self) -> Result<Option<PathBuf>, StoreError> {
        let digest: Option<String> = self
            .connection
            .query_row("SELECT file_sha256 FROM registry WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(db_error)?;
        Ok(digest.map(|digest| self.registry_path(&digest)))
    }
}

fn key_of(value: i64) -> Result<TableKey, StoreError> {
    u32::try_from(value)
        .map(TableKey::new)
        .map_err(|_| corrupt(format!("table key {value} out of range")))
}

fn table_from_row(row: &Row<'_>) -> rusqlite::Result<(i64, i64, i64, Option<i64>, bool)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn polling_table(
    (key, centre, number, registered, listed): (i64, i64, i64, Option<i64>, bool),
) -> Result<(TableKey, PollingTable), StoreError> {
    Ok((
        key_of(key)?,
        PollingTable {
            id: table_id(centre, number)?,
            registered: registered
                .map(|r| u32::try_from(r).map_err(|_| corrupt("registered voters out of range")))
                .transpose()?,
            listed,
        },
    ))
}

fn table_id(centre: i64, number: i64) -> Result<TableId, StoreError> {
    Ok(TableId::new(
        CentreCode::new(u64::try_from(centre).map_err(|_| corrupt("negative centre code"))?),
        TableNumber::new(u16::try_from(number).map_err(|_| corrupt("table number out of range"))?),
    ))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A location as its two columns: `line` or `page`, and the number.
fn location_columns(location: Location) -> (&'static str, i64) {
    match location {
        Location::Line(line) => ("line", to_i64(line)),
        Location::Page(page) => ("page", i64::from(page)),
    }
}

/// Pseudonyms as one column: separated by commas (a pseudonym has none), `NULL` for none.
fn pseudonyms_text(list: &[Pseudonym]) -> Option<String> {
    (!list.is_empty()).then(|| {
        list.iter()
            .map(Pseudonym::as_str)
            .collect::<Vec<_>>()
            .join(",")
    })
}

fn pseudonyms(text: &str) -> Result<Vec<Pseudonym>, StoreError> {
    text.split(',')
        .map(|p| Pseudonym::new(p).map_err(|e| corrupt(e.to_string())))
        .collect()
}

fn timestamp(text: &str) -> Result<Timestamp, StoreError> {
    text.parse()
        .map_err(|_| corrupt(format!("timestamp `{text}`")))
}

fn counts_text(values: &[u32]) -> String {
    let mut out = String::with_capacity(values.len() * 4);
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&value.to_string());
    }
    out
}

fn parse_counts(text: &str) -> Result<Vec<u32>, StoreError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|value| {
            value
                .parse()
                .map_err(|_| corrupt(format!("counts `{text}`")))
        })
        .collect()
}

/// A source row: kind, file name, digest, size, time.
type SourceRow = (String, String, String, i64, String);

fn source_from_row(row: &Row<'_>) -> rusqlite::Result<SourceRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn source_file((kind, file_name, digest, size, at): SourceRow) -> Result<SourceFile, StoreError> {
    Ok(SourceFile {
        kind: FileKind::parse(&kind).ok_or_else(|| corrupt(format!("source kind `{kind}`")))?,
        file_name,
        sha256: Sha256::from_hex(&digest).map_err(|e| corrupt(e.to_string()))?,
        size: u64::try_from(size).unwrap_or(0),
        received_at: timestamp(&at)?,
    })
}

fn insert_source(
    transaction: &rusqlite::Transaction<'_>,
    source: &SourceFile,
) -> Result<Result<i64, Timestamp>, StoreError> {
    let existing: Option<String> = transaction
        .query_row(
            "SELECT received_at FROM sources WHERE kind = ?1 AND sha256 = ?2",
            params![source.kind.as_str(), source.sha256.to_hex()],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_error)?;
    if let Some(at) = existing {
        return Ok(Err(timestamp(&at)?));
    }
    transaction
        .execute(
            "INSERT INTO sources (kind, file_name, sha256, size, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                source.kind.as_str(),
                source.file_name,
                source.sha256.to_hex(),
                to_i64(source.size),
                source.received_at.to_string()
            ],
        )
        .map_err(db_error)?;
    Ok(Ok(transaction.last_insert_rowid()))
}

fn area_key(area: AreaCode) -> Option<(i64, i64)> {
    match area {
        AreaCode::National => None,
        AreaCode::Area { level, prefix } => Some((i64::from(level), to_i64(prefix))),
    }
}

impl ResultStore for SqliteStore {
    fn election(&self) -> Result<Election, StoreError> {
        Ok(self.election.clone())
    }

    fn tables(&self) -> Result<Vec<(TableKey, PollingTable)>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT key, centre, number, registered, listed FROM polling_tables ORDER BY key",
            )
            .map_err(db_error)?;
        let rows = statement
            .query_map([], table_from_row)
            .map_err(db_error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_error)?;
        rows.into_iter().map(polling_table).collect()
    }

    fn area_names(&self) -> Result<BTreeMap<AreaCode, String>, StoreError> {
        read_area_names(&self.connection)
    }

    fn load_dataset(&self) -> Result<Dataset, StoreError> {
        // One read transaction, so that tables, names and copies are of the same moment.
        let transaction = self.connection.unchecked_transaction().map_err(db_error)?;
        let tables = self.tables()?;
        let area_names = read_area_names(&transaction)?;
        let mut findings: HashMap<i64, Vec<Finding>> = HashMap::new();
        {
            let mut statement = transaction
                .prepare("SELECT copy_id, code, detail FROM findings ORDER BY rowid")
                .map_err(db_error)?;
            let mut rows = statement.query([]).map_err(db_error)?;
            while let Some(row) = rows.next().map_err(db_error)? {
                let code: String = row.get(1).map_err(db_error)?;
                findings
                    .entry(row.get(0).map_err(db_error)?)
                    .or_default()
                    .push(Finding {
                        code: FindingCode::parse(&code)
                            .ok_or_else(|| corrupt(format!("finding code `{code}`")))?,
                        detail: row.get(2).map_err(db_error)?,
                    });
            }
        }
        let mut copies = Vec::new();
        {
            let mut statement = transaction
                .prepare(
                    "SELECT id, centre, number, counts_kind, counts, null_votes, stated_valid,
                            stated_registered, format_fields, source_kind, file_name, file_sha256,
                            location_kind, location, received_at, device, volunteer, l.idx,
                            published_sha256, same_image_as, entered_by, declared_counts
                     FROM copies LEFT JOIN log_entries l ON l.copy_id = copies.id ORDER BY copies.id",
                )
                .map_err(db_error)?;
            let mut rows = statement.query([]).map_err(db_error)?;
            while let Some(row) = rows.next().map_err(db_error)? {
                copies.push(copy_from_row(row, &mut findings)?);
            }
        }
        let decisions = decisions::read_decisions(&transaction)?;
        drop(transaction);
        Ok(Dataset {
            election: self.election.clone(),
            tables,
            area_names,
            copies,
            decisions,
        })
    }

    fn record_decision(
        &mut self,
        decision: &Decision,
        log_entry: &[u8],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.insert_decision(decision, log_entry, audit)
    }

    fn apply(&mut self, batch: &Batch) -> Result<BatchOutcome, StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let source_id = match insert_source(&transaction, &batch.source)? {
            Ok(id) => id,
            Err(at) => return Ok(BatchOutcome::AlreadyApplied { at }),
        };
        for table in &batch.new_tables {
            let inserted = transaction
                .execute(
                    "INSERT INTO polling_tables (centre, number, registered, listed, source_id)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (centre, number) DO NOTHING",
                    params![
                        to_i64(table.id.centre.get()),
                        i64::from(table.id.number.get()),
                        table.registered.map(i64::from),
                        table.listed,
                        source_id
                    ],
                )
                .map_err(db_error)?;
            if inserted == 0 {
                return Err(StoreError::Conflict(format!(
                    "table {} centre {} exists already",
                    table.id.number.get(),
                    table.id.centre.get()
                )));
            }
        }
        for table in &batch.changed_tables {
            let updated = transaction
                .execute(
                    "UPDATE polling_tables SET registered = ?3, listed = ?4 WHERE centre = ?1 AND number = ?2",
                    params![
                        to_i64(table.id.centre.get()),
                        i64::from(table.id.number.get()),
                        table.registered.map(i64::from),
                        table.listed
                    ],
                )
                .map_err(db_error)?;
            if updated == 0 {
                return Err(StoreError::Conflict(format!(
                    "table {} centre {} does not exist",
                    table.id.number.get(),
                    table.id.centre.get()
                )));
            }
        }
        {
            let mut statement = transaction
                .prepare_cached(
                    "INSERT INTO areas (level, prefix, name) VALUES (?1, ?2, ?3)
                     ON CONFLICT (level, prefix) DO UPDATE SET name = excluded.name",
                )
                .map_err(db_error)?;
            for (area, name) in &batch.area_names {
                if let Some((level, prefix)) = area_key(*area) {
                    statement
                        .execute(params![level, prefix, name])
                        .map_err(db_error)?;
                }
            }
        }
        let mut copies_added = 0;
        let mut log_size: i64 = transaction
            .query_row("SELECT count(*) FROM log_entries", [], |row| row.get(0))
            .map_err(db_error)?;
        {
            let mut append_entry = transaction
                .prepare_cached(
                    "INSERT INTO log_entries (idx, copy_id, entry, leaf_hash) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_error)?;
            let mut insert = transaction
                .prepare_cached(
                    "INSERT INTO copies (centre, number, counts_kind, counts, null_votes, stated_valid,
                        stated_registered, format_fields, source_kind, source_id, file_name, file_sha256,
                        location_kind, location, received_at, device, volunteer, published_sha256,
                        same_image_as, entered_by, declared_counts)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                        ?18, ?19, ?20, ?21) ON CONFLICT DO NOTHING",
                )
                .map_err(db_error)?;
            let mut insert_finding = transaction
                .prepare_cached("INSERT INTO findings (copy_id, code, detail) VALUES (?1, ?2, ?3)")
                .map_err(db_error)?;
            for copy in &batch.copies {
                let record = &copy.record;
                let provenance = &copy.provenance;
                let (counts_kind, counts) = match &record.counts {
                    Counts::Cells(values) => ("cells", counts_text(values)),
                    Counts::Candidates(values) => ("candidates", counts_text(values)),
                };
                let (location_kind, location) = location_columns(provenance.location);
                let fields = serde_json::to_string(&record.format_fields)
                    .map_err(|error| corrupt(error.to_string()))?;
                let declared = serde_json::to_string(&record.declared_counts)
                    .map_err(|error| corrupt(error.to_string()))?;
                let inserted = insert
                    .execute(params![
                        to_i64(record.table.centre.get()),
                        i64::from(record.table.number.get()),
                        counts_kind,
                        counts,
                        record.null_votes,
                        record.stated_valid_votes,
                        record.stated_registered,
                        fields,
                        provenance.source.as_str(),
                        source_id,
                        provenance.file_name,
                        provenance.file_sha256.to_hex(),
                        location_kind,
                        location,
                        provenance.received_at.to_string(),
                        provenance.device,
                        provenance.volunteer.as_ref().map(Pseudonym::as_str),
                        provenance.published_sha256.map(|sha| sha.to_hex()),
                        provenance.same_image_as.map(|earlier| earlier.describe()),
                        pseudonyms_text(&provenance.entered_by),
                        declared,
                    ])
                    .map_err(db_error)?;
                if inserted == 1 {
                    copies_added += 1;
                    let copy_id = transaction.last_insert_rowid();
                    let leaf = veedor_ledger::leaf_hash(&copy.log_entry);
                    append_entry
                        .execute(params![
                            log_size,
                            copy_id,
                            copy.log_entry,
                            &leaf.as_bytes()[..]
                        ])
                        .map_err(db_error)?;
                    log_size += 1;
                    for finding in &copy.findings {
                        insert_finding
                            .execute(params![copy_id, finding.code.code(), finding.detail])
                            .map_err(db_error)?;
                    }
                }
            }
            let mut insert_queued = transaction
                .prepare_cached(
                    "INSERT OR IGNORE INTO queue (source_id, page, reason) VALUES (?1, ?2, ?3)",
                )
                .map_err(db_error)?;
            for queued in &batch.queue {
                insert_queued
                    .execute(params![source_id, queued.page, queued.reason])
                    .map_err(db_error)?;
            }
            let mut insert_rejection = transaction
                .prepare_cached(
                    "INSERT INTO rejections (source_id, location, message) VALUES (?1, ?2, ?3)",
                )
                .map_err(db_error)?;
            for rejection in &batch.rejections {
                insert_rejection
                    .execute(params![source_id, rejection.location, rejection.message])
                    .map_err(db_error)?;
            }
        }
        bump_version(&transaction)?;
        transaction.commit().map_err(db_error)?;
        Ok(BatchOutcome::Applied {
            copies_added,
            tables_added: batch.new_tables.len(),
            tables_updated: batch.changed_tables.len(),
        })
    }

    fn sources(&self) -> Result<Vec<StoredSource>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT kind, file_name, sha256, size, received_at, id FROM sources ORDER BY id",
            )
            .map_err(db_error)?;
        let rows: Vec<(SourceRow, i64)> = statement
            .query_map([], |row| Ok((source_from_row(row)?, row.get(5)?)))
            .map_err(db_error)?
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        let mut rejections_of = self
            .connection
            .prepare("SELECT location, message FROM rejections WHERE source_id = ?1 ORDER BY rowid")
            .map_err(db_error)?;
        rows.into_iter()
            .map(|(row, id)| {
                let rejections = rejections_of
                    .query_map([id], |row| {
                        Ok(Rejection {
                            location: row.get(0)?,
                            message: row.get(1)?,
                        })
                    })
                    .map_err(db_error)?
                    .collect::<Result<_, _>>()
                    .map_err(db_error)?;
                Ok(StoredSource {
                    source: source_file(row)?,
                    rejections,
                })
            })
            .collect()
    }

    fn has_source(&self, kind: FileKind, sha256: &Sha256) -> Result<bool, StoreError> {
        self.connection
            .query_row(
                "SELECT 1 FROM sources WHERE kind = ?1 AND sha256 = ?2",
                params![kind.as_str(), sha256.to_hex()],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(db_error)
    }

    fn queue(&self) -> Result<Vec<QueueEntry>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT q.id, s.file_name, s.sha256, q.page, q.reason, s.received_at
                 FROM queue q JOIN sources s ON s.id = q.source_id ORDER BY q.id",
            )
            .map_err(db_error)?;
        let rows: Vec<(i64, String, String, i64, String, String)> = statement
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                ))
            })
            .map_err(db_error)?
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        rows.into_iter()
            .map(|(id, file_name, digest, page, reason, at)| {
                Ok(QueueEntry {
                    id,
                    file_name,
                    file_sha256: Sha256::from_hex(&digest).map_err(|e| corrupt(e.to_string()))?,
                    page: u32::try_from(page).map_err(|_| corrupt("queue page"))?,
                    reason,
                    received_at: timestamp(&at)?,
                })
            })
            .collect()
    }

    fn data_version(&self) -> Result<u64, StoreError> {
        // A row every write transaction increments (`bump_version`), not SQLite's
        // `PRAGMA data_version`, which does not change for this connection's own writes.
        let version: i64 = self
            .connection
            .query_row("SELECT version FROM data_version WHERE id = 1", [], |row| {
                row.get(0)
            })
            .map_err(db_error)?;
        Ok(u64::try_from(version).unwrap_or(0))
    }
}

impl RegistryStore for SqliteStore {
    fn replace_registry(
        &mut self,
        registry: &Registry,
        source: &SourceFile,
        log_entry: &[u8],
    ) -> Result<BatchOutcome, StoreError> {
        let previous = self.current_registry_file()?;
        // The file first, streamed and synced under a name of its own hash; then the row that
        // makes it current. A crash in between leaves an unused file, never a current registry
        // that is missing or partial.
        let (digest, path) =
            files::write_content_addressed(&self.folder.join("registry"), "bin", |out| {
                registry_file::write(registry, out)
            })?;
        let digest = digest.to_hex();
        if previous.as_ref() == Some(&path) {
            let at: String = self
                .connection
                .query_row(
                    "SELECT s.received_at FROM registry r JOIN sources s ON s.id = r.source_id WHERE r.id = 1",
                    [],
                    |row| row.get(0),
                )
                .map_err(db_error)?;
            return Ok(BatchOutcome::AlreadyApplied {
                at: timestamp(&at)?,
            });
        }
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let source_id = match insert_source(&transaction, source)? {
            Ok(id) => id,
            // The same file imported before and since replaced: make it current again.
            Err(_) => transaction
                .query_row(
                    "SELECT id FROM sources WHERE kind = ?1 AND sha256 = ?2",
                    params![source.kind.as_str(), source.sha256.to_hex()],
                    |row| row.get(0),
                )
                .map_err(db_error)?,
        };
        transaction
            .execute(
                "INSERT INTO registry (id, file_sha256, voters, source_id) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET file_sha256 = excluded.file_sha256,
                     voters = excluded.voters, source_id = excluded.source_id",
                params![
                    digest,
                    to_i64(u64::try_from(registry.len()).unwrap_or(u64::MAX)),
                    source_id
                ],
            )
            .map_err(db_error)?;
        let log_size: i64 = transaction
            .query_row("SELECT count(*) FROM log_entries", [], |row| row.get(0))
            .map_err(db_error)?;
        transaction
            .execute(
                "INSERT INTO log_entries (idx, copy_id, entry, leaf_hash) VALUES (?1, NULL, ?2, ?3)",
                params![
                    log_size,
                    log_entry,
                    &veedor_ledger::leaf_hash(log_entry).as_bytes()[..]
                ],
            )
            .map_err(db_error)?;
        bump_version(&transaction)?;
        transaction.commit().map_err(db_error)?;
        if let Some(previous) = previous.filter(|p| *p != path)
            && let Err(error) = fs::remove_file(&previous)
        {
            tracing::warn!(path = %previous.display(), %error, "could not remove the previous registry file");
        }
        Ok(BatchOutcome::Applied {
            copies_added: 0,
            tables_added: 0,
            tables_updated: 0,
        })
    }

    fn registry_info(&self) -> Result<Option<RegistryInfo>, StoreError> {
        let row = self
            .connection
            .query_row(
                "SELECT r.voters, s.kind, s.file_name, s.sha256, s.size, s.received_at
                 FROM registry r JOIN sources s ON s.id = r.source_id WHERE r.id = 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        (
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                        ),
                    ))
                },
            )
            .optional()
            .map_err(db_error)?;
        row.map(|(voters, source)| {
            Ok(RegistryInfo {
                voters: u64::try_from(voters).unwrap_or(0),
                source: source_file(source)?,
            })
        })
        .transpose()
    }

    fn lookup_voter(&self, voter: VoterId) -> Result<Option<TableKey>, StoreError> {
        match self.current_registry_file()? {
            Some(path) => registry_file::lookup(&path, voter),
            None => Ok(None),
        }
    }

    fn load_registry(&self) -> Result<Registry, StoreError> {
        match self.current_registry_file()? {
            Some(path) => {
                let bytes = fs::read(&path).map_err(files::io_error(&path))?;
                registry_file::decode(&bytes, &path)
            }
            None => Ok(Registry::empty()),
        }
    }
}

/// The file whose lock is the signing turn: several processes on one data folder (a server's
/// desk and an ingest) sign one at a time.
const SIGNING_LOCK_FILE: &str = "signing.lock";

impl LogStore for SqliteStore {
    fn begin_signing_turn(&mut self) -> Result<(), StoreError> {
        let path = self.folder.join(SIGNING_LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(files::io_error(&path))?;
        // Blocks until no other process holds it; the system releases it if the holder dies.
        file.lock().map_err(files::io_error(&path))?;
        self.signing = Some(file);
        Ok(())
    }

    fn end_signing_turn(&mut self) -> Result<(), StoreError> {
        let path = self.folder.join(SIGNING_LOCK_FILE);
        let file = self.signing.take().ok_or_else(|| {
            StoreError::Corrupt("the log's signing turn ended without being held".into())
        })?;
        file.unlock().map_err(files::io_error(&path))
    }

    fn log_size(&self) -> Result<u64, StoreError> {
        let size: i64 = self
            .connection
            .query_row("SELECT count(*) FROM log_entries", [], |row| row.get(0))
            .map_err(db_error)?;
        Ok(u64::try_from(size).unwrap_or(0))
    }

    fn log_leaf_hashes(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT leaf_hash FROM log_entries ORDER BY idx")
            .map_err(db_error)?;
        let mut rows = statement.query([]).map_err(db_error)?;
        let mut hashes = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            let bytes = row
                .get_ref(0)
                .map_err(db_error)?
                .as_blob()
                .map_err(|e| db_error(e.into()))?;
            hashes.push(<[u8; 32]>::try_from(bytes).map_err(|_| corrupt("leaf hash length"))?);
        }
        Ok(hashes)
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT entry FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
            )
            .map_err(db_error)?;
        let entries = statement
            .query_map(params![to_i64(start), to_i64(end)], |row| row.get(0))
            .map_err(db_error)?
            .collect::<Result<Vec<Vec<u8>>, _>>()
            .map_err(db_error)?;
        Ok(entries)
    }

    fn add_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let added = transaction
            .execute(
                "INSERT INTO checkpoints (size, note, signed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (size) DO NOTHING",
                params![
                    to_i64(checkpoint.size),
                    checkpoint.note,
                    checkpoint.signed_at.to_string()
                ],
            )
            .map_err(db_error)?;
        if added == 1 {
            bump_version(&transaction)?;
        }
        transaction.commit().map_err(db_error)?;
        Ok(())
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = self
            .connection
            .query_row(
                "SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1",
                [],
                checkpoint_from_row,
            )
            .optional()
            .map_err(db_error)?;
        row.map(|(size, note, at)| {
            Ok(StoredCheckpoint {
                size: u64::try_from(size).map_err(|_| corrupt("checkpoint size"))?,
                note,
                signed_at: timestamp(&at)?,
            })
        })
        .transpose()
    }
}

/// Every write transaction calls this, so that [`ResultStore::data_version`] changes.
fn bump_version(transaction: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    transaction
        .execute(
            "UPDATE data_version SET version = version + 1 WHERE id = 1",
            [],
        )
        .map_err(db_error)?;
    Ok(())
}

fn read_area_names(connection: &Connection) -> Result<BTreeMap<AreaCode, String>, StoreError> {
    let mut area_names = BTreeMap::new();
    let mut statement = connection
        .prepare_cached("SELECT level, prefix, name FROM areas")
        .map_err(db_error)?;
    let mut rows = statement.query([]).map_err(db_error)?;
    while let Some(row) = rows.next().map_err(db_error)? {
        let level: i64 = row.get(0).map_err(db_error)?;
        let prefix: i64 = row.get(1).map_err(db_error)?;
        area_names.insert(
            AreaCode::Area {
                level: u8::try_from(level).map_err(|_| corrupt("area level"))?,
                prefix: u64::try_from(prefix).map_err(|_| corrupt("area prefix"))?,
            },
            row.get(2).map_err(db_error)?,
        );
    }
    Ok(area_names)
}

fn checkpoint_from_row(row: &Row<'_>) -> rusqlite::Result<(i64, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn copy_from_row(
    row: &Row<'_>,
    findings: &mut HashMap<i64, Vec<Finding>>,
) -> Result<ActaCopy, StoreError> {
    let get_error = |error: rusqlite::Error| db_error(error);
    let id: i64 = row.get(0).map_err(get_error)?;
    let counts_kind: String = row.get(3).map_err(get_error)?;
    let counts = parse_counts(&row.get::<_, String>(4).map_err(get_error)?)?;
    let counts = match counts_kind.as_str() {
        "cells" => Counts::Cells(counts),
        _ => Counts::Candidates(counts),
    };
    let optional_u32 = |index: usize| -> Result<Option<u32>, StoreError> {
        row.get::<_, Option<i64>>(index)
            .map_err(get_error)?
            .map(|v| u32::try_from(v).map_err(|_| corrupt("count out of range")))
            .transpose()
    };
    let fields: String = row.get(8).map_err(get_error)?;
    let format_fields: Vec<(String, String)> = serde_json::from_str(&fields)
        .map_err(|error| corrupt(format!("format fields: {error}")))?;
    let declared: String = row.get(21).map_err(get_error)?;
    let declared_counts: Vec<(String, u32)> = serde_json::from_str(&declared)
        .map_err(|error| corrupt(format!("declared counts: {error}")))?;
    let source_kind: String = row.get(9).map_err(get_error)?;
    let location_kind: String = row.get(12).map_err(get_error)?;
    let location: i64 = row.get(13).map_err(get_error)?;
    let location = match location_kind.as_str() {
        "page" => Location::Page(u32::try_from(location).map_err(|_| corrupt("page"))?),
        _ => Location::Line(u64::try_from(location).map_err(|_| corrupt("line"))?),
    };
    let volunteer: Option<String> = row.get(16).map_err(get_error)?;
    Ok(ActaCopy {
        id: CopyId::new(id),
        record: ActaRecord {
            table: table_id(
                row.get(1).map_err(get_error)?,
                row.get(2).map_err(get_error)?,
            )?,
            counts,
            null_votes: optional_u32(5)?,
            stated_valid_votes: optional_u32(6)?,
            stated_registered: optional_u32(7)?,
            format_fields,
            declared_counts,
        },
        provenance: Provenance {
            source: SourceKind::parse(&source_kind)
                .ok_or_else(|| corrupt(format!("source kind `{source_kind}`")))?,
            file_name: row.get(10).map_err(get_error)?,
            file_sha256: Sha256::from_hex(&row.get::<_, String>(11).map_err(get_error)?)
                .map_err(|e| corrupt(e.to_string()))?,
            location,
            received_at: timestamp(&row.get::<_, String>(14).map_err(get_error)?)?,
            device: row.get(15).map_err(get_error)?,
            volunteer: volunteer
                .map(|v| Pseudonym::new(&v).map_err(|e| corrupt(e.to_string())))
                .transpose()?,
            published_sha256: row
                .get::<_, Option<String>>(18)
                .map_err(get_error)?
                .map(|hex| Sha256::from_hex(&hex).map_err(|e| corrupt(e.to_string())))
                .transpose()?,
            same_image_as: row
                .get::<_, Option<String>>(19)
                .map_err(get_error)?
                .map(|text| {
                    EvidenceRef::parse(&text)
                        .ok_or_else(|| corrupt(format!("same image as `{text}`")))
                })
                .transpose()?,
            entered_by: row
                .get::<_, Option<String>>(20)
                .map_err(get_error)?
                .map(|text| pseudonyms(&text))
                .transpose()?
                .unwrap_or_default(),
        },
        findings: findings.remove(&id).unwrap_or_default(),
        log_index: row
            .get::<_, Option<i64>>(17)
            .map_err(get_error)?
            .and_then(|i| u64::try_from(i).ok()),
    })
}
