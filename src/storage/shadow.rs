//! The shadow-evaluation port: model artefacts (ONNX blob key, inference spec, role) and the
//! reviewed-case archive (volume and mask blob keys with metadata). Shadow runs themselves are
//! jobs (`storage::jobs`), their dossiers blobs. Role changes and erasures are audited in the
//! same transaction as the change.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::audit::AuditDraft;

/// A model version's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelRole {
    Candidate,
    Deployed,
    Retired,
}

impl ModelRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Candidate => "candidate",
            Self::Deployed => "deployed",
            Self::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "candidate" => Some(Self::Candidate),
            "deployed" => Some(Self::Deployed),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }
}

/// The ONNX file and spec of one model version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelArtifact {
    pub model_id: String,
    pub onnx_sha256: String,
    /// The spec as uploaded (a JSON object; stored as the uploaded text).
    #[serde(serialize_with = "super::json_text::as_json")]
    #[schema(value_type = Object)]
    pub spec: String,
    pub role: ModelRole,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    pub role_changed_at: DateTime<Utc>,
}

/// One archived reviewed case.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ArchiveCase {
    pub case_ref: String,
    pub stratum: String,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub image_sha256: String,
    pub mask_sha256: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Storage of artefacts and the archive.
pub trait ShadowStore: Send + Sync {
    /// Insert or replace a version's artefact (audited).
    fn put_artifact(&self, a: &ModelArtifact, audit: &AuditDraft) -> Result<(), StoreError>;
    fn artifact(&self, model_id: &str) -> Result<Option<ModelArtifact>, StoreError>;
    /// The deployed artefact among the versions of the model named `name`.
    fn deployed_artifact(&self, name: &str) -> Result<Option<ModelArtifact>, StoreError>;
    /// Make `model_id` deployed and retire the other deployed versions of its model (audited).
    fn promote_artifact(
        &self,
        model_id: &str,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// Add a case; `Conflict` when its case_ref is archived already (audited).
    fn add_archive_case(&self, c: &ArchiveCase, audit: &AuditDraft) -> Result<(), StoreError>;
    /// Cases, oldest first, optionally of one stratum.
    fn archive_cases(&self, stratum: Option<&str>) -> Result<Vec<ArchiveCase>, StoreError>;
    fn archive_case(&self, case_ref: &str) -> Result<Option<ArchiveCase>, StoreError>;
    /// Remove a case's row (audited); returns it, or None when absent.
    fn erase_archive_case(
        &self,
        case_ref: &str,
        audit: &AuditDraft,
    ) -> Result<Option<ArchiveCase>, StoreError>;
    /// True while an archive case or an artefact still points at the blob.
    fn blob_referenced(&self, sha256: &str) -> Result<bool, StoreError>;
}
