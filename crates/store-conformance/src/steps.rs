//! The steps of the story, in the order [`crate::run_all`] tells them. Each step after the
//! first continues the [`Story`] the one before left; each ends by reading the whole store back
//! (`Story::check`).

use veedor_core::{
    Counts, Location, PollingTable, Provenance, Registry, RegistryBuilder, Sha256, SourceKind,
    TableId, TableKey, Timestamp, VoterId,
};
use veedor_ledger::{Checkpoint, Hash, MerkleLog, SignerKey};
use veedor_store::{
    Batch, BatchOutcome, FileKind, LogStore, QueuedPage, RegistryInfo, Rejection, SourceFile,
    Store, StoreError, StoredCheckpoint, StoredSource,
};

use crate::Adapter;
use crate::fixtures::{
    self, CAPITAL, ELECTION_DEFINITION, TACHIRA, ZULIA, candidates_record, cells_record, fixture,
    pseudonym, table,
};
use crate::snapshot::Snapshot;
use crate::story::{Story, assert_fixture, first_log_entry};

fn batch(source: SourceFile) -> Batch {
    Batch {
        source,
        new_tables: Vec::new(),
        changed_tables: Vec::new(),
        area_names: Vec::new(),
        copies: Vec::new(),
        rejections: Vec::new(),
        queue: Vec::new(),
    }
}

fn listed(id: TableId, registered: u32) -> PollingTable {
    PollingTable {
        id,
        registered: Some(registered),
        listed: true,
    }
}

fn provenance(
    source: &SourceFile,
    kind: SourceKind,
    location: Location,
    device: Option<&str>,
    volunteer: Option<&str>,
) -> Provenance {
    Provenance {
        source: kind,
        file_name: source.file_name.clone(),
        file_sha256: source.sha256,
        location,
        received_at: source.received_at,
        device: device.map(str::to_owned),
        volunteer: volunteer.map(pseudonym),
        published_sha256: None,
        same_image_as: None,
        entered_by: Vec::new(),
    }
}

/// Step 1: a store for the shipped election. Its log holds one entry, the election's, byte for
/// byte; it has no tables, names, copies, sources, queue, registry or checkpoint; its
/// `data_version` reads and stays put while nothing is written. Creating it again fails with
/// `AlreadyInitialised` and leaves it as it was.
pub fn create_store(adapter: &dyn Adapter) -> Result<Story<'_>, StoreError> {
    let election = fixtures::election();
    let entry = first_log_entry();
    let store = adapter.create(ELECTION_DEFINITION, &entry, fixtures::time(0))?;
    assert_eq!(
        store.log_size()?,
        1,
        "a new store's log holds the election entry"
    );
    assert_eq!(
        store.log_entries(0, 1)?,
        vec![entry.clone()],
        "a new store's first log entry"
    );
    let first_version = store.data_version()?;
    assert_eq!(
        store.data_version()?,
        first_version,
        "data_version changed between two reads"
    );
    let mut story = Story::new(adapter, store, election, entry)?;
    story.check("creating the store")?;
    match adapter.create(ELECTION_DEFINITION, &first_log_entry(), fixtures::time(1)) {
        Err(StoreError::AlreadyInitialised { .. }) => {}
        Err(error) => panic!("creating a store where one exists: {error}"),
        Ok(_) => panic!("a store was created where one exists"),
    }
    story.check("creating a store where one exists")?;
    assert!(
        story.store.tables()?.is_empty() && story.store.sources()?.is_empty(),
        "a new store holds tables or sources"
    );
    Ok(story)
}

/// Step 2: two table lists. The first adds three tables (not in id order) and names areas; the
/// second adds one table, changes another's registered voters and renames an area. Tables come
/// back in key order, each with the key it got when added; names as last set.
pub fn import_table_lists(story: &mut Story<'_>) -> Result<(), StoreError> {
    let geography = story.election.geography.clone();
    let capital_state = geography.area_of(table(CAPITAL, 1).centre, 0);
    let tachira_state = geography.area_of(table(TACHIRA, 1).centre, 0);

    let mut first = batch(story.source(FileKind::Tables, "mesas-2024.csv", 1));
    first.new_tables = vec![
        listed(table(TACHIRA, 1), 612),
        listed(table(CAPITAL, 1), 500),
        listed(table(CAPITAL, 2), 480),
    ];
    first.area_names = vec![
        (capital_state, "DTTO. CAPITAL".to_owned()),
        (
            geography.area_of(table(CAPITAL, 1).centre, 1),
            "MP. BLVNO LIBERTADOR".to_owned(),
        ),
        (
            geography.area_of(table(CAPITAL, 1).centre, 3),
            "ESCUELA BASICA NACIONAL «JOSÉ MARÍA VARGAS»".to_owned(),
        ),
        (tachira_state, "TÁCHIRA".to_owned()),
    ];
    story.apply_new(&first, "the first table list")?;
    assert_eq!(
        story.store.tables()?.len(),
        3,
        "tables after the first list"
    );

    let mut second = batch(story.source(FileKind::Tables, "mesas-2024-corregidas.csv", 2));
    second.new_tables = vec![listed(table(TACHIRA, 2), 300)];
    second.changed_tables = vec![listed(table(CAPITAL, 2), 490)];
    second.area_names = vec![(tachira_state, "TÁCHIRA (ESTADO)".to_owned())];
    let keys_before = story.expected.keys.clone();
    story.apply_new(&second, "the second table list")?;
    assert_eq!(
        story
            .store
            .area_names()?
            .get(&tachira_state)
            .map(String::as_str),
        Some("TÁCHIRA (ESTADO)"),
        "a renamed area"
    );
    let changed = story
        .store
        .tables()?
        .into_iter()
        .find(|(_, polling_table)| polling_table.id == table(CAPITAL, 2));
    assert_eq!(
        changed,
        keys_before
            .get(&table(CAPITAL, 2))
            .map(|key| (*key, listed(table(CAPITAL, 2), 490))),
        "a changed table keeps its key and takes its new registered voters"
    );
    assert_eq!(story.expected.keys.len(), 4, "keys of four tables");
    Ok(())
}

