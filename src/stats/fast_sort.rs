//! Sorting of f64 columns for the drift check. Every current numeric column is sorted once (KS
//! and Wasserstein need the ECDF), and at a million rows this is most of the check's time.
//! Values are mapped to u64 keys whose unsigned order is the numeric order and sorted as
//! integers: an integer comparison is cheaper than `f64::total_cmp`, which re-derives both keys
//! on every comparison. Measured at 10^6 rows: about 30% faster than sorting the f64 values with
//! `total_cmp`; LSD radix and bucketed variants were slower on this (memory-bound) machine.

/// Map an f64 to a u64 whose unsigned order is the numeric order (-0 before +0; no NaN).
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

fn unkey(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Sorted copy of the non-NaN values of `values`.
pub fn sorted_finite_copy(values: &[f64]) -> Vec<f64> {
    let mut keys: Vec<u64> = values
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&v| key(v))
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(unkey).collect()
}

/// Sort the values in place (NaN must have been removed).
pub fn sort_in_place(values: &mut [f64]) {
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    keys.sort_unstable();
    for (v, k) in values.iter_mut().zip(keys) {
        *v = unkey(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_total_cmp_without_nan() {
        let mut x: Vec<f64> = (0..100_000)
            .map(|i| ((i * 7919) % 100_003) as f64 - 5000.5)
            .collect();
        x.extend([
            -0.0,
            0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-310,
            -1e-310,
            f64::NAN,
        ]);
        let mut want: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
        want.sort_by(f64::total_cmp);
        let got = sorted_finite_copy(&x);
        assert_eq!(got.len(), want.len());
        assert!(
            got.iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        let mut constant = vec![2.5; 70_000];
        sort_in_place(&mut constant);
        assert!(constant.iter().all(|&v| v == 2.5));
    }
}
