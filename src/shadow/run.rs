//! One archived case through both models: the image is decoded once; the candidate (with
//! the decoding) is timed and its peak memory read by a `Meter` (the clock and the process probe are injected, so this stays pure), then
//! both segmentations are scored against the reference mask.

use super::case::{score_case, segment_cached};
use super::compare::PairedCase;
use super::error::ShadowError;
use super::image::decode_image;
use super::labels::Metric;
use super::profile::HardwareProfile;
use super::runner::ModelRunner;
use super::spec::InferenceSpec;
use super::window::WeightCache;
use crate::segmentation::LabelVolume;

/// What one measured span cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub wall_ms: f64,
    pub peak_mib: f64,
}

/// Measures wall time and peak memory of a span of work.
pub trait Meter {
    fn begin(&mut self);
    fn end(&mut self) -> Cost;
}

/// The inputs of one case.
#[derive(Debug, Clone, Copy)]
pub struct CaseInput<'a> {
    pub case_ref: &'a str,
    pub stratum: &'a str,
    pub image: &'a [u8],
    pub reference: &'a LabelVolume,
}

/// The models and settings a run applies to every case.
pub struct Models<'a> {
    pub candidate: &'a mut dyn ModelRunner,
    pub baseline: &'a mut dyn ModelRunner,
    /// Each model's own spec (their label rules and preprocessing may differ).
    pub spec: &'a InferenceSpec,
    pub baseline_spec: &'a InferenceSpec,
    pub profile: &'a HardwareProfile,
    pub metric: Metric,
    pub max_voxels: u64,
}

/// Run and score one case with both models.
pub fn run_case(
    models: &mut Models<'_>,
    case: CaseInput<'_>,
    meter: &mut dyn Meter,
) -> Result<PairedCase, ShadowError> {
    meter.begin();
    let image = decode_image(case.image, models.max_voxels)?;
    let mut cache = WeightCache::default();
    let cand = segment_cached(
        models.candidate,
        &image,
        (models.spec, models.profile),
        &mut cache,
    )?;
    let cost = meter.end();
    let base = segment_cached(
        models.baseline,
        &image,
        (models.baseline_spec, models.profile),
        &mut cache,
    )?;
    Ok(PairedCase {
        case_ref: case.case_ref.to_string(),
        stratum: case.stratum.to_string(),
        candidate: score_case(&cand, case.reference, models.metric)?,
        baseline: score_case(&base, case.reference, models.metric)?,
        wall_ms: cost.wall_ms,
        compute_ms: cand.compute_ns as f64 / 1e6,
        peak_mib: cost.peak_mib,
    })
}
