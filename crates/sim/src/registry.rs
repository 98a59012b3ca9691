//! A synthetic voter registry: as many voters per table as it has registered voters, scaled to
//! any total (the official 21,392,464 for Venezuela), with ids that look like identity numbers.
//!
//! Ids are `first_id + (multiplier * i + offset) mod span` for voter `i`: an affine permutation
//! of `0..span`, so every id is distinct and consecutive voters of a table get scattered ids,
//! as in a real registry. Deterministic for a seed, with no state beyond a counter.

use veedor_core::{TableId, VoterId};

/// Ids start here (Venezuelan cédulas of living voters are mostly above a million).
pub const FIRST_ID: u64 = 1_000_000;

/// How a synthetic registry is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistryPlan {
    /// Voters in all.
    pub voters: u64,
    /// Chooses the permutation.
    pub seed: u64,
}

/// Spreads `total` voters over tables in proportion to `weights` (largest remainders), so the
/// counts add up to `total` exactly. All-zero weights spread evenly.
#[must_use]
pub fn apportion(weights: &[u64], total: u64) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let (weights, sum): (Vec<u128>, u128) = if sum == 0 {
        (vec![1; weights.len()], weights.len() as u128)
    } else {
        (weights.iter().map(|&w| u128::from(w)).collect(), sum)
    };
    let total_wide = u128::from(total);
    let mut counts: Vec<u64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = total_wide * weight;
        counts.push(u64::try_from(exact / sum).unwrap_or(u64::MAX));
        remainders.push((exact % sum, index));
    }
    let assigned: u64 = counts.iter().sum();
    remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders
        .iter()
        .take(usize::try_from(total - assigned).unwrap_or(0))
    {
        counts[index] += 1;
    }
    counts
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The id permutation for a plan.
#[derive(Clone, Copy, Debug)]
struct Permutation {
    span: u64,
    multiplier: u64,
    offset: u64,
}

impl Permutation {
    fn new(plan: RegistryPlan) -> Self {
        // Ids fill about 60% of their range, like a real registry with gaps.
        let span = (plan.voters + plan.voters / 2 + plan.voters / 10).max(16);
        let mixed = plan.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        let mut multiplier = (mixed % span).max(span / 3) | 1;
        while gcd(multiplier, span) != 1 {
            multiplier += 2;
        }
        Self {
            span,
            multiplier,
            offset: mixed.rotate_left(17) % span,
        }
    }

    fn id(self, index: u64) -> VoterId {
        let value = (u128::from(self.multiplier) * u128::from(index) + u128::from(self.offset))
            % u128::from(self.span);
        VoterId::new(FIRST_ID + u64::try_from(value).unwrap_or(0))
    }
}

/// The voters of a synthetic registry, table by table: `(voter, table)` pairs, lazily.
/// `tables` gives each table with its registered voters (the weight).
pub fn voters(
    tables: &[(TableId, u64)],
    plan: RegistryPlan,
) -> impl Iterator<Item = (VoterId, TableId)> + '_ {
    let weights: Vec<u64> = tables.iter().map(|(_, weight)| *weight).collect();
    let counts = apportion(&weights, plan.voters);
    let permutation = Permutation::new(plan);
    let mut next = 0u64;
    tables
        .iter()
        .zip(counts)
        .flat_map(move |(&(table, _), count)| {
            let first = next;
            next += count;
            (first..first + count).map(move |index| (permutation.id(index), table))
        })
}

/// The `index`-th voter id of a plan (the first voter of each table is `index` = the sum of the
/// counts before it): lets the demo name a voter of a given table without listing them all.
#[must_use]
pub fn voter_id(plan: RegistryPlan, index: u64) -> VoterId {
    Permutation::new(plan).id(index)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use veedor_core::{CentreCode, TableNumber};

    use super::*;

    #[test]
    fn apportionment_adds_up_and_keeps_proportions() {
        assert_eq!(apportion(&[1, 1, 2], 8), [2, 2, 4]);
        assert_eq!(apportion(&[1, 1, 1], 10).iter().sum::<u64>(), 10);
        assert_eq!(apportion(&[535, 903, 710], 2148), [535, 903, 710]);
        assert_eq!(apportion(&[0, 0], 3).iter().sum::<u64>(), 3);
        assert!(apportion(&[], 5).is_empty());
    }

    #[test]
    fn voters_are_distinct_and_spread_over_tables() {
        let tables: Vec<(TableId, u64)> = (1..=50u16)
            .map(|n| {
                (
                    TableId::new(CentreCode::new(201_301_006), TableNumber::new(n)),
                    u64::from(n) * 10,
                )
            })
            .collect();
        let plan = RegistryPlan {
            voters: 20_000,
            seed: 7,
        };
        let all: Vec<(VoterId, TableId)> = voters(&tables, plan).collect();
        assert_eq!(all.len(), 20_000);
        let ids: HashSet<VoterId> = all.iter().map(|(v, _)| *v).collect();
        assert_eq!(ids.len(), 20_000);
        let on_table_50 = all.iter().filter(|(_, t)| t.number.get() == 50).count();
        let on_table_5 = all.iter().filter(|(_, t)| t.number.get() == 5).count();
        assert!(
            on_table_50 > 9 * on_table_5,
            "{on_table_50} vs {on_table_5}"
        );
        assert_eq!(voter_id(plan, 0), all[0].0);
        let again: Vec<(VoterId, TableId)> = voters(&tables, plan).collect();
        assert_eq!(all, again);
    }
}
