//! The `evaluation` job kind: its handler evaluates every version of the job's model up to
//! the job's `as_of` (`monitor_run`), reporting progress per version; the summary becomes the
//! job's result. One at a time across the fleet (evaluations share alert state). A runner that
//! dies mid-evaluation stops renewing its lease; once it lapses another runner takes the job
//! over (a new attempt, up to `evaluations::ATTEMPTS`) and resumes at the monitor's cursor:
//! the day the dead runner had in flight is evaluated again, its findings were not stored
//! (they are stored with the cursor), its alert changes are recognised and not applied twice
//! (`alert_flow::applied_at`), and finding numbers go on after the ones already stored.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::evaluation::EvaluatorEnv;
use super::monitor_run::{VersionOutcome, run_version};
use super::trend::trend_after_evaluation;
use crate::jobs::{JobContext, JobFailure, JobHandler, JobOutput, KindSpec};
use crate::monitoring::plan::PmsPlan;
use crate::storage::evaluations::{KIND, from_job};
use crate::storage::{EvaluationJob, FindingQuery, Store, StoreError};

/// How the queue treats evaluations.
pub fn kind_spec() -> KindSpec {
    KindSpec {
        name: KIND.into(),
        max_attempts: Some(crate::storage::evaluations::ATTEMPTS as u32),
        exclusive: true,
    }
}

/// The handler over borrowed ports (the in-process evaluation uses it directly).
pub struct EvaluationHandler<'a> {
    pub store: &'a dyn Store,
    pub public_url: &'a str,
    pub webhook_url: &'a str,
}

impl JobHandler for EvaluationHandler<'_> {
    fn run(&self, ctx: &JobContext<'_>) -> Result<JobOutput, JobFailure> {
        let job = from_job(ctx.job().clone());
        let env = EvaluatorEnv {
            store: self.store,
            clock: ctx.clock(),
            runner: ctx.runner(),
            public_url: self.public_url,
            webhook_url: self.webhook_url,
            blobs: ctx.blobs(),
        };
        let started = Instant::now();
        match run_model(&env, &job, ctx) {
            Ok(outcomes) => {
                let versions: Vec<_> = outcomes.iter().map(VersionOutcome::to_json).collect();
                let mut result = json!({"versions": versions});
                // Art. 88: the plan's trend section, on the same days (service/trend.rs).
                let (blobs, now) = (ctx.blobs(), ctx.clock().now());
                if let Some(t) =
                    trend_after_evaluation(self.store, blobs, &job.model, job.as_of, now)
                {
                    result["trend"] = t;
                }
                result["seconds"] = json!(started.elapsed().as_secs_f64());
                Ok(JobOutput {
                    result: Some(result),
                    result_blob: None,
                })
            }
            // A lost lease or a cancel request ends the day loop with an error; say which.
            Err(_) if ctx.is_cancelled() => Err(JobFailure::Stopped),
            Err(e) => Err(JobFailure::Fatal(e)),
        }
    }
}

/// The handler as registered in the queue (owns its ports).
pub struct EvaluationKind {
    pub store: Arc<dyn Store>,
    pub public_url: String,
    pub webhook_url: String,
}

impl JobHandler for EvaluationKind {
    fn run(&self, ctx: &JobContext<'_>) -> Result<JobOutput, JobFailure> {
        let handler = EvaluationHandler {
            store: &*self.store,
            public_url: &self.public_url,
            webhook_url: &self.webhook_url,
        };
        handler.run(ctx)
    }
}

fn run_model(
    env: &EvaluatorEnv<'_>,
    job: &EvaluationJob,
    ctx: &JobContext<'_>,
) -> Result<Vec<VersionOutcome>, String> {
    let stored = env
        .store
        .plans(&job.model)
        .map_err(|e| e.to_string())?
        .pop()
        .ok_or_else(|| format!("model {:?} has no PMS plan", job.model))?;
    let plan: PmsPlan = toml::from_str(&stored.body).map_err(|e| format!("stored plan: {e}"))?;
    let versions: Vec<_> = env
        .store
        .list_models()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|m| m.name == job.model)
        .collect();
    let mut out = Vec::new();
    let total = versions.len() as u64;
    // Finding numbers go on after those an earlier attempt (or version) stored for this job.
    let mut seq = next_finding_seq(env.store, &job.id).map_err(|e| e.to_string())?;
    for (i, version) in versions.iter().enumerate() {
        ctx.progress(i as u64, total, &version.id)
            .map_err(|e| e.to_string())?;
        let outcome = run_version(env, job, (&stored, &plan), version, ctx, seq)
            .map_err(|e| e.to_string())?;
        seq += outcome.findings as i64;
        out.push(outcome);
    }
    ctx.progress(total, total, "").map_err(|e| e.to_string())?;
    Ok(out)
}

/// The first free finding number of an evaluation: after every finding already stored for it.
fn next_finding_seq(store: &dyn Store, evaluation_id: &str) -> Result<i64, StoreError> {
    let query = FindingQuery {
        evaluation_id: Some(evaluation_id.to_string()),
        limit: i64::MAX,
        ..FindingQuery::default()
    };
    let stored = store.findings(&query)?;
    Ok(stored.iter().map(|f| f.seq + 1).max().unwrap_or(0))
}
