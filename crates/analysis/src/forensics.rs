//! Forensic tests of the counts: what numbers written by people who count honestly tend to look
//! like, and how far these are from it. A deviation is an anomaly to look into, never evidence
//! of fraud by itself: real counts deviate for innocent reasons (small tables, few candidates,
//! strongholds), and every result here says what was expected beside what was observed.
//!
//! - Last digit (Beber and Scacco, "What the Numbers Say", Political Analysis 2012): the last
//!   digit of a count of at least two digits is close to uniform; people who invent numbers
//!   favour some digits. Chi-square against 1/10 each (9 degrees of freedom); the mean last
//!   digit against 4.5.
//! - Second digit (2BL; Mebane, "Election Forensics: The Second-Digit Benford's Law Test",
//!   2006): the second digit of counts of at least two digits follows Benford's second-digit
//!   law (`stats::benford_second_digit`). Chi-square with 9 degrees of freedom; the mean second
//!   digit against 4.187, as Mebane reports it.
//! - Counts ending in 0 or 5 (rounding): expected 20% of counts of at least two digits.
//!   Chi-square with 1 degree of freedom.
//! - The fingerprint (Klimek, Yan, Kelling and Thurner, "Statistical detection of systematic
//!   election irregularities", PNAS 2012): a 2-D histogram of tables by turnout and a
//!   candidate's share; ballot stuffing shows as tables smeared towards 100% turnout and 100%
//!   share. Its corner (both at least 95%) is counted beside what independence of turnout and
//!   share would give, with the correlation of the two.
//!
//! Each mean, share and correlation has a 95% bootstrap interval over the tables (seeded).

use std::ops::Range;

use crate::random::Draws;
use crate::rows::Rows;
use crate::stats::{
    as_f64, benford_second_digits, chi_square, chi_square_p_value, percentile_interval,
};

/// Counts below this have no second digit: they are left out of the second-digit test.
pub const SECOND_DIGIT_MIN: u32 = 10;

/// Counts below this are left out of the last-digit tests (the last digit and counts ending in
/// 0 or 5). The last digit is close to uniform only where counts spread over many tens: among
/// the counts from 10 to 99 of a small candidate, most are in the low tens, and low last digits
/// would stand out for no reason but that.
pub const LAST_DIGIT_MIN: u32 = 100;

/// Bins per axis of the fingerprint (5 points each).
pub const BINS: usize = 20;

/// A test of the distribution of one digit of the counts.
#[derive(Clone, Debug, PartialEq)]
pub struct DigitTest {
    /// Counts tested (at least [`SECOND_DIGIT_MIN`] for the second digit, [`LAST_DIGIT_MIN`]
    /// for the last).
    pub counts: u64,
    /// How many had each digit, 0 to 9.
    pub observed: [u64; 10],
    /// The expected probability of each digit.
    pub expected: [f64; 10],
    /// Pearson's chi-square statistic (9 degrees of freedom).
    pub chi_square: f64,
    /// Its p-value; `None` when too few counts make some expected count below 5, where the
    /// chi-square approximation does not hold.
    pub p_value: Option<f64>,
    /// The mean digit (`None` without counts).
    pub mean: Option<f64>,
    /// The mean expected.
    pub expected_mean: f64,
    /// The mean's 95% bootstrap interval.
    pub mean_interval: Option<(f64, f64)>,
}

impl DigitTest {
    fn new(digits: &[u8], expected: [f64; 10], interval: Option<(f64, f64)>) -> Self {
        let mut observed = [0u64; 10];
        for &digit in digits {
            observed[usize::from(digit)] += 1;
        }
        let counts = digits.len() as u64;
        let smallest = expected.iter().copied().fold(f64::INFINITY, f64::min);
        let statistic = chi_square(&observed, &expected);
        Self {
            counts,
            observed,
            expected,
            chi_square: statistic,
            p_value: (as_f64(counts) * smallest >= 5.0).then(|| chi_square_p_value(statistic, 9)),
            mean: mean_digit(digits),
            expected_mean: expected
                .iter()
                .zip(0u32..)
                .map(|(p, d)| p * f64::from(d))
                .sum(),
            mean_interval: interval,
        }
    }
}

/// The share of counts ending in 0 or 5.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoundShare {
    /// Counts tested (those of at least [`LAST_DIGIT_MIN`]).
    pub counts: u64,
    /// How many end in 0 or 5.
    pub round: u64,
    /// Their share (`None` without counts).
    pub observed: Option<f64>,
    /// The share expected: 0.2.
    pub expected: f64,
    /// Chi-square with 1 degree of freedom.
    pub chi_square: f64,
    /// Its p-value (`None` with fewer than 25 counts).
    pub p_value: Option<f64>,
    /// The share's 95% bootstrap interval.
    pub interval: Option<(f64, f64)>,
}

