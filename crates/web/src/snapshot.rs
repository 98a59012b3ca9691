//! What the server answers from: an immutable in-memory [`Snapshot`] of the store (the results
//! at every level, the voter registry, the answers to lookups already serialised), swapped for
//! a new one when the store changes. Requests never touch the database.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use veedor_core::{
    ActaCopy, Registry, Results, Sha256, TableId, TableKey, TableState, Timestamp, VoterId,
};
use veedor_ledger::VerifierKey;
use veedor_store::{BlobStore, Store, StoreError};

use crate::analysis::Analyzed;
use crate::api::{self, ElectionRef, LOOKUP_SCHEMA, TableView};
use crate::i18n::Lang;
use crate::log::PublishedLog;

/// The data of one moment, and what is derived from it once rather than per request.
#[derive(Debug)]
pub struct Snapshot {
    /// Every table assessed and everything tallied.
    pub results: Results,
    /// Does the result stand? Worked out once per snapshot (`veedor_analysis`, seeded).
    pub analysis: Arc<Analyzed>,
    /// Voter id -> table.
    pub registry: Arc<Registry>,
    /// The SHA-256 of the registry's source file, when one was imported.
    registry_source: Option<Sha256>,
    /// Scans that the blob store holds and some copy came from.
    scans: HashSet<Sha256>,
    /// Copy id -> index in the dataset's copies.
    copies: HashMap<i64, usize>,
    /// Each table's view as compact JSON, the bulk of a lookup answer.
    table_json: HashMap<TableKey, Box<str>>,
    /// The lookup document up to the voter id, per language: `{"schema":..,"voter_id":"`.
    lookup_prefix: [String; 2],
    /// When it was loaded, by the caller's clock ([`Snapshot::with_loaded_at`]; the crate never
    /// reads the wall clock); the Unix epoch until set. A static mirror sets the time its
    /// checkpoint was signed, so that the same store exports the same bytes.
    pub loaded_at: Timestamp,
    /// The transparency log as published: the latest checkpoint and its tree. `None` when the
    /// server was given no key or no checkpoint was signed yet.
    pub log: Option<PublishedLog>,
    /// The open data of the published checkpoint, as a mirror's `data/` holds it, by file name,
    /// with its entity tag: made once per snapshot ([`Snapshot::with_open_data`]), never per
    /// request, so that `veedor verify URL` checks a running server as it checks a mirror.
    open_data: HashMap<String, OpenDataFile>,
}

/// One file of the open data, ready to serve.
#[derive(Debug, Clone)]
pub struct OpenDataFile {
    /// Its bytes (cheap to clone into a response).
    pub bytes: axum::body::Bytes,
    /// Its entity tag.
    pub etag: String,
}

impl Snapshot {
    /// Builds a snapshot: assesses and tallies, serialises every table's view. Its
    /// [`Snapshot::loaded_at`] is the Unix epoch until [`Snapshot::with_loaded_at`].
    #[must_use]
    pub fn build(
        results: Results,
        registry: Arc<Registry>,
        registry_source: Option<Sha256>,
        blobs: &dyn BlobStore,
    ) -> Self {
        Self::build_after(results, registry, registry_source, blobs, None)
    }

    /// [`Self::build`], asking the blob store only about scans the `previous` snapshot did not
    /// have: scans are never deleted, and with scans in object storage each question is a
    /// request (a reload after every change would otherwise ask about every scan again).
    #[must_use]
    pub fn build_after(
        results: Results,
        registry: Arc<Registry>,
        registry_source: Option<Sha256>,
        blobs: &dyn BlobStore,
        previous: Option<&Self>,
    ) -> Self {
        let scans = results
            .dataset
            .copies
            .iter()
            .filter_map(|copy| copy.provenance.published_scan())
            .filter(|hash| {
                previous.is_some_and(|previous| previous.scans.contains(hash))
                    || blobs.contains(hash).unwrap_or(false)
            })
            .collect();
        let copies = results
            .dataset
            .copies
            .iter()
            .enumerate()
            .map(|(index, copy)| (copy.id.get(), index))
            .collect();
        let table_json = results
            .tables()
            .filter_map(|(id, state)| {
                let (key, _) = state.table.as_ref()?;
                let view = TableView::new(&results, *id, state);
                let json = serde_json::to_string(&view).ok()?;
                Some((*key, json.into_boxed_str()))
            })
            .collect();
        let lookup_prefix = Lang::ALL.map(|lang| {
            let election = ElectionRef::new(results.election(), lang.tag());
            format!(
                "{{\"schema\":{},\"election\":{},\"voter_id\":\"",
                serde_json::to_string(LOOKUP_SCHEMA).unwrap_or_default(),
                serde_json::to_string(&election).unwrap_or_default(),
            )
        });
        let analysis = Arc::new(Analyzed::of(&results));
        Self {
            results,
            analysis,
            registry,
            registry_source,
            scans,
            copies,
            table_json,
            lookup_prefix,
            loaded_at: Timestamp::UNIX_EPOCH,
            log: None,
            open_data: HashMap::new(),
        }
    }

