//! One case through one model: check the decoded image's spacing against the spec,
//! preprocess a copy, size the patch batch for the profile, run the sliding window, derive labels and
//! score them against the reference mask.

use super::error::ShadowError;
use super::image::{Image, preprocess};
use super::labels::{Metric, derive_labels, label_volume, score};
use super::profile::{HardwareProfile, MemoryPlan};
use super::runner::ModelRunner;
use super::spec::InferenceSpec;
use super::window::{Volume, WeightCache, WindowSettings, sliding_window_cached};
use crate::segmentation::LabelVolume;

/// The segmentation of one image and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmented {
    pub labels: LabelVolume,
    pub windows: usize,
    pub batch: usize,
    pub compute_ns: u64,
    /// Vigil's planned buffers for this volume plus one batch, for every run the profile's
    /// `concurrency` allows at once, in bytes.
    pub planned_bytes: u64,
}

/// The model's input volume: the spacing checked against the spec, a copy preprocessed.
pub fn prepare(image: &Image, spec: &InferenceSpec) -> Result<Volume, ShadowError> {
    if !spec.spacing_matches(image.spacing) {
        return Err(ShadowError::InvalidVolume(format!(
            "spacing {:?} mm differs from the spec's {:?} mm",
            image.spacing, spec.spacing_mm
        )));
    }
    let mut volume = image.volume.clone();
    preprocess(&mut volume, &spec.preprocessing);
    Ok(volume)
}

/// Segment a decoded image (`image::decode_image`, once per case for both models) with
/// `runner` under `spec` and `profile`.
pub fn segment<R: ModelRunner + ?Sized>(
    runner: &mut R,
    image: &Image,
    spec: &InferenceSpec,
    profile: &HardwareProfile,
) -> Result<Segmented, ShadowError> {
    segment_cached(runner, image, (spec, profile), &mut WeightCache::default())
}

/// `segment` reusing the window weight maps in `cache` (both models of a case share them).
pub fn segment_cached<R: ModelRunner + ?Sized>(
    runner: &mut R,
    image: &Image,
    (spec, profile): (&InferenceSpec, &HardwareProfile),
    cache: &mut WeightCache,
) -> Result<Segmented, ShadowError> {
    let volume = prepare(image, spec)?;
    let voxels = volume.data.len() as u64;
    let patch_voxels = spec.patch_size.iter().product::<usize>() as u64;
    let plan = MemoryPlan::new(profile, voxels, patch_voxels, spec.output_channels() as u64)?;
    let window = WindowSettings {
        roi: spec.patch_size,
        overlap: spec.overlap,
        batch: plan.batch,
    };
    let mut blended = sliding_window_cached(runner, &volume, window, cache)?;
    let (windows, compute_ns, shape) = (blended.windows, blended.compute_ns, blended.shape);
    let labels = derive_labels(&mut blended, spec);
    cache.recycle(blended.data);
    let labels = labels?;
    Ok(Segmented {
        labels: label_volume(&labels, shape, image.spacing)?,
        windows,
        batch: plan.batch,
        compute_ns,
        planned_bytes: plan.total_bytes(),
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
