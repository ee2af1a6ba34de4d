//! Storage port: the `Store` trait speaks domain types; `diesel/` implements it for SQLite and
//! PostgreSQL from one schema and one query code base. Calls are blocking: callers run them
//! on the blocking pool (`web::block`), never on the async workers.

pub mod diesel;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::alerting::alert::Alert;
use crate::alerting::outbox::OutboxMessage;
use crate::alerting::rules::AlertState;
use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::domain::model::ModelVersion;
use crate::domain::site::Site;
use crate::domain::user::User;
use crate::monitoring::retraining::ManifestCase;

/// Storage failures, in the terms callers act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    /// `sqlite://PATH` or `postgres://` / `postgresql://`; anything else is refused.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite://") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            let scheme = url
                .split("://")
                .next()
                .filter(|_| url.contains("://"))
                .unwrap_or("(none)");
            Err(format!(
                "unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
            ))
        }
    }
}

/// One inference event ready to store (validated, canonical JSON, content hash).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: String,
    pub site_id: String,
    pub model_id: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub case_ref: String,
    pub modality: String,
    pub scanner_manufacturer: String,
    pub scanner_model: String,
    pub slice_thickness_mm: f64,
    pub pixel_spacing_mm: f64,
    pub kvp: Option<f64>,
    pub field_strength_t: Option<f64>,
    pub contrast: Option<bool>,
    pub age_band: Option<String>,
    pub sex: Option<String>,
    pub input_features: String,
    pub output_status: String,
    pub latency_ms: f64,
    pub output_features: String,
    pub content_hash: String,
}

/// One review ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    pub review_id: String,
    pub event_id: String,
    pub site_id: String,
    pub model_id: String,
    pub reviewed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub outcome: String,
    pub severity: String,
    pub metrics: Option<String>,
    pub content_hash: String,
}

/// Who an event belongs to: its site and model version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOwner {
    pub site_id: String,
    pub model_id: String,
}

/// What became of one item of an idempotent batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemFate {
    Accepted,
    /// Same id, same content: already stored, nothing written.
    Duplicate,
    /// Same id, different content: the whole batch is refused.
    Conflict,
}

/// Count of events or reviews for one site, model version and UTC day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DailyCount {
    pub site_id: String,
    pub model_id: String,
    pub day: NaiveDate,
    pub events: i64,
    pub reviews: i64,
}

/// Filter of the daily count query; `None` means all.
#[derive(Debug, Clone, Default)]
pub struct CountFilter {
    pub site_id: Option<String>,
    pub model_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

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

/// Filter of the alert list.
#[derive(Debug, Clone)]
pub struct AlertFilter {
    pub state: Option<AlertState>,
    pub model: Option<String>,
    pub limit: i64,
}

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
    pub criteria: String,
    pub manifest: String,
    pub manifest_sha256: String,
    pub case_count: i64,
    /// created, delivered, delivery_failed, accepted, training, completed, failed.
    pub status: String,
    pub status_detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
}

/// Connection pool occupancy, for the metrics gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// Everything the service layer needs from the database.
pub trait Store: Send + Sync {
    fn kind(&self) -> DatabaseKind;
    /// Round-trip to the database (readiness).
    fn ping(&self) -> Result<(), StoreError>;
    fn pool_state(&self) -> PoolState;

    fn insert_site(
        &self,
        site: &Site,
        key_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn list_sites(&self) -> Result<Vec<Site>, StoreError>;
    fn site_by_key_hash(&self, key_hash: &str) -> Result<Option<Site>, StoreError>;
    fn rotate_site_key(
        &self,
        site_id: &str,
        key_hash: &str,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn set_site_disabled(
        &self,
        site_id: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;

    fn insert_user(
        &self,
        user: &User,
        token_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn list_users(&self) -> Result<Vec<User>, StoreError>;
    fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;

    fn insert_model(&self, model: &ModelVersion, audit: &AuditDraft) -> Result<(), StoreError>;
    fn list_models(&self) -> Result<Vec<ModelVersion>, StoreError>;
    fn find_model(&self, name: &str, version: &str) -> Result<Option<ModelVersion>, StoreError>;

    /// Store the batch idempotently in one transaction. If any item conflicts, nothing is
    /// written and the fates say which; otherwise new items are written, duplicates skipped.
    fn ingest_events(&self, events: &[NewEvent]) -> Result<Vec<ItemFate>, StoreError>;
    /// Site and model version of each known event id (unknown ids are absent).
    fn event_owners(&self, event_ids: &[String])
    -> Result<HashMap<String, EventOwner>, StoreError>;
    fn ingest_reviews(&self, reviews: &[NewReview]) -> Result<Vec<ItemFate>, StoreError>;
    /// Site that reported the review, if it exists.
    fn review_site(&self, review_id: &str) -> Result<Option<String>, StoreError>;
    /// Store metrics computed server-side from uploaded masks on the review.
    fn set_review_server_metrics(
        &self,
        review_id: &str,
        metrics_json: &str,
    ) -> Result<(), StoreError>;
    fn daily_counts(&self, filter: &CountFilter) -> Result<Vec<DailyCount>, StoreError>;

    /// Append a plan version (numbered from 1 per model) with its audit entry.
    fn append_plan(&self, plan: &NewPlan, audit: &AuditDraft) -> Result<i64, StoreError>;
    /// Every version of a model's plan, oldest first.
    fn plans(&self, model: &str) -> Result<Vec<StoredPlan>, StoreError>;

    /// The open, acknowledged or escalated alert of a key.
    fn active_alert(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<Alert>, StoreError>;
    /// When the most recent alert of a key was closed (for the cool-down).
    fn last_alert_closed(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn insert_alert(&self, alert: &Alert) -> Result<(), StoreError>;
    /// Write the whole alert; with an audit draft when a person moved it.
    fn update_alert(&self, alert: &Alert, audit: Option<&AuditDraft>) -> Result<(), StoreError>;
    fn alert(&self, id: &str) -> Result<Option<Alert>, StoreError>;
    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError>;

    /// Queue a message; `false` when its dedup key was queued before (nothing written).
    fn enqueue_message(&self, message: &OutboxMessage) -> Result<bool, StoreError>;
    /// Unsent messages whose next attempt is due, oldest first.
    fn due_messages(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Every message, sent or not (operations and tests).
    fn outbox_messages(&self) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Store the outcome of a send attempt (attempts, next attempt, sent time, error).
    fn record_attempt(&self, message: &OutboxMessage) -> Result<(), StoreError>;

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

    fn append_audit(&self, audit: &AuditDraft) -> Result<AuditEntry, StoreError>;
    fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError>;
}
