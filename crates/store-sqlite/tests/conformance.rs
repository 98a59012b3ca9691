//! The store conformance suite (`veedor-store-conformance`) on the SQLite adapter, in a
//! temporary folder; and on faulty wrappers of it, to show that the suite catches what it
//! claims to.

use std::collections::BTreeMap;

use veedor_core::entry::Recorded;
use veedor_core::{
    AreaCode, Dataset, Decision, Election, PollingTable, Pseudonym, Registry, Sha256, TableKey,
    Timestamp, VoterId,
};
use veedor_store::{
    Account, AuditEvent, Batch, BatchOutcome, BlobStore, EndSessions, FileKind, LogStore,
    QueueEntry, RegistryInfo, RegistryStore, ResultStore, SessionRecord, SourceFile, Store,
    StoreError, StoredCheckpoint, StoredSource, VolunteerStore,
};
use veedor_store_conformance::{
    Adapter, POSTGRES_VARIABLE, RequestedAdapter, requested_adapters, run_all,
};
use veedor_store_sqlite::{DATABASE_FILE, SqliteStore};

fn parse(text: &str) -> Result<Election, String> {
    veedor_formats::parse_election(text).map_err(|error| error.to_string())
}

/// The SQLite adapter on a temporary data folder, optionally wrapped in a fault.
struct Sqlite {
    folder: tempfile::TempDir,
    fault: Option<Fault>,
}

impl Sqlite {
    fn new(fault: Option<Fault>) -> Result<Self, StoreError> {
        let folder = tempfile::tempdir().map_err(|source| StoreError::Io {
            path: "a temporary folder".to_owned(),
            source,
        })?;
        Ok(Self { folder, fault })
    }

    fn wrap(&self, store: SqliteStore) -> Box<dyn Store> {
        match self.fault {
            None => Box::new(store),
            Some(fault) => Box::new(Faulty {
                inner: store,
                fault,
            }),
        }
    }

    /// A connection of our own, beside the adapter's, to change the schema under it.
    fn connection(&self) -> Result<rusqlite::Connection, StoreError> {
        rusqlite::Connection::open(self.folder.path().join(DATABASE_FILE))
            .map_err(|error| StoreError::Database(error.to_string()))
    }
}

impl Adapter for Sqlite {
    fn create(
        &self,
        election_definition: &str,
        first_log_entry: &[u8],
        now: Timestamp,
    ) -> Result<Box<dyn Store>, StoreError> {
        let store = SqliteStore::create(
            self.folder.path(),
            election_definition,
            first_log_entry,
            &parse,
            now,
        )?;
        Ok(self.wrap(store))
    }

    fn reopen(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(self.wrap(SqliteStore::open(self.folder.path(), &parse)?))
    }

    fn blobs(&self) -> Result<Box<dyn BlobStore>, StoreError> {
        Ok(Box::new(
            SqliteStore::open(self.folder.path(), &parse)?.blobs(),
        ))
    }

    /// A trigger that refuses every log entry but the election's: a batch fails after storing
    /// its source, its tables and its first copy.
    fn interrupt(&self) -> Result<bool, StoreError> {
        self.connection()?
            .execute_batch(
                "CREATE TRIGGER conformance_interrupt BEFORE INSERT ON log_entries
                 BEGIN SELECT RAISE(ABORT, 'interrupted by the conformance suite'); END;",
            )
            .map_err(|error| StoreError::Database(error.to_string()))?;
        Ok(true)
    }

    fn resume(&self) -> Result<(), StoreError> {
        self.connection()?
            .execute_batch("DROP TRIGGER conformance_interrupt")
            .map_err(|error| StoreError::Database(error.to_string()))
    }
}

#[test]
fn sqlite_passes_the_conformance_suite() -> Result<(), StoreError> {
    run_all(&Sqlite::new(None)?)
}

/// Decisions are append-only in the database itself: an update or a delete by any writer, even
/// one that bypasses the store, is refused.
#[test]
fn sqlite_refuses_to_edit_or_delete_a_decision() -> Result<(), StoreError> {
    let sqlite = Sqlite::new(None)?;
    run_all(&sqlite)?;
    let connection = sqlite.connection()?;
    let count = |connection: &rusqlite::Connection| -> i64 {
        connection
            .query_row("SELECT count(*) FROM decisions", [], |row| row.get(0))
            .unwrap_or(-1)
    };
    assert_eq!(count(&connection), 2, "the suite's two decisions");
    for sql in [
        "UPDATE decisions SET reason = 'changed'",
        "DELETE FROM decisions",
    ] {
        let error = connection.execute(sql, []).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("decisions are append-only")),
            "{sql}: {error:?}"
        );
    }
    assert_eq!(count(&connection), 2);
    Ok(())
}

