//! A projection of each candidate's share of the whole election from the counted tables, with
//! its error.
//!
//! The estimator is the post-stratified (combined) ratio estimator of quick counts: in each
//! stratum `h` (an area of one level of the geography, the first by default) the counted tables
//! stand for the whole stratum, expanded by `w_h = X_h / x_h`, the stratum's expected registered
//! voters over those of its counted tables; a candidate's share is
//! `p_c = Σ_h w_h y_ch / Σ_h w_h v_h` (votes `y`, valid votes `v` of the counted tables). INE's
//! quick counts expand by tables (`N_h / n_h`) instead; the estimator is the same with the
//! registry as the measure of a stratum's size, which tables that differ in size call for. The
//! assumption, in plain words: the missing tables of each stratum vote like its counted ones
//! (NDI's quick-count handbook, chapter 7, adjusts for missing data exactly so).
//!
//! Strata whose expected voters are unknown (nothing declares them and there is no table list)
//! are taken together as one stratum, expanded to what the nation's declared voters leave for
//! them; when the nation's are unknown too, they are not expanded at all. A stratum expected to
//! have voters but without any counted table cannot be projected: its voters are reported as
//! unobserved.
//!
//! The 95% interval is the percentile interval of a stratified bootstrap: each replicate draws,
//! in every stratum, as many tables as it has counted, with replacement, and computes the
//! estimator again. The sensitivity line asks what if the missing voters of each stratum voted
//! like its tenth of counted tables most favourable to the runner-up.

use veedor_core::{AreaCode, Results};

use crate::bound::leaders;
use crate::coverage::Coverage;
use crate::random::Draws;
use crate::rows::Rows;
use crate::stats::{as_f64, percentile_interval};

/// One stratum as the projection used it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StratumSummary {
    /// The area, or `None` for the areas whose expected voters are unknown, taken together.
    pub area: Option<AreaCode>,
    /// Its counted tables.
    pub tables_counted: u64,
    /// Their registered voters.
    pub registered_counted: u64,
    /// The registered voters it stands for (`None`: unknown, not expanded).
    pub registered_expected: Option<u64>,
}

/// A share with its interval, as fractions (0 to 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The projected share.
    pub share: f64,
    /// The interval's lower end (the share itself without replicates).
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
}

/// What if the missing voters of every stratum voted like its tenth of counted tables most
/// favourable to the runner-up.
#[derive(Clone, Debug, PartialEq)]
pub struct Sensitivity {
    /// The projection's leader.
    pub leader: Option<usize>,
    /// The projection's runner-up, whom the missing tables favour here.
    pub runner_up: Option<usize>,
    /// The shares then, per candidate (fractions).
    pub shares: Vec<f64>,
    /// Whether the leader still leads.
    pub leader_holds: bool,
}

/// The projection.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// The level whose areas are the strata (`None`: the nation is one stratum).
    pub strata_level: Option<usize>,
    /// The strata.
    pub strata: Vec<StratumSummary>,
    /// Each candidate's share of the valid votes of the counted actas (fractions).
    pub plain: Vec<f64>,
    /// Each candidate's projected share with its interval.
    pub estimates: Vec<Estimate>,
    /// Bootstrap replicates drawn.
    pub replicates: u32,
    /// The seed they were drawn with.
    pub seed: u64,
    /// Registered voters expected in strata without any counted table: not projected.
    pub unobserved_registered: u64,
    /// The sensitivity line.
    pub sensitivity: Sensitivity,
}

impl Projection {
    /// The leader of the projection.
    #[must_use]
    pub fn leader(&self) -> Option<usize> {
        self.sensitivity.leader
    }
}

/// A stratum's counted tables and the registered voters it stands for.
#[derive(Clone, Debug)]
struct Stratum {
    area: Option<AreaCode>,
    rows: Vec<usize>,
    expected: Option<u64>,
}

