//! Segmentation metrics engine: pure computations, no framework imports.
//!
//! Compares a model's 3D mask (`pred`) with the clinician-corrected mask (`ref`) under
//! METRICS.md section 4: Dice and IoU from voxel counts; HD, HD95, MASD, pooled ASSD, the
//! directed means and percentiles, and NSD from DeepMind surface-distance's surfels (corners
//! of the voxel grid with marching-cubes areas) and exact Euclidean distances in f64.
//! Empty masks give an explicit [`Status`]; undefined distances are `None`, never 0.
//!
//! Flow: decode ([`decode_nifti_bytes`], [`decode_nifti_path`], [`decode_rle`]) into a
//! [`LabelVolume`], then [`compute_metrics`] or [`compute_overlap`]. Only
//! `decode_nifti_path` touches the file system.
//!
//! Run-length format ([`RleMask`], JSON):
//! `{"shape":[nx,ny,nz],"spacing":[sx,sy,sz],"runs":[[start,len],...]}`. `start` is the
//! C-order flat index `(x*ny + y)*nz + z` over `shape` (numpy's default `ravel()` of the
//! array as nibabel returns it, axis n = NIfTI dim n+1), followed by `len >= 1` voxels in
//! that order. `[start,len,label]` gives the run a label value (default 1). Runs are sorted,
//! disjoint and inside the volume; everything else is background.
//!
//! Module map: `volume` (codes + palette), `nifti`/`nifti_data` (decoding), `rle`, `mask`
//! (bit packing), `counts`, `select` (labels), `surface` (surfels), `tables` (areas), `edt`
//! and `plane` (distance transform), `directed` (per-direction statistics), `metrics`
//! (public results), `json` (result shapes).

mod counts;
mod directed;
mod edt;
mod error;
mod json;
mod mask;
mod metrics;
mod nifti;
mod nifti_data;
mod plane;
mod rle;
mod select;
mod surface;
mod tables;
mod volume;

pub use directed::pairwise_sum;
pub use error::MaskError;
pub use json::tolerance_key;
pub use metrics::{
    LabelMetrics, MetricOptions, OverlapMetrics, Status, compute_metrics, compute_overlap,
};
pub use nifti::{decode_nifti_bytes, decode_nifti_path, decode_nifti_reader};
pub use rle::{RleMask, Run, decode_rle, encode_rle};
pub use select::Foreground;
pub use tables::surfel_area_table;
pub use volume::{DecodeLimits, LabelData, LabelVolume};
