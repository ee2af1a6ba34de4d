//! Storage port of one aggregate: model versions, their PMS plan versions and frozen baselines.
//! `diesel/store_models.rs` implements it; `Store` is the sum of all such traits.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::audit::AuditDraft;
use crate::domain::model::ModelVersion;

/// A PMS plan version to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub model: String,
    /// The TOML exactly as uploaded (the controlled document).
    pub body: String,
    pub body_sha256: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A stored PMS plan version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredPlan {
    pub model: String,
    pub version: i64,
    pub body: String,
    pub body_sha256: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A frozen baseline version of a model version (the newest is in force).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredBaseline {
    pub id: String,
    /// Model version id, `name@version`.
    pub model_id: String,
    /// `upload:csv`, `upload:json`, `freeze:first_days=N` or `freeze:first_events=N`.
    pub source: String,
    pub rows: i64,
    /// The frozen baseline as JSON.
    #[serde(skip)]
    pub body: String,
    pub body_sha256: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// Model versions, their PMS plan versions and frozen baselines.
pub trait ModelStore: Send + Sync {
    fn insert_model(&self, model: &ModelVersion, audit: &AuditDraft) -> Result<(), StoreError>;
    fn list_models(&self) -> Result<Vec<ModelVersion>, StoreError>;
    fn find_model(&self, name: &str, version: &str) -> Result<Option<ModelVersion>, StoreError>;
    /// Append a plan version (numbered from 1 per model) with its audit entry.
    fn append_plan(&self, plan: &NewPlan, audit: &AuditDraft) -> Result<i64, StoreError>;
    /// Every version of a model's plan, oldest first.
    fn plans(&self, model: &str) -> Result<Vec<StoredPlan>, StoreError>;
    /// Append a baseline version with its audit entry.
    fn insert_baseline(
        &self,
        baseline: &StoredBaseline,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// The baseline in force (the newest) of a model version.
    fn latest_baseline(&self, model_id: &str) -> Result<Option<StoredBaseline>, StoreError>;
}
