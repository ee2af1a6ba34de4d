//! Storage port of the durable job queue: one table of jobs of every kind (evaluations,
//! shadow runs, reports, ...), claimed under a lease so that any number of `serve` and
//! `worker` processes can share it. Records speak domain terms; `diesel/jobs.rs` implements
//! the trait on SQLite (claims under `BEGIN IMMEDIATE`) and PostgreSQL (`FOR UPDATE SKIP
//! LOCKED`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;

/// Where a job stands. `Queued` jobs wait for `next_attempt_at`; `Running` jobs hold a lease;
/// the other three are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Succeeded, failed or cancelled: nothing will change it any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

/// Progress a handler reported: `done` of `total` steps and a short message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobProgress {
    pub done: i64,
    pub total: i64,
    pub message: Option<String>,
}

/// One job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: String,
    /// The registered kind whose handler runs it (`evaluation`, `shadow_run`, ...).
    pub kind: String,
    /// A short label the kind chooses (e.g. the model name): list filter and the key of
    /// "at most one queued job per subject".
    pub subject: Option<String>,
    /// The kind's input, JSON.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub state: JobState,
    pub progress: JobProgress,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Claims so far (a takeover after a lapsed lease counts as a new attempt).
    pub attempts: i64,
    pub max_attempts: i64,
    /// A queued job is not claimed before this time (back-off after a failed attempt).
    pub next_attempt_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    /// The handler's last checkpoint: where a takeover resumes.
    #[schema(value_type = Option<Object>)]
    pub checkpoint: Option<serde_json::Value>,
    /// The handler's result, JSON.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// SHA-256 key of a result kept in the blob store (e.g. a PDF).
    pub result_blob: Option<String>,
    pub error: Option<String>,
    /// Someone asked to cancel a running job; the handler stops at its next step.
    pub cancel_requested: bool,
}

/// A job to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
    pub payload: serde_json::Value,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub max_attempts: i64,
    /// When set, an already queued job of the same kind and subject is returned instead.
    pub unique_queued: bool,
}

/// What a claim may take.
#[derive(Debug, Clone)]
pub struct ClaimSpec<'a> {
    /// This process's name in the lease.
    pub runner: &'a str,
    /// Kinds this runner has handlers for.
    pub kinds: &'a [String],
    /// Kinds of which at most one job runs at a time across all runners.
    pub exclusive: &'a [String],
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    Succeeded {
        result: Option<serde_json::Value>,
        result_blob: Option<String>,
    },
    /// Failed for good (or out of attempts).
    Failed { error: String },
    /// Failed this time; queue again for `retry_at`.
    Retry {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// Stopped after a cancel request.
    Cancelled,
    /// Handed back unfinished (graceful shutdown): queued again at once, the attempt not
    /// counted, the checkpoint kept.
    Released,
}

/// Filter of the job list; `None` means all.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub kind: Option<String>,
    pub state: Option<JobState>,
    pub subject: Option<String>,
    pub limit: i64,
    /// Keyset paging: only jobs after this `(created_at, id)` in the list's order (newest
    /// first, ties by id descending).
    pub after: Option<(DateTime<Utc>, String)>,
}

/// The job queue's storage. Every write that a runner makes names the runner, and does
/// nothing (returning `false`) once the runner's lease is lost, so a worker that was taken
/// over cannot overwrite its successor's work.
pub trait JobStore: Send + Sync {
    /// Queue a job (or return the queued one of the same kind and subject, see `NewJob`).
    fn enqueue_job(&self, job: &NewJob) -> Result<Job, StoreError>;
    /// Take the oldest due job of the given kinds under a lease. First, running jobs whose
    /// lease lapsed are queued again (keeping their checkpoint) or, out of attempts, failed.
    fn claim_job(&self, spec: &ClaimSpec<'_>) -> Result<Option<Job>, StoreError>;
    /// Extend the lease; `false` when it was lost.
    fn renew_job_lease(
        &self,
        id: &str,
        runner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Store progress; `false` when the lease was lost.
    fn set_job_progress(
        &self,
        id: &str,
        runner: &str,
        progress: &JobProgress,
    ) -> Result<bool, StoreError>;
    /// Store the handler's checkpoint; `false` when the lease was lost.
    fn set_job_checkpoint(
        &self,
        id: &str,
        runner: &str,
        checkpoint: &serde_json::Value,
    ) -> Result<bool, StoreError>;
    /// End the runner's attempt; `false` when the lease was lost (nothing written).
    fn finish_job(
        &self,
        id: &str,
        runner: &str,
        end: &JobEnd,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Cancel: a queued job at once; a running one is asked to stop (its handler checks
    /// between steps). Final jobs are left alone. Returns the job as it now is.
    fn cancel_job(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Job>, StoreError>;
    fn job(&self, id: &str) -> Result<Option<Job>, StoreError>;
    /// Newest first.
    fn jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, StoreError>;
}
