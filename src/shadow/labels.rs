//! From blended network output to a label map, and from a label map to a case score with the
//! segmentation engine (Dice, HD95 or NSD; never a second implementation of them).

use serde::{Deserialize, Serialize};

use super::error::ShadowError;
use super::spec::{Activation, InferenceSpec, LabelRule};
use super::window::Blended;
use crate::segmentation::{
    Foreground, LabelVolume, MetricOptions, Status, compute_metrics, compute_overlap,
};

/// The paired metric of a shadow run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Metric {
    Dice,
    Hd95,
    /// Normalised surface Dice at a tolerance in mm.
    Nsd {
        tolerance_mm: f64,
    },
}

impl Metric {
    /// Dice and NSD grow with quality; HD95 shrinks.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Self::Hd95)
    }
}

/// Apply the activation over channels, voxel by voxel.
fn activate(b: &mut Blended, activation: Activation) {
    let nv = b.data.len() / b.channels.max(1);
    match activation {
        Activation::None => {}
        Activation::Sigmoid => b
            .data
            .iter_mut()
            .for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
        Activation::Softmax => {
            for i in 0..nv {
                let max = (0..b.channels)
                    .map(|c| b.data[c * nv + i])
                    .fold(f32::MIN, f32::max);
                let sum: f32 = (0..b.channels)
                    .map(|c| (b.data[c * nv + i] - max).exp())
                    .sum();
                for c in 0..b.channels {
                    let v = &mut b.data[c * nv + i];
                    *v = (*v - max).exp() / sum;
                }
            }
        }
    }
}

/// Label per voxel (C order over the blended shape) under the spec's rule.
pub fn derive_labels(b: &mut Blended, spec: &InferenceSpec) -> Result<Vec<u8>, ShadowError> {
    if b.channels != spec.output_channels() {
        return Err(ShadowError::SpecMismatch(format!(
            "the model produced {} channels, the spec's labels need {}",
            b.channels,
            spec.output_channels()
        )));
    }
    activate(b, spec.activation);
    let nv = b.data.len() / b.channels;
    let labels = match spec.labels_from {
        LabelRule::Argmax => (0..nv)
            .map(|i| {
                // Strictly greater keeps the first maximum, as numpy's argmax does.
                let mut best = 0;
                for c in 1..b.channels {
                    if b.data[c * nv + i] > b.data[best * nv + i] {
                        best = c;
                    }
                }
                best as u8
            })
            .collect(),
        LabelRule::Threshold(t) => {
            let numbers = spec.foreground_labels();
            (0..nv)
                .map(|i| {
                    (0..b.channels)
                        .filter(|c| f64::from(b.data[c * nv + i]) > t)
                        .map(|c| numbers[c])
                        .max()
                        .unwrap_or(0)
                })
                .collect()
        }
    };
    Ok(labels)
}

/// A label volume for the segmentation engine from C-order labels (`[x, y, z]`).
pub fn label_volume(
    labels: &[u8],
    shape: [usize; 3],
    spacing: [f64; 3],
) -> Result<LabelVolume, ShadowError> {
    let [nx, ny, nz] = shape;
    // The engine stores x fastest (NIfTI order); transpose from C order.
    let mut fortran = vec![0u8; labels.len()];
    for x in 0..nx {
        for y in 0..ny {
            for z in 0..nz {
                fortran[x + nx * (y + ny * z)] = labels[(x * ny + y) * nz + z];
            }
        }
    }
    LabelVolume::from_u8_labels(shape, spacing, fortran)
        .map_err(|e| ShadowError::InvalidVolume(e.to_string()))
}

/// Score a prediction against the reference: the metric averaged over every label present in
/// either mask (1 when both are empty); an undefined distance is an error naming the metric.
pub fn score(
    pred: &LabelVolume,
    reference: &LabelVolume,
    metric: Metric,
) -> Result<f64, ShadowError> {
    let engine = |e: crate::segmentation::MaskError| ShadowError::Comparison(e.to_string());
    let mut options = MetricOptions {
        foreground: Foreground::AllLabels,
        nsd_tolerances_mm: vec![],
    };
    let values: Vec<Option<f64>> = match metric {
        Metric::Dice => compute_overlap(pred, reference, &options)
            .map_err(engine)?
            .iter()
            .map(|m| Some(m.dice))
            .collect(),
        Metric::Hd95 | Metric::Nsd { .. } => {
            if let Metric::Nsd { tolerance_mm } = metric {
                options.nsd_tolerances_mm = vec![tolerance_mm];
            }
            compute_metrics(pred, reference, &options)
                .map_err(engine)?
                .iter()
                .map(|m| match metric {
                    Metric::Hd95 if m.status == Status::BothEmpty => Some(0.0),
                    Metric::Hd95 => m.hd95,
                    _ => m.nsd.first().map(|(_, v)| *v),
                })
                .collect()
        }
    };
    if values.is_empty() {
        return Ok(if metric.higher_is_better() { 1.0 } else { 0.0 });
    }
    let defined: Option<Vec<f64>> = values.into_iter().collect();
    let defined = defined.ok_or_else(|| {
        ShadowError::Comparison("HD95 is undefined: one mask has no voxels of a label".into())
    })?;
    Ok(defined.iter().sum::<f64>() / defined.len() as f64)
}
