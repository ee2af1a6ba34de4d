//! Exact Euclidean distances from one surface's surfels to the nearest surfel of another.
//!
//! A separable distance transform with anisotropic spacing, restricted to the corner grid
//! of the union's bounding box:
//! 1. along axis 0, per row: the offset to the nearest feature in the row (integer);
//! 2. along axis 1, per column of each slice: Felzenszwalb-Huttenlocher's lower envelope of
//!    parabolas, keeping the argmin as an (axis-0, axis-1) offset pair in 2 x i16;
//! 3. along axis 2, only at the query surfels: an outward scan over slices that stops as
//!    soon as the axis-2 term alone exceeds the best distance found.
//!
//! Storing offsets instead of distances halves the memory of an f64 map, and every
//! candidate is evaluated as `((di*s0)^2 + (dj*s1)^2) + (dk*s2)^2` from integer offsets, the
//! summation order of surface-distance's (scipy's) distance transform. Slices are processed in
//! parallel in steps 1-2, queries in parallel in step 3.

use rayon::prelude::*;

use super::error::MaskError;
use super::surface::{Surface, Surfel};

/// Offsets of the nearest feature within a slice: (axis 0, axis 1).
type Offset = [i16; 2];

/// `((d as f64) * s)^2` for every offset d along one axis, so each term is computed once and
/// is bit-identical wherever it is used.
fn squares(n: usize, s: f64) -> Vec<f64> {
    (0..n).map(|d| (d as f64 * s) * (d as f64 * s)).collect()
}

/// Per-thread scratch for one slice.
struct SliceScratch {
    dx: Vec<i16>,
    has_row: Vec<bool>,
    positions: Vec<usize>,
    v: Vec<usize>,
    h: Vec<f64>,
    /// Left end of each stack entry's interval as a fraction `z / zd` (zd > 0).
    z: Vec<f64>,
    zd: Vec<f64>,
}

/// Columns (i, j) that hold at least one query: only those are ever read by step 3, so step
/// 2 evaluates and stores nothing else (a blob's shadow covers about half of the box).
struct Needed {
    c1: usize,
    /// Per column, stored column-major (`j + c1*i`), its slot in a slice of the offset buffer
    /// or `u32::MAX`. Slots are numbered in the same order, so step 2, which walks j for a
    /// fixed i, reads and writes memory sequentially.
    slot: Vec<u32>,
    /// Per i, whether any column (i, j) is needed.
    any_in: Vec<bool>,
    /// Slots per slice.
    count: usize,
}

impl Needed {
    fn new(queries: &[Surfel], c: [usize; 3]) -> Self {
        let mut slot = vec![u32::MAX; c[0] * c[1]];
        let mut any_in = vec![false; c[0]];
        for q in queries {
            let (i, j) = (q.pos[0] as usize, q.pos[1] as usize);
            slot[j + c[1] * i] = 0;
            any_in[i] = true;
        }
        let mut count = 0usize;
        for s in slot.iter_mut().filter(|s| **s == 0) {
            // At most c0*c1 <= 2^30 columns (both below 2^15), so the slot fits in u32.
            *s = count as u32;
            count += 1;
        }
        Self {
            c1: c[1],
            slot,
            any_in,
            count,
        }
    }

    /// The slots of column i, indexed by j.
    fn column(&self, i: usize) -> &[u32] {
        &self.slot[i * self.c1..(i + 1) * self.c1]
    }

    fn slot(&self, i: usize, j: usize) -> Option<usize> {
        let s = self.slot[j + self.c1 * i];
        (s != u32::MAX).then_some(s as usize)
    }
}

/// Distances in mm from every query surfel to the nearest surfel of `features`.
///
/// `offsets` is a reusable buffer (it is resized, and its old contents never read).
pub(crate) fn directed_distances(
    features: &Surface,
    queries: &[Surfel],
    spacing: [f64; 3],
    offsets: &mut Vec<Offset>,
) -> Result<Vec<f64>, MaskError> {
    let c = features.corners;
    if c[0] > i16::MAX as usize || c[1] > i16::MAX as usize {
        return Err(MaskError::TooLarge {
            voxels: (c[0] * c[1]) as u64,
            limit: 32767,
        });
    }
    if queries.is_empty() {
        return Ok(Vec::new());
    }
    let sq: [Vec<f64>; 3] = std::array::from_fn(|a| squares(c[a], spacing[a]));
    let slice_len = c[0] * c[1];
    let needed = Needed::new(queries, c);
    offsets.resize(needed.count * c[2], [0, 0]);
    let filled: Vec<bool> = offsets
        .par_chunks_mut(needed.count)
        .enumerate()
        .map_init(
            || SliceScratch {
                dx: vec![0; slice_len],
                has_row: vec![false; c[1]],
                positions: Vec::new(),
                v: vec![0; c[1]],
                h: vec![0.0; c[1]],
                z: vec![0.0; c[1] + 1],
                zd: vec![1.0; c[1] + 1],
            },
            |scratch, (k, out)| {
                transform_slice(features, k, spacing[1], &sq, &needed, scratch, out)
            },
        )
        .collect();
    let grid = Grid {
        c,
        sq: &sq,
        offsets,
        filled: &filled,
        needed: &needed,
    };
    Ok(queries.par_iter().map(|q| grid.nearest(q.pos)).collect())
}

