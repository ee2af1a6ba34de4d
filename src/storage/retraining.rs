//! Storage port of one aggregate: retraining requests with their manifests of reviewed cases.
//! `diesel/store_retraining.rs` implements it; `Store` is the sum of all such traits.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::audit::AuditDraft;
use crate::monitoring::retraining::ManifestCase;

/// Which reviewed cases to load for a manifest.
#[derive(Debug, Clone)]
pub struct CaseQuery {
    /// Model version ids (`name@version`).
    pub model_ids: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Empty: all sites.
    pub sites: Vec<String>,
}

/// A stored retraining request with its manifest (JSON text, hashed).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RetrainingRecord {
    pub id: String,
    pub model: String,
    /// The criteria as asked for (a JSON object).
    #[serde(serialize_with = "super::json_text::as_json")]
    #[schema(value_type = Object)]
    pub criteria: String,
    /// The manifest (a JSON object): what was POSTed to the training webhook.
    #[serde(serialize_with = "super::json_text::as_json")]
    #[schema(value_type = Object)]
    pub manifest: String,
    /// SHA-256 of the manifest's bytes as sent (the webhook's body, which the signature
    /// covers), not of this answer's rendering of it.
    pub manifest_sha256: String,
    pub case_count: i64,
    /// created, delivered, delivery_failed, accepted, training, completed, failed.
    pub status: String,
    pub status_detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
}

/// Retraining requests with their manifests of reviewed cases.
pub trait RetrainingStore: Send + Sync {
    /// Reviewed cases (review joined to its event) matching the query, oldest first.
    fn reviewed_cases(&self, query: &CaseQuery) -> Result<Vec<ManifestCase>, StoreError>;
    fn insert_retraining(
        &self,
        request: &RetrainingRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn retraining(&self, id: &str) -> Result<Option<RetrainingRecord>, StoreError>;
    fn set_retraining_status(
        &self,
        id: &str,
        status: &str,
        detail: Option<&str>,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
}
