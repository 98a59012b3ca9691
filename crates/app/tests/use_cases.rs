//! The use cases on a real SQLite store in a temporary folder: a table list, a result file
//! applied once, a scan with a readable and an unreadable page stored with its blob, checkpoints
//! signed and the published log verified with the public key.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic is a failed test, with its message"
)]

use veedor_app::batch::{self, CopyRow, Origin, Tables};
use veedor_app::intake::{PageOutcome, ReadPage, ReadPages, ReadScan, ScanIntake, classify};
use veedor_app::{AppError, PublishedLog, Signer, sign_checkpoint};
use veedor_core::{
    ActaRecord, CentreCode, Counts, Location, Sha256, SourceKind, TableId, TableNumber, Timestamp,
};
use veedor_formats::{ActaFormat, TableRow};
use veedor_ledger::SignerKey;
use veedor_scan::{Limits, Thumbnail};
use veedor_store::prelude::*;
use veedor_store::{FileKind, SourceFile};
use veedor_store_sqlite::{FsBlobStore, SqliteStore};

const ELECTION: &str = include_str!("../../../elections/ve-2024-presidential.toml");
/// A real acta code of table 201301006.01.
const PAYLOAD: &str = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";

fn parse(text: &str) -> Result<veedor_core::Election, String> {
    veedor_formats::parse_election(text).map_err(|error| error.to_string())
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_722_200_000 + second).unwrap()
}

fn source(kind: FileKind, name: &str, bytes: &[u8], second: i64) -> SourceFile {
    SourceFile {
        kind,
        file_name: name.to_owned(),
        sha256: Sha256::from_bytes(veedor_scan::sha256(bytes)),
        size: u64::try_from(bytes.len()).unwrap(),
        received_at: at(second),
    }
}

fn table(number: u16) -> TableId {
    TableId::new(CentreCode::new(201_301_006), TableNumber::new(number))
}

struct Fixture {
    _folder: tempfile::TempDir,
    store: SqliteStore,
    blobs: FsBlobStore,
    key: SignerKey,
}

fn fixture() -> Fixture {
    let folder = tempfile::tempdir().unwrap();
    let first = veedor_formats::log_entry::election_entry(ELECTION);
    let store = SqliteStore::create(folder.path(), ELECTION, &first, &parse, at(0)).unwrap();
    Fixture {
        blobs: store.blobs(),
        store,
        _folder: folder,
        key: SignerKey::generate([9; 32], "example.org/veedor-test").unwrap(),
    }
}

/// Pages as read, with a blank fingerprint, and the file published as it is.
fn read(outcomes: Vec<PageOutcome>) -> ReadPages {
    let blank =
        Thumbnail::from_parts(100, 140, vec![255; Thumbnail::SIDE * Thumbnail::SIDE]).unwrap();
    ReadPages {
        pages: outcomes
            .into_iter()
            .map(|outcome| ReadPage {
                outcome,
                thumbnail: blank.clone(),
            })
            .collect(),
        published: Ok(b"the published file".to_vec()),
    }
}