/// Steps 1 and 2 for slice k; returns whether the slice holds any feature.
fn transform_slice(
    features: &Surface,
    k: usize,
    s1: f64,
    sq: &[Vec<f64>; 3],
    needed: &Needed,
    s: &mut SliceScratch,
    out: &mut [Offset],
) -> bool {
    let [c0, c1, _] = features.corners;
    let mut any = false;
    for j in 0..c1 {
        let row = features.row(j, k);
        s.positions.clear();
        for (n, &w) in row.iter().enumerate() {
            let mut bits = w;
            while bits != 0 {
                s.positions.push(n * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        s.has_row[j] = !s.positions.is_empty();
        if s.has_row[j] {
            any = true;
            nearest_in_row(&s.positions, &mut s.dx[j * c0..(j + 1) * c0]);
        }
    }
    if any {
        for i in (0..c0).filter(|&i| needed.any_in[i]) {
            envelope_column(i, c0, s1, sq, needed, s, out);
        }
    }
    any
}

/// Signed offset from every position of a row to the nearest feature (sorted, non-empty
/// `positions`), filled segment by segment without per-element branching. Ties between a
/// left and a right feature go right; both have the same distance.
fn nearest_in_row(positions: &[usize], dx: &mut [i16]) {
    // Offsets are below 32768 (checked by the caller), so the casts are exact.
    let first = positions[0];
    for (i, d) in dx[..first].iter_mut().enumerate() {
        *d = (first - i) as i16;
    }
    for pair in positions.windows(2) {
        let (left, right) = (pair[0], pair[1]);
        // Positions up to the midpoint (exclusive when equidistant) look left.
        let split = left + (right - left).div_ceil(2);
        for (n, d) in dx[left..split].iter_mut().enumerate() {
            *d = -(n as i16);
        }
        for (n, d) in dx[split..right].iter_mut().enumerate() {
            *d = (right - split - n) as i16;
        }
    }
    let last = positions[positions.len() - 1];
    for (n, d) in dx[last..].iter_mut().enumerate() {
        *d = -(n as i16);
    }
}

/// Felzenszwalb-Huttenlocher along axis 1 for column i of a slice with a feature.
///
/// Parabola q is `f(q) + ((p - q) * s1)^2` with `f(q) = (dx * s0)^2`; positions are in mm so
/// that the intersections carry the spacing. `h` caches `f(q) + (q * s1)^2` per stack entry.
/// Entry 0's interval starts at minus infinity and the last one's ends at plus infinity.
fn envelope_column(
    i: usize,
    c0: usize,
    s1: f64,
    sq: &[Vec<f64>; 3],
    needed: &Needed,
    s: &mut SliceScratch,
    out: &mut [Offset],
) {
    let c1 = s.has_row.len();
    let mut top = usize::MAX;
    for q in 0..c1 {
        if !s.has_row[q] {
            continue;
        }
        let hq = sq[0][s.dx[q * c0 + i].unsigned_abs() as usize] + sq[1][q];
        let uq = q as f64 * s1;
        if top == usize::MAX {
            top = 0;
            (s.v[0], s.h[0]) = (q, hq);
            continue;
        }
        loop {
            // The envelope's intersection x = num / den (den > 0); comparing cross products
            // instead of dividing keeps a 20-cycle division off this loop's critical path.
            let num = hq - s.h[top];
            let den = 2.0 * (uq - s.v[top] as f64 * s1);
            if top > 0 && num * s.zd[top] <= s.z[top] * den {
                top -= 1;
                continue;
            }
            top += 1;
            (s.v[top], s.h[top], s.z[top], s.zd[top]) = (q, hq, num, den);
            break;
        }
    }
    let mut t = 0usize;
    for (p, &slot) in needed.column(i).iter().enumerate() {
        let x = p as f64 * s1;
        while t < top && s.z[t + 1] < x * s.zd[t + 1] {
            t += 1;
        }
        if slot != u32::MAX {
            let q = s.v[t];
            // Axis-1 offsets are below 32768 (checked by the caller).
            out[slot as usize] = [s.dx[q * c0 + i], (q as isize - p as isize) as i16];
        }
    }
}

/// The transformed slices, ready for step 3.
struct Grid<'a> {
    c: [usize; 3],
    sq: &'a [Vec<f64>; 3],
    offsets: &'a [Offset],
    filled: &'a [bool],
    needed: &'a Needed,
}

impl Grid<'_> {
    /// Squared distance of the feature stored for column (i, j) of slice kk, seen from k.
    fn candidate(&self, slot: usize, kk: usize, m: usize) -> f64 {
        let [a, b] = self.offsets[kk * self.needed.count + slot];
        (self.sq[0][a.unsigned_abs() as usize] + self.sq[1][b.unsigned_abs() as usize])
            + self.sq[2][m]
    }

    /// Step 3: scan slices outwards from the query's own until the axis-2 term alone is
    /// no better than the best candidate.
    fn nearest(&self, pos: [u32; 3]) -> f64 {
        let [i, j, k] = pos.map(|p| p as usize);
        // Every query's own column is needed by construction.
        let Some(col) = self.needed.slot(i, j) else {
            return f64::INFINITY;
        };
        let mut best = f64::INFINITY;
        for m in 0..self.c[2] {
            if self.sq[2][m] >= best {
                break;
            }
            if k >= m && self.filled[k - m] {
                best = best.min(self.candidate(col, k - m, m));
            }
            if m > 0 && k + m < self.c[2] && self.filled[k + m] {
                best = best.min(self.candidate(col, k + m, m));
            }
        }
        best.sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_in_row_matches_brute_force() {
        let positions = [2usize, 3, 7, 12];
        let mut dx = [0i16; 16];
        nearest_in_row(&positions, &mut dx);
        for (i, d) in dx.iter().enumerate() {
            let best = positions.iter().map(|&p| p.abs_diff(i)).min().unwrap_or(0);
            assert_eq!(d.unsigned_abs() as usize, best, "position {i}");
            assert!(positions.contains(&((i as isize + *d as isize) as usize)));
        }
    }
}