/// The digit tests of one candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateTests {
    /// Index into the election's candidates.
    pub candidate: usize,
    /// Last digit against uniform.
    pub last_digit: DigitTest,
    /// Second digit against Benford's law (2BL).
    pub second_digit: DigitTest,
    /// Counts ending in 0 or 5.
    pub zero_or_five: RoundShare,
}

/// The turnout-against-share fingerprint of one candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Fingerprint {
    /// Index into the election's candidates.
    pub candidate: usize,
    /// Tables in it (counted, with registered voters and valid votes).
    pub tables: u64,
    /// `BINS × BINS` counts of tables, row by row: row `r` holds shares from `r/BINS` (row 0 the
    /// lowest), column `c` turnouts from `c/BINS`; 100% falls in the last bin.
    pub counts: Vec<u64>,
    /// Tables with both turnout and share at least 95%.
    pub corner: u64,
    /// What independence would give: tables at turnout ≥ 95% × tables at share ≥ 95% / tables.
    pub corner_expected: f64,
    /// Pearson's correlation of turnout and share.
    pub correlation: Option<f64>,
    /// Its 95% bootstrap interval.
    pub correlation_interval: Option<(f64, f64)>,
}

/// The forensic tests of one area.
#[derive(Clone, Debug, PartialEq)]
pub struct Forensics {
    /// Digit tests per candidate, in the election's order.
    pub candidates: Vec<CandidateTests>,
    /// The fingerprints of the area's leader and runner-up.
    pub fingerprints: Vec<Fingerprint>,
}

/// The last digit of a count.
#[must_use]
pub fn last_digit(count: u32) -> u8 {
    u8::try_from(count % 10).unwrap_or(0)
}

/// The second digit of a count of at least two digits (`None` below 10).
#[must_use]
pub fn second_digit(count: u32) -> Option<u8> {
    if count < 10 {
        return None;
    }
    let mut leading = count;
    while leading >= 100 {
        leading /= 10;
    }
    Some(last_digit(leading))
}

fn mean_digit(digits: &[u8]) -> Option<f64> {
    if digits.is_empty() {
        return None;
    }
    let sum: u64 = digits.iter().map(|&d| u64::from(d)).sum();
    Some(as_f64(sum) / as_f64(digits.len() as u64))
}

/// The forensic tests of the tables `range` of `rows`. `seed_parts` identify the area, so that
/// each area's bootstrap is reproducible on its own.
pub(crate) fn forensics(
    rows: &Rows,
    range: Range<usize>,
    leaders: &[usize],
    seed: u64,
    seed_parts: [u64; 2],
    replicates: u32,
) -> Forensics {
    let digits: Vec<Digits> = (0..rows.candidates)
        .map(|candidate| {
            let counts: Vec<u32> = range
                .clone()
                .map(|row| rows.votes(row)[candidate])
                .collect();
            Digits::new(candidate, &counts)
        })
        .collect();
    let points: Vec<Points> = leaders
        .iter()
        .map(|&candidate| Points::new(rows, range.clone(), candidate))
        .collect();
    let mut draws = Draws::new(seed, &[1, seed_parts[0], seed_parts[1]]);
    let (candidates, fingerprints) = bootstrap(&digits, &points, &mut draws, replicates);
    Forensics {
        candidates,
        fingerprints,
    }
}

/// The digit tests of one candidate's counts, alone (as if each count were one table).
#[cfg(test)]
fn digit_tests(
    candidate: usize,
    counts: &[u32],
    draws: &mut Draws,
    replicates: u32,
) -> CandidateTests {
    let (mut tests, _) = bootstrap(&[Digits::new(candidate, counts)], &[], draws, replicates);
    tests.remove(0)
}

