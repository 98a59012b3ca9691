//! A data folder for the tests: the 2024 election, real result rows of a few hundred tables, a
//! small registry, and one scanned acta (a PNG in the blob store, with a QR copy pointing to it),
//! as the scan ingestion will store them.

pub mod axe;
pub mod chromium;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempfile::TempDir;
use veedor_core::{
    AreaCode, Counts, Location, Place, PollingTable, Provenance, Pseudonym, RegistryBuilder,
    Sha256, SourceKind, TableId, Timestamp, VoterId, validate,
};
use veedor_formats::ActaFormat;
use veedor_store::prelude::*;
use veedor_store::{Batch, FileKind, NewCopy, SourceFile};
use veedor_store_sqlite::{SqliteStore, sha256};
use veedor_web::{AppState, ServeOptions, serve};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parse_election(text: &str) -> Result<veedor_core::Election, String> {
    veedor_formats::parse_election(text).map_err(|error| error.to_string())
}

/// The real QR payload of table 201301006.01 (data/ve2024/README.md): it agrees with the CSV.
pub const PAYLOAD: &str = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";
/// The scanned table.
pub const SCANNED_TABLE: &str = "201301006.01";
/// A table with two copies that disagree.
pub const CONFLICT_TABLE: &str = "201301006.02";

/// A test data folder.
pub struct Fixture {
    /// Keeps the folder alive.
    pub dir: TempDir,
    /// A store for writing more (the server has its own).
    pub writer: SqliteStore,
    /// Voters and their tables.
    pub voters: Vec<(VoterId, TableId)>,
    /// The scan's hash.
    pub scan: Sha256,
    /// The copy that came from the scan.
    pub scan_copy: i64,
}

impl Fixture {
    /// The data folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The audit events stored so far.
    pub fn writer_audit_len(&self) -> usize {
        self.writer.audit().unwrap().len()
    }

    /// The events of a task stored so far.
    pub fn writer_task_events(&self, queue_id: i64) -> usize {
        self.writer.task_events(queue_id).unwrap().len()
    }

    /// A server state over the folder.
    pub fn state(&self, options: ServeOptions) -> AppState {
        let store = SqliteStore::open(self.path(), &parse_election).unwrap();
        let blobs = Arc::new(store.blobs());
        AppState::load(Box::new(store), blobs, options).unwrap()
    }
}

/// A new copy with its real transparency-log entry, as `veedor import` builds it.
pub fn new_copy(
    record: veedor_core::ActaRecord,
    provenance: Provenance,
    findings: Vec<veedor_core::Finding>,
) -> NewCopy {
    let log_entry = veedor_formats::LogEntry::of_copy(
        "ve-2024-presidential",
        9,
        &record,
        &provenance,
        &findings,
    )
    .encode();
    NewCopy {
        record,
        provenance,
        findings,
        log_entry,
    }
}

fn source(kind: FileKind, name: &str, bytes: &[u8]) -> SourceFile {
    SourceFile {
        kind,
        file_name: name.to_owned(),
        sha256: sha256(bytes),
        size: u64::try_from(bytes.len()).unwrap(),
        received_at: Timestamp::from_second(1_722_200_000).unwrap(),
    }
}

