//! numpy's pairwise summation (`np.sum` on a contiguous f64 array), reproduced so that sums of
//! shares, costs and terms round exactly as in the reference values: below 8 values a plain loop,
//! up to 128 values eight interleaved accumulators, above that a recursive split at a multiple
//! of 8.

/// Sum as numpy does for a contiguous float64 array.
pub fn np_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |s, &x| s + x);
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i + 8 <= n {
            for (k, acc) in r.iter_mut().enumerate() {
                *acc += a[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[i..] {
            res += x;
        }
        return res;
    }
    let mut n2 = n / 2;
    n2 -= n2 % 8;
    np_sum(&a[..n2]) + np_sum(&a[n2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_exact_sums_and_orders_like_numpy() {
        let v: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        assert_eq!(np_sum(&v), 499_500.0);
        assert_eq!(np_sum(&[0.1, 0.2, 0.3]), 0.1 + 0.2 + 0.3);
        // Eight accumulators: 0.1 lands in its own lane and is added last.
        let mut w = vec![1e16; 8];
        w.push(1.0);
        w.push(1.0);
        assert_eq!(np_sum(&w), 8e16 + 1.0 + 1.0);
    }
}
