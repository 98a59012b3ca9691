//! The voter registry: voter id -> table, for tens or hundreds of millions of voters, with no
//! names. While every id fits in 32 bits (Venezuela's do), a voter is one `u64`, the id in the
//! high half and the table key in the low half, in one sorted array: 8 bytes per voter, built by
//! sorting in place and looked up by a binary search that touches one array. Wider ids (16-digit
//! national numbers) take two parallel arrays, 12 bytes per voter.

use crate::CoreError;
use crate::id::{TableKey, VoterId};

/// The sorted entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoterIds {
    /// Every id below 2^32: `id << 32 | table key`, ascending.
    Packed(Vec<u64>),
    /// Some id needs 64 bits: ids ascending, and the table keys in the same order.
    Wide(Vec<u64>, Vec<u32>),
}

/// An immutable registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registry {
    entries: VoterIds,
    index: BucketIndex,
}

/// Where each id bucket starts: the ids' range is cut into at most 65,536 equal buckets whose
/// start positions (256 KiB) stay in the CPU's cache, so a lookup binary-searches the few hundred
/// ids of one bucket instead of all of them, whose first twenty steps would each miss the cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct BucketIndex {
    /// The smallest id.
    min: u64,
    /// log2 of how many ids a bucket spans.
    shift: u32,
    /// `starts[b]` is the position of the first entry of bucket `b`; one more at the end.
    starts: Vec<u32>,
}

impl BucketIndex {
    const BUCKET_BITS: u32 = 16;

    fn new(len: usize, id_at: impl Fn(usize) -> u64) -> Self {
        if len == 0 || u32::try_from(len).is_err() {
            return Self::default();
        }
        let min = id_at(0);
        let span = id_at(len - 1) - min + 1;
        // The smallest shift that maps the span into at most 2^16 buckets.
        let shift = (64 - span.leading_zeros()).saturating_sub(Self::BUCKET_BITS);
        let buckets = usize::try_from((span - 1) >> shift).unwrap_or(0) + 1;
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut position = 0usize;
        for bucket in 0..buckets {
            let first = min + (u64::try_from(bucket).unwrap_or(u64::MAX) << shift);
            while position < len && id_at(position) < first {
                position += 1;
            }
            starts.push(u32::try_from(position).unwrap_or(u32::MAX));
        }
        starts.push(u32::try_from(len).unwrap_or(u32::MAX));
        Self { min, shift, starts }
    }

    /// The range of positions where `id` may be.
    fn range(&self, id: u64, len: usize) -> Option<std::ops::Range<usize>> {
        if self.starts.is_empty() {
            return Some(0..len);
        }
        let bucket = usize::try_from(id.checked_sub(self.min)? >> self.shift).ok()?;
        let start = usize::try_from(*self.starts.get(bucket)?).ok()?;
        let end = usize::try_from(*self.starts.get(bucket + 1)?).ok()?;
        Some(start..end)
    }
}

impl Registry {
    fn new(entries: VoterIds) -> Self {
        let index = match &entries {
            VoterIds::Packed(packed) => BucketIndex::new(packed.len(), |i| packed[i] >> 32),
            VoterIds::Wide(ids, _) => BucketIndex::new(ids.len(), |i| ids[i]),
        };
        Self { entries, index }
    }
}

fn pack(id: u32, table: u32) -> u64 {
    (u64::from(id) << 32) | u64::from(table)
}

