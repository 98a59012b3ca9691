//! The store conformance suite (`veedor-store-conformance`) on the PostgreSQL adapter, on a
//! fresh schema of the database `VEEDOR_TEST_POSTGRES` names, or else of a throwaway server
//! started for this test (`support`); and what only this adapter promises: append-only tables
//! that refuse changes, migrations, a stale task view refused, a compact registry.

mod support;

use veedor_core::entry::{Event, Recorded};
use veedor_core::{
    ActaRecord, CentreCode, Counts, Election, Location, Provenance, Pseudonym, Registry,
    RegistryBuilder, Sha256, SourceKind, TableId, TableKey, TableNumber, Timestamp, VoterId,
};
use veedor_store::{
    AuditEvent, Batch, BatchOutcome, BlobStore, FileKind, LogStore, NewCopy, QueuedPage,
    RegistryStore, Rejection, ResultStore, SourceFile, Store, StoreError, VolunteerStore,
};
use veedor_store_conformance::{Adapter, run_all};
use veedor_store_postgres::{PostgresStore, fresh_schema};

fn parse(text: &str) -> Result<Election, String> {
    veedor_formats::parse_election(text).map_err(|error| error.to_string())
}

fn database(error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(error.to_string())
}

/// The adapter on one fresh schema, with a temporary folder for its scans.
struct Postgres {
    url: String,
    blobs: tempfile::TempDir,
}

impl Postgres {
    fn new(server: &support::Server) -> Result<Self, StoreError> {
        Ok(Self {
            url: fresh_schema(server.url())?,
            blobs: tempfile::tempdir().map_err(database)?,
        })
    }

    /// A connection of our own, beside the adapter's, to change the schema under it.
    fn connection(&self) -> Result<postgres::Client, StoreError> {
        postgres::Client::connect(&self.url, postgres::NoTls).map_err(database)
    }
}

impl Adapter for Postgres {
    fn create(
        &self,
        election_definition: &str,
        first_log_entry: &[u8],
        now: Timestamp,
    ) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(PostgresStore::create(
            &self.url,
            election_definition,
            first_log_entry,
            &parse,
            now,
        )?))
    }

    fn reopen(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(PostgresStore::open(&self.url, &parse)?))
    }

    fn blobs(&self) -> Result<Box<dyn BlobStore>, StoreError> {
        Ok(Box::new(veedor_store_sqlite::FsBlobStore::new(
            self.blobs.path().to_owned(),
        )))
    }

    /// A trigger that refuses every log entry: a batch fails after storing its source, its
    /// tables and its copies.
    fn interrupt(&self) -> Result<bool, StoreError> {
        self.connection()?
            .batch_execute(
                "CREATE FUNCTION conformance_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'interrupted by the conformance suite'; END $$;
                 CREATE TRIGGER conformance_interrupt BEFORE INSERT ON log_entries
                     FOR EACH ROW EXECUTE FUNCTION conformance_refuse();",
            )
            .map_err(database)?;
        Ok(true)
    }

    fn resume(&self) -> Result<(), StoreError> {
        self.connection()?
            .batch_execute(
                "DROP TRIGGER conformance_interrupt ON log_entries;
                 DROP FUNCTION conformance_refuse();",
            )
            .map_err(database)
    }
}

fn server() -> support::Server {
    support::Server::start(false).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn postgres_passes_the_conformance_suite() -> Result<(), StoreError> {
    let server = server();
    run_all(&Postgres::new(&server)?)
}

const ELECTION: &str = include_str!("../../../elections/ve-2024-presidential.toml");

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_722_000_000 + seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn source(kind: FileKind, name: &str, byte: u8) -> SourceFile {
    SourceFile {
        kind,
        file_name: name.to_owned(),
        sha256: Sha256::from_bytes([byte; 32]),
        size: 10,
        received_at: at(1),
    }
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        at: at(2),
        actor: None,
        action: action.to_owned(),
        object: "test".to_owned(),
        detail: String::new(),
    }
}