/// Step 3: a results file, applied; then a file of the same kind and SHA-256 (another name, a
/// later time, other rows) is `AlreadyApplied` at the first one's time, and nothing changes,
/// `data_version` included.
pub fn apply_results_once(story: &mut Story<'_>) -> Result<(), StoreError> {
    let source = story.source(FileKind::Results, "resultados_presidenciales_2024.csv", 3);
    let mut results = batch(source.clone());
    let row = |line| {
        provenance(
            &source,
            SourceKind::CsvImport,
            Location::Line(line),
            None,
            None,
        )
    };
    results.copies = vec![
        story.copy(
            candidates_record(
                table(CAPITAL, 1),
                [150, 3, 2, 1, 4, 0, 2, 1, 0, 180],
                6,
                Some(500),
            ),
            row(2),
        ),
        // More votes than registered voters (F102) and another count of them (W201).
        story.copy(
            candidates_record(
                table(CAPITAL, 2),
                [300, 10, 5, 5, 5, 5, 5, 5, 5, 200],
                4,
                Some(479),
            ),
            row(3),
        ),
    ];
    results.rejections = vec![Rejection {
        location: "line 4".to_owned(),
        message: "column NM: expected a whole number, found `1.5`".to_owned(),
    }];
    let findings: Vec<_> = results
        .copies
        .iter()
        .flat_map(|copy| &copy.findings)
        .collect();
    assert_fixture(
        findings.iter().any(|f| f.is_error()) && findings.iter().any(|f| !f.is_error()),
        "the results carry an error and a warning",
    );
    story.apply_new(&results, "a results file")?;

    let mut again = batch(SourceFile {
        file_name: "copia de resultados.csv".to_owned(),
        received_at: story.tick(),
        ..source.clone()
    });
    again.copies = vec![story.copy(
        candidates_record(table(TACHIRA, 1), [1; 10], 0, None),
        row(2),
    )];
    again.new_tables = vec![listed(table(ZULIA, 7), 1)];
    let before = Snapshot::read(story.store.as_ref())?;
    assert_eq!(
        story.store.apply(&again)?,
        BatchOutcome::AlreadyApplied {
            at: source.received_at
        },
        "the same results file again"
    );
    let after = Snapshot::read(story.store.as_ref())?;
    before.assert_unchanged(&after, "applying the same results file again");
    story.not_committed("applying the same results file again")?;
    story.check("applying the same results file again")
}

/// Step 4: two more copies of one table from a file of payloads typed in by volunteers: one with
/// the results' counts (corroborating), one with other counts (conflicting), with pseudonyms and
/// a device. The dataset gives back every copy, its provenance, findings and log index exactly;
/// the log entries are the batches' entries byte for byte and the leaf hashes theirs.
pub fn corroborating_and_conflicting_copies(story: &mut Story<'_>) -> Result<(), StoreError> {
    let source = story.source(FileKind::Payloads, "actas-voluntarios.txt", 4);
    let agreeing = candidates_record(
        table(CAPITAL, 1),
        [150, 3, 2, 1, 4, 0, 2, 1, 0, 180],
        6,
        Some(500),
    );
    let disagreeing = candidates_record(
        table(CAPITAL, 1),
        [120, 3, 2, 1, 4, 0, 2, 1, 0, 210],
        6,
        Some(500),
    );
    let mut payloads = batch(source.clone());
    payloads.copies = vec![
        story.copy(
            agreeing.clone(),
            provenance(
                &source,
                SourceKind::PayloadImport,
                Location::Line(1),
                Some("Moto G32 · cámara trasera"),
                Some("ana-17"),
            ),
        ),
        story.copy(
            disagreeing,
            provenance(
                &source,
                SourceKind::ManualEntry,
                Location::Line(2),
                None,
                Some("luis_m"),
            ),
        ),
    ];
    story.apply_new(&payloads, "corroborating and conflicting copies")?;

    let dataset = story.store.load_dataset()?;
    let copies: Vec<_> = dataset
        .copies
        .iter()
        .filter(|copy| copy.record.table == table(CAPITAL, 1))
        .collect();
    assert_eq!(copies.len(), 3, "copies of the table");
    let agree = copies
        .iter()
        .filter(|copy| copy.record.same_result(&agreeing, &story.election))
        .count();
    assert_eq!(agree, 2, "copies agreeing with the results' counts");
    let by_volunteer = copies
        .iter()
        .find(|copy| copy.provenance.volunteer == Some(pseudonym("ana-17")));
    assert_eq!(
        by_volunteer.and_then(|copy| copy.provenance.device.as_deref()),
        Some("Moto G32 · cámara trasera"),
        "the device of the volunteer's copy"
    );
    let size = story.store.log_size()?;
    let entries: Vec<Vec<u8>> = payloads
        .copies
        .iter()
        .map(|copy| copy.log_entry.clone())
        .collect();
    assert!(
        story.store.log_entries(size - 2, size)? == entries,
        "the last two log entries are the copies' entries"
    );
    let leaves = story.store.log_leaf_hashes()?;
    for (leaf, entry) in leaves[leaves.len() - 2..].iter().zip(&entries) {
        assert_eq!(
            *leaf,
            *veedor_ledger::leaf_hash(entry).as_bytes(),
            "a leaf hash"
        );
    }
    Ok(())
}

