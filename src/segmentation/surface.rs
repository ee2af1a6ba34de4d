//! Surfels: the points of the voxel-corner grid whose 2x2x2 neighbourhood is mixed.
//!
//! The grid is the union's bounding box plus one corner per axis: corner (i, j, k) sits
//! between voxels i-1 and i (and so on), with everything outside the box background. This
//! is surface-distance's crop-pad-correlate construction, computed 64 corners at a time:
//! a corner is a surfel when the OR of its eight voxels is set and the AND is not.
//! Surfels are kept slice by slice as row lists of positions and neighbourhood codes (five
//! bytes each): the distance transform reads them as features by row and as queries.

use rayon::prelude::*;

use super::mask::BinaryMask;

/// Bounding box as an inclusive `[min, max]` per axis.
pub(crate) type BBox = [[usize; 2]; 3];

/// The voxels of one mask inside the bounding box, packed along axis 0.
#[derive(Debug)]
pub(crate) struct CropBits {
    /// Voxels per axis inside the box.
    pub len: [usize; 3],
    /// Words per row, enough for the `len[0] + 1` corners of a corner row.
    pub words: usize,
    pub bits: Vec<u64>,
}

impl CropBits {
    /// Pack the bounding box of a mask, rows straight from the label codes.
    pub fn new(mask: &BinaryMask<'_>, bbox: &BBox) -> Self {
        let len: [usize; 3] = std::array::from_fn(|n| bbox[n][1] - bbox[n][0] + 1);
        let words = (len[0] + 1).div_ceil(64);
        let mut bits = vec![0u64; words * len[1] * len[2]];
        bits.par_chunks_mut(words * len[1])
            .enumerate()
            .for_each(|(z, slice)| {
                for (y, out) in slice.chunks_mut(words).enumerate() {
                    let span = bbox[0][0]..bbox[0][1] + 1;
                    mask.pack_span(bbox[1][0] + y, bbox[2][0] + z, span, out);
                }
            });
        Self { len, words, bits }
    }

    /// Voxel row (y, z) of the box, or None outside it (background).
    fn row(&self, y: isize, z: isize) -> Option<&[u64]> {
        let inside =
            (0..self.len[1] as isize).contains(&y) && (0..self.len[2] as isize).contains(&z);
        inside.then(|| {
            let start = (y as usize + self.len[1] * z as usize) * self.words;
            &self.bits[start..start + self.words]
        })
    }

    /// Corners per axis of the grid built on this box.
    pub fn corners(&self) -> [usize; 3] {
        [self.len[0] + 1, self.len[1] + 1, self.len[2] + 1]
    }
}

/// The surfels of one slice k of the corner grid, row by row, in memory order.
#[derive(Debug, Default)]
pub(crate) struct SliceSurfels {
    /// The rows j that hold a surfel, increasing.
    pub rows: Vec<u32>,
    /// Row `rows[n]`'s surfels are `ends[n - 1]..ends[n]` (from 0 for n = 0) in
    /// `positions` and `codes`.
    ends: Vec<usize>,
    /// Axis-0 corner positions i, increasing within a row.
    positions: Vec<u32>,
    /// Each surfel's 2x2x2 neighbourhood code (see `tables`).
    codes: Vec<u8>,
}

impl SliceSurfels {
    /// Number of surfels in the slice.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The axis-0 positions of each surfel row: `(j, positions)`.
    pub fn by_row(&self) -> impl Iterator<Item = (usize, &[u32])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.rows
            .iter()
            .zip(starts.zip(&self.ends))
            .map(|(&j, (from, &to))| (j as usize, &self.positions[from..to]))
    }

    /// Every surfel of the slice as `(i, j, code)`, in memory order.
    pub fn surfels(&self) -> impl Iterator<Item = (usize, usize, u8)> {
        self.by_row()
            .zip(self.codes_by_row())
            .flat_map(|((j, positions), codes)| {
                positions
                    .iter()
                    .zip(codes)
                    .map(move |(&i, &code)| (i as usize, j, code))
            })
    }

    fn codes_by_row(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(from, &to)| &self.codes[from..to])
    }
}

