//! Evaluations as a view of the job queue: an evaluation is a job of kind `evaluation` whose
//! subject is the model name and whose payload holds `as_of` and the trigger; its summary is
//! the job's result. The `Store` methods about evaluations (kept so that callers and the
//! `/api/v1/evaluations` routes did not change) are these functions over any `JobStore`.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::jobs::{ClaimSpec, Job, JobEnd, JobFilter, JobState, JobStore, NewJob};
use super::{EvaluationJob, StoreError};

/// The job kind of evaluations.
pub const KIND: &str = "evaluation";

/// Attempts of an evaluation job: a runner that dies mid-evaluation (its lease lapses) is
/// taken over by another runner, at most twice; then the job fails (status `failed`, the
/// `vigil_evaluation_jobs{status="failed"}` gauge) and the next scheduled day resumes.
pub const ATTEMPTS: i64 = 3;

fn kinds() -> [String; 1] {
    [KIND.to_string()]
}

/// The evaluation a job stands for.
pub fn from_job(job: Job) -> EvaluationJob {
    let as_of = job.payload["as_of"]
        .as_str()
        .and_then(|s| s.parse::<NaiveDate>().ok())
        .unwrap_or_default();
    let status = match job.state {
        JobState::Succeeded => "done",
        other => other.as_str(),
    };
    EvaluationJob {
        model: job.subject.clone().unwrap_or_default(),
        trigger: job.payload["trigger"].as_str().unwrap_or("request").into(),
        requested_by: job.requested_by,
        requested_at: job.created_at,
        as_of,
        status: status.into(),
        runner: job.lease_owner,
        lease_until: job.lease_until,
        started_at: job.started_at,
        finished_at: job.finished_at,
        summary: job.result,
        error: job.error,
        id: job.id,
    }
}

/// The job to queue for an evaluation: [`ATTEMPTS`] attempts (a takeover resumes from the
/// monitor's cursor), at most one queued per model.
pub fn to_new_job(e: &EvaluationJob) -> NewJob {
    NewJob {
        id: e.id.clone(),
        kind: KIND.into(),
        subject: Some(e.model.clone()),
        payload: json!({"model": e.model, "as_of": e.as_of, "trigger": e.trigger}),
        requested_by: e.requested_by.clone(),
        created_at: e.requested_at,
        max_attempts: ATTEMPTS,
        unique_queued: true,
    }
}

pub fn enqueue(store: &dyn JobStore, e: &EvaluationJob) -> Result<EvaluationJob, StoreError> {
    store.enqueue_job(&to_new_job(e)).map(from_job)
}

/// Claim the oldest queued evaluation unless one is running anywhere (one at a time: they
/// share alert state).
pub fn claim(
    store: &dyn JobStore,
    runner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<EvaluationJob>, StoreError> {
    let kinds = kinds();
    let spec = ClaimSpec {
        runner,
        kinds: &kinds,
        exclusive: &kinds,
        now,
        lease_until,
    };
    Ok(store.claim_job(&spec)?.map(from_job))
}

/// Extend the lease; `false` when it was lost or a cancel was asked for: either way the
/// evaluator stops before its next day.
pub fn renew(
    store: &dyn JobStore,
    id: &str,
    runner: &str,
    lease_until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if !store.renew_job_lease(id, runner, lease_until)? {
        return Ok(false);
    }
    Ok(store.job(id)?.is_some_and(|j| !j.cancel_requested))
}

/// Record an evaluation's end (`done`, `failed` or `cancelled`) with its summary or error.
pub fn finish(store: &dyn JobStore, e: &EvaluationJob) -> Result<(), StoreError> {
    let end = match e.status.as_str() {
        "done" => JobEnd::Succeeded {
            result: e.summary.clone(),
            result_blob: None,
        },
        "cancelled" => JobEnd::Cancelled,
        _ => JobEnd::Failed {
            error: e.error.clone().unwrap_or_default(),
        },
    };
    let runner = e.runner.as_deref().unwrap_or_default();
    let at = e.finished_at.unwrap_or(e.requested_at);
    store.finish_job(&e.id, runner, &end, at).map(|_| ())
}

pub fn get(store: &dyn JobStore, id: &str) -> Result<Option<EvaluationJob>, StoreError> {
    Ok(store.job(id)?.filter(|j| j.kind == KIND).map(from_job))
}

/// Newest first.
pub fn list(
    store: &dyn JobStore,
    model: Option<&str>,
    limit: i64,
) -> Result<Vec<EvaluationJob>, StoreError> {
    page(store, model, limit, None)
}

/// Newest first (ties by id descending), starting after `after` = `(requested_at, id)`.
pub fn page(
    store: &dyn JobStore,
    model: Option<&str>,
    limit: i64,
    after: Option<(DateTime<Utc>, String)>,
) -> Result<Vec<EvaluationJob>, StoreError> {
    let filter = JobFilter {
        kind: Some(KIND.into()),
        state: None,
        subject: model.map(str::to_string),
        limit,
        after,
    };
    Ok(store.jobs(&filter)?.into_iter().map(from_job).collect())
}
