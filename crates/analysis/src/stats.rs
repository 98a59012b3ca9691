//! The few statistical functions the analyses need, written out: the chi-square test and its
//! p-value, Benford's second-digit law, percentiles of bootstrap replicates.
//!
//! The p-value is the chi-square distribution's survival function, the regularized upper
//! incomplete gamma function `Q(k/2, x/2)`, computed as in Press et al., *Numerical Recipes*
//! (3rd ed., §6.2: the series below `a + 1`, Lentz's continued fraction above) with Lanczos's
//! log-gamma (§6.1). Tested against the closed forms for 1 and 2 degrees of freedom and the
//! published critical values.

/// `P(second digit = d)` under Benford's law: `Σ_{k=1..9} log10(1 + 1/(10k + d))`.
#[must_use]
pub fn benford_second_digit(digit: u8) -> f64 {
    (1..=9u32)
        .map(|first| (1.0 + 1.0 / f64::from(10 * first + u32::from(digit))).log10())
        .sum()
}

/// The ten probabilities of Benford's second digit, 0 to 9.
#[must_use]
pub fn benford_second_digits() -> [f64; 10] {
    let mut probabilities = [0.0; 10];
    for (digit, probability) in (0u8..).zip(probabilities.iter_mut()) {
        *probability = benford_second_digit(digit);
    }
    probabilities
}

/// Pearson's chi-square statistic of observed counts against expected probabilities:
/// `Σ (O_i − n·p_i)² / (n·p_i)`, `n = Σ O_i`.
#[must_use]
pub fn chi_square(observed: &[u64], probabilities: &[f64]) -> f64 {
    let total = as_f64(observed.iter().sum());
    observed
        .iter()
        .zip(probabilities)
        .filter(|(_, p)| **p > 0.0)
        .map(|(&o, &p)| {
            let expected = total * p;
            let difference = as_f64(o) - expected;
            difference * difference / expected
        })
        .sum()
}

/// The chi-square distribution's survival function: the probability that a statistic with
/// `degrees_of_freedom` degrees of freedom is at least `statistic` (the test's p-value).
#[must_use]
pub fn chi_square_p_value(statistic: f64, degrees_of_freedom: u32) -> f64 {
    if statistic <= 0.0 || degrees_of_freedom == 0 {
        return 1.0;
    }
    upper_regularized_gamma(f64::from(degrees_of_freedom) / 2.0, statistic / 2.0)
}

/// `Q(a, x) = Γ(a, x) / Γ(a)`.
fn upper_regularized_gamma(a: f64, x: f64) -> f64 {
    if x < a + 1.0 {
        1.0 - lower_series(a, x)
    } else {
        upper_continued_fraction(a, x)
    }
}

const EPSILON: f64 = 1e-15;
const MAX_ITERATIONS: usize = 1000;

/// `P(a, x)` by its series `e^{−x} x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n))`.
fn lower_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0 / a;
    let mut sum = term;
    let mut denominator = a;
    for _ in 0..MAX_ITERATIONS {
        denominator += 1.0;
        term *= x / denominator;
        sum += term;
        if term.abs() < sum.abs() * EPSILON {
            break;
        }
    }
    (sum.ln() - x + a * x.ln() - ln_gamma(a)).exp()
}

/// `Q(a, x)` by its continued fraction, evaluated by the modified Lentz method.
fn upper_continued_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    let mut i = 0.0;
    for _ in 0..MAX_ITERATIONS {
        i += 1.0;
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < EPSILON {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// `ln Γ(x)` for `x > 0`, Lanczos's approximation (g = 7, n = 9), accurate to about 1e-15.
fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // The reflection formula: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    let mut offset = 0.0;
    for coefficient in &COEFFICIENTS[1..] {
        offset += 1.0;
        sum += coefficient / (x + offset);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The `q`-quantile (0 to 1) of sorted values, interpolating linearly between order
/// statistics (Hyndman and Fan's type 7, the default of R and NumPy). `None` when empty.
#[must_use]
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = q.clamp(0.0, 1.0) * as_f64(last as u64);
    let below = position.floor();
    let index = to_index(below).min(last);
    let above = (index + 1).min(last);
    let fraction = position - below;
    Some(sorted[index] + (sorted[above] - sorted[index]) * fraction)
}

/// The 95% percentile interval of bootstrap replicates (sorted here).
#[must_use]
pub fn percentile_interval(mut replicates: Vec<f64>) -> Option<(f64, f64)> {
    replicates.sort_by(f64::total_cmp);
    Some((quantile(&replicates, 0.025)?, quantile(&replicates, 0.975)?))
}

/// A count as a float: exact below 2^53, far above any vote count.
#[must_use]
pub fn as_f64(value: u64) -> f64 {
    // Vote counts stay far below 2^53, where f64 is exact.
    value as f64
}

/// A non-negative float's integer part as an index (0 for negative or NaN, saturating above).
fn to_index(value: f64) -> usize {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "the float is clamped to the index range first; `as` saturates and maps NaN to 0"
    )]
    let index = value.max(0.0) as usize;
    index
}