    /// The same snapshot, serving the open data of its published checkpoint: the copies the
    /// checkpoint covers, assessed and tallied as a mirror exported at that checkpoint has them
    /// (an ingest may have stored copies that the next checkpoint will cover; they are left out
    /// until then, so that the files always match the signed log). Nothing without a log.
    #[must_use]
    pub fn with_open_data(mut self) -> Self {
        let Some(log) = &self.log else {
            return self;
        };
        let files = if self
            .results
            .dataset
            .copies
            .iter()
            .all(|copy| log.covers(copy))
        {
            crate::opendata::files(&self.results)
        } else {
            let dataset = log.covered(self.results.dataset.clone());
            crate::opendata::files(&Results::compute(dataset))
        };
        self.open_data = files
            .into_iter()
            .filter_map(|(path, bytes)| {
                let name = path.strip_prefix("data/")?.to_owned();
                let etag = crate::routes::etag_of(&bytes);
                Some((
                    name,
                    OpenDataFile {
                        bytes: bytes.into(),
                        etag,
                    },
                ))
            })
            .collect();
        self
    }

    /// A file of the open data (`actas.csv`, `tally-state.json`, ...), when served.
    #[must_use]
    pub fn open_data_file(&self, name: &str) -> Option<&OpenDataFile> {
        self.open_data.get(name)
    }

    /// The same snapshot, loaded at `at`.
    #[must_use]
    pub fn with_loaded_at(mut self, at: Timestamp) -> Self {
        self.loaded_at = at;
        self
    }

    /// The same snapshot, publishing `log`.
    #[must_use]
    pub fn with_log(mut self, log: Option<PublishedLog>) -> Self {
        self.log = log;
        self
    }

    /// Whether a registry was imported.
    #[must_use]
    pub fn has_registry(&self) -> bool {
        self.registry_source.is_some()
    }

    /// The table of a voter.
    #[must_use]
    pub fn voter_table(&self, voter: VoterId) -> Option<(TableKey, TableId, &TableState)> {
        let key = self.registry.lookup(voter)?;
        let (id, state) = self.results.table_by_key(key)?;
        Some((key, id, state))
    }

    /// The lookup document for a voter as compact JSON, equal to serialising
    /// [`api::lookup_document`] but without building it: the table's part is ready-made.
    #[must_use]
    pub fn lookup_json(&self, voter: VoterId, lang: Lang) -> (bool, String) {
        let prefix = match lang {
            Lang::Es => &self.lookup_prefix[0],
            Lang::En => &self.lookup_prefix[1],
        };
        let table = self
            .registry
            .lookup(voter)
            .and_then(|key| self.table_json.get(&key));
        let mut out = String::with_capacity(
            prefix.len() + table.map_or(0, |t| t.len()) + 48, // voter id and the closing part
        );
        out.push_str(prefix);
        let _ = write!(out, "{}", voter.get());
        match table {
            Some(table) => {
                out.push_str("\",\"found\":true,\"table\":");
                out.push_str(table);
                out.push('}');
            }
            None => out.push_str("\",\"found\":false,\"table\":null}"),
        }
        (table.is_some(), out)
    }

    /// A copy by its id.
    #[must_use]
    pub fn copy(&self, id: i64) -> Option<&ActaCopy> {
        self.copies
            .get(&id)
            .and_then(|&index| self.results.dataset.copies.get(index))
    }

    /// Whether a scan with this hash is served: it is the published file of some copy's scan
    /// and it is stored (an original, with its metadata, never is).
    #[must_use]
    pub fn has_scan(&self, hash: &Sha256) -> bool {
        self.scans.contains(hash)
    }

    /// The scan a copy came from, as published (stripped of its metadata), when it is served.
    #[must_use]
    pub fn scan_of(&self, copy: &ActaCopy) -> Option<Sha256> {
        copy.provenance
            .published_scan()
            .filter(|hash| self.has_scan(hash))
    }
}