/// The surface of one mask: its surfels slice by slice (memory order overall: axis 0
/// fastest), and the area of each neighbourhood code.
#[derive(Debug)]
pub(crate) struct Surface {
    pub corners: [usize; 3],
    pub slices: Vec<SliceSurfels>,
    /// Area in mm² per neighbourhood code.
    pub areas: [f64; 256],
}

impl Surface {
    /// Total area in mm², summed in memory order.
    pub fn area(&self) -> f64 {
        self.slices
            .iter()
            .flat_map(|s| s.codes.iter())
            .map(|&c| self.areas[c as usize])
            .sum()
    }

    /// Number of surfels.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.slices.iter().map(SliceSurfels::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.slices.iter().all(SliceSurfels::is_empty)
    }
}

fn bit(row: &[u64], t: usize) -> u8 {
    ((row[t / 64] >> (t % 64)) & 1) as u8
}

/// Find the surfels of one mask, slices in parallel.
pub(crate) fn extract(crop: &CropBits, area: &[f64; 256]) -> Surface {
    let corners = crop.corners();
    let slices = (0..corners[2])
        .into_par_iter()
        .map(|k| {
            let mut slice = SliceSurfels::default();
            let zero = vec![0u64; crop.words];
            let mut bits = vec![0u64; crop.words];
            for j in 0..corners[1] {
                corner_row(crop, &zero, [j, k], &mut bits, &mut slice);
            }
            slice
        })
        .collect();
    Surface {
        corners,
        slices,
        areas: *area,
    }
}

/// Surfels of corner row (j, k), appended to `slice`; `bits` is scratch for the row's
/// surfel bits.
fn corner_row(
    crop: &CropBits,
    zero: &[u64],
    jk: [usize; 2],
    bits: &mut [u64],
    slice: &mut SliceSurfels,
) {
    let (j, k) = (jk[0] as isize, jk[1] as isize);
    // rows[2b + c] is voxel row (j-1+b, k-1+c), matching the code weights.
    let rows: [&[u64]; 4] = std::array::from_fn(|n| {
        let (b, c) = ((n / 2) as isize, (n % 2) as isize);
        crop.row(j - 1 + b, k - 1 + c).unwrap_or(zero)
    });
    if rows.iter().all(|r| r.iter().all(|&w| w == 0)) {
        return;
    }
    for (n, o) in bits.iter_mut().enumerate() {
        let (mut any, mut all) = (0u64, u64::MAX);
        for r in rows {
            let hi = r[n];
            let lo = (hi << 1) | if n > 0 { r[n - 1] >> 63 } else { 0 };
            any |= hi | lo;
            all &= hi & lo;
        }
        *o = any & !all;
    }
    let start = slice.len();
    for (n, &word) in bits.iter().enumerate() {
        let mut rest = word;
        while rest != 0 {
            let i = n * 64 + rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let mut code = 0u8;
            for (m, r) in rows.iter().enumerate() {
                let before = if i > 0 { bit(r, i - 1) } else { 0 };
                // Voxel i-1 is a = 0 (weight 128 >> m), voxel i is a = 1 (weight 8 >> m).
                code |= before << (7 - m);
                code |= bit(r, i) << (3 - m);
            }
            // Corner positions are below 2^32: the grid comes from a u32-indexed volume.
            slice.positions.push(i as u32);
            slice.codes.push(code);
        }
    }
    if slice.len() > start {
        slice.rows.push(jk[0] as u32);
        slice.ends.push(slice.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_list_surfels_by_row_in_memory_order() {
        let mut slice = SliceSurfels::default();
        for (j, positions) in [(1u32, vec![0u32, 3]), (4, vec![2])] {
            for &i in &positions {
                slice.positions.push(i);
                slice.codes.push(i as u8 + 10);
            }
            slice.rows.push(j);
            slice.ends.push(slice.positions.len());
        }
        let rows: Vec<(usize, Vec<u32>)> = slice.by_row().map(|(j, p)| (j, p.to_vec())).collect();
        assert_eq!(rows, vec![(1, vec![0, 3]), (4, vec![2])]);
        let all: Vec<(usize, usize, u8)> = slice.surfels().collect();
        assert_eq!(all, vec![(0, 1, 10), (3, 1, 13), (2, 4, 12)]);
    }
}