#[test]
fn a_table_list_then_results_once_then_a_scan_all_logged_and_signed() {
    let Fixture {
        mut store,
        blobs,
        key,
        _folder,
    } = fixture();

    // A table list: two tables, listed, with their registered voters.
    let rows: Vec<TableRow> = [(1, 400), (2, 380)]
        .into_iter()
        .map(|(number, registered)| TableRow {
            line: u64::from(number) + 1,
            id: table(number),
            registered,
            area_names: vec![(0, "EDO. MIRANDA".to_owned())],
        })
        .collect();
    let list = source(FileKind::Tables, "tables.csv", b"list", 1);
    let report = batch::import_tables(&mut store, &key, &list, &rows).unwrap();
    assert_eq!((report.tables_added, report.tables_updated), (2, 0));
    assert!(store.tables().unwrap().iter().all(|(_, t)| t.listed));

    // Results: one row of table 1, stored once; a second import adds nothing.
    let record = ActaRecord {
        table: table(1),
        counts: Counts::Candidates(vec![200, 150, 0, 0, 0, 0, 0, 0, 0, 0]),
        null_votes: Some(2),
        stated_valid_votes: None,
        stated_registered: Some(400),
        format_fields: Vec::new(),
        declared_counts: Vec::new(),
    };
    let results = source(FileKind::Results, "results.csv", b"results", 2);
    let row = CopyRow {
        location: Location::Line(2),
        record,
        area_names: Vec::new(),
        published_sha256: None,
        same_image_as: None,
        entered_by: Vec::new(),
    };
    let origin = Origin::of(SourceKind::CsvImport);
    let report = batch::import_copies(
        &mut store,
        &key,
        &results,
        &origin,
        vec![row.clone()],
        &[],
        Tables::Refer,
    )
    .unwrap();
    assert_eq!(report.copies_added, 1);
    assert_eq!(report.checkpoint, Some(2));
    let again = batch::import_copies(
        &mut store,
        &key,
        &results,
        &origin,
        vec![row],
        &[],
        Tables::Refer,
    )
    .unwrap();
    assert_eq!(again.already_applied, Some(at(2)));
    assert_eq!(store.log_size().unwrap(), 2);

    // A file none of whose rows could be read records nothing.
    let unreadable = source(FileKind::Results, "bad.csv", b"bad", 3);
    let problem = veedor_formats::RowProblem {
        line: 2,
        message: "not a number".to_owned(),
    };
    assert!(matches!(
        batch::import_copies(
            &mut store,
            &key,
            &unreadable,
            &origin,
            vec![],
            &[problem],
            Tables::Refer
        ),
        Err(AppError::NothingReadable { rows: 1 })
    ));
    assert!(
        !store
            .has_source(FileKind::Results, &unreadable.sha256)
            .unwrap()
    );

    // A scan of two pages: the QR code of table 1, and a page without a code.
    let format = ActaFormat::from_id("ve2024-qr").unwrap();
    let bytes = b"the scanned file's bytes".to_vec();
    let scan = ReadScan {
        file_name: "scan-0001.jpg".to_owned(),
        sha256: Sha256::from_bytes(veedor_scan::sha256(&bytes)),
        bytes: bytes.clone(),
        read: read(vec![
            classify(&[PAYLOAD.to_owned()], &format),
            classify(&[], &format),
        ]),
    };
    let mut intake = ScanIntake::new(
        &store,
        Origin {
            kind: SourceKind::Qr,
            device: Some("scanner-3".to_owned()),
            volunteer: Some(veedor_core::Pseudonym::new("owl-7").unwrap()),
        },
        Limits::default(),
    )
    .unwrap();
    let stored = intake
        .store(&mut store, &blobs, scan.clone(), at(4))
        .unwrap();
    assert!(!stored.already);
    assert_eq!(stored.tables, vec![table(1)]);
    assert_eq!(stored.queued.len(), 1);
    assert_eq!(stored.queued[0].0, 2);
    assert_eq!(blobs.get(&scan.sha256).unwrap(), Some(bytes));
    assert_eq!(store.queue().unwrap().len(), 1);
    // The same file again adds nothing.
    assert!(
        intake
            .store(&mut store, &blobs, scan, at(5))
            .unwrap()
            .already
    );
    let copies = store.load_dataset().unwrap().copies;
    assert_eq!(copies.len(), 2);
    let qr = copies
        .iter()
        .find(|copy| copy.provenance.source == SourceKind::Qr)
        .unwrap();
    assert_eq!(qr.provenance.device.as_deref(), Some("scanner-3"));
    assert_eq!(qr.provenance.location, Location::Page(1));

    // A checkpoint of the grown log, verified as the server and the export publish it.
    let checkpoint = sign_checkpoint(&mut store, &key, at(6)).unwrap().unwrap();
    assert_eq!(checkpoint.size, 3);
    assert!(sign_checkpoint(&mut store, &key, at(7)).unwrap().is_none());
    let public = Signer::verifier_key(&key).unwrap();
    let log = PublishedLog::load(&store, &public).unwrap().unwrap();
    assert_eq!(log.size(), 3);
    assert_eq!(log.signed_at, at(6));
    let other = SignerKey::generate([8; 32], "example.org/veedor-test").unwrap();
    assert!(PublishedLog::load(&store, &other.verifier_key()).is_err());
}