/// Where snapshots come from: a store (behind a lock: a store connection is used by one thread
/// at a time), the blob store, and the clock that dates each snapshot.
pub struct DataSource {
    store: Mutex<Box<dyn Store>>,
    blobs: Arc<dyn BlobStore>,
    log_key: Option<VerifierKey>,
    clock: fn() -> Timestamp,
}

impl std::fmt::Debug for DataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSource").finish_non_exhaustive()
    }
}

impl DataSource {
    /// A source over a store and its blobs, its snapshots dated by `clock` (the caller's wall
    /// clock). Give the server a store of its own: it only reads.
    #[must_use]
    pub fn new(store: Box<dyn Store>, blobs: Arc<dyn BlobStore>, clock: fn() -> Timestamp) -> Self {
        Self {
            store: Mutex::new(store),
            blobs,
            log_key: None,
            clock,
        }
    }

    /// Publishes the transparency log too: its latest checkpoint, verified with `key` (the
    /// public key: the server never holds the private one), and its tiles.
    #[must_use]
    pub fn with_log_key(mut self, key: Option<VerifierKey>) -> Self {
        self.log_key = key;
        self
    }

    /// The log's entries `start..end`, for an entry bundle. Blocking.
    pub fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .log_entries(start, end)
    }

    /// The blob store.
    #[must_use]
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// The store's change counter.
    pub fn data_version(&self) -> Result<u64, StoreError> {
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .data_version()
    }

    /// Loads a snapshot; keeps the previous registry when its source did not change (loading
    /// 20 million voters takes a while and the registry rarely changes).
    pub fn load(&self, previous: Option<&Snapshot>) -> Result<Snapshot, StoreError> {
        let started = Instant::now();
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let dataset = store.load_dataset()?;
        let registry_source = store.registry_info()?.map(|info| info.source.sha256);
        let registry = match previous {
            Some(previous) if previous.registry_source == registry_source => {
                Arc::clone(&previous.registry)
            }
            _ => Arc::new(store.load_registry()?),
        };
        let log = match &self.log_key {
            None => None,
            Some(key) => match PublishedLog::load(&**store, key) {
                Ok(log) => log,
                Err(error) => {
                    // The site stays up; the log is not served until a checkpoint verifies.
                    tracing::error!(%error, "the transparency log is not published");
                    None
                }
            },
        };
        drop(store);
        let results = Results::compute(dataset);
        let snapshot = Snapshot::build_after(
            results,
            registry,
            registry_source,
            self.blobs.as_ref(),
            previous,
        )
        .with_log(log)
        .with_open_data()
        .with_loaded_at((self.clock)());
        tracing::info!(
            copies = snapshot.results.dataset.copies.len(),
            voters = snapshot.registry.len(),
            milliseconds = started.elapsed().as_millis(),
            "data loaded"
        );
        Ok(snapshot)
    }
}

/// The current snapshot, swapped whole when the data changes.
#[derive(Debug)]
pub struct Current {
    snapshot: RwLock<Arc<Snapshot>>,
    version: Mutex<u64>,
}

impl Current {
    /// Starts from a first snapshot loaded at `version`.
    #[must_use]
    pub fn new(snapshot: Snapshot, version: u64) -> Self {
        Self {
            snapshot: RwLock::new(Arc::new(snapshot)),
            version: Mutex::new(version),
        }
    }

    /// The snapshot now.
    #[must_use]
    pub fn get(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Loads again if the store changed since the last load. Returns whether it did. Blocking:
    /// call it off the async threads.
    pub fn refresh(&self, source: &DataSource) -> Result<bool, StoreError> {
        let mut version = self.version.lock().unwrap_or_else(PoisonError::into_inner);
        // Read the counter before loading: a commit during the load shows at the next check.
        let now = source.data_version()?;
        if now == *version {
            return Ok(false);
        }
        let previous = self.get();
        let snapshot = source.load(Some(&previous))?;
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
        *version = now;
        Ok(true)
    }
}

/// Builds the lookup document the slow way, for tests that hold [`Snapshot::lookup_json`] to it.
#[must_use]
pub fn lookup_document(snapshot: &Snapshot, voter: VoterId, lang: Lang) -> api::LookupDocument {
    let table = snapshot
        .voter_table(voter)
        .map(|(_, id, state)| (id, state));
    api::lookup_document(&snapshot.results, voter, table, lang.tag())
}
