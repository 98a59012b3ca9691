//! The actas' result beside an official bulletin.

use crate::election::{Bulletin, Election};
use crate::tally::{Totals, percent};

/// One row of the comparison: a candidate the bulletin named, or the others together.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonRow {
    /// The candidate (index into the election's candidates), or `None` for the others.
    pub candidate: Option<usize>,
    /// Votes in the actas.
    pub actas_votes: u64,
    /// Share of the actas' valid votes, in percent.
    pub actas_percent: f64,
    /// Votes in the bulletin.
    pub official_votes: u64,
    /// Share of the bulletin's valid votes, in percent.
    pub official_percent: f64,
    /// `actas_percent - official_percent`, in percentage points.
    pub difference_points: f64,
}

/// The comparison with one bulletin.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison<'a> {
    /// The bulletin.
    pub bulletin: &'a Bulletin,
    /// Its rows: the named candidates in the election's order, then the others if any.
    pub rows: Vec<ComparisonRow>,
}

/// Compares totals with a bulletin. Shares are taken of each side's own valid votes; the
/// candidates the bulletin did not name are compared as one group with its "others".
#[must_use]
pub fn compare<'a>(election: &Election, totals: &Totals, bulletin: &'a Bulletin) -> Comparison<'a> {
    let actas_valid = totals.valid_votes();
    let official_valid = bulletin.valid_votes_or_sum();
    let row = |candidate, actas_votes, official_votes| {
        let actas_percent = percent(actas_votes, actas_valid);
        let official_percent = percent(official_votes, official_valid);
        ComparisonRow {
            candidate,
            actas_votes,
            actas_percent,
            official_votes,
            official_percent,
            difference_points: actas_percent - official_percent,
        }
    };
    let votes_of = |index: usize| totals.candidate_votes.get(index).copied().unwrap_or(0);
    let mut rows: Vec<ComparisonRow> = (0..election.candidates.len())
        .filter_map(|index| {
            let official = bulletin.votes.get(&index)?;
            Some(row(Some(index), votes_of(index), *official))
        })
        .collect();
    if bulletin.votes.len() < election.candidates.len() {
        let actas_others: u64 = (0..election.candidates.len())
            .filter(|index| !bulletin.votes.contains_key(index))
            .map(votes_of)
            .sum();
        let official_others = bulletin
            .other_votes
            .unwrap_or_else(|| official_valid.saturating_sub(bulletin.votes.values().sum::<u64>()));
        rows.push(row(None, actas_others, official_others));
    }
    Comparison { bulletin, rows }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use jiff::civil::Date;

    use super::*;
    use crate::election::tests::small_election;

    #[test]
    fn shares_and_differences_in_points() {
        let election = small_election();
        let totals = Totals {
            candidate_votes: vec![60, 30, 10],
            ..Totals::default()
        };
        let bulletin = Bulletin {
            id: "b".to_owned(),
            title: String::new(),
            date: Date::constant(2024, 7, 29),
            stated_coverage_percent: Some(80.0),
            votes: [(0, 40), (1, 50)].into(),
            other_votes: Some(10),
            valid_votes: None,
            null_votes: None,
            turnout_percent: None,
            areas: BTreeMap::new(),
        };
        let comparison = compare(&election, &totals, &bulletin);
        let points: Vec<(Option<usize>, String)> = comparison
            .rows
            .iter()
            .map(|r| (r.candidate, format!("{:.2}", r.difference_points)))
            .collect();
        let expected = [(Some(0), "20.00"), (Some(1), "-20.00"), (None, "0.00")];
        assert_eq!(points, expected.map(|(c, p)| (c, p.to_owned())));
    }
}
