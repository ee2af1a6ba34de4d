//! Binning for the histogram distances (PSI, Jensen-Shannon, Hellinger). Two modes:
//!
//! * `evidently`: Evidently 0.7's `get_binned_data` exactly. A numerical column with more than
//!   20 distinct reference values gets Sturges equal-width bins over reference AND current
//!   combined (numpy's float arithmetic, integer columns widened to width 1); any other column
//!   gets one bin per distinct value of reference ∪ current. Its edges move with every current
//!   window, so values are not comparable over time.
//! * `reference_quantiles` (Vigil's default): edges are reference quantiles, frozen when the
//!   reference is prepared, with open outer bins so every future value falls in a bin. Values
//!   computed months apart use the same bins and can be trended.
//!
//! Both share Evidently's zero smoothing for PSI: zero shares become min_nonzero/1e6 (when that
//! minimum is at most 1e-4) or 1e-4, per sample, without renormalising.

use std::collections::BTreeMap;

use super::StatsError;
use super::fixture_sample::Sample;

/// Shares per bin of reference and current, aligned, before smoothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    pub ref_shares: Vec<f64>,
    pub cur_shares: Vec<f64>,
    /// Histogram edges (histogram branch) or empty (one bin per value).
    pub edges: Vec<f64>,
}

/// Drop NaN and ±inf, as Evidently's report does before binning.
pub fn finite(v: &[f64]) -> Vec<f64> {
    v.iter().copied().filter(|x| x.is_finite()).collect()
}

/// Evidently's binning of two samples of the same kind.
pub fn evidently_binning(reference: &Sample, current: &Sample) -> Result<Binned, StatsError> {
    match (reference, current) {
        (Sample::Categorical(r), Sample::Categorical(c)) => {
            let keys: Vec<&str> = sorted_keys(r.iter().chain(c).map(String::as_str));
            Ok(per_value(
                &keys,
                r.iter().map(String::as_str),
                c.iter().map(String::as_str),
                r.len(),
                c.len(),
            ))
        }
        (Sample::Categorical(_), _) | (_, Sample::Categorical(_)) => Err(StatsError::invalid(
            "reference and current must both be numeric or both categorical",
        )),
        _ => {
            let integer =
                matches!(reference, Sample::Integer(_)) && matches!(current, Sample::Integer(_));
            let r = finite(reference.as_f64().unwrap_or_default());
            let c = finite(current.as_f64().unwrap_or_default());
            if r.is_empty() || c.is_empty() {
                return Err(StatsError::input(
                    "reference and current need at least one finite value",
                ));
            }
            evidently_numeric(&r, &c, integer)
        }
    }
}

fn evidently_numeric(r: &[f64], c: &[f64], integer: bool) -> Result<Binned, StatsError> {
    let mut sorted_r = r.to_vec();
    sorted_r.sort_unstable_by(f64::total_cmp);
    let n_unique = 1 + sorted_r.windows(2).filter(|w| w[0] != w[1]).count();
    if n_unique > 20 {
        let edges = sturges_edges(r, c, integer);
        let ref_shares = histogram(&edges, r)
            .iter()
            .map(|&k| k as f64 / r.len() as f64)
            .collect();
        let cur_shares = histogram(&edges, c)
            .iter()
            .map(|&k| k as f64 / c.len() as f64)
            .collect();
        return Ok(Binned {
            ref_shares,
            cur_shares,
            edges,
        });
    }
    // One bin per distinct value; keys by bit pattern of the value (no NaN here, -0 == 0).
    let key = |x: &f64| {
        if *x == 0.0 {
            0.0f64.to_bits()
        } else {
            x.to_bits()
        }
    };
    let mut counts: BTreeMap<u64, (f64, u64, u64)> = BTreeMap::new();
    for x in r {
        counts.entry(key(x)).or_insert((*x, 0, 0)).1 += 1;
    }
    for x in c {
        counts.entry(key(x)).or_insert((*x, 0, 0)).2 += 1;
    }
    let mut bins: Vec<(f64, u64, u64)> = counts.into_values().collect();
    bins.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Binned {
        ref_shares: bins.iter().map(|b| b.1 as f64 / r.len() as f64).collect(),
        cur_shares: bins.iter().map(|b| b.2 as f64 / c.len() as f64).collect(),
        edges: Vec::new(),
    })
}