#[test]
fn a_scan_page_that_is_not_an_acta_is_kept_for_a_person() {
    let Fixture {
        mut store, blobs, ..
    } = fixture();
    let format = ActaFormat::from_id("ve2024-qr").unwrap();
    let bytes = b"a phone photo".to_vec();
    let page = classify(&["https://example.org/not-an-acta".to_owned()], &format);
    assert!(matches!(page, PageOutcome::Queued(_)));
    let mut intake =
        ScanIntake::new(&store, Origin::of(SourceKind::Qr), Limits::default()).unwrap();
    let report = intake
        .store(
            &mut store,
            &blobs,
            ReadScan {
                file_name: "photo.jpg".to_owned(),
                sha256: Sha256::from_bytes(veedor_scan::sha256(&bytes)),
                bytes,
                read: read(vec![page]),
            },
            at(1),
        )
        .unwrap();
    assert!(report.tables.is_empty());
    assert_eq!(store.queue().unwrap()[0].file_name, "photo.jpg");
    assert_eq!(store.log_size().unwrap(), 1);
}

#[test]
fn a_table_another_writer_added_meanwhile_is_learnt_and_the_scan_stored_once() {
    let folder = tempfile::tempdir().unwrap();
    let first = veedor_formats::log_entry::election_entry(ELECTION);
    let mut ingest = SqliteStore::create(folder.path(), ELECTION, &first, &parse, at(0)).unwrap();
    let mut import = SqliteStore::open(folder.path(), &parse).unwrap();
    let blobs = ingest.blobs();
    let key = SignerKey::generate([9; 32], "example.org/veedor-test").unwrap();
    // The intake loads the tables now: none yet.
    let mut intake =
        ScanIntake::new(&ingest, Origin::of(SourceKind::Qr), Limits::default()).unwrap();
    // Meanwhile another writer learns table 1 from a result file.
    let row = CopyRow {
        location: Location::Line(2),
        record: ActaRecord {
            table: table(1),
            counts: Counts::Candidates(vec![140, 7, 10, 8, 1, 7, 1, 0, 2, 3]),
            null_votes: Some(0),
            stated_valid_votes: None,
            stated_registered: Some(400),
            format_fields: Vec::new(),
            declared_counts: Vec::new(),
        },
        area_names: Vec::new(),
        published_sha256: None,
        same_image_as: None,
        entered_by: Vec::new(),
    };
    let results = source(FileKind::Results, "results.csv", b"results", 1);
    batch::import_copies(
        &mut import,
        &key,
        &results,
        &Origin::of(SourceKind::CsvImport),
        vec![row],
        &[],
        Tables::Define,
    )
    .unwrap();
    // The scan's batch would add table 1 again: refused as a conflict, then built again.
    let format = ActaFormat::from_id("ve2024-qr").unwrap();
    let bytes = b"a scan of table 1".to_vec();
    let report = intake
        .store(
            &mut ingest,
            &blobs,
            ReadScan {
                file_name: "scan.jpg".to_owned(),
                sha256: Sha256::from_bytes(veedor_scan::sha256(&bytes)),
                bytes,
                read: read(vec![classify(&[PAYLOAD.to_owned()], &format)]),
            },
            at(2),
        )
        .unwrap();
    assert_eq!(report.tables, vec![table(1)]);
    let tables = ingest.tables().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].1.registered, Some(400));
    assert_eq!(ingest.load_dataset().unwrap().copies.len(), 2);
}

