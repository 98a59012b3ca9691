//! The transparency log as the site serves it: [`PublishedLog`] (shared with the static export,
//! in `veedor-app`) and a cache of the entry bundles read from the store.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use veedor_ledger::TilePath;

pub use veedor_app::log::{LogError, PublishedLog, key_file};

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