fn registry_of(voters: &[(u64, TableKey)]) -> Registry {
    let mut builder = RegistryBuilder::with_capacity(voters.len());
    for (voter, key) in voters {
        builder.push(VoterId::new(*voter), *key);
    }
    fixture(builder.build(), "a registry")
}

fn sorted_voters(voters: &[(u64, TableKey)]) -> Vec<(VoterId, TableKey)> {
    let mut voters: Vec<_> = voters
        .iter()
        .map(|(voter, key)| (VoterId::new(*voter), *key))
        .collect();
    voters.sort();
    voters
}

/// A registry's log entry: the store appends it as given, whatever it says.
fn registry_entry(file_name: &str) -> Vec<u8> {
    format!("veedor/registry/1\nconformance: {file_name}\n").into_bytes()
}

/// Replaces the registry with these voters, from a new file, and checks the store; its log
/// entry is appended.
fn swap_in(
    story: &mut Story<'_>,
    voters: &[(u64, TableKey)],
    file_name: &str,
    seed: u8,
) -> Result<(SourceFile, Registry), StoreError> {
    let source = story.source(FileKind::Registry, file_name, seed);
    let registry = registry_of(voters);
    let log_entry = registry_entry(file_name);
    assert_eq!(
        story
            .store
            .replace_registry(&registry, &source, &log_entry)?,
        BatchOutcome::Applied {
            copies_added: 0,
            tables_added: 0,
            tables_updated: 0
        },
        "replacing the registry with {file_name}"
    );
    story.committed(&format!("replacing the registry with {file_name}"))?;
    story.expected.log.push(log_entry);
    story.expected.sources.push(StoredSource {
        source: source.clone(),
        rejections: Vec::new(),
    });
    story.expected.registry = Some((
        RegistryInfo {
            voters: u64::try_from(voters.len()).unwrap_or(u64::MAX),
            source: source.clone(),
        },
        sorted_voters(voters),
    ));
    story.check(&format!("replacing the registry with {file_name}"))?;
    Ok((source, registry))
}

/// Step 5: a voter registry, then another in its place: lookups answer from the second only;
/// `registry_info` and `load_registry` give the second; the second's file again is
/// `AlreadyApplied` at its first time and changes nothing. Both files are sources.
pub fn swap_registry(story: &mut Story<'_>) -> Result<(), StoreError> {
    let capital_1 = story.key(table(CAPITAL, 1));
    let capital_2 = story.key(table(CAPITAL, 2));
    let tachira_1 = story.key(table(TACHIRA, 1));
    let tachira_2 = story.key(table(TACHIRA, 2));
    let first_voters = [
        (12_345_678, capital_1),
        (20_111_222, capital_2),
        (4_000_000, tachira_1),
    ];
    // One id beyond 32 bits, so the registry is stored in its wide form.
    let second_voters = [
        (20_111_222, capital_1),
        (7_654_321, tachira_2),
        (5_000_000_001, tachira_1),
    ];
    swap_in(story, &first_voters, "registro-electoral-2024-06.csv", 5)?;
    let (source, registry) = swap_in(story, &second_voters, "registro-electoral-2024-07.csv", 6)?;
    assert_eq!(
        story.store.lookup_voter(VoterId::new(12_345_678))?,
        None,
        "a voter only in the replaced registry"
    );
    assert_eq!(
        story.store.lookup_voter(VoterId::new(20_111_222))?,
        Some(capital_1),
        "a voter who moved"
    );
    assert_eq!(
        story.store.lookup_voter(VoterId::new(5_000_000_000))?,
        None,
        "a voter next to a wide id"
    );

    let again = SourceFile {
        file_name: "registro (copia).csv".to_owned(),
        received_at: story.tick(),
        ..source.clone()
    };
    let before = Snapshot::read(story.store.as_ref())?;
    assert_eq!(
        story
            .store
            .replace_registry(&registry, &again, &registry_entry("again"))?,
        BatchOutcome::AlreadyApplied {
            at: source.received_at
        },
        "the same registry file again"
    );
    let after = Snapshot::read(story.store.as_ref())?;
    before.assert_unchanged(&after, "replacing the registry with the same file");
    story.check("replacing the registry with the same file")
}

/// The story's log key; deterministic, so that every run signs the same notes.
fn log_key(seed: u8) -> SignerKey {
    fixture(
        SignerKey::generate([seed; 32], "conformance.veedor.example/log"),
        "the log key",
    )
}

/// A checkpoint of the log as `store` holds it, really signed.
fn sign(
    store: &dyn LogStore,
    key: &SignerKey,
    signed_at: Timestamp,
) -> Result<StoredCheckpoint, StoreError> {
    let leaves = store.log_leaf_hashes()?.into_iter().map(Hash).collect();
    let log = MerkleLog::from_leaf_hashes(leaves);
    let checkpoint = fixture(
        Checkpoint::new(key.name(), log.size(), log.root()),
        "a checkpoint",
    );
    Ok(StoredCheckpoint {
        size: log.size(),
        note: fixture(key.sign(&checkpoint), "signing a checkpoint"),
        signed_at,
    })
}