/// A scan-like PNG: a white page with dark bars where the numbers would be.
pub fn scan_png() -> Vec<u8> {
    let image = image::GrayImage::from_fn(1240, 1754, |x, y| {
        let bar = (200..1500).contains(&y) && y % 60 < 30 && (150..1090).contains(&x);
        let border = !(20..1220).contains(&x) || !(20..1734).contains(&y);
        image::Luma([if bar || border { 40 } else { 250 }])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

/// The first `rows` data rows of the real 2024 results, plus every row of centre 201301006.
pub fn results_csv(rows: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(repo_root().join("data/ve2024/RESULTADOS_2024_CSV_V1.csv"))
        .unwrap();
    let mut lines = text.lines();
    let mut out = String::new();
    out.push_str(lines.next().unwrap());
    out.push('\n');
    for (index, line) in lines.enumerate() {
        if index < rows || line.contains(",201301006,") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// Builds the fixture with the first `rows` result rows.
pub fn fixture(rows: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let definition =
        std::fs::read_to_string(repo_root().join("elections/ve-2024-presidential.toml")).unwrap();
    let now = Timestamp::from_second(1_722_200_000).unwrap();
    let first_entry = veedor_formats::log_entry::election_entry(&definition);
    let mut store =
        SqliteStore::create(dir.path(), &definition, &first_entry, &parse_election, now).unwrap();
    let election = store.election().unwrap();

    // 1. Real result rows, as `veedor import results` stores them.
    let csv = results_csv(rows);
    let parsed = veedor_formats::parse_results(&csv, &election).unwrap();
    let csv_source = source(FileKind::Results, "RESULTADOS_2024_CSV_V1.csv", &csv);
    let mut tables: BTreeMap<TableId, PollingTable> = BTreeMap::new();
    let mut names: BTreeMap<AreaCode, String> = BTreeMap::new();
    let mut copies = Vec::new();
    for row in parsed.rows {
        let id = row.record.table;
        let table = tables.entry(id).or_insert(PollingTable {
            id,
            registered: row.record.stated_registered,
            listed: false,
        });
        let findings = validate(&row.record, &election, Place::Table(table));
        for (level, name) in row.area_names {
            names
                .entry(election.geography.area_of(id.centre, level))
                .or_insert(name);
        }
        copies.push(new_copy(
            row.record,
            Provenance {
                source: SourceKind::CsvImport,
                file_name: csv_source.file_name.clone(),
                file_sha256: csv_source.sha256,
                location: Location::Line(row.line),
                received_at: csv_source.received_at,
                device: None,
                volunteer: None,
                published_sha256: None,
                same_image_as: None,
                entered_by: Vec::new(),
            },
            findings,
        ));
    }
    store
        .apply(&Batch {
            source: csv_source,
            new_tables: tables.values().cloned().collect(),
            changed_tables: vec![],
            area_names: names.into_iter().collect(),
            copies,
            rejections: vec![],
            queue: vec![],
        })
        .unwrap();

    // 2. A scanned acta: the PNG in the blob store, its QR copy pointing to it by hash.
    let png = scan_png();
    let blobs = store.blobs();
    let scan = blobs.put(&png).unwrap();
    let format = ActaFormat::of(&election).unwrap();
    let record = format.parse_payload(PAYLOAD).unwrap();
    let scan_source = source(FileKind::Scan, "408106_387187_0096Acta0096.png", &png);
    assert_eq!(scan_source.sha256, scan);
    let known = tables.get(&record.table).cloned();
    store
        .apply(&Batch {
            source: scan_source.clone(),
            new_tables: vec![],
            changed_tables: vec![],
            area_names: vec![],
            copies: vec![new_copy(
                record.clone(),
                Provenance {
                    source: SourceKind::Qr,
                    file_name: scan_source.file_name.clone(),
                    file_sha256: scan,
                    location: Location::Page(1),
                    received_at: scan_source.received_at,
                    device: Some("scanner-408106".to_owned()),
                    volunteer: Some(Pseudonym::new("volunteer-7").unwrap()),
                    published_sha256: Some(scan),
                    same_image_as: None,
                    entered_by: Vec::new(),
                },
                validate(
                    &record,
                    &election,
                    known
                        .as_ref()
                        .map_or(Place::Unknown { area_known: true }, Place::Table),
                ),
            )],
            rejections: vec![],
            queue: vec![],
        })
        .unwrap();

    // 3. A copy of another table whose numbers differ from the CSV's: a conflict.
    let conflict = TableId::parse(CONFLICT_TABLE, 9).unwrap();
    let mut cells = vec![0u32; election.cards.len()];
    cells[0] = 300;
    cells[35] = 10;
    let payloads = format!("{CONFLICT_TABLE} typed\n");
    let payload_source = source(
        FileKind::Payloads,
        "witness-payloads.txt",
        payloads.as_bytes(),
    );
    store
        .apply(&Batch {
            source: payload_source.clone(),
            new_tables: vec![],
            changed_tables: vec![],
            area_names: vec![],
            copies: vec![new_copy(
                veedor_core::ActaRecord {
                    table: conflict,
                    counts: Counts::Cells(cells),
                    null_votes: Some(0),
                    stated_valid_votes: None,
                    stated_registered: None,
                    format_fields: vec![],
                    declared_counts: Vec::new(),
                },
                Provenance {
                    source: SourceKind::PayloadImport,
                    file_name: payload_source.file_name.clone(),
                    file_sha256: payload_source.sha256,
                    location: Location::Line(1),
                    received_at: payload_source.received_at,
                    device: None,
                    volunteer: None,
                    published_sha256: None,
                    same_image_as: None,
                    entered_by: Vec::new(),
                },
                vec![],
            )],
            rejections: vec![],
            queue: vec![],
        })
        .unwrap();

    // 4. A registry: three made-up voters per table.
    let stored = store.tables().unwrap();
    let mut builder = RegistryBuilder::default();
    let mut voters = Vec::new();
    for (index, (key, table)) in stored.iter().enumerate() {
        for k in 0..3u64 {
            let voter = VoterId::new(10_000_000 + u64::try_from(index).unwrap() * 10 + k);
            builder.push(voter, *key);
            voters.push((voter, table.id));
        }
    }
    let registry = builder.build().unwrap();
    store
        .replace_registry(
            &registry,
            &source(FileKind::Registry, "registry.csv", b"test registry"),
            b"veedor/registry/1\ntest: not read\n",
        )
        .unwrap();
    let scan_copy = store
        .load_dataset()
        .unwrap()
        .copies
        .iter()
        .find(|copy| copy.provenance.source == SourceKind::Qr)
        .unwrap()
        .id
        .get();
    Fixture {
        dir,
        writer: store,
        voters,
        scan,
        scan_copy,
    }
}

/// The voter of a table.
pub fn voter_of(fixture: &Fixture, table: &str) -> VoterId {
    let id = TableId::parse(table, 9).unwrap();
    fixture
        .voters
        .iter()
        .find(|(_, t)| *t == id)
        .map(|(voter, _)| *voter)
        .unwrap()
}

/// The real server over the fixture on a free port, without the lookup limit (the browser tests
/// look up more than a client may); it stops when the sender is dropped or sent to.
pub async fn start_server(fixture: &Fixture) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    start_server_with(
        fixture,
        ServeOptions {
            lookup_limit_per_minute: 0,
            ..ServeOptions::default()
        },
    )
    .await
}

/// The real server over the fixture on a free port, with `options`.
pub async fn start_server_with(
    fixture: &Fixture,
    options: ServeOptions,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let state = fixture.state(options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    (address, stop)
}