fn unpack(value: u64) -> (u64, u32) {
    (
        value >> 32,
        u32::try_from(value & u64::from(u32::MAX)).unwrap_or(u32::MAX),
    )
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn empty() -> Self {
        Self::new(VoterIds::Packed(Vec::new()))
    }

    /// A registry from entries already sorted by id (as a store saved them). Checks that the ids
    /// strictly increase and, for wide entries, that both arrays have the same length.
    pub fn from_sorted(entries: VoterIds) -> Result<Self, CoreError> {
        let valid = match &entries {
            VoterIds::Packed(packed) => packed.windows(2).all(|w| w[0] >> 32 < w[1] >> 32),
            VoterIds::Wide(ids, tables) => {
                ids.len() == tables.len() && ids.windows(2).all(|w| w[0] < w[1])
            }
        };
        if !valid {
            return Err(CoreError::CorruptRegistry);
        }
        Ok(Self::new(entries))
    }

    /// The table of a voter.
    #[must_use]
    pub fn lookup(&self, voter: VoterId) -> Option<TableKey> {
        match &self.entries {
            VoterIds::Packed(packed) => {
                let id = u64::from(u32::try_from(voter.get()).ok()?);
                let range = self.index.range(id, packed.len())?;
                let offset = packed
                    .get(range.clone())?
                    .binary_search_by_key(&id, |&v| v >> 32)
                    .ok()?;
                packed
                    .get(range.start + offset)
                    .map(|&v| TableKey::new(unpack(v).1))
            }
            VoterIds::Wide(ids, tables) => {
                let range = self.index.range(voter.get(), ids.len())?;
                let offset = ids.get(range.clone())?.binary_search(&voter.get()).ok()?;
                tables.get(range.start + offset).map(|&t| TableKey::new(t))
            }
        }
    }

    /// How many voters.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.entries {
            VoterIds::Packed(packed) => packed.len(),
            VoterIds::Wide(ids, _) => ids.len(),
        }
    }

    /// Whether it has no voters.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, for a store to save.
    #[must_use]
    pub fn entries(&self) -> &VoterIds {
        &self.entries
    }

    /// The voter at a position in id order.
    #[must_use]
    pub fn voter_at(&self, index: usize) -> Option<(VoterId, TableKey)> {
        match &self.entries {
            VoterIds::Packed(packed) => packed.get(index).map(|&v| {
                let (id, table) = unpack(v);
                (VoterId::new(id), TableKey::new(table))
            }),
            VoterIds::Wide(ids, tables) => Some((
                VoterId::new(*ids.get(index)?),
                TableKey::new(*tables.get(index)?),
            )),
        }
    }

    /// Bytes of memory held by the arrays.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let entries = match &self.entries {
            VoterIds::Packed(packed) => packed.capacity() * 8,
            VoterIds::Wide(ids, tables) => ids.capacity() * 8 + tables.capacity() * 4,
        };
        entries + self.index.starts.capacity() * 4
    }
}

/// Collects (voter, table) pairs in any order and builds a [`Registry`].
#[derive(Debug, Default)]
pub struct RegistryBuilder {
    packed: Vec<u64>,
    wide: Vec<(u64, u32)>,
}

impl RegistryBuilder {
    /// A builder with room for `voters`.
    #[must_use]
    pub fn with_capacity(voters: usize) -> Self {
        Self {
            packed: Vec::with_capacity(voters),
            wide: Vec::new(),
        }
    }

    /// Adds one voter.
    pub fn push(&mut self, voter: VoterId, table: TableKey) {
        match u32::try_from(voter.get()) {
            Ok(id) if self.wide.is_empty() => self.packed.push(pack(id, table.get())),
            _ => {
                if self.wide.is_empty() {
                    self.wide.reserve(self.packed.len() + 1);
                    self.wide.extend(self.packed.drain(..).map(unpack));
                    self.packed = Vec::new();
                }
                self.wide.push((voter.get(), table.get()));
            }
        }
    }

    /// How many voters were added.
    #[must_use]
    pub fn len(&self) -> usize {
        self.packed.len() + self.wide.len()
    }

