//! The transparency log's key and checkpoints. The signing key lives in the data folder
//! (`keys/log.key`, readable by its owner only) and is never printed or exported; the public key
//! is what `veedor key` prints and what anyone checks a mirror with.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use veedor_app::{AppError, Signer};
use veedor_ledger::{Checkpoint, SignerKey, VerifierKey};

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

/// The data folder's key file as a [`Signer`]: read when a checkpoint is signed, so that a
/// server without the key (kept off the web servers) still opens the store.
#[derive(Debug, Clone)]
pub struct KeyFile {
    folder: PathBuf,
}

impl KeyFile {
    /// The key file of a data folder.
    pub fn of_folder(folder: &Path) -> Self {
        Self {
            folder: folder.to_owned(),
        }
    }
}

impl Signer for KeyFile {
    fn verifier_key(&self) -> Result<VerifierKey, AppError> {
        read_key(&self.folder)
            .map(|key| key.verifier_key())
            .map_err(|error| AppError::Checkpoint(format!("{error:#}")))
    }

    fn sign(&self, checkpoint: &Checkpoint) -> Result<String, AppError> {
        let key =
            read_key(&self.folder).map_err(|error| AppError::Checkpoint(format!("{error:#}")))?;
        Signer::sign(&key, checkpoint)
    }
}
