//! Shadow evaluation: a candidate ONNX model and the deployed one run on the reviewed-case
//! archive, scored with the segmentation engine and compared with a paired non-inferiority
//! test, with latency and memory checked against a hardware profile.
//!
//! Pure parts: the inference `spec` and hardware `profile` (strict parsing), the `runner`
//! port (`ModelRunner`) and the model/spec check, the MONAI-compatible sliding `window`,
//! NIfTI `image` decoding and preprocessing, `labels` (activation, label rule, scoring),
//! one `case` end to end, `run` (one case through both models, with an injected `Meter`),
//! `compare` (the dossier's statistics) and `dossier` (provenance, JSON + hash, PNG chart).
//! Adapters: `ort_runner`, the only file importing `ort`, implements the port; `meter` reads
//! the clock and `/proc` for wall time and peak memory.

pub mod case;
pub mod compare;
pub mod dossier;
pub mod error;
pub mod image;
pub mod labels;
pub mod meter;
pub mod ort_runner;
pub mod profile;
pub mod run;
pub mod runner;
pub mod spec;
pub mod window;

pub use error::ShadowError;
