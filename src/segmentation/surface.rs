//! Surfels: the points of the voxel-corner grid whose 2x2x2 neighbourhood is mixed.
//!
//! The grid is the union's bounding box plus one corner per axis: corner (i, j, k) sits
//! between voxels i-1 and i (and so on), with everything outside the box background. This
//! is surface-distance's crop-pad-correlate construction, computed 64 corners at a time:
//! a corner is a surfel when the OR of its eight voxels is set and the AND is not.

use rayon::prelude::*;

use super::mask::{PackedMask, extract_bits};

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
    /// Cut the bounding box out of a packed mask.
    pub fn new(mask: &PackedMask, bbox: &BBox) -> Self {
        let len: [usize; 3] = std::array::from_fn(|n| bbox[n][1] - bbox[n][0] + 1);
        let words = (len[0] + 1).div_ceil(64);
        let mut bits = vec![0u64; words * len[1] * len[2]];
        bits.par_chunks_mut(words * len[1])
            .enumerate()
            .for_each(|(z, slice)| {
                for (y, out) in slice.chunks_mut(words).enumerate() {
                    let src = mask.row(bbox[1][0] + y, bbox[2][0] + z);
                    extract_bits(src, bbox[0][0], len[0], out);
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

/// One surfel: its corner position and its area in mm².
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Surfel {
    pub pos: [u32; 3],
    pub area: f64,
}

/// The surface of one mask: a bitmap of surfel corners and the list of surfels in memory
/// order (axis 0 fastest).
#[derive(Debug)]
pub(crate) struct Surface {
    pub corners: [usize; 3],
    pub words: usize,
    /// Row (j, k) at word `(j + corners[1]*k) * words`.
    pub bitmap: Vec<u64>,
    pub surfels: Vec<Surfel>,
}

impl Surface {
    /// Surfel bits of corner row (j, k).
    pub fn row(&self, j: usize, k: usize) -> &[u64] {
        let start = (j + self.corners[1] * k) * self.words;
        &self.bitmap[start..start + self.words]
    }

    /// Total area in mm².
    pub fn area(&self) -> f64 {
        self.surfels.iter().map(|s| s.area).sum()
    }
}

fn bit(row: &[u64], t: usize) -> u8 {
    ((row[t / 64] >> (t % 64)) & 1) as u8
}

/// Find the surfels of one mask and their areas.
pub(crate) fn extract(crop: &CropBits, area: &[f64; 256]) -> Surface {
    let corners = crop.corners();
    let words = crop.words;
    let mut bitmap = vec![0u64; words * corners[1] * corners[2]];
    let per_slice: Vec<Vec<Surfel>> = bitmap
        .par_chunks_mut(words * corners[1])
        .enumerate()
        .map(|(k, slice)| {
            let mut found = Vec::new();
            let zero = vec![0u64; words];
            for (j, out) in slice.chunks_mut(words).enumerate() {
                corner_row(crop, area, &zero, [j, k], out, &mut found);
            }
            found
        })
        .collect();
    let surfels = per_slice.concat();
    Surface {
        corners,
        words,
        bitmap,
        surfels,
    }
}

/// Surfels of corner row (j, k): bitmap into `out`, list appended to `found`.
fn corner_row(
    crop: &CropBits,
    area: &[f64; 256],
    zero: &[u64],
    jk: [usize; 2],
    out: &mut [u64],
    found: &mut Vec<Surfel>,
) {
    let (j, k) = (jk[0] as isize, jk[1] as isize);
    // rows[2b + c] is voxel row (j-1+b, k-1+c), matching the code weights.
    let rows: [&[u64]; 4] = std::array::from_fn(|n| {
        let (b, c) = ((n / 2) as isize, (n % 2) as isize);
        crop.row(j - 1 + b, k - 1 + c).unwrap_or(zero)
    });
    if rows.iter().all(|r| r.iter().all(|&w| w == 0)) {
        out.iter_mut().for_each(|w| *w = 0);
        return;
    }
    for (n, o) in out.iter_mut().enumerate() {
        let (mut any, mut all) = (0u64, u64::MAX);
        for r in rows {
            let hi = r[n];
            let lo = (hi << 1) | if n > 0 { r[n - 1] >> 63 } else { 0 };
            any |= hi | lo;
            all &= hi & lo;
        }
        *o = any & !all;
        let mut bits = *o;
        while bits != 0 {
            let i = n * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let mut code = 0usize;
            for (m, r) in rows.iter().enumerate() {
                let before = if i > 0 { bit(r, i - 1) } else { 0 };
                // Voxel i-1 is a = 0 (weight 128 >> m), voxel i is a = 1 (weight 8 >> m).
                code |= usize::from(before) << (7 - m);
                code |= usize::from(bit(r, i)) << (3 - m);
            }
            found.push(Surfel {
                pos: [i as u32, jk[0] as u32, jk[1] as u32],
                area: area[code],
            });
        }
    }
}
