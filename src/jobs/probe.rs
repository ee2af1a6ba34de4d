//! The `probe` job kind: walks `steps` steps of `step_ms` each, checkpointing and reporting
//! progress after every one, and resumes from its checkpoint after a takeover. Operators queue
//! one (`vigil jobs probe`) to see that some runner picks jobs up, renews leases and finishes;
//! the crash tests use it as a job that is still running when its worker is killed.

use serde::Deserialize;
use serde_json::json;

use super::{JobContext, JobFailure, JobHandler, JobOutput, KindSpec};

/// The kind's name.
pub const KIND: &str = "probe";

/// Its payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbePayload {
    pub steps: u64,
    #[serde(default)]
    pub step_ms: u64,
}

pub fn kind_spec() -> KindSpec {
    KindSpec::new(KIND)
}

/// Where a probe resumes: `{"next": step}`.
pub fn resume_step(ctx: &JobContext<'_>) -> u64 {
    ctx.last_checkpoint()
        .and_then(|c| c["next"].as_u64())
        .unwrap_or(0)
}

/// The probe handler.
pub struct Probe;

impl JobHandler for Probe {
    fn run(&self, ctx: &JobContext<'_>) -> Result<JobOutput, JobFailure> {
        let p: ProbePayload = ctx.payload()?;
        let from = resume_step(ctx);
        for step in from..p.steps {
            if ctx.is_cancelled() {
                return Err(JobFailure::Stopped);
            }
            // The probe's "work": wall-clock time, so that a job can be caught mid-run.
            std::thread::sleep(std::time::Duration::from_millis(p.step_ms));
            ctx.checkpoint(json!({"next": step + 1}))?;
            ctx.progress(step + 1, p.steps, "probe step")?;
        }
        Ok(JobOutput {
            result: Some(json!({"steps": p.steps, "resumed_at": from})),
            result_blob: None,
        })
    }
}
