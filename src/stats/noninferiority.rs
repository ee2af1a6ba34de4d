//! One-sided paired non-inferiority t-test: is a new model at most `margin` worse than the
//! current one on the same studies? H0: mean(a - b) <= -margin against H1: mean(a - b) >
//! -margin. Shadow evaluation promotes a candidate model only when H0 is rejected, i.e. when
//! the one-sided lower confidence bound of the mean difference lies above -margin.

use super::StatsError;
use super::special::{t_isf, t_sf};
use super::ttest::mean_var;

/// Outcome of the non-inferiority test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoninferiorityResult {
    /// t = (mean(a - b) + margin) / se.
    pub statistic: f64,
    /// One-sided p-value, P(T >= t) under H0 at the boundary.
    pub pvalue: f64,
    pub df: f64,
    /// Mean of the paired differences a - b.
    pub mean_diff: f64,
    /// One-sided lower confidence bound of mean(a - b) at `confidence_level`.
    pub ci_low: f64,
    /// True when the lower bound exceeds -margin (equivalently p < 1 - confidence_level).
    pub noninferior: bool,
}

/// Test that `a` (new) is non-inferior to `b` (current) by `margin` (> 0, in the units of
/// the metric, higher is better).
pub fn noninferiority(
    a: &[f64],
    b: &[f64],
    margin: f64,
    confidence_level: f64,
) -> Result<NoninferiorityResult, StatsError> {
    if a.len() != b.len() {
        return Err(StatsError::input("unequal length arrays"));
    }
    if a.len() < 2 {
        return Err(StatsError::input("need at least two paired observations"));
    }
    if !(margin.is_finite() && margin >= 0.0) {
        return Err(StatsError::input("margin must be finite and non-negative"));
    }
    if !(confidence_level > 0.0 && confidence_level < 1.0) {
        return Err(StatsError::input(
            "confidence level must lie strictly between 0 and 1",
        ));
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    if d.iter().any(|v| !v.is_finite()) {
        return Err(StatsError::input("differences must be finite"));
    }
    let n = d.len() as f64;
    let df = n - 1.0;
    let (mean, var) = mean_var(&d);
    let se = (var / n).sqrt();
    let statistic = (mean + margin) / se;
    let pvalue = t_sf(statistic, df);
    let ci_low = mean - t_isf(1.0 - confidence_level, df) * se;
    Ok(NoninferiorityResult {
        statistic,
        pvalue,
        df,
        mean_diff: mean,
        ci_low,
        noninferior: ci_low > -margin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::alternative::Alternative;
    use crate::stats::ttest::ttest_rel;

    const A: [f64; 6] = [0.91, 0.88, 0.93, 0.90, 0.87, 0.92];
    const B: [f64; 6] = [0.90, 0.89, 0.92, 0.91, 0.88, 0.90];

    #[test]
    fn zero_margin_equals_one_sided_paired_t_test() {
        let ni = noninferiority(&A, &B, 0.0, 0.95).unwrap();
        let tt = ttest_rel(&A, &B, Alternative::Greater, 0.95).unwrap();
        assert!((ni.statistic - tt.statistic).abs() < 1e-12);
        assert!((ni.pvalue - tt.pvalue).abs() < 1e-14);
        assert!((ni.ci_low - tt.ci_low).abs() < 1e-14);
    }

    #[test]
    fn verdict_agrees_with_p_value_and_margin_monotone() {
        let strict = noninferiority(&A, &B, 0.001, 0.95).unwrap();
        let loose = noninferiority(&A, &B, 0.05, 0.95).unwrap();
        assert!(loose.pvalue < strict.pvalue);
        for r in [strict, loose] {
            assert_eq!(r.noninferior, r.pvalue < 0.05);
        }
        assert!(loose.noninferior);
    }

    #[test]
    fn clearly_worse_model_is_not_noninferior() {
        let worse: Vec<f64> = B.iter().map(|v| v - 0.1).collect();
        let r = noninferiority(&worse, &B, 0.02, 0.95).unwrap();
        assert!(!r.noninferior && r.pvalue > 0.5);
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(noninferiority(&A, &B[..5], 0.01, 0.95).is_err());
        assert!(noninferiority(&A, &B, -0.01, 0.95).is_err());
        assert!(noninferiority(&A[..1], &B[..1], 0.01, 0.95).is_err());
    }
}
