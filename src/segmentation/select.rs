//! Which labels to evaluate, and how each becomes a pair of binary masks.
//!
//! Label values are compared as numbers across the two volumes, whose palettes may differ
//! (a uint8 prediction against an int16 reference, say). Finding the labels of a
//! multi-label map takes one histogram pass over each volume.

use rayon::prelude::*;

use super::error::MaskError;
use super::mask::FgTest;
use super::volume::{LabelData, LabelVolume};

/// Which voxels are foreground.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Foreground {
    /// Every non-zero voxel (METRICS.md's convention); one result without a `label`.
    #[default]
    NonZero,
    /// The voxels equal to one label value; one result with that `label`.
    Label(f64),
    /// Every non-zero label present in either volume, each on its own; one result per label,
    /// in increasing label order.
    AllLabels,
}

/// One evaluation: the label it reports (None for non-zero) and the test per volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Selection {
    pub label: Option<f64>,
    pub pred: FgTest,
    pub reference: FgTest,
}

/// The foreground test for `value` in `volume`.
fn test_for(volume: &LabelVolume, value: f64) -> FgTest {
    match volume.code_of(value) {
        // Code 0 is background: asking for label 0 selects nothing.
        Some(0) | None => FgTest::Nothing,
        Some(code) => FgTest::Code(code as u16),
    }
}

/// Present codes of a volume (a histogram pass, chunks in parallel).
fn present_codes(volume: &LabelVolume) -> Vec<bool> {
    fn mark<T: Copy + Into<usize> + Sync>(data: &[T], n: usize) -> Vec<bool> {
        data.par_chunks(1 << 20)
            .map(|chunk| {
                let mut seen = vec![false; n];
                chunk.iter().for_each(|&c| seen[c.into()] = true);
                seen
            })
            .reduce(
                || vec![false; n],
                |a, b| a.iter().zip(&b).map(|(x, y)| *x || *y).collect(),
            )
    }
    let n = volume.palette().len();
    match volume.data() {
        LabelData::U8(d) => mark(d, n.max(256)),
        LabelData::U16(d) => mark(d, n.max(65_536)),
    }
}

/// Non-zero label values present in a volume.
fn present_labels(volume: &LabelVolume) -> Vec<f64> {
    let palette = volume.palette();
    present_codes(volume)
        .iter()
        .enumerate()
        .filter(|(code, seen)| **seen && *code > 0 && *code < palette.len())
        .map(|(code, _)| palette[code])
        .collect()
}

/// The evaluations requested by `foreground`.
pub(crate) fn selections(
    pred: &LabelVolume,
    reference: &LabelVolume,
    foreground: Foreground,
) -> Result<Vec<Selection>, MaskError> {
    match foreground {
        Foreground::NonZero => Ok(vec![Selection {
            label: None,
            pred: FgTest::NonZero,
            reference: FgTest::NonZero,
        }]),
        Foreground::Label(value) => {
            if !value.is_finite() || value == 0.0 {
                return Err(MaskError::InvalidOption(format!(
                    "label must be a finite non-zero value, got {value}"
                )));
            }
            Ok(vec![Selection {
                label: Some(value),
                pred: test_for(pred, value),
                reference: test_for(reference, value),
            }])
        }
        Foreground::AllLabels => {
            let (mut labels, other) =
                rayon::join(|| present_labels(pred), || present_labels(reference));
            labels.extend(other);
            labels.sort_by(f64::total_cmp);
            labels.dedup_by(|a, b| a.to_bits() == b.to_bits());
            Ok(labels
                .into_iter()
                .map(|value| Selection {
                    label: Some(value),
                    pred: test_for(pred, value),
                    reference: test_for(reference, value),
                })
                .collect())
        }
    }
}
