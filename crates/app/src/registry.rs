//! The voter registry in: voters placed on tables the store knows, every voter once, stored
//! whole. Whatever builds the list (a CSV import, a synthetic registry) goes through the same
//! checks here.
//!
//! Replacing the registry also computes, once, every voter's record for a static mirror's
//! lookup (`veedor_formats::lookup`: a slow scrypt key a voter, on every core), keeps them in the
//! blob store under the SHA-256 of their sorted stream, and appends the `veedor/registry/1` log
//! entry (`/2` when the key has lanes) that commits to them, in the same transaction as the registry; then it signs a
//! checkpoint. Every export cuts the stored records into shards without deriving a key again.

use std::collections::HashMap;

use rayon::prelude::*;
use veedor_core::{Registry, RegistryBuilder, Sha256, TableId, TableKey, VoterId};
use veedor_formats::lookup::{LOOKUP_RECORD, LookupKdf, RegistryEntry, lookup_record, lookup_salt};
use veedor_store::{BatchOutcome, BlobStore, SourceFile, Store};

use crate::AppError;
use crate::checkpoint::{Signer, sign_checkpoint};

/// The key of every table the store knows, to place voters with.
pub fn table_keys(store: &dyn Store) -> Result<HashMap<TableId, TableKey>, AppError> {
    Ok(store
        .tables()?
        .into_iter()
        .map(|(key, table)| (table.id, key))
        .collect())
}

/// Builds a registry from voters and their tables, refusing a voter on a table the store does
/// not know (naming both) and a voter listed twice.
pub fn build(
    keys: &HashMap<TableId, TableKey>,
    voters: impl IntoIterator<Item = (VoterId, TableId)>,
    capacity: usize,
) -> Result<Registry, AppError> {
    let mut builder = RegistryBuilder::with_capacity(capacity);
    for (voter, table) in voters {
        let key = keys
            .get(&table)
            .ok_or(AppError::RegistryUnknownTable { voter, table })?;
        builder.push(voter, *key);
    }
    builder
        .build()
        .map_err(|error| AppError::Registry(error.to_string()))
}

/// What replacing the registry did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaced {
    /// Stored, or the same file was current already (then nothing was computed).
    pub outcome: BatchOutcome,
    /// The log entry appended, when stored.
    pub entry: Option<RegistryEntry>,
    /// The size of the checkpoint signed after it, when one was.
    pub checkpoint: Option<u64>,
}