/// The combined ratio estimator: each stratum's votes per candidate times its weight, summed,
/// as shares of the weighted valid votes (all zeros without votes).
#[must_use]
pub fn combined_ratio(strata: &[(f64, Vec<u64>)]) -> Vec<f64> {
    let candidates = strata.first().map_or(0, |(_, votes)| votes.len());
    let mut weighted = vec![0.0; candidates];
    for (weight, votes) in strata {
        for (total, &v) in weighted.iter_mut().zip(votes) {
            *total += weight * as_f64(v);
        }
    }
    let valid: f64 = weighted.iter().sum();
    if valid <= 0.0 {
        return vec![0.0; candidates];
    }
    weighted.iter().map(|w| w / valid).collect()
}

/// The weight `X / x` of a stratum (1 when either is unknown or `x` is 0).
fn weight(expected: Option<u64>, counted_registered: u64) -> f64 {
    match expected {
        Some(expected) if counted_registered > 0 => as_f64(expected) / as_f64(counted_registered),
        _ => 1.0,
    }
}

/// Projects the whole election from `rows`, the counted tables of `results`.
pub(crate) fn project(
    results: &Results,
    rows: &Rows,
    strata_level: Option<usize>,
    seed: u64,
    replicates: u32,
) -> Projection {
    let (strata, unobserved_registered) = strata(results, rows, strata_level);
    let candidates = rows.candidates;
    let sums = |stratum: &Stratum| {
        let mut votes = vec![0u64; candidates];
        let mut registered = 0u64;
        for &row in &stratum.rows {
            for (total, &v) in votes.iter_mut().zip(rows.votes(row)) {
                *total += u64::from(v);
            }
            registered += u64::from(rows.registered[row]);
        }
        (votes, registered)
    };
    let totals: Vec<(Vec<u64>, u64)> = strata.iter().map(sums).collect();
    let point = combined_ratio(
        &strata
            .iter()
            .zip(&totals)
            .map(|(stratum, (votes, x))| (weight(stratum.expected, *x), votes.clone()))
            .collect::<Vec<_>>(),
    );
    let plain_votes: Vec<u64> = (0..candidates)
        .map(|c| totals.iter().map(|(votes, _)| votes[c]).sum())
        .collect();
    let plain = combined_ratio(&[(1.0, plain_votes)]);
    let replicate_shares = bootstrap(rows, &strata, seed, replicates);
    let estimates = point
        .iter()
        .enumerate()
        .map(|(c, &share)| {
            let column = replicate_shares.iter().map(|shares| shares[c]).collect();
            let (low, high) = percentile_interval(column).unwrap_or((share, share));
            Estimate { share, low, high }
        })
        .collect();
    let sensitivity = sensitivity(rows, &strata, &totals, &point);
    Projection {
        strata_level,
        strata: strata
            .iter()
            .zip(&totals)
            .map(|(stratum, (_, registered))| StratumSummary {
                area: stratum.area,
                tables_counted: u64::try_from(stratum.rows.len()).unwrap_or(u64::MAX),
                registered_counted: *registered,
                registered_expected: stratum.expected,
            })
            .collect(),
        plain,
        estimates,
        replicates,
        seed,
        unobserved_registered,
        sensitivity,
    }
}

/// The strata, and the registered voters expected where no table was counted.
fn strata(results: &Results, rows: &Rows, level: Option<usize>) -> (Vec<Stratum>, u64) {
    let geography = &results.election().geography;
    let national = Coverage::of(results, AreaCode::National)
        .registered_expected
        .value();
    let Some(level) = level else {
        let stratum = Stratum {
            area: None,
            rows: (0..rows.len()).collect(),
            expected: national,
        };
        return finish(vec![], stratum, national, 0, rows);
    };
    let counted = rows.areas_of_level(geography, level);
    let mut own = Vec::new();
    let mut rest = Stratum {
        area: None,
        rows: Vec::new(),
        expected: None,
    };
    for (area, range) in &counted {
        match Coverage::of(results, *area).registered_expected.value() {
            Some(expected) => own.push(Stratum {
                area: Some(*area),
                rows: range.clone().collect(),
                expected: Some(expected),
            }),
            None => rest.rows.extend(range.clone()),
        }
    }
    // Areas expected to hold voters but without a counted table.
    let level_code = u8::try_from(level).unwrap_or(u8::MAX);
    let mut unobserved = 0;
    let declared = results.election().declared.areas.keys().copied();
    let known = results.tally.level(level).map(|(area, _)| area);
    let mut silent: Vec<AreaCode> = declared
        .chain(known)
        .filter(|area| matches!(area, AreaCode::Area { level, .. } if *level == level_code))
        .filter(|area| !counted.iter().any(|(counted, _)| counted == area))
        .collect();
    silent.sort_unstable();
    silent.dedup();
    for area in silent {
        unobserved += Coverage::of(results, area)
            .registered_expected
            .value()
            .unwrap_or(0);
    }
    finish(own, rest, national, unobserved, rows)
}