/// Every test of an area, with one bootstrap: each replicate resamples the area's tables with
/// replacement (as counts of how often each was drawn), and each statistic is computed on the
/// resampled tables it applies to.
fn bootstrap(
    digits: &[Digits],
    points: &[Points],
    draws: &mut Draws,
    replicates: u32,
) -> (Vec<CandidateTests>, Vec<Fingerprint>) {
    let tables = digits
        .first()
        .map(|d| d.second.len())
        .or_else(|| points.first().map(|p| p.weight.len()))
        .unwrap_or(0);
    let mut digit_replicates = vec![[const { Vec::new() }; 3]; digits.len()];
    let mut correlations = vec![Vec::new(); points.len()];
    let mut drawn = vec![0u32; tables];
    if tables > 0 {
        for _ in 0..replicates {
            draws.resample(&mut drawn);
            for (digits, out) in digits.iter().zip(&mut digit_replicates) {
                if digits.used {
                    for (statistic, value) in out.iter_mut().zip(digits.replicate(&drawn)) {
                        statistic.extend(value);
                    }
                }
            }
            for (points, out) in points.iter().zip(&mut correlations) {
                out.extend(points.replicate(&drawn));
            }
        }
    }
    let tests = digits
        .iter()
        .zip(digit_replicates)
        .map(|(digits, [last, second, round])| digits.tests(last, second, round))
        .collect();
    let fingerprints = points
        .iter()
        .zip(correlations)
        .map(|(points, replicates)| points.fingerprint(replicates))
        .collect();
    (tests, fingerprints)
}

/// A digit that is not there (a count too small for the test).
const NO_DIGIT: u8 = 10;

/// One candidate's counts over an area's tables, as the digit tests take them.
#[derive(Debug)]
struct Digits {
    candidate: usize,
    /// Per table: the second digit of a count of at least [`SECOND_DIGIT_MIN`], else
    /// [`NO_DIGIT`].
    second: Vec<u8>,
    /// Per table: the last digit of a count of at least [`LAST_DIGIT_MIN`], else [`NO_DIGIT`].
    last: Vec<u8>,
    /// Whether any count is tested.
    used: bool,
}

impl Digits {
    fn new(candidate: usize, counts: &[u32]) -> Self {
        let second: Vec<u8> = counts
            .iter()
            .map(|&c| second_digit(c).unwrap_or(NO_DIGIT))
            .collect();
        let last: Vec<u8> = counts
            .iter()
            .map(|&c| {
                if c >= LAST_DIGIT_MIN {
                    last_digit(c)
                } else {
                    NO_DIGIT
                }
            })
            .collect();
        let used = second.iter().any(|&d| d != NO_DIGIT);
        Self {
            candidate,
            second,
            last,
            used,
        }
    }

    /// One replicate's mean last digit, mean second digit and share of counts ending in 0 or 5,
    /// `drawn` saying how often each table was drawn.
    fn replicate(&self, drawn: &[u32]) -> [Option<f64>; 3] {
        // Sums of at most (tables × 9) fit a u64 with room to spare: wrapping operations cannot
        // wrap, and let the loop run without overflow checks.
        let (mut second_sum, mut second_n, mut last_sum, mut last_n, mut round) =
            (0u64, 0u64, 0u64, 0u64, 0u64);
        for ((&times, &second), &last) in drawn.iter().zip(&self.second).zip(&self.last) {
            let times = u64::from(times);
            let has_second = u64::from(second != NO_DIGIT);
            let has_last = u64::from(last != NO_DIGIT);
            second_n = second_n.wrapping_add(times * has_second);
            second_sum = second_sum.wrapping_add(times * has_second * u64::from(second));
            last_n = last_n.wrapping_add(times * has_last);
            last_sum = last_sum.wrapping_add(times * has_last * u64::from(last));
            round = round.wrapping_add(times * has_last * u64::from(last % 5 == 0));
        }
        let ratio = |sum: u64, n: u64| (n > 0).then(|| as_f64(sum) / as_f64(n));
        [
            ratio(last_sum, last_n),
            ratio(second_sum, second_n),
            ratio(round, last_n),
        ]
    }

    /// The tests, with the replicates' statistics.
    fn tests(
        &self,
        last_means: Vec<f64>,
        second_means: Vec<f64>,
        rounds: Vec<f64>,
    ) -> CandidateTests {
        let tested = |digits: &[u8]| -> Vec<u8> {
            digits.iter().copied().filter(|&d| d != NO_DIGIT).collect()
        };
        let last = tested(&self.last);
        let second = tested(&self.second);
        let round = last.iter().filter(|&&d| d.is_multiple_of(5)).count() as u64;
        let total = last.len() as u64;
        let round_statistic = chi_square(&[round, total - round], &[0.2, 0.8]);
        CandidateTests {
            candidate: self.candidate,
            last_digit: DigitTest::new(&last, [0.1; 10], percentile_interval(last_means)),
            second_digit: DigitTest::new(
                &second,
                benford_second_digits(),
                percentile_interval(second_means),
            ),
            zero_or_five: RoundShare {
                counts: total,
                round,
                observed: (total > 0).then(|| as_f64(round) / as_f64(total)),
                expected: 0.2,
                chi_square: round_statistic,
                p_value: (total >= 25).then(|| chi_square_p_value(round_statistic, 1)),
                interval: percentile_interval(rounds),
            },
        }
    }
}

