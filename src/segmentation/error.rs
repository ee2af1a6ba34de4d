//! Typed errors of mask decoding and metric computation, each with a stable snake_case code.
//!
//! The codes are part of the public contract: the CLI prints them in `{"error":{"code",..}}`
//! and the HTTP layer maps them to client errors, so they never change once published.

use thiserror::Error;

/// Everything that can go wrong between receiving mask bytes and returning metrics.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MaskError {
    /// The bytes are not a NIfTI-1/NIfTI-2 image (bad header size or magic).
    #[error("not a NIfTI-1 or NIfTI-2 image: {0}")]
    NotNifti(String),
    /// The file ends before the header or the voxel data is complete.
    #[error("truncated input: {0}")]
    Truncated(String),
    /// The gzip stream is corrupt.
    #[error("corrupt compressed data: {0}")]
    Corrupt(String),
    /// A header field is invalid (negative dimension, bad spacing, unknown datatype...).
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    /// The volume is not three-dimensional.
    #[error("expected a 3D volume, got {0}")]
    NotThreeD(String),
    /// The voxel datatype cannot hold a label map (complex, RGB, ...).
    #[error("unsupported voxel datatype {0}")]
    UnsupportedDatatype(i16),
    /// The volume exceeds the configured voxel limit.
    #[error("volume has {voxels} voxels, more than the limit of {limit}")]
    TooLarge { voxels: u64, limit: u64 },
    /// More distinct label values than a label map may hold.
    #[error("more than {0} distinct label values")]
    TooManyLabels(usize),
    /// The two masks do not share one voxel grid.
    #[error("shape mismatch: pred {pred:?}, ref {reference:?}")]
    ShapeMismatch {
        pred: [usize; 3],
        reference: [usize; 3],
    },
    /// The two masks disagree on voxel spacing.
    #[error("spacing mismatch: pred {pred:?}, ref {reference:?}")]
    SpacingMismatch { pred: [f64; 3], reference: [f64; 3] },
    /// A run-length encoded mask is malformed.
    #[error("invalid run-length encoding: {0}")]
    InvalidRle(String),
    /// A metric option is out of range (e.g. a negative NSD tolerance).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// Reading a file failed (not found, permission...).
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

impl MaskError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotNifti(_) => "not_nifti",
            Self::Truncated(_) => "truncated",
            Self::Corrupt(_) => "corrupt_data",
            Self::InvalidHeader(_) => "invalid_header",
            Self::NotThreeD(_) => "not_3d",
            Self::UnsupportedDatatype(_) => "unsupported_datatype",
            Self::TooLarge { .. } => "too_large",
            Self::TooManyLabels(_) => "too_many_labels",
            Self::ShapeMismatch { .. } => "shape_mismatch",
            Self::SpacingMismatch { .. } => "spacing_mismatch",
            Self::InvalidRle(_) => "invalid_rle",
            Self::InvalidOption(_) => "invalid_option",
            Self::Io { .. } => "io_error",
        }
    }
}
