//! The PostgreSQL store: an election's records, its transparency log, its voter registry and
//! its volunteers in one PostgreSQL schema, behind the same port (`veedor-store`) as the
//! embedded SQLite store, with the same guarantees, checked by the same conformance suite
//! (`veedor-store-conformance`). Scans are not in the database: they stay in a file-system blob
//! store beside it.
//!
//! - Opened by address: [`PostgresStore::create`] and [`PostgresStore::open`] take a
//!   `postgres://` URL (or a `key=value` connection string); the schema is the connection's
//!   `search_path` (an `options=-csearch_path%3D...` parameter selects another), and
//!   [`fresh_schema`] makes a new empty one for a test.
//! - Versioned migrations (`migrations.rs`): a `schema_version` row, each migration in its own
//!   transaction; a database of a newer veedor is refused.
//! - Every write is one transaction that first locks the `data_version` row and, if it stored
//!   anything, increments it before committing: writers wait for each other (log indexes and ids
//!   are given out without gaps, as the log requires), and [`ResultStore::data_version`] changes
//!   with every commit of any process and never on a read.
//! - Copies, findings, sources, rejections, log entries, checkpoints, audit events and task
//!   events are only inserted: triggers raise on any update, delete or truncation.
//! - Bulk rows (a batch's copies, findings and log entries, a table list, the registry's
//!   chunks) are sent with `COPY ... FROM STDIN BINARY`.
//! - The registry is kept in chunks of packed entries (`registry.rs`), about 8 bytes a voter.
//!
//! The driver is the `postgres` crate, the synchronous client over `tokio-postgres`: the port is
//! synchronous, and this fits it without a runtime of our own. Measured against `sqlx` on the
//! registry's `COPY`, lookups and reads (`docs/postgres.md`), neither was faster beyond the
//! noise. Connections are unencrypted (`NoTls`): use a Unix socket or a trusted network.
#![deny(missing_docs)]

mod decisions;
mod migrations;
mod registry;
mod sessions;
mod volunteers;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, IsolationLevel, NoTls, Row, Statement, Transaction};
use veedor_core::{
    ActaCopy, ActaRecord, AreaCode, CentreCode, CopyId, Counts, Dataset, Election, EvidenceRef,
    Finding, FindingCode, Location, PollingTable, Provenance, Pseudonym, Sha256, SourceKind,
    TableId, TableKey, TableNumber, Timestamp,
};
use veedor_store::{
    Batch, BatchOutcome, FileKind, LogStore, NewCopy, QueueEntry, Rejection, ResultStore,
    SourceFile, StoreError, StoredCheckpoint, StoredSource,
};

fn db_error(error: postgres::Error) -> StoreError {
    // The server's message with its detail, not only "db error".
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => StoreError::Database(format!("{}: {detail}", db.message())),
            None => StoreError::Database(db.message().to_owned()),
        },
        None => StoreError::Database(error.to_string()),
    }
}

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// Parses a stored election definition.
pub type ElectionParser = dyn Fn(&str) -> Result<Election, String>;

/// The PostgreSQL store of one election, on one connection.
pub struct PostgresStore {
    // The port reads through `&self`; the client needs `&mut`. One connection per store value:
    // a server that reads on many threads opens a store per thread.
    client: Mutex<Connection>,
    election: Election,
}

/// The connection, with the statements prepared on it for the reads asked most often (a
/// voter's lookup, the data version a server polls): one round trip each instead of two.
struct Connection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Connection {
    fn new(client: Client) -> Mutex<Self> {
        Mutex::new(Self {
            client,
            statements: HashMap::new(),
        })
    }
}

impl std::ops::Deref for Connection {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("election", &self.election.id)
            .finish_non_exhaustive()
    }
}

fn connect(address: &str) -> Result<Client, StoreError> {
    Client::connect(address, NoTls).map_err(db_error)
}

