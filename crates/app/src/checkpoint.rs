//! Signing checkpoints of the transparency log. The key is behind [`Signer`]: the data folder's
//! key file is one implementation (in the command line, which reads files), an HSM or a KMS
//! could be another; this crate only asks it to sign.

use veedor_core::Timestamp;
use veedor_ledger::{Checkpoint, Hash, MerkleLog, SignerKey, VerifierKey};
use veedor_store::{Store, StoredCheckpoint};

use crate::AppError;

/// Signs checkpoints of one log.
pub trait Signer: Send + Sync {
    /// The public key of the log: its name (the checkpoints' origin) and key.
    fn verifier_key(&self) -> Result<VerifierKey, AppError>;

    /// Signs a checkpoint: the C2SP signed note.
    fn sign(&self, checkpoint: &Checkpoint) -> Result<String, AppError>;
}

/// A key held in memory signs.
impl Signer for SignerKey {
    fn verifier_key(&self) -> Result<VerifierKey, AppError> {
        Ok(SignerKey::verifier_key(self))
    }

    fn sign(&self, checkpoint: &Checkpoint) -> Result<String, AppError> {
        SignerKey::sign(self, checkpoint).map_err(|error| AppError::Checkpoint(error.to_string()))
    }
}

/// The log as stored: every leaf hash, with the interior nodes rebuilt.
pub fn load_log(store: &dyn Store) -> Result<MerkleLog, AppError> {
    let leaves = store.log_leaf_hashes()?.into_iter().map(Hash).collect();
    Ok(MerkleLog::from_leaf_hashes(leaves))
}

/// Signs a checkpoint of the log as it now is, unless the latest one already covers it.
/// Called after every batch: if a crash ever came between a batch and its checkpoint, the next
/// batch's checkpoint covers both. In the store's signing turn: several servers on one
/// database sign one at a time, each seeing the checkpoint the one before stored.
pub fn sign_checkpoint(
    store: &mut dyn Store,
    signer: &dyn Signer,
    now: Timestamp,
) -> Result<Option<Checkpoint>, AppError> {
    store.begin_signing_turn()?;
    // The turn ends even if signing panics: a server that goes on after a panicked request
    // must not keep every other signer waiting.
    let signed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sign_in_turn(&mut *store, signer, now)
    }));
    let ended = store.end_signing_turn();
    let signed = signed.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    ended?;
    Ok(signed)
}

fn sign_in_turn(
    store: &mut dyn Store,
    signer: &dyn Signer,
    now: Timestamp,
) -> Result<Option<Checkpoint>, AppError> {
    let size = store.log_size()?;
    let latest = store.latest_checkpoint()?;
    if latest.as_ref().is_some_and(|c| c.size == size) || (latest.is_none() && size == 0) {
        return Ok(None);
    }
    if let Some(latest) = &latest
        && latest.size > size
    {
        return Err(AppError::LogShrank {
            checkpoint: latest.size,
            log: size,
        });
    }
    let key = signer.verifier_key()?;
    let log = load_log(store)?;
    let checkpoint = Checkpoint::new(key.name(), log.size(), log.root())
        .map_err(|error| AppError::Checkpoint(error.to_string()))?;
    let note = signer.sign(&checkpoint)?;
    store.add_checkpoint(&StoredCheckpoint {
        size: log.size(),
        note,
        signed_at: now,
    })?;
    Ok(Some(checkpoint))
}
