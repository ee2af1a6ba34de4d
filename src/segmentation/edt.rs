//! Exact Euclidean distances from one surface's surfels to the nearest surfel of another.
//!
//! A separable distance transform with anisotropic spacing, restricted to the corner grid
//! of the union's bounding box:
//! 1. along axis 0, per row: the offset to the nearest feature in the row (integer);
//! 2. along axis 1, per column (i, k): Felzenszwalb-Huttenlocher's lower envelope of
//!    parabolas, keeping the argmin as an (axis-0, axis-1) offset pair in 2 x i16;
//! 3. along axis 2, only at the query surfels: an outward scan over slices that stops as
//!    soon as the axis-2 term alone exceeds the best distance found.
//!
//! Every candidate is evaluated as `((di*s0)^2 + (dj*s1)^2) + (dk*s2)^2` from integer
//! offsets, the summation order of surface-distance's (scipy's) distance transform.
//!
//! The planes of constant i are processed in blocks of a dozen or so, blocks in parallel,
//! each by one thread with no synchronisation until the end. Steps 2 and 3 run per plane (module
//! `plane`): a column (i, k) is transformed only when a query of plane i scans slice k,
//! which skips about a quarter of the columns. Step 1 fills a store for the block's planes
//! only, slice by slice when a plane first needs the slice, so the store stays about
//! 2 MiB per thread, cached and reused, instead of a fresh buffer the size of the grid.

use std::ops::Range;

use rayon::prelude::*;

use super::error::MaskError;
use super::plane::{PlaneScratch, plane_distances};
use super::surface::{SliceSurfels, Surface};

/// Target size of step 1's store for one block of planes.
const BLOCK_BYTES: usize = 2 << 20;

/// Per-axis lookup tables, so that every term is computed once and is bit-identical
/// wherever it is used.
pub(crate) struct Tables {
    /// `((d as f64) * s)^2` for every offset d along each axis.
    pub sq: [Vec<f64>; 3],
    /// `(q as f64) * s1`: axis-1 positions in mm, for the envelope's intersections.
    pub mm1: Vec<f64>,
}

impl Tables {
    fn new(c: [usize; 3], spacing: [f64; 3]) -> Self {
        let squares = |n: usize, s: f64| (0..n).map(|d| (d as f64 * s) * (d as f64 * s)).collect();
        Self {
            sq: std::array::from_fn(|a| squares(c[a], spacing[a])),
            mm1: (0..c[1]).map(|q| q as f64 * spacing[1]).collect(),
        }
    }
}

/// Step 1 for one block of planes, filled slice by slice on first use.
pub(crate) struct BlockOffsets {
    /// The block's planes.
    planes: Range<usize>,
    c1: usize,
    /// Signed axis-0 offset from corner (i, j, k) to the nearest feature of row (j, k), at
    /// `(k * c1 + j) * planes.len() + i - planes.start`: each row's block of planes is
    /// contiguous, so step 1 fills it in one run, and step 2 reads column (i, k) with a
    /// stride of `planes.len()`. Only the feature rows of filled slices hold values.
    dx: Vec<i16>,
    /// Per slice, whether it is filled for the current block.
    filled: Vec<bool>,
}

/// Step 1's offsets of one column, `values[q * stride]` for row q.
pub(crate) struct StridedColumn<'a> {
    pub values: &'a [i16],
    pub stride: usize,
}

impl BlockOffsets {
    /// A store for blocks of up to `planes` planes of a grid of c corners.
    pub fn new(planes: usize, c: [usize; 3]) -> Self {
        Self {
            planes: 0..0,
            c1: c[1],
            dx: vec![0; planes * c[1] * c[2]],
            filled: vec![false; c[2]],
        }
    }

    /// Start a block: nothing of the previous one is read again.
    pub fn start(&mut self, planes: Range<usize>) {
        self.planes = planes;
        self.filled.fill(false);
    }

    /// Step 1's offsets of column (i, k) (i in the block), filling slice k for the whole
    /// block on first use.
    pub fn column(&mut self, features: &SliceSurfels, i: usize, k: usize) -> StridedColumn<'_> {
        let width = self.planes.len();
        let slice = &mut self.dx[k * self.c1 * width..(k + 1) * self.c1 * width];
        if !self.filled[k] {
            self.filled[k] = true;
            for (j, positions) in features.by_row() {
                let row = &mut slice[j * width..(j + 1) * width];
                nearest_in_row(positions, self.planes.clone(), row);
            }
        }
        StridedColumn {
            values: &slice[i - self.planes.start..],
            stride: width,
        }
    }
}