/// Where an address points, for messages: the address without its password.
fn describe(address: &str) -> String {
    match address.parse::<postgres::Config>() {
        Ok(config) => format!(
            "database {} on {}",
            config.get_dbname().unwrap_or("(default)"),
            config
                .get_hosts()
                .iter()
                .map(|host| match host {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        ),
        Err(_) => "the PostgreSQL address given".to_owned(),
    }
}

impl PostgresStore {
    /// Creates the store of an election in the schema the address selects (migrating an empty
    /// one). Fails with [`StoreError::AlreadyInitialised`] if an election is stored there.
    /// `first_log_entry` opens the transparency log (the election definition, in the format
    /// the caller publishes), in the same transaction.
    pub fn create(
        address: &str,
        definition: &str,
        first_log_entry: &[u8],
        parse: &ElectionParser,
        now: Timestamp,
    ) -> Result<Self, StoreError> {
        let election = parse(definition).map_err(|error| corrupt(format!("election: {error}")))?;
        let mut client = connect(address)?;
        migrations::migrate(&mut client)?;
        let mut transaction = client.transaction().map_err(db_error)?;
        transaction
            .execute("LOCK TABLE election IN EXCLUSIVE MODE", &[])
            .map_err(db_error)?;
        let exists = transaction
            .query_opt("SELECT 1 FROM election WHERE id = 1", &[])
            .map_err(db_error)?
            .is_some();
        if exists {
            return Err(StoreError::AlreadyInitialised {
                path: describe(address),
            });
        }
        transaction
            .execute(
                "INSERT INTO election (id, election_id, definition, created_at) VALUES (1, $1, $2, $3)",
                &[&election.id, &definition, &now.to_string()],
            )
            .map_err(db_error)?;
        transaction
            .execute(
                "INSERT INTO log_entries (idx, copy_id, entry, leaf_hash) VALUES (0, NULL, $1, $2)",
                &[
                    &first_log_entry,
                    &&veedor_ledger::leaf_hash(first_log_entry).as_bytes()[..],
                ],
            )
            .map_err(db_error)?;
        transaction
            .execute(
                "UPDATE data_version SET version = version + 1 WHERE id = 1",
                &[],
            )
            .map_err(db_error)?;
        transaction.commit().map_err(db_error)?;
        Ok(Self {
            client: Connection::new(client),
            election,
        })
    }

    /// Opens the store in the schema the address selects, migrating it if it is older.
    pub fn open(address: &str, parse: &ElectionParser) -> Result<Self, StoreError> {
        let mut client = connect(address)?;
        let not_initialised = || StoreError::NotInitialised {
            path: describe(address),
        };
        if migrations::version(&mut client)?.is_none() {
            return Err(not_initialised());
        }
        migrations::migrate(&mut client)?;
        let definition: String = client
            .query_opt("SELECT definition FROM election WHERE id = 1", &[])
            .map_err(db_error)?
            .ok_or_else(not_initialised)?
            .get(0);
        let election =
            parse(&definition).map_err(|error| corrupt(format!("stored election: {error}")))?;
        Ok(Self {
            client: Connection::new(client),
            election,
        })
    }

    /// The stored election definition text.
    pub fn election_definition(&self) -> Result<String, StoreError> {
        Ok(self
            .client()
            .query_one("SELECT definition FROM election WHERE id = 1", &[])
            .map_err(db_error)?
            .get(0))
    }

    /// The schema version this build of veedor writes.
    #[must_use]
    pub fn schema_version() -> i64 {
        migrations::latest()
    }

    fn client(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held dropped its transaction, which rolled back.
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a read with a statement prepared once per connection.
    fn query_prepared(
        &self,
        sql: &'static str,
        parameters: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let mut guard = self.client();
        let connection = &mut *guard;
        let statement = match connection.statements.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = connection.client.prepare(sql).map_err(db_error)?;
                connection.statements.insert(sql, statement.clone());
                statement
            }
        };
        connection
            .client
            .query(&statement, parameters)
            .map_err(db_error)
    }

    /// Runs `work` in one write transaction: the `data_version` row locked first (writers
    /// wait for each other), incremented and committed if `work` stored something, rolled
    /// back if it did not or failed.
    fn write<T>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<Written<T>, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_after(|_| Ok(()), work)
    }

    /// [`Self::write`], with `first` run in the transaction before the writers' turn is taken:
    /// the row locks that must be taken before it (a task's, [`volunteers`]), so that a
    /// process that waits for such a row does not hold up every writer meanwhile.
    fn write_after<T>(
        &self,
        first: impl FnOnce(&mut Transaction<'_>) -> Result<(), StoreError>,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<Written<T>, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client();
        let mut transaction = client.transaction().map_err(db_error)?;
        first(&mut transaction)?;
        transaction
            .execute(
                "SELECT version FROM data_version WHERE id = 1 FOR UPDATE",
                &[],
            )
            .map_err(db_error)?;
        match work(&mut transaction)? {
            Written::Stored(value) => {
                transaction
                    .execute(
                        "UPDATE data_version SET version = version + 1 WHERE id = 1",
                        &[],
                    )
                    .map_err(db_error)?;
                transaction.commit().map_err(db_error)?;
                Ok(value)
            }
            Written::Nothing(value) => Ok(value),
        }
    }
}

/// Whether a write transaction stored something.
enum Written<T> {
    /// It did: commit and change the data version.
    Stored(T),
    /// It did not: roll back.
    Nothing(T),
}

/// Creates a new, empty schema in the database at `address` and returns the address with
/// that schema as its `search_path`: a store created there is apart from every other. For
/// tests, each of which runs on a schema of its own.
pub fn fresh_schema(address: &str) -> Result<String, StoreError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let name = format!(
        "veedor_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut client = connect(address)?;
    client
        .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
        .map_err(db_error)?;
    Ok(with_search_path(address, &name))
}

/// The address with `schema` as its `search_path` (`options=-csearch_path=schema`, encoded).
#[must_use]
pub fn with_search_path(address: &str, schema: &str) -> String {
    let encoded: String = schema
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || byte == b'_' {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    let separator = if address.contains('?') { '&' } else { '?' };
    format!("{address}{separator}options=-csearch_path%3D{encoded}")
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn key_of(value: i64) -> Result<TableKey, StoreError> {
    u32::try_from(value)
        .map(TableKey::new)
        .map_err(|_| corrupt(format!("table key {value} out of range")))
}

fn table_id(centre: i64, number: i64) -> Result<TableId, StoreError> {
    Ok(TableId::new(
        CentreCode::new(u64::try_from(centre).map_err(|_| corrupt("negative centre code"))?),
        TableNumber::new(u16::try_from(number).map_err(|_| corrupt("table number out of range"))?),
    ))
}

fn timestamp(text: &str) -> Result<Timestamp, StoreError> {
    text.parse()
        .map_err(|_| corrupt(format!("timestamp `{text}`")))
}

fn sha256(bytes: &[u8]) -> Result<Sha256, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(Sha256::from_bytes)
        .map_err(|_| corrupt("a SHA-256 that is not 32 bytes"))
}

fn optional_u32(value: Option<i64>, what: &str) -> Result<Option<u32>, StoreError> {
    value
        .map(|v| u32::try_from(v).map_err(|_| corrupt(format!("{what} out of range"))))
        .transpose()
}

fn counts_column(values: &[u32]) -> Vec<i64> {
    values.iter().map(|&value| i64::from(value)).collect()
}

fn counts_from_column(values: &[i64]) -> Result<Vec<u32>, StoreError> {
    values
        .iter()
        .map(|&value| u32::try_from(value).map_err(|_| corrupt("count out of range")))
        .collect()
}

fn counts_columns(counts: &Counts) -> (&'static str, Vec<i64>) {
    match counts {
        Counts::Cells(values) => ("cells", counts_column(values)),
        Counts::Candidates(values) => ("candidates", counts_column(values)),
    }
}

fn counts_from(kind: &str, values: &[i64]) -> Result<Counts, StoreError> {
    let values = counts_from_column(values)?;
    match kind {
        "cells" => Ok(Counts::Cells(values)),
        "candidates" => Ok(Counts::Candidates(values)),
        other => Err(corrupt(format!("counts kind `{other}`"))),
    }
}

/// A location as its two columns: `line` or `page`, and the number.
fn location_columns(location: Location) -> (&'static str, i64) {
    match location {
        Location::Line(line) => ("line", to_i64(line)),
        Location::Page(page) => ("page", i64::from(page)),
    }
}

fn pseudonym(text: &str) -> Result<Pseudonym, StoreError> {
    Pseudonym::new(text).map_err(|e| corrupt(e.to_string()))
}

fn area_key(area: AreaCode) -> Option<(i64, i64)> {
    match area {
        AreaCode::National => None,
        AreaCode::Area { level, prefix } => Some((i64::from(level), to_i64(prefix))),
    }
}

/// The next id of a table whose ids the writers give out (under the `data_version` lock).
fn next_id(
    transaction: &mut Transaction<'_>,
    table: &str,
    column: &str,
) -> Result<i64, StoreError> {
    Ok(transaction
        .query_one(
            &format!("SELECT coalesce(max({column}) + 1, $1) FROM {table}"),
            &[&if column == "idx" { 0i64 } else { 1i64 }],
        )
        .map_err(db_error)?
        .get(0))
}

/// Sends rows with `COPY table (columns) FROM STDIN BINARY`.
fn copy_rows<'row>(
    transaction: &mut Transaction<'_>,
    table: &str,
    columns: &[(&str, Type)],
    rows: impl IntoIterator<Item = Vec<&'row (dyn ToSql + Sync)>>,
) -> Result<u64, StoreError> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let types: Vec<Type> = columns.iter().map(|(_, kind)| kind.clone()).collect();
    let sink = transaction
        .copy_in(&format!(
            "COPY {table} ({}) FROM STDIN BINARY",
            names.join(", ")
        ))
        .map_err(db_error)?;
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    for row in rows {
        writer.write(&row).map_err(db_error)?;
    }
    writer.finish().map_err(db_error)
}

