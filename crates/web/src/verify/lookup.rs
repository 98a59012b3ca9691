//! The voter lookup's shards (`lookup/`, step 10 of the verification). Every shard of the shard
//! count must be there, whole 16-byte records, each in the shard its key prefix names, in order,
//! placing its voter at a table of the verified data.
//!
//! When the log holds a registry entry (`veedor/registry/1` or `/2`, appended when the registry
//! was imported or replaced), the latest one is what the shards are held to, byte for byte: the
//! SHA-256 of every bucket of the records (the records whose keys share their first
//! `bucket_bits` bits) is computed from the shards, and the digest of them all must be the
//! entry's `buckets_sha256`, and the count its `voters`. `lookup/index.bin` lists the buckets'
//! hashes; authenticated by that same digest, it names the shard that differs, whatever size
//! the export cut the shards to. Without a registry entry (a log written before it) the shards
//! are checked for structure only, and the lookup form's parameters are read from the mirror.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::{CentreCode, Results, TableId, TableNumber};
use veedor_formats::lookup::{LookupKdf, RegistryEntry, buckets_digest};

use super::parallel::Worker;
use super::{FetchError, ProblemKind, Run};
use crate::site::{LOOKUP_INDEX, LOOKUP_RECORD, shard_of, shard_path};

/// The largest shard count the verifier reads: 2^24 shards hold the 8.6 billion voters at which
/// the export would cut by 28 bits; a mirror claiming more is refused rather than read.
const MAX_SHARD_BITS: u8 = 24;

/// The registry entry the shards are held to, with its index in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupCommitment {
    /// The entry's index in the log.
    pub index: u64,
    /// What it says.
    pub entry: RegistryEntry,
}

