//! Versioned schema migrations. The `schema_version` table holds the number of migrations
//! applied; each runs in its own transaction, under an advisory lock so that two processes
//! opening a new database at once do not both run it. Never edit a migration that has shipped:
//! add one.

use postgres::Client;
use veedor_store::StoreError;

use crate::db_error;

/// The advisory lock every migration transaction takes (any fixed number; "veedor" in ASCII).
const MIGRATION_LOCK: i64 = 0x7665_6564_6f72;

/// The migrations, in order. Migration `i` brings the schema from version `i` to `i + 1`.
///
/// Counts, keys and sizes are `bigint` throughout (a `u32` does not fit PostgreSQL's signed
/// `integer`); digests are 32-byte `bytea`; times are the text of `jiff::Timestamp`, as the
/// SQLite store keeps them, so that they read back to the nanosecond.
const MIGRATIONS: &[&str] = &[
    // 1: the whole schema of the SQLite store's first seven migrations, at once.
    r"
    -- Raised by the triggers of the tables that are only ever inserted into.
    CREATE FUNCTION veedor_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'veedor: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$;

    CREATE TABLE election (
        id integer PRIMARY KEY CHECK (id = 1),
        election_id text NOT NULL,
        definition text NOT NULL,
        created_at text NOT NULL
    );
    -- Every imported file, once per kind and content.
    CREATE TABLE sources (
        id bigint PRIMARY KEY,
        kind text NOT NULL,
        file_name text NOT NULL,
        sha256 bytea NOT NULL CHECK (length(sha256) = 32),
        size bigint NOT NULL,
        received_at text NOT NULL,
        UNIQUE (kind, sha256)
    );
    CREATE TABLE polling_tables (
        key bigint PRIMARY KEY CHECK (key BETWEEN 0 AND 4294967295),
        centre bigint NOT NULL,
        number bigint NOT NULL,
        registered bigint,
        listed boolean NOT NULL,
        source_id bigint NOT NULL REFERENCES sources (id),
        UNIQUE (centre, number)
    );
    CREATE TABLE areas (
        level bigint NOT NULL,
        prefix bigint NOT NULL,
        name text NOT NULL,
        PRIMARY KEY (level, prefix)
    );
    -- Acta copies: only ever inserted. One per file, place in the file and source kind.
    CREATE TABLE copies (
        id bigint PRIMARY KEY,
        centre bigint NOT NULL,
        number bigint NOT NULL,
        counts_kind text NOT NULL CHECK (counts_kind IN ('cells', 'candidates')),
        counts bigint[] NOT NULL,
        null_votes bigint,
        stated_valid bigint,
        stated_registered bigint,
        -- name, value, name, value...
        format_fields text[] NOT NULL,
        source_kind text NOT NULL,
        source_id bigint NOT NULL REFERENCES sources (id),
        file_name text NOT NULL,
        file_sha256 bytea NOT NULL,
        location_kind text NOT NULL CHECK (location_kind IN ('line', 'page')),
        location bigint NOT NULL,
        received_at text NOT NULL,
        device text,
        volunteer text,
        published_sha256 bytea,
        same_image_as text,
        entered_by text[] NOT NULL,
        UNIQUE (file_sha256, location_kind, location, source_kind)
    );
    CREATE INDEX copies_by_table ON copies (centre, number);
    CREATE TABLE findings (
        id bigint PRIMARY KEY,
        copy_id bigint NOT NULL REFERENCES copies (id),
        code text NOT NULL,
        detail text NOT NULL
    );
    CREATE INDEX findings_by_copy ON findings (copy_id);
    -- The parts of imported files that could not be used.
    CREATE TABLE rejections (
        id bigint PRIMARY KEY,
        source_id bigint NOT NULL REFERENCES sources (id),
        location text NOT NULL,
        message text NOT NULL
    );
    -- The transparency log, indexes from 0 without gaps: entry 0 is the election definition,
    -- then one entry per stored copy or registry.
    CREATE TABLE log_entries (
        idx bigint PRIMARY KEY CHECK (idx >= 0),
        copy_id bigint UNIQUE REFERENCES copies (id),
        entry bytea NOT NULL,
        leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32)
    );
    CREATE TABLE checkpoints (
        size bigint PRIMARY KEY,
        note text NOT NULL,
        signed_at text NOT NULL
    );
    -- Pages of scans that need a person.
    CREATE TABLE queue (
        id bigint PRIMARY KEY,
        source_id bigint NOT NULL REFERENCES sources (id),
        page bigint NOT NULL CHECK (page >= 1),
        reason text NOT NULL,
        UNIQUE (source_id, page)
    );
    -- A version every write transaction increments; its row lock, taken first, also makes
    -- writers wait for each other, so that log indexes and ids are given out without gaps.
    CREATE TABLE data_version (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
    );
    INSERT INTO data_version (id, version) VALUES (1, 0);
    -- The current voter registry, and its entries in chunks of sorted, packed little-endian
    -- entries (`registry.rs`). `first_id` is the chunk's first voter id with its top bit
    -- flipped, so that signed order is the ids' unsigned order.
    CREATE TABLE registry (
        id integer PRIMARY KEY CHECK (id = 1),
        generation bigint NOT NULL,
        content_sha256 bytea NOT NULL CHECK (length(content_sha256) = 32),
        layout text NOT NULL CHECK (layout IN ('packed', 'wide')),
        voters bigint NOT NULL,
        source_id bigint NOT NULL REFERENCES sources (id)
    );
    CREATE TABLE registry_chunks (
        generation bigint NOT NULL,
        first_id bigint NOT NULL,
        voters bigint NOT NULL,
        entries bytea NOT NULL,
        PRIMARY KEY (generation, first_id)
    );
    -- A chunk (at most 8,000 bytes) stays in its row, uncompressed: one page read a lookup,
    -- no TOAST table, no attempt to compress.
    ALTER TABLE registry_chunks ALTER COLUMN entries SET STORAGE PLAIN;
    -- Volunteers' accounts (pseudonyms only) and the append-only audit log.
    CREATE TABLE accounts (
        pseudonym text PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('coordinator', 'typist', 'uploader', 'observer')),
        created_at text NOT NULL,
        signin_code_sha256 bytea,
        passphrase_hash text,
        suspended_at text
    );
    CREATE TABLE audit (
        id bigint PRIMARY KEY,
        at text NOT NULL,
        actor text,
        action text NOT NULL,
        object text NOT NULL,
        detail text NOT NULL
    );
    -- What happened to each page waiting for people (double-blind entry). An entered count
    -- is in the entry_ columns.
    CREATE TABLE task_events (
        queue_id bigint NOT NULL REFERENCES queue (id),
        seq bigint NOT NULL CHECK (seq >= 0),
        at text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('claimed', 'entered', 'kept', 'returned', 'discarded')),
        actor text NOT NULL,
        typist text,
        until text,
        reason text,
        entry_centre bigint,
        entry_number bigint,
        entry_counts_kind text CHECK (entry_counts_kind IN ('cells', 'candidates')),
        entry_counts bigint[],
        entry_null_votes bigint,
        entry_stated_valid bigint,
        entry_stated_registered bigint,
        PRIMARY KEY (queue_id, seq)
    );

    -- Only ever inserted: any update, delete or truncation raises.
    CREATE TRIGGER sources_are_append_only BEFORE UPDATE OR DELETE ON sources
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER copies_are_append_only BEFORE UPDATE OR DELETE ON copies
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER findings_are_append_only BEFORE UPDATE OR DELETE ON findings
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER rejections_are_append_only BEFORE UPDATE OR DELETE ON rejections
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER log_entries_are_append_only BEFORE UPDATE OR DELETE ON log_entries
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER checkpoints_are_append_only BEFORE UPDATE OR DELETE ON checkpoints
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER audit_is_append_only BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER task_events_are_append_only BEFORE UPDATE OR DELETE ON task_events
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER sources_are_not_truncated BEFORE TRUNCATE ON sources
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER copies_are_not_truncated BEFORE TRUNCATE ON copies
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER findings_are_not_truncated BEFORE TRUNCATE ON findings
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER rejections_are_not_truncated BEFORE TRUNCATE ON rejections
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER log_entries_are_not_truncated BEFORE TRUNCATE ON log_entries
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER checkpoints_are_not_truncated BEFORE TRUNCATE ON checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER audit_is_not_truncated BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER task_events_are_not_truncated BEFORE TRUNCATE ON task_events
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    ",
    // 2: coordinators' decisions on tables in conflict, append-only, each with its log entry.
    // `keep` and `overruled` name copies by evidence (`<sha256> page N`, the latter separated
    // by commas, empty for none).
    r"
    CREATE TABLE decisions (
        id bigint PRIMARY KEY,
        centre bigint NOT NULL,
        number bigint NOT NULL,
        keep text NOT NULL,
        overruled text NOT NULL,
        coordinator text NOT NULL,
        reason text NOT NULL CHECK (length(reason) > 0),
        decided_at text NOT NULL,
        log_idx bigint NOT NULL UNIQUE REFERENCES log_entries (idx)
    );
    CREATE TRIGGER decisions_are_append_only BEFORE UPDATE OR DELETE ON decisions
        FOR EACH ROW EXECUTE FUNCTION veedor_refuse_change();
    CREATE TRIGGER decisions_are_not_truncated BEFORE TRUNCATE ON decisions
        FOR EACH STATEMENT EXECUTE FUNCTION veedor_refuse_change();
    ",
    // 3: the counts the election file declares for its sheet (blank votes, ballots received...),
    // as [id, count, id, count...], of copies and of typists' entries; rows stored before have
    // none.
    r"
    ALTER TABLE copies ADD COLUMN declared_counts text[] NOT NULL DEFAULT '{}';
    ALTER TABLE task_events ADD COLUMN entry_declared_counts text[];
    ",
    // 4: volunteers' sessions, shared by every server on the database and kept through
    // restarts: the SHA-256 of the token (never the token), times in Unix seconds. Not results:
    // no trigger, and writing them takes no writers' turn and does not change `data_version`.
    r"
    CREATE TABLE sessions (
        token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
        pseudonym text NOT NULL REFERENCES accounts (pseudonym),
        csrf text NOT NULL,
        created_at bigint NOT NULL,
        last_seen bigint NOT NULL
    );
    CREATE INDEX sessions_of_volunteer ON sessions (pseudonym, last_seen);
    ",
];