fn sorted_keys<'a>(it: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut keys: Vec<&str> = it.collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn per_value<'a>(
    keys: &[&str],
    r: impl Iterator<Item = &'a str>,
    c: impl Iterator<Item = &'a str>,
    nr: usize,
    nc: usize,
) -> Binned {
    let count = |it: &mut dyn Iterator<Item = &'a str>| {
        let mut k = vec![0u64; keys.len()];
        for s in it {
            if let Ok(i) = keys.binary_search(&s) {
                k[i] += 1;
            }
        }
        k
    };
    let (mut r, mut c) = (r, c);
    let (rk, ck) = (count(&mut r), count(&mut c));
    Binned {
        ref_shares: rk.iter().map(|&k| k as f64 / nr as f64).collect(),
        cur_shares: ck.iter().map(|&k| k as f64 / nc as f64).collect(),
        edges: Vec::new(),
    }
}

/// `np.histogram_bin_edges(concat(r, c), bins="sturges")` with numpy's float steps: width =
/// ptp/(log2(N)+1) (at least 1 for integer dtypes), count = ceil(ptp/width), edges by linspace.
pub fn sturges_edges(r: &[f64], c: &[f64], integer: bool) -> Vec<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in r.iter().chain(c) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let ptp = hi - lo;
    if lo == hi {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let n = (r.len() + c.len()) as f64;
    let mut width = ptp / (n.log2() + 1.0);
    let n_bins = if width != 0.0 {
        if integer && width < 1.0 {
            width = 1.0;
        }
        ((hi - lo) / width).ceil() as usize
    } else {
        1
    };
    linspace(lo, hi, n_bins + 1)
}

/// numpy's `linspace(start, stop, num)` with endpoint: i·step + start, last set to stop.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut v: Vec<f64> = (0..num)
        .map(|i| {
            if step == 0.0 {
                i as f64 / div * delta + start
            } else {
                i as f64 * step + start
            }
        })
        .collect();
    if let Some(last) = v.last_mut() {
        *last = stop;
    }
    v
}

/// `np.histogram(values, edges)` counts: bins [e_i, e_{i+1}), the last one closed; values
/// outside [e_0, e_last] are not counted.
pub fn histogram(edges: &[f64], values: &[f64]) -> Vec<u64> {
    let nb = edges.len().saturating_sub(1);
    let mut counts = vec![0u64; nb];
    let (first, last) = (edges[0], edges[nb]);
    for &v in values {
        if !(v >= first && v <= last) {
            continue;
        }
        let i = edges
            .partition_point(|&e| e <= v)
            .saturating_sub(1)
            .min(nb - 1);
        counts[i] += 1;
    }
    counts
}

/// Evidently's zero smoothing for PSI, in place, one sample at a time.
pub fn smooth_zeros(shares: &mut [f64]) {
    let min_nonzero = shares
        .iter()
        .copied()
        .filter(|&s| s != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !min_nonzero.is_finite() {
        return;
    }
    let eps = if min_nonzero <= 1e-4 {
        min_nonzero / 1e6
    } else {
        1e-4
    };
    shares
        .iter_mut()
        .filter(|s| **s == 0.0)
        .for_each(|s| *s = eps);
}

/// Interior quantile edges of a sorted reference (numpy's linear interpolation), deduplicated.
/// With open outer bins, `edges.len() + 1` bins cover the whole real line.
pub fn quantile_edges(sorted_ref: &[f64], bins: usize) -> Vec<f64> {
    let mut edges: Vec<f64> = (1..bins)
        .map(|k| quantile_sorted(sorted_ref, k as f64 / bins as f64))
        .collect();
    edges.dedup();
    edges
}

/// Quantile of a sorted sample by numpy's default (linear) method.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Counts per open-ended quantile bin: bin i holds edges[i-1] <= v < edges[i]. NaN is skipped.
pub fn quantile_counts(edges: &[f64], values: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; edges.len() + 1];
    for &v in values {
        if !v.is_nan() {
            counts[edges.partition_point(|&e| e <= v)] += 1;
        }
    }
    counts
}

