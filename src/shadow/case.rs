//! One case through one model: decode the image, check its spacing against the spec,
//! preprocess, size the patch batch for the profile, run the sliding window, derive labels and
//! score them against the reference mask.

use super::error::ShadowError;
use super::image::{decode_image, preprocess};
use super::labels::{Metric, derive_labels, label_volume, score};
use super::profile::{HardwareProfile, MemoryPlan};
use super::runner::ModelRunner;
use super::spec::InferenceSpec;
use super::window::sliding_window;
use crate::segmentation::LabelVolume;

/// The segmentation of one image and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmented {
    pub labels: LabelVolume,
    pub windows: usize,
    pub batch: usize,
    pub compute_ns: u64,
    /// Vigil's planned buffers for this volume plus one batch, in bytes.
    pub planned_bytes: u64,
}

/// Segment a NIfTI image with `runner` under `spec` and `profile`.
pub fn segment<R: ModelRunner + ?Sized>(
    runner: &mut R,
    image_bytes: &[u8],
    spec: &InferenceSpec,
    profile: &HardwareProfile,
    max_voxels: u64,
) -> Result<Segmented, ShadowError> {
    let mut image = decode_image(image_bytes, max_voxels)?;
    if !spec.spacing_matches(image.spacing) {
        return Err(ShadowError::InvalidVolume(format!(
            "spacing {:?} mm differs from the spec's {:?} mm",
            image.spacing, spec.spacing_mm
        )));
    }
    preprocess(&mut image.volume, &spec.preprocessing);
    let voxels = image.volume.data.len() as u64;
    let patch_voxels = spec.patch_size.iter().product::<usize>() as u64;
    let plan = MemoryPlan::new(profile, voxels, patch_voxels, spec.output_channels() as u64)?;
    let blended = sliding_window(
        runner,
        &image.volume,
        spec.patch_size,
        spec.overlap,
        plan.batch,
    )?;
    let (windows, compute_ns, shape) = (blended.windows, blended.compute_ns, blended.shape);
    let labels = derive_labels(blended, spec)?;
    Ok(Segmented {
        labels: label_volume(&labels, shape, image.spacing)?,
        windows,
        batch: plan.batch,
        compute_ns,
        planned_bytes: plan.volume_bytes + plan.batch as u64 * plan.patch_bytes,
    })
}

/// Score a segmentation against the reference mask.
pub fn score_case(
    seg: &Segmented,
    reference: &LabelVolume,
    metric: Metric,
) -> Result<f64, ShadowError> {
    score(&seg.labels, reference, metric)
}