/// Until a PostgreSQL adapter exists, asking for it must fail rather than pass having tested
/// nothing. When `crates/store-postgres` exists, its own conformance test runs the suite on the
/// URL, and this check moves there.
#[test]
fn every_adapter_the_environment_asks_for_exists() {
    let requested = requested_adapters().unwrap_or_else(|error| panic!("{error}"));
    let missing: Vec<String> = requested
        .iter()
        .map(|adapter| match adapter {
            RequestedAdapter::Postgres { .. } => format!("PostgreSQL ({POSTGRES_VARIABLE})"),
            other => format!("{other:?}"),
        })
        .collect();
    assert!(
        missing.is_empty(),
        "the environment asks for the store conformance suite on {}, but this workspace has no \
         such adapter yet (crates/store-postgres): nothing would run it. Unset the variable, or \
         add the adapter and its conformance test.",
        missing.join(", ")
    );
}

/// What a faulty wrapper gets wrong.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// `data_version` never changes.
    StaleVersion,
    /// The dataset forgets volunteers.
    ForgetsVolunteers,
    /// A batch that conflicts still stores its copies.
    NotAtomic,
    /// Applying a source again applies it again.
    AppliesTwice,
    /// A second checkpoint of a size replaces the first.
    ReplacesCheckpoints,
    /// The audit log drops events recorded on their own.
    DropsAudit,
    /// The dataset gives only the first decision on a table (a later one does not supersede).
    KeepsFirstDecision,
    /// A task event is appended whatever view it was decided on.
    AppendsOnStaleView,
    /// Every task's events, read all at once, come back newest first.
    ReversesTaskEvents,
    /// A volunteer's sessions are not capped.
    KeepsEverySession,
}

#[test]
#[should_panic(expected = "beyond the most, the least used ends")]
fn the_suite_catches_sessions_beyond_the_cap() {
    let _ = run_all(&Sqlite::new(Some(Fault::KeepsEverySession)).unwrap());
}

#[test]
#[should_panic(expected = "an event decided on a stale view must be a conflict")]
fn the_suite_catches_an_event_decided_on_a_stale_view() {
    let _ = run_all(&Sqlite::new(Some(Fault::AppendsOnStaleView)).unwrap());
}

#[test]
#[should_panic(expected = "every task's events")]
fn the_suite_catches_task_events_out_of_order() {
    let _ = run_all(&Sqlite::new(Some(Fault::ReversesTaskEvents)).unwrap());
}

#[test]
#[should_panic(expected = "decisions read back")]
fn the_suite_catches_a_decision_that_does_not_supersede() {
    let _ = run_all(&Sqlite::new(Some(Fault::KeepsFirstDecision)).unwrap());
}

#[test]
#[should_panic(expected = "audit read back")]
fn the_suite_catches_a_dropped_audit_event() {
    let _ = run_all(&Sqlite::new(Some(Fault::DropsAudit)).unwrap());
}

#[test]
#[should_panic(expected = "data_version did not change")]
fn the_suite_catches_a_stale_data_version() {
    let _ = run_all(&Sqlite::new(Some(Fault::StaleVersion)).unwrap());
}

#[test]
#[should_panic(expected = "copy read back")]
fn the_suite_catches_lost_provenance() {
    let _ = run_all(&Sqlite::new(Some(Fault::ForgetsVolunteers)).unwrap());
}

#[test]
#[should_panic(expected = "a batch adding a table that exists")]
fn the_suite_catches_a_batch_stored_in_part() {
    let _ = run_all(&Sqlite::new(Some(Fault::NotAtomic)).unwrap());
}

#[test]
#[should_panic(expected = "the same results file again")]
fn the_suite_catches_a_source_applied_twice() {
    let _ = run_all(&Sqlite::new(Some(Fault::AppliesTwice)).unwrap());
}

#[test]
#[should_panic(expected = "latest checkpoint")]
fn the_suite_catches_a_replaced_checkpoint() {
    let _ = run_all(&Sqlite::new(Some(Fault::ReplacesCheckpoints)).unwrap());
}

/// The SQLite store with one fault.
struct Faulty {
    inner: SqliteStore,
    fault: Fault,
}

impl ResultStore for Faulty {
    fn election(&self) -> Result<Election, StoreError> {
        self.inner.election()
    }

    fn tables(&self) -> Result<Vec<(TableKey, PollingTable)>, StoreError> {
        self.inner.tables()
    }

    fn area_names(&self) -> Result<BTreeMap<AreaCode, String>, StoreError> {
        self.inner.area_names()
    }

    fn load_dataset(&self) -> Result<Dataset, StoreError> {
        let mut dataset = self.inner.load_dataset()?;
        if let Fault::ForgetsVolunteers = self.fault {
            for copy in &mut dataset.copies {
                copy.provenance.volunteer = None;
            }
        }
        if let Fault::KeepsFirstDecision = self.fault {
            let mut seen = std::collections::BTreeSet::new();
            dataset
                .decisions
                .retain(|decision| seen.insert(decision.table));
        }
        Ok(dataset)
    }

    fn record_decision(
        &mut self,
        decision: &Decision,
        log_entry: &[u8],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.inner.record_decision(decision, log_entry, audit)
    }

