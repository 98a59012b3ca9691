//! The story's state: the store being told it, and everything it must hold by now.

use std::collections::{BTreeMap, BTreeSet};

use veedor_core::{
    ActaRecord, AreaCode, Election, Finding, Place, PollingTable, Provenance, Sha256, TableId,
    TableKey, Timestamp, VoterId, validate,
};
use veedor_formats::LogEntry;
use veedor_store::{
    Batch, BatchOutcome, FileKind, NewCopy, RegistryInfo, SourceFile, Store, StoreError,
    StoredCheckpoint, StoredSource,
};

use crate::Adapter;
use crate::fixtures;
use crate::snapshot::{Contents, Snapshot};

/// A copy as the dataset must give it back (its id is the store's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExpectedCopy {
    pub(crate) record: ActaRecord,
    pub(crate) provenance: Provenance,
    pub(crate) findings: Vec<Finding>,
    pub(crate) log_index: u64,
}

/// A queued page as [`veedor_store::ResultStore::queue`] must give it back (its id is the
/// store's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExpectedQueued {
    pub(crate) file_name: String,
    pub(crate) file_sha256: Sha256,
    pub(crate) page: u32,
    pub(crate) reason: String,
    pub(crate) received_at: Timestamp,
}

/// Everything the store must hold by now.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expected {
    pub(crate) tables: BTreeMap<TableId, PollingTable>,
    /// The key each table got when it was added; a key never changes.
    pub(crate) keys: BTreeMap<TableId, TableKey>,
    pub(crate) area_names: BTreeMap<AreaCode, String>,
    pub(crate) sources: Vec<StoredSource>,
    pub(crate) log: Vec<Vec<u8>>,
    pub(crate) copies: Vec<ExpectedCopy>,
    pub(crate) queue: Vec<ExpectedQueued>,
    pub(crate) registry: Option<(RegistryInfo, Vec<(VoterId, TableKey)>)>,
    pub(crate) checkpoint: Option<StoredCheckpoint>,
    /// Coordinators' decisions, in the order recorded, with their log indexes.
    pub(crate) decisions: Vec<veedor_core::Decision>,
}

/// The story as told so far to one adapter: its store, and everything the store must hold.
/// Made by [`crate::create_store`], carried through the other steps in [`crate::run_all`]'s
/// order.
pub struct Story<'a> {
    pub(crate) adapter: &'a dyn Adapter,
    pub(crate) store: Box<dyn Store>,
    pub(crate) election: Election,
    pub(crate) expected: Expected,
    /// The store's `data_version` after the last commit the story made.
    pub(crate) version: u64,
    clock: i64,
}

