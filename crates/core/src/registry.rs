//! The voter registry: voter id -> table, for tens or hundreds of millions of voters, with no
//! names. Stored as two parallel sorted arrays, so a country of 21.4 million voters whose ids fit
//! in 32 bits takes 8 bytes per voter, and a lookup is a binary search.

use crate::CoreError;
use crate::id::{TableKey, VoterId};

/// The sorted voter ids: 32-bit when every id fits, else 64-bit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoterIds {
    /// Every id below 2^32.
    Narrow(Vec<u32>),
    /// Some id needs 64 bits.
    Wide(Vec<u64>),
}

impl VoterIds {
    fn len(&self) -> usize {
        match self {
            Self::Narrow(ids) => ids.len(),
            Self::Wide(ids) => ids.len(),
        }
    }

    fn position(&self, voter: VoterId) -> Option<usize> {
        match self {
            Self::Narrow(ids) => {
                let id = u32::try_from(voter.get()).ok()?;
                ids.binary_search(&id).ok()
            }
            Self::Wide(ids) => ids.binary_search(&voter.get()).ok(),
        }
    }

    fn get(&self, index: usize) -> Option<VoterId> {
        match self {
            Self::Narrow(ids) => ids.get(index).map(|&id| VoterId::new(u64::from(id))),
            Self::Wide(ids) => ids.get(index).map(|&id| VoterId::new(id)),
        }
    }
}

/// An immutable registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registry {
    ids: VoterIds,
    tables: Vec<u32>,
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            ids: VoterIds::Narrow(Vec::new()),
            tables: Vec::new(),
        }
    }

    /// A registry from arrays already sorted by id (as a store saved them). Checks that the ids
    /// strictly increase and that both arrays have the same length.
    pub fn from_sorted_parts(ids: VoterIds, tables: Vec<u32>) -> Result<Self, CoreError> {
        let increasing = match &ids {
            VoterIds::Narrow(ids) => ids.windows(2).all(|w| w[0] < w[1]),
            VoterIds::Wide(ids) => ids.windows(2).all(|w| w[0] < w[1]),
        };
        if !increasing || ids.len() != tables.len() {
            return Err(CoreError::CorruptRegistry);
        }
        Ok(Self { ids, tables })
    }

    /// The table of a voter.
    #[must_use]
    pub fn lookup(&self, voter: VoterId) -> Option<TableKey> {
        let index = self.ids.position(voter)?;
        self.tables.get(index).copied().map(TableKey::new)
    }

    /// How many voters.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether it has no voters.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The sorted ids.
    #[must_use]
    pub fn ids(&self) -> &VoterIds {
        &self.ids
    }

    /// The table keys, parallel to [`Self::ids`].
    #[must_use]
    pub fn table_keys(&self) -> &[u32] {
        &self.tables
    }

    /// The voter at a position in id order.
    #[must_use]
    pub fn voter_at(&self, index: usize) -> Option<(VoterId, TableKey)> {
        Some((
            self.ids.get(index)?,
            TableKey::new(*self.tables.get(index)?),
        ))
    }

    /// Bytes of memory held by the arrays.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let ids = match &self.ids {
            VoterIds::Narrow(ids) => ids.capacity() * 4,
            VoterIds::Wide(ids) => ids.capacity() * 8,
        };
        ids + self.tables.capacity() * 4
    }
}

/// Collects (voter, table) pairs in any order and builds a [`Registry`].
///
/// While every id fits in 32 bits, a pair is packed into one `u64` (id high, table low), so
/// that sorting 21 million pairs moves 8 bytes each and needs no comparator.
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
            Ok(id) if self.wide.is_empty() => {
                self.packed
                    .push((u64::from(id) << 32) | u64::from(table.get()));
            }
            _ => {
                if self.wide.is_empty() {
                    self.wide.reserve(self.packed.len() + 1);
                    self.wide.extend(self.packed.drain(..).map(unpack));
                    self.packed.shrink_to_fit();
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

    /// Sorts and builds. A voter id that appears twice is an error naming it.
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
            let mut ids = Vec::with_capacity(packed.len());
            let mut tables = Vec::with_capacity(packed.len());
            for value in packed {
                let (id, table) = unpack(value);
                ids.push(u32::try_from(id).unwrap_or(u32::MAX));
                tables.push(table);
            }
            Ok(Registry {
                ids: VoterIds::Narrow(ids),
                tables,
            })
        } else {
            wide.sort_unstable();
            if let Some(pair) = wide.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(CoreError::DuplicateVoter {
                    voter: VoterId::new(pair[0].0),
                });
            }
            let (ids, tables) = wide.into_iter().unzip();
            Ok(Registry {
                ids: VoterIds::Wide(ids),
                tables,
            })
        }
    }
}

fn unpack(value: u64) -> (u64, u32) {
    (
        value >> 32,
        u32::try_from(value & u64::from(u32::MAX)).unwrap_or(u32::MAX),
    )
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
        assert!(matches!(narrow.ids(), VoterIds::Narrow(_)));
        assert_eq!(narrow.lookup(VoterId::new(20)), Some(TableKey::new(2)));
        assert_eq!(narrow.lookup(VoterId::new(21)), None);
        assert_eq!(narrow.lookup(VoterId::new(1 << 40)), None);
        let wide = build(&[(30, 3), (1 << 40, 7), (10, 1)])?;
        assert!(matches!(wide.ids(), VoterIds::Wide(_)));
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
        assert!(Registry::from_sorted_parts(VoterIds::Narrow(vec![2, 1]), vec![0, 0]).is_err());
        assert!(Registry::from_sorted_parts(VoterIds::Narrow(vec![1, 2]), vec![0]).is_err());
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