/// Step 6: a signed checkpoint is kept and is the latest, note and time exact; a second one of
/// the same size (another signature, later) is ignored: the first stays.
pub fn keep_checkpoints(story: &mut Story<'_>) -> Result<(), StoreError> {
    let key = log_key(0x5e);
    let at = story.tick();
    let first = sign(story.store.as_ref(), &key, at)?;
    assert_eq!(first.size, story.store.log_size()?, "the checkpoint's size");
    story.store.add_checkpoint(&first)?;
    story.committed("a checkpoint")?;
    story.expected.checkpoint = Some(first.clone());
    story.check("a checkpoint")?;
    let kept = story.store.latest_checkpoint()?;
    let verified = kept
        .as_ref()
        .map(|checkpoint| key.verifier_key().verify(&checkpoint.note));
    assert!(
        matches!(verified, Some(Ok(ref checkpoint)) if checkpoint.size == first.size),
        "the kept note no longer verifies: {verified:?}"
    );

    let at = story.tick();
    let other = sign(story.store.as_ref(), &log_key(0x17), at)?;
    assert_fixture(
        other.size == first.size && other.note != first.note,
        "a second checkpoint of the same size says something else",
    );
    story.store.add_checkpoint(&other)?;
    // Whether ignoring it counts as a commit is the adapter's business: only equality of
    // `data_version` is meaningful, and a spurious change only costs a reader a reload.
    story.version = story.store.data_version()?;
    story.check("a second checkpoint of the same size")
}

/// Step 7b: the log's signing turn. While one handle holds it, another handle (another process)
/// that asks for it waits, and gets it when the first ends it; ending a turn not begun is an
/// error. Checkpoints are signed in it, so several servers sign one at a time.
pub fn signing_turn(story: &mut Story<'_>) -> Result<(), StoreError> {
    let mut second = story.adapter.reopen()?;
    story.store.begin_signing_turn()?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let waiting = scope.spawn(move || -> Result<(), StoreError> {
            second.begin_signing_turn()?;
            let _ = sender.send(());
            second.end_signing_turn()
        });
        assert!(
            receiver
                .recv_timeout(std::time::Duration::from_millis(500))
                .is_err(),
            "two handles had the signing turn at once"
        );
        story.store.end_signing_turn()?;
        receiver
            .recv_timeout(std::time::Duration::from_secs(30))
            .map_err(|_| {
                StoreError::Conflict("the second handle never got the signing turn".into())
            })?;
        waiting
            .join()
            .unwrap_or_else(|_| panic!("the second handle panicked"))
    })?;
    assert!(
        story.store.end_signing_turn().is_err(),
        "a signing turn that was not begun ended without an error"
    );
    Ok(())
}

/// Step 7: a second handle on the same location sees everything the first wrote; its
/// `data_version` changes when the first writes, and the first's when it writes.
pub fn second_handle(story: &mut Story<'_>) -> Result<(), StoreError> {
    let mut second = story.adapter.reopen()?;
    let first_view = Snapshot::read(story.store.as_ref())?;
    let second_view = Snapshot::read(second.as_ref())?;
    first_view.assert_same_contents(&second_view, "a second handle");

    let source = story.source(FileKind::Results, "resultados-tachira.csv", 7);
    let mut results = batch(source.clone());
    results.copies = vec![story.copy(
        candidates_record(
            table(TACHIRA, 1),
            [210, 5, 3, 2, 1, 1, 0, 2, 1, 290],
            9,
            Some(612),
        ),
        provenance(
            &source,
            SourceKind::CsvImport,
            Location::Line(2),
            None,
            None,
        ),
    )];
    story.apply_new(&results, "a results file with a second handle open")?;
    assert_ne!(
        second.data_version()?,
        second_view.data_version,
        "the second handle's data_version did not change when the first wrote"
    );
    Snapshot::read(story.store.as_ref())?.assert_same_contents(
        &Snapshot::read(second.as_ref())?,
        "a second handle after the first wrote",
    );

    let at = story.tick();
    let checkpoint = sign(second.as_ref(), &log_key(0x5e), at)?;
    assert_fixture(
        story.expected.checkpoint.as_ref().map(|c| c.size) < Some(checkpoint.size),
        "the log grew since the last checkpoint",
    );
    second.add_checkpoint(&checkpoint)?;
    story.committed("a checkpoint written through the second handle")?;
    story.expected.checkpoint = Some(checkpoint);
    story.check("a checkpoint written through the second handle")
}

fn apply_failing(
    story: &mut Story<'_>,
    batch: &Batch,
    what: &str,
    expect_conflict: bool,
) -> Result<(), StoreError> {
    let before = Snapshot::read(story.store.as_ref())?;
    match story.store.apply(batch) {
        Err(StoreError::Conflict(_)) => {}
        Err(_) if !expect_conflict => {}
        Err(error) => panic!("{what}: expected a conflict, got the error {error}"),
        Ok(outcome) => panic!("{what}: expected a failure, the store said {outcome:?}"),
    }
    let after = Snapshot::read(story.store.as_ref())?;
    before.assert_unchanged(&after, what);
    story.not_committed(what)?;
    story.assert_unknown(&batch.source, what)
}