/// Every voter's lookup record, sorted, concatenated: one scrypt key a voter, on every core.
/// `progress` is called with the voters done so far, now and then.
pub fn lookup_records(
    store: &dyn Store,
    registry: &Registry,
    kdf: LookupKdf,
    salt: &str,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<u8>, AppError> {
    let tables: HashMap<TableKey, TableId> = store
        .tables()?
        .into_iter()
        .map(|(key, table)| (key, table.id))
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut records = (0..registry.len())
        .into_par_iter()
        .map(|index| -> Result<[u8; LOOKUP_RECORD], AppError> {
            let (voter, key) = registry
                .voter_at(index)
                .ok_or_else(|| AppError::Registry(format!("voter {index} is not in it")))?;
            let table = *tables.get(&key).ok_or_else(|| {
                AppError::Registry(format!(
                    "voter {voter} is on a table the store does not know"
                ))
            })?;
            let record = lookup_record(&kdf, salt, voter, table).ok_or_else(|| {
                AppError::Registry(format!(
                    "centre code {} does not fit the lookup's 48 bits",
                    table.centre.get()
                ))
            })?;
            let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if count.is_multiple_of(4096) {
                progress(count);
            }
            Ok(record)
        })
        .collect::<Result<Vec<_>, _>>()?;
    records.par_sort_unstable();
    Ok(records.concat())
}

/// Replaces the store's registry with `registry`, read from `source`, with the lookup records
/// of `kdf` kept in `blobs` and committed to in the log; signs a checkpoint. A file that is the
/// current registry's source already changes nothing and computes nothing.
pub fn replace(
    store: &mut dyn Store,
    blobs: &dyn BlobStore,
    signer: &dyn Signer,
    registry: &Registry,
    source: &SourceFile,
    kdf: LookupKdf,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Replaced, AppError> {
    if let Some(info) = store.registry_info()?
        && info.source.sha256 == source.sha256
    {
        return Ok(Replaced {
            outcome: BatchOutcome::AlreadyApplied {
                at: info.source.received_at,
            },
            entry: None,
            checkpoint: None,
        });
    }
    let election = store.election()?;
    let salt = lookup_salt(&election.id);
    let records = lookup_records(&*store, registry, kdf, &salt, progress)?;
    let entry = RegistryEntry::of_records(&election.id, kdf, &salt, &records);
    // The records first, durable under their hash; then the registry and its log entry.
    let stored = blobs.put(&records)?;
    if stored != entry.records_sha256 {
        return Err(AppError::BlobMismatch {
            file: "the lookup records".to_owned(),
            stored,
            expected: entry.records_sha256,
        });
    }
    let outcome = store.replace_registry(registry, source, &entry.encode())?;
    let applied = matches!(outcome, BatchOutcome::Applied { .. });
    let checkpoint = sign_checkpoint(store, signer, source.received_at)?.map(|c| c.size);
    Ok(Replaced {
        outcome,
        entry: applied.then_some(entry),
        checkpoint,
    })
}

/// The registry's latest log entry and its index, if the log holds one (a log written before
/// registries were committed to, or with none imported, does not).
pub fn latest_entry(store: &dyn Store) -> Result<Option<(u64, RegistryEntry)>, AppError> {
    let size = store.log_size()?;
    // From the end, a few thousand entries at a time: the registry is usually imported early,
    // but reading backwards stops at the latest one.
    let mut end = size;
    while end > 1 {
        let start = end.saturating_sub(4096).max(1);
        let entries = store.log_entries(start, end)?;
        for (offset, bytes) in entries.iter().enumerate().rev() {
            if RegistryEntry::is_one(bytes) {
                let index = start + u64::try_from(offset).unwrap_or(u64::MAX);
                let entry = RegistryEntry::parse(bytes)
                    .map_err(|error| AppError::Registry(format!("log entry {index}: {error}")))?;
                return Ok(Some((index, entry)));
            }
        }
        end = start;
    }
    Ok(None)
}

/// The lookup records the latest registry entry commits to, read from the blob store and
/// checked against it.
pub fn committed_records(
    blobs: &dyn BlobStore,
    entry: &RegistryEntry,
) -> Result<Vec<u8>, AppError> {
    let bytes = blobs.get(&entry.records_sha256)?.ok_or_else(|| {
        AppError::Registry(format!(
            "the lookup records {} are missing from the blob store",
            entry.records_sha256
        ))
    })?;
    let hash = Sha256::from_bytes(<sha2::Sha256 as sha2::Digest>::digest(&bytes).into());
    if hash != entry.records_sha256 || !bytes.len().is_multiple_of(LOOKUP_RECORD) {
        return Err(AppError::BlobMismatch {
            file: "the lookup records".to_owned(),
            stored: entry.records_sha256,
            expected: hash,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use veedor_core::{CentreCode, TableNumber};

    use super::*;

    fn table(number: u16) -> TableId {
        TableId::new(CentreCode::new(10_101_001), TableNumber::new(number))
    }

    #[test]
    fn voters_are_placed_by_key_and_unknown_tables_and_repeats_are_refused() {
        let keys: HashMap<TableId, TableKey> = [(table(1), TableKey::new(0))].into();
        let registry = build(&keys, [(VoterId::new(7), table(1))], 1).expect("builds");
        assert_eq!(registry.len(), 1);
        assert!(matches!(
            build(&keys, [(VoterId::new(7), table(2))], 1),
            Err(AppError::RegistryUnknownTable { .. })
        ));
        assert!(matches!(
            build(
                &keys,
                [(VoterId::new(7), table(1)), (VoterId::new(7), table(1))],
                2
            ),
            Err(AppError::Registry(_))
        ));
    }
}