/// Gives the remainder stratum what the nation's voters leave for it, and keeps the non-empty
/// strata; every expected figure is at least the stratum's counted voters.
fn finish(
    mut own: Vec<Stratum>,
    mut rest: Stratum,
    national: Option<u64>,
    mut unobserved: u64,
    rows: &Rows,
) -> (Vec<Stratum>, u64) {
    let registered = |stratum: &Stratum| -> u64 {
        stratum
            .rows
            .iter()
            .map(|&row| u64::from(rows.registered[row]))
            .sum()
    };
    for stratum in &mut own {
        stratum.expected = stratum.expected.map(|x| x.max(registered(stratum)));
    }
    let own_expected: u64 = own.iter().filter_map(|s| s.expected).sum();
    rest.expected = national.map(|n| n.saturating_sub(own_expected + unobserved));
    if rest.rows.is_empty() {
        unobserved += rest.expected.unwrap_or(0);
    } else {
        rest.expected = rest.expected.map(|x| x.max(registered(&rest)));
        own.push(rest);
    }
    (own, unobserved)
}

/// The shares of every bootstrap replicate.
fn bootstrap(rows: &Rows, strata: &[Stratum], seed: u64, replicates: u32) -> Vec<Vec<f64>> {
    let candidates = rows.candidates;
    // Each stratum's tables as one flat array: the votes, then the registered voters.
    let stride = candidates + 1;
    let flat: Vec<Vec<u32>> = strata
        .iter()
        .map(|stratum| {
            let mut flat = Vec::with_capacity(stratum.rows.len() * stride);
            for &row in &stratum.rows {
                flat.extend_from_slice(rows.votes(row));
                flat.push(rows.registered[row]);
            }
            flat
        })
        .collect();
    let mut draws = Draws::new(seed, &[0]);
    let mut sums = vec![0u64; stride];
    let mut weighted = vec![0.0; candidates];
    let mut drawn = Vec::new();
    let mut out = Vec::with_capacity(usize::try_from(replicates).unwrap_or(0));
    for _ in 0..replicates {
        weighted.fill(0.0);
        for (stratum, table) in strata.iter().zip(&flat) {
            if stratum.rows.is_empty() {
                continue;
            }
            drawn.resize(stratum.rows.len(), 0);
            draws.resample(&mut drawn);
            sums.fill(0);
            for (row, &times) in table.chunks_exact(stride).zip(&drawn) {
                let times = u64::from(times);
                // Votes times draws, summed over a stratum's tables, stay far below 2^64:
                // wrapping operations cannot wrap, and let the loop run without overflow checks.
                for (sum, &value) in sums.iter_mut().zip(row) {
                    *sum = sum.wrapping_add(times.wrapping_mul(u64::from(value)));
                }
            }
            let w = weight(stratum.expected, sums[candidates]);
            for (total, &votes) in weighted.iter_mut().zip(&sums[..candidates]) {
                *total += w * as_f64(votes);
            }
        }
        let valid: f64 = weighted.iter().sum();
        out.push(if valid > 0.0 {
            weighted.iter().map(|w| w / valid).collect()
        } else {
            vec![0.0; candidates]
        });
    }
    out
}