/// The bin of a fraction from 0 to 1 (1 in the last bin).
fn bin(fraction: f64) -> usize {
    let scaled = crate::stats::ceil_count((fraction * as_f64(BINS as u64)).floor());
    usize::try_from(scaled).unwrap_or(usize::MAX).min(BINS - 1)
}

/// One candidate's (turnout, share) over an area's tables, with the products the correlation
/// needs; a table without registered voters or valid votes has weight 0.
#[derive(Debug)]
struct Points {
    candidate: usize,
    weight: Vec<f64>,
    turnout: Vec<f64>,
    share: Vec<f64>,
}

impl Points {
    fn new(rows: &Rows, range: Range<usize>, candidate: usize) -> Self {
        let mut points = Self {
            candidate,
            weight: Vec::with_capacity(range.len()),
            turnout: Vec::with_capacity(range.len()),
            share: Vec::with_capacity(range.len()),
        };
        for row in range {
            let registered = u64::from(rows.registered[row]);
            let valid = rows.valid(row);
            let (weight, turnout, share) = if registered > 0 && valid > 0 {
                (
                    1.0,
                    (as_f64(valid + rows.null[row]) / as_f64(registered)).min(1.0),
                    as_f64(u64::from(rows.votes(row)[candidate])) / as_f64(valid),
                )
            } else {
                (0.0, 0.0, 0.0)
            };
            points.weight.push(weight);
            points.turnout.push(turnout);
            points.share.push(share);
        }
        points
    }

    /// One replicate's correlation.
    fn replicate(&self, drawn: &[u32]) -> Option<f64> {
        let mut sums = [0.0; 6];
        for (((&times, &w), &t), &s) in drawn
            .iter()
            .zip(&self.weight)
            .zip(&self.turnout)
            .zip(&self.share)
        {
            let m = f64::from(times) * w;
            sums[0] += m;
            sums[1] += m * t;
            sums[2] += m * s;
            sums[3] += m * t * t;
            sums[4] += m * s * s;
            sums[5] += m * t * s;
        }
        correlation_of_sums(sums)
    }

    /// The fingerprint, with the replicates' correlations.
    fn fingerprint(&self, replicates: Vec<f64>) -> Fingerprint {
        let mut counts = vec![0u64; BINS * BINS];
        let (mut high_turnout, mut high_share, mut corner, mut tables) = (0u64, 0u64, 0u64, 0u64);
        let mut sums = [0.0; 6];
        for ((&w, &turnout), &share) in self.weight.iter().zip(&self.turnout).zip(&self.share) {
            if w == 0.0 {
                continue;
            }
            let (column, row) = (bin(turnout), bin(share));
            counts[row * BINS + column] += 1;
            tables += 1;
            high_turnout += u64::from(column == BINS - 1);
            high_share += u64::from(row == BINS - 1);
            corner += u64::from(column == BINS - 1 && row == BINS - 1);
            for (sum, value) in sums.iter_mut().zip([
                1.0,
                turnout,
                share,
                turnout * turnout,
                share * share,
                turnout * share,
            ]) {
                *sum += value;
            }
        }
        Fingerprint {
            candidate: self.candidate,
            tables,
            counts,
            corner,
            corner_expected: if tables == 0 {
                0.0
            } else {
                as_f64(high_turnout) * as_f64(high_share) / as_f64(tables)
            },
            correlation: correlation_of_sums(sums),
            correlation_interval: percentile_interval(replicates),
        }
    }
}

/// Pearson's correlation from the sums `[n, Σx, Σy, Σx², Σy², Σxy]` (`None` when either
/// variable is constant or there are fewer than two points).
fn correlation_of_sums([n, sx, sy, sxx, syy, sxy]: [f64; 6]) -> Option<f64> {
    let covariance = n * sxy - sx * sy;
    let spread = ((n * sxx - sx * sx) * (n * syy - sy * sy)).sqrt();
    (n >= 2.0 && spread > 1e-12 * n * n).then(|| (covariance / spread).clamp(-1.0, 1.0))
}