#[test]
fn one_file_repeating_a_sheet_is_one_piece_of_evidence() {
    let Fixture {
        mut store,
        blobs,
        key,
        _folder,
    } = fixture();
    let list = source(FileKind::Tables, "tables.csv", b"list", 0);
    let rows = [TableRow {
        line: 2,
        id: table(1),
        registered: 400,
        area_names: Vec::new(),
    }];
    batch::import_tables(&mut store, &key, &list, &rows).unwrap();
    let format = ActaFormat::from_id("ve2024-qr").unwrap();
    let bytes = b"a PDF of one sheet, its page repeated".to_vec();
    let page = classify(&[PAYLOAD.to_owned()], &format);
    let mut intake =
        ScanIntake::new(&store, Origin::of(SourceKind::Qr), Limits::default()).unwrap();
    let report = intake
        .store(
            &mut store,
            &blobs,
            ReadScan {
                file_name: "500-pages.pdf".to_owned(),
                sha256: Sha256::from_bytes(veedor_scan::sha256(&bytes)),
                bytes,
                read: read(vec![page.clone(), page.clone(), page]),
            },
            at(1),
        )
        .unwrap();
    assert_eq!(report.tables, vec![table(1)]);
    assert_eq!(report.repeated, vec![(2, 1), (3, 1)]);
    let dataset = store.load_dataset().unwrap();
    assert_eq!(dataset.copies.len(), 1);
    let results = veedor_core::Results::compute(dataset);
    assert_eq!(
        results.table(table(1)).unwrap().assessment.status,
        veedor_core::TableStatus::Accepted
    );
    let sources = store.sources().unwrap();
    let rejections = &sources.last().unwrap().rejections;
    assert_eq!(rejections.len(), 2);
    assert!(rejections[0].message.contains("the same acta as page 1"));
}

#[test]
fn what_is_published_is_the_dataset_as_of_the_checkpoint() {
    let Fixture {
        mut store,
        key,
        _folder,
        ..
    } = fixture();
    let origin = Origin::of(SourceKind::CsvImport);
    let row = |number: u16| CopyRow {
        location: Location::Line(u64::from(number) + 1),
        record: ActaRecord {
            table: table(number),
            counts: Counts::Candidates(vec![10, 5, 0, 0, 0, 0, 0, 0, 0, 0]),
            null_votes: Some(0),
            stated_valid_votes: None,
            stated_registered: Some(100),
            format_fields: Vec::new(),
            declared_counts: Vec::new(),
        },
        area_names: Vec::new(),
        published_sha256: None,
        same_image_as: None,
        entered_by: Vec::new(),
    };
    let first = source(FileKind::Results, "first.csv", b"first", 1);
    batch::import_copies(
        &mut store,
        &key,
        &first,
        &origin,
        vec![row(1)],
        &[],
        Tables::Define,
    )
    .unwrap();
    // A later batch stored without a checkpoint yet, as an ingest between two signatures.
    let second = source(FileKind::Results, "second.csv", b"second", 2);
    let (later, mut report) = batch::copies_batch(
        &store.election().unwrap(),
        &veedor_app::KnownTables::load(&store).unwrap(),
        &second,
        &origin,
        vec![row(2)],
        &[],
        Tables::Define,
    );
    batch::apply_unsigned(&mut store, &later, &mut report).unwrap();
    let public = Signer::verifier_key(&key).unwrap();
    let log = PublishedLog::load(&store, &public).unwrap().unwrap();
    assert_eq!(log.size(), 2);
    let dataset = store.load_dataset().unwrap();
    assert_eq!(dataset.copies.len(), 2);
    let published = log.covered(dataset);
    assert_eq!(published.copies.len(), 1);
    assert_eq!(published.copies[0].record.table, table(1));
}

