//! Wilcoxon signed-rank test as scipy 1.17 computes it: zero handling (wilcox, pratt,
//! zsplit), exact null distribution, normal approximation with tie and zero adjustments and
//! optional continuity correction, and `auto` (which may run an exhaustive sign-flip
//! permutation test). Used for paired comparisons such as a model against its predecessor on
//! the same studies.

use super::StatsError;
use super::alternative::Alternative;
use super::mannwhitneyu::sign_of;
use super::ranks::average_ranks;
use super::special::{norm_cdf, norm_sf};

/// Treatment of zero differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeroMethod {
    /// Drop zeros before ranking.
    Wilcox,
    /// Rank zeros, then leave their ranks out of R+ and R-.
    Pratt,
    /// Rank zeros and split their rank sum between R+ and R-.
    Zsplit,
}

/// How the p-value is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WilcoxonMethod {
    Exact,
    Asymptotic,
    /// scipy's rule: asymptotic for n > 50; exact without ties and zeros; an exhaustive
    /// permutation test for n <= 13 with ties or zeros; asymptotic otherwise.
    Auto,
}

/// Statistic (min(R+, R-) two-sided, R+ one-sided), p-value and, for the normal
/// approximation, the z statistic (scipy reports `-|z|` two-sided).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WilcoxonResult {
    pub statistic: f64,
    pub pvalue: f64,
    pub zstatistic: Option<f64>,
}

/// Rank sums and normal-approximation moments of one set of differences.
struct Ranked {
    r_plus: f64,
    r_minus: f64,
    /// Ranks of the non-zero differences that a sign flip moves between R+ and R-.
    flip_ranks: Vec<f64>,
    /// Part of R+ that no sign flip changes (half the zero ranks under zsplit).
    fixed_plus: f64,
    count: usize,
    se: f64,
    z: f64,
    has_ties: bool,
}

fn rank_differences(d: &[f64], zero_method: ZeroMethod) -> Ranked {
    let used: Vec<f64> = match zero_method {
        ZeroMethod::Wilcox => d.iter().copied().filter(|v| *v != 0.0).collect(),
        _ => d.to_vec(),
    };
    let abs: Vec<f64> = used.iter().map(|v| v.abs()).collect();
    let (ranks, ties) = average_ranks(&abs);
    let count = used.len() as f64;
    let mut r_plus = 0.0;
    let mut r_minus = 0.0;
    let mut r_zero = 0.0;
    let mut flip_ranks = Vec::new();
    for (v, r) in used.iter().zip(&ranks) {
        if *v > 0.0 {
            r_plus += r;
        } else if *v < 0.0 {
            r_minus += r;
        } else {
            r_zero += r;
            continue;
        }
        flip_ranks.push(*r);
    }
    let has_ties = ties.iter().any(|&t| t > 1);
    let fixed_plus = if zero_method == ZeroMethod::Zsplit {
        r_zero / 2.0
    } else {
        0.0
    };
    r_plus += fixed_plus;
    r_minus += fixed_plus;
    let n_zero = used.iter().filter(|v| **v == 0.0).count();
    let (mn, se) = null_moments(count, n_zero, &ties, zero_method);
    Ranked {
        r_plus,
        r_minus,
        flip_ranks,
        fixed_plus,
        count: used.len(),
        se,
        z: (r_plus - mn) / se,
        has_ties,
    }
}

/// Mean and standard error of R+ under H0 for the normal approximation, with the tie
/// correction and, under pratt, Cureton's adjustment for the zeros.
fn null_moments(count: f64, n_zero: usize, ties: &[usize], zero_method: ZeroMethod) -> (f64, f64) {
    let mut mn = count * (count + 1.0) * 0.25;
    let mut var24 = count * (count + 1.0) * (2.0 * count + 1.0);
    // Zeros are the smallest |d|, so under pratt they form the first tie group, which the
    // tie correction leaves out.
    let mut tie_groups = ties;
    if zero_method == ZeroMethod::Pratt && n_zero > 0 {
        let z0 = n_zero as f64;
        mn -= z0 * (z0 + 1.0) * 0.25;
        var24 -= z0 * (z0 + 1.0) * (2.0 * z0 + 1.0);
        tie_groups = &ties[1..];
    }
    let tie_correct: f64 = tie_groups
        .iter()
        .map(|&t| (t as f64).powi(3) - t as f64)
        .sum();
    (mn, ((var24 - tie_correct / 2.0) / 24.0).sqrt())
}