/// Pearson's correlation of pairs (`None` when either variable is constant or there are fewer
/// than two).
#[must_use]
pub fn correlation(points: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let mut sums = [0.0; 6];
    for (x, y) in points {
        for (sum, value) in sums.iter_mut().zip([1.0, x, y, x * x, y * y, x * y]) {
            *sum += value;
        }
    }
    correlation_of_sums(sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_counts() {
        assert_eq!(last_digit(167), 7);
        assert_eq!(second_digit(167), Some(6));
        assert_eq!(second_digit(10), Some(0));
        assert_eq!(second_digit(99), Some(9));
        assert_eq!(second_digit(4_321), Some(3));
        assert_eq!(second_digit(9), None);
    }

    /// Hand-computed: the 100 counts 100 to 199 have last digits 0 to 9 ten times each (a
    /// chi-square of 0, p = 1, mean 4.5) and second digits 0 to 9 ten times each; 100 counts all
    /// ending in 0 give Σ (O − 10)² / 10 = (90² + 9·10²) / 10 = 900, a mean last digit of 0
    /// against 4.5, and all of them round.
    #[test]
    fn digit_tests_by_hand() {
        let mut draws = Draws::new(1, &[]);
        let uniform: Vec<u32> = (100..200).collect();
        let tests = digit_tests(0, &uniform, &mut draws, 200);
        assert_eq!(tests.last_digit.observed, [10; 10]);
        assert_eq!(tests.second_digit.observed, [10; 10]);
        assert!(tests.last_digit.chi_square.abs() < 1e-12);
        assert_eq!(tests.last_digit.p_value, Some(1.0));
        assert_eq!(tests.last_digit.mean, Some(4.5));
        assert!((tests.last_digit.expected_mean - 4.5).abs() < 1e-12);
        let (low, high) = tests.last_digit.mean_interval.expect("an interval");
        assert!(low < 4.5 && 4.5 < high, "{low} {high}");
        assert_eq!(tests.zero_or_five.round, 20);
        assert_eq!(tests.zero_or_five.observed, Some(0.2));
        assert!((tests.second_digit.expected_mean - 4.187).abs() < 1e-3);
        // (10 × 0.1197 − 10)² / (10 × 0.1197) + ...: Benford's against a flat 10 each.
        let benford = benford_second_digits();
        let by_hand: f64 = benford
            .iter()
            .map(|p| (10.0 - 100.0 * p).powi(2) / (100.0 * p))
            .sum();
        assert!((tests.second_digit.chi_square - by_hand).abs() < 1e-9);

        // 10 to 109: the second digits are 0 to 9 once in each of the nine decades 10-19 ...
        // 90-99, then 0 for each of 100-109; only 100-109 have a last digit tested.
        let small = digit_tests(0, &(10..110).collect::<Vec<_>>(), &mut draws, 10);
        assert_eq!(small.second_digit.observed[0], 19);
        assert_eq!(small.second_digit.observed[1..], [9; 9]);
        assert_eq!(small.last_digit.counts, 10);
        assert_eq!(small.last_digit.p_value, None, "10 counts are too few");

        let round: Vec<u32> = (10..110).map(|i| i * 10).collect();
        let tests = digit_tests(0, &round, &mut draws, 100);
        assert!((tests.last_digit.chi_square - 900.0).abs() < 1e-9);
        assert!(tests.last_digit.p_value.is_some_and(|p| p < 1e-100));
        assert_eq!(tests.last_digit.mean_interval, Some((0.0, 0.0)));
        assert_eq!(tests.zero_or_five.round, 100);
        // (100 − 20)² / 20 + (0 − 80)² / 80 = 320 + 80.
        assert!((tests.zero_or_five.chi_square - 400.0).abs() < 1e-9);

        let none = digit_tests(0, &[3, 5], &mut draws, 10);
        assert_eq!(none.last_digit.mean, None);
        assert_eq!(none.last_digit.mean_interval, None);
        assert_eq!(none.zero_or_five.observed, None);
        assert_eq!(none.zero_or_five.p_value, None);
    }

    #[test]
    fn correlation_and_bins() {
        let line = [(0.1, 0.2), (0.2, 0.4), (0.3, 0.6)];
        assert!((correlation(line).unwrap_or(0.0) - 1.0).abs() < 1e-12);
        let against = [(0.1, 0.6), (0.2, 0.4), (0.3, 0.2)];
        assert!((correlation(against).unwrap_or(0.0) + 1.0).abs() < 1e-12);
        assert_eq!(correlation([(0.5, 0.1), (0.5, 0.9)]), None);
        assert_eq!(bin(0.0), 0);
        assert_eq!(bin(0.049), 0);
        assert_eq!(bin(0.05), 1);
        assert_eq!(bin(0.95), 19);
        assert_eq!(bin(1.0), 19);
    }
}