/// Inserts a source, or returns when the same file (kind and SHA-256) was stored.
fn insert_source(
    transaction: &mut Transaction<'_>,
    source: &SourceFile,
) -> Result<Result<i64, (i64, Timestamp)>, StoreError> {
    let existing = transaction
        .query_opt(
            "SELECT id, received_at FROM sources WHERE kind = $1 AND sha256 = $2",
            &[&source.kind.as_str(), &&source.sha256.as_bytes()[..]],
        )
        .map_err(db_error)?;
    if let Some(row) = existing {
        return Ok(Err((row.get(0), timestamp(row.get(1))?)));
    }
    let id = next_id(transaction, "sources", "id")?;
    transaction
        .execute(
            "INSERT INTO sources (id, kind, file_name, sha256, size, received_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id,
                &source.kind.as_str(),
                &source.file_name,
                &&source.sha256.as_bytes()[..],
                &to_i64(source.size),
                &source.received_at.to_string(),
            ],
        )
        .map_err(db_error)?;
    Ok(Ok(id))
}

/// Appends one entry to the log at the next index; returns the index.
fn append_log_entry(transaction: &mut Transaction<'_>, entry: &[u8]) -> Result<i64, StoreError> {
    let index = next_id(transaction, "log_entries", "idx")?;
    transaction
        .execute(
            "INSERT INTO log_entries (idx, copy_id, entry, leaf_hash) VALUES ($1, NULL, $2, $3)",
            &[
                &index,
                &entry,
                &&veedor_ledger::leaf_hash(entry).as_bytes()[..],
            ],
        )
        .map_err(db_error)?;
    Ok(index)
}

fn source_file(row: &Row, first: usize) -> Result<SourceFile, StoreError> {
    let kind: String = row.get(first);
    Ok(SourceFile {
        kind: FileKind::parse(&kind).ok_or_else(|| corrupt(format!("source kind `{kind}`")))?,
        file_name: row.get(first + 1),
        sha256: sha256(row.get(first + 2))?,
        size: u64::try_from(row.get::<_, i64>(first + 3)).unwrap_or(0),
        received_at: timestamp(row.get(first + 4))?,
    })
}

const TABLE_COLUMNS: &str = "key, centre, number, registered, listed";

fn polling_table(row: &Row) -> Result<(TableKey, PollingTable), StoreError> {
    Ok((
        key_of(row.get(0))?,
        PollingTable {
            id: table_id(row.get(1), row.get(2))?,
            registered: optional_u32(row.get(3), "registered voters")?,
            listed: row.get(4),
        },
    ))
}