/// `⌈value⌉` as a count, for a non-negative float (0 for negative or NaN, saturating above).
#[must_use]
pub fn ceil_count(value: f64) -> u64 {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "`as` saturates and maps NaN to 0; the value is clamped to be non-negative"
    )]
    let count = value.max(0.0).ceil() as u64;
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    /// Benford's second-digit probabilities to four decimals, as published (Nigrini, *Benford's
    /// Law*, 2012, table 5.1; Mebane, "Election Forensics: The Second-Digit Benford's Law Test
    /// and Recent American Presidential Elections", 2006, table 1), and their mean 4.187.
    #[test]
    fn benford_second_digits_as_published() {
        let published = [
            0.1197, 0.1139, 0.1088, 0.1043, 0.1003, 0.0967, 0.0934, 0.0904, 0.0876, 0.0850,
        ];
        let computed = benford_second_digits();
        for (digit, (p, q)) in computed.iter().zip(published).enumerate() {
            assert_eq!(format!("{p:.4}"), format!("{q:.4}"), "digit {digit}");
        }
        assert!(close(computed.iter().sum::<f64>(), 1.0, 1e-12));
        let mean: f64 = computed
            .iter()
            .zip(0..)
            .map(|(p, d)| p * f64::from(d))
            .sum();
        assert_eq!(format!("{mean:.3}"), "4.187");
    }

    /// The survival function against its closed forms (1 degree of freedom: `erfc(√(x/2))`;
    /// 2: `e^{−x/2}`) and the published 5% and 1% critical values.
    #[test]
    fn chi_square_p_values() {
        for x in [0.5, 1.0, 2.0, 5.0, 10.0, 30.0] {
            assert!(
                close(chi_square_p_value(x, 2), (-x / 2.0).exp(), 1e-12),
                "{x}"
            );
        }
        // erfc(√(x/2)) for x = 1, 3.841458820694124, 10 (computed with Python's math.erfc).
        assert!(close(
            chi_square_p_value(1.0, 1),
            0.317_310_507_862_914_1,
            1e-12
        ));
        assert!(close(
            chi_square_p_value(10.0, 1),
            0.001_565_402_258_002_549_7,
            1e-12
        ));
        let critical = [
            (3.841_458_820_694_124, 1, 0.05),
            (6.634_896_601_021_213, 1, 0.01),
            (16.918_977_604_620_448, 9, 0.05),
            (21.665_994_333_461_924, 9, 0.01),
            (27.877_164_871_256_568, 9, 0.001),
        ];
        for (x, df, p) in critical {
            assert!(close(chi_square_p_value(x, df), p, 1e-9), "{x} {df}");
        }
        assert!(close(chi_square_p_value(0.0, 9), 1.0, 0.0));
        // The mean of the distribution with 9 degrees of freedom: 0.437274 (tables).
        assert!(close(chi_square_p_value(9.0, 9), 0.437_274, 1e-6));
    }

    /// A die thrown 60 times (a textbook case): 5, 8, 9, 8, 10, 20 against 10 each gives
    /// 2.5 + 0.4 + 0.1 + 0.4 + 0 + 10 = 13.4.
    #[test]
    fn chi_square_statistic_by_hand() {
        let observed = [5, 8, 9, 8, 10, 20];
        let statistic = chi_square(&observed, &[1.0 / 6.0; 6]);
        assert!(close(statistic, 13.4, 1e-9), "{statistic}");
        // 5 degrees of freedom: p = 0.019905 (tables).
        assert!(close(chi_square_p_value(statistic, 5), 0.019_905, 1e-5));
    }

    #[test]
    fn quantiles_interpolate() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&values, 0.0), Some(1.0));
        assert_eq!(quantile(&values, 1.0), Some(5.0));
        assert_eq!(quantile(&values, 0.5), Some(3.0));
        assert_eq!(quantile(&values, 0.125), Some(1.5));
        assert_eq!(quantile(&[], 0.5), None);
        let interval = percentile_interval((0..=1000).rev().map(f64::from).collect());
        assert_eq!(interval, Some((25.0, 975.0)));
        assert_eq!(ceil_count(2.1), 3);
        assert_eq!(ceil_count(-1.0), 0);
    }
}