/// Columns (i, j) that hold at least one query: only those are ever read by step 3, so step
/// 2 evaluates and stores nothing else (a blob's shadow covers about half of the box).
pub(crate) struct Needed {
    c1: usize,
    /// Per column, stored column-major (`j + c1*i`), its index among plane i's needed
    /// columns, or `u32::MAX`.
    slot: Vec<u32>,
    /// The needed rows j, plane after plane: plane i's are `rows[start[i]..start[i + 1]]`.
    rows: Vec<u16>,
    start: Vec<usize>,
}

impl Needed {
    fn new(queries: &Surface, c: [usize; 3]) -> Self {
        let mut slot = vec![u32::MAX; c[0] * c[1]];
        for slice in &queries.slices {
            for (j, positions) in slice.by_row() {
                for &i in positions {
                    slot[j + c[1] * i as usize] = 0;
                }
            }
        }
        let mut rows = Vec::new();
        let mut start = Vec::with_capacity(c[0] + 1);
        for column in slot.chunks_mut(c[1]) {
            start.push(rows.len());
            for (j, s) in column.iter_mut().enumerate().filter(|(_, s)| **s == 0) {
                // j < c1 <= 2^15 (checked by the caller).
                *s = (rows.len() - start[start.len() - 1]) as u32;
                rows.push(j as u16);
            }
        }
        start.push(rows.len());
        Self {
            c1: c[1],
            slot,
            rows,
            start,
        }
    }

    /// The needed rows of plane i, increasing.
    pub fn plane(&self, i: usize) -> &[u16] {
        &self.rows[self.start[i]..self.start[i + 1]]
    }

    /// The index of column (i, j) in `plane(i)`.
    pub fn index(&self, i: usize, j: usize) -> Option<usize> {
        let s = self.slot[j + self.c1 * i];
        (s != u32::MAX).then_some(s as usize)
    }
}

/// Everything the planes share.
pub(crate) struct Context<'a> {
    pub tables: Tables,
    /// The features, slice by slice.
    pub slices: &'a [SliceSurfels],
    pub needed: Needed,
}

/// The distance in mm from every query surfel to the nearest surfel of `features`, paired
/// with the query's area: `(distance, area)`, grouped by plane (callers sort them).
pub(crate) fn directed_distances(
    features: &Surface,
    queries: &Surface,
    spacing: [f64; 3],
) -> Result<Vec<(f64, f64)>, MaskError> {
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
    let context = Context {
        tables: Tables::new(c, spacing),
        slices: &features.slices,
        needed: Needed::new(queries, c),
    };
    let (mut pairs, start) = by_plane(queries);
    let mut parts = split_by_plane(&mut pairs, &start);
    let block = (BLOCK_BYTES / (2 * c[1] * c[2])).clamp(1, c[0]);
    parts.par_chunks_mut(block).enumerate().for_each_init(
        || PlaneScratch::new(c, block),
        |scratch, (b, parts)| {
            scratch.step1.start(b * block..b * block + parts.len());
            for (n, out) in parts.iter_mut().enumerate() {
                plane_distances(&context, b * block + n, scratch, out);
            }
        },
    );
    Ok(pairs)
}

/// While the transform runs, each query's distance slot holds its (j, k) position, packed
/// into the bits of the f64: one buffer serves for the input and the result.
fn pack_position(j: u32, k: u32) -> f64 {
    f64::from_bits((u64::from(j) << 32) | u64::from(k))
}

/// The (j, k) position packed by [`pack_position`].
pub(crate) fn unpack_position(slot: f64) -> (usize, usize) {
    let bits = slot.to_bits();
    ((bits >> 32) as usize, (bits & 0xffff_ffff) as usize)
}

/// The queries grouped by plane (stable: memory order within a plane) as
/// `(packed position, area)`, and where each plane starts (plane i's queries are
/// `start[i]..start[i + 1]`). A counting sort by axis-0 position.
fn by_plane(queries: &Surface) -> (Vec<(f64, f64)>, Vec<usize>) {
    let c0 = queries.corners[0];
    let mut start = vec![0usize; c0 + 1];
    for slice in &queries.slices {
        for (_, positions) in slice.by_row() {
            for &i in positions {
                start[i as usize + 1] += 1;
            }
        }
    }
    for i in 0..c0 {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut pairs = vec![(0.0, 0.0); start[c0]];
    for (k, slice) in queries.slices.iter().enumerate() {
        for (i, j, code) in slice.surfels() {
            let at = &mut next[i];
            // j < c1 <= 2^15 and k < c2, from a u32-indexed grid.
            pairs[*at] = (
                pack_position(j as u32, k as u32),
                queries.areas[code as usize],
            );
            *at += 1;
        }
    }
    (pairs, start)
}

/// One mutable part of `pairs` per plane.
fn split_by_plane<'a>(pairs: &'a mut [(f64, f64)], start: &[usize]) -> Vec<&'a mut [(f64, f64)]> {
    let mut parts = Vec::with_capacity(start.len() - 1);
    let mut rest = pairs;
    for bounds in start.windows(2) {
        let (part, tail) = rest.split_at_mut(bounds[1] - bounds[0]);
        parts.push(part);
        rest = tail;
    }
    parts
}