/// A scan with one page for people and one part rejected.
fn scan_with_a_queued_page() -> Batch {
    Batch {
        source: source(FileKind::Scan, "scan.pdf", 7),
        new_tables: Vec::new(),
        changed_tables: Vec::new(),
        area_names: Vec::new(),
        copies: Vec::new(),
        rejections: vec![Rejection {
            location: "page 2".to_owned(),
            message: "blank".to_owned(),
        }],
        queue: vec![QueuedPage {
            page: 1,
            reason: "no code".to_owned(),
        }],
    }
}

fn claim(name: &str) -> Result<Recorded, StoreError> {
    Ok(Recorded {
        at: at(3),
        event: Event::Claimed {
            by: Pseudonym::new(name).map_err(database)?,
            until: at(600),
        },
    })
}

fn created(adapter: &Postgres) -> Result<PostgresStore, StoreError> {
    PostgresStore::create(&adapter.url, ELECTION, b"election", &parse, at(0))
}

#[test]
fn append_only_tables_refuse_updates_deletes_and_truncation() -> Result<(), StoreError> {
    let server = server();
    let adapter = Postgres::new(&server)?;
    let mut store = created(&adapter)?;
    store.apply(&scan_with_a_queued_page())?;
    let queue_id = store.queue()?[0].id;
    store.append_task_event(queue_id, 0, &claim("ana")?, &audit("claim"))?;
    let mut client = adapter.connection()?;
    // Row triggers fire on rows: these tables have some. Truncation is refused even when empty.
    for statement in [
        "UPDATE log_entries SET entry = 'x'",
        "DELETE FROM log_entries",
        "UPDATE audit SET detail = 'rewritten'",
        "DELETE FROM audit",
        "UPDATE task_events SET actor = 'luis'",
        "DELETE FROM task_events",
        "UPDATE sources SET file_name = 'other.pdf'",
        "DELETE FROM rejections",
        "TRUNCATE log_entries CASCADE",
        "TRUNCATE copies CASCADE",
        "TRUNCATE findings",
        "TRUNCATE checkpoints",
    ] {
        let Err(error) = client.batch_execute(statement) else {
            panic!("{statement}: an append-only table accepted a change");
        };
        assert!(
            error.to_string().contains("append-only")
                || error
                    .as_db_error()
                    .is_some_and(|db| db.message().contains("append-only")),
            "{statement}: {error}"
        );
    }
    assert_eq!(store.audit()?.len(), 1);
    assert_eq!(store.task_events(queue_id)?, vec![claim("ana")?]);
    assert_eq!(store.sources()?[0].rejections.len(), 1);
    Ok(())
}

#[test]
fn opening_migrates_once_refuses_a_newer_schema_and_an_empty_one() -> Result<(), StoreError> {
    let server = server();
    let adapter = Postgres::new(&server)?;
    assert!(matches!(
        PostgresStore::open(&adapter.url, &parse),
        Err(StoreError::NotInitialised { .. })
    ));
    let store = created(&adapter)?;
    let version = store.data_version()?;
    drop(store);
    assert!(matches!(
        created(&adapter),
        Err(StoreError::AlreadyInitialised { .. })
    ));
    let store = PostgresStore::open(&adapter.url, &parse)?;
    assert_eq!(store.data_version()?, version, "opening wrote something");
    let mut client = adapter.connection()?;
    let stored: i64 = client
        .query_one("SELECT version FROM schema_version", &[])
        .map_err(database)?
        .get(0);
    assert_eq!(stored, PostgresStore::schema_version());
    client
        .execute("UPDATE schema_version SET version = version + 1", &[])
        .map_err(database)?;
    match PostgresStore::open(&adapter.url, &parse) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (stored + 1, stored));
        }
        other => panic!("a newer schema was opened: {other:?}"),
    }
    Ok(())
}