    /// Whether nothing was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sorts and builds, in place. A voter id that appears twice is an error naming it.
    pub fn build(self) -> Result<Registry, CoreError> {
        let Self {
            mut packed,
            mut wide,
        } = self;
        if wide.is_empty() {
            packed.sort_unstable();
            if let Some(pair) = packed.windows(2).find(|w| w[0] >> 32 == w[1] >> 32) {
                return Err(CoreError::DuplicateVoter {
                    voter: VoterId::new(pair[0] >> 32),
                });
            }
            packed.shrink_to_fit();
            Ok(Registry::new(VoterIds::Packed(packed)))
        } else {
            wide.sort_unstable();
            if let Some(pair) = wide.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(CoreError::DuplicateVoter {
                    voter: VoterId::new(pair[0].0),
                });
            }
            let (ids, tables) = wide.into_iter().unzip();
            Ok(Registry::new(VoterIds::Wide(ids, tables)))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn build(pairs: &[(u64, u32)]) -> Result<Registry, CoreError> {
        let mut builder = RegistryBuilder::default();
        for &(voter, table) in pairs {
            builder.push(VoterId::new(voter), TableKey::new(table));
        }
        builder.build()
    }

    #[test]
    fn narrow_and_wide_ids_find_their_tables() -> Result<(), CoreError> {
        let narrow = build(&[(30, 3), (10, 1), (20, 2)])?;
        assert!(matches!(narrow.entries(), VoterIds::Packed(_)));
        assert_eq!(narrow.lookup(VoterId::new(20)), Some(TableKey::new(2)));
        assert_eq!(narrow.lookup(VoterId::new(21)), None);
        assert_eq!(narrow.lookup(VoterId::new(1 << 40)), None);
        let wide = build(&[(30, 3), (1 << 40, 7), (10, 1)])?;
        assert!(matches!(wide.entries(), VoterIds::Wide(..)));
        assert_eq!(wide.lookup(VoterId::new(1 << 40)), Some(TableKey::new(7)));
        assert_eq!(wide.lookup(VoterId::new(10)), Some(TableKey::new(1)));
        Ok(())
    }

    #[test]
    fn a_voter_twice_is_an_error() {
        assert!(matches!(
            build(&[(5, 1), (6, 1), (5, 2)]),
            Err(CoreError::DuplicateVoter { voter }) if voter == VoterId::new(5)
        ));
        assert!(build(&[(5, 1), (1 << 40, 1), (5, 2)]).is_err());
    }

    #[test]
    fn corrupt_parts_are_refused() {
        assert!(Registry::from_sorted(VoterIds::Packed(vec![2 << 32, 1 << 32])).is_err());
        assert!(
            Registry::from_sorted(VoterIds::Packed(vec![(2 << 32) | 1, (2 << 32) | 2])).is_err()
        );
        assert!(Registry::from_sorted(VoterIds::Wide(vec![1, 2], vec![0])).is_err());
        assert!(Registry::from_sorted(VoterIds::Wide(vec![1, 2], vec![0, 0])).is_ok());
    }

    #[test]
    fn the_bucket_index_finds_exactly_the_registered_ids() -> Result<(), CoreError> {
        for ids in [
            vec![5u64],
            vec![1, 2, 3, 1000, 70_000, 70_001, 4_000_000_000],
            (0..50_000).map(|i| 10_000_000 + i * 7).collect(),
            (0..1000).map(|i| i * i * 97 + 3).collect(),
            vec![1 << 40, 3, (1 << 40) + 9],
        ] {
            let pairs: Vec<(u64, u32)> = ids
                .iter()
                .enumerate()
                .map(|(n, id)| (*id, u32::try_from(n).unwrap_or(0)))
                .collect();
            let registry = build(&pairs)?;
            let truth: std::collections::HashMap<u64, u32> = pairs.iter().copied().collect();
            let max = ids.iter().copied().max().unwrap_or(0);
            let probes = ids
                .iter()
                .flat_map(|&id| [id.saturating_sub(1), id, id + 1])
                .chain([0, max + 1, u64::from(u32::MAX) + 5, u64::MAX]);
            for probe in probes {
                assert_eq!(
                    registry.lookup(VoterId::new(probe)),
                    truth.get(&probe).map(|&t| TableKey::new(t)),
                    "{probe}"
                );
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn every_voter_is_found(ids in prop::collection::btree_set(1u64..u64::MAX >> 8, 0..300)) {
            let pairs: Vec<(u64, u32)> = ids.iter().map(|&id| (id, u32::try_from(id % 1000).unwrap_or(0))).collect();
            let registry = build(&pairs).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(registry.len(), pairs.len());
            for (voter, table) in pairs {
                prop_assert_eq!(registry.lookup(VoterId::new(voter)), Some(TableKey::new(table)));
            }
        }
    }
}