/// Step 8: batches that fail part-way leave nothing: not their source, tables, area names,
/// copies, log entries, rejections or queued pages, nor a new `data_version`. A new table that
/// exists, listed after one that does not, and a changed table that does not exist, listed
/// after one that does, fail with a conflict; if the adapter can [`Adapter::interrupt`] writes,
/// the batch fails after storing part of itself. The same batch, corrected, then applies.
pub fn interrupted_batches(story: &mut Story<'_>) -> Result<(), StoreError> {
    let source = scan(
        story,
        "lote-zulia.pdf",
        b"%PDF-1.7\n% conformance: lote Zulia, four pages\n",
    )?;
    let zulia_state = story.election.geography.area_of(table(ZULIA, 1).centre, 0);
    let mut scan = batch(source.clone());
    scan.new_tables = vec![PollingTable {
        id: table(ZULIA, 1),
        registered: None,
        listed: false,
    }];
    scan.area_names = vec![(zulia_state, "ZULIA".to_owned())];
    let page = |number| {
        provenance(
            &source,
            SourceKind::Qr,
            Location::Page(number),
            Some("Epson DS-530"),
            Some("mesa_tecnica-3"),
        )
    };
    scan.copies = vec![
        story.copy(
            cells_record(&story.election, table(CAPITAL, 2), &[40, 2, 1], 3),
            page(1),
        ),
        story.copy(
            cells_record(&story.election, table(ZULIA, 1), &[77, 0, 4, 1], 2),
            page(2),
        ),
    ];
    scan.queue = vec![QueuedPage {
        page: 3,
        reason: "no QR code found".to_owned(),
    }];
    scan.rejections = vec![Rejection {
        location: "page 4".to_owned(),
        message: "the page image is cut off".to_owned(),
    }];

    let mut exists = scan.clone();
    exists.new_tables.push(listed(table(CAPITAL, 1), 1));
    apply_failing(story, &exists, "a batch adding a table that exists", true)?;

    let mut missing = scan.clone();
    missing.changed_tables = vec![listed(table(CAPITAL, 2), 495), listed(table(ZULIA, 9), 100)];
    apply_failing(
        story,
        &missing,
        "a batch changing a table that does not exist",
        true,
    )?;

    if story.adapter.interrupt()? {
        let result = apply_failing(story, &scan, "an interrupted batch", false);
        story.adapter.resume()?;
        result?;
    }

    story.apply_new(&scan, "the batch that failed, corrected")
}

/// A scan received now: its bytes in the blob store first, as a blob must be durable before a
/// row that names it.
fn scan(story: &mut Story<'_>, file_name: &str, bytes: &[u8]) -> Result<SourceFile, StoreError> {
    let sha256 = story.adapter.blobs()?.put(bytes)?;
    Ok(SourceFile {
        kind: FileKind::Scan,
        file_name: file_name.to_owned(),
        sha256,
        size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        received_at: story.tick(),
    })
}

/// Step 9: scans whose pages need a person. The scan's bytes go to the blob store first; its
/// queued pages come back from `queue` oldest first with the scan's name, SHA-256 and time, its
/// rejected pages with the source; `has_source` knows the scan by kind and SHA-256.
pub fn queued_pages(story: &mut Story<'_>) -> Result<(), StoreError> {
    let lote = scan(
        story,
        "lote-07.pdf",
        b"%PDF-1.7\n% conformance: lote 7, four pages\n",
    )?;
    let photo = scan(
        story,
        "foto mesa 2.jpg",
        b"\xff\xd8\xff\xe0 conformance: one photo\xff\xd9",
    )?;

    let mut first = batch(lote.clone());
    let mut record = cells_record(&story.election, table(TACHIRA, 2), &[95, 1, 0, 2], 1);
    record
        .format_fields
        .push(("suffix2".to_owned(), String::new()));
    first.copies = vec![story.copy(
        record,
        provenance(
            &lote,
            SourceKind::Qr,
            Location::Page(1),
            Some("Fujitsu fi-8170"),
            None,
        ),
    )];
    first.queue = vec![
        QueuedPage {
            page: 2,
            reason: "no QR code found".to_owned(),
        },
        QueuedPage {
            page: 3,
            reason: "a QR code, but not an acta's: `https://example.invalid/x`".to_owned(),
        },
    ];
    first.rejections = vec![Rejection {
        location: "page 4".to_owned(),
        message: "blank page".to_owned(),
    }];
    story.apply_new(&first, "a scan with pages for a person")?;

    let mut second = batch(photo.clone());
    second.queue = vec![QueuedPage {
        page: 1,
        reason: "blurred: ¿otra foto?".to_owned(),
    }];
    let log_size = story.store.log_size()?;
    story.apply_new(&second, "a photo with no readable acta")?;
    assert_eq!(
        story.store.log_size()?,
        log_size,
        "a batch without copies grew the log"
    );

    let queue = story.store.queue()?;
    let pages: Vec<(&str, u32)> = queue
        .iter()
        .map(|entry| (entry.file_name.as_str(), entry.page))
        .collect();
    assert_eq!(
        pages,
        [
            ("lote-zulia.pdf", 3),
            ("lote-07.pdf", 2),
            ("lote-07.pdf", 3),
            ("foto mesa 2.jpg", 1)
        ],
        "the queue, oldest first"
    );
    for scan in [&lote, &photo] {
        assert!(
            story.store.has_source(FileKind::Scan, &scan.sha256)?,
            "has_source of {}",
            scan.file_name
        );
        assert!(
            !story.store.has_source(FileKind::Payloads, &scan.sha256)?,
            "has_source of {} as another kind",
            scan.file_name
        );
    }
    let sources = story.store.sources()?;
    assert_eq!(
        sources
            .iter()
            .find(|stored| stored.source == lote)
            .map(|stored| stored.rejections.clone()),
        Some(first.rejections.clone()),
        "the scan's rejected page"
    );
    Ok(())
}

