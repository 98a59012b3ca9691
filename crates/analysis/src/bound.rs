//! Can the missing actas change the winner?
//!
//! The bound that needs no model: a table without a counted acta can add at most its registered
//! voters to any candidate. If the leader's margin over the runner-up in the counted actas is
//! larger than the registered voters of all the tables without one, no outcome of those tables
//! can reverse it (nor make any other candidate overtake the leader, whose margin over them is
//! larger still). The same at the highest turnout observed among the area's counted tables
//! (the missing tables' votes, if none turned out more), and the tipping point: the share of
//! the missing tables' valid votes the runner-up would need, at the area's turnout, if the rest
//! went to the leader.

use std::ops::Range;

use veedor_core::{AreaCode, Results};

use crate::coverage::Coverage;
use crate::rows::Rows;
use crate::stats::as_f64;

/// What the missing tables can do to the winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The margin exceeds what the missing tables hold: the winner stands.
    CannotChange,
    /// The missing tables hold at least the margin: they could change the winner.
    CouldChange,
    /// The registered voters of the missing tables are unknown, and the known ones hold less
    /// than the margin: it cannot be said.
    Unknown,
}

impl Verdict {
    /// The stable name used in documents.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CannotChange => "cannot_change",
            Self::CouldChange => "could_change",
            Self::Unknown => "unknown",
        }
    }

    /// The verdict for a margin against votes that may still come: exactly `votes` when known,
    /// at least `at_least` otherwise.
    #[must_use]
    pub fn of(margin: u64, votes: Option<u64>, at_least: u64) -> Self {
        match votes {
            Some(votes) if margin > votes => Self::CannotChange,
            Some(_) => Self::CouldChange,
            None if margin <= at_least => Self::CouldChange,
            None => Self::Unknown,
        }
    }
}

/// A turnout as the fraction it is: votes cast (valid and null) over registered voters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Turnout {
    /// Votes cast.
    pub votes: u64,
    /// Registered voters (more than 0).
    pub registered: u64,
}

impl Turnout {
    /// The fraction, at most 1.
    #[must_use]
    pub fn fraction(self) -> f64 {
        (as_f64(self.votes) / as_f64(self.registered)).min(1.0)
    }

    /// `⌈voters × turnout⌉`, the turnout capped at 1, in integers.
    #[must_use]
    pub fn votes_of(self, voters: u64) -> u64 {
        let votes = u128::from(self.votes.min(self.registered));
        let registered = u128::from(self.registered);
        let cast = (u128::from(voters) * votes).div_ceil(registered);
        u64::try_from(cast).unwrap_or(u64::MAX)
    }

    fn is_above(self, other: Self) -> bool {
        u128::from(self.votes.min(self.registered)) * u128::from(other.registered)
            > u128::from(other.votes.min(other.registered)) * u128::from(self.registered)
    }
}

/// The tipping point at the area's turnout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tipping {
    /// Valid votes the missing tables would cast at the area's turnout of valid votes among its
    /// counted tables.
    pub missing_votes: u64,
    /// The share of them (0 to 1, or more when impossible) the runner-up would need to overturn
    /// the margin, the leader taking the rest: `(V + margin) / 2V`.
    pub share_needed: f64,
}

/// The bound for one area.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    /// The candidate with the most votes in the counted actas (`None` before any vote).
    pub leader: Option<usize>,
    /// The candidate second in votes.
    pub runner_up: Option<usize>,
    /// The leader's votes minus the runner-up's.
    pub margin: u64,
    /// Registered voters of the tables without a counted acta, when the expected ones are known.
    pub registered_without_acta: Option<u64>,
    /// Registered voters of the known tables without a counted acta (a floor).
    pub registered_without_acta_at_least: u64,
    /// The bound's verdict.
    pub verdict: Verdict,
    /// The highest turnout among the area's counted tables with registered voters.
    pub highest_turnout: Option<Turnout>,
    /// The votes the missing tables would cast at that turnout.
    pub votes_at_highest_turnout: Option<u64>,
    /// The verdict at that turnout.
    pub verdict_at_highest_turnout: Verdict,
    /// The area's turnout of valid votes in its counted tables (`None` without registered
    /// voters).
    pub valid_turnout: Option<Turnout>,
    /// The tipping point, when the missing tables' votes are known and more than 0.
    pub tipping: Option<Tipping>,
}