/// A coordinator creates a typist, who sets a passphrase with the one-time code and signs in;
/// a wrong passphrase, a spent code and a taken pseudonym are refused; a suspended volunteer
/// cannot sign in; every step is on the audit log, by pseudonym only.
#[test]
fn a_volunteer_signs_in_with_a_passphrase_set_by_their_one_time_code() {
    use veedor_app::volunteers::{self, AccountError};
    use veedor_core::entry::Role;
    let Fixture {
        mut store, _folder, ..
    } = fixture();
    let ana = veedor_core::Pseudonym::new("ana-7").unwrap();
    let chief = veedor_core::Pseudonym::new("chief").unwrap();
    let code = volunteers::add_volunteer(
        &mut store,
        Some(&chief),
        ana.clone(),
        Role::Typist,
        [7; 15],
        at(1),
    )
    .unwrap();
    assert!(matches!(
        volunteers::add_volunteer(
            &mut store,
            Some(&chief),
            ana.clone(),
            Role::Coordinator,
            [8; 15],
            at(2)
        ),
        Err(AccountError::Taken(_))
    ));
    assert!(matches!(
        volunteers::set_passphrase(
            &mut store,
            &ana,
            "0000-0000",
            "correct horse battery",
            [1; 16],
            at(2)
        ),
        Err(AccountError::BadCode(_))
    ));
    assert!(matches!(
        volunteers::set_passphrase(&mut store, &ana, &code, "short", [1; 16], at(2)),
        Err(AccountError::ShortPassphrase)
    ));
    volunteers::set_passphrase(
        &mut store,
        &ana,
        &code,
        "correct horse battery",
        [1; 16],
        at(3),
    )
    .unwrap();
    let stored = store.account(&ana).unwrap().unwrap();
    assert!(
        stored
            .passphrase_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert_eq!(stored.signin_code_sha256, None);
    // The code is spent.
    assert!(matches!(
        volunteers::set_passphrase(
            &mut store,
            &ana,
            &code,
            "another horse battery",
            [2; 16],
            at(4)
        ),
        Err(AccountError::BadCode(_))
    ));
    assert!(matches!(
        volunteers::sign_in(&mut store, &ana, "wrong horse battery", at(5)),
        Err(AccountError::BadCredentials)
    ));
    let nobody = veedor_core::Pseudonym::new("nobody").unwrap();
    assert!(matches!(
        volunteers::sign_in(&mut store, &nobody, "correct horse battery", at(5)),
        Err(AccountError::BadCredentials)
    ));
    let account = volunteers::sign_in(&mut store, &ana, "correct horse battery", at(6)).unwrap();
    assert_eq!(account.role, Role::Typist);
    volunteers::suspend(
        &mut store,
        Some(&chief),
        &ana,
        "entered made-up numbers",
        at(7),
    )
    .unwrap();
    assert!(matches!(
        volunteers::sign_in(&mut store, &ana, "correct horse battery", at(8)),
        Err(AccountError::Suspended(_))
    ));
    let actions: Vec<(String, Option<String>, String)> = store
        .audit()
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.actor.map(|a| a.as_str().to_owned()), e.object))
        .collect();
    let expected: Vec<(&str, Option<&str>, &str)> = vec![
        ("user.add", Some("chief"), "ana-7"),
        ("user.passphrase", Some("ana-7"), "ana-7"),
        ("sign_in.failed", None, "ana-7"),
        ("sign_in.failed", None, "nobody"),
        ("sign_in", Some("ana-7"), "ana-7"),
        ("user.suspend", Some("chief"), "ana-7"),
        ("sign_in.suspended", Some("ana-7"), "ana-7"),
    ];
    assert_eq!(
        actions,
        expected
            .into_iter()
            .map(|(a, b, c)| (a.to_owned(), b.map(str::to_owned), c.to_owned()))
            .collect::<Vec<_>>()
    );
    // Nothing on the audit log is a secret: not the code, not the passphrase.
    let audit = format!("{:?}", store.audit().unwrap());
    assert!(!audit.contains(&code) && !audit.contains("horse"));
}