impl std::fmt::Debug for Story<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Story")
            .field("election", &self.election.id)
            .field("version", &self.version)
            .field("sources", &self.expected.sources.len())
            .field("copies", &self.expected.copies.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Story<'a> {
    pub(crate) fn new(
        adapter: &'a dyn Adapter,
        store: Box<dyn Store>,
        election: Election,
        first_log_entry: Vec<u8>,
    ) -> Result<Self, StoreError> {
        let version = store.data_version()?;
        Ok(Self {
            adapter,
            store,
            election,
            expected: Expected {
                log: vec![first_log_entry],
                ..Expected::default()
            },
            version,
            clock: 1,
        })
    }

    /// The next time in the story: every event is later than the one before.
    pub(crate) fn tick(&mut self) -> Timestamp {
        self.clock += 1;
        fixtures::time(self.clock)
    }

    /// A source received now, of made-up bytes.
    pub(crate) fn source(&mut self, kind: FileKind, file_name: &str, seed: u8) -> SourceFile {
        let at = self.tick();
        fixtures::source(kind, file_name, seed, at)
    }

    /// A new copy, validated against the tables the store holds, with its log entry.
    pub(crate) fn copy(&self, record: ActaRecord, provenance: Provenance) -> NewCopy {
        let place = Place::among(record.table, &self.election, self.expected.tables.values());
        let findings = validate(&record, &self.election, place);
        let log_entry = LogEntry::of_copy(
            &self.election.id,
            self.election.geography.centre_digits,
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

    /// The key the store gave a table.
    pub(crate) fn key(&self, table: TableId) -> TableKey {
        match self.expected.keys.get(&table) {
            Some(key) => *key,
            None => panic!("the story uses table {table:?} before storing it"),
        }
    }

    /// Asserts that the store's `data_version` changed since the story's last commit, and
    /// remembers it.
    pub(crate) fn committed(&mut self, what: &str) -> Result<(), StoreError> {
        let version = self.store.data_version()?;
        assert_ne!(
            version, self.version,
            "data_version did not change after {what}"
        );
        self.version = version;
        Ok(())
    }

    /// Asserts that the store's `data_version` did not change since the story's last commit.
    pub(crate) fn not_committed(&self, what: &str) -> Result<(), StoreError> {
        assert_eq!(
            self.store.data_version()?,
            self.version,
            "data_version changed after {what}, which stores nothing"
        );
        Ok(())
    }

    /// Applies a batch all of whose copies are new, checks the outcome, and then the whole
    /// store.
    pub(crate) fn apply_new(&mut self, batch: &Batch, what: &str) -> Result<(), StoreError> {
        let outcome = self.store.apply(batch)?;
        assert_eq!(
            outcome,
            BatchOutcome::Applied {
                copies_added: batch.copies.len(),
                tables_added: batch.new_tables.len(),
                tables_updated: batch.changed_tables.len(),
            },
            "applying {what}"
        );
        self.committed(what)?;
        self.expect_batch(batch);
        self.check(what)
    }

    /// Adds what a batch stores to what the store must hold.
    fn expect_batch(&mut self, batch: &Batch) {
        let expected = &mut self.expected;
        expected.sources.push(StoredSource {
            source: batch.source.clone(),
            rejections: batch.rejections.clone(),
        });
        for table in batch.new_tables.iter().chain(&batch.changed_tables) {
            expected.tables.insert(table.id, table.clone());
        }
        for (area, name) in &batch.area_names {
            expected.area_names.insert(*area, name.clone());
        }
        for copy in &batch.copies {
            let log_index = u64::try_from(expected.log.len()).unwrap_or(u64::MAX);
            expected.log.push(copy.log_entry.clone());
            expected.copies.push(ExpectedCopy {
                record: copy.record.clone(),
                provenance: copy.provenance.clone(),
                findings: copy.findings.clone(),
                log_index,
            });
        }
        for queued in &batch.queue {
            expected.queue.push(ExpectedQueued {
                file_name: batch.source.file_name.clone(),
                file_sha256: batch.source.sha256,
                page: queued.page,
                reason: queued.reason.clone(),
                received_at: batch.source.received_at,
            });
        }
    }

    /// Reads the whole store through the port and compares it with what the story expects;
    /// learns the keys of new tables. `data_version` must not change while reading.
    pub(crate) fn check(&mut self, after: &str) -> Result<(), StoreError> {
        let snapshot = Snapshot::read(self.store.as_ref())?;
        assert_eq!(
            snapshot.data_version, self.version,
            "after {after}: data_version changed without a commit"
        );
        let contents = &snapshot.contents;

        assert_eq!(contents.election, self.election, "after {after}: election");

        self.check_tables(contents, after);
        self.check_sources(contents, after)?;
        self.check_log(contents, after)?;
        self.check_dataset(contents, after);
        self.check_queue(contents, after);
        self.check_registry(contents, after)?;
        assert_eq!(
            contents.latest_checkpoint, self.expected.checkpoint,
            "after {after}: latest checkpoint"
        );
        self.not_committed(&format!("reading everything after {after}"))
    }

    /// Tables: each once, in key order, with the key it got when added; learns the keys of
    /// new tables. Then the area names.
    fn check_tables(&mut self, contents: &Contents, after: &str) {
        let expected = &mut self.expected;
        let keys: Vec<TableKey> = contents.tables.iter().map(|(key, _)| *key).collect();
        assert!(
            keys.windows(2).all(|pair| pair[0] < pair[1]),
            "after {after}: tables are not in strictly increasing key order: {keys:?}"
        );
        let tables: BTreeMap<TableId, PollingTable> = contents
            .tables
            .iter()
            .map(|(_, table)| (table.id, table.clone()))
            .collect();
        assert_eq!(tables, expected.tables, "after {after}: tables");
        for (key, table) in &contents.tables {
            let known = *expected.keys.entry(table.id).or_insert(*key);
            assert_eq!(
                known, *key,
                "after {after}: table {:?} changed its key",
                table.id
            );
        }
        assert_eq!(
            contents.area_names, expected.area_names,
            "after {after}: area names"
        );
    }

    /// Sources, oldest first, each with its rejections; each known by kind and SHA-256 only.
    fn check_sources(&self, contents: &Contents, after: &str) -> Result<(), StoreError> {
        let expected = &self.expected;
        assert_eq!(contents.sources, expected.sources, "after {after}: sources");
        assert!(
            contents.has_sources.iter().all(|known| *known),
            "after {after}: has_source denies a listed source: {:?}",
            contents.has_sources
        );
        for stored in &expected.sources {
            let other_kind = if stored.source.kind == FileKind::Results {
                FileKind::Payloads
            } else {
                FileKind::Results
            };
            let recorded_as_other = expected
                .sources
                .iter()
                .any(|s| s.source.kind == other_kind && s.source.sha256 == stored.source.sha256);
            assert_eq!(
                self.store.has_source(other_kind, &stored.source.sha256)?,
                recorded_as_other,
                "after {after}: has_source of {} as {}",
                stored.source.file_name,
                other_kind.as_str()
            );
        }
        Ok(())
    }

    /// The log: the election entry, then one entry per copy in the order stored.
    fn check_log(&self, contents: &Contents, after: &str) -> Result<(), StoreError> {
        let expected = &self.expected;
        assert_eq!(
            contents.log_size,
            u64::try_from(expected.log.len()).unwrap_or(u64::MAX),
            "after {after}: log size"
        );
        if contents.log_entries != expected.log {
            let first = contents
                .log_entries
                .iter()
                .zip(&expected.log)
                .position(|(read, wanted)| read != wanted);
            panic!(
                "after {after}: log entries differ from the batches' entries: {} read, {} \
                 expected, the first difference at index {first:?}",
                contents.log_entries.len(),
                expected.log.len()
            );
        }
        let leaves: Vec<[u8; 32]> = expected
            .log
            .iter()
            .map(|entry| *veedor_ledger::leaf_hash(entry).as_bytes())
            .collect();
        assert_eq!(
            contents.log_leaf_hashes, leaves,
            "after {after}: leaf hashes are not RFC 6962 hashes of the entries"
        );
        if contents.log_size > 2 {
            let middle = self.store.log_entries(1, contents.log_size - 1)?;
            assert!(
                middle == expected.log[1..expected.log.len() - 1],
                "after {after}: log_entries(1, size - 1)"
            );
        }
        Ok(())
    }

    /// The dataset: of the same moment as the other reads; its copies and their findings.
    fn check_dataset(&self, contents: &Contents, after: &str) {
        let expected = &self.expected;
        let dataset = &contents.dataset;
        assert_eq!(
            dataset.election, self.election,
            "after {after}: dataset election"
        );
        assert_eq!(
            dataset.tables, contents.tables,
            "after {after}: dataset tables"
        );
        assert_eq!(
            dataset.area_names, contents.area_names,
            "after {after}: dataset area names"
        );
        let ids: BTreeSet<_> = dataset.copies.iter().map(|copy| copy.id).collect();
        assert_eq!(
            ids.len(),
            dataset.copies.len(),
            "after {after}: copies share an id"
        );
        let mut copies: Vec<ExpectedCopy> = dataset
            .copies
            .iter()
            .map(|copy| {
                let log_index = match copy.log_index {
                    Some(index) => index,
                    None => panic!("after {after}: copy {:?} has no log entry", copy.id),
                };
                ExpectedCopy {
                    record: copy.record.clone(),
                    provenance: copy.provenance.clone(),
                    findings: copy.findings.clone(),
                    log_index,
                }
            })
            .collect();
        copies.sort_by_key(|copy| copy.log_index);
        assert_eq!(
            copies.len(),
            expected.copies.len(),
            "after {after}: number of copies"
        );
        for (read, wanted) in copies.iter().zip(&expected.copies) {
            assert_eq!(read, wanted, "after {after}: copy read back");
        }
        assert_eq!(
            dataset.decisions, expected.decisions,
            "after {after}: decisions read back, in order, with their log indexes"
        );
    }

    /// Pages waiting for a person, oldest first.
    fn check_queue(&self, contents: &Contents, after: &str) {
        let queue: Vec<ExpectedQueued> = contents
            .queue
            .iter()
            .map(|entry| ExpectedQueued {
                file_name: entry.file_name.clone(),
                file_sha256: entry.file_sha256,
                page: entry.page,
                reason: entry.reason.clone(),
                received_at: entry.received_at,
            })
            .collect();
        assert_eq!(queue, self.expected.queue, "after {after}: queue");
        let queue_ids: BTreeSet<i64> = contents.queue.iter().map(|entry| entry.id).collect();
        assert_eq!(
            queue_ids.len(),
            contents.queue.len(),
            "after {after}: queued pages share an id"
        );
    }

    /// The registry, whole and voter by voter.
    fn check_registry(&self, contents: &Contents, after: &str) -> Result<(), StoreError> {
        match &self.expected.registry {
            None => {
                assert_eq!(contents.registry_info, None, "after {after}: registry info");
                assert!(
                    contents.registry.is_empty(),
                    "after {after}: a registry before any was imported"
                );
            }
            Some((info, voters)) => {
                assert_eq!(
                    contents.registry_info.as_ref(),
                    Some(info),
                    "after {after}: registry info"
                );
                assert_eq!(&contents.registry, voters, "after {after}: registry");
                for (voter, key) in voters {
                    assert_eq!(
                        self.store.lookup_voter(*voter)?,
                        Some(*key),
                        "after {after}: lookup of voter {}",
                        voter.get()
                    );
                }
            }
        }
        Ok(())
    }

    /// A source that was never applied must not be known.
    pub(crate) fn assert_unknown(
        &self,
        source: &SourceFile,
        after: &str,
    ) -> Result<(), StoreError> {
        assert!(
            !self.store.has_source(source.kind, &source.sha256)?,
            "after {after}: has_source knows {}, which was never stored",
            source.file_name
        );
        Ok(())
    }
}

/// The election entry a story's log starts with.
pub(crate) fn first_log_entry() -> Vec<u8> {
    veedor_formats::log_entry::election_entry(fixtures::ELECTION_DEFINITION)
}

/// Checks a fixture's claim about itself, so that a step cannot pass vacuously.
pub(crate) fn assert_fixture(condition: bool, claim: &str) {
    assert!(condition, "conformance fixture: {claim}");
}