fn read_tables(
    client: &mut impl postgres::GenericClient,
) -> Result<Vec<(TableKey, PollingTable)>, StoreError> {
    client
        .query(
            &format!("SELECT {TABLE_COLUMNS} FROM polling_tables ORDER BY key"),
            &[],
        )
        .map_err(db_error)?
        .iter()
        .map(polling_table)
        .collect()
}

fn read_area_names(
    client: &mut impl postgres::GenericClient,
) -> Result<BTreeMap<AreaCode, String>, StoreError> {
    let mut area_names = BTreeMap::new();
    for row in client
        .query("SELECT level, prefix, name FROM areas", &[])
        .map_err(db_error)?
    {
        area_names.insert(
            AreaCode::Area {
                level: u8::try_from(row.get::<_, i64>(0)).map_err(|_| corrupt("area level"))?,
                prefix: u64::try_from(row.get::<_, i64>(1)).map_err(|_| corrupt("area prefix"))?,
            },
            row.get(2),
        );
    }
    Ok(area_names)
}

const COPY_COLUMNS: &str = "c.id, c.centre, c.number, c.counts_kind, c.counts, c.null_votes,
    c.stated_valid, c.stated_registered, c.format_fields, c.source_kind, c.file_name,
    c.file_sha256, c.location_kind, c.location, c.received_at, c.device, c.volunteer, l.idx,
    c.published_sha256, c.same_image_as, c.entered_by, c.declared_counts";

fn copy_from_row(
    row: &Row,
    findings: &mut HashMap<i64, Vec<Finding>>,
) -> Result<ActaCopy, StoreError> {
    let id: i64 = row.get(0);
    let counts_kind: String = row.get(3);
    let counts: Vec<i64> = row.get(4);
    let fields: Vec<String> = row.get(8);
    if !fields.len().is_multiple_of(2) {
        return Err(corrupt("format fields of an odd length"));
    }
    let format_fields = fields
        .chunks_exact(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    let source_kind: String = row.get(9);
    let location_kind: String = row.get(12);
    let location: i64 = row.get(13);
    let location = match location_kind.as_str() {
        "page" => Location::Page(u32::try_from(location).map_err(|_| corrupt("page"))?),
        _ => Location::Line(u64::try_from(location).map_err(|_| corrupt("line"))?),
    };
    let entered_by: Vec<String> = row.get(20);
    let declared_counts = volunteers::declared_pairs(&row.get::<_, Vec<String>>(21))?;
    Ok(ActaCopy {
        id: CopyId::new(id),
        record: ActaRecord {
            table: table_id(row.get(1), row.get(2))?,
            counts: counts_from(&counts_kind, &counts)?,
            null_votes: optional_u32(row.get(5), "null votes")?,
            stated_valid_votes: optional_u32(row.get(6), "valid votes")?,
            stated_registered: optional_u32(row.get(7), "registered voters")?,
            format_fields,
            declared_counts,
        },
        provenance: Provenance {
            source: SourceKind::parse(&source_kind)
                .ok_or_else(|| corrupt(format!("source kind `{source_kind}`")))?,
            file_name: row.get(10),
            file_sha256: sha256(row.get(11))?,
            location,
            received_at: timestamp(row.get(14))?,
            device: row.get(15),
            volunteer: row.get::<_, Option<&str>>(16).map(pseudonym).transpose()?,
            published_sha256: row.get::<_, Option<&[u8]>>(18).map(sha256).transpose()?,
            same_image_as: row
                .get::<_, Option<&str>>(19)
                .map(|text| {
                    EvidenceRef::parse(text)
                        .ok_or_else(|| corrupt(format!("same image as `{text}`")))
                })
                .transpose()?,
            entered_by: entered_by
                .iter()
                .map(|text| pseudonym(text))
                .collect::<Result<_, _>>()?,
        },
        findings: findings.remove(&id).unwrap_or_default(),
        log_index: row
            .get::<_, Option<i64>>(17)
            .and_then(|index| u64::try_from(index).ok()),
    })
}

/// The columns of a copy row, owned, for `COPY`.
struct CopyRow {
    id: i64,
    centre: i64,
    number: i64,
    counts_kind: &'static str,
    counts: Vec<i64>,
    null_votes: Option<i64>,
    stated_valid: Option<i64>,
    stated_registered: Option<i64>,
    format_fields: Vec<String>,
    source_kind: &'static str,
    source_id: i64,
    location_kind: &'static str,
    location: i64,
    received_at: String,
    volunteer: Option<String>,
    same_image_as: Option<String>,
    entered_by: Vec<String>,
    declared_counts: Vec<String>,
}

impl CopyRow {
    fn new(id: i64, source_id: i64, copy: &NewCopy) -> Self {
        let record = &copy.record;
        let provenance = &copy.provenance;
        let (counts_kind, counts) = counts_columns(&record.counts);
        let (location_kind, location) = location_columns(provenance.location);
        Self {
            id,
            centre: to_i64(record.table.centre.get()),
            number: i64::from(record.table.number.get()),
            counts_kind,
            counts,
            null_votes: record.null_votes.map(i64::from),
            stated_valid: record.stated_valid_votes.map(i64::from),
            stated_registered: record.stated_registered.map(i64::from),
            format_fields: record
                .format_fields
                .iter()
                .flat_map(|(name, value)| [name.clone(), value.clone()])
                .collect(),
            source_kind: provenance.source.as_str(),
            source_id,
            location_kind,
            location,
            received_at: provenance.received_at.to_string(),
            volunteer: provenance.volunteer.as_ref().map(|v| v.as_str().to_owned()),
            same_image_as: provenance.same_image_as.map(|earlier| earlier.describe()),
            entered_by: provenance
                .entered_by
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            declared_counts: record
                .declared_counts
                .iter()
                .flat_map(|(id, value)| [id.clone(), value.to_string()])
                .collect(),
        }
    }
}

/// The unique key of a copy: its file, location and source kind.
type CopyKey = (Sha256, &'static str, i64, &'static str);

fn copy_key(copy: &NewCopy) -> CopyKey {
    let (location_kind, location) = location_columns(copy.provenance.location);
    (
        copy.provenance.file_sha256,
        location_kind,
        location,
        copy.provenance.source.as_str(),
    )
}

/// The copies of a batch that are not stored yet, each once (the first of a key, as an
/// insert that ignores conflicts would keep).
fn new_copies<'batch>(
    transaction: &mut Transaction<'_>,
    copies: &'batch [NewCopy],
) -> Result<Vec<&'batch NewCopy>, StoreError> {
    let files: Vec<&[u8]> = copies
        .iter()
        .map(|copy| &copy.provenance.file_sha256.as_bytes()[..])
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut seen: HashSet<CopyKey> = HashSet::new();
    if !files.is_empty() {
        for row in transaction
            .query(
                "SELECT file_sha256, location_kind, location, source_kind FROM copies
                 WHERE file_sha256 = ANY($1)",
                &[&files],
            )
            .map_err(db_error)?
        {
            let location_kind = match row.get::<_, &str>(1) {
                "line" => "line",
                _ => "page",
            };
            let source_kind: &str = row.get(3);
            let Some(source_kind) = SourceKind::parse(source_kind).map(SourceKind::as_str) else {
                continue;
            };
            seen.insert((sha256(row.get(0))?, location_kind, row.get(2), source_kind));
        }
    }
    Ok(copies
        .iter()
        .filter(|copy| seen.insert(copy_key(copy)))
        .collect())
}

