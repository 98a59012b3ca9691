//! The voter lookup's shards (`lookup/`, step 10 of the verification), checked as far as they can be without the registry,
//! which is not published: every shard of the shard count is there, each is whole 16-byte
//! records, each record is in the shard its hash prefix names and in order, places its voter at
//! a table of the verified data, and the number of records is one the export cuts into that
//! many shards. Which voter is at which table cannot be checked without the registry: the log
//! does not commit to it yet. [`Run::lookup_commitment`] is the check that a log entry
//! committing to the shards ([`LookupCommitment`]) would allow.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::{CentreCode, Results, Sha256, TableId, TableNumber};

use super::parallel::Worker;
use super::{FetchError, ProblemKind, Run};
use crate::site::{LOOKUP_RECORD, shard_of, shard_path, shards_digest};

/// The largest shard count the verifier reads: 2^24 shards hold the 8.6 billion voters at which
/// the export would cut by 28 bits; a mirror claiming more is refused rather than read.
const MAX_SHARD_BITS: u8 = 24;

/// What a log entry appended when the registry is imported would commit to (a proposal: the
/// log holds no such entry yet), so that the shards can be checked byte for byte without the
/// registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupCommitment {
    /// Voters with a record in the shards.
    pub records: u64,
    /// Leading hash bits that name a shard ([`crate::site::shard_bits`] of `records`).
    pub shard_bits: u8,
    /// [`crate::site::shards_digest`] of the shards.
    pub digest: Sha256,
}

/// What the mirror's shards hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Shards {
    /// Leading hash bits that name a shard.
    pub(super) bits: u8,
    /// Records in all shards.
    pub(super) records: u64,
    /// [`shards_digest`] of the shards; `None` when one is missing.
    pub(super) digest: Option<Sha256>,
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

    /// Checks every shard of `bits` against the verified `results`.
    pub(super) fn lookup(&mut self, results: &Results, bits: u8) -> Result<Shards, FetchError> {
        let shards: Vec<u32> = (0..1u32 << bits).collect();
        let found = self.in_parallel(&shards, |worker, shard| {
            check_shard(worker, results, bits, *shard)
        })?;
        let records = found.iter().flatten().map(|(records, _)| records).sum();
        let digest = found
            .iter()
            .map(|shard| shard.map(|(_, hash)| hash))
            .collect::<Option<Vec<_>>>()
            .map(shards_digest);
        self.summary.lookup_shards = Some(shards.len());
        self.summary.lookup_records = records;
        let voters = usize::try_from(records).unwrap_or(usize::MAX);
        if self.manifest.profile.shard_bits(voters) != bits {
            self.add(
                "lookup/",
                None,
                ProblemKind::Altered,
                format!(
                    "{records} records cut into {} shards, but the export cuts {records} into {}",
                    1u64 << bits,
                    1u64 << self.manifest.profile.shard_bits(voters)
                ),
            );
        }
        Ok(Shards {
            bits,
            records,
            digest,
        })
    }

    /// The shards against what the log commits to for them: the same records, the same shard
    /// count, and [`shards_digest`] of the same bytes. Not called yet: the log has no such entry.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "awaits the log's registry entry")
    )]
    pub(super) fn lookup_commitment(&mut self, found: &Shards, committed: &LookupCommitment) {
        let mut differ = Vec::new();
        if found.records != committed.records {
            differ.push(format!(
                "{} records, the log commits to {}",
                found.records, committed.records
            ));
        }
        if found.bits != committed.shard_bits {
            differ.push(format!(
                "shards named by {} bits, the log commits to {}",
                found.bits, committed.shard_bits
            ));
        }
        match found.digest {
            Some(digest) if digest == committed.digest => {}
            Some(digest) => differ.push(format!(
                "the shards' digest is {digest}, the log commits to {}",
                committed.digest
            )),
            None => differ.push("a shard is missing, so the shards cannot be the log's".to_owned()),
        }
        if !differ.is_empty() {
            self.add("lookup/", None, ProblemKind::Altered, differ.join("; "));
        }
    }
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

/// One shard: `(records, SHA-256)`, `None` when missing. Names the first thing wrong in it.
fn check_shard(
    worker: &mut Worker<'_>,
    results: &Results,
    bits: u8,
    shard: u32,
) -> Result<Option<(u64, [u8; 32])>, FetchError> {
    let path = shard_path(bits, shard);
    let Some(bytes) = worker.get(&path)? else {
        worker.add(
            path,
            ProblemKind::Missing,
            "missing (every shard is written, empty ones too)",
        );
        return Ok(None);
    };
    let hash: [u8; 32] = Hasher::digest(&bytes).into();
    let records = u64::try_from(bytes.len() / LOOKUP_RECORD).unwrap_or(u64::MAX);
    if bytes.len() % LOOKUP_RECORD != 0 {
        let message = format!(
            "{} bytes, not a whole number of {LOOKUP_RECORD}-byte records",
            bytes.len()
        );
        worker.add(path, ProblemKind::Altered, message);
        return Ok(Some((records, hash)));
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
    Ok(Some((records, hash)))
}

/// The table a lookup record names: the centre code (6 bytes) and the table number (2 bytes)
/// after the hash prefix, big-endian.
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
