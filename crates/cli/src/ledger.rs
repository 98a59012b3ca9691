//! The transparency log's key and checkpoints. The signing key lives in the data folder
//! (`keys/log.key`, readable by its owner only) and is never printed or exported; the public key
//! is what `veedor key` prints and what anyone checks a mirror with.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use veedor_ledger::{Checkpoint, Hash, MerkleLog, SignerKey};
use veedor_store::{Store, StoredCheckpoint};

use crate::context::now;

/// Where the signing key is kept in a data folder.
pub fn key_path(folder: &Path) -> PathBuf {
    folder.join("keys").join("log.key")
}

/// Creates the log's key: a fresh Ed25519 key named `origin`, written with mode 0600.
pub fn create_key(folder: &Path, origin: &str) -> anyhow::Result<SignerKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|error| anyhow::anyhow!("no randomness from the system: {error}"))?;
    let key = SignerKey::generate(seed, origin).with_context(|| format!("log name `{origin}`"))?;
    let path = key_path(folder);
    let parent = path.parent().unwrap_or(folder);
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(key.to_key_string().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(key)
}

/// Reads the log's key.
pub fn read_key(folder: &Path) -> anyhow::Result<SignerKey> {
    let path = key_path(folder);
    let text = fs::read_to_string(&path)
        .with_context(|| format!("reading the log key {}", path.display()))?;
    SignerKey::parse(text.trim()).with_context(|| format!("{}: not a signer key", path.display()))
}

/// The default name (origin) of a new log: the election and a random tag, so that two logs of
/// the same election kept by different people never share a name.
pub fn default_origin(election_id: &str) -> anyhow::Result<String> {
    let mut tag = [0u8; 4];
    getrandom::fill(&mut tag)
        .map_err(|error| anyhow::anyhow!("no randomness from the system: {error}"))?;
    Ok(format!("veedor/{election_id}/{}", hex_of(&tag)))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The log as stored: every leaf hash, with the interior nodes rebuilt.
pub fn load_log(store: &dyn Store) -> anyhow::Result<MerkleLog> {
    let leaves = store.log_leaf_hashes()?.into_iter().map(Hash).collect();
    Ok(MerkleLog::from_leaf_hashes(leaves))
}

/// Signs a checkpoint of the log as it now is, unless the latest one already covers it.
/// Called after every batch: if a crash ever came between a batch and its checkpoint, the next
/// batch's checkpoint covers both.
pub fn sign_checkpoint(store: &mut dyn Store, folder: &Path) -> anyhow::Result<Option<Checkpoint>> {
    let size = store.log_size()?;
    let latest = store.latest_checkpoint()?;
    if latest.as_ref().is_some_and(|c| c.size == size) || (latest.is_none() && size == 0) {
        return Ok(None);
    }
    if let Some(latest) = &latest
        && latest.size > size
    {
        bail!(
            "the latest checkpoint covers {} entries but the log has {size}: the store was tampered with",
            latest.size
        );
    }
    let key = read_key(folder)?;
    let log = load_log(store)?;
    let checkpoint = Checkpoint::new(key.name(), log.size(), log.root())?;
    let note = key.sign(&checkpoint)?;
    store.add_checkpoint(&StoredCheckpoint {
        size: log.size(),
        note,
        signed_at: now(),
    })?;
    Ok(Some(checkpoint))
}