impl Run<'_> {
    /// The shard bits of the mirror's lookup, `None` when it has none: the one bit count of the
    /// export's (4, 8, ... 24) whose paths the mirror's files under `lookup/` take (the most of
    /// them, when it can be listed), else whose first or last shard is there.
    pub(super) fn lookup_bits(&mut self) -> Result<Option<u8>, FetchError> {
        let all_bits = (4..=MAX_SHARD_BITS).step_by(4);
        if let Some(listed) = self.files.list("lookup") {
            let mut votes: BTreeMap<u8, usize> = BTreeMap::new();
            for path in listed? {
                if let Some(bits) = all_bits.clone().find(|bits| is_shard_path(&path, *bits)) {
                    *votes.entry(bits).or_default() += 1;
                }
            }
            let most = votes
                .into_iter()
                .max_by_key(|(bits, count)| (*count, u8::MAX - bits));
            return Ok(most.map(|(bits, _)| bits));
        }
        for bits in all_bits {
            let last = (1u32 << bits) - 1;
            for shard in [0, last] {
                if self.files.get(&shard_path(bits, shard))?.is_some() {
                    return Ok(Some(bits));
                }
            }
        }
        Ok(None)
    }

    /// Checks every shard of `bits` against the verified `results` and, when the log commits
    /// to the records, against that commitment, naming the shard that differs.
    pub(super) fn lookup(
        &mut self,
        results: &Results,
        bits: u8,
        committed: Option<&LookupCommitment>,
    ) -> Result<(), FetchError> {
        let shard_count = 1u32 << bits;
        let Some(commitment) = committed else {
            let shards: Vec<u32> = (0..shard_count).collect();
            let found = self.in_parallel(&shards, |worker, shard| {
                Ok(check_shard(worker, results, bits, *shard)?.map(|bytes| bytes.len()))
            })?;
            self.summary.lookup_shards = Some(shards.len());
            self.summary.lookup_records = records_in(found.iter().flatten().copied());
            // An index written beside the shards is the export's, though nothing holds it here.
            let _ = self.get(LOOKUP_INDEX)?;
            return Ok(());
        };
        let entry = &commitment.entry;
        let bucket_bits = entry.bucket_bits;
        let index = self.lookup_index(commitment)?;
        // A group is the shards one task reads: one shard when a shard holds whole buckets,
        // else the shards of one bucket, read in order.
        let (group_shards, buckets_per_group) = if bits <= bucket_bits {
            (1u32, 1usize << (bucket_bits - bits))
        } else {
            (1u32 << (bits - bucket_bits), 1usize)
        };
        let groups: Vec<u32> = (0..shard_count / group_shards).collect();
        let found = self.in_parallel(&groups, |worker, group| {
            let first_shard = group * group_shards;
            let mut bytes = Vec::new();
            let mut whole = true;
            for shard in first_shard..first_shard + group_shards {
                match check_shard(worker, results, bits, shard)? {
                    Some(shard_bytes) => bytes.extend_from_slice(&shard_bytes),
                    None => whole = false,
                }
            }
            let first_bucket = usize::try_from(*group).unwrap_or(usize::MAX) * buckets_per_group;
            let hashes = bucket_hashes_from(&bytes, bucket_bits, first_bucket, buckets_per_group);
            let listed = index.as_ref().and_then(|index| {
                index.get(first_bucket * 32..(first_bucket + buckets_per_group) * 32)
            });
            // A shard named already (missing, or a record out of place) is not named twice.
            let differs = listed.is_some_and(|listed| listed != hashes.concat());
            if whole && differs && !worker.has_problems() {
                let name = if group_shards == 1 {
                    shard_path(bits, first_shard)
                } else {
                    format!(
                        "{} to {}",
                        shard_path(bits, first_shard),
                        shard_path(bits, first_shard + group_shards - 1)
                    )
                };
                worker.add(
                    name,
                    ProblemKind::Altered,
                    format!(
                        "differs from the records log entry {} commits to (its buckets' SHA-256 are not those {LOOKUP_INDEX} lists)",
                        commitment.index
                    ),
                );
            }
            let named = worker.has_problems();
            Ok((bytes.len(), hashes, named))
        })?;
        self.summary.lookup_shards = Some(usize::try_from(shard_count).unwrap_or(usize::MAX));
        let records = records_in(found.iter().map(|(bytes, ..)| *bytes));
        self.summary.lookup_records = records;
        self.summary.lookup_checked_against = Some(commitment.index);
        let named = found.iter().any(|(.., named)| *named);
        let hashes: Vec<[u8; 32]> = found
            .into_iter()
            .flat_map(|(_, hashes, _)| hashes)
            .collect();
        let mut differ = Vec::new();
        if records != entry.voters {
            differ.push(format!(
                "{records} records, log entry {} commits to {}",
                commitment.index, entry.voters
            ));
        }
        if buckets_digest(&hashes) != entry.buckets_sha256 {
            differ.push(format!(
                "the shards are not the records log entry {} commits to",
                commitment.index
            ));
        }
        // A shard named above explains the difference; else it is the shards as a whole.
        if !differ.is_empty() && !named {
            self.add("lookup/", None, ProblemKind::Altered, differ.join("; "));
        }
        Ok(())
    }

    /// `lookup/index.bin`, if it is the list of bucket hashes the entry commits to (named
    /// otherwise).
    fn lookup_index(
        &mut self,
        commitment: &LookupCommitment,
    ) -> Result<Option<Vec<u8>>, FetchError> {
        let Some(bytes) = self.require(LOOKUP_INDEX)? else {
            return Ok(None);
        };
        let expected = 32usize << commitment.entry.bucket_bits;
        let message = if bytes.len() != expected {
            format!(
                "{} bytes, expected {expected} (the SHA-256 of each of the 2^{} buckets of log entry {})",
                bytes.len(),
                commitment.entry.bucket_bits,
                commitment.index
            )
        } else {
            let hashes: Vec<[u8; 32]> = bytes
                .chunks_exact(32)
                .map(|chunk| {
                    let mut hash = [0u8; 32];
                    hash.copy_from_slice(chunk);
                    hash
                })
                .collect();
            if buckets_digest(&hashes) == commitment.entry.buckets_sha256 {
                return Ok(Some(bytes));
            }
            format!(
                "its hashes are not those log entry {} commits to",
                commitment.index
            )
        };
        self.add(LOOKUP_INDEX, None, ProblemKind::Altered, message);
        Ok(None)
    }
}

/// The latest registry entry of the log, if any; `entries` are the verified log's.
pub(super) fn latest_commitment(
    entries: &[Vec<u8>],
) -> Option<(u64, Result<RegistryEntry, String>)> {
    entries
        .iter()
        .enumerate()
        .rev()
        .find(|(_, bytes)| RegistryEntry::is_one(bytes))
        .map(|(index, bytes)| {
            (
                u64::try_from(index).unwrap_or(u64::MAX),
                RegistryEntry::parse(bytes),
            )
        })
}