/// The schema version this build writes.
pub(crate) fn latest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// The schema version of the database on `search_path`: `None` where it has no veedor schema.
pub(crate) fn version(client: &mut Client) -> Result<Option<i64>, StoreError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .map_err(db_error)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_opt("SELECT version FROM schema_version", &[])
        .map_err(db_error)?;
    Ok(Some(row.map_or(0, |row| row.get(0))))
}

/// Brings the schema up to date, or refuses a newer one.
pub(crate) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    loop {
        let mut transaction = client.transaction().map_err(db_error)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(db_error)?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_version (
                     id integer PRIMARY KEY CHECK (id = 1),
                     version bigint NOT NULL
                 );
                 INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING;",
            )
            .map_err(db_error)?;
        let version: i64 = transaction
            .query_one("SELECT version FROM schema_version WHERE id = 1", &[])
            .map_err(db_error)?
            .get(0);
        if version > latest() {
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported: latest(),
            });
        }
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|index| MIGRATIONS.get(index))
        else {
            return transaction.commit().map_err(db_error);
        };
        transaction.batch_execute(sql).map_err(db_error)?;
        transaction
            .execute(
                "UPDATE schema_version SET version = $1 WHERE id = 1",
                &[&(version + 1)],
            )
            .map_err(db_error)?;
        transaction.commit().map_err(db_error)?;
    }
}