/// Differences `x - y`, or `x` itself for the one-sample test; NaN is refused.
fn differences(x: &[f64], y: Option<&[f64]>) -> Result<Vec<f64>, StatsError> {
    let d: Vec<f64> = match y {
        Some(y) if y.len() != x.len() => {
            return Err(StatsError::input("`x` and `y` must have the same length"));
        }
        Some(y) => x.iter().zip(y).map(|(a, b)| a - b).collect(),
        None => x.to_vec(),
    };
    if d.iter().any(|v| v.is_nan()) {
        return Err(StatsError::input("`x` and `y` must not contain NaNs"));
    }
    Ok(d)
}

/// Wilcoxon signed-rank test of the differences `x - y` (or of `x` alone).
pub fn wilcoxon(
    x: &[f64],
    y: Option<&[f64]>,
    zero_method: ZeroMethod,
    correction: bool,
    alternative: Alternative,
    method: WilcoxonMethod,
) -> Result<WilcoxonResult, StatsError> {
    let d = differences(x, y)?;
    if d.is_empty() {
        return Ok(WilcoxonResult {
            statistic: f64::NAN,
            pvalue: f64::NAN,
            zstatistic: (method == WilcoxonMethod::Asymptotic).then_some(f64::NAN),
        });
    }
    let ranked = rank_differences(&d, zero_method);
    let n_zero = d.iter().filter(|v| **v == 0.0).count();
    let resolved = match method {
        WilcoxonMethod::Auto if d.len() > 50 => Resolved::Asymptotic,
        WilcoxonMethod::Auto if !(ranked.has_ties || n_zero > 0) => Resolved::Exact,
        WilcoxonMethod::Auto if d.len() <= 13 => Resolved::Permutation,
        WilcoxonMethod::Auto | WilcoxonMethod::Asymptotic => Resolved::Asymptotic,
        WilcoxonMethod::Exact => Resolved::Exact,
    };
    let mut z = ranked.z;
    let pvalue = match resolved {
        Resolved::Asymptotic => {
            if correction {
                let sign = match alternative {
                    Alternative::Greater => 1.0,
                    Alternative::Less => -1.0,
                    Alternative::TwoSided => sign_of(z),
                };
                z -= sign * 0.5 / ranked.se;
            }
            normal_pvalue(z, alternative)
        }
        Resolved::Exact => exact_pvalue(ranked.r_plus, ranked.count, alternative)?,
        Resolved::Permutation => permutation_pvalue(&ranked, alternative),
    };
    let statistic = match alternative {
        Alternative::TwoSided => ranked.r_plus.min(ranked.r_minus),
        _ => ranked.r_plus,
    };
    let zstatistic = (method == WilcoxonMethod::Asymptotic).then(|| match alternative {
        Alternative::TwoSided => -z.abs(),
        _ => z,
    });
    Ok(WilcoxonResult {
        statistic,
        pvalue,
        zstatistic,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolved {
    Exact,
    Asymptotic,
    Permutation,
}

fn normal_pvalue(z: f64, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::Less => norm_cdf(z),
        Alternative::Greater => norm_sf(z),
        Alternative::TwoSided => 2.0 * norm_sf(z.abs()),
    }
}

/// Largest n for the exact distribution; 2^n sign patterns are summarised in n(n+1)/2 + 1
/// cells, so this bounds memory and time, not precision.
const EXACT_MAX_N: usize = 1_000;

/// Null distribution of R+ for n untied, non-zero differences.
pub fn signed_rank_distribution(n: usize) -> Result<Vec<f64>, StatsError> {
    if n > EXACT_MAX_N {
        return Err(StatsError::input(format!(
            "exact Wilcoxon distribution for n={n} is too large; use method 'asymptotic'"
        )));
    }
    let max = n * (n + 1) / 2;
    let mut pmf = vec![0.0f64; max + 1];
    pmf[0] = 1.0;
    // Adding rank r: R+ keeps its value (sign -) or grows by r (sign +), each with prob 1/2.
    for r in 1..=n {
        let top = r * (r + 1) / 2;
        for s in (r..=top).rev() {
            pmf[s] = 0.5 * (pmf[s] + pmf[s - r]);
        }
        for v in pmf.iter_mut().take(r) {
            *v *= 0.5;
        }
    }
    Ok(pmf)
}

fn exact_pvalue(r_plus: f64, count: usize, alternative: Alternative) -> Result<f64, StatsError> {
    let pmf = signed_rank_distribution(count)?;
    let max = pmf.len() as f64 - 1.0;
    // Non-integral R+ (ties, zsplit) is floored for the sf and ceiled for the cdf.
    let sf_at = |k: f64| -> f64 {
        let k = k.clamp(0.0, max + 1.0) as usize;
        pmf.get(k..).map_or(0.0, |t| t.iter().sum())
    };
    let cdf_at = |k: f64| -> f64 {
        if k < 0.0 {
            return 0.0;
        }
        let k = k.min(max) as usize;
        pmf[..=k].iter().sum()
    };
    Ok(match alternative {
        Alternative::Less => cdf_at(r_plus.ceil()),
        Alternative::Greater => sf_at(r_plus.floor()),
        Alternative::TwoSided => {
            (2.0 * sf_at(r_plus.floor()).min(cdf_at(r_plus.ceil()))).clamp(0.0, 1.0)
        }
    })
}

/// Exhaustive sign-flip permutation test on R+ (scipy's `permutation_test` with
/// `permutation_type='samples'`, which is deterministic for n <= 13). Flipping a zero changes
/// nothing, so only non-zero differences are enumerated; the proportions are the same.
fn permutation_pvalue(ranked: &Ranked, alternative: Alternative) -> f64 {
    let m = ranked.flip_ranks.len();
    let observed = ranked.r_plus;
    let gamma = (observed * f64::EPSILON * 100.0).abs();
    let total = 1u64 << m;
    let (mut n_le, mut n_ge) = (0u64, 0u64);
    for mask in 0..total {
        let mut stat = ranked.fixed_plus;
        for (i, r) in ranked.flip_ranks.iter().enumerate() {
            if mask >> i & 1 == 1 {
                stat += r;
            }
        }
        n_le += u64::from(stat <= observed + gamma);
        n_ge += u64::from(stat >= observed - gamma);
    }
    let less = n_le as f64 / total as f64;
    let greater = n_ge as f64 / total as f64;
    match alternative {
        Alternative::Less => less,
        Alternative::Greater => greater,
        Alternative::TwoSided => (2.0 * less.min(greater)).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_matches_counts_for_n3() {
        // Subsets of {1,2,3} by sum: 0,1,2,{3,3},4,5,6 -> counts 1,1,1,2,1,1,1 over 8.
        let pmf = signed_rank_distribution(3).unwrap();
        let want = [1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0].map(|c| c / 8.0);
        assert_eq!(pmf, want.to_vec());
    }

    #[test]
    fn all_zero_differences_give_nan_asymptotically() {
        let r = wilcoxon(
            &[0.0, 0.0, 0.0],
            None,
            ZeroMethod::Pratt,
            false,
            Alternative::TwoSided,
            WilcoxonMethod::Asymptotic,
        )
        .unwrap();
        assert!(r.pvalue.is_nan());
    }

    #[test]
    fn paired_equals_one_sample_of_differences() {
        let x = [1.0, 2.5, 3.0, 4.2, 0.1];
        let y = [0.5, 2.0, 3.3, 1.0, 0.0];
        let d: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a - b).collect();
        let (zm, alt, m) = (
            ZeroMethod::Wilcox,
            Alternative::Greater,
            WilcoxonMethod::Exact,
        );
        let a = wilcoxon(&x, Some(&y), zm, false, alt, m).unwrap();
        let b = wilcoxon(&d, None, zm, false, alt, m).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn permutation_equals_exact_without_ties_or_zeros() {
        // Without ties and zeros the exhaustive sign-flip test enumerates exactly the null
        // distribution the exact method tabulates.
        let d = [1.1, -2.3, 3.7, 4.2, -0.5, 6.1, 7.9, 0.8, -9.4];
        let ranked = rank_differences(&d, ZeroMethod::Wilcox);
        for alt in [
            Alternative::TwoSided,
            Alternative::Less,
            Alternative::Greater,
        ] {
            let perm = permutation_pvalue(&ranked, alt);
            let exact = exact_pvalue(ranked.r_plus, ranked.count, alt).unwrap();
            assert!((perm - exact).abs() < 1e-15, "{alt:?}: {perm} {exact}");
        }
    }

    #[test]
    fn large_n_uses_normal_approximation_and_stays_in_range() {
        let d: Vec<f64> = (1..=2000).map(|i| f64::from(i % 97) - 47.5).collect();
        let r = wilcoxon(
            &d,
            None,
            ZeroMethod::Wilcox,
            true,
            Alternative::TwoSided,
            WilcoxonMethod::Auto,
        )
        .unwrap();
        assert!(r.pvalue > 0.0 && r.pvalue <= 1.0);
        assert!(r.zstatistic.is_none());
    }

    #[test]
    fn exact_one_sided_extreme_is_two_to_the_minus_n() {
        let d: Vec<f64> = (1..=40).map(f64::from).collect();
        let (zm, m) = (ZeroMethod::Wilcox, WilcoxonMethod::Exact);
        let r = wilcoxon(&d, None, zm, false, Alternative::Greater, m).unwrap();
        assert_eq!(r.pvalue, 2f64.powi(-40));
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        let r = wilcoxon(
            &[1.0, 2.0],
            Some(&[1.0]),
            ZeroMethod::Wilcox,
            false,
            Alternative::TwoSided,
            WilcoxonMethod::Auto,
        );
        assert!(r.is_err());
    }
}
