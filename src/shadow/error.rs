//! Errors of shadow evaluation, each with the stable snake_case code the API answers with.
//! Messages name the field or tensor at fault and never contain voxel data or case content.

use thiserror::Error;

/// Everything that can go wrong between a spec upload and a scored case.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ShadowError {
    #[error("inference spec field `{field}`: {message}")]
    InvalidSpec { field: String, message: String },
    #[error("hardware profile field `{field}`: {message}")]
    InvalidProfile { field: String, message: String },
    #[error("ONNX Runtime is not available: {0}")]
    RuntimeUnavailable(String),
    #[error("not a usable ONNX model: {0}")]
    InvalidModel(String),
    #[error("model does not match its spec: {0}")]
    SpecMismatch(String),
    #[error("inference failed: {0}")]
    InferenceFailed(String),
    #[error("volume refused: {0}")]
    InvalidVolume(String),
    #[error("memory budget: {0}")]
    OverMemoryBudget(String),
    #[error("comparison: {0}")]
    Comparison(String),
}

impl ShadowError {
    /// The stable code of the error table.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidSpec { .. } => "invalid_spec",
            Self::InvalidProfile { .. } => "invalid_profile",
            Self::RuntimeUnavailable(_) => "runtime_unavailable",
            Self::InvalidModel(_) => "invalid_model",
            Self::SpecMismatch(_) => "spec_mismatch",
            Self::InferenceFailed(_) => "inference_failed",
            Self::InvalidVolume(_) => "invalid_volume",
            Self::OverMemoryBudget(_) => "over_memory_budget",
            Self::Comparison(_) => "comparison_failed",
        }
    }
}
