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
use crate::monitoring::columns::{CaseObs, ReviewObs};
use crate::monitoring::findings::{Finding, FindingStatus, WindowKind};
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
    /// When the event happened: a review may not be dated before it.
    pub occurred_at: DateTime<Utc>,
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
    /// A model version id (`name@version`), or a model name for all its versions.
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

/// An evaluation job: queued, running (under a lease), done or failed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EvaluationJob {
    pub id: String,
    /// Model name: every registered version with a baseline is evaluated.
    pub model: String,
    /// `schedule` or `request`.
    pub trigger: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// Days before this one (UTC) are evaluated.
    pub as_of: NaiveDate,
    pub status: String,
    pub runner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// JSON summary of what the run did.
    pub summary: Option<String>,
    pub error: Option<String>,
}

/// A finding as stored: which evaluation, plan version and baseline produced it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredFinding {
    pub evaluation_id: String,
    pub seq: i64,
    pub model_id: String,
    pub plan_version: i64,
    pub baseline_id: String,
    #[serde(flatten)]
    pub finding: Finding,
    pub created_at: DateTime<Utc>,
}

/// Filter of the finding list; `None` means all.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub model_id: Option<String>,
    pub evaluation_id: Option<String>,
    pub rule: Option<String>,
    pub stratum: Option<String>,
    pub window: Option<WindowKind>,
    pub status: Option<FindingStatus>,
    /// Findings whose window ends on or after this day.
    pub from: Option<NaiveDate>,
    pub limit: i64,
}

/// Where the monitor of a model version stands: evaluated through `through` (exclusive),
/// against which baseline and plan, and its carried state (JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorCursor {
    pub model_id: String,
    pub through: NaiveDate,
    pub baseline_id: String,
    pub plan_version: i64,
    pub state: String,
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

    /// Append a baseline version with its audit entry.
    fn insert_baseline(
        &self,
        baseline: &StoredBaseline,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// The baseline in force (the newest) of a model version.
    fn latest_baseline(&self, model_id: &str) -> Result<Option<StoredBaseline>, StoreError>;
    /// Cases of a model version that occurred in `[from, to)` (UTC days), oldest first.
    fn monitor_cases(
        &self,
        model_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseObs>, StoreError>;
    /// The first `limit` cases of a model version, oldest first.
    fn first_cases(&self, model_id: &str, limit: i64) -> Result<Vec<CaseObs>, StoreError>;
    /// Reviews of a model version made in `[from, to)` (UTC days), with their events' strata.
    fn monitor_reviews(
        &self,
        model_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReviewObs>, StoreError>;
    /// Day of the earliest event of a model version.
    fn first_event_day(&self, model_id: &str) -> Result<Option<NaiveDate>, StoreError>;

    /// Queue an evaluation unless one for the model is already queued; returns the queued job.
    fn enqueue_evaluation(&self, job: &EvaluationJob) -> Result<EvaluationJob, StoreError>;
    /// Take the oldest queued job if no other job holds a live lease (one evaluator at a
    /// time across replicas); a running job whose lease ran out is marked failed first.
    fn claim_evaluation(
        &self,
        runner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<EvaluationJob>, StoreError>;
    /// Extend the lease of a running job; false when the lease was lost.
    fn renew_lease(
        &self,
        id: &str,
        runner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Store a job's end (done or failed) with its summary or error.
    fn finish_evaluation(&self, job: &EvaluationJob) -> Result<(), StoreError>;
    fn evaluation(&self, id: &str) -> Result<Option<EvaluationJob>, StoreError>;
    /// Newest first.
    fn evaluations(
        &self,
        model: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EvaluationJob>, StoreError>;
    /// Store one day's (or window's) findings and the monitor's new cursor together.
    fn save_progress(
        &self,
        findings: &[StoredFinding],
        cursor: &MonitorCursor,
    ) -> Result<(), StoreError>;
    fn monitor_cursor(&self, model_id: &str) -> Result<Option<MonitorCursor>, StoreError>;
    /// Findings matching the query, ordered by window end then sequence.
    fn findings(&self, query: &FindingQuery) -> Result<Vec<StoredFinding>, StoreError>;

    fn append_audit(&self, audit: &AuditDraft) -> Result<AuditEntry, StoreError>;
    fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError>;
}
