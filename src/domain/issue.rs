//! A refused field of a request item: index, JSON path and code, never the offending value.

use serde::Serialize;

/// One offending item of a refused batch: its index, the field path and what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldIssue {
    /// Index of the item in the batch, when the issue belongs to one item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// JSON path of the field, e.g. `events[3].scanner.model`.
    pub path: String,
    /// Stable code of the issue, e.g. `invalid_value`, `unknown_feature`, `dicom_uid`.
    pub code: String,
    /// Explanation for a person; never echoes the value.
    pub message: String,
}

impl FieldIssue {
    pub fn new(index: usize, path: String, code: &str, message: impl Into<String>) -> Self {
        Self {
            index: Some(index),
            path,
            code: code.to_string(),
            message: message.into(),
        }
    }
}