impl Bound {
    /// The bound of one area of `results`, whose counted tables are `range` of `rows`.
    pub(crate) fn of(
        results: &Results,
        rows: &Rows,
        range: Range<usize>,
        area: AreaCode,
        coverage: &Coverage,
    ) -> Self {
        let votes = results
            .tally
            .get(area)
            .map(|totals| totals.candidate_votes.clone())
            .unwrap_or_default();
        let mut highest: Option<Turnout> = None;
        let mut valid = 0u64;
        let mut registered = 0u64;
        for row in range {
            let table_registered = u64::from(rows.registered[row]);
            if table_registered == 0 {
                continue;
            }
            let row_valid = rows.valid(row);
            valid += row_valid;
            registered += table_registered;
            let turnout = Turnout {
                votes: row_valid + rows.null[row],
                registered: table_registered,
            };
            if highest.is_none_or(|h| turnout.is_above(h)) {
                highest = Some(turnout);
            }
        }
        let valid_turnout = (registered > 0).then_some(Turnout {
            votes: valid,
            registered,
        });
        Self::compute(&votes, coverage, highest, valid_turnout)
    }

    /// The bound from the area's counted votes per candidate, its coverage, the highest turnout
    /// of its counted tables and its turnout of valid votes.
    #[must_use]
    pub fn compute(
        candidate_votes: &[u64],
        coverage: &Coverage,
        highest_turnout: Option<Turnout>,
        valid_turnout: Option<Turnout>,
    ) -> Self {
        let (leader, runner_up, margin) = leaders(candidate_votes);
        let without = coverage.registered_without_acta();
        let at_least = coverage.registered_without_acta_at_least();
        let votes_at_highest = highest_turnout.and_then(|t| without.map(|w| t.votes_of(w)));
        let at_least_at_highest = highest_turnout.map_or(0, |t| t.votes_of(at_least));
        let tipping = without
            .zip(valid_turnout)
            .map(|(voters, turnout)| turnout.votes_of(voters))
            .filter(|&missing_votes| missing_votes > 0)
            .map(|missing_votes| Tipping {
                missing_votes,
                share_needed: (as_f64(missing_votes) + as_f64(margin))
                    / (2.0 * as_f64(missing_votes)),
            });
        Self {
            leader,
            runner_up,
            margin,
            registered_without_acta: without,
            registered_without_acta_at_least: at_least,
            verdict: Verdict::of(margin, without, at_least),
            highest_turnout,
            votes_at_highest_turnout: votes_at_highest,
            verdict_at_highest_turnout: match highest_turnout {
                Some(_) => Verdict::of(margin, votes_at_highest, at_least_at_highest),
                None => Verdict::of(margin, without, at_least),
            },
            valid_turnout,
            tipping,
        }
    }
}

