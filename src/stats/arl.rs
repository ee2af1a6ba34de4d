//! Average run length (ARL) of the tabular CUSUM with normal observations, and the design of its
//! decision interval h for a target in-control ARL0 (the mean number of windows between false
//! alarms). A regulator-facing monitor states both numbers: how often it cries wolf, and how
//! fast it sees a given shift (ARL1).
//!
//! The one-sided ARL solves the Page integral equation
//!   L(u) = 1 + Φ(k − u − δ)·L(0) + ∫₀ʰ L(y)·φ(y − u + k − δ) dy
//! by Nyström's method on Gauss-Legendre nodes (accurate to ~1e-6 relative with 64 nodes; the
//! Brook-Evans Markov chain needs hundreds of states for that). The two-sided ARL combines the
//! two sides as 1/ARL = 1/ARL⁺ + 1/ARL⁻ (exact for k > 0 and no head start, Lucas & Crosier).
//! Siegmund's closed-form approximation is also given for a quick check.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::StatsError;

const NODES: usize = 64;

/// One-sided (upper) CUSUM ARL for a mean shift `delta` (in σ), starting at C₀ = `start`·h.
pub fn arl_one_sided(k: f64, h: f64, delta: f64, start: f64) -> Result<f64, StatsError> {
    arl_one_sided_on(NODES, k, h, delta, start)
}

/// [`arl_one_sided`] on `nodes` quadrature nodes (fewer is faster; about three per unit of
/// h keeps the relative error below 1e-4).
pub fn arl_one_sided_on(
    nodes: usize,
    k: f64,
    h: f64,
    delta: f64,
    start: f64,
) -> Result<f64, StatsError> {
    Ok(arl_one_sided_pair_on(nodes, k, h, delta, start)?.1)
}

/// The one-sided ARL from zero and from `start`·h, from one solve of Page's equation.
pub fn arl_one_sided_pair_on(
    nodes: usize,
    k: f64,
    h: f64,
    delta: f64,
    start: f64,
) -> Result<(f64, f64), StatsError> {
    if h.is_nan()
        || h <= 0.0
        || !k.is_finite()
        || !delta.is_finite()
        || !(0.0..1.0).contains(&start)
    {
        return Err(StatsError::input(
            "ARL needs h > 0, finite k and delta, 0 <= headstart < 1",
        ));
    }
    let std = Normal::standard();
    let n_nodes = nodes.max(2);
    let (nodes, weights) = gauss_legendre(n_nodes, 0.0, h);
    let m = n_nodes + 1;
    // Unknowns: L(0), L(y_1..y_M). Row r evaluates the equation at u_r ∈ {0, y_1, ...}.
    let us: Vec<f64> = std::iter::once(0.0).chain(nodes.iter().copied()).collect();
    let mut a = vec![0.0; m * m];
    for (r, &u) in us.iter().enumerate() {
        a[r * m] -= std.cdf(k - u - delta);
        for j in 0..n_nodes {
            a[r * m + j + 1] -= weights[j] * std.pdf(nodes[j] - u + k - delta);
        }
        a[r * m + r] += 1.0;
    }
    let l = solve(a, vec![1.0; m], m)?;
    let u0 = start * h;
    // Nyström interpolation at the start value.
    let mut arl = 1.0 + std.cdf(k - u0 - delta) * l[0];
    for j in 0..n_nodes {
        arl += weights[j] * std.pdf(nodes[j] - u0 + k - delta) * l[j + 1];
    }
    Ok((l[0], arl))
}

/// Two-sided CUSUM ARL (upper and lower sides with the same k and h) for a shift `delta`.
pub fn arl_two_sided(k: f64, h: f64, delta: f64, start: f64) -> Result<f64, StatsError> {
    let up = arl_one_sided(k, h, delta, start)?;
    let down = arl_one_sided(k, h, -delta, start)?;
    Ok(1.0 / (1.0 / up + 1.0 / down))
}

/// Siegmund's approximation of the one-sided ARL: (e^{−2Δb} + 2Δb − 1)/(2Δ²), Δ = δ − k,
/// b = h + 1.166; b² when Δ = 0.
pub fn arl_siegmund_one_sided(k: f64, h: f64, delta: f64) -> f64 {
    let d = delta - k;
    let b = h + 1.166;
    if d.abs() < 1e-12 {
        return b * b;
    }
    ((-2.0 * d * b).exp() + 2.0 * d * b - 1.0) / (2.0 * d * d)
}

/// Two-sided Siegmund approximation.
pub fn arl_siegmund_two_sided(k: f64, h: f64, delta: f64) -> f64 {
    1.0 / (1.0 / arl_siegmund_one_sided(k, h, delta) + 1.0 / arl_siegmund_one_sided(k, h, -delta))
}

