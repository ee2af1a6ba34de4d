//! Mann-Whitney U test as scipy 1.17 computes it: statistic U1 of `x`, exact null
//! distribution (no tie correction), normal approximation with tie-corrected variance and
//! optional continuity correction, and scipy's `auto` rule. Used to compare a model's score
//! distribution between a reference and a surveillance window without assuming normality.
//! Deliberate difference: the exact distribution is refused above 10^9 table cells (about
//! n1 = n2 = 260; scipy would spend minutes), where the asymptotic method is accurate.

use super::StatsError;
use super::alternative::Alternative;
use super::ranks::{average_ranks, tie_term};
use super::special::norm_sf;

/// How the p-value is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MwuMethod {
    /// Exact null distribution of U (ignores ties).
    Exact,
    /// Normal approximation with tie correction.
    Asymptotic,
    /// Exact when min(n1, n2) <= 8 and there are no ties, else asymptotic.
    Auto,
}

/// Statistic (U1 of `x`) and p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MwuResult {
    pub statistic: f64,
    pub pvalue: f64,
}

/// Largest exact-distribution work (table cells updated) accepted: n1 = n2 = 200 takes 4e8
/// (scipy computes that size too); beyond the limit (about n1 = n2 = 270) the exact method
/// would take many seconds, and the asymptotic one is accurate there anyway.
const EXACT_WORK_LIMIT: f64 = 1e9;

/// Mann-Whitney U test of `x` against `y`.
pub fn mannwhitneyu(
    x: &[f64],
    y: &[f64],
    use_continuity: bool,
    alternative: Alternative,
    method: MwuMethod,
) -> Result<MwuResult, StatsError> {
    if x.is_empty() || y.is_empty() {
        return Err(StatsError::input("`x` and `y` must be of nonzero size"));
    }
    if x.iter().chain(y).any(|v| v.is_nan()) {
        return Err(StatsError::input("`x` and `y` must not contain NaNs"));
    }
    let (n1, n2) = (x.len(), y.len());
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let (ranks, ties) = average_ranks(&all);
    // Subtracting the constant per term keeps the sum at the magnitude of U1, as scipy does.
    let offset = (n1 as f64 + 1.0) / 2.0;
    let u1: f64 = ranks[..n1].iter().map(|r| r - offset).sum();
    let has_ties = ties.iter().any(|&t| t > 1);
    let method = match method {
        MwuMethod::Auto if (n1 > 8 && n2 > 8) || has_ties => MwuMethod::Asymptotic,
        MwuMethod::Auto => MwuMethod::Exact,
        m => m,
    };
    let pvalue = if method == MwuMethod::Exact {
        exact_pvalue(u1, n1, n2, alternative)?
    } else {
        asymptotic_pvalue(u1, n1, n2, tie_term(&ties), use_continuity, alternative)
    };
    // clamp keeps NaN: scipy's p without continuity correction when every value ties (0/0).
    Ok(MwuResult {
        statistic: u1,
        pvalue: pvalue.clamp(0.0, 1.0),
    })
}

/// scipy's form: the survival function of the statistic that points away from the
/// alternative (U1, U2, or the larger for two-sided), less 0.5 with continuity correction.
/// When every value ties the variance is 0: with the correction z = -inf and p = 1 (scipy's
/// answer); without it 0/0 gives NaN, as in scipy.
fn asymptotic_pvalue(
    u1: f64,
    n1: usize,
    n2: usize,
    tie_term: f64,
    continuity: bool,
    alternative: Alternative,
) -> f64 {
    let (n1, n2) = (n1 as f64, n2 as f64);
    let mu = n1 * n2 / 2.0;
    let n = n1 + n2;
    let s = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    let u2 = n1 * n2 - u1;
    let (u, factor) = match alternative {
        Alternative::Greater => (u1, 1.0),
        Alternative::Less => (u2, 1.0),
        Alternative::TwoSided => (u1.max(u2), 2.0),
    };
    let mut numerator = u - mu;
    if continuity {
        numerator -= 0.5;
    }
    factor * norm_sf(numerator / s)
}

/// numpy's `sign`: 0 for 0, NaN for NaN.
pub(crate) fn sign_of(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        v
    }
}

