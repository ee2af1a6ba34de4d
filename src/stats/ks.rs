//! Two-sample Kolmogorov-Smirnov test with scipy 1.17's `ks_2samp` conventions: the statistic,
//! its location and sign from the ECDF difference; exact p-values by lattice-path counting
//! (`exact`, for max(n1, n2) <= 10000 under `auto`), with scipy's snap of D to a multiple of
//! 1/lcm and its fall-back to `asymp` when the lattice is too large; asymptotic two-sided p from
//! the finite-n `kstwo` distribution at round(n1·n2/(n1+n2)), one-sided from Hodges' formula.
//!
//! A drift monitor compares many current windows with one reference, so `ks_2samp_sorted`
//! takes both samples already sorted and does one merge pass: the frozen reference is sorted
//! once when it is prepared, never again.

use super::StatsError;
use super::kstwo::kstwo_sf;

/// Alternative hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    TwoSided,
    Less,
    Greater,
}

/// How the p-value is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsMethod {
    /// Exact if max(n1, n2) <= 10000, else asymptotic (scipy's rule).
    Auto,
    Exact,
    Asymp,
}

/// Result of `ks_2samp`, with scipy's field meanings.
#[derive(Debug, Clone, PartialEq)]
pub struct KsResult {
    pub statistic: f64,
    pub pvalue: f64,
    /// The value of the pooled sample where the ECDF difference is largest.
    pub statistic_location: f64,
    /// +1 when the ECDF of x is above that of y there, -1 otherwise.
    pub statistic_sign: i8,
    /// The method actually used (`Exact` or `Asymp`).
    pub method_used: KsMethod,
    /// Messages scipy would emit as warnings (e.g. exact falling back to asymp).
    pub warnings: Vec<String>,
}

const MAX_AUTO_N: usize = 10_000;

/// `scipy.stats.ks_2samp(x, y, alternative, method)` on unsorted samples (NaN refused).
pub fn ks_2samp(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
    method: KsMethod,
) -> Result<KsResult, StatsError> {
    let mut xs = x.to_vec();
    let mut ys = y.to_vec();
    sort_finite(&mut xs)?;
    sort_finite(&mut ys)?;
    ks_2samp_sorted(&xs, &ys, alternative, method)
}

/// Sort in place; NaN is refused because scipy's result with NaN is meaningless.
pub fn sort_finite(v: &mut [f64]) -> Result<(), StatsError> {
    if v.iter().any(|x| x.is_nan()) {
        return Err(StatsError::input("ks_2samp: samples must not contain NaN"));
    }
    super::fast_sort::sort_in_place(v);
    Ok(())
}

/// `ks_2samp` on two samples already sorted ascending (no NaN).
pub fn ks_2samp_sorted(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
    method: KsMethod,
) -> Result<KsResult, StatsError> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return Err(StatsError::input(
            "Data passed to ks_2samp must not be empty",
        ));
    }
    let ext = ecdf_extremes(x, y);
    let min_s = (-ext.min_diff).clamp(0.0, 1.0);
    let (d, location, sign) = if alternative == Alternative::Less
        || (alternative == Alternative::TwoSided && min_s > ext.max_diff)
    {
        (min_s, ext.min_loc, -1i8)
    } else {
        (ext.max_diff, ext.max_loc, 1i8)
    };
    let (pvalue, d, method_used, warnings) = p_value(n1, n2, d, alternative, method);
    Ok(KsResult {
        statistic: d,
        pvalue: pvalue.clamp(0.0, 1.0),
        statistic_location: location,
        statistic_sign: sign,
        method_used,
        warnings,
    })
}

fn p_value(
    n1: usize,
    n2: usize,
    d: f64,
    alternative: Alternative,
    method: KsMethod,
) -> (f64, f64, KsMethod, Vec<String>) {
    let g = gcd(n1 as u64, n2 as u64);
    let (n1g, n2g) = (n1 as u64 / g, n2 as u64 / g);
    let mut warnings = Vec::new();
    let mut mode = match method {
        KsMethod::Auto if n1.max(n2) <= MAX_AUTO_N => KsMethod::Exact,
        KsMethod::Auto => KsMethod::Asymp,
        KsMethod::Exact if n1g as f64 >= i32::MAX as f64 / n2g as f64 => {
            warnings.push(fallback_message(n1, n2));
            KsMethod::Asymp
        }
        m => m,
    };
    let mut d = d;
    if mode == KsMethod::Exact {
        let (ok, snapped, prob) = attempt_exact(n1 as u64, n2 as u64, g, d, alternative);
        d = snapped;
        if ok {
            return (prob, d, KsMethod::Exact, warnings);
        }
        warnings.push(fallback_message(n1, n2));
        mode = KsMethod::Asymp;
    }
    debug_assert_eq!(mode, KsMethod::Asymp);
    (
        asymp_p(n1, n2, d, alternative),
        d,
        KsMethod::Asymp,
        warnings,
    )
}

fn fallback_message(n1: usize, n2: usize) -> String {
    format!(
        "Exact ks_2samp calculation not possible with samples sizes {n1} and {n2}. Switching to 'asymp'."
    )
}

/// Asymptotic p: two-sided `kstwo.sf(d, round(en))`, one-sided Hodges' eq. 5.3.
pub fn asymp_p(n1: usize, n2: usize, d: f64, alternative: Alternative) -> f64 {
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = m * n / (m + n);
    match alternative {
        Alternative::TwoSided => kstwo_sf(d, en.round_ties_even()),
        _ => {
            let z = en.sqrt() * d;
            let expt = -2.0 * z * z - 2.0 * z * (m + 2.0 * n) / (m * n * (m + n)).sqrt() / 3.0;
            expt.exp()
        }
    }
}

