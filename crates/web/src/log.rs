//! The transparency log as the site serves it: [`PublishedLog`] (shared with the static export,
//! in `veedor-app`) and a cache of the entry bundles read from the store.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use veedor_ledger::{MerkleLog, TilePath, VerifierKey};

pub use veedor_app::log::{LogError, PublishedLog, key_file};

/// Every file of a mirror's `log/` folder for the checkpoint `note` of `size` entries, as (path
/// from the mirror's root, bytes): `log/checkpoint`, `log/key` ([`key_file`]), and the hash
/// tiles and entry bundles of that size (C2SP tlog-tiles). `entries` are the log's entries from
/// index 0, each hashing to its leaf in `tree`.
///
/// # Errors
/// When `tree` or `entries` are shorter than `size`, or an entry does not hash to its leaf.
pub fn mirror_files(
    note: &str,
    key: &VerifierKey,
    tree: &MerkleLog,
    entries: &[Vec<u8>],
    size: u64,
) -> Result<Vec<(String, Vec<u8>)>, veedor_ledger::Error> {
    let mut out = vec![
        ("log/checkpoint".to_owned(), note.as_bytes().to_vec()),
        ("log/key".to_owned(), key_file(key).into_bytes()),
    ];
    out.extend(
        tree.tiles(size)?
            .map(|(path, bytes)| (format!("log/{path}"), bytes)),
    );
    out.extend(
        tree.entry_bundles(entries, size)?
            .map(|(path, bytes)| (format!("log/{path}"), bytes)),
    );
    Ok(out)
}

/// Full entry bundles already read from the store (they never change), bounded in bytes.
#[derive(Debug, Default)]
pub struct BundleCache {
    made: Mutex<(HashMap<TilePath, Vec<u8>>, usize)>,
}

/// Bytes of full entry bundles kept in memory.
const BUNDLE_CACHE_BYTES: usize = 32 << 20;

impl BundleCache {
    /// A bundle read before.
    #[must_use]
    pub fn get(&self, path: &TilePath) -> Option<Vec<u8>> {
        self.made
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .get(path)
            .cloned()
    }

    /// Keeps a full bundle; forgets all when over budget.
    pub fn put(&self, path: TilePath, bytes: Vec<u8>) {
        if path.is_partial() {
            return;
        }
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if made.1 + bytes.len() > BUNDLE_CACHE_BYTES {
            made.0.clear();
            made.1 = 0;
        }
        made.1 += bytes.len();
        made.0.insert(path, bytes);
    }
}
