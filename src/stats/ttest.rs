//! Paired t-test (scipy `ttest_rel`) with the confidence interval of the mean difference,
//! and the t-interval of a mean. Also hosts the compensated sums every mean here uses, so
//! that a million-row mean agrees with numpy's pairwise sum to ~1e-16.

use super::StatsError;
use super::alternative::Alternative;
use super::special::{t_isf, t_sf};

/// Result of a paired t-test; the interval is for mean(a - b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TtestResult {
    pub statistic: f64,
    pub pvalue: f64,
    pub df: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// A two-sided t-interval for a mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanInterval {
    pub lower: f64,
    pub upper: f64,
    pub mean: f64,
}

/// Neumaier-compensated sum: nearly exactly rounded, independent of summation order.
pub fn compensated_sum(xs: &[f64]) -> f64 {
    let mut sum = 0.0f64;
    let mut comp = 0.0f64;
    for &x in xs {
        let t = sum + x;
        if sum.abs() >= x.abs() {
            comp += (sum - t) + x;
        } else {
            comp += (x - t) + sum;
        }
        sum = t;
    }
    sum + comp
}

/// Mean and sample variance (ddof = 1; NaN for n = 1).
pub fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = compensated_sum(xs) / n;
    let dev: Vec<f64> = xs.iter().map(|x| (x - mean) * (x - mean)).collect();
    let var = if xs.len() > 1 {
        compensated_sum(&dev) / (n - 1.0)
    } else {
        f64::NAN
    };
    (mean, var)
}

/// Confidence bounds of a t statistic for `alternative` at `confidence_level`, before scaling
/// by the standard error. One-sided alternatives get an infinite bound.
pub fn t_bounds(df: f64, confidence_level: f64, alternative: Alternative) -> (f64, f64) {
    match alternative {
        Alternative::Less => (f64::NEG_INFINITY, t_isf(1.0 - confidence_level, df)),
        Alternative::Greater => (-t_isf(1.0 - confidence_level, df), f64::INFINITY),
        Alternative::TwoSided => {
            let tail = (1.0 - confidence_level) / 2.0;
            (-t_isf(tail, df), t_isf(tail, df))
        }
    }
}

fn check_level(confidence_level: f64) -> Result<(), StatsError> {
    if !(confidence_level > 0.0 && confidence_level < 1.0) {
        return Err(StatsError::input(
            "confidence level must lie strictly between 0 and 1",
        ));
    }
    Ok(())
}

/// Paired t-test of `a` against `b` (scipy `ttest_rel`).
pub fn ttest_rel(
    a: &[f64],
    b: &[f64],
    alternative: Alternative,
    confidence_level: f64,
) -> Result<TtestResult, StatsError> {
    check_level(confidence_level)?;
    if a.len() != b.len() {
        return Err(StatsError::input("unequal length arrays"));
    }
    if a.is_empty() {
        return Err(StatsError::input("samples must not be empty"));
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = d.len() as f64;
    let df = n - 1.0;
    let (mean, var) = mean_var(&d);
    let se = (var / n).sqrt();
    let t = mean / se;
    // f64::min would turn a NaN p into 1.0; scipy's p is NaN whenever t is (n = 1, or
    // identical samples: 0/0).
    let pvalue = match alternative {
        _ if t.is_nan() => f64::NAN,
        Alternative::Less => t_sf(-t, df),
        Alternative::Greater => t_sf(t, df),
        Alternative::TwoSided => (2.0 * t_sf(t.abs(), df)).min(1.0),
    };
    let (lo, hi) = t_bounds(df, confidence_level, alternative);
    Ok(TtestResult {
        statistic: t,
        pvalue,
        df,
        // As scipy: bound * se + mean, so an infinite bound with se = 0 gives NaN.
        ci_low: lo * se + mean,
        ci_high: hi * se + mean,
    })
}

/// Two-sided t-interval `mean -/+ t_{1-a/2, n-1} s / sqrt(n)` at `confidence`. With one
/// observation the bounds are NaN; with zero spread the interval has zero width.
pub fn t_interval(x: &[f64], confidence: f64) -> Result<MeanInterval, StatsError> {
    check_level(confidence)?;
    if x.is_empty() {
        return Err(StatsError::input("sample must not be empty"));
    }
    let n = x.len() as f64;
    let (mean, var) = mean_var(x);
    let q = t_isf((1.0 - confidence) / 2.0, n - 1.0);
    let half = q * var.sqrt() / n.sqrt();
    Ok(MeanInterval {
        lower: mean - half,
        upper: mean + half,
        mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_recovers_lost_bits() {
        let xs = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(compensated_sum(&xs), 2.0);
    }

    #[test]
    fn one_sided_p_values_add_to_one() {
        let a = [3.1, 2.2, 4.8, 5.0, 1.9];
        let b = [2.9, 2.6, 4.1, 5.2, 1.1];
        let g = ttest_rel(&a, &b, Alternative::Greater, 0.95).unwrap();
        let l = ttest_rel(&a, &b, Alternative::Less, 0.95).unwrap();
        let t = ttest_rel(&a, &b, Alternative::TwoSided, 0.95).unwrap();
        assert!((g.pvalue + l.pvalue - 1.0).abs() < 1e-14);
        assert!((t.pvalue - 2.0 * g.pvalue.min(l.pvalue)).abs() < 1e-15);
        assert_eq!(g.ci_high, f64::INFINITY);
        assert_eq!(l.ci_low, f64::NEG_INFINITY);
        assert!(t.ci_low < g.ci_low && l.ci_high < t.ci_high);
    }

    #[test]
    fn interval_contains_mean_and_single_value_is_nan() {
        let iv = t_interval(&[2.1, 2.5, 1.9, 2.8, 2.2], 0.95).unwrap();
        assert!(iv.lower < iv.mean && iv.mean < iv.upper);
        let one = t_interval(&[3.0], 0.95).unwrap();
        assert!(one.lower.is_nan() && one.upper.is_nan() && one.mean == 3.0);
        let flat = t_interval(&[4.0, 4.0, 4.0], 0.9).unwrap();
        assert_eq!((flat.lower, flat.upper), (4.0, 4.0));
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(ttest_rel(&[1.0], &[1.0, 2.0], Alternative::TwoSided, 0.95).is_err());
        assert!(t_interval(&[], 0.95).is_err());
        assert!(t_interval(&[1.0, 2.0], 1.0).is_err());
    }

    #[test]
    fn nan_statistic_gives_nan_p() {
        // scipy 1.17: ttest_rel([1], [2]) and ttest_rel(a, a) give t = NaN and p = NaN.
        for alt in [
            Alternative::TwoSided,
            Alternative::Less,
            Alternative::Greater,
        ] {
            let one = ttest_rel(&[1.0], &[2.0], alt, 0.95).unwrap();
            assert!(one.statistic.is_nan() && one.pvalue.is_nan(), "{alt:?}");
            let same = ttest_rel(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], alt, 0.95).unwrap();
            assert!(same.pvalue.is_nan(), "{alt:?}");
        }
    }
}