/// A page no machine could read: two typists enter it blind and agree, and it is counted as a
/// manual copy naming the scan, the page and both pseudonyms; another page, entered
/// differently, is settled by a third typist; an action decided on a stale view is refused.
#[test]
fn two_typists_turn_an_unreadable_page_into_a_counted_manual_copy() {
    use veedor_app::tasks;
    use veedor_app::volunteers;
    use veedor_core::entry::{Action, Entry, Phase, Role};
    let Fixture {
        mut store,
        blobs,
        key,
        _folder,
    } = fixture();
    let list = source(FileKind::Tables, "tables.csv", b"list", 0);
    let rows: Vec<TableRow> = [1u16, 2]
        .into_iter()
        .map(|number| TableRow {
            line: u64::from(number) + 1,
            id: table(number),
            registered: 400,
            area_names: Vec::new(),
        })
        .collect();
    batch::import_tables(&mut store, &key, &list, &rows).unwrap();
    // A scan of two pages whose codes are torn off.
    let format = ActaFormat::from_id("ve2024-qr").unwrap();
    let bytes = b"two sheets with torn codes".to_vec();
    let mut intake =
        ScanIntake::new(&store, Origin::of(SourceKind::Qr), Limits::default()).unwrap();
    intake
        .store(
            &mut store,
            &blobs,
            ReadScan {
                file_name: "torn.pdf".to_owned(),
                sha256: Sha256::from_bytes(veedor_scan::sha256(&bytes)),
                bytes,
                read: read(vec![classify(&[], &format), classify(&[], &format)]),
            },
            at(1),
        )
        .unwrap();
    let pages: Vec<i64> = tasks::tasks(&store, at(2))
        .unwrap()
        .iter()
        .map(|view| view.page.id)
        .collect();
    assert_eq!(pages.len(), 2);
    let mut account = |name: &str, role| {
        let pseudonym = veedor_core::Pseudonym::new(name).unwrap();
        volunteers::add_volunteer(&mut store, None, pseudonym.clone(), role, [1; 15], at(2))
            .unwrap();
        store.account(&pseudonym).unwrap().unwrap()
    };
    let ana = account("ana", Role::Typist);
    let beto = account("beto", Role::Typist);
    let carla = account("carla", Role::Typist);
    let entry = |number: u16, first: u32| Entry {
        table: table(number),
        counts: Counts::Candidates(vec![first, 150, 0, 0, 0, 0, 0, 0, 0, 0]),
        null_votes: Some(2),
        stated_valid_votes: None,
        stated_registered: None,
        declared_counts: Vec::new(),
    };
    let mut enter = |who: &veedor_store::Account, page: i64, e: Entry, minute: i64| {
        tasks::act(&mut store, &blobs, who, page, Action::Claim, at(minute)).unwrap();
        tasks::act(&mut store, &blobs, who, page, Action::Enter(e), at(minute)).unwrap()
    };
    // Page 1: ana and beto agree.
    assert!(enter(&ana, pages[0], entry(1, 200), 3).stored.is_none());
    let settled = enter(&beto, pages[0], entry(1, 200), 4);
    assert_eq!(settled.stored.as_ref().map(|r| r.copies_added), Some(1));
    // Page 2: ana and beto differ, carla agrees with beto.
    enter(&ana, pages[1], entry(2, 100), 5);
    let second = enter(&beto, pages[1], entry(2, 101), 6);
    assert_eq!(second.task.phase, Phase::Open);
    let third = enter(&carla, pages[1], entry(2, 101), 7);
    assert!(matches!(third.task.phase, Phase::Settled { .. }));

    let results = veedor_core::Results::compute(store.load_dataset().unwrap());
    for (number, first) in [(1u16, 200u32), (2, 101)] {
        let state = results.table(table(number)).unwrap();
        assert_eq!(state.assessment.status, veedor_core::TableStatus::Accepted);
        let copy = results.copies_of(state).next().unwrap();
        assert_eq!(copy.provenance.source, SourceKind::ManualEntry);
        assert_eq!(copy.provenance.file_name, "torn.pdf");
        assert_eq!(
            copy.record.candidate_votes(results.election())[0],
            u64::from(first)
        );
        assert!(copy.log_index.is_some());
    }
    let typists = |number: u16| -> Vec<String> {
        let state = results.table(table(number)).unwrap();
        results
            .copies_of(state)
            .next()
            .unwrap()
            .provenance
            .entered_by
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect()
    };
    assert_eq!(typists(1), ["ana", "beto"]);
    assert_eq!(typists(2), ["beto", "carla"]);
    // The audit has every claim and entry, and never the numbers entered.
    let audit = store.audit().unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "task.enter").count(), 5);
    assert!(audit.iter().all(|e| !e.detail.contains("200")));
    // A decision taken on a stale view of the task is refused, nothing stored.
    let page = store.queue().unwrap()[0].clone();
    let before = store.task_events(page.id).unwrap().len();
    let stale = veedor_core::entry::Recorded {
        at: at(9),
        event: veedor_core::entry::Event::Claimed {
            by: carla.pseudonym.clone(),
            until: at(20),
        },
    };
    let audit_event = veedor_store::AuditEvent {
        at: at(9),
        actor: None,
        action: "task.claim".to_owned(),
        object: String::new(),
        detail: String::new(),
    };
    assert!(matches!(
        store.append_task_event(page.id, before - 1, &stale, &audit_event),
        Err(veedor_store::StoreError::Conflict(_))
    ));
    assert_eq!(store.task_events(page.id).unwrap().len(), before);
}