    fn apply(&mut self, batch: &Batch) -> Result<BatchOutcome, StoreError> {
        match (self.fault, self.inner.apply(batch)) {
            (Fault::NotAtomic, Err(StoreError::Conflict(message))) => {
                let copies_only = Batch {
                    new_tables: Vec::new(),
                    changed_tables: Vec::new(),
                    ..batch.clone()
                };
                self.inner.apply(&copies_only)?;
                Err(StoreError::Conflict(message))
            }
            (Fault::AppliesTwice, Ok(BatchOutcome::AlreadyApplied { .. })) => {
                let renamed = Batch {
                    source: SourceFile {
                        sha256: Sha256::from_bytes([0xee; 32]),
                        ..batch.source.clone()
                    },
                    ..batch.clone()
                };
                self.inner.apply(&renamed)
            }
            (_, outcome) => outcome,
        }
    }

    fn sources(&self) -> Result<Vec<StoredSource>, StoreError> {
        self.inner.sources()
    }

    fn has_source(&self, kind: FileKind, sha256: &Sha256) -> Result<bool, StoreError> {
        self.inner.has_source(kind, sha256)
    }

    fn queue(&self) -> Result<Vec<QueueEntry>, StoreError> {
        self.inner.queue()
    }

    fn data_version(&self) -> Result<u64, StoreError> {
        match self.fault {
            Fault::StaleVersion => Ok(0),
            _ => self.inner.data_version(),
        }
    }
}

impl RegistryStore for Faulty {
    fn replace_registry(
        &mut self,
        registry: &Registry,
        source: &SourceFile,
        log_entry: &[u8],
    ) -> Result<BatchOutcome, StoreError> {
        self.inner.replace_registry(registry, source, log_entry)
    }

    fn registry_info(&self) -> Result<Option<RegistryInfo>, StoreError> {
        self.inner.registry_info()
    }

    fn lookup_voter(&self, voter: VoterId) -> Result<Option<TableKey>, StoreError> {
        self.inner.lookup_voter(voter)
    }

    fn load_registry(&self) -> Result<Registry, StoreError> {
        self.inner.load_registry()
    }
}

impl VolunteerStore for Faulty {
    fn open_session(&mut self, session: &SessionRecord, most: usize) -> Result<(), StoreError> {
        let most = match self.fault {
            Fault::KeepsEverySession => usize::MAX,
            _ => most,
        };
        self.inner.open_session(session, most)
    }

    fn session(&self, token_sha256: &Sha256) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.session(token_sha256)
    }

    fn touch_session(&mut self, token_sha256: &Sha256, at: Timestamp) -> Result<(), StoreError> {
        self.inner.touch_session(token_sha256, at)
    }

    fn end_sessions(&mut self, which: EndSessions<'_>) -> Result<u64, StoreError> {
        self.inner.end_sessions(which)
    }

    fn all_task_events(&self) -> Result<BTreeMap<i64, Vec<Recorded>>, StoreError> {
        let mut all = self.inner.all_task_events()?;
        if let Fault::ReversesTaskEvents = self.fault {
            all.values_mut().for_each(|events| events.reverse());
        }
        Ok(all)
    }

    fn add_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError> {
        self.inner.add_account(account, audit)
    }

    fn update_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError> {
        self.inner.update_account(account, audit)
    }

    fn account(&self, pseudonym: &Pseudonym) -> Result<Option<Account>, StoreError> {
        self.inner.account(pseudonym)
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.inner.accounts()
    }

    fn record_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        if let Fault::DropsAudit = self.fault {
            // Still a commit, so that only reading the audit back can tell.
            let mut other = event.clone();
            other.action = "dropped".to_owned();
            return self.inner.record_audit(&other);
        }
        self.inner.record_audit(event)
    }

    fn audit(&self) -> Result<Vec<AuditEvent>, StoreError> {
        self.inner.audit()
    }

    fn append_task_event(
        &mut self,
        queue_id: i64,
        expected: usize,
        event: &Recorded,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let expected = match self.fault {
            Fault::AppendsOnStaleView => self.inner.task_events(queue_id)?.len(),
            _ => expected,
        };
        self.inner
            .append_task_event(queue_id, expected, event, audit)
    }

    fn task_events(&self, queue_id: i64) -> Result<Vec<Recorded>, StoreError> {
        self.inner.task_events(queue_id)
    }
}

impl LogStore for Faulty {
    fn log_size(&self) -> Result<u64, StoreError> {
        self.inner.log_size()
    }

    fn begin_signing_turn(&mut self) -> Result<(), StoreError> {
        self.inner.begin_signing_turn()
    }

    fn end_signing_turn(&mut self) -> Result<(), StoreError> {
        self.inner.end_signing_turn()
    }

    fn log_leaf_hashes(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        self.inner.log_leaf_hashes()
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.log_entries(start, end)
    }

    fn add_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        if let Fault::ReplacesCheckpoints = self.fault
            && self.inner.latest_checkpoint()?.map(|c| c.size) == Some(checkpoint.size)
        {
            // Kept under a larger size, so that it becomes the latest.
            let mut replaced = checkpoint.clone();
            replaced.size += 1_000;
            return self.inner.add_checkpoint(&replaced);
        }
        self.inner.add_checkpoint(checkpoint)
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.inner.latest_checkpoint()
    }
}
