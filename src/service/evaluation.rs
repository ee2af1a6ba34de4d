//! Evaluation jobs: requested on demand or queued by the daily schedule, claimed one at a
//! time across replicas (a lease in the database), and run model version by model version.
//! A job evaluates every whole UTC day before its `as_of` day that was not evaluated yet.
//! The daily schedule runs on every replica; its job for a (model, day) has an id derived from
//! both, so a second replica's insert hits the primary key instead of queuing it twice.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use std::sync::atomic::AtomicBool;

use super::Clock;
use super::admin::Actor;
use super::evaluation_job::EvaluationHandler;
use crate::blobs::BlobStore;
use crate::jobs::{Deps, RunnerConfig, execute};
use crate::monitoring::plan::PmsPlan;
use crate::storage::evaluations;
use crate::storage::jobs::{ClaimSpec, JobStore};
use crate::storage::{EvaluationJob, Store, StoreError};

/// How long a claim holds before another runner may take over, where no configuration is at
/// hand (the CLI's one-off runs); `serve` and `worker` use `job_lease_s`. The lease is renewed
/// before every evaluated day and by the queue's heartbeat.
pub const LEASE: Duration = Duration::minutes(10);

/// What an evaluator needs besides the store.
pub struct EvaluatorEnv<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    /// Identifies this process in the lease.
    pub runner: &'a str,
    /// Base URL for links in alert e-mails.
    pub public_url: &'a str,
    /// Where alerts are also POSTed; empty: e-mail only.
    pub webhook_url: &'a str,
    /// Where a plan's trend section stores the drafts it writes (the configured blob store).
    pub blobs: &'a dyn BlobStore,
}

/// Why an evaluation could not be requested.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error("model {0:?} has no PMS plan; upload one first")]
    NoPlan(String),
    #[error("as_of {0} lies in the future")]
    FutureDay(NaiveDate),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queue an evaluation of `model` through the day before `as_of` (default: today). A job
