//! The figures of `docs/postgres.md`: one Venezuela-sized import (30,000 tables, a result file
//! of 30,000 copies, a registry of 21.4 million voters) on PostgreSQL and, for comparison, on
//! SQLite, on this machine. Ignored: it takes a minute and several GiB of disk; run it with
//!
//! ```text
//! cargo test --release -p veedor-store-postgres --test figures -- --ignored --nocapture
//! ```

#[expect(
    dead_code,
    reason = "the crash and restart of the server are for the crash tests"
)]
mod support;

use std::time::Instant;

use veedor_core::{
    ActaRecord, CentreCode, Counts, Election, Finding, FindingCode, Location, PollingTable,
    Provenance, RegistryBuilder, Sha256, SourceKind, TableId, TableKey, TableNumber, Timestamp,
    VoterId,
};
use veedor_store::{Batch, FileKind, NewCopy, SourceFile, Store, StoreError};

const ELECTION: &str = include_str!("../../../elections/ve-2024-presidential.toml");
const TABLES: u32 = 30_000;
const VOTERS: u64 = 21_400_000;

fn parse(text: &str) -> Result<Election, String> {
    veedor_formats::parse_election(text).map_err(|error| error.to_string())
}

fn database(error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(error.to_string())
}

fn at() -> Timestamp {
    Timestamp::constant(1_722_211_200, 123_456_789)
}

fn source(kind: FileKind, seed: u8) -> SourceFile {
    SourceFile {
        kind,
        file_name: format!("{}.csv", kind.as_str()),
        sha256: Sha256::from_bytes([seed; 32]),
        size: 1_000_000,
        received_at: at(),
    }
}

fn table(index: u32) -> TableId {
    TableId::new(
        CentreCode::new(10_101_001 + u64::from(index / 10)),
        TableNumber::new(u16::try_from(index % 10).unwrap_or(0) + 1),
    )
}

fn tables_batch() -> Batch {
    Batch {
        source: source(FileKind::Tables, 1),
        new_tables: (0..TABLES)
            .map(|index| PollingTable {
                id: table(index),
                registered: Some(700),
                listed: true,
            })
            .collect(),
        changed_tables: Vec::new(),
        area_names: Vec::new(),
        copies: Vec::new(),
        rejections: Vec::new(),
        queue: Vec::new(),
    }
}

fn results_batch() -> Batch {
    let file = source(FileKind::Results, 2);
    Batch {
        copies: (0..TABLES)
            .map(|index| NewCopy {
                record: ActaRecord {
                    table: table(index),
                    counts: Counts::Candidates(vec![index % 300, 120, 3, 4, 5, 6, 7, 8, 9, 10]),
                    null_votes: Some(2),
                    stated_valid_votes: None,
                    stated_registered: Some(700),
                    format_fields: Vec::new(),
                    declared_counts: Vec::new(),
                },
                provenance: Provenance {
                    source: SourceKind::CsvImport,
                    file_name: file.file_name.clone(),
                    file_sha256: file.sha256,
                    location: Location::Line(u64::from(index) + 2),
                    received_at: at(),
                    device: None,
                    volunteer: None,
                    published_sha256: None,
                    same_image_as: None,
                    entered_by: Vec::new(),
                },
                findings: vec![Finding {
                    code: FindingCode::RegisteredVotersDiffer,
                    detail: "a warning".to_owned(),
                }],
                log_entry: format!("veedor/acta/1 table {index} line {}", index + 2).into_bytes(),
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

/// Runs the import on a store and prints how long each step took.
fn import(name: &str, store: &mut dyn Store) -> Result<(), StoreError> {
    let timed = |what: &str, started: Instant| {
        println!("{name}: {what}: {:.2} s", started.elapsed().as_secs_f64());
    };
    let started = Instant::now();
    store.apply(&tables_batch())?;
    timed("30,000 tables", started);
    let batch = results_batch();
    let started = Instant::now();
    store.apply(&batch)?;
    timed("30,000 copies with findings and log entries", started);
    let started = Instant::now();
    let dataset = store.load_dataset()?;
    timed("load_dataset", started);
    assert_eq!(dataset.copies.len(), 30_000);
    let mut builder = RegistryBuilder::with_capacity(usize::try_from(VOTERS).unwrap_or(0));
    for index in 0..VOTERS {
        builder.push(
            VoterId::new(5_000_000 + index * 3),
            TableKey::new(u32::try_from(index % u64::from(TABLES)).unwrap_or(0) + 1),
        );
    }
    let registry = builder.build().map_err(database)?;
    let started = Instant::now();
    store.replace_registry(&registry, &source(FileKind::Registry, 3), b"registry")?;
    timed("replace_registry (21.4 million voters)", started);
    let started = Instant::now();
    let loaded = store.load_registry()?;
    timed("load_registry", started);
    assert_eq!(loaded.len(), registry.len());
    let started = Instant::now();
    for index in (0..VOTERS).step_by(21_400) {
        let voter = VoterId::new(5_000_000 + index * 3);
        assert_eq!(store.lookup_voter(voter)?, registry.lookup(voter));
    }
    println!(
        "{name}: lookup_voter: {:.0} µs each (1,000 lookups)",
        started.elapsed().as_secs_f64() * 1_000.0
    );
    Ok(())
}

#[test]
#[ignore = "a minute and several GiB: the figures of docs/postgres.md"]
fn a_venezuela_sized_import() -> Result<(), StoreError> {
    // Durable (fsync on), as the SQLite store it is set beside is.
    let server = support::Server::start(true).map_err(StoreError::Database)?;
    let url = veedor_store_postgres::fresh_schema(server.url())?;
    let mut store =
        veedor_store_postgres::PostgresStore::create(&url, ELECTION, b"election", &parse, at())?;
    import("postgres", &mut store)?;
    let mut client = postgres::Client::connect(&url, postgres::NoTls).map_err(database)?;
    let bytes: i64 = client
        .query_one("SELECT pg_total_relation_size('registry_chunks')", &[])
        .map_err(database)?
        .get(0);
    println!(
        "postgres: registry on disk: {bytes} bytes, {:.2} bytes a voter",
        f64::from(u32::try_from(bytes / 1_000).unwrap_or(u32::MAX)) * 1_000.0 / 21_400_000.0
    );
    let folder = tempfile::tempdir().map_err(database)?;
    let mut sqlite = veedor_store_sqlite::SqliteStore::create(
        folder.path(),
        ELECTION,
        b"election",
        &parse,
        at(),
    )?;
    import("sqlite", &mut sqlite)
}
