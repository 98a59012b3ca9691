//! Versioned schema migrations. `PRAGMA user_version` holds the number of migrations applied;
//! each runs in its own transaction. Never edit a migration that has shipped: add one.

use rusqlite::Connection;
use veedor_store::StoreError;

use crate::db_error;

/// The migrations, in order. Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the spine.
    r"
    CREATE TABLE election (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        election_id TEXT NOT NULL,
        definition TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    -- Every imported file, once per kind and content.
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        UNIQUE (kind, sha256)
    );
    CREATE TABLE polling_tables (
        key INTEGER PRIMARY KEY,
        centre INTEGER NOT NULL,
        number INTEGER NOT NULL,
        registered INTEGER,
        listed INTEGER NOT NULL DEFAULT 0,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        UNIQUE (centre, number)
    );
    CREATE TABLE areas (
        level INTEGER NOT NULL,
        prefix INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (level, prefix)
    ) WITHOUT ROWID;
    -- Acta copies: only ever inserted. One per file, place in the file and source kind.
    CREATE TABLE copies (
        id INTEGER PRIMARY KEY,
        centre INTEGER NOT NULL,
        number INTEGER NOT NULL,
        counts_kind TEXT NOT NULL CHECK (counts_kind IN ('cells', 'candidates')),
        counts TEXT NOT NULL,
        null_votes INTEGER,
        stated_valid INTEGER,
        stated_registered INTEGER,
        format_fields TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        location_kind TEXT NOT NULL CHECK (location_kind IN ('line', 'page')),
        location INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        device TEXT,
        volunteer TEXT,
        UNIQUE (file_sha256, location_kind, location, source_kind)
    );
    CREATE INDEX copies_by_table ON copies (centre, number);
    CREATE TABLE findings (
        copy_id INTEGER NOT NULL REFERENCES copies (id),
        code TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX findings_by_copy ON findings (copy_id);
    -- The parts of imported files that could not be used.
    CREATE TABLE rejections (
        source_id INTEGER NOT NULL REFERENCES sources (id),
        location TEXT NOT NULL,
        message TEXT NOT NULL
    );
    -- The current voter registry: a file in registry/ named by its SHA-256.
    CREATE TABLE registry (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        file_sha256 TEXT NOT NULL,
        voters INTEGER NOT NULL,
        source_id INTEGER NOT NULL REFERENCES sources (id)
    );
    ",
    // 2: the transparency log, indexes from 0 without gaps: entry 0 is the election definition,
    // then one entry per stored copy.
    r"
    CREATE TABLE log_entries (
        idx INTEGER PRIMARY KEY CHECK (idx >= 0),
        copy_id INTEGER UNIQUE REFERENCES copies (id),
        entry BLOB NOT NULL,
        leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
    );
    CREATE TABLE checkpoints (
        size INTEGER PRIMARY KEY,
        note TEXT NOT NULL,
        signed_at TEXT NOT NULL
    );
    ",
    // 3: pages of scans that need a person.
    r"
    CREATE TABLE queue (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources (id),
        page INTEGER NOT NULL CHECK (page >= 1),
        reason TEXT NOT NULL,
        UNIQUE (source_id, page)
    );
    ",
    // 4: a version every write transaction increments, so that readers (the web server) learn
    // of any commit, their own connection's included.
    r"
    CREATE TABLE data_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    );
    INSERT INTO data_version (id, version) VALUES (1, 0);
    ",
    // 5: a scan as published (stripped of its metadata), and the earlier copy whose page image
    // a copy repeats (`<sha256> page N`).
    r"
    ALTER TABLE copies ADD COLUMN published_sha256 TEXT;
    ALTER TABLE copies ADD COLUMN same_image_as TEXT;
    ",
    // 6: volunteers' accounts (pseudonyms only) and the append-only audit log.
    r"
    CREATE TABLE accounts (
        pseudonym TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('coordinator', 'typist', 'uploader', 'observer')),
        created_at TEXT NOT NULL,
        signin_code_sha256 TEXT,
        passphrase_hash TEXT,
        suspended_at TEXT
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    ",
    // 7: the typists of a manual entry, and what happened to each page waiting for people
    // (double-blind entry), append-only.
    r"
    ALTER TABLE copies ADD COLUMN entered_by TEXT;
    CREATE TABLE task_events (
        id INTEGER PRIMARY KEY,
        queue_id INTEGER NOT NULL REFERENCES queue (id),
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('claimed', 'entered', 'kept', 'returned', 'discarded')),
        actor TEXT NOT NULL,
        typist TEXT,
        until TEXT,
        reason TEXT,
        entry TEXT,
        UNIQUE (queue_id, seq)
    );
    CREATE TRIGGER task_events_are_append_only_update BEFORE UPDATE ON task_events
        BEGIN SELECT RAISE(ABORT, 'task events are append-only'); END;
    CREATE TRIGGER task_events_are_append_only_delete BEFORE DELETE ON task_events
        BEGIN SELECT RAISE(ABORT, 'task events are append-only'); END;
    ",
    // 8: coordinators' decisions on tables in conflict, append-only, each with its log entry.
    // `keep` and `overruled` name copies by evidence (`<sha256> page N`, the latter separated
    // by commas, empty for none).
    r"
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        centre INTEGER NOT NULL,
        number INTEGER NOT NULL,
        keep TEXT NOT NULL,
        overruled TEXT NOT NULL,
        coordinator TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(reason) > 0),
        decided_at TEXT NOT NULL,
        log_idx INTEGER NOT NULL UNIQUE REFERENCES log_entries (idx)
    );
    CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    ",
    // 9: the counts the election file declares for its sheet (blank votes, ballots received...),
    // as a JSON array of [id, count] pairs; copies stored before have none.
    r"
    ALTER TABLE copies ADD COLUMN declared_counts TEXT NOT NULL DEFAULT '[]';
    ",
    // 10: volunteers' sessions, shared by every server on the store and kept through restarts:
    // the SHA-256 of the token (never the token), times in Unix seconds. Not results: no
    // trigger, and writing them does not change `data_version`.
    r"
    CREATE TABLE sessions (
        token_sha256 BLOB PRIMARY KEY CHECK (length(token_sha256) = 32),
        pseudonym TEXT NOT NULL REFERENCES accounts (pseudonym),
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_of_volunteer ON sessions (pseudonym, last_seen);
    ",
];

/// The schema version this build writes.
pub(crate) fn latest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Brings the schema up to date, or refuses a newer one.
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(db_error)?;
    if version > latest() {
        return Err(StoreError::SchemaTooNew {
            found: version,
            supported: latest(),
        });
    }
    let start = usize::try_from(version).unwrap_or(0);
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let transaction = connection.transaction().map_err(db_error)?;
        transaction.execute_batch(sql).map_err(db_error)?;
        transaction
            .pragma_update(
                None,
                "user_version",
                i64::try_from(index + 1).unwrap_or(i64::MAX),
            )
            .map_err(db_error)?;
        transaction.commit().map_err(db_error)?;
    }
    Ok(())
}