/// The leader, the runner-up and the margin between them (ties go to the earlier candidate on
/// the ballot; the margin is then 0).
#[must_use]
pub fn leaders(candidate_votes: &[u64]) -> (Option<usize>, Option<usize>, u64) {
    let mut order: Vec<usize> = (0..candidate_votes.len()).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(candidate_votes[c]), c));
    let leader = order.first().copied().filter(|&c| candidate_votes[c] > 0);
    let runner_up = leader.and_then(|_| order.get(1).copied());
    let first = leader.map_or(0, |c| candidate_votes[c]);
    let second = runner_up.map_or(0, |c| candidate_votes[c]);
    (leader, runner_up, first - second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::{Expected, Source};

    fn coverage(expected: Option<u64>, known: u64, counted: u64) -> Coverage {
        Coverage {
            tables_expected: Expected::Unknown,
            tables_known: 0,
            tables_counted: 0,
            registered_expected: expected.map_or(Expected::Unknown, |value| Expected::Known {
                value,
                source: Source::Declared,
            }),
            registered_known: known,
            registered_counted: counted,
        }
    }

    /// The real 2024 figures, by hand: González 7,156,462, Maduro 3,241,461 (margin 3,915,001);
    /// 21,392,464 registered declared, 17,745,239 in the counted tables: 3,647,225 without an
    /// acta, fewer than the margin. At the valid turnout of 10,659,128 / 17,745,239 the missing
    /// tables would cast ⌈3,647,225 × 10,659,128 / 17,745,239⌉ = ⌈2,190,798.2⌉ = 2,190,799 valid
    /// votes; the runner-up would need (2,190,799 + 3,915,001) / (2 × 2,190,799) = 139.35% of
    /// them.
    #[test]
    fn the_real_national_bound_by_hand() {
        let votes = [
            3_241_461, 84_446, 19_966, 21_583, 49_603, 12_321, 10_308, 7_156_462, 25_570, 37_408,
        ];
        let bound = Bound::compute(
            &votes,
            &coverage(Some(21_392_464), 17_745_239, 17_745_239),
            Some(Turnout {
                votes: 500,
                registered: 500,
            }),
            Some(Turnout {
                votes: 10_659_128,
                registered: 17_745_239,
            }),
        );
        assert_eq!((bound.leader, bound.runner_up), (Some(7), Some(0)));
        assert_eq!(bound.margin, 3_915_001);
        assert_eq!(bound.registered_without_acta, Some(3_647_225));
        assert_eq!(bound.verdict, Verdict::CannotChange);
        assert_eq!(bound.votes_at_highest_turnout, Some(3_647_225));
        assert_eq!(bound.verdict_at_highest_turnout, Verdict::CannotChange);
        let tipping = bound.tipping.expect("a tipping point");
        assert_eq!(tipping.missing_votes, 2_190_799);
        assert_eq!(format!("{:.4}", tipping.share_needed), "1.3935");
    }

    #[test]
    fn verdicts_by_hand() {
        let votes = [600, 400, 50];
        let check = |expected, known, counted, verdict| {
            let bound = Bound::compute(&votes, &coverage(expected, known, counted), None, None);
            assert_eq!(bound.margin, 200);
            assert_eq!(bound.verdict, verdict, "{expected:?} {known} {counted}");
        };
        check(Some(1199), 1000, 1000, Verdict::CannotChange);
        check(Some(1200), 1000, 1000, Verdict::CouldChange);
        check(None, 1000, 1000, Verdict::Unknown);
        // The known tables without an acta already hold the margin.
        check(None, 1300, 1000, Verdict::CouldChange);
        // At the highest turnout of 60%, 300 voters cast 180 votes, less than the margin.
        let bound = Bound::compute(
            &votes,
            &coverage(Some(1300), 1000, 1000),
            Some(Turnout {
                votes: 3,
                registered: 5,
            }),
            Some(Turnout {
                votes: 1,
                registered: 2,
            }),
        );
        assert_eq!(bound.verdict, Verdict::CouldChange);
        assert_eq!(bound.votes_at_highest_turnout, Some(180));
        assert_eq!(bound.verdict_at_highest_turnout, Verdict::CannotChange);
        // At the valid turnout of 50%, 150 votes; the runner-up needs (150 + 200) / 300.
        let tipping = bound.tipping.expect("a tipping point");
        assert_eq!(tipping.missing_votes, 150);
        assert!((tipping.share_needed - 350.0 / 300.0).abs() < 1e-12);
    }

    #[test]
    fn leaders_and_ties() {
        assert_eq!(leaders(&[5, 9, 7]), (Some(1), Some(2), 2));
        assert_eq!(leaders(&[4, 4]), (Some(0), Some(1), 0));
        assert_eq!(leaders(&[0, 0]), (None, None, 0));
        assert_eq!(leaders(&[3]), (Some(0), None, 3));
        let cast = Turnout {
            votes: 2,
            registered: 3,
        };
        assert_eq!(cast.votes_of(10), 7);
        let over = Turnout {
            votes: 9,
            registered: 3,
        };
        assert_eq!(over.votes_of(10), 10, "a turnout above 100% counts as 100%");
        assert!(over.is_above(cast));
    }
}
