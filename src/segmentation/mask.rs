//! Binary views of label volumes, packed 64 voxels to a word along axis 0.
//!
//! Every later stage (counts, bounding box, surfels) works on packed rows, so the label
//! codes are read exactly once. One-byte codes are packed eight at a time with SWAR bit
//! tricks; two-byte codes take a plain loop.

use rayon::prelude::*;

use super::volume::{LabelData, LabelVolume};

/// Which codes of a volume count as foreground.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FgTest {
    /// Every non-zero value (code != 0, see `volume`).
    NonZero,
    /// Exactly one code.
    Code(u16),
    /// Nothing: the requested label does not occur in this volume's palette.
    Nothing,
}

/// A volume seen as a binary mask.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BinaryMask<'a> {
    pub volume: &'a LabelVolume,
    pub test: FgTest,
}

/// A binary mask packed row by row: row (y, z) starts at word `(y + ny*z) * words`.
#[derive(Debug)]
pub(crate) struct PackedMask {
    pub shape: [usize; 3],
    pub words: usize,
    pub bits: Vec<u64>,
}

impl PackedMask {
    /// The packed row (y, z).
    pub fn row(&self, y: usize, z: usize) -> &[u64] {
        let start = (y + self.shape[1] * z) * self.words;
        &self.bits[start..start + self.words]
    }
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// One bit per byte: bit b is set when byte b of `x` is non-zero.
#[inline]
fn nonzero_bytes(x: u64) -> u64 {
    let flags = (((x & LOW7) + LOW7) | x) & HIGH;
    // Gathers the eight high bits into the top byte, byte b landing on bit 56 + b.
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Pack the foreground of `row` (one-byte codes) into `out`, bit t = voxel t.
fn pack_u8(row: &[u8], test: FgTest, out: &mut [u64]) {
    out.iter_mut().for_each(|w| *w = 0);
    let pattern = match test {
        FgTest::NonZero => None,
        FgTest::Code(c) => Some(u64::from(c as u8) * ONES),
        FgTest::Nothing => return,
    };
    let mut chunks = row.chunks_exact(8);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let x = u64::from_le_bytes(b);
        let bits = match pattern {
            None => nonzero_bytes(x),
            Some(p) => !nonzero_bytes(x ^ p) & 0xff,
        };
        out[n / 8] |= bits << ((n % 8) * 8);
    }
    let base = row.len() - chunks.remainder().len();
    for (t, &v) in chunks.remainder().iter().enumerate() {
        let hit = match pattern {
            None => v != 0,
            Some(p) => u64::from(v) == p & 0xff,
        };
        out[(base + t) / 64] |= u64::from(hit) << ((base + t) % 64);
    }
}

/// Pack the foreground of `row` (two-byte codes) into `out`.
fn pack_u16(row: &[u16], test: FgTest, out: &mut [u64]) {
    out.iter_mut().for_each(|w| *w = 0);
    for (t, &v) in row.iter().enumerate() {
        let hit = match test {
            FgTest::NonZero => v != 0,
            FgTest::Code(c) => v == c,
            FgTest::Nothing => false,
        };
        out[t / 64] |= u64::from(hit) << (t % 64);
    }
}

impl BinaryMask<'_> {
    /// Pack row (y, z) over its full length into `out` (ceil(nx/64) words).
    pub fn pack_row(&self, y: usize, z: usize, out: &mut [u64]) {
        let [nx, ny, _] = self.volume.shape();
        let start = nx * (y + ny * z);
        match self.volume.data() {
            LabelData::U8(v) => pack_u8(&v[start..start + nx], self.test, out),
            LabelData::U16(v) => pack_u16(&v[start..start + nx], self.test, out),
        }
    }

    /// Pack the whole mask, slices in parallel.
    pub fn pack(&self) -> PackedMask {
        let shape = self.volume.shape();
        let words = shape[0].div_ceil(64);
        let mut bits = vec![0u64; words * shape[1] * shape[2]];
        bits.par_chunks_mut(words * shape[1])
            .enumerate()
            .for_each(|(z, slice)| {
                for (y, out) in slice.chunks_mut(words).enumerate() {
                    self.pack_row(y, z, out);
                }
            });
        PackedMask { shape, words, bits }
    }
}

/// Copy bits `[start, start + len)` of `src` to the start of `out`, clearing the rest.
pub(crate) fn extract_bits(src: &[u64], start: usize, len: usize, out: &mut [u64]) {
    let (word, shift) = (start / 64, start % 64);
    for (n, w) in out.iter_mut().enumerate() {
        let lo = src.get(word + n).copied().unwrap_or(0);
        let hi = src.get(word + n + 1).copied().unwrap_or(0);
        *w = if shift == 0 {
            lo
        } else {
            (lo >> shift) | (hi << (64 - shift))
        };
        let first = n * 64;
        if first + 64 > len {
            *w &= if len <= first {
                0
            } else {
                (1u64 << (len - first)) - 1
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_packing_matches_a_plain_loop() {
        let row: Vec<u8> = (0..150u32).map(|t| ((t * 7919) % 5) as u8).collect();
        for test in [
            FgTest::NonZero,
            FgTest::Code(3),
            FgTest::Code(0),
            FgTest::Nothing,
        ] {
            let mut fast = vec![0u64; 3];
            pack_u8(&row, test, &mut fast);
            let wide: Vec<u16> = row.iter().map(|&v| u16::from(v)).collect();
            let mut slow = vec![0u64; 3];
            pack_u16(&wide, test, &mut slow);
            assert_eq!(fast, slow, "{test:?}");
        }
    }

    #[test]
    fn extract_bits_shifts_and_masks() {
        let src = [u64::MAX, 0b1011];
        let mut out = [0u64; 2];
        extract_bits(&src, 60, 7, &mut out);
        assert_eq!(out, [0b011_1111, 0]);
        extract_bits(&src, 62, 70, &mut out);
        assert_eq!(out[0], 0b10_1111);
    }
}
