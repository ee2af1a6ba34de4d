//! Directed statistics of one surface's distances to the other: area-weighted mean,
//! percentile, maximum and the area within a tolerance (METRICS.md section 4.4).

/// Statistics of the distances from the surfels of X to the surface of Y.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Directed {
    /// Total surfel area of X in mm².
    pub area: f64,
    /// Σ d·a, for the pooled mean.
    pub weighted_sum: f64,
    /// Σ d·a / Σ a.
    pub mean: f64,
    pub max: f64,
    /// The requested percentile (95 for HD95).
    pub percentile: f64,
    /// Area of the surfels with d <= tolerance, one per requested tolerance.
    pub area_within: Vec<f64>,
}

/// Sort (distance, area) pairs and reduce them exactly as surface-distance does.
///
/// Pairs are sorted by distance, then area (Python's tuple order); totals are numpy's
/// pairwise sums over that order and the cumulative fractions a sequential cumsum, so every
/// value is bit-identical to surface-distance's, including which side of 0.95 a cumulative
/// fraction falls on. The percentile is the first sorted distance whose cumulative area
/// fraction reaches `percent / 100`, clamped to the last element (`np.searchsorted`, left).
/// The pairs may come in any order; their buffer is reused for the sort keys.
pub(crate) fn directed(pairs: Vec<(f64, f64)>, percent: f64, tolerances: &[f64]) -> Directed {
    let pairs = sort_pairs(pairs);
    let distance = |n: usize| pairs[n].0;
    let area_at = |n: usize| pairs[n].1;
    let area = pairwise_by(pairs.len(), &area_at);
    let weighted_sum = pairwise_by(pairs.len(), &|n| distance(n) * area_at(n));
    let target = percent / 100.0;
    let mut cumulative = 0.0;
    let last = pairs.last().map_or(f64::NAN, |p| p.0);
    let mut percentile = last;
    for &(d, a) in &pairs {
        cumulative += a;
        if cumulative / area >= target {
            percentile = d;
            break;
        }
    }
    let area_within = tolerances
        .iter()
        .map(|&t| pairwise_by(pairs.partition_point(|p| p.0 <= t), &area_at))
        .collect();
    Directed {
        area,
        weighted_sum,
        mean: weighted_sum / area,
        max: last,
        percentile,
        area_within,
    }
}

/// The (distance, area) pairs in tuple order under `f64::total_cmp`.
///
/// Each pair becomes an integer key pair, sorted as one u128: integer comparisons are
/// several times cheaper than two chained `total_cmp` calls, and equal keys are equal
/// pairs, so an unstable sort gives one sequence. Keys and pairs have the same size and
/// alignment, so both conversions reuse the buffer.
fn sort_pairs(pairs: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut keys: Vec<(u64, u64)> = pairs
        .into_iter()
        .map(|(d, a)| (order_key(d), order_key(a)))
        .collect();
    keys.sort_unstable_by_key(|&(d, a)| (u128::from(d) << 64) | u128::from(a));
    keys.into_iter()
        .map(|(d, a)| (from_order_key(d), from_order_key(a)))
        .collect()
}

/// An unsigned key whose integer order is `f64::total_cmp`'s order: negative values have
/// every bit flipped, the others only the sign bit.
fn order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`order_key`].
fn from_order_key(key: u64) -> f64 {
    if key >> 63 == 1 {
        f64::from_bits(key & !(1 << 63))
    } else {
        f64::from_bits(!key)
    }
}

/// numpy's pairwise summation of a contiguous float64 array (`np.sum`), reproduced
/// operation for operation: sequential below 8 elements, eight accumulators up to 128, and
/// halves rounded down to a multiple of 8 above. Besides matching numpy bit for bit, it keeps
/// the rounding error of 350 000 small areas at O(log n) ulps.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    pairwise_by(a.len(), &|n| a[n])
}

/// [`pairwise_sum`] of the n values `value(0..n)`, without storing them.
fn pairwise_by(n: usize, value: &impl Fn(usize) -> f64) -> f64 {
    pairwise_range(0, n, value)
}

fn pairwise_range(from: usize, n: usize, value: &impl Fn(usize) -> f64) -> f64 {
    if n < 8 {
        return (from..from + n).fold(0.0, |acc, i| acc + value(i));
    }
    if n <= 128 {
        let mut r: [f64; 8] = std::array::from_fn(|i| value(from + i));
        let whole = n - n % 8;
        for block in (from + 8..from + whole).step_by(8) {
            for (i, acc) in r.iter_mut().enumerate() {
                *acc += value(block + i);
            }
        }
        let head = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        return (from + whole..from + n).fold(head, |acc, i| acc + value(i));
    }
    let half = n / 2 - (n / 2) % 8;
    pairwise_range(from, half, value) + pairwise_range(from + half, n - half, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_first_distance_reaching_the_fraction() {
        let pairs = vec![(3.0, 1.0), (1.0, 1.0), (2.0, 1.0), (4.0, 1.0)];
        assert_eq!(directed(pairs.clone(), 50.0, &[]).percentile, 2.0);
        assert_eq!(directed(pairs.clone(), 51.0, &[]).percentile, 3.0);
        assert_eq!(directed(pairs, 100.0, &[]).percentile, 4.0);
    }

    #[test]
    fn order_keys_sort_like_total_cmp() {
        let mut values = vec![
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            3.0,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for &x in &values {
            assert_eq!(from_order_key(order_key(x)).to_bits(), x.to_bits());
        }
        let mut by_key = values.clone();
        by_key.sort_by_key(|&x| order_key(x));
        values.sort_by(f64::total_cmp);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_key), bits(&values));
    }

    #[test]
    fn pairs_sort_by_distance_then_area() {
        let pairs = vec![(2.0, 0.5), (1.0, 3.0), (2.0, 0.25), (0.0, 1.0)];
        let sorted = sort_pairs(pairs);
        assert_eq!(
            sorted,
            vec![(0.0, 1.0), (1.0, 3.0), (2.0, 0.25), (2.0, 0.5)]
        );
    }

    #[test]
    fn pairwise_by_matches_the_slice_version_at_every_size() {
        let values: Vec<f64> = (0..1000).map(|i| 1.0 / (i as f64 + 3.0)).collect();
        for n in [0, 1, 7, 8, 9, 127, 128, 129, 136, 300, 1000] {
            let direct = pairwise_sum(&values[..n]);
            // Sums of all but the first value, through an offset range.
            let offset = pairwise_range(1, n.saturating_sub(1), &|i| values[i]);
            assert_eq!(pairwise_by(n, &|i| values[i]).to_bits(), direct.to_bits());
            assert_eq!(
                offset.to_bits(),
                pairwise_sum(&values[1..n.max(1)]).to_bits()
            );
        }
    }

    #[test]
    fn pairwise_sum_matches_numpy_bit_for_bit() {
        // np.sum(np.full(n, 0.1)) under NumPy 2.4; plain summation gives different bits.
        for (n, want) in [
            (130, 12.999999999999998),
            (1000, 100.00000000000001),
            (4097, 409.70000000000005),
        ] {
            assert_eq!(pairwise_sum(&vec![0.1; n]), want, "n = {n}");
        }
    }

    #[test]
    fn mean_and_tolerance_are_area_weighted() {
        let r = directed(vec![(1.0, 3.0), (3.0, 1.0)], 95.0, &[1.0, 2.9]);
        assert_eq!(r.mean, 1.5);
        assert_eq!(r.area_within, vec![3.0, 3.0]);
        assert_eq!(r.max, 3.0);
    }
}
