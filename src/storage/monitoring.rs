//! Storage port of one aggregate: what the plan evaluation reads and writes: cases and reviews
//! per day, evaluations (a view of the job queue), findings and the monitor cursor.
//! `diesel/store_monitoring.rs` implements it; `Store` is the sum of all such traits.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;
use crate::monitoring::columns::{CaseObs, ReviewObs};
use crate::monitoring::findings::{Finding, FindingStatus, WindowKind};

/// An evaluation: a job of kind `evaluation` seen as before the job queue existed (queued,
/// running under a lease, done, failed or cancelled); see `storage::evaluations`.
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
    /// What the run did (a JSON object: per version, days, findings, alerts).
    #[schema(value_type = Option<Object>)]
    pub summary: Option<serde_json::Value>,
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
    /// A model version id (`name@version`), or a model name for all its versions.
    pub model_id: Option<String>,
    pub evaluation_id: Option<String>,
    pub rule: Option<String>,
    pub stratum: Option<String>,
    pub window: Option<WindowKind>,
    pub status: Option<FindingStatus>,
    /// Findings whose window ends on or after this day.
    pub from: Option<NaiveDate>,
    pub limit: i64,
    /// Keyset paging: only findings after this `(window_end, evaluation_id, seq)` in the
    /// list's order.
    pub after: Option<(NaiveDate, String, i64)>,
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

/// What the plan evaluation reads and writes: cases and reviews per day, evaluations (a view of the job queue), findings and the monitor cursor.
pub trait MonitorStore: Send + Sync {
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
}
