//! Distances between a reference and a current distribution: PSI and Jensen-Shannon on binned
//! shares, Hellinger, and the 1-Wasserstein distance on raw values (with weights, as scipy's
//! `wasserstein_distance`) and Evidently's variant normed by the reference standard deviation.
//! Sums use numpy's pairwise order so results agree with the Python references to the last bits.

use super::StatsError;
use super::np_sum::np_sum;

/// Population stability index Σ (r − c)·ln(r/c) on already smoothed shares.
pub fn psi(ref_shares: &[f64], cur_shares: &[f64]) -> f64 {
    let terms: Vec<f64> = ref_shares
        .iter()
        .zip(cur_shares)
        .map(|(&r, &c)| (r - c) * (r / c).ln())
        .collect();
    np_sum(&terms)
}

/// scipy's `rel_entr(x, y)`: x·ln(x/y), 0 when x = 0, +inf when the support does not match.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// `scipy.spatial.distance.jensenshannon(p, q, base)`: both vectors are divided by their sums,
/// m = (p+q)/2, JS = sqrt((KL(p‖m) + KL(q‖m))/2), natural log unless `base` is given. The
/// divergence is clamped at 0 before the square root, where scipy returns NaN for vectors
/// that differ only in the last bits (case `js_vec_tiny_diff`).
pub fn jensenshannon(p: &[f64], q: &[f64], base: Option<f64>) -> Result<f64, StatsError> {
    if p.len() != q.len() || p.is_empty() {
        return Err(StatsError::input(
            "p and q must have the same non-zero length",
        ));
    }
    let (sp, sq) = (np_sum(p), np_sum(q));
    let p: Vec<f64> = p.iter().map(|v| v / sp).collect();
    let q: Vec<f64> = q.iter().map(|v| v / sq).collect();
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
    let left: Vec<f64> = p.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let right: Vec<f64> = q.iter().zip(&m).map(|(&a, &b)| rel_entr(a, b)).collect();
    let mut js = np_sum(&left) + np_sum(&right);
    if let Some(b) = base {
        js /= b.ln();
    }
    Ok((js / 2.0).max(0.0).sqrt())
}

/// Hellinger distance sqrt(Σ (√p − √q)²)/√2 on shares (0 = same, 1 = disjoint).
pub fn hellinger(p: &[f64], q: &[f64]) -> f64 {
    let terms: Vec<f64> = p
        .iter()
        .zip(q)
        .map(|(a, b)| (a.sqrt() - b.sqrt()).powi(2))
        .collect();
    np_sum(&terms).sqrt() / std::f64::consts::SQRT_2
}

/// `scipy.stats.wasserstein_distance(u, v, u_weights, v_weights)` for 1-D samples.
pub fn wasserstein(
    u: &[f64],
    v: &[f64],
    uw: Option<&[f64]>,
    vw: Option<&[f64]>,
) -> Result<f64, StatsError> {
    let (us, uws) = validate(u, uw)?;
    let (vs, vws) = validate(v, vw)?;
    let mut all: Vec<f64> = us.iter().chain(&vs).map(|p| p.0).collect();
    all.sort_by(f64::total_cmp);
    let ucdf = cdf_at(&us, uws.as_deref(), &all);
    let vcdf = cdf_at(&vs, vws.as_deref(), &all);
    let terms: Vec<f64> = (0..all.len() - 1)
        .map(|i| (ucdf[i] - vcdf[i]).abs() * (all[i + 1] - all[i]))
        .collect();
    Ok(np_sum(&terms))
}

type Sorted = Vec<(f64, usize)>;

fn validate(x: &[f64], w: Option<&[f64]>) -> Result<(Sorted, Option<Vec<f64>>), StatsError> {
    if x.is_empty() {
        return Err(StatsError::input("Distribution can't be empty."));
    }
    if x.iter().any(|v| v.is_nan()) {
        return Err(StatsError::input(
            "wasserstein_distance: values must not be NaN",
        ));
    }
    let mut s: Sorted = x.iter().copied().zip(0..).collect();
    s.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(w) = w else { return Ok((s, None)) };
    if w.len() != x.len() {
        return Err(StatsError::input(
            "Value and weight array-likes for the same empirical distribution must be of the same size.",
        ));
    }
    if w.iter().any(|&v| !v.is_finite() || v < 0.0) {
        return Err(StatsError::input("All weights must be non-negative."));
    }
    if np_sum(w) <= 0.0 {
        return Err(StatsError::input("Weight array-like sum must be positive."));
    }
    let mut cum = Vec::with_capacity(w.len() + 1);
    cum.push(0.0);
    let mut acc = 0.0;
    for p in &s {
        acc += w[p.1];
        cum.push(acc);
    }
    Ok((s, Some(cum)))
}

/// CDF of the sorted sample at each `all[i]` (i < len−1), searchsorted 'right'.
fn cdf_at(sorted: &Sorted, cum: Option<&[f64]>, all: &[f64]) -> Vec<f64> {
    let n = sorted.len() as f64;
    let mut k = 0usize;
    all[..all.len() - 1]
        .iter()
        .map(|&a| {
            while k < sorted.len() && sorted[k].0 <= a {
                k += 1;
            }
            match cum {
                None => k as f64 / n,
                Some(c) => c[k] / c[c.len() - 1],
            }
        })
        .collect()
}

/// Population standard deviation as `np.std(x)` (ddof 0, two-pass, pairwise sums).
pub fn np_std(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = np_sum(x) / n;
    let sq: Vec<f64> = x.iter().map(|v| (v - mean).abs().powi(2)).collect();
    (np_sum(&sq) / n).sqrt()
}

/// Evidently's normed Wasserstein: W1(ref, cur) / max(std(ref, ddof=0), 0.001).
pub fn wasserstein_normed(distance: f64, ref_std: f64) -> f64 {
    distance / ref_std.max(0.001)
}

/// W1 between two unweighted sorted samples in one merge pass, without allocation: the area
/// between the two ECDFs. Used by column drift, where the reference is sorted once.
pub fn wasserstein_sorted(u: &[f64], v: &[f64]) -> f64 {
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut prev = f64::NAN;
    let mut total = 0.0;
    let mut comp = 0.0; // Kahan compensation: a million terms must not drift.
    while i < u.len() || j < v.len() {
        let x = match (u.get(i), v.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        if !prev.is_nan() {
            let term = ((i as f64 / nu) - (j as f64 / nv)).abs() * (x - prev) - comp;
            let t = total + term;
            comp = (t - total) - term;
            total = t;
        }
        while i < u.len() && u[i] == x {
            i += 1;
        }
        while j < v.len() && v[j] == x {
            j += 1;
        }
        prev = x;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scipy_docstring_values() {
        let w = wasserstein(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0], None, None).unwrap();
        assert!((w - 5.0).abs() < 1e-12);
        let w = wasserstein(
            &[0.0, 1.0],
            &[0.0, 1.0],
            Some(&[3.0, 1.0]),
            Some(&[2.0, 2.0]),
        )
        .unwrap();
        assert!((w - 0.25).abs() < 1e-12);
        let ws = wasserstein_sorted(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]);
        assert!((ws - 5.0).abs() < 1e-12);
        let js = jensenshannon(&[1.0, 0.0], &[0.0, 1.0], Some(2.0)).unwrap();
        assert!((js - 1.0).abs() < 1e-15);
        assert!(hellinger(&[1.0, 0.0], &[0.0, 1.0]) - 1.0 < 1e-15);
    }
}