/// Two result files disagree on table 1: a typist may not decide, a coordinator keeps one copy
/// with a reason (logged, audited, counted), a table that is not in conflict is refused, and a
/// third file disagreeing with the kept numbers puts the table back in conflict.
#[test]
fn a_coordinator_decides_between_copies_that_disagree() {
    use veedor_app::decisions::{self, DecideError};
    use veedor_app::volunteers;
    use veedor_core::entry::Role;
    use veedor_core::{DecisionError, Results, TableStatus};
    let Fixture {
        mut store,
        key,
        _folder,
        ..
    } = fixture();
    let rows: Vec<TableRow> = [(1, 400), (2, 380)]
        .into_iter()
        .map(|(number, registered)| TableRow {
            line: u64::from(number) + 1,
            id: table(number),
            registered,
            area_names: Vec::new(),
        })
        .collect();
    let list = source(FileKind::Tables, "tables.csv", b"list", 1);
    batch::import_tables(&mut store, &key, &list, &rows).unwrap();
    let row = |number: u16, first: u32| CopyRow {
        location: Location::Line(u64::from(number) + 1),
        record: ActaRecord {
            table: table(number),
            counts: Counts::Candidates(vec![first, 150, 0, 0, 0, 0, 0, 0, 0, 0]),
            null_votes: Some(2),
            stated_valid_votes: None,
            stated_registered: None,
            format_fields: Vec::new(),
            declared_counts: Vec::new(),
        },
        area_names: Vec::new(),
        published_sha256: None,
        same_image_as: None,
        entered_by: Vec::new(),
    };
    let import = |store: &mut SqliteStore, name: &str, rows: Vec<CopyRow>, second: i64| {
        let file = source(FileKind::Results, name, name.as_bytes(), second);
        batch::import_copies(
            store,
            &key,
            &file,
            &Origin::of(SourceKind::CsvImport),
            rows,
            &[],
            Tables::Refer,
        )
        .unwrap();
        file
    };
    let official = import(&mut store, "official.csv", vec![row(1, 200), row(2, 90)], 2);
    let altered = import(&mut store, "altered.csv", vec![row(1, 20)], 3);
    let status = |store: &SqliteStore| {
        Results::compute(store.load_dataset().unwrap())
            .table(table(1))
            .map(|s| s.assessment.status)
    };
    assert_eq!(status(&store), Some(TableStatus::Conflict));
    let results = Results::compute(store.load_dataset().unwrap());
    let listed = decisions::conflicts(&results, false);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].table, table(1));
    assert_eq!(listed[0].copies.len(), 2);

    let chief = veedor_core::Pseudonym::new("chief").unwrap();
    let ana = veedor_core::Pseudonym::new("ana").unwrap();
    volunteers::add_volunteer(
        &mut store,
        None,
        chief.clone(),
        Role::Coordinator,
        [1; 15],
        at(4),
    )
    .unwrap();
    volunteers::add_volunteer(&mut store, None, ana.clone(), Role::Typist, [2; 15], at(4)).unwrap();
    let account = |store: &SqliteStore, who| store.account(who).unwrap().unwrap();
    let keep_official = format!("{}:line 2", &official.sha256.to_hex()[..10]);
    let log_before = store.log_size().unwrap();

    let typist = account(&store, &ana);
    let refused = decisions::decide(&mut store, &typist, table(1), &keep_official, "x", at(5));
    assert!(matches!(refused, Err(DecideError::NotCoordinator { .. })));
    let coordinator = account(&store, &chief);
    let no_reason = decisions::decide(
        &mut store,
        &coordinator,
        table(1),
        &keep_official,
        " ",
        at(5),
    );
    assert!(matches!(
        no_reason,
        Err(DecideError::Refused(DecisionError::EmptyReason))
    ));
    let not_in_conflict = decisions::decide(
        &mut store,
        &coordinator,
        table(2),
        &keep_official,
        "x",
        at(5),
    );
    assert!(
        matches!(not_in_conflict, Err(DecideError::NoSuchCopy { .. })),
        "{not_in_conflict:?}"
    );
    let table_2 = format!("{}:line 3", official.sha256.to_hex());
    let not_in_conflict =
        decisions::decide(&mut store, &coordinator, table(2), &table_2, "x", at(5));
    assert!(
        matches!(
            not_in_conflict,
            Err(DecideError::Refused(DecisionError::NotInConflict { .. }))
        ),
        "{not_in_conflict:?}"
    );
    let ambiguous = decisions::decide(&mut store, &coordinator, table(1), "zz", "x", at(5));
    assert!(matches!(ambiguous, Err(DecideError::BadCopyName(_))));
    assert_eq!(
        store.log_size().unwrap(),
        log_before,
        "nothing refused is logged"
    );

    let decision = decisions::decide(
        &mut store,
        &coordinator,
        table(1),
        &keep_official,
        "the official file matches the paper the witnesses kept",
        at(6),
    )
    .unwrap();
    assert_eq!(decision.overruled.len(), 1);
    assert_eq!(decision.overruled[0].file_sha256, altered.sha256);
    assert_eq!(status(&store), Some(TableStatus::Decided));
    let results = Results::compute(store.load_dataset().unwrap());
    assert_eq!(results.tally.national().valid_votes(), 350 + 240);
    assert_eq!(
        results.dataset.decisions[0].log_index,
        Some(log_before),
        "the decision is the next log entry"
    );
    assert!(decisions::conflicts(&results, false).is_empty());
    assert_eq!(decisions::conflicts(&results, true).len(), 1);
    let audit = store.audit().unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "copy.decide");
    assert_eq!(last.actor.as_ref(), Some(&chief));
    assert!(last.detail.contains("witnesses"));
    // The log with the decision is signed and verifies with the public key.
    sign_checkpoint(&mut store, &key, at(7)).unwrap();
    let published = PublishedLog::load(&store, &key.verifier_key())
        .unwrap()
        .unwrap();
    assert_eq!(published.size(), log_before + 1);

    // A suspended coordinator decides nothing.
    volunteers::suspend(&mut store, None, &chief, "left", at(8)).unwrap();
    let suspended = decisions::decide(
        &mut store,
        &coordinator,
        table(1),
        &keep_official,
        "x",
        at(9),
    );
    assert!(matches!(suspended, Err(DecideError::Suspended(_))));

    // A later file with yet other numbers: the decision did not overrule it.
    import(&mut store, "third.csv", vec![row(1, 7)], 10);
    assert_eq!(status(&store), Some(TableStatus::Conflict));
}