/// Stores a batch's new tables; one that exists is a conflict.
fn insert_tables(
    transaction: &mut Transaction<'_>,
    source_id: i64,
    tables: &[PollingTable],
) -> Result<(), StoreError> {
    if tables.is_empty() {
        return Ok(());
    }
    let centres: Vec<i64> = tables.iter().map(|t| to_i64(t.id.centre.get())).collect();
    let numbers: Vec<i64> = tables
        .iter()
        .map(|t| i64::from(t.id.number.get()))
        .collect();
    let existing = transaction
        .query_opt(
            "SELECT p.centre, p.number FROM polling_tables p
             JOIN unnest($1::bigint[], $2::bigint[]) AS n (centre, number)
               ON p.centre = n.centre AND p.number = n.number LIMIT 1",
            &[&centres, &numbers],
        )
        .map_err(db_error)?;
    let mut ids = HashSet::new();
    let duplicate = tables.iter().find(|table| !ids.insert(table.id));
    if let Some(row) = existing {
        return Err(StoreError::Conflict(format!(
            "table {} centre {} exists already",
            row.get::<_, i64>(1),
            row.get::<_, i64>(0)
        )));
    }
    if let Some(table) = duplicate {
        return Err(StoreError::Conflict(format!(
            "table {} centre {} is added twice",
            table.id.number.get(),
            table.id.centre.get()
        )));
    }
    let first_key = next_id(transaction, "polling_tables", "key")?;
    let rows: Vec<(i64, Option<i64>, bool)> = tables
        .iter()
        .zip(first_key..)
        .map(|(table, key)| (key, table.registered.map(i64::from), table.listed))
        .collect();
    copy_rows(
        transaction,
        "polling_tables",
        &[
            ("key", Type::INT8),
            ("centre", Type::INT8),
            ("number", Type::INT8),
            ("registered", Type::INT8),
            ("listed", Type::BOOL),
            ("source_id", Type::INT8),
        ],
        rows.iter().zip(centres.iter().zip(&numbers)).map(
            |((key, registered, listed), (centre, number))| {
                vec![
                    key as &(dyn ToSql + Sync),
                    centre,
                    number,
                    registered,
                    listed,
                    &source_id,
                ]
            },
        ),
    )?;
    Ok(())
}

/// Changes existing tables; one that does not exist is a conflict.
fn update_tables(
    transaction: &mut Transaction<'_>,
    tables: &[PollingTable],
) -> Result<(), StoreError> {
    // The last value of a table given twice, as updates one after another would leave.
    let mut latest: BTreeMap<TableId, &PollingTable> = BTreeMap::new();
    for table in tables {
        latest.insert(table.id, table);
    }
    if latest.is_empty() {
        return Ok(());
    }
    let centres: Vec<i64> = latest.keys().map(|id| to_i64(id.centre.get())).collect();
    let numbers: Vec<i64> = latest.keys().map(|id| i64::from(id.number.get())).collect();
    let registered: Vec<Option<i64>> = latest
        .values()
        .map(|table| table.registered.map(i64::from))
        .collect();
    let listed: Vec<bool> = latest.values().map(|table| table.listed).collect();
    let updated: Vec<(i64, i64)> = transaction
        .query(
            "UPDATE polling_tables p SET registered = n.registered, listed = n.listed
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::boolean[])
                 AS n (centre, number, registered, listed)
             WHERE p.centre = n.centre AND p.number = n.number
             RETURNING p.centre, p.number",
            &[&centres, &numbers, &registered, &listed],
        )
        .map_err(db_error)?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    if updated.len() != latest.len() {
        let updated: HashSet<(i64, i64)> = updated.into_iter().collect();
        if let Some((centre, number)) = centres
            .iter()
            .zip(&numbers)
            .find(|(centre, number)| !updated.contains(&(**centre, **number)))
        {
            return Err(StoreError::Conflict(format!(
                "table {number} centre {centre} does not exist"
            )));
        }
    }
    Ok(())
}

