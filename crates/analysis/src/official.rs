//! Official figures the actas make impossible.
//!
//! The counted actas are a part of the tables, so their sum for a candidate is a floor for any
//! complete count: an official figure below it is impossible. A bulletin that claims to count
//! only part of the tables (its stated coverage `c`) may have left out up to
//! `k = ⌈N (100 − c) / 100⌉` of the area's `N` expected tables; at worst those were the counted
//! tables where the candidate did best. So the floor is the candidate's sum over the counted
//! actas minus the `k` largest of their counts, and an official figure below that floor is
//! impossible, whatever tables the bulletin counted. A bulletin that states no coverage is taken
//! as complete (and said to be).

use std::ops::Range;

use veedor_core::{AreaCode, Results};

use crate::coverage::Coverage;
use crate::rows::Rows;
use crate::stats::ceil_count;

/// Which official figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// A candidate's votes (index into the election's candidates).
    Candidate(usize),
    /// The candidates the bulletin did not name, together.
    Others,
    /// Valid votes.
    Valid,
    /// Null votes.
    Null,
}

/// One official figure against the counted actas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FigureCheck {
    /// Which figure.
    pub figure: Figure,
    /// The official figure.
    pub official: u64,
    /// Whether the bulletin gave it only implicitly (the others, as its valid votes minus the
    /// candidates it named).
    pub official_derived: bool,
    /// The sum over the counted actas.
    pub actas: u64,
    /// The floor: the sum minus the most the tables the bulletin may have left out could hold
    /// (`None` when that number of tables is unknown).
    pub floor: Option<u64>,
    /// Whether the official figure is below the floor: impossible.
    pub impossible: bool,
}

/// One bulletin's figures for one area against the counted actas.
#[derive(Clone, Debug, PartialEq)]
pub struct OfficialCheck {
    /// Index into the election's bulletins.
    pub bulletin: usize,
    /// The coverage it claimed for the area, in percent (100 when it stated none).
    pub coverage_percent: f64,
    /// Whether it stated one.
    pub coverage_stated: bool,
    /// The most of the area's tables it may have left out (`None` when the area's expected
    /// tables are unknown and it claimed less than 100%).
    pub tables_left_out: Option<u64>,
    /// Its figures.
    pub rows: Vec<FigureCheck>,
}

impl OfficialCheck {
    /// Whether any figure is impossible.
    #[must_use]
    pub fn any_impossible(&self) -> bool {
        self.rows.iter().any(|row| row.impossible)
    }
}

/// The checks of every bulletin that gives figures for `area`, whose counted tables are `range`
/// of `rows`.
pub(crate) fn checks(
    results: &Results,
    rows: &Rows,
    range: Range<usize>,
    area: AreaCode,
    coverage: &Coverage,
) -> Vec<OfficialCheck> {
    let election = results.election();
    let candidates = election.candidates.len();
    let mut out = Vec::new();
    for (index, bulletin) in election.bulletins.iter().enumerate() {
        let Some(figures) = bulletin.figures(area) else {
            continue;
        };
        let coverage_percent = figures
            .stated_coverage_percent
            .map_or(100.0, |c| c.clamp(0.0, 100.0));
        let tables_left_out = if coverage_percent >= 100.0 {
            Some(0)
        } else {
            coverage.tables_expected.value().map(|expected| {
                ceil_count(crate::stats::as_f64(expected) * (100.0 - coverage_percent) / 100.0)
            })
        };
        let named = |c: usize| figures.votes.contains_key(&c);
        let mut wanted: Vec<(Figure, u64, bool)> = figures
            .votes
            .iter()
            .map(|(&c, &votes)| (Figure::Candidate(c), votes, false))
            .collect();
        if figures.votes.len() < candidates {
            let derived = figures
                .valid_votes
                .map(|valid| valid.saturating_sub(figures.votes.values().sum()));
            match (figures.other_votes, derived) {
                (Some(others), _) => wanted.push((Figure::Others, others, false)),
                (None, Some(others)) => wanted.push((Figure::Others, others, true)),
                (None, None) => {}
            }
        }
        wanted.extend(figures.valid_votes.map(|v| (Figure::Valid, v, false)));
        wanted.extend(figures.null_votes.map(|v| (Figure::Null, v, false)));
        let checked = wanted
            .into_iter()
            .map(|(figure, official, official_derived)| {
                let values: Vec<u64> = range
                    .clone()
                    .map(|row| match figure {
                        Figure::Candidate(c) => rows.votes(row).get(c).map_or(0, |&v| u64::from(v)),
                        Figure::Others => (0..candidates)
                            .filter(|&c| !named(c))
                            .map(|c| u64::from(rows.votes(row)[c]))
                            .sum(),
                        Figure::Valid => rows.valid(row),
                        Figure::Null => rows.null[row],
                    })
                    .collect();
                let actas = values.iter().sum();
                let floor = tables_left_out.map(|k| floor(values, k));
                FigureCheck {
                    figure,
                    official,
                    official_derived,
                    actas,
                    floor,
                    impossible: floor.is_some_and(|floor| official < floor),
                }
            })
            .collect();
        out.push(OfficialCheck {
            bulletin: index,
            coverage_percent,
            coverage_stated: figures.stated_coverage_percent.is_some(),
            tables_left_out,
            rows: checked,
        });
    }
    out
}

/// The sum of `values` without their `left_out` largest.
#[must_use]
pub fn floor(mut values: Vec<u64>, left_out: u64) -> u64 {
    let left_out = usize::try_from(left_out).unwrap_or(usize::MAX);
    if left_out >= values.len() {
        return 0;
    }
    if left_out > 0 {
        values.select_nth_unstable_by(left_out - 1, |a, b| b.cmp(a));
    }
    values[left_out..].iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_by_hand() {
        let values = vec![5, 100, 7, 60, 3];
        assert_eq!(floor(values.clone(), 0), 175);
        assert_eq!(floor(values.clone(), 1), 75);
        assert_eq!(floor(values.clone(), 2), 15);
        assert_eq!(floor(values.clone(), 5), 0);
        assert_eq!(floor(values, 9), 0);
        assert_eq!(floor(vec![], 0), 0);
    }
}