/// The sensitivity line: each stratum's counted votes, plus its missing voters voting like its
/// tenth of counted tables with the runner-up's highest share.
fn sensitivity(
    rows: &Rows,
    strata: &[Stratum],
    totals: &[(Vec<u64>, u64)],
    point: &[f64],
) -> Sensitivity {
    let candidates = rows.candidates;
    // Leaders by the projected shares, in billionths, so that ties resolve as in `leaders`.
    let ranked: Vec<u64> = point
        .iter()
        .map(|share| crate::stats::ceil_count(share * 1e9))
        .collect();
    let (leader, runner_up, _) = leaders(&ranked);
    let mut projected = vec![0.0; candidates];
    for (stratum, (votes, registered)) in strata.iter().zip(totals) {
        for (total, &v) in projected.iter_mut().zip(votes) {
            *total += as_f64(v);
        }
        let missing = stratum
            .expected
            .unwrap_or(*registered)
            .saturating_sub(*registered);
        let (Some(favoured), true) = (runner_up, missing > 0) else {
            continue;
        };
        let mut order = stratum.rows.clone();
        let share = |row: usize| {
            let valid = rows.valid(row);
            if valid == 0 {
                0.0
            } else {
                as_f64(u64::from(rows.votes(row)[favoured])) / as_f64(valid)
            }
        };
        order.sort_by(|&a, &b| share(b).total_cmp(&share(a)).then(a.cmp(&b)));
        let tenth = order.len().div_ceil(10);
        let mut top_votes = vec![0u64; candidates];
        let mut top_registered = 0u64;
        for &row in &order[..tenth] {
            for (total, &v) in top_votes.iter_mut().zip(rows.votes(row)) {
                *total += u64::from(v);
            }
            top_registered += u64::from(rows.registered[row]);
        }
        if top_registered == 0 {
            continue;
        }
        let per_voter = as_f64(missing) / as_f64(top_registered);
        for (total, &v) in projected.iter_mut().zip(&top_votes) {
            *total += as_f64(v) * per_voter;
        }
    }
    let valid: f64 = projected.iter().sum();
    let shares: Vec<f64> = if valid > 0.0 {
        projected.iter().map(|v| v / valid).collect()
    } else {
        vec![0.0; candidates]
    };
    let leader_holds = match (leader, runner_up) {
        (Some(l), Some(r)) => shares[l] > shares[r],
        (Some(_), None) => true,
        _ => false,
    };
    Sensitivity {
        leader,
        runner_up,
        shares,
        leader_holds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-computed case of the combined ratio estimator with INE's expansion by tables: a
    /// stratum of 100 tables with 2 counted (A 60 + 50, B 40 + 50; weight 50) and one of 150
    /// with 1 counted (A 20, B 80; weight 150). A: 50·110 + 150·20 = 8,500; B: 50·90 + 150·80 =
    /// 16,500; A's share 8,500 / 25,000 = 34%, against the plain 130 / 300 = 43.3%.
    #[test]
    fn the_combined_ratio_estimator_by_hand() {
        let shares = combined_ratio(&[(50.0, vec![110, 90]), (150.0, vec![20, 80])]);
        assert!((shares[0] - 0.34).abs() < 1e-12, "{shares:?}");
        assert!((shares[1] - 0.66).abs() < 1e-12);
        let plain = combined_ratio(&[(1.0, vec![130, 170])]);
        assert!((plain[0] - 130.0 / 300.0).abs() < 1e-12);
        assert_eq!(combined_ratio(&[(2.0, vec![0, 0])]), vec![0.0, 0.0]);
    }

    /// NDI's quick-count handbook (chapter 7, "weighting"): where Party B leads Party A 6:4 in
    /// the rural stratum and half the missing data are rural, the missing rural votes are
    /// allocated 6:4. Three strata of 100 tables of 200 voters, 100 votes each: urban 95 counted
    /// at A 60%, semi-urban 95 at 50%, rural 90 at 40%; the 20 missing tables, half rural, add
    /// urban 300:200, semi-urban 250:250, rural 400:600. A: 14,050 + 950 = 15,000 of 30,000.
    #[test]
    fn the_handbooks_adjustment_for_missing_data() {
        let stratum = |counted: u64, a_percent: u64| {
            let votes = counted * 100;
            (
                20_000.0 / (counted as f64 * 200.0),
                vec![votes * a_percent / 100, votes * (100 - a_percent) / 100],
            )
        };
        let shares = combined_ratio(&[stratum(95, 60), stratum(95, 50), stratum(90, 40)]);
        assert!((shares[0] - 0.5).abs() < 1e-12, "{shares:?}");
        let plain = combined_ratio(&[(1.0, vec![14_050, 13_950])]);
        assert!((plain[0] - 14_050.0 / 28_000.0).abs() < 1e-12);
    }
}
