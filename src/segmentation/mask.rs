//! Binary views of label volumes, packed 64 voxels to a word along axis 0.
//!
//! Every later stage (counts, bounding box, surfels) works on packed rows. Rows are packed
//! on the fly into small buffers (counts) or into the union's bounding box (surfels), never
//! into a packed copy of the whole volume. One-byte codes are packed 64 at a time with SWAR
//! bit tricks and an 8x8 bit transpose; two-byte codes take a plain loop.

use std::ops::Range;

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

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// Bit 7 of each byte set when that byte of `x` is non-zero (carry-free: the low seven
/// bits are added to 0x7f, so bit 7 of the sum says whether any of them was set).
#[inline]
fn nonzero_flags(x: u64) -> u64 {
    (((x & LOW7) + LOW7) | x) & HIGH
}

/// Transpose an 8x8 bit matrix held in a word, bit `8r + c` being row r, column c
/// (Hacker's Delight, `transpose8`: swap 1x1, 2x2 then 4x4 blocks).
#[inline]
fn transpose8(mut x: u64) -> u64 {
    let t = (x ^ (x >> 7)) & 0x00aa_00aa_00aa_00aa;
    x ^= t ^ (t << 7);
    let t = (x ^ (x >> 14)) & 0x0000_cccc_0000_cccc;
    x ^= t ^ (t << 14);
    let t = (x ^ (x >> 28)) & 0x0000_0000_f0f0_f0f0;
    x ^ t ^ (t << 28)
}

/// Pack 64 one-byte codes into a word, bit t set when code t differs from the byte
/// repeated in `pattern` (0 for the non-zero test).
///
/// Each 8-byte group k yields its flags in bit 7 of every byte; shifted right by 7 - k and
/// OR-ed together, they form a matrix whose byte b holds bit k for code `8k + b`, and one
/// transpose puts that bit at `8k + b`.
#[inline]
fn pack64(codes: &[u8; 64], pattern: u64) -> u64 {
    let (groups, _) = codes.as_chunks::<8>();
    let mut matrix = 0u64;
    for (k, group) in groups.iter().enumerate() {
        matrix |= nonzero_flags(u64::from_le_bytes(*group) ^ pattern) >> (7 - k);
    }
    transpose8(matrix)
}

/// Pack the foreground of `row` (one-byte codes) into `out`, bit t = voxel t.
fn pack_u8(row: &[u8], test: FgTest, out: &mut [u64]) {
    // A code test packs "differs from the code" and inverts it.
    let (pattern, invert) = match test {
        FgTest::NonZero => (0, 0),
        FgTest::Code(c) => (u64::from(c as u8) * ONES, u64::MAX),
        FgTest::Nothing => {
            out.fill(0);
            return;
        }
    };
    let (whole, tail) = row.as_chunks::<64>();
    let (head, rest) = out.split_at_mut(whole.len().min(out.len()));
    for (codes, word) in whole.iter().zip(head) {
        *word = pack64(codes, pattern) ^ invert;
    }
    rest.fill(0);
    if let Some(word) = rest.first_mut()
        && !tail.is_empty()
    {
        // The tail is padded to a full group; the padding's bits are then cleared.
        let mut codes = [0u8; 64];
        codes[..tail.len()].copy_from_slice(tail);
        *word = (pack64(&codes, pattern) ^ invert) & ((1u64 << tail.len()) - 1);
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
        self.pack_span(y, z, 0..self.volume.shape()[0], out);
    }

    /// Pack voxels `span` of row (y, z) into `out`, bit t = voxel `span.start + t`, and
    /// clear the rest of `out` (at least ceil(span.len()/64) words).
    pub fn pack_span(&self, y: usize, z: usize, span: Range<usize>, out: &mut [u64]) {
        let [nx, ny, _] = self.volume.shape();
        let start = nx * (y + ny * z);
        let span = start + span.start..start + span.end;
        match self.volume.data() {
            LabelData::U8(v) => pack_u8(&v[span], self.test, out),
            LabelData::U16(v) => pack_u16(&v[span], self.test, out),
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
    fn swar_packing_matches_a_plain_loop_on_every_length() {
        let row: Vec<u8> = (0..300u32)
            .map(|t| ((t.wrapping_mul(2_654_435_761) >> 13) % 4) as u8)
            .collect();
        for len in [0usize, 1, 63, 64, 65, 127, 128, 200, 300] {
            for test in [FgTest::NonZero, FgTest::Code(2), FgTest::Code(0)] {
                let words = len.div_ceil(64);
                let mut fast = vec![u64::MAX; words];
                pack_u8(&row[..len], test, &mut fast);
                let wide: Vec<u16> = row[..len].iter().map(|&v| u16::from(v)).collect();
                let mut slow = vec![0u64; words];
                pack_u16(&wide, test, &mut slow);
                assert_eq!(fast, slow, "{test:?}, {len} codes");
            }
        }
    }

    #[test]
    fn transpose8_swaps_rows_and_columns() {
        for (r, c) in [(0, 0), (0, 7), (3, 5), (7, 1), (6, 6)] {
            assert_eq!(transpose8(1 << (8 * r + c)), 1 << (8 * c + r));
        }
    }
}
