//! Confidence intervals for a binomial proportion: Wilson score (statsmodels
//! `proportion_confint(method='wilson')`), Wilson with continuity correction (scipy
//! `binomtest(...).proportion_ci('wilsoncc')`) and Clopper-Pearson (statsmodels `beta`).
//! Sensitivity and specificity of a device are reported with these intervals.

use statrs::distribution::{Beta, ContinuousCDF};

use super::StatsError;
use super::special::{binom_cdf, binom_pmf, binom_sf_incl, norm_ppf, solve_decreasing};

/// Which proportion interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProportionMethod {
    /// Wilson score interval without continuity correction.
    Wilson,
    /// Wilson score interval with continuity correction (Newcombe 1998).
    WilsonCc,
    /// Clopper-Pearson exact interval from beta quantiles.
    Beta,
    /// Normal (Wald) approximation, statsmodels' default; may leave [0, 1].
    Normal,
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

fn check(count: u64, nobs: u64, alpha: f64) -> Result<(), StatsError> {
    if nobs == 0 {
        return Err(StatsError::input("nobs must be positive"));
    }
    if count > nobs {
        return Err(StatsError::input("count must not exceed nobs"));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::input("alpha must lie strictly between 0 and 1"));
    }
    Ok(())
}

/// Two-sided `1 - alpha` interval for the proportion `count / nobs`.
pub fn proportion_confint(
    count: u64,
    nobs: u64,
    alpha: f64,
    method: ProportionMethod,
) -> Result<Interval, StatsError> {
    check(count, nobs, alpha)?;
    Ok(match method {
        ProportionMethod::Wilson => wilson(count, nobs, alpha),
        ProportionMethod::WilsonCc => wilson_cc(count, nobs, alpha),
        ProportionMethod::Beta => clopper_pearson(count, nobs, alpha),
        ProportionMethod::Normal => wald(count, nobs, alpha),
    })
}

/// Wald interval `p -/+ z sqrt(p(1-p)/n)`, unclipped as in statsmodels.
pub fn wald(count: u64, nobs: u64, alpha: f64) -> Interval {
    let n = nobs as f64;
    let p = count as f64 / n;
    let dist = -norm_ppf(alpha / 2.0) * (p * (1.0 - p) / n).sqrt();
    Interval {
        lower: p - dist,
        upper: p + dist,
    }
}

/// Wilson score interval, in statsmodels' arithmetic (at k = 0 the lower bound may be a
/// few 1e-19 rather than exactly 0, as there).
pub fn wilson(count: u64, nobs: u64, alpha: f64) -> Interval {
    let n = nobs as f64;
    let p = count as f64 / n;
    let crit = -norm_ppf(alpha / 2.0);
    let crit2 = crit * crit;
    let denom = 1.0 + crit2 / n;
    let center = (p + crit2 / (2.0 * n)) / denom;
    let dist = crit * (p * (1.0 - p) / n + crit2 / (4.0 * n * n)).sqrt() / denom;
    Interval {
        lower: center - dist,
        upper: center + dist,
    }
}

/// Wilson interval with continuity correction, in scipy's (Newcombe's) arithmetic; the
/// bounds are exactly 0 at k = 0 and 1 at k = n.
pub fn wilson_cc(count: u64, nobs: u64, alpha: f64) -> Interval {
    let n = nobs as f64;
    let p = count as f64 / n;
    let z = norm_ppf(0.5 + 0.5 * (1.0 - alpha));
    let z2 = z * z;
    let denom = 2.0 * (n + z2);
    let center = (2.0 * n * p + z2) / denom;
    let q = 1.0 - p;
    let lower = if count == 0 {
        0.0
    } else {
        center - (1.0 + z * (z2 - 2.0 - 1.0 / n + 4.0 * p * (n * q + 1.0)).sqrt()) / denom
    };
    let upper = if count == nobs {
        1.0
    } else {
        center + (1.0 + z * (z2 + 2.0 - 1.0 / n + 4.0 * p * (n * q - 1.0)).sqrt()) / denom
    };
    Interval { lower, upper }
}

