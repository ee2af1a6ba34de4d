//! Exact one-sided two-sample KS tail for unequal sizes: the number of lattice paths that cross
//! the diagonal band once (Hodges' "outside" method, scipy's `_count_paths_outside_method`),
//! divided by C(m+n, n). Split from `ks.rs` to keep that file readable.

use statrs::function::gamma::ln_gamma;

/// Binomial coefficient C(n, k) as f64 (inf when it overflows), like `scipy.special.binom`.
pub fn binom(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    if k < 64 {
        let mut r = 1.0f64;
        for i in 1..=k {
            r = r * (n - k + i) as f64 / i as f64;
        }
        return r;
    }
    let (nf, kf) = (n as f64, k as f64);
    (ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0)).exp()
}

/// Number of paths from (0,0) to (m,n) that reach the line n·x/m + h/(m/g) ... (one side only).
pub fn count_paths_outside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = (m / g, n / g);
    let (mg_i, h_i) = (mg as i64, h as i64);
    // x values where n·x/m + ng·h crosses an integer.
    let lxj = n as i64 + (mg_i - h_i).div_euclid(mg_i);
    if lxj <= 0 {
        return binom(m + n, n);
    }
    let lxj = lxj as u64;
    let xj: Vec<u64> = (0..lxj).map(|j| (h + mg * j).div_ceil(ng)).collect();
    let mut b = vec![0.0f64; lxj as usize];
    b[0] = 1.0;
    for j in 1..lxj as usize {
        let mut bj = binom(xj[j] + j as u64, j as u64);
        for i in 0..j {
            bj -= binom(xj[j] - xj[i] + (j - i) as u64, (j - i) as u64) * b[i];
        }
        b[j] = bj;
    }
    (0..lxj as usize)
        .map(|j| b[j] * binom((m - xj[j]) + (n - j as u64), n - j as u64))
        .sum()
}
