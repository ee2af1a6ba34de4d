//! A runner claims due jobs of its registry's kinds and runs them one at a time on the calling
//! thread. While a handler runs, a heartbeat thread renews the lease every third of it, so a
//! long step does not lose the job; a runner that dies stops renewing and, once the lease has
//! lapsed, another runner takes the job over from its last checkpoint.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use chrono::Duration;

use super::{JobContext, JobFailure, JobOutput, Registry};
use crate::blobs::BlobStore;
use crate::service::Clock;
use crate::storage::StoreError;
use crate::storage::jobs::{ClaimSpec, Job, JobEnd, JobStore};

/// Lease and retry timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunnerConfig {
    /// How long a claim holds without renewal.
    pub lease: Duration,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff_base: Duration,
    /// Longest wait between attempts.
    pub backoff_max: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::seconds(60),
            backoff_base: Duration::seconds(30),
            backoff_max: Duration::hours(1),
        }
    }
}

/// Wait before the attempt after attempt number `attempts` (1-based): base, 2 base, 4 base ...
/// capped at `max`.
pub fn backoff(config: &RunnerConfig, attempts: i64) -> Duration {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    let wait = config.backoff_base * 2i32.pow(doublings);
    wait.min(config.backoff_max)
}

/// Claims and runs jobs. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Runner {
    pub store: Arc<dyn JobStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Arc<dyn Clock>,
    pub registry: Arc<Registry>,
    /// This runner's name in leases (unique per process and runner).
    pub id: String,
    pub config: RunnerConfig,
    /// Set to stop: the job in hand is released at its next step, no new job is claimed.
    pub shutdown: Arc<AtomicBool>,
}

impl Runner {
    /// Claim one due job and run it to the end of this attempt. `None` when nothing is due.
    pub fn run_next(&self) -> Result<Option<Job>, StoreError> {
        if self.shutdown.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let now = self.clock.now();
        let (kinds, exclusive) = (self.registry.kinds(), self.registry.exclusive_kinds());
        let spec = ClaimSpec {
            runner: &self.id,
            kinds: &kinds,
            exclusive: &exclusive,
            now,
            lease_until: now + self.config.lease,
        };
        let Some(job) = self.store.claim_job(&spec)? else {
            return Ok(None);
        };
        let id = job.id.clone();
        self.run_claimed(job)?;
        self.store.job(&id)
    }

    /// Run due jobs until none is left or shutdown is asked for; returns how many ran.
    pub fn run_until_idle(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        while self.run_next()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// Run a job this runner has claimed and record how the attempt ended.
    pub fn run_claimed(&self, job: Job) -> Result<(), StoreError> {
        let Some(handler) = self.registry.handler(&job.kind) else {
            let end = JobEnd::Failed {
                error: format!("no handler for job kind {:?}", job.kind),
            };
            self.store
                .finish_job(&job.id, &self.id, &end, self.clock.now())?;
            return Ok(());
        };
        let ctx = JobContext {
            store: &*self.store,
            blobs: &*self.blobs,
            clock: &*self.clock,
            runner: &self.id,
            lease: self.config.lease,
            checkpoint: Mutex::new(job.checkpoint.clone()),
            job,
            shutdown: &self.shutdown,
            lease_lost: AtomicBool::new(false),
        };
        tracing::info!(job.id = %ctx.job.id, job.kind = %ctx.job.kind, attempt = ctx.job.attempts, "job started");
        let outcome = self.with_heartbeat(&ctx, || {
            catch_unwind(AssertUnwindSafe(|| handler.run(&ctx)))
                .unwrap_or_else(|_| Err(JobFailure::Retryable("the handler panicked".into())))
        });
        let Some(end) = self.end_of(&ctx, outcome) else {
            tracing::warn!(job.id = %ctx.job.id, "job lease lost; another runner goes on");
            return Ok(());
        };
        let written = self
            .store
            .finish_job(&ctx.job.id, &self.id, &end, self.clock.now())?;
        log_end(&ctx.job, &end, written);
        Ok(())
    }

    /// Decide how the attempt ends; `None` when the lease is gone (nothing may be written).
    fn end_of(
        &self,
        ctx: &JobContext<'_>,
        outcome: Result<JobOutput, JobFailure>,
    ) -> Option<JobEnd> {
        let job = &ctx.job;
        let end = match outcome {
            Ok(out) => JobEnd::Succeeded {
                result: out.result,
                result_blob: out.result_blob,
            },
            Err(JobFailure::Fatal(error)) => JobEnd::Failed { error },
            Err(JobFailure::Retryable(error)) if job.attempts < job.max_attempts => {
                let retry_at = self.clock.now() + backoff(&self.config, job.attempts);
                JobEnd::Retry { error, retry_at }
            }
            Err(JobFailure::Retryable(error)) => JobEnd::Failed {
                error: format!("{error} (attempt {} of {})", job.attempts, job.max_attempts),
            },
            Err(JobFailure::Stopped) if ctx.lease_lost.load(Ordering::SeqCst) => return None,
            Err(JobFailure::Stopped) if self.shutdown.load(Ordering::SeqCst) => JobEnd::Released,
            Err(JobFailure::Stopped) => JobEnd::Cancelled,
        };
        Some(end)
    }

    /// Run `f` while a thread renews the lease every third of it (real time).
    fn with_heartbeat<T>(&self, ctx: &JobContext<'_>, f: impl FnOnce() -> T) -> T {
        let period = (self.config.lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(1))
            .max(std::time::Duration::from_millis(10));
        let (stop, ticks) = mpsc::channel::<()>();
        std::thread::scope(|s| {
            s.spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = ticks.recv_timeout(period) {
                    if !matches!(ctx.renew(), Ok(true)) {
                        return;
                    }
                }
            });
            let out = f();
            drop(stop);
            out
        })
    }
}

fn log_end(job: &Job, end: &JobEnd, written: bool) {
    let what = match end {
        JobEnd::Succeeded { .. } => "succeeded",
        JobEnd::Failed { .. } => "failed",
        JobEnd::Retry { .. } => "will retry",
        JobEnd::Cancelled => "cancelled",
        JobEnd::Released => "released",
    };
    match end {
        JobEnd::Failed { error } | JobEnd::Retry { error, .. } => {
            tracing::warn!(job.id = %job.id, job.kind = %job.kind, error = %error, written, "job {what}")
        }
        _ => tracing::info!(job.id = %job.id, job.kind = %job.kind, written, "job {what}"),
    }
}