fn sha256_hex(hex: &str) -> Sha256 {
    fixture(Sha256::from_hex(hex), "a SHA-256 test vector")
}

/// Step 10: blobs are stored by their SHA-256 (FIPS 180-2 test vectors), once however often put,
/// read back whole (a few megabytes too), known to a new handle of the blob store; the scans of
/// the story are there.
pub fn blobs(story: &mut Story<'_>) -> Result<(), StoreError> {
    let blobs = story.adapter.blobs()?;
    let vectors: [(&[u8], &str); 3] = [
        (
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            b"",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
    ];
    for (bytes, hex) in vectors {
        let expected = sha256_hex(hex);
        assert!(!blobs.contains(&expected)?, "a blob before it was put");
        assert_eq!(blobs.get(&expected)?, None, "a blob before it was put");
        assert_eq!(blobs.put(bytes)?, expected, "the SHA-256 of {bytes:?}");
        assert_eq!(blobs.put(bytes)?, expected, "putting {bytes:?} again");
        assert!(blobs.contains(&expected)?, "a blob after it was put");
        assert_eq!(
            blobs.get(&expected)?.as_deref(),
            Some(bytes),
            "a blob read back"
        );
    }

    // A few megabytes, more than one read or write call moves at a time.
    let large: Vec<u8> = (0..3_000_000u32)
        .map(|index| index.wrapping_mul(2_654_435_761).to_be_bytes()[0])
        .collect();
    let large_hash = blobs.put(&large)?;
    assert_eq!(blobs.put(&large)?, large_hash, "putting a large blob again");
    assert!(
        blobs.get(&large_hash)?.as_deref() == Some(&large[..]),
        "a large blob read back"
    );
    let mut changed = large.clone();
    changed[1_234_567] ^= 1;
    assert_ne!(blobs.put(&changed)?, large_hash, "one bit changes the hash");

    let again = story.adapter.blobs()?;
    assert!(again.contains(&large_hash)?, "another handle's blob");
    for stored in &story.expected.sources {
        if stored.source.kind == FileKind::Scan {
            assert!(
                again.contains(&stored.source.sha256)?,
                "the scan {} in the blob store",
                stored.source.file_name
            );
        }
    }
    // Blobs are not commits of the store's records.
    story.not_committed("putting blobs")
}

/// Last: a handle opened now reads exactly what the story's handle reads.
pub fn reopened_sees_everything(story: &Story<'_>) -> Result<(), StoreError> {
    let reopened: Box<dyn Store> = story.adapter.reopen()?;
    Snapshot::read(story.store.as_ref())?
        .assert_same_contents(&Snapshot::read(reopened.as_ref())?, "a handle opened last");
    let dataset = reopened.load_dataset()?;
    assert_eq!(
        dataset.copies.len(),
        story.expected.copies.len(),
        "copies seen by a handle opened last"
    );
    assert!(
        dataset
            .copies
            .iter()
            .any(|copy| matches!(copy.record.counts, Counts::Cells(_))),
        "QR copies seen by a handle opened last"
    );
    Ok(())
}

/// Volunteers' accounts and the audit log: an account created with its audit event in one
/// commit, a taken pseudonym refused with nothing stored, a suspension and a passphrase kept,
/// every event read back in order.
pub fn accounts_and_audit(story: &mut Story<'_>) -> Result<(), StoreError> {
    use veedor_core::entry::Role;
    use veedor_store::{Account, AuditEvent};
    let event =
        |story: &mut Story<'_>, actor: Option<&str>, action: &str, object: &str| AuditEvent {
            at: story.tick(),
            actor: actor.map(pseudonym),
            action: action.to_owned(),
            object: object.to_owned(),
            detail: format!("conformance: {action} {object}"),
        };
    let mut expected_audit = Vec::new();
    let mut ana = Account {
        pseudonym: pseudonym("ana-7"),
        role: Role::Typist,
        created_at: story.tick(),
        signin_code_sha256: Some(Sha256::from_bytes([3; 32])),
        passphrase_hash: None,
        suspended_at: None,
    };
    let added = event(story, None, "user.add", "ana-7");
    story.store.add_account(&ana, &added)?;
    expected_audit.push(added);
    story.committed("adding an account")?;
    assert_eq!(story.store.account(&ana.pseudonym)?.as_ref(), Some(&ana));

    // The same pseudonym again, even with another role: refused, nothing stored.
    let taken = Account {
        role: Role::Coordinator,
        ..ana.clone()
    };
    let refused = event(story, None, "user.add", "ana-7");
    assert!(
        matches!(
            story.store.add_account(&taken, &refused),
            Err(StoreError::Conflict(_))
        ),
        "a taken pseudonym must be a conflict"
    );
    story.not_committed("a refused account")?;

    ana.signin_code_sha256 = None;
    ana.passphrase_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned());
    let passphrase = event(story, Some("ana-7"), "user.passphrase", "ana-7");
    story.store.update_account(&ana, &passphrase)?;
    expected_audit.push(passphrase);
    story.committed("setting a passphrase")?;
    ana.suspended_at = Some(story.tick());
    let suspended = event(story, Some("jefa"), "user.suspend", "ana-7");
    story.store.update_account(&ana, &suspended)?;
    expected_audit.push(suspended);
    story.committed("suspending an account")?;

    let observer = Account {
        pseudonym: pseudonym("obs"),
        role: Role::Observer,
        created_at: story.tick(),
        signin_code_sha256: None,
        passphrase_hash: None,
        suspended_at: None,
    };
    let added = event(story, None, "user.add", "obs");
    story.store.add_account(&observer, &added)?;
    expected_audit.push(added);
    story.committed("adding a second account")?;
    let sign_in = event(story, Some("obs"), "sign_in", "obs");
    story.store.record_audit(&sign_in)?;
    expected_audit.push(sign_in);
    story.committed("an audit event")?;

    assert_eq!(story.store.accounts()?, vec![ana, observer]);
    assert_eq!(story.store.audit()?, expected_audit, "audit read back");
    // A second handle sees the same.
    let other = story.adapter.reopen()?;
    assert_eq!(
        other.audit()?,
        expected_audit,
        "audit read back by another handle"
    );
    Ok(())
}

