//! Voxel counts (for Dice and IoU) and the bounding box of the union, from packed masks.
//!
//! Counting works on rows packed into scratch words with popcount, one slice per task.

use rayon::prelude::*;

use super::mask::BinaryMask;

/// Voxel counts of a mask pair and the inclusive bounding box of their union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    pub reference: u64,
    pub pred: u64,
    pub intersection: u64,
    /// Inclusive `[min, max]` per axis, None when both masks are empty.
    pub bbox: Option<[[usize; 2]; 3]>,
}

fn merge_box(a: Option<[[usize; 2]; 3]>, b: Option<[[usize; 2]; 3]>) -> Option<[[usize; 2]; 3]> {
    match (a, b) {
        (Some(a), Some(b)) => Some(std::array::from_fn(|n| {
            [a[n][0].min(b[n][0]), a[n][1].max(b[n][1])]
        })),
        (a, None) => a,
        (None, b) => b,
    }
}

fn merge(a: Counts, b: Counts) -> Counts {
    Counts {
        reference: a.reference + b.reference,
        pred: a.pred + b.pred,
        intersection: a.intersection + b.intersection,
        bbox: merge_box(a.bbox, b.bbox),
    }
}

/// Count one row and extend the box by the row's union extent.
fn count_row(r: &[u64], p: &[u64], y: usize, z: usize, acc: &mut Counts) {
    let mut first = None;
    let mut last = 0;
    for (n, (&a, &b)) in r.iter().zip(p).enumerate() {
        acc.reference += u64::from(a.count_ones());
        acc.pred += u64::from(b.count_ones());
        acc.intersection += u64::from((a & b).count_ones());
        let u = a | b;
        if u != 0 {
            first.get_or_insert(n * 64 + u.trailing_zeros() as usize);
            last = n * 64 + 63 - u.leading_zeros() as usize;
        }
    }
    if let Some(first) = first {
        acc.bbox = merge_box(acc.bbox, Some([[first, last], [y, y], [z, z]]));
    }
}

/// Voxel counts of one-byte non-zero masks, in a loop the compiler vectorises: the common
/// binary case of the Dice-only path, bound by memory bandwidth.
fn count_bytes(reference: &[u8], pred: &[u8]) -> Counts {
    reference
        .par_chunks(1 << 20)
        .zip(pred.par_chunks(1 << 20))
        .map(|(r, p)| {
            let mut acc = Counts::default();
            for (rc, pc) in r.chunks(1 << 12).zip(p.chunks(1 << 12)) {
                // u32 lanes cannot overflow within 4096 voxels.
                let (mut a, mut b, mut c) = (0u32, 0u32, 0u32);
                for (&u, &v) in rc.iter().zip(pc) {
                    let (u, v) = (u32::from(u != 0), u32::from(v != 0));
                    (a, b, c) = (a + u, b + v, c + (u & v));
                }
                acc.reference += u64::from(a);
                acc.pred += u64::from(b);
                acc.intersection += u64::from(c);
            }
            acc
        })
        .reduce(Counts::default, merge)
}

/// Counts straight from two label volumes, without the bounding box (`bbox` is None): the
/// Dice-only path. Nothing is allocated in proportion to the volume.
pub(crate) fn count_overlap(reference: &BinaryMask<'_>, pred: &BinaryMask<'_>) -> Counts {
    use super::mask::FgTest;
    use super::volume::LabelData;
    if let (LabelData::U8(r), LabelData::U8(p), FgTest::NonZero, FgTest::NonZero) = (
        reference.volume.data(),
        pred.volume.data(),
        reference.test,
        pred.test,
    ) {
        return count_bytes(r, p);
    }
    Counts {
        bbox: None,
        ..count_with_box(reference, pred)
    }
}

/// Counts and union bounding box straight from two label volumes, packing each row into a
/// small scratch buffer: no packed copy of the volumes is stored, so no fresh memory is
/// touched in proportion to them.
pub(crate) fn count_with_box(reference: &BinaryMask<'_>, pred: &BinaryMask<'_>) -> Counts {
    let [nx, ny, nz] = reference.volume.shape();
    let words = nx.div_ceil(64);
    (0..nz)
        .into_par_iter()
        .map_init(
            || (vec![0u64; words], vec![0u64; words]),
            |(r, p), z| {
                let mut acc = Counts::default();
                for y in 0..ny {
                    reference.pack_row(y, z, r);
                    pred.pack_row(y, z, p);
                    count_row(r, p, y, z, &mut acc);
                }
                acc
            },
        )
        .reduce(Counts::default, merge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segmentation::mask::FgTest;
    use crate::segmentation::volume::LabelVolume;

    #[test]
    fn byte_fast_path_matches_row_packed_counts() {
        let shape = [37, 5, 3];
        let labels =
            |seed: u32| -> Vec<u8> { (0..555u32).map(|i| u8::from((i * seed) % 7 < 3)).collect() };
        let r = LabelVolume::from_u8_labels(shape, [1.0; 3], labels(3)).unwrap();
        let p = LabelVolume::from_u8_labels(shape, [1.0; 3], labels(5)).unwrap();
        let (rm, pm) = (
            BinaryMask {
                volume: &r,
                test: FgTest::NonZero,
            },
            BinaryMask {
                volume: &p,
                test: FgTest::NonZero,
            },
        );
        let fast = count_overlap(&rm, &pm);
        let packed = count_with_box(&rm, &pm);
        assert_eq!(
            (fast.reference, fast.pred, fast.intersection),
            (packed.reference, packed.pred, packed.intersection)
        );
        assert!(packed.intersection > 0 && packed.reference > packed.intersection);
    }
}
