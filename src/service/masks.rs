//! Server-side segmentation metrics: a site uploads the AI prediction and the clinician's
//! corrected mask for one of its reviews; Vigil computes the metrics per label (METRICS.md's
//! convention) and stores them on the review. The masks themselves are not kept: nothing in
//! this use case writes them anywhere, so a volume never outlives the request.

use serde::Deserialize;

use crate::domain::site::Site;
use crate::segmentation::{
    DecodeLimits, Foreground, LabelMetrics, MaskError, MetricOptions, RleMask, compute_metrics,
    decode_nifti_bytes, decode_rle,
};
use crate::storage::{Store, StoreError};

/// One uploaded mask: NIfTI bytes (`.nii` or `.nii.gz`) or the run-length JSON form.
pub enum MaskInput {
    Nifti(Vec<u8>),
    Rle(RleMask),
}

/// Options a site may send with the masks.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaskOptions {
    /// Evaluate only this label value; default: every non-zero label, one result each.
    #[serde(default)]
    pub label: Option<f64>,
    /// NSD tolerances in mm; default 1 and 2.
    #[serde(default)]
    pub nsd_tolerances_mm: Option<Vec<f64>>,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum MaskUploadError {
    #[error("review not found")]
    UnknownReview,
    #[error(transparent)]
    Mask(#[from] MaskError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Check that the review belongs to the site (before any expensive work).
pub fn check_review(
    store: &dyn Store,
    site: &Site,
    review_id: &str,
) -> Result<(), MaskUploadError> {
    match store.review_site(review_id)? {
        Some(owner) if owner == site.id => Ok(()),
        // Another site's review is "not found": sites learn nothing of each other.
        _ => Err(MaskUploadError::UnknownReview),
    }
}

/// Decode both masks, compute the metrics and store them on the review.
pub fn evaluate(
    store: &dyn Store,
    site: &Site,
    review_id: &str,
    prediction: MaskInput,
    reference: MaskInput,
    options: &MaskOptions,
    limits: &DecodeLimits,
) -> Result<Vec<LabelMetrics>, MaskUploadError> {
    check_review(store, site, review_id)?;
    let pred = decode(prediction, limits)?;
    let reference = decode(reference, limits)?;
    let metric_options = MetricOptions {
        foreground: options
            .label
            .map_or(Foreground::AllLabels, Foreground::Label),
        nsd_tolerances_mm: options
            .nsd_tolerances_mm
            .clone()
            .unwrap_or_else(|| vec![1.0, 2.0]),
    };
    let metrics = compute_metrics(&pred, &reference, &metric_options)?;
    let json = serde_json::to_string(&metrics).map_err(|e| StoreError::Other(e.to_string()))?;
    store.set_review_server_metrics(review_id, &json)?;
    Ok(metrics)
}

fn decode(
    input: MaskInput,
    limits: &DecodeLimits,
) -> Result<crate::segmentation::LabelVolume, MaskError> {
    match input {
        MaskInput::Nifti(bytes) => decode_nifti_bytes(&bytes, limits),
        MaskInput::Rle(rle) => decode_rle(&rle, limits),
    }
}