fn upsert_area_names(
    transaction: &mut Transaction<'_>,
    area_names: &[(AreaCode, String)],
) -> Result<(), StoreError> {
    // The last name of an area named twice.
    let names: BTreeMap<(i64, i64), &str> = area_names
        .iter()
        .filter_map(|(area, name)| area_key(*area).map(|key| (key, name.as_str())))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let levels: Vec<i64> = names.keys().map(|(level, _)| *level).collect();
    let prefixes: Vec<i64> = names.keys().map(|(_, prefix)| *prefix).collect();
    let texts: Vec<&str> = names.values().copied().collect();
    transaction
        .execute(
            "INSERT INTO areas (level, prefix, name)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])
             ON CONFLICT (level, prefix) DO UPDATE SET name = excluded.name",
            &[&levels, &prefixes, &texts],
        )
        .map_err(db_error)?;
    Ok(())
}

/// Stores the batch's new copies with their findings and log entries; returns how many.
fn insert_copies(
    transaction: &mut Transaction<'_>,
    source_id: i64,
    copies: &[NewCopy],
) -> Result<usize, StoreError> {
    let copies = new_copies(transaction, copies)?;
    if copies.is_empty() {
        return Ok(0);
    }
    let first_id = next_id(transaction, "copies", "id")?;
    let first_index = next_id(transaction, "log_entries", "idx")?;
    let rows: Vec<(CopyRow, &NewCopy)> = copies
        .iter()
        .zip(first_id..)
        .map(|(copy, id)| (CopyRow::new(id, source_id, copy), *copy))
        .collect();
    let hashes: Vec<(Vec<u8>, Option<Vec<u8>>)> = rows
        .iter()
        .map(|(_, copy)| {
            (
                copy.provenance.file_sha256.as_bytes().to_vec(),
                copy.provenance
                    .published_sha256
                    .map(|sha| sha.as_bytes().to_vec()),
            )
        })
        .collect();
    copy_rows(
        transaction,
        "copies",
        &[
            ("id", Type::INT8),
            ("centre", Type::INT8),
            ("number", Type::INT8),
            ("counts_kind", Type::TEXT),
            ("counts", Type::INT8_ARRAY),
            ("null_votes", Type::INT8),
            ("stated_valid", Type::INT8),
            ("stated_registered", Type::INT8),
            ("format_fields", Type::TEXT_ARRAY),
            ("source_kind", Type::TEXT),
            ("source_id", Type::INT8),
            ("file_name", Type::TEXT),
            ("file_sha256", Type::BYTEA),
            ("location_kind", Type::TEXT),
            ("location", Type::INT8),
            ("received_at", Type::TEXT),
            ("device", Type::TEXT),
            ("volunteer", Type::TEXT),
            ("published_sha256", Type::BYTEA),
            ("same_image_as", Type::TEXT),
            ("entered_by", Type::TEXT_ARRAY),
            ("declared_counts", Type::TEXT_ARRAY),
        ],
        rows.iter()
            .zip(&hashes)
            .map(|((row, copy), (file_sha256, published_sha256))| {
                vec![
                    &row.id as &(dyn ToSql + Sync),
                    &row.centre,
                    &row.number,
                    &row.counts_kind,
                    &row.counts,
                    &row.null_votes,
                    &row.stated_valid,
                    &row.stated_registered,
                    &row.format_fields,
                    &row.source_kind,
                    &row.source_id,
                    &copy.provenance.file_name,
                    file_sha256,
                    &row.location_kind,
                    &row.location,
                    &row.received_at,
                    &copy.provenance.device,
                    &row.volunteer,
                    published_sha256,
                    &row.same_image_as,
                    &row.entered_by,
                    &row.declared_counts,
                ]
            }),
    )?;
    append_copies_to_log(transaction, first_index, &rows)?;
    insert_findings(transaction, &rows)?;
    Ok(rows.len())
}

/// The log entries of stored copies, from `first_index` on.
fn append_copies_to_log(
    transaction: &mut Transaction<'_>,
    first_index: i64,
    rows: &[(CopyRow, &NewCopy)],
) -> Result<(), StoreError> {
    let entries: Vec<(i64, i64, &[u8], [u8; 32])> = rows
        .iter()
        .zip(first_index..)
        .map(|((row, copy), index)| {
            (
                index,
                row.id,
                copy.log_entry.as_slice(),
                *veedor_ledger::leaf_hash(&copy.log_entry).as_bytes(),
            )
        })
        .collect();
    let leaves: Vec<&[u8]> = entries.iter().map(|(_, _, _, leaf)| &leaf[..]).collect();
    copy_rows(
        transaction,
        "log_entries",
        &[
            ("idx", Type::INT8),
            ("copy_id", Type::INT8),
            ("entry", Type::BYTEA),
            ("leaf_hash", Type::BYTEA),
        ],
        entries
            .iter()
            .zip(&leaves)
            .map(|((index, copy_id, entry, _), leaf)| {
                vec![index as &(dyn ToSql + Sync), copy_id, entry, leaf]
            }),
    )?;
    Ok(())
}

