//! The transparency log as the site publishes it: the latest signed checkpoint, verified with
//! the log's public key, and the Merkle tree it signs (RFC 6962), from which hash tiles and
//! inclusion proofs are made (C2SP tlog-tiles; docs/ledger.md). Entry bundles need the entries'
//! bytes, which stay in the store and are read when asked for.
//!
//! One value for everything that publishes the log: the server (`veedor serve`) and the static
//! export. It is handed the public (verifier) key only; the private key never reaches it.

use veedor_core::{ActaCopy, Dataset, Timestamp};
use veedor_ledger::{
    Checkpoint, Hash, MerkleLog, TILE_WIDTH, TileKind, TilePath, VerifierKey, encode_entry_bundle,
    leaf_hash,
};
use veedor_store::{Store, StoreError};

/// Why the log cannot be published.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored checkpoint does not verify with the key, or does not match the stored tree.
    #[error("the stored checkpoint {0}")]
    Checkpoint(String),
    /// The log's entries do not hash to its leaves.
    #[error("log entry {index} does not hash to its leaf")]
    Entry {
        /// The entry.
        index: u64,
    },
    /// A path that the checkpoint's tree does not have.
    #[error("no such tile in the published tree")]
    NoSuchTile,
}

/// The published log: the latest checkpoint that verifies with the log's key, and the tree.
#[derive(Debug)]
pub struct PublishedLog {
    /// Every leaf hash the store holds (the log may have grown past the checkpoint: only the
    /// checkpoint's size is published).
    pub tree: MerkleLog,
    /// The checkpoint, verified.
    pub checkpoint: Checkpoint,
    /// The signed note, as stored: the bytes of `/log/checkpoint`.
    pub note: String,
    /// The key it verifies with.
    pub key: VerifierKey,
    /// When it was signed.
    pub signed_at: Timestamp,
}

impl PublishedLog {
    /// Loads the latest checkpoint and the tree from `store`, and checks both: the note must
    /// verify with `key` and name its log, and the tree's root at the checkpoint's size must be
    /// the signed root. `None` when no checkpoint was signed yet.
    pub fn load(store: &dyn Store, key: &VerifierKey) -> Result<Option<Self>, LogError> {
        let Some(stored) = store.latest_checkpoint()? else {
            return Ok(None);
        };
        let checkpoint = key
            .verify(&stored.note)
            .map_err(|error| LogError::Checkpoint(format!("does not verify: {error}")))?;
        if checkpoint.origin != key.name() {
            return Err(LogError::Checkpoint(format!(
                "is of the log `{}`, the key of `{}`",
                checkpoint.origin,
                key.name()
            )));
        }
        let tree =
            MerkleLog::from_leaf_hashes(store.log_leaf_hashes()?.into_iter().map(Hash).collect());
        match tree.root_at(checkpoint.size) {
            Ok(root) if root == checkpoint.root => {}
            Ok(root) => {
                return Err(LogError::Checkpoint(format!(
                    "signs the root {}, but the store's first {} entries give {root}",
                    checkpoint.root, checkpoint.size
                )));
            }
            Err(error) => return Err(LogError::Checkpoint(error.to_string())),
        }
        Ok(Some(Self {
            tree,
            checkpoint,
            note: stored.note,
            key: key.clone(),
            signed_at: stored.signed_at,
        }))
    }

    /// The published size: the checkpoint's.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.checkpoint.size
    }

    /// Whether the checkpoint covers `copy`'s log entry.
    #[must_use]
    pub fn covers(&self, copy: &ActaCopy) -> bool {
        copy.log_index.is_some_and(|index| index < self.size())
    }

    /// `dataset` as of this checkpoint: without the copies and decisions stored after it (an
    /// ingest signs now and then, not after every file), so that what is published from it
    /// always matches the signed log. The server's open data and the static exports both
    /// publish this.
    #[must_use]
    pub fn covered(&self, mut dataset: Dataset) -> Dataset {
        dataset.copies.retain(|copy| self.covers(copy));
        dataset
            .decisions
            .retain(|decision| decision.log_index.is_some_and(|index| index < self.size()));
        dataset
    }

    /// Whether the tree of the checkpoint's size holds every hash of this tile or bundle. Full
    /// tiles and partial tiles of any smaller width qualify (a verifier holding an older
    /// checkpoint asks for those).
    #[must_use]
    pub fn has(&self, path: &TilePath) -> bool {
        let level = match path.kind() {
            TileKind::Hash { level } => u32::from(level),
            TileKind::Entries => 0,
        };
        let hashes_at_level = self
            .size()
            .checked_shr(level * u32::from(veedor_ledger::TILE_HEIGHT))
            .unwrap_or(0);
        path.index()
            .checked_mul(u64::from(TILE_WIDTH))
            .and_then(|start| start.checked_add(u64::from(path.width())))
            .is_some_and(|end| end <= hashes_at_level)
    }

    /// The bytes of a hash tile of the published tree.
    pub fn hash_tile(&self, path: &TilePath) -> Result<Vec<u8>, LogError> {
        if !matches!(path.kind(), TileKind::Hash { .. }) || !self.has(path) {
            return Err(LogError::NoSuchTile);
        }
        self.tree.tile(path).map_err(|_| LogError::NoSuchTile)
    }

    /// The entries an entry bundle holds: `start..end`.
    pub fn bundle_range(&self, path: &TilePath) -> Result<(u64, u64), LogError> {
        if path.kind() != TileKind::Entries || !self.has(path) {
            return Err(LogError::NoSuchTile);
        }
        let start = path.index() * u64::from(TILE_WIDTH);
        Ok((start, start + u64::from(path.width())))
    }

    /// Encodes an entry bundle from the entries `start..` (as read from the store), after
    /// checking that each hashes to its leaf.
    pub fn entry_bundle(&self, start: u64, entries: &[Vec<u8>]) -> Result<Vec<u8>, LogError> {
        for (index, entry) in (start..).zip(entries) {
            if self.tree.leaf_hash_at(index) != Some(leaf_hash(entry)) {
                return Err(LogError::Entry { index });
            }
        }
        encode_entry_bundle(entries).map_err(|_| LogError::NoSuchTile)
    }

    /// The entry bundle that holds entry `index` in the published tree, and the entry's
    /// position in it; `None` when the checkpoint does not cover the entry.
    #[must_use]
    pub fn bundle_of(&self, index: u64) -> Option<(TilePath, u64)> {
        if index >= self.size() {
            return None;
        }
        let width = u64::from(TILE_WIDTH);
        let bundle = index / width;
        let in_bundle = (self.size() - bundle * width).min(width);
        let path = TilePath::entry_bundle(bundle, u16::try_from(in_bundle).ok()?).ok()?;
        Some((path, index % width))
    }

    /// The inclusion proof of entry `index` in the checkpoint's tree, bottom up.
    #[must_use]
    pub fn inclusion_proof(&self, index: u64) -> Option<Vec<Hash>> {
        self.tree
            .inclusion_proof(index, self.size())
            .ok()
            .map(|proof| proof.path)
    }
}

/// The text of `/log/key`: the key in the C2SP signed-note verifier-key form
/// (`<name>+<hex key id>+<base64 of 0x01 || key>`) and a newline, nothing else, so that
/// `veedor verify --key "$(cat key)"` and Go's `note.NewVerifier` read it as it is. A copy's own
/// key proves nothing by itself (whoever can alter a copy can replace it): docs/ledger.md says
/// to get the key from its publisher by another way.
#[must_use]
pub fn key_file(key: &VerifierKey) -> String {
    format!("{key}\n")
}
