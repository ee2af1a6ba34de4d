//! Exact tests and intervals for counts: the binomial test (scipy `binomtest`, two-sided by
//! the 'minlike' rule), the one-sample Poisson test (statsmodels `test_poisson`, exact-c),
//! the conditional test of two Poisson rates (statsmodels `test_poisson_2indep`, exact-cond)
//! and the Garwood interval of a Poisson mean. Adverse-event and complaint counts in
//! post-market surveillance are analysed with these.

use super::StatsError;
use super::alternative::Alternative;
use super::intervals::Interval;
use super::special::{binom_pmf, binom_range, norm_ppf, pois_pmf, pois_range, solve_decreasing};

/// Result of the binomial test: the observed proportion and the p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinomTestResult {
    pub statistic: f64,
    pub pvalue: f64,
}

/// scipy's relative tolerance when deciding which outcomes are "as unlikely" as k.
const MINLIKE_RERR: f64 = 1.0 + 1e-7;

/// Exact binomial test of `k` successes in `n` trials against success probability `p`.
pub fn binomtest(k: u64, n: u64, p: f64, alt: Alternative) -> Result<BinomTestResult, StatsError> {
    if n == 0 {
        return Err(StatsError::input("n must be at least 1"));
    }
    if k > n {
        return Err(StatsError::input("k must not exceed n"));
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(StatsError::input("p must lie in [0, 1]"));
    }
    let pvalue = match alt {
        Alternative::Greater => binom_range(k, n, n, p),
        Alternative::Less => binom_range(0, k, n, p),
        Alternative::TwoSided => two_sided_minlike(k, n, p),
    };
    Ok(BinomTestResult {
        statistic: k as f64 / n as f64,
        pvalue,
    })
}