/// The findings of stored copies.
fn insert_findings(
    transaction: &mut Transaction<'_>,
    rows: &[(CopyRow, &NewCopy)],
) -> Result<(), StoreError> {
    let first_finding = next_id(transaction, "findings", "id")?;
    let findings: Vec<(i64, i64, &str, &str)> = rows
        .iter()
        .flat_map(|(row, copy)| {
            copy.findings
                .iter()
                .map(move |finding| (row.id, finding.code.code(), finding.detail.as_str()))
        })
        .zip(first_finding..)
        .map(|((copy_id, code, detail), id)| (id, copy_id, code, detail))
        .collect();
    copy_rows(
        transaction,
        "findings",
        &[
            ("id", Type::INT8),
            ("copy_id", Type::INT8),
            ("code", Type::TEXT),
            ("detail", Type::TEXT),
        ],
        findings.iter().map(|(id, copy_id, code, detail)| {
            vec![id as &(dyn ToSql + Sync), copy_id, code, detail]
        }),
    )?;
    Ok(())
}

fn insert_queue_and_rejections(
    transaction: &mut Transaction<'_>,
    source_id: i64,
    batch: &Batch,
) -> Result<(), StoreError> {
    // A page queued twice is queued once, as an insert that ignores conflicts would.
    let mut pages = HashSet::new();
    let queued: Vec<(i64, &str)> = batch
        .queue
        .iter()
        .filter(|queued| pages.insert(queued.page))
        .map(|queued| (i64::from(queued.page), queued.reason.as_str()))
        .collect();
    let first_queued = next_id(transaction, "queue", "id")?;
    let queued: Vec<(i64, i64, &str)> = queued
        .into_iter()
        .zip(first_queued..)
        .map(|((page, reason), id)| (id, page, reason))
        .collect();
    copy_rows(
        transaction,
        "queue",
        &[
            ("id", Type::INT8),
            ("source_id", Type::INT8),
            ("page", Type::INT8),
            ("reason", Type::TEXT),
        ],
        queued
            .iter()
            .map(|(id, page, reason)| vec![id as &(dyn ToSql + Sync), &source_id, page, reason]),
    )?;
    let first_rejection = next_id(transaction, "rejections", "id")?;
    let rejections: Vec<(i64, &Rejection)> = (first_rejection..).zip(&batch.rejections).collect();
    copy_rows(
        transaction,
        "rejections",
        &[
            ("id", Type::INT8),
            ("source_id", Type::INT8),
            ("location", Type::TEXT),
            ("message", Type::TEXT),
        ],
        rejections.iter().map(|(id, rejection)| {
            vec![
                id as &(dyn ToSql + Sync),
                &source_id,
                &rejection.location,
                &rejection.message,
            ]
        }),
    )?;
    Ok(())
}

impl ResultStore for PostgresStore {
    fn election(&self) -> Result<Election, StoreError> {
        Ok(self.election.clone())
    }

    fn tables(&self) -> Result<Vec<(TableKey, PollingTable)>, StoreError> {
        read_tables(&mut self.client().client)
    }

    fn area_names(&self) -> Result<BTreeMap<AreaCode, String>, StoreError> {
        read_area_names(&mut self.client().client)
    }

    fn load_dataset(&self) -> Result<Dataset, StoreError> {
        let mut client = self.client();
        // One snapshot, so that tables, names and copies are of the same moment.
        let mut transaction = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db_error)?;
        let tables = read_tables(&mut transaction)?;
        let area_names = read_area_names(&mut transaction)?;
        let mut findings: HashMap<i64, Vec<Finding>> = HashMap::new();
        for row in transaction
            .query(
                "SELECT copy_id, code, detail FROM findings ORDER BY id",
                &[],
            )
            .map_err(db_error)?
        {
            let code: &str = row.get(1);
            findings.entry(row.get(0)).or_default().push(Finding {
                code: FindingCode::parse(code)
                    .ok_or_else(|| corrupt(format!("finding code `{code}`")))?,
                detail: row.get(2),
            });
        }
        let copies = transaction
            .query(
                &format!(
                    "SELECT {COPY_COLUMNS} FROM copies c
                     LEFT JOIN log_entries l ON l.copy_id = c.id ORDER BY c.id"
                ),
                &[],
            )
            .map_err(db_error)?
            .iter()
            .map(|row| copy_from_row(row, &mut findings))
            .collect::<Result<_, _>>()?;
        let decisions = decisions::read_decisions(&mut transaction)?;
        transaction.commit().map_err(db_error)?;
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
        decision: &veedor_core::Decision,
        log_entry: &[u8],
        audit: &veedor_store::AuditEvent,
    ) -> Result<(), StoreError> {
        self.insert_decision(decision, log_entry, audit)
    }

    fn apply(&mut self, batch: &Batch) -> Result<BatchOutcome, StoreError> {
        self.write(|transaction| {
            let source_id = match insert_source(transaction, &batch.source)? {
                Ok(id) => id,
                Err((_, at)) => return Ok(Written::Nothing(BatchOutcome::AlreadyApplied { at })),
            };
            insert_tables(transaction, source_id, &batch.new_tables)?;
            update_tables(transaction, &batch.changed_tables)?;
            upsert_area_names(transaction, &batch.area_names)?;
            let copies_added = insert_copies(transaction, source_id, &batch.copies)?;
            insert_queue_and_rejections(transaction, source_id, batch)?;
            Ok(Written::Stored(BatchOutcome::Applied {
                copies_added,
                tables_added: batch.new_tables.len(),
                tables_updated: batch.changed_tables.len(),
            }))
        })
    }

    fn sources(&self) -> Result<Vec<StoredSource>, StoreError> {
        let mut client = self.client();
        let mut rejections: HashMap<i64, Vec<Rejection>> = HashMap::new();
        for row in client
            .query(
                "SELECT source_id, location, message FROM rejections ORDER BY id",
                &[],
            )
            .map_err(db_error)?
        {
            rejections.entry(row.get(0)).or_default().push(Rejection {
                location: row.get(1),
                message: row.get(2),
            });
        }
        client
            .query(
                "SELECT id, kind, file_name, sha256, size, received_at FROM sources ORDER BY id",
                &[],
            )
            .map_err(db_error)?
            .iter()
            .map(|row| {
                Ok(StoredSource {
                    source: source_file(row, 1)?,
                    rejections: rejections.remove(&row.get(0)).unwrap_or_default(),
                })
            })
            .collect()
    }

    fn has_source(&self, kind: FileKind, sha256: &Sha256) -> Result<bool, StoreError> {
        Ok(self
            .client()
            .query_opt(
                "SELECT 1 FROM sources WHERE kind = $1 AND sha256 = $2",
                &[&kind.as_str(), &&sha256.as_bytes()[..]],
            )
            .map_err(db_error)?
            .is_some())
    }

    fn queue(&self) -> Result<Vec<QueueEntry>, StoreError> {
        self.client()
            .query(
                "SELECT q.id, s.file_name, s.sha256, q.page, q.reason, s.received_at
                 FROM queue q JOIN sources s ON s.id = q.source_id ORDER BY q.id",
                &[],
            )
            .map_err(db_error)?
            .iter()
            .map(|row| {
                Ok(QueueEntry {
                    id: row.get(0),
                    file_name: row.get(1),
                    file_sha256: sha256(row.get(2))?,
                    page: u32::try_from(row.get::<_, i64>(3)).map_err(|_| corrupt("queue page"))?,
                    reason: row.get(4),
                    received_at: timestamp(row.get(5))?,
                })
            })
            .collect()
    }

    fn data_version(&self) -> Result<u64, StoreError> {
        let rows = self.query_prepared("SELECT version FROM data_version WHERE id = 1", &[])?;
        let version: i64 = rows
            .first()
            .ok_or_else(|| corrupt("no data version"))?
            .get(0);
        u64::try_from(version).map_err(|_| corrupt("negative data version"))
    }
}