/// A CUSUM design: h for the target in-control ARL, and the out-of-control ARL at `shift`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CusumDesign {
    pub k: f64,
    pub h: f64,
    pub arl0: f64,
    pub shift: f64,
    pub arl1: f64,
    pub arl0_siegmund: f64,
    pub arl1_siegmund: f64,
}

/// Smallest h (to 1e-9) whose two-sided in-control ARL reaches `target_arl0`.
pub fn design_cusum(
    k: f64,
    target_arl0: f64,
    shift: f64,
    two_sided: bool,
) -> Result<CusumDesign, StatsError> {
    if target_arl0.is_nan() || target_arl0 <= 1.0 || k.is_nan() || k < 0.0 {
        return Err(StatsError::input("cusum_design needs arl0 > 1 and k >= 0"));
    }
    let arl = |h: f64, d: f64| {
        if two_sided {
            arl_two_sided(k, h, d, 0.0)
        } else {
            arl_one_sided(k, h, d, 0.0)
        }
    };
    let (mut lo, mut hi) = (1e-6, 1.0);
    while arl(hi, 0.0)? < target_arl0 {
        lo = hi;
        hi *= 2.0;
        if hi > 1e3 {
            return Err(StatsError::input("target ARL0 is out of reach"));
        }
    }
    while hi - lo > 1e-9 {
        let mid = 0.5 * (lo + hi);
        if arl(mid, 0.0)? < target_arl0 {
            lo = mid
        } else {
            hi = mid
        }
    }
    let sieg = |d: f64| {
        if two_sided {
            arl_siegmund_two_sided(k, hi, d)
        } else {
            arl_siegmund_one_sided(k, hi, d)
        }
    };
    Ok(CusumDesign {
        k,
        h: hi,
        arl0: arl(hi, 0.0)?,
        shift,
        arl1: arl(hi, shift)?,
        arl0_siegmund: sieg(0.0),
        arl1_siegmund: sieg(shift),
    })
}

/// Gauss-Legendre nodes and weights on [a, b] (Newton iteration on P_n).
fn gauss_legendre(n: usize, a: f64, b: f64) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut w) = (vec![0.0; n], vec![0.0; n]);
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    for i in 0..n.div_ceil(2) {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, z);
            for j in 2..=n {
                let p2 = ((2 * j - 1) as f64 * z * p1 - (j - 1) as f64 * p0) / j as f64;
                p0 = p1;
                p1 = p2;
            }
            dp = n as f64 * (z * p1 - p0) / (z * z - 1.0);
            let dz = p1 / dp;
            z -= dz;
            if dz.abs() < 1e-15 {
                break;
            }
        }
        let wi = 2.0 / ((1.0 - z * z) * dp * dp) * half;
        x[i] = mid - half * z;
        x[n - 1 - i] = mid + half * z;
        w[i] = wi;
        w[n - 1 - i] = wi;
    }
    (x, w)
}

/// Gaussian elimination with partial pivoting on a dense m×m system.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, m: usize) -> Result<Vec<f64>, StatsError> {
    for c in 0..m {
        let piv = (c..m)
            .max_by(|&i, &j| a[i * m + c].abs().total_cmp(&a[j * m + c].abs()))
            .unwrap_or(c);
        if a[piv * m + c].abs() < 1e-300 {
            return Err(StatsError::input("ARL system is singular"));
        }
        if piv != c {
            for j in 0..m {
                a.swap(c * m + j, piv * m + j);
            }
            b.swap(c, piv);
        }
        for r in (c + 1)..m {
            let f = a[r * m + c] / a[c * m + c];
            if f != 0.0 {
                for j in c..m {
                    a[r * m + j] -= f * a[c * m + j];
                }
                b[r] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; m];
    for r in (0..m).rev() {
        let s: f64 = ((r + 1)..m).map(|j| a[r * m + j] * x[j]).sum();
        x[r] = (b[r] - s) / a[r * m + r];
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn montgomery_table_values() {
        // Montgomery, Table 9.3 (k = 0.5): h = 4 → ARL0 168, ARL(1σ) 8.38; h = 5 → 465, 10.4.
        let a0 = arl_two_sided(0.5, 4.0, 0.0, 0.0).unwrap();
        assert!((a0 - 168.0).abs() / 168.0 < 0.01, "{a0}");
        let a1 = arl_two_sided(0.5, 4.0, 1.0, 0.0).unwrap();
        assert!((a1 - 8.38).abs() / 8.38 < 0.01, "{a1}");
        let a0 = arl_two_sided(0.5, 5.0, 0.0, 0.0).unwrap();
        assert!((a0 - 465.0).abs() / 465.0 < 0.01, "{a0}");
    }

    #[test]
    fn design_inverts_the_arl() {
        let d = design_cusum(0.5, 370.0, 1.0, true).unwrap();
        assert!((d.arl0 - 370.0).abs() < 1e-3);
        assert!(d.h > 4.0 && d.h < 5.0 && d.arl1 < 12.0);
    }
}