/// Counts per quantile bin for a sorted sample, by one binary search per edge.
pub fn quantile_counts_sorted(edges: &[f64], sorted: &[f64]) -> Vec<u64> {
    let end = sorted.partition_point(|v| !v.is_nan());
    let sorted = &sorted[..end];
    let mut prev = 0usize;
    let mut counts = Vec::with_capacity(edges.len() + 1);
    for &e in edges {
        let pos = sorted.partition_point(|&v| v < e);
        counts.push((pos - prev) as u64);
        prev = pos;
    }
    counts.push((sorted.len() - prev) as u64);
    counts
}

/// Vigil's frozen binning of two numeric samples: quantile edges from the reference.
pub fn reference_quantile_binning(reference: &[f64], current: &[f64], bins: usize) -> Binned {
    let mut r = finite(reference);
    r.sort_unstable_by(f64::total_cmp);
    let edges = quantile_edges(&r, bins.max(1));
    let c = finite(current);
    let rk = quantile_counts_sorted(&edges, &r);
    let ck = quantile_counts(&edges, &c);
    Binned {
        ref_shares: rk
            .iter()
            .map(|&k| k as f64 / r.len().max(1) as f64)
            .collect(),
        cur_shares: ck
            .iter()
            .map(|&k| k as f64 / c.len().max(1) as f64)
            .collect(),
        edges,
    }
}

/// Categories of the reference (sorted) plus one trailing bucket for categories it never saw.
pub fn reference_category_binning(reference: &[String], current: &[String]) -> Binned {
    let keys = sorted_keys(reference.iter().map(String::as_str));
    let mut b = per_value(
        &keys,
        reference.iter().map(String::as_str),
        current.iter().map(String::as_str),
        reference.len().max(1),
        current.len().max(1),
    );
    let unseen = current
        .iter()
        .filter(|s| keys.binary_search(&s.as_str()).is_err())
        .count();
    b.ref_shares.push(0.0);
    b.cur_shares
        .push(unseen as f64 / current.len().max(1) as f64);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sturges_gives_the_fixture_edges_and_integer_width_rule() {
        let r: Vec<f64> = (0..=20)
            .flat_map(|v| std::iter::repeat_n(v as f64, 5))
            .collect();
        let c: Vec<f64> = (2..=22)
            .flat_map(|v| std::iter::repeat_n(v as f64, 4))
            .collect();
        let e = sturges_edges(&r, &c, false);
        assert_eq!(e.len(), 10);
        assert_eq!(e[1], 2.4444444444444446);
        assert_eq!(e[9], 22.0);
        let ri: Vec<f64> = (0..22)
            .flat_map(|v| std::iter::repeat_n(v as f64, 30_000))
            .collect();
        assert_eq!(sturges_edges(&ri, &ri, true).len(), 22);
    }

    #[test]
    fn quantile_bins_are_open_at_both_ends() {
        let r: Vec<f64> = (0..100).map(f64::from).collect();
        let e = quantile_edges(&r, 4);
        assert_eq!(e, vec![24.75, 49.5, 74.25]);
        assert_eq!(
            quantile_counts(&e, &[-1e9, 24.75, 1e9, f64::NAN]),
            vec![1, 1, 0, 1]
        );
        assert_eq!(quantile_counts_sorted(&e, &r), vec![25, 25, 25, 25]);
        let mut s = vec![0.5, 0.0, 0.5];
        smooth_zeros(&mut s);
        assert_eq!(s, vec![0.5, 1e-4, 0.5]);
    }
}