/// Sum of P(X = i) over every i with P(X = i) <= P(X = k) * (1 + 1e-7). The outcomes on the
/// far side of the mode are found by bisection, since the pmf is monotone there.
fn two_sided_minlike(k: u64, n: u64, p: f64) -> f64 {
    let pn = p * n as f64;
    let kf = k as f64;
    if kf == pn {
        return 1.0;
    }
    let d = binom_pmf(k, n, p) * MINLIKE_RERR;
    let pval = if kf < pn {
        // First i in [ceil(pn), n] with pmf(i) <= d; the pmf does not increase there.
        let (mut lo, mut hi) = (pn.ceil() as u64, n + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if binom_pmf(mid, n, p) <= d {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        binom_range(0, k, n, p)
            + if lo <= n {
                binom_range(lo, n, n, p)
            } else {
                0.0
            }
    } else {
        // Last i in [0, floor(pn)] with pmf(i) <= d; the pmf does not decrease there.
        let (mut lo, mut hi) = (0u64, pn.floor() as u64 + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if binom_pmf(mid, n, p) <= d {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        let lower = if lo == 0 {
            0.0
        } else {
            binom_range(0, lo - 1, n, p)
        };
        lower + binom_range(k, n, n, p)
    };
    pval.min(1.0)
}

/// Exact one-sample Poisson test of `count` events in `exposure` against the rate `value`
/// (statsmodels `test_poisson(..., method='exact-c')`): "greater" is P(X >= k), "less" is
/// P(X <= k), two-sided is min(1, 2 min(both)).
pub fn poisson_test(
    count: u64,
    exposure: f64,
    value: f64,
    alt: Alternative,
) -> Result<f64, StatsError> {
    if !(exposure > 0.0 && exposure.is_finite() && value >= 0.0 && value.is_finite()) {
        return Err(StatsError::input(
            "exposure must be positive and value non-negative",
        ));
    }
    let mu = value * exposure;
    let upper = pois_range(count, u64::MAX, mu);
    let lower = pois_range(0, count, mu);
    Ok(match alt {
        Alternative::Greater => upper,
        Alternative::Less => lower,
        Alternative::TwoSided => (2.0 * upper.min(lower)).min(1.0),
    })
}

/// Conditional exact test of equal Poisson rates: given the total, `count1` is binomial with
/// probability exposure1/(exposure1+exposure2) under H0. No events at all gives p = 1.
pub fn poisson_2indep(
    count1: u64,
    exposure1: f64,
    count2: u64,
    exposure2: f64,
    alt: Alternative,
) -> Result<f64, StatsError> {
    let ok = |t: f64| t > 0.0 && t.is_finite();
    if !ok(exposure1) || !ok(exposure2) {
        return Err(StatsError::input("exposures must be positive and finite"));
    }
    let total = count1 + count2;
    if total == 0 {
        return Ok(1.0);
    }
    let p = exposure1 / (exposure1 + exposure2);
    Ok(binomtest(count1, total, p, alt)?.pvalue)
}

/// Garwood (exact) interval of a Poisson mean from `count` events: (chi2_{a/2, 2k}/2,
/// chi2_{1-a/2, 2k+2}/2), lower bound 0 at k = 0. The chi-square quantiles are found on the
/// equivalent Poisson tails, P(X >= k; L) = a/2 and P(X <= k; U) = a/2.
pub fn garwood_interval(count: u64, confidence: f64) -> Result<Interval, StatsError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatsError::input(
            "confidence must lie strictly between 0 and 1",
        ));
    }
    let half = (1.0 - confidence) / 2.0;
    let z = -norm_ppf(half);
    let k = count as f64;
    let lower = if count == 0 {
        0.0
    } else {
        let start = (k - z * k.sqrt()).max(k * 0.1);
        solve_decreasing(
            |mu| half - pois_range(count, u64::MAX, mu),
            |mu| -pois_pmf(count - 1, mu),
            start,
            0.0,
            f64::INFINITY,
        )
    };
    let start = k + 1.0 + z * (k + 1.0).sqrt();
    let upper = solve_decreasing(
        |mu| pois_range(0, count, mu) - half,
        |mu| -pois_pmf(count, mu),
        start,
        0.0,
        f64::INFINITY,
    );
    Ok(Interval { lower, upper })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_binomial_two_sided_is_double_one_sided() {
        let two = binomtest(2, 10, 0.5, Alternative::TwoSided).unwrap();
        let less = binomtest(2, 10, 0.5, Alternative::Less).unwrap();
        assert!((two.pvalue - 2.0 * less.pvalue).abs() < 1e-15);
        // P(X <= 2) for Binomial(10, 1/2) = (1 + 10 + 45) / 1024.
        assert!((less.pvalue - 56.0 / 1024.0).abs() < 1e-15);
        assert_eq!(two.statistic, 0.2);
    }

    #[test]
    fn binomial_edges_k0_and_kn() {
        let r = binomtest(0, 5, 0.3, Alternative::Less).unwrap();
        assert!((r.pvalue - 0.7f64.powi(5)).abs() < 1e-15);
        let g = binomtest(5, 5, 0.3, Alternative::Greater).unwrap();
        assert!((g.pvalue - 0.3f64.powi(5)).abs() < 1e-17);
        assert!(binomtest(6, 5, 0.3, Alternative::Less).is_err());
    }

    #[test]
    fn extreme_and_huge_binomial_cases() {
        // P(X >= 1000) for Binomial(1000, 1/2) is 2^-1000, far below 1e-300.
        let g = binomtest(1000, 1000, 0.5, Alternative::Greater).unwrap();
        assert!(((g.pvalue - 2f64.powi(-1000)) / 2f64.powi(-1000)).abs() < 1e-12);
        // At the expected count of a huge sample the two-sided p is exactly 1.
        let mid = binomtest(500_000, 1_000_000, 0.5, Alternative::TwoSided).unwrap();
        assert_eq!(mid.pvalue, 1.0);
        // Above the mean the far tail comes from below: mirror image of the case below it.
        let hi = binomtest(7, 10, 0.5, Alternative::TwoSided).unwrap();
        let lo = binomtest(3, 10, 0.5, Alternative::TwoSided).unwrap();
        assert!((hi.pvalue - lo.pvalue).abs() < 1e-15);
        assert!((lo.pvalue - 0.34375).abs() < 1e-14);
    }

    #[test]
    fn poisson_test_two_sided_doubles_the_smaller_tail() {
        let up = poisson_test(5, 2.0, 0.5, Alternative::Greater).unwrap();
        let two = poisson_test(5, 2.0, 0.5, Alternative::TwoSided).unwrap();
        assert!((two - 2.0 * up).abs() < 1e-16);
        // P(X >= 1; mu) = 1 - e^-mu.
        let p1 = poisson_test(1, 1.0, 0.2, Alternative::Greater).unwrap();
        assert!((p1 - (-(-0.2f64).exp_m1())).abs() < 1e-16);
    }

    #[test]
    fn garwood_bounds_hit_their_tail_probabilities() {
        let iv = garwood_interval(0, 0.95).unwrap();
        // For k = 0 the upper bound solves e^-U = 0.025.
        assert_eq!(iv.lower, 0.0);
        assert!((iv.upper - (-(0.025f64.ln()))).abs() < 1e-13);
        let iv = garwood_interval(12, 0.9).unwrap();
        assert!((pois_range(12, u64::MAX, iv.lower) - 0.05).abs() < 1e-14);
        assert!((pois_range(0, 12, iv.upper) - 0.05).abs() < 1e-14);
    }

    #[test]
    fn equal_rates_with_equal_counts_are_not_significant() {
        let p = poisson_2indep(4, 1.0, 4, 1.0, Alternative::TwoSided).unwrap();
        assert_eq!(p, 1.0);
        assert_eq!(
            poisson_2indep(0, 1.0, 0, 3.0, Alternative::Greater).unwrap(),
            1.0
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn binomial_p_values_are_probabilities_and_ordered(
            n in 1u64..2000, frac in 0.0f64..=1.0, p in 0.001f64..0.999
        ) {
            let k = ((n as f64) * frac).round() as u64;
            let two = binomtest(k, n, p, Alternative::TwoSided).unwrap().pvalue;
            let less = binomtest(k, n, p, Alternative::Less).unwrap().pvalue;
            let greater = binomtest(k, n, p, Alternative::Greater).unwrap().pvalue;
            for v in [two, less, greater] {
                prop_assert!((0.0..=1.0).contains(&v));
            }
            // The two tails overlap in P(X = k), so they cover at least everything.
            prop_assert!(less + greater >= 1.0 - 1e-12);
            // The two-sided p includes the observed side's tail.
            prop_assert!(two >= less.min(greater) * (1.0 - 1e-9));
        }
    }
}