#[test]
fn a_task_event_decided_on_a_stale_view_is_refused() -> Result<(), StoreError> {
    let server = server();
    let adapter = Postgres::new(&server)?;
    let mut first = created(&adapter)?;
    let mut second = PostgresStore::open(&adapter.url, &parse)?;
    first.apply(&scan_with_a_queued_page())?;
    let queue_id = second.queue()?[0].id;
    // Both saw no event; the first to append wins, the second is refused and stores nothing.
    first.append_task_event(queue_id, 0, &claim("ana")?, &audit("claim"))?;
    let version = second.data_version()?;
    assert!(matches!(
        second.append_task_event(queue_id, 0, &claim("luis")?, &audit("claim")),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(second.data_version()?, version);
    assert_eq!(second.task_events(queue_id)?, vec![claim("ana")?]);
    assert_eq!(second.audit()?.len(), 1);
    second.append_task_event(queue_id, 1, &claim("luis")?, &audit("claim"))?;
    assert_eq!(first.task_events(queue_id)?.len(), 2);
    Ok(())
}

#[test]
fn a_claim_skips_a_page_another_process_holds_and_other_events_wait_for_it()
-> Result<(), StoreError> {
    let server = server();
    let adapter = Postgres::new(&server)?;
    let mut store = created(&adapter)?;
    let mut batch = scan_with_a_queued_page();
    batch.queue.push(QueuedPage {
        page: 3,
        reason: "no code".to_owned(),
    });
    store.apply(&batch)?;
    let queue = store.queue()?;
    let (held, free) = (queue[0].id, queue[1].id);
    // Another process is in the middle of acting on the first page: it holds the page's row.
    let mut other = adapter.connection()?;
    let mut holding = other.transaction().map_err(database)?;
    let locked = holding
        .query(
            "SELECT id FROM queue WHERE id = $1 FOR NO KEY UPDATE",
            &[&held],
        )
        .map_err(database)?;
    assert_eq!(locked.len(), 1);
    let version = store.data_version()?;
    // A claim skips it at once and stores nothing. (Were it to wait for the row, it would wait
    // until this test lets go of it: after 30 s the test fails instead.)
    let mut claiming = PostgresStore::open(&adapter.url, &parse)?;
    let (sender, answer) = std::sync::mpsc::channel();
    let anas = claim("ana")?;
    std::thread::spawn(move || {
        let _ = sender.send(claiming.append_task_event(held, 0, &anas, &audit("claim")));
    });
    let claimed = answer
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the claim waited for the page another process holds");
    assert!(
        matches!(claimed, Err(StoreError::Conflict(_))),
        "{claimed:?}"
    );
    assert_eq!(store.data_version()?, version);
    assert!(store.task_events(held)?.is_empty());
    assert!(store.audit()?.is_empty());
    // The next page is free and claimed while the first is held.
    store.append_task_event(free, 0, &claim("ana")?, &audit("claim"))?;
    assert_eq!(store.task_events(free)?, vec![claim("ana")?]);
    // Any other event waits for the row and is stored once it is let go.
    let discarded = Recorded {
        at: at(4),
        event: Event::Discarded {
            by: Pseudonym::new("rosa").map_err(database)?,
            reason: "a blank page".to_owned(),
        },
    };
    let mut waiting = PostgresStore::open(&adapter.url, &parse)?;
    let event = discarded.clone();
    let waiter =
        std::thread::spawn(move || waiting.append_task_event(held, 0, &event, &audit("discard")));
    // It waits: PostgreSQL shows a session of this schema waiting for a lock (for up to 30 s),
    // and the event is not stored while the row is held.
    let mut watcher = adapter.connection()?;
    let mut waits = false;
    for _ in 0..300 {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND datname = current_database()
                     AND query LIKE '%FROM queue WHERE id = $1 FOR NO KEY UPDATE%'",
                &[],
            )
            .map_err(database)?
            .get(0);
        if waiting > 0 || waiter.is_finished() {
            waits = waiting > 0;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        waits && !waiter.is_finished(),
        "a decision on a held page did not wait for it"
    );
    assert!(store.task_events(held)?.is_empty());
    holding.rollback().map_err(database)?;
    waiter
        .join()
        .map_err(|_| database("the waiting writer panicked"))??;
    assert_eq!(store.task_events(held)?, vec![discarded]);
    Ok(())
}

/// A registry of `voters` voters, ids spread out, on 100 tables.
fn registry(voters: u64, stride: u64) -> Result<Registry, StoreError> {
    let mut builder = RegistryBuilder::with_capacity(usize::try_from(voters).unwrap_or(0));
    for index in 0..voters {
        builder.push(
            VoterId::new(1_000_000 + index * stride),
            TableKey::new(u32::try_from(index % 100).unwrap_or(0) + 1),
        );
    }
    builder.build().map_err(database)
}

#[test]
fn the_registry_is_compact_and_looked_up_by_chunk() -> Result<(), StoreError> {
    let server = server();
    let adapter = Postgres::new(&server)?;
    let mut store = created(&adapter)?;
    let voters = 200_000;
    let packed = registry(voters, 7)?;
    store.replace_registry(
        &packed,
        &source(FileKind::Registry, "rep.csv", 1),
        b"registry 1",
    )?;
    let mut client = adapter.connection()?;
    let bytes: i64 = client
        .query_one("SELECT pg_total_relation_size('registry_chunks')", &[])
        .map_err(database)?
        .get(0);
    let per_voter = f64::from(u32::try_from(bytes).unwrap_or(u32::MAX)) / 200_000.0;
    println!("registry: {bytes} bytes on disk for {voters} voters, {per_voter:.2} bytes a voter");
    assert!(per_voter < 16.0, "{per_voter} bytes a voter");
    for index in [0, 1, 999, 1000, 1001, 4096, 123_456, voters - 1] {
        let voter = VoterId::new(1_000_000 + index * 7);
        assert_eq!(store.lookup_voter(voter)?, packed.lookup(voter), "{voter}");
        assert!(store.lookup_voter(voter)?.is_some());
    }
    for missing in [0, 1_000_001, 1_000_000 + voters * 7, u64::MAX] {
        assert_eq!(store.lookup_voter(VoterId::new(missing))?, None);
    }
    assert_eq!(store.load_registry()?, packed);

    // Ids beyond 32 bits take the wide layout, and the old chunks go.
    let mut builder = RegistryBuilder::with_capacity(2_002);
    builder.push(VoterId::new(5), TableKey::new(1));
    for index in 0..2_000 {
        builder.push(VoterId::new((1 << 40) + index * 5), TableKey::new(2));
    }
    builder.push(VoterId::new(u64::MAX), TableKey::new(3));
    let wide = builder.build().map_err(database)?;
    store.replace_registry(
        &wide,
        &source(FileKind::Registry, "wide.csv", 2),
        b"registry 2",
    )?;
    assert_eq!(store.load_registry()?, wide);
    assert_eq!(
        store.lookup_voter(VoterId::new(u64::MAX))?,
        Some(TableKey::new(3))
    );
    assert_eq!(
        store.lookup_voter(VoterId::new(1 << 40))?,
        Some(TableKey::new(2))
    );
    assert_eq!(
        store.lookup_voter(VoterId::new((1 << 40) + 1_999 * 5))?,
        Some(TableKey::new(2))
    );
    assert_eq!(store.lookup_voter(VoterId::new(6))?, None);
    assert_eq!(store.lookup_voter(VoterId::new((1 << 40) + 1))?, None);
    let chunks: i64 = client
        .query_one("SELECT count(*) FROM registry_chunks", &[])
        .map_err(database)?
        .get(0);
    assert_eq!(
        chunks, 4,
        "2,002 wide entries, 666 a chunk, and no old chunk left"
    );
    assert!(matches!(
        store.replace_registry(&wide, &source(FileKind::Registry, "wide.csv", 2), b"again")?,
        BatchOutcome::AlreadyApplied { .. }
    ));
    Ok(())
}

/// A batch of `copies` copies of one made-up file, each with its log entry.
fn copies_batch(seed: u8, copies: u32) -> Batch {
    let file = source(FileKind::Results, &format!("results-{seed}.csv"), seed);
    Batch {
        copies: (0..copies)
            .map(|line| NewCopy {
                record: ActaRecord {
                    table: TableId::new(CentreCode::new(10_101_001), TableNumber::new(1)),
                    counts: Counts::Candidates(vec![line, 2, 3]),
                    null_votes: Some(1),
                    stated_valid_votes: None,
                    stated_registered: None,
                    format_fields: Vec::new(),
                    declared_counts: Vec::new(),
                },
                provenance: Provenance {
                    source: SourceKind::CsvImport,
                    file_name: file.file_name.clone(),
                    file_sha256: file.sha256,
                    location: Location::Line(u64::from(line) + 2),
                    received_at: at(4),
                    device: None,
                    volunteer: None,
                    published_sha256: None,
                    same_image_as: None,
                    entered_by: Vec::new(),
                },
                findings: Vec::new(),
                log_entry: format!("file {seed} line {line}").into_bytes(),
            })
            .collect(),
        source: file,
        new_tables: Vec::new(),
        changed_tables: Vec::new(),
        area_names: Vec::new(),
        rejections: Vec::new(),
        queue: Vec::new(),
    }
}

#[test]
fn writers_on_several_connections_take_turns_and_the_log_has_no_gaps() -> Result<(), StoreError> {
    let server = server();
    let adapter = Postgres::new(&server)?;
    let store = created(&adapter)?;
    let before = store.data_version()?;
    let writers: Vec<std::thread::JoinHandle<Result<usize, StoreError>>> = (0..4u8)
        .map(|writer| {
            let url = adapter.url.clone();
            std::thread::spawn(move || {
                let mut store = PostgresStore::open(&url, &parse)?;
                let mut added = 0;
                for batch in 0..5u8 {
                    // Every writer also applies batch 0 of writer 0: applied once, whoever is first.
                    let seed = if batch == 0 {
                        1
                    } else {
                        10 + writer * 10 + batch
                    };
                    if let BatchOutcome::Applied { copies_added, .. } =
                        store.apply(&copies_batch(seed, 50))?
                    {
                        added += copies_added;
                    }
                }
                Ok(added)
            })
        })
        .collect();
    let mut added = 0;
    for writer in writers {
        added += writer
            .join()
            .unwrap_or_else(|_| panic!("a writer panicked"))?;
    }
    // 4 writers x 4 batches of their own, and the shared one once; each copy one entry.
    assert_eq!(added, (4 * 4 + 1) * 50);
    let size = store.log_size()?;
    assert_eq!(size, 1 + 17 * 50);
    let entries = store.log_entries(0, size)?;
    assert_eq!(entries.len(), 17 * 50 + 1);
    assert_eq!(store.log_leaf_hashes()?.len(), entries.len());
    let dataset = store.load_dataset()?;
    assert_eq!(dataset.copies.len(), 17 * 50);
    let mut indexes: Vec<u64> = dataset
        .copies
        .iter()
        .filter_map(|copy| copy.log_index)
        .collect();
    indexes.sort_unstable();
    assert_eq!(indexes, (1..=17 * 50).collect::<Vec<u64>>());
    assert_ne!(store.data_version()?, before);
    assert_eq!(store.sources()?.len(), 17);
    Ok(())
}

#[test]
fn copies_already_stored_or_repeated_in_a_batch_are_stored_once() -> Result<(), StoreError> {
    let server = server();
    let adapter = Postgres::new(&server)?;
    let mut store = created(&adapter)?;
    // The same line of the same file twice in one batch: the first is kept, as SQLite's
    // insert that ignores conflicts keeps it.
    let mut batch = copies_batch(1, 3);
    let mut repeated = batch.copies[0].clone();
    repeated.log_entry = b"the repeated line".to_vec();
    batch.copies.push(repeated);
    assert_eq!(
        store.apply(&batch)?,
        BatchOutcome::Applied {
            copies_added: 3,
            tables_added: 0,
            tables_updated: 0
        }
    );
    // Another source naming the same lines of the same file adds nothing but itself.
    let mut again = copies_batch(1, 4);
    again.source.sha256 = Sha256::from_bytes([9; 32]);
    assert_eq!(
        store.apply(&again)?,
        BatchOutcome::Applied {
            copies_added: 1,
            tables_added: 0,
            tables_updated: 0
        }
    );
    let entries = store.log_entries(0, store.log_size()?)?;
    assert_eq!(entries.len(), 1 + 4);
    assert!(!entries.contains(&b"the repeated line".to_vec()));
    assert_eq!(entries[4], b"file 1 line 3".to_vec());
    // A new table given twice in one batch is a conflict, and nothing of the batch is stored.
    let version = store.data_version()?;
    let table = veedor_core::PollingTable {
        id: TableId::new(CentreCode::new(10_101_001), TableNumber::new(1)),
        registered: Some(500),
        listed: true,
    };
    let twice = Batch {
        new_tables: vec![table.clone(), table],
        ..copies_batch(2, 2)
    };
    assert!(matches!(store.apply(&twice), Err(StoreError::Conflict(_))));
    assert_eq!(store.data_version()?, version);
    assert!(store.tables()?.is_empty());
    assert!(!store.has_source(FileKind::Results, &twice.source.sha256)?);
    assert_eq!(store.log_size()?, 5);
    Ok(())
}

#[test]
fn a_crash_of_the_server_keeps_every_commit_and_a_batch_in_flight_is_all_or_nothing()
-> Result<(), StoreError> {
    let mut server = support::LocalServer::start(false).map_err(StoreError::Database)?;
    let url = server.url().to_owned();
    let mut store = PostgresStore::create(&url, ELECTION, b"election", &parse, at(0))?;
    store.apply(&copies_batch(1, 50))?;
    // A writer on its own connection applies batches until the server goes away under it.
    let mut writing = PostgresStore::open(&url, &parse)?;
    let (applied_one, first_applied) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || -> u32 {
        let mut applied = 0;
        for seed in 2..250u8 {
            if writing.apply(&copies_batch(seed, 50)).is_err() {
                break;
            }
            applied += 1;
            let _ = applied_one.send(());
        }
        applied
    });
    // Crash it in the middle: once a few batches are in.
    for _ in 0..3 {
        first_applied
            .recv_timeout(std::time::Duration::from_secs(60))
            .map_err(|_| StoreError::Database("the writer stored nothing".into()))?;
    }
    server.crash().map_err(StoreError::Database)?;
    let applied = writer
        .join()
        .unwrap_or_else(|_| panic!("the writer panicked"));
    assert!(
        applied < 248,
        "the crash came after every batch: nothing was cut"
    );
    assert!(store.data_version().is_err(), "the server is down");
    server.restart().map_err(StoreError::Database)?;
    let store = PostgresStore::open(&url, &parse)?;
    // Every batch acknowledged is there, whole; none is there in part.
    let copies = store.load_dataset()?.copies.len();
    assert!(
        copies % 50 == 0,
        "{copies} copies: a batch was stored in part"
    );
    assert!(
        copies >= 50 * (1 + applied as usize),
        "{copies} copies, {applied} batches acknowledged"
    );
    assert_eq!(store.log_size()?, 1 + copies as u64);
    assert_eq!(store.sources()?.len(), copies / 50);
    Ok(())
}
