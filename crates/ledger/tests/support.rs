//! What the integration tests share: logs of synthetic entries and the files
//! a mirror of them holds.

use std::collections::BTreeMap;

use veedor_ledger::{Checkpoint, Error, MerkleLog, SignerKey};

/// The origin of the test logs, also their key name.
pub const ORIGIN: &str = "veedor.example/test-log";

/// Entry `index` of a test log: something shaped like an acta record.
pub fn entry(index: u64) -> Vec<u8> {
    format!(
        "acta {index}: centre {} table {}, scan sha256 {index:064x}",
        index / 7,
        index % 7
    )
    .into_bytes()
}

/// The entries `0..size` and the log of them.
pub fn log_of(size: u64) -> (Vec<Vec<u8>>, MerkleLog) {
    let entries: Vec<Vec<u8>> = (0..size).map(entry).collect();
    let mut log = MerkleLog::new();
    for entry in &entries {
        log.append(entry);
    }
    (entries, log)
}

/// The log's signing key.
pub fn signer() -> Result<SignerKey, Error> {
    SignerKey::generate([42; 32], ORIGIN)
}

/// The checkpoint of the log at `size`.
pub fn checkpoint(log: &MerkleLog, size: u64) -> Result<Checkpoint, Error> {
    Checkpoint::new(ORIGIN, size, log.root_at(size)?)
}

/// Which path layout to write hash tiles in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `tile/<L>/<N>`.
    C2sp,
    /// `tile/8/<L>/<N>`, for Go's tlog.
    Go,
}

/// Every file of a mirror of `log` at `size`, by path: hash tiles in the
/// given layout and entry bundles (always C2SP).
pub fn mirror_files(
    entries: &[Vec<u8>],
    log: &MerkleLog,
    size: u64,
    layout: Layout,
) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let mut files = BTreeMap::new();
    for (path, bytes) in log.tiles(size)? {
        let name = match layout {
            Layout::C2sp => path.to_string(),
            Layout::Go => path.go_path().unwrap_or_default(),
        };
        files.insert(name, bytes);
    }
    for (path, bytes) in log.entry_bundles(entries, size)? {
        files.insert(path.to_string(), bytes);
    }
    Ok(files)
}