/// The tasks of the pages queued by [`queued_pages`]: events appended only on the view they were
/// decided on (a stale count is a conflict that stores nothing), read back page by page and all
/// at once alike, by this handle and another.
pub fn task_events(story: &mut Story<'_>) -> Result<(), StoreError> {
    use veedor_core::entry::{Event, Recorded};
    use veedor_store::AuditEvent;
    let queue = story.store.queue()?;
    assert!(queue.len() >= 3, "the queue of `queued_pages`: {queue:?}");
    let (first, second, untouched) = (queue[0].id, queue[1].id, queue[2].id);
    let claim = |story: &mut Story<'_>, by: &str| Recorded {
        at: story.tick(),
        event: Event::Claimed {
            by: pseudonym(by),
            until: fixtures::time(10_000),
        },
    };
    let audit = |story: &mut Story<'_>, action: &str| AuditEvent {
        at: story.tick(),
        actor: None,
        action: action.to_owned(),
        object: "conformance page".to_owned(),
        detail: String::new(),
    };
    let audit_before = story.store.audit()?.len();
    let ana = claim(story, "ana-7");
    let event = audit(story, "task.claim");
    story.store.append_task_event(first, 0, &ana, &event)?;
    story.committed("a claim")?;
    // Decided on the view before that claim: refused, nothing stored.
    let luis = claim(story, "luis");
    let event = audit(story, "task.claim");
    assert!(
        matches!(
            story.store.append_task_event(first, 0, &luis, &event),
            Err(StoreError::Conflict(_))
        ),
        "an event decided on a stale view must be a conflict"
    );
    story.not_committed("a stale claim")?;
    let discarded = Recorded {
        at: story.tick(),
        event: Event::Discarded {
            by: pseudonym("jefa"),
            reason: "página en blanco".to_owned(),
        },
    };
    let event = audit(story, "task.discard");
    story
        .store
        .append_task_event(first, 1, &discarded, &event)?;
    story.committed("a second event")?;
    let event = audit(story, "task.claim");
    story.store.append_task_event(second, 0, &luis, &event)?;
    story.committed("a claim of another page")?;

    let expected =
        std::collections::BTreeMap::from([(first, vec![ana, discarded]), (second, vec![luis])]);
    for handle in [&*story.store, &*story.adapter.reopen()?] {
        assert_eq!(handle.all_task_events()?, expected, "every task's events");
        for (id, events) in &expected {
            assert_eq!(&handle.task_events(*id)?, events, "page {id}'s events");
        }
        assert!(handle.task_events(untouched)?.is_empty());
        assert_eq!(
            handle.audit()?.len(),
            audit_before + 3,
            "one audit event each"
        );
    }
    Ok(())
}