fn exact_pvalue(u1: f64, n1: usize, n2: usize, alt: Alternative) -> Result<f64, StatsError> {
    let total = n1 as f64 * n2 as f64;
    let (u, factor) = match alt {
        Alternative::Greater => (u1, 1.0),
        Alternative::Less => (total - u1, 1.0),
        Alternative::TwoSided => (u1.max(total - u1), 2.0),
    };
    // scipy truncates a non-integral U (from ties) toward zero before the survival function.
    let k = u.trunc() as usize;
    let (m, n) = (n1.min(n2), n1.max(n2));
    // As scipy: by symmetry only the lower half of the distribution is needed, P(U >= k) =
    // P(U <= mn - k) in the upper half and 1 - P(U <= k - 1) in the lower one, so the table
    // stops at min(k, mn - k).
    let kc = m * n - k.min(m * n);
    let counts = u_counts(m, n, k.min(kc))?;
    let total = binomial(m + n, m);
    let sf = if k >= kc {
        counts[..=kc].iter().sum::<f64>() / total
    } else {
        1.0 - counts[..k].iter().sum::<f64>() / total
    };
    Ok(sf * factor)
}

/// C(n, k) in floating point (relative error about k ulps).
fn binomial(n: usize, k: usize) -> f64 {
    (1..=k).fold(1.0, |acc, i| acc * (n - k + i) as f64 / i as f64)
}

/// Null distribution of U for sample sizes `m <= n`: the probability of each U in 0..=m*n.
/// U is the sum of an m-subset of {0..m+n-1} minus m(m-1)/2, so the counts come from a
/// subset-sum table filled with additions only (no cancellation at any size).
pub fn u_distribution(m: usize, n: usize) -> Result<Vec<f64>, StatsError> {
    let counts = u_counts(m, n, m * n)?;
    let total: f64 = counts.iter().sum();
    Ok(counts.iter().map(|c| c / total).collect())
}

/// Counts of m-subsets with each U in 0..=limit (the recursion only moves counts upwards,
/// so a truncated table is exact below its limit).
fn u_counts(m: usize, n: usize, limit: usize) -> Result<Vec<f64>, StatsError> {
    let max_u = limit.min(m * n);
    if exact_work(m, n, max_u) > EXACT_WORK_LIMIT {
        return Err(StatsError::input(format!(
            "exact Mann-Whitney distribution for n1={m}, n2={n} is too large; use method \
             'asymptotic'"
        )));
    }
    // counts[j][u]: number of j-subsets of the elements seen so far with statistic u, where
    // the statistic of a subset is its sum minus j(j-1)/2 (the smallest possible sum).
    let width = max_u + 1;
    let mut counts = vec![0.0f64; (m + 1) * width];
    counts[0] = 1.0;
    for element in 0..(m + n) {
        for j in (live_from(m, n, element)..=m.min(element + 1)).rev() {
            // Adding `element` as the j-th member raises the statistic by element - (j - 1).
            let shift = element + 1 - j;
            let top = reachable(j, element, max_u);
            if shift > top {
                continue;
            }
            let (before, after) = counts.split_at_mut(j * width);
            let prev = &before[(j - 1) * width..];
            for (to, from) in after[shift..=top].iter_mut().zip(&prev[..=top - shift]) {
                *to += *from;
            }
        }
    }
    let row = counts.split_off(m * width);
    let total: f64 = row.iter().sum();
    if !total.is_finite() || total <= 0.0 {
        return Err(StatsError::input(
            "exact Mann-Whitney distribution overflowed",
        ));
    }
    Ok(row)
}

/// Smallest subset size still worth tracking after `element`: a smaller subset cannot reach
/// m members with the elements left.
fn live_from(m: usize, n: usize, element: usize) -> usize {
    m.saturating_sub(m + n - 1 - element).max(1)
}

/// Largest statistic a j-subset of {0..=element} reaches: j * (element + 1 - j).
fn reachable(j: usize, element: usize, max_u: usize) -> usize {
    (j * (element + 1 - j)).min(max_u)
}

