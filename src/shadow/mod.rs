//! Shadow evaluation: a candidate ONNX model and the deployed one run on the reviewed-case
//! archive, scored with the segmentation engine and compared with a paired non-inferiority
//! test, with latency and memory checked against a hardware profile.
//!
//! Pure parts: the inference `spec` and hardware `profile` (strict parsing), the `runner`
//! port (`ModelRunner`) and the model/spec check, the MONAI-compatible sliding `window`,
//! NIfTI `image` decoding and preprocessing, `labels` (activation, label rule, scoring),
//! one `case` end to end, and `compare` (the dossier's statistics). `ort_runner` is the only
//! file importing `ort`; it implements the port.

pub mod case;
pub mod compare;
pub mod error;
pub mod image;
pub mod labels;
pub mod ort_runner;
pub mod profile;
pub mod runner;
pub mod spec;
pub mod window;

pub use error::ShadowError;
