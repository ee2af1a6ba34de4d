//! Sorting of f64 columns by LSD radix sort on order-preserving integer keys. A drift check
//! sorts every current numeric column once (KS and Wasserstein need the ECDF); at a million rows
//! a radix sort is several times faster than a comparison sort, and the check's time is
//! dominated by exactly this step.

/// Map an f64 to a u64 whose unsigned order is the numeric order (-0 before +0; NaN excluded
/// by the caller).
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
        .filter(|v| !v.is_nan())
        .map(|&v| key(v))
        .collect();
    radix_sort_u64(&mut keys);
    keys.into_iter().map(unkey).collect()
}

/// Sort the values in place (NaN must have been removed).
pub fn sort_in_place(values: &mut [f64]) {
    if values.len() < 4096 {
        values.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    radix_sort_u64(&mut keys);
    for (v, k) in values.iter_mut().zip(keys) {
        *v = unkey(k);
    }
}

/// LSD radix sort with 11-bit digits (six passes, tables stay in L1/L2); passes whose digit is
/// constant over all keys are skipped.
pub fn radix_sort_u64(keys: &mut Vec<u64>) {
    if keys.len() < 4096 {
        keys.sort_unstable();
        return;
    }
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    const PASSES: usize = 6;
    let mut buf = vec![0u64; keys.len()];
    let mut counts = vec![0usize; BUCKETS * PASSES];
    for &k in keys.iter() {
        for pass in 0..PASSES {
            counts[pass * BUCKETS + ((k >> (pass as u32 * BITS)) as usize & (BUCKETS - 1))] += 1;
        }
    }
    for pass in 0..PASSES {
        let c = &mut counts[pass * BUCKETS..(pass + 1) * BUCKETS];
        if c.contains(&keys.len()) {
            continue; // every key has the same digit: this pass would not move anything
        }
        let mut sum = 0;
        for n in c.iter_mut() {
            let t = *n;
            *n = sum;
            sum += t;
        }
        let shift = pass as u32 * BITS;
        for &k in keys.iter() {
            let d = (k >> shift) as usize & (BUCKETS - 1);
            buf[c[d]] = k;
            c[d] += 1;
        }
        std::mem::swap(keys, &mut buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_total_cmp_without_nan() {
        let mut x: Vec<f64> = (0..10_000)
            .map(|i| ((i * 7919) % 10_007) as f64 - 5000.5)
            .collect();
        x.extend([-0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY, 1e-310, -1e-310]);
        let mut want = x.clone();
        want.sort_by(f64::total_cmp);
        let got = sorted_finite_copy(&x);
        assert_eq!(got.len(), want.len());
        assert!(
            got.iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        let mut y = x.clone();
        sort_in_place(&mut y);
        assert!(y.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
