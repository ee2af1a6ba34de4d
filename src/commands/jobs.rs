//! `vigil jobs list|show|cancel`: the job queue from the command line (the same records as
//! `GET /api/v1/jobs`).

use chrono::Utc;

use crate::app::open_store;
use crate::config::Settings;
use crate::jobs::probe;
use crate::storage::jobs::{Job, JobFilter, JobState, JobStore};

/// `vigil jobs ...`
#[derive(Debug, clap::Subcommand)]
pub enum JobsCommand {
    /// Jobs, newest first.
    List {
        /// Only this kind (e.g. `evaluation`).
        #[arg(long)]
        kind: Option<String>,
        /// Only this state: queued, running, succeeded, failed, cancelled.
        #[arg(long)]
        state: Option<String>,
        /// At most this many, newest first.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One job as JSON: state, progress, attempts, lease, result or error.
    Show {
        /// The job id.
        id: String,
    },
    /// Cancel a queued job, or ask a running one to stop at its next step.
    Cancel {
        /// The job id.
        id: String,
    },
    /// Queue a probe job (STEPS steps of STEP_MS each, checkpointed) to check that a runner
    /// picks jobs up and finishes them; prints its id.
    Probe {
        /// Number of checkpointed steps.
        #[arg(long, default_value_t = 10)]
        steps: u64,
        /// Milliseconds each step takes.
        #[arg(long, default_value_t = 100)]
        step_ms: u64,
    },
}

/// Run a `jobs` subcommand; returns the exit code.
pub fn run(settings: &Settings, command: JobsCommand) -> i32 {
    let store = match open_store(settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("database error: {e}");
            return 1;
        }
    };
    let result = match command {
        JobsCommand::List { kind, state, limit } => list(&store, kind, state, limit),
        JobsCommand::Show { id } => store
            .job(&id)
            .map_err(|e| (1, e.to_string()))
            .and_then(|j| j.ok_or((1, format!("job {id} not found"))))
            .map(|j| print_json(&j)),
        JobsCommand::Cancel { id } => cancel(&store, &id),
        JobsCommand::Probe { steps, step_ms } => probe(&store, settings, steps, step_ms),
    };
    match result {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("error: {message}");
            code
        }
    }
}

fn list(
    store: &dyn JobStore,
    kind: Option<String>,
    state: Option<String>,
    limit: i64,
) -> Result<(), (i32, String)> {
    let state = match state.as_deref() {
        None => None,
        Some(s) => Some(JobState::parse(s).ok_or((
            2,
            "--state must be queued, running, succeeded, failed or cancelled".to_string(),
        ))?),
    };
    let filter = JobFilter {
        kind,
        state,
        subject: None,
        limit: limit.clamp(1, 10_000),
        after: None,
    };
    let jobs = store.jobs(&filter).map_err(|e| (1, e.to_string()))?;
    println!(
        "{:<36}  {:<12}  {:<9}  {:>9}  {:>7}  created",
        "id", "kind", "state", "progress", "attempt"
    );
    for j in jobs {
        println!(
            "{:<36}  {:<12}  {:<9}  {:>9}  {:>3}/{:<3}  {}",
            j.id,
            j.kind,
            j.state.as_str(),
            format!("{}/{}", j.progress.done, j.progress.total),
            j.attempts,
            j.max_attempts,
            j.created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    Ok(())
}

fn cancel(store: &dyn JobStore, id: &str) -> Result<(), (i32, String)> {
    let job = store
        .cancel_job(id, Utc::now())
        .map_err(|e| (1, e.to_string()))?
        .ok_or((1, format!("job {id} not found")))?;
    match job.state {
        JobState::Cancelled => println!("job {id} cancelled"),
        JobState::Running => println!("job {id} asked to stop at its next step"),
        other => println!("job {id} had already ended ({})", other.as_str()),
    }
    Ok(())
}

fn probe(
    store: &dyn JobStore,
    settings: &Settings,
    steps: u64,
    step_ms: u64,
) -> Result<(), (i32, String)> {
    let mut registry = crate::jobs::Registry::new(settings.job_max_attempts);
    registry.register(probe::kind_spec(), std::sync::Arc::new(probe::Probe));
    let payload = serde_json::json!({"steps": steps, "step_ms": step_ms});
    let actor = super::admin::actor().0;
    let job = registry
        .new_job(probe::KIND, payload, &actor, Utc::now())
        .ok_or((1, "probe kind missing".to_string()))?;
    let job = store.enqueue_job(&job).map_err(|e| (1, e.to_string()))?;
    println!("{}", job.id);
    Ok(())
}

fn print_json(job: &Job) {
    match serde_json::to_string_pretty(job) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: {e}"),
    }
}
