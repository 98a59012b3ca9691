//! Everything readable through the port at one moment, to show that a failed write changed
//! nothing and that two handles see the same store.

use std::collections::BTreeMap;

use veedor_core::{AreaCode, Dataset, Election, PollingTable, TableKey, VoterId};
use veedor_store::{QueueEntry, RegistryInfo, Store, StoreError, StoredCheckpoint, StoredSource};

/// What a store holds, as read through the port.
#[derive(Clone, Debug, PartialEq)]
pub struct Contents {
    /// [`veedor_store::ResultStore::election`].
    pub election: Election,
    /// [`veedor_store::ResultStore::tables`].
    pub tables: Vec<(TableKey, PollingTable)>,
    /// [`veedor_store::ResultStore::area_names`].
    pub area_names: BTreeMap<AreaCode, String>,
    /// [`veedor_store::ResultStore::load_dataset`].
    pub dataset: Dataset,
    /// [`veedor_store::ResultStore::sources`].
    pub sources: Vec<StoredSource>,
    /// Whether [`veedor_store::ResultStore::has_source`] says so of each source.
    pub has_sources: Vec<bool>,
    /// [`veedor_store::ResultStore::queue`].
    pub queue: Vec<QueueEntry>,
    /// [`veedor_store::LogStore::log_size`].
    pub log_size: u64,
    /// [`veedor_store::LogStore::log_entries`] of the whole log.
    pub log_entries: Vec<Vec<u8>>,
    /// [`veedor_store::LogStore::log_leaf_hashes`].
    pub log_leaf_hashes: Vec<[u8; 32]>,
    /// [`veedor_store::LogStore::latest_checkpoint`].
    pub latest_checkpoint: Option<StoredCheckpoint>,
    /// [`veedor_store::RegistryStore::registry_info`].
    pub registry_info: Option<RegistryInfo>,
    /// Every voter of [`veedor_store::RegistryStore::load_registry`], in order.
    pub registry: Vec<(VoterId, TableKey)>,
}

/// A store's [`Contents`] and its `data_version`, which is the same before and after reading
/// them all (reads change nothing).
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// What it holds.
    pub contents: Contents,
    /// [`veedor_store::ResultStore::data_version`].
    pub data_version: u64,
}

impl Snapshot {
    /// Reads everything. Panics if `data_version` changes while reading.
    pub fn read(store: &dyn Store) -> Result<Self, StoreError> {
        let data_version = store.data_version()?;
        let sources = store.sources()?;
        let has_sources = sources
            .iter()
            .map(|stored| store.has_source(stored.source.kind, &stored.source.sha256))
            .collect::<Result<_, _>>()?;
        let log_size = store.log_size()?;
        let registry = store.load_registry()?;
        let contents = Contents {
            election: store.election()?,
            tables: store.tables()?,
            area_names: store.area_names()?,
            dataset: store.load_dataset()?,
            sources,
            has_sources,
            queue: store.queue()?,
            log_size,
            log_entries: store.log_entries(0, log_size)?,
            log_leaf_hashes: store.log_leaf_hashes()?,
            latest_checkpoint: store.latest_checkpoint()?,
            registry_info: store.registry_info()?,
            registry: (0..registry.len())
                .filter_map(|index| registry.voter_at(index))
                .collect(),
        };
        assert_eq!(
            store.data_version()?,
            data_version,
            "data_version changed while the store was only read"
        );
        Ok(Self {
            contents,
            data_version,
        })
    }

    /// Panics, naming the first part that differs, unless `other` holds the same.
    pub fn assert_same_contents(&self, other: &Self, context: &str) {
        let (a, b) = (&self.contents, &other.contents);
        assert_eq!(a.election, b.election, "{context}: election");
        assert_eq!(a.tables, b.tables, "{context}: tables");
        assert_eq!(a.area_names, b.area_names, "{context}: area names");
        assert_eq!(a.dataset, b.dataset, "{context}: dataset");
        assert_eq!(a.sources, b.sources, "{context}: sources");
        assert_eq!(a.has_sources, b.has_sources, "{context}: has_source");
        assert_eq!(a.queue, b.queue, "{context}: queue");
        assert_eq!(a.log_size, b.log_size, "{context}: log size");
        assert_eq!(a.log_entries, b.log_entries, "{context}: log entries");
        assert_eq!(
            a.log_leaf_hashes, b.log_leaf_hashes,
            "{context}: leaf hashes"
        );
        assert_eq!(
            a.latest_checkpoint, b.latest_checkpoint,
            "{context}: latest checkpoint"
        );
        assert_eq!(a.registry_info, b.registry_info, "{context}: registry info");
        assert_eq!(a.registry, b.registry, "{context}: registry");
        // Every part is compared above; this catches a part added to `Contents` but not here.
        assert!(a == b, "{context}: contents differ");
    }

    /// Panics unless `other` holds the same and has the same `data_version`: nothing was
    /// committed in between.
    pub fn assert_unchanged(&self, other: &Self, context: &str) {
        self.assert_same_contents(other, context);
        assert_eq!(
            self.data_version, other.data_version,
            "{context}: data_version changed though nothing was stored"
        );
    }
}