/// The lookup form's scrypt parameters as a page of the mirror states them (`data-log-n`,
/// `data-r`, `data-p`, `data-lanes`), for a lookup the log does not commit to.
pub(super) fn form_kdf(page: &[u8]) -> Option<LookupKdf> {
    let text = std::str::from_utf8(page).ok()?;
    let attribute = |name: &str| -> Option<u32> {
        let start = text.find(&format!(" {name}=\""))? + name.len() + 3;
        let rest = text.get(start..)?;
        rest.get(..rest.find('"')?)?.parse().ok()
    };
    let log_n = u8::try_from(attribute("data-log-n")?).ok()?;
    LookupKdf::new(
        log_n,
        attribute("data-r")?,
        attribute("data-p")?,
        // A page from before lanes has no `data-lanes`: one lane.
        attribute("data-lanes").unwrap_or(1),
    )
    .ok()
}

/// Records in shards of these byte lengths.
fn records_in(lengths: impl Iterator<Item = usize>) -> u64 {
    lengths
        .map(|bytes| u64::try_from(bytes / LOOKUP_RECORD).unwrap_or(u64::MAX))
        .sum()
}

/// The SHA-256 of `count` buckets of `bits` from `first`, of records in order that all fall in
/// them (a record outside them, already named, is left out).
fn bucket_hashes_from(records: &[u8], bits: u8, first: usize, count: usize) -> Vec<[u8; 32]> {
    let mut hashers = vec![Hasher::new(); count];
    for record in records.chunks_exact(LOOKUP_RECORD) {
        let bucket = usize::try_from(shard_of(record, bits)).unwrap_or(usize::MAX);
        if let Some(hasher) = bucket
            .checked_sub(first)
            .and_then(|offset| hashers.get_mut(offset))
        {
            hasher.update(record);
        }
    }
    hashers
        .into_iter()
        .map(|hasher| hasher.finalize().into())
        .collect()
}

/// Whether `path` is the file of some shard of `bits`.
fn is_shard_path(path: &str, bits: u8) -> bool {
    let Some(name) = path
        .strip_prefix("lookup/")
        .and_then(|p| p.strip_suffix(".bin"))
    else {
        return false;
    };
    let hex: String = name.chars().filter(|c| *c != '/').collect();
    hex.len() == usize::from(bits / 4)
        && u32::from_str_radix(&hex, 16).is_ok_and(|shard| shard_path(bits, shard) == path)
}

/// One shard's bytes, `None` when missing. Names the first thing wrong in it.
fn check_shard(
    worker: &mut Worker<'_>,
    results: &Results,
    bits: u8,
    shard: u32,
) -> Result<Option<Vec<u8>>, FetchError> {
    let path = shard_path(bits, shard);
    let Some(bytes) = worker.get(&path)? else {
        worker.add(
            path,
            ProblemKind::Missing,
            "missing (every shard is written, empty ones too)",
        );
        return Ok(None);
    };
    if bytes.len() % LOOKUP_RECORD != 0 {
        let message = format!(
            "{} bytes, not a whole number of {LOOKUP_RECORD}-byte records",
            bytes.len()
        );
        worker.add(path, ProblemKind::Altered, message);
        return Ok(Some(bytes));
    }
    let digits = results.election().geography.centre_digits;
    let mut previous: Option<&[u8]> = None;
    for (number, record) in (1u64..).zip(bytes.chunks_exact(LOOKUP_RECORD)) {
        let belongs = shard_of(record, bits);
        let table = table_of(record);
        let known = results
            .table(table)
            .is_some_and(|state| state.table.is_some());
        let message = if belongs != shard {
            format!("record {number} belongs in {}", shard_path(bits, belongs))
        } else if previous.is_some_and(|previous| previous > record) {
            format!("record {number} is out of order (records are sorted)")
        } else if !known {
            format!(
                "record {number} places a voter at table {}, which data/tables.csv does not have",
                table.display(digits)
            )
        } else {
            previous = Some(record);
            continue;
        };
        worker.add(path, ProblemKind::Altered, message);
        break;
    }
    Ok(Some(bytes))
}

/// The table a lookup record names: the centre code (6 bytes) and the table number (2 bytes)
/// after the key prefix, big-endian.
fn table_of(record: &[u8]) -> TableId {
    let mut centre = [0u8; 8];
    let mut number = [0u8; 2];
    for (target, byte) in centre[2..].iter_mut().zip(record.iter().skip(8)) {
        *target = *byte;
    }
    for (target, byte) in number.iter_mut().zip(record.iter().skip(14)) {
        *target = *byte;
    }
    TableId::new(
        CentreCode::new(u64::from_be_bytes(centre)),
        TableNumber::new(u16::from_be_bytes(number)),
    )
}