/// already queued for the model is returned instead of a second one.
pub fn request_evaluation(
    store: &dyn Store,
    actor: &Actor,
    model: &str,
    as_of: Option<NaiveDate>,
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<EvaluationJob, EvaluationError> {
    let id = uuid::Uuid::new_v4().to_string();
    queue_evaluation(store, actor, model, as_of, trigger, now, id)
}

/// The id of the scheduled evaluation of `model` for `day`: the same on every replica
/// (SHA-256 of both, as a version-8 UUID).
pub fn scheduled_evaluation_id(model: &str, day: NaiveDate) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("vigil:evaluation-schedule:{model}:{day}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn queue_evaluation(
    store: &dyn Store,
    actor: &Actor,
    model: &str,
    as_of: Option<NaiveDate>,
    trigger: &str,
    now: DateTime<Utc>,
    id: String,
) -> Result<EvaluationJob, EvaluationError> {
    if store.plans(model)?.is_empty() {
        return Err(EvaluationError::NoPlan(model.into()));
    }
    let today = now.date_naive();
    let as_of = as_of.unwrap_or(today);
    if as_of > today + Duration::days(1) {
        return Err(EvaluationError::FutureDay(as_of));
    }
    let job = EvaluationJob {
        id,
        model: model.into(),
        trigger: trigger.into(),
        requested_by: actor.0.clone(),
        requested_at: now,
        as_of,
        status: "queued".into(),
        runner: None,
        lease_until: None,
        started_at: None,
        finished_at: None,
        summary: None,
        error: None,
    };
    Ok(store.enqueue_evaluation(&job)?)
}

/// Queue the daily evaluation of every model with a plan whose last job did not cover
/// today yet. Returns how many were queued. Safe on every replica at once: the job id is
/// [`scheduled_evaluation_id`], and a replica that loses the race gets a conflict, not a copy.
pub fn schedule_due(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let today = now.date_naive();
    let mut names: Vec<String> = store.list_models()?.into_iter().map(|m| m.name).collect();
    names.sort();
    names.dedup();
    let mut queued = 0;
    for name in names {
        if store.plans(&name)?.is_empty() {
            continue;
        }
        // Today is done when a recent job covers it, unless that job found no baseline and
        // one has been frozen since (jobs queued in the same instant come in either order).
        let mut covered = false;
        for j in store.evaluations(Some(&name), 5)? {
            if j.as_of >= today && !waited_for_a_baseline_now_frozen(store, &j)? {
                covered = true;
                break;
            }
        }
        if covered {
            continue;
        }
        let actor = Actor("vigil:schedule".into());
        let id = scheduled_evaluation_id(&name, today);
        if store.evaluation(&id)?.is_some() {
            continue;
        }
        match queue_evaluation(
            store,
            &actor,
            &name,
            Some(today),
            "schedule",
            now,
            id.clone(),
        ) {
            Ok(job) if job.id == id => queued += 1,
            Ok(_) => {}
            // Another replica queued this (model, day) first.
            Err(EvaluationError::Store(StoreError::Conflict(_))) => {}
            Err(EvaluationError::Store(e)) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(queued)
}

/// Whether a finished job skipped a model version for want of a baseline that is in force
/// now: then the day it covered is not done, and the schedule runs it again.
fn waited_for_a_baseline_now_frozen(
    store: &dyn Store,
    job: &EvaluationJob,
) -> Result<bool, StoreError> {
    let Some(summary) = &job.summary else {
        return Ok(false);
    };
    let versions = summary["versions"].as_array().cloned().unwrap_or_default();
    for v in versions.iter().filter(|v| v["status"] == "no_baseline") {
        if let Some(id) = v["model_id"].as_str()
            && store.latest_baseline(id)?.is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Claim and run queued evaluations in this process until none is left (or another runner
/// holds the one-at-a-time lease), through the job queue's `execute` with the `evaluation`
/// kind's handler, under the [`LEASE`]. Returns the evaluations this call ran.
pub fn run_queued(env: &EvaluatorEnv<'_>) -> Result<Vec<EvaluationJob>, StoreError> {
    let config = RunnerConfig {
        lease: LEASE,
        ..RunnerConfig::default()
    };
    run_queued_with(env, config)
}

/// [`run_queued`] under the given lease timing (`serve` passes its `job_lease_s`). A claim
/// first takes over evaluations whose runner's lease lapsed (a replica died mid-run).
pub fn run_queued_with(
    env: &EvaluatorEnv<'_>,
    config: RunnerConfig,
) -> Result<Vec<EvaluationJob>, StoreError> {
    let store: &dyn JobStore = env.store;
    let handler = EvaluationHandler {
        store: env.store,
        public_url: env.public_url,
        webhook_url: env.webhook_url,
    };
    let shutdown = AtomicBool::new(false);
    let deps = Deps {
        store,
        blobs: env.blobs,
        clock: env.clock,
        runner: env.runner,
        config,
        shutdown: &shutdown,
    };
    let kinds = [evaluations::KIND.to_string()];
    let mut done = Vec::new();
    loop {
        let now = env.clock.now();
        let spec = ClaimSpec {
            runner: env.runner,
            kinds: &kinds,
            exclusive: &kinds,
            now,
            lease_until: now + config.lease,
        };
        let Some(job) = store.claim_job(&spec)? else {
            return Ok(done);
        };
        let id = job.id.clone();
        execute(&deps, &handler, job)?;
        done.extend(evaluations::get(store, &id)?);
    }
}

/// This process's name in evaluation leases (pid and a random suffix, fixed per process).
pub fn process_runner_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        format!("pid{}-{}", std::process::id(), &suffix[..8])
    })
}

/// One evaluator round: queue the daily evaluations that are due, run queued jobs under the
/// given lease timing (`None`: this process runs no jobs), then queue the daily digests.
pub fn evaluator_round(
    env: &EvaluatorEnv<'_>,
    run_jobs: Option<RunnerConfig>,
) -> Result<Vec<EvaluationJob>, StoreError> {
    schedule_due(env.store, env.clock.now())?;
    let done = match run_jobs {
        Some(config) => run_queued_with(env, config)?,
        None => Vec::new(),
    };
    enqueue_digests(env.store, env.public_url, env.clock.now())?;
    Ok(done)
}

/// Queue yesterday's digest for every model whose plan asks for one (once per model and
/// day). Returns how many were queued.
pub fn enqueue_digests(
    store: &dyn Store,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let day = now.date_naive() - Duration::days(1);
    let mut names: Vec<String> = store.list_models()?.into_iter().map(|m| m.name).collect();
    names.sort();
    names.dedup();
    let mut queued = 0;
    for name in names {
        let Some(stored) = store.plans(&name)?.pop() else {
            continue;
        };
        let Ok(plan) = toml::from_str::<PmsPlan>(&stored.body) else {
            continue;
        };
        // Everyone who receives any alert gets the digest.
        let recipients = plan.recipients_for(crate::monitoring::plan::Severity::Critical);
        if !plan.alerts.daily_digest || recipients.is_empty() {
            continue;
        }
        let filter = crate::storage::AlertFilter {
            state: None,
            model: Some(name.clone()),
            limit: 10_000,
            after: None,
        };
        let alerts = store.alerts(&filter)?;
        let Some(message) = crate::alerting::digest::digest_message(
            &name, day, &alerts, recipients, public_url, now,
        ) else {
            continue;
        };
        if store.enqueue_message(&message)? {
            queued += 1;
        }
    }
    Ok(queued)
}