/// Clopper-Pearson interval: lower = Beta^-1(alpha/2; k, n-k+1) (0 at k = 0), upper =
/// Beta^-1(1-alpha/2; k+1, n-k) (1 at k = n). The beta quantiles are found on the equivalent
/// binomial tails, P(Bin(n, L) >= k) = alpha/2 and P(Bin(n, U) <= k) = alpha/2, whose
/// derivatives in p are n times a binomial probability.
pub fn clopper_pearson(count: u64, nobs: u64, alpha: f64) -> Interval {
    let (k, n) = (count, nobs);
    let half = alpha / 2.0;
    let lower = if k == 0 {
        0.0
    } else {
        let start = beta_start(k as f64, (n - k + 1) as f64, half);
        solve_decreasing(
            |p| half - binom_sf_incl(k, n, p),
            |p| -(n as f64) * binom_pmf(k - 1, n - 1, p),
            start,
            0.0,
            1.0,
        )
    };
    let upper = if k == n {
        1.0
    } else {
        let start = beta_start((k + 1) as f64, (n - k) as f64, 1.0 - half);
        solve_decreasing(
            |p| binom_cdf(k, n, p) - half,
            |p| -(n as f64) * binom_pmf(k, n - 1, p),
            start,
            0.0,
            1.0,
        )
    };
    Interval { lower, upper }
}

/// statrs' approximate beta quantile as a starting point, or the middle when unusable.
fn beta_start(a: f64, b: f64, q: f64) -> f64 {
    let guess = Beta::new(a, b)
        .map(|d| d.inverse_cdf(q))
        .unwrap_or(f64::NAN);
    if guess > 0.0 && guess < 1.0 {
        guess
    } else {
        0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_stays_in_unit_interval_at_the_edges() {
        let zero = wilson(0, 10, 0.05);
        assert!(zero.lower.abs() < 1e-15 && zero.upper > 0.0 && zero.upper < 1.0);
        let all = wilson(10, 10, 0.05);
        assert!((all.upper - 1.0).abs() < 1e-15 && all.lower < 1.0);
    }

    #[test]
    fn clopper_pearson_closed_forms_at_the_edges() {
        // For k = 0 the upper bound solves (1-U)^n = alpha/2.
        let iv = clopper_pearson(0, 10, 0.05);
        let want = 1.0 - 0.025f64.powf(0.1);
        assert_eq!(iv.lower, 0.0);
        assert!(((iv.upper - want) / want).abs() < 1e-13);
        // For k = n the lower bound solves L^n = alpha/2.
        let iv = clopper_pearson(7, 7, 0.1);
        assert!(((iv.lower - 0.05f64.powf(1.0 / 7.0)) / iv.lower).abs() < 1e-13);
        assert_eq!(iv.upper, 1.0);
    }

    #[test]
    fn exact_interval_is_wider_than_wilson() {
        // Not a theorem at small p (Wilson's upper bound can exceed Clopper-Pearson's),
        // but it holds for these moderate proportions.
        for (k, n) in [(1, 5), (50, 100), (30, 200)] {
            let w = wilson(k, n, 0.05);
            let cp = clopper_pearson(k, n, 0.05);
            assert!(cp.lower < w.lower && cp.upper > w.upper, "k={k} n={n}");
        }
        // The continuity correction always widens Wilson's interval.
        for (k, n) in [(1, 5), (50, 100), (3, 1000)] {
            let w = wilson(k, n, 0.05);
            let cc = wilson_cc(k, n, 0.05);
            assert!(cc.lower < w.lower && cc.upper > w.upper, "k={k} n={n}");
        }
    }

    #[test]
    fn invalid_counts_are_refused() {
        assert!(proportion_confint(3, 2, 0.05, ProportionMethod::Wilson).is_err());
        assert!(proportion_confint(0, 0, 0.05, ProportionMethod::Beta).is_err());
        assert!(proportion_confint(1, 2, 0.0, ProportionMethod::Beta).is_err());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn intervals_bracket_the_estimate_inside_the_unit_interval(
            n in 1u64..5000, frac in 0.0f64..=1.0, alpha in 0.001f64..0.5
        ) {
            let k = ((n as f64) * frac).round() as u64;
            let phat = k as f64 / n as f64;
            for m in [ProportionMethod::Wilson, ProportionMethod::WilsonCc, ProportionMethod::Beta] {
                let iv = proportion_confint(k, n, alpha, m).unwrap();
                prop_assert!(iv.lower >= -1e-15 && iv.upper <= 1.0 + 1e-15, "{m:?} {iv:?}");
                prop_assert!(iv.lower <= phat + 1e-12 && phat <= iv.upper + 1e-12, "{m:?} {iv:?}");
            }
        }

        #[test]
        fn clopper_pearson_bounds_hit_alpha_half(n in 2u64..3000, frac in 0.01f64..0.99) {
            let k = (((n as f64) * frac).round() as u64).clamp(1, n - 1);
            let iv = clopper_pearson(k, n, 0.05);
            let lo_tail = binom_sf_incl(k, n, iv.lower);
            let hi_tail = binom_cdf(k, n, iv.upper);
            prop_assert!((lo_tail - 0.025).abs() < 1e-12, "{lo_tail}");
            prop_assert!((hi_tail - 0.025).abs() < 1e-12, "{hi_tail}");
        }
    }
}