/// Volunteers' sessions (of the accounts of [`accounts_and_audit`]): stored by the SHA-256 of
/// their token, read back by any handle, kept to `most` a volunteer (the least recently used
/// ended first), touched, and ended one by one, by volunteer and by age; none of it changes the
/// data version, and reading back the results finds nothing changed.
pub fn sessions(story: &mut Story<'_>) -> Result<(), StoreError> {
    use veedor_store::{EndSessions, SessionRecord};
    // Whole seconds: the store keeps sessions' times to the second.
    let at = |second: i64| fixture(Timestamp::from_second(1_723_000_000 + second), "a time");
    let session = |n: u8, who: &str, created: i64, seen: i64| SessionRecord {
        token_sha256: Sha256::from_bytes([n; 32]),
        pseudonym: pseudonym(who),
        csrf: format!("csrf-{n}"),
        created_at: at(created),
        last_seen: at(seen),
    };
    let ana = [
        session(1, "ana-7", 0, 0),
        session(2, "ana-7", 10, 50),
        session(3, "ana-7", 20, 20),
    ];
    let obs = session(4, "obs", 30, 70);
    for record in ana.iter().chain([&obs]) {
        story.store.open_session(record, 3)?;
    }
    story.not_committed("opening sessions")?;
    for record in ana.iter().chain([&obs]) {
        assert_eq!(
            story.store.session(&record.token_sha256)?.as_ref(),
            Some(record),
            "a session read back"
        );
    }
    // A fourth for ana, at most three kept: the least recently used (1) ends.
    let fourth = session(5, "ana-7", 40, 40);
    story.store.open_session(&fourth, 3)?;
    assert_eq!(
        story.store.session(&ana[0].token_sha256)?,
        None,
        "beyond the most, the least used ends"
    );
    let other = story.adapter.reopen()?;
    for record in [&ana[1], &ana[2], &fourth, &obs] {
        assert_eq!(
            other.session(&record.token_sha256)?.as_ref(),
            Some(record),
            "a session read back by another handle"
        );
    }
    // Touched: later only, never earlier.
    story.store.touch_session(&ana[2].token_sha256, at(60))?;
    story.store.touch_session(&ana[2].token_sha256, at(55))?;
    assert_eq!(
        story
            .store
            .session(&ana[2].token_sha256)?
            .map(|record| record.last_seen),
        Some(at(60)),
        "a touched session"
    );
    assert_eq!(
        story
            .store
            .end_sessions(EndSessions::Token(&fourth.token_sha256))?,
        1
    );
    assert_eq!(
        story.store.session(&fourth.token_sha256)?,
        None,
        "a session ended"
    );
    // Expired: idle since before 55 (2, seen at 50) or begun before 25 (3, begun at 20).
    assert_eq!(
        story.store.end_sessions(EndSessions::Expired {
            idle_since: at(55),
            started_before: at(25),
        })?,
        2,
        "expired sessions"
    );
    assert_eq!(story.store.session(&obs.token_sha256)?.as_ref(), Some(&obs));
    assert_eq!(
        story
            .store
            .end_sessions(EndSessions::Of(&pseudonym("obs")))?,
        1
    );
    assert_eq!(
        story.store.session(&obs.token_sha256)?,
        None,
        "a volunteer's sessions ended"
    );
    // A new session is kept even when the volunteer's others were used later (another server's
    // clock ahead): the least recently used of the others ends.
    let later: Vec<SessionRecord> = (0..3)
        .map(|n| session(10 + n, "obs", 100, 100 + i64::from(n)))
        .collect();
    for record in &later {
        story.store.open_session(record, 3)?;
    }
    let behind = session(20, "obs", 90, 90);
    story.store.open_session(&behind, 3)?;
    assert_eq!(
        story.store.session(&behind.token_sha256)?.as_ref(),
        Some(&behind),
        "a new session is kept"
    );
    assert_eq!(
        story.store.session(&later[0].token_sha256)?,
        None,
        "beyond the most, the least used ends"
    );
    assert!(story.store.session(&later[2].token_sha256)?.is_some());
    story.not_committed("sessions used and ended")?;
    story.check("sessions")
}

/// Coordinators decide the table whose copies disagree (from
/// [`corroborating_and_conflicting_copies`]): each decision is stored with its log entry and
/// audit event, comes back with the dataset in order with its log index, and a later decision is
/// a new record beside the first; the copies are untouched.
pub fn decide_conflicts(story: &mut Story<'_>) -> Result<(), StoreError> {
    use veedor_core::{Decision, Reason, Results, TableStatus};
    use veedor_formats::DecisionEntry;
    use veedor_store::AuditEvent;

    let contested = table(CAPITAL, 1);
    let dataset = story.store.load_dataset()?;
    let copies_before = dataset.copies.clone();
    let results = Results::compute(dataset);
    let Some(state) = results.table(contested) else {
        panic!("the contested table is not in the results");
    };
    assert_eq!(
        state.assessment.status,
        TableStatus::Conflict,
        "the table whose copies disagree"
    );
    let copies: Vec<_> = results.copies_of(state).collect();
    let mut decided = Vec::new();
    for (number, copy) in copies.iter().take(2).enumerate() {
        let at = story.tick();
        let reason = Reason::new(&format!("conformance decision {number}: the paper says so"));
        let decision = match reason.and_then(|reason| {
            Decision::new(
                contested,
                &copies,
                results
                    .table(contested)
                    .map_or(TableStatus::Missing, |s| s.assessment.status),
                copy.provenance.evidence_ref(),
                pseudonym("jefa"),
                reason,
                at,
                &story.election,
            )
        }) {
            Ok(decision) => decision,
            Err(error) => panic!("a decision on the contested table: {error}"),
        };
        let entry = DecisionEntry {
            election: story.election.id.clone(),
            decision: decision.clone(),
        }
        .encode(story.election.geography.centre_digits);
        let audit = AuditEvent {
            at,
            actor: Some(pseudonym("jefa")),
            action: "copy.decide".to_owned(),
            object: decision.keep.describe(),
            detail: decision.reason.to_string(),
        };
        story.store.record_decision(&decision, &entry, &audit)?;
        story.committed("recording a decision")?;
        let log_index = u64::try_from(story.expected.log.len()).unwrap_or(u64::MAX);
        story.expected.log.push(entry);
        story.expected.decisions.push(Decision {
            log_index: Some(log_index),
            ..decision
        });
        assert_eq!(
            story.store.audit()?.last(),
            Some(&audit),
            "the decision's audit event"
        );
        story.check("recording a decision")?;
        decided.push(copy.provenance.evidence_ref());
    }
    let dataset = story.store.load_dataset()?;
    assert_eq!(
        dataset.copies, copies_before,
        "a decision leaves every copy as it was"
    );
    let results = Results::compute(dataset);
    let state = results.table(contested);
    assert_eq!(
        state.map(|s| s.assessment.status),
        Some(TableStatus::Decided),
        "the contested table, decided"
    );
    assert_eq!(
        state
            .and_then(|s| s.assessment.decision.as_ref())
            .map(|d| d.keep),
        decided.last().copied(),
        "the latest decision is the one in force"
    );
    Ok(())
}