/// The advisory lock a signer holds: this class (any fixed number), and the hash of the
/// store's schema, so that elections in other schemas of one database do not wait on each other.
const SIGNING_LOCK_CLASS: i32 = 0x7665_6564;

/// How long a signer waits for the turn before giving up (a signature takes milliseconds; a
/// turn held this long belongs to a process that is stuck, and its connection holds it).
const SIGNING_TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl LogStore for PostgresStore {
    fn begin_signing_turn(&mut self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        loop {
            let taken: bool = self
                .client()
                .query_one(
                    "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))",
                    &[&SIGNING_LOCK_CLASS],
                )
                .map_err(db_error)?
                .get(0);
            if taken {
                return Ok(());
            }
            if started.elapsed() > SIGNING_TURN_WAIT {
                return Err(StoreError::Conflict(format!(
                    "another process has held the log's signing turn for over {} s",
                    SIGNING_TURN_WAIT.as_secs()
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn end_signing_turn(&mut self) -> Result<(), StoreError> {
        let released: bool = self
            .client()
            .query_one(
                "SELECT pg_advisory_unlock($1, hashtext(current_schema()))",
                &[&SIGNING_LOCK_CLASS],
            )
            .map_err(db_error)?
            .get(0);
        if released {
            Ok(())
        } else {
            Err(corrupt("the log's signing turn ended without being held"))
        }
    }

    fn log_size(&self) -> Result<u64, StoreError> {
        // Indexes have no gaps (a primary key given out under the writers' lock): the size is
        // the last index plus one, read from the index rather than counting every row.
        let size: i64 = self
            .client()
            .query_one("SELECT coalesce(max(idx) + 1, 0) FROM log_entries", &[])
            .map_err(db_error)?
            .get(0);
        Ok(u64::try_from(size).unwrap_or(0))
    }

    fn log_leaf_hashes(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        self.client()
            .query("SELECT leaf_hash FROM log_entries ORDER BY idx", &[])
            .map_err(db_error)?
            .iter()
            .map(|row| {
                <[u8; 32]>::try_from(row.get::<_, &[u8]>(0))
                    .map_err(|_| corrupt("leaf hash length"))
            })
            .collect()
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .client()
            .query(
                "SELECT entry FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&to_i64(start), &to_i64(end)],
            )
            .map_err(db_error)?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }

    fn add_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        self.write(|transaction| {
            let added = transaction
                .execute(
                    "INSERT INTO checkpoints (size, note, signed_at) VALUES ($1, $2, $3)
                     ON CONFLICT (size) DO NOTHING",
                    &[
                        &to_i64(checkpoint.size),
                        &checkpoint.note,
                        &checkpoint.signed_at.to_string(),
                    ],
                )
                .map_err(db_error)?;
            Ok(if added == 1 {
                Written::Stored(())
            } else {
                Written::Nothing(())
            })
        })
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.client()
            .query_opt(
                "SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )
            .map_err(db_error)?
            .map(|row| {
                Ok(StoredCheckpoint {
                    size: u64::try_from(row.get::<_, i64>(0))
                        .map_err(|_| corrupt("checkpoint size"))?,
                    note: row.get(1),
                    signed_at: timestamp(row.get(2))?,
                })
            })
            .transpose()
    }
}