struct Extremes {
    max_diff: f64,
    max_loc: f64,
    min_diff: f64,
    min_loc: f64,
}

/// Running extremes of the ECDF difference over the values present in one sample.
#[derive(Clone, Copy)]
struct Best {
    max: f64,
    max_loc: f64,
    min: f64,
    min_loc: f64,
}

impl Best {
    const EMPTY: Best = Best {
        max: f64::NEG_INFINITY,
        max_loc: f64::NAN,
        min: f64::INFINITY,
        min_loc: f64::NAN,
    };

    #[inline]
    fn update(&mut self, diff: f64, v: f64) {
        if diff > self.max {
            (self.max, self.max_loc) = (diff, v);
        }
        if diff < self.min {
            (self.min, self.min_loc) = (diff, v);
        }
    }
}

/// Index just past the run of values equal to `v` starting at `i`.
#[inline]
fn skip_equal(s: &[f64], mut i: usize, v: f64) -> usize {
    while i < s.len() && s[i] == v {
        i += 1;
    }
    i
}

/// One merge pass over the sorted samples: the largest and smallest ECDF difference and where
/// numpy's argmax/argmin over `concat(x, y)` would find them (first occurrence: values of x
/// before values of y, each ascending). The differences are `i/n1 − j/n2` with the same
/// divisions as numpy, so D agrees to the last bit.
fn ecdf_extremes(x: &[f64], y: &[f64]) -> Extremes {
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let (mut bx, mut by) = (Best::EMPTY, Best::EMPTY);
    let (mut i, mut j) = (0usize, 0usize);
    while i < x.len() && j < y.len() {
        let (a, b) = (x[i], y[j]);
        if a < b {
            i = skip_equal(x, i, a);
            bx.update(i as f64 / n1 - j as f64 / n2, a);
        } else if b < a {
            j = skip_equal(y, j, b);
            by.update(i as f64 / n1 - j as f64 / n2, b);
        } else {
            i = skip_equal(x, i, a);
            j = skip_equal(y, j, b);
            let diff = i as f64 / n1 - j as f64 / n2;
            bx.update(diff, a);
            by.update(diff, b);
        }
    }
    while i < x.len() {
        let a = x[i];
        i = skip_equal(x, i, a);
        bx.update(i as f64 / n1 - j as f64 / n2, a);
    }
    while j < y.len() {
        let b = y[j];
        j = skip_equal(y, j, b);
        by.update(i as f64 / n1 - j as f64 / n2, b);
    }
    let (max_diff, max_loc) = if bx.max >= by.max {
        (bx.max, bx.max_loc)
    } else {
        (by.max, by.max_loc)
    };
    let (min_diff, min_loc) = if bx.min <= by.min {
        (bx.min, bx.min_loc)
    } else {
        (by.min, by.min_loc)
    };
    Extremes {
        max_diff,
        max_loc,
        min_diff,
        min_loc,
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// scipy's `_attempt_exact_2kssamp`: snap D to h/lcm, then count lattice paths. Returns
/// (success, snapped d, p); failure means a floating-point problem and a fall-back to asymp.
fn attempt_exact(n1: u64, n2: u64, g: u64, d: f64, alternative: Alternative) -> (bool, f64, f64) {
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as u64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return (true, d, 1.0);
    }
    let prob = match alternative {
        Alternative::TwoSided if n1 == n2 => prob_outside_square(n1, h),
        Alternative::TwoSided => outer_prob_inside(n1, n2, g, h),
        _ if n1 == n2 => (0..h).fold(1.0, |p, j| {
            p * ((n1 - j) as f64 / (n1 as f64 + j as f64 + 1.0))
        }),
        _ => {
            let paths = super::ks_paths::count_paths_outside(n1, n2, g, h);
            let total = super::ks_paths::binom(n1 + n2, n1);
            if !paths.is_finite() || !total.is_finite() || paths > total {
                return (false, d, f64::NAN);
            }
            paths / total
        }
    };
    if !prob.is_finite() || !(0.0..=1.0).contains(&prob) {
        return (false, d, prob);
    }
    (true, d, prob)
}

/// P(D_{n,n} >= h/n) for equal sizes: 2·(A0(1 − A1(1 − A2(...)))) in a Horner-like form that
/// avoids the cancellation of the alternating binomial sum.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    let (nf, hf) = (n as f64, h as f64);
    while k >= 0 {
        let kh = k as f64 * hf;
        let mut p1 = 1.0;
        for j in 0..h {
            let jf = j as f64;
            p1 = (nf - kh - jf) * p1 / (nf + kh + jf + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Share of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm, by
/// Viehmann's recursion for 1 − p inside a sliding window of one column (Hodges' inside method).
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n {
        (n as i64, m as i64)
    } else {
        (m as i64, n as i64)
    };
    let (mg, ng, h) = (m / g as i64, n / g as i64, h as i64);
    let mut minj = 0i64;
    let mut maxj = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    a[minj as usize..maxj as usize]
        .iter_mut()
        .for_each(|v| *v = 0.0);
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = (jj + minj) as f64;
            val = (a[(jj + minj - lastminj) as usize] * fi + val * j) / (fi + j);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let from = ((maxj - minj) as usize).min(a.len());
            let to = (from + (lastlen - curlen) as usize).min(a.len());
            a[from..to].iter_mut().for_each(|v| *v = 1.0);
        }
    }
    a[(maxj - minj - 1) as usize]
}

fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}