/// Table cells the subset-sum recursion updates for sizes `m <= n` up to statistic `max_u`.
fn exact_work(m: usize, n: usize, max_u: usize) -> f64 {
    let mut work = 0.0;
    for element in 0..(m + n) {
        for j in live_from(m, n, element)..=m.min(element + 1) {
            let (shift, top) = (element + 1 - j, reachable(j, element, max_u));
            if top >= shift {
                work += (top - shift + 1) as f64;
            }
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u_distribution_is_symmetric_and_sums_to_one() {
        let pmf = u_distribution(3, 4).unwrap();
        assert_eq!(pmf.len(), 13);
        assert!((pmf.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        for u in 0..13 {
            assert!((pmf[u] - pmf[12 - u]).abs() < 1e-15);
        }
        // U = 0 needs every x below every y: one arrangement out of C(7,3) = 35.
        assert!((pmf[0] - 1.0 / 35.0).abs() < 1e-16);
    }

    #[test]
    fn u_distribution_matches_brute_force_enumeration() {
        // Every way to choose which 3 of 8 ranks belong to x; U = rank sum - 3*4/2.
        let (m, n) = (3usize, 5usize);
        let mut counts = vec![0u32; m * n + 1];
        for mask in 0u32..(1 << (m + n)) {
            if mask.count_ones() as usize == m {
                let sum: usize = (0..m + n)
                    .filter(|i| mask >> i & 1 == 1)
                    .map(|i| i + 1)
                    .sum();
                counts[sum - m * (m + 1) / 2] += 1;
            }
        }
        let total: u32 = counts.iter().sum();
        let pmf = u_distribution(m, n).unwrap();
        for (u, c) in counts.iter().enumerate() {
            assert!(
                (pmf[u] - f64::from(*c) / f64::from(total)).abs() < 1e-16,
                "u={u}"
            );
        }
    }

    #[test]
    fn asymptotic_approaches_exact_for_larger_samples() {
        let x: Vec<f64> = (0..20).map(|i| f64::from(i) * 1.7 % 13.0 + 0.01).collect();
        let y: Vec<f64> = (0..25).map(|i| f64::from(i) * 2.3 % 11.0 + 1.02).collect();
        let alt = Alternative::TwoSided;
        let e = mannwhitneyu(&x, &y, true, alt, MwuMethod::Exact).unwrap();
        let a = mannwhitneyu(&x, &y, true, alt, MwuMethod::Asymptotic).unwrap();
        assert_eq!(e.statistic, a.statistic);
        assert!((e.pvalue - a.pvalue).abs() < 0.01, "{e:?} {a:?}");
    }

    #[test]
    fn oversized_exact_request_is_refused_not_attempted() {
        assert!(u_distribution(2000, 2000).is_err());
    }

    #[test]
    fn complete_separation_exact_p() {
        let x = [1.0, 2.0, 3.0];
        let y = [4.0, 5.0, 6.0, 7.0];
        let r = mannwhitneyu(&x, &y, true, Alternative::Less, MwuMethod::Exact).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert!((r.pvalue - 1.0 / 35.0).abs() < 1e-16);
        let g = mannwhitneyu(&x, &y, true, Alternative::Greater, MwuMethod::Exact).unwrap();
        assert_eq!(g.pvalue, 1.0);
    }

    #[test]
    fn statistic_is_antisymmetric_in_samples() {
        let x = [0.3, 1.2, 2.2, 2.2, 5.0];
        let y = [1.0, 2.2, 3.0, 4.0];
        let a = mannwhitneyu(&x, &y, true, Alternative::TwoSided, MwuMethod::Auto).unwrap();
        let b = mannwhitneyu(&y, &x, true, Alternative::TwoSided, MwuMethod::Auto).unwrap();
        assert_eq!(a.statistic + b.statistic, 20.0);
        assert!((a.pvalue - b.pvalue).abs() < 1e-15);
    }

    #[test]
    fn empty_or_nan_input_is_refused() {
        let two = Alternative::TwoSided;
        assert!(mannwhitneyu(&[], &[1.0], true, two, MwuMethod::Auto).is_err());
        assert!(mannwhitneyu(&[f64::NAN], &[1.0], true, two, MwuMethod::Auto).is_err());
    }

    #[test]
    fn every_value_tied_gives_scipys_p() {
        // scipy 1.17: p = 1.0 with the continuity correction (z = -inf), NaN without (0/0).
        let (x, y) = ([3.0; 4], [3.0; 5]);
        for alt in [
            Alternative::TwoSided,
            Alternative::Less,
            Alternative::Greater,
        ] {
            let c = mannwhitneyu(&x, &y, true, alt, MwuMethod::Asymptotic).unwrap();
            assert_eq!((c.statistic, c.pvalue), (10.0, 1.0), "{alt:?}");
            let n = mannwhitneyu(&x, &y, false, alt, MwuMethod::Asymptotic).unwrap();
            assert!(n.pvalue.is_nan(), "{alt:?}");
        }
    }

    #[test]
    fn exact_distribution_reaches_200_by_200() {
        // scipy 1.17.1: mannwhitneyu(x, y, method='exact') on the fixture's modseq samples
        // (tests/fixtures/stats/mannwhitneyu.json, case mw_exact_200).
        let seq = |n: i64, a: i64, c: i64, m: i64, off: f64| -> Vec<f64> {
            (0..n)
                .map(|i| ((a * i + c) % m) as f64 / m as f64 + off)
                .collect()
        };
        let (x, y) = (seq(200, 37, 11, 1009, 0.0), seq(200, 53, 7, 1013, 0.05));
        let r = mannwhitneyu(&x, &y, true, Alternative::TwoSided, MwuMethod::Exact).unwrap();
        assert_eq!(r.statistic, 18103.0);
        let want = 0.10096844787271003;
        assert!((r.pvalue - want).abs() <= 1e-9 * want, "{}", r.pvalue);
    }
}