/// Signed offset from every position i in `range` of a row to the nearest feature (sorted,
/// non-empty `positions`), written to `out[i - range.start]`.
///
/// The row splits into segments that look at one feature each: before the first feature,
/// between two features up to the midpoint (exclusive when equidistant) and from it, and
/// after the last. Ties between a left and a right feature go right; both have the same
/// distance. Only the segments' parts inside `range` are written, starting from the last
/// feature left of the range (binary search), so a short range costs little.
fn nearest_in_row(positions: &[u32], range: Range<usize>, out: &mut [i16]) {
    let mut segment = |from: usize, to: usize, target: usize| {
        let (from, to) = (from.max(range.start), to.min(range.end));
        if from >= to {
            return;
        }
        // Offsets are below 32768 (checked by the caller), so the casts are exact.
        let at_from = target as isize - from as isize;
        for (n, d) in out[from - range.start..to - range.start]
            .iter_mut()
            .enumerate()
        {
            *d = (at_from - n as isize) as i16;
        }
    };
    let first = positions[0] as usize;
    segment(0, first, first);
    let right_of_start = positions.partition_point(|&p| (p as usize) < range.start);
    for pair in positions[right_of_start.saturating_sub(1)..].windows(2) {
        let (left, right) = (pair[0] as usize, pair[1] as usize);
        if left >= range.end {
            break;
        }
        let split = left + (right - left).div_ceil(2);
        segment(left, split, left);
        segment(split, right, right);
    }
    let last = positions[positions.len() - 1] as usize;
    segment(last, range.end, last);
}

#[cfg(test)]
mod tests {
    use super::super::surface::extract;
    use super::*;

    #[test]
    fn nearest_in_row_matches_brute_force() {
        let positions = [2u32, 3, 7, 12];
        for range in [0..16, 0..1, 0..2, 5..9, 7..8, 11..16, 13..16] {
            let mut dx = vec![99i16; range.len() + 1];
            nearest_in_row(&positions, range.clone(), &mut dx);
            for (n, i) in range.clone().enumerate() {
                let best = positions
                    .iter()
                    .map(|&p| (p as usize).abs_diff(i))
                    .min()
                    .unwrap_or(0);
                assert_eq!(dx[n].unsigned_abs() as usize, best, "position {i}");
                let target = (i as isize + dx[n] as isize) as usize;
                assert!(positions.contains(&(target as u32)), "position {i}");
                // Ties go right.
                assert!(!positions.contains(&((i + best) as u32)) || target == i + best);
            }
            assert_eq!(dx[range.len()], 99, "nothing written past the range");
        }
    }

    #[test]
    fn queries_are_grouped_by_plane_in_memory_order() {
        // A 2x2x2 block of voxels: its 3x3x3 corner grid is all surfels but the centre.
        let crop = super::super::surface::CropBits {
            len: [2, 2, 2],
            words: 1,
            bits: vec![0b11; 4],
        };
        let areas: [f64; 256] = std::array::from_fn(|code| code as f64);
        let surface = extract(&crop, &areas);
        assert_eq!(surface.len(), 26);
        let (pairs, start) = by_plane(&surface);
        assert_eq!(start, vec![0, 9, 17, 26]);
        for (i, bounds) in start.windows(2).enumerate() {
            let mut last = None;
            for &(slot, area) in &pairs[bounds[0]..bounds[1]] {
                let (j, k) = unpack_position(slot);
                assert!(last < Some((k, j)), "plane {i} is in memory order");
                last = Some((k, j));
                let code = surface.slices[k]
                    .surfels()
                    .find(|&(x, y, _)| (x, y) == (i, j))
                    .map(|(_, _, code)| code);
                assert_eq!(code.map(f64::from), Some(area));
            }
        }
    }
}
