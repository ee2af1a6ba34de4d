//! What a handler sees of its job: the payload, progress and checkpoint reporting (each also
//! renews the lease), cancellation, the clock and the blob store. Handlers call
//! `is_cancelled()` between steps and return `JobFailure::Stopped` when it says so.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;

use super::JobFailure;
use crate::blobs::BlobStore;
use crate::service::Clock;
use crate::storage::jobs::{Job, JobProgress, JobStore};

/// The running job's side of the queue.
pub struct JobContext<'a> {
    pub(super) store: &'a dyn JobStore,
    pub(super) blobs: &'a dyn BlobStore,
    pub(super) clock: &'a dyn Clock,
    pub(super) runner: &'a str,
    pub(super) lease: Duration,
    pub(super) job: Job,
    pub(super) checkpoint: Mutex<Option<serde_json::Value>>,
    /// Set by the runner at shutdown.
    pub(super) shutdown: &'a AtomicBool,
    /// Set when a renewal found the lease gone (another runner took over).
    pub(super) lease_lost: AtomicBool,
}

impl<'a> JobContext<'a> {
    /// The job as claimed (attempt number, payload, requester ...).
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The payload as the kind's own type; a payload that does not parse fails the job.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobFailure> {
        serde_json::from_value(self.job.payload.clone())
            .map_err(|e| JobFailure::Fatal(format!("job payload: {e}")))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn blobs(&self) -> &dyn BlobStore {
        self.blobs
    }

    /// This runner's name in the lease.
    pub fn runner(&self) -> &str {
        self.runner
    }

    /// Report `done` of `total` steps; renews the lease. `Stopped` when the lease was lost.
    pub fn progress(&self, done: u64, total: u64, message: &str) -> Result<(), JobFailure> {
        let p = JobProgress {
            done: done as i64,
            total: total as i64,
            message: (!message.is_empty()).then(|| message.to_string()),
        };
        let held = self.store.set_job_progress(&self.job.id, self.runner, &p)?;
        self.keep(held && self.renew()?)
    }

    /// Store where a takeover should resume; renews the lease.
    pub fn checkpoint(&self, value: serde_json::Value) -> Result<(), JobFailure> {
        let held = self
            .store
            .set_job_checkpoint(&self.job.id, self.runner, &value)?;
        if let Ok(mut slot) = self.checkpoint.lock() {
            *slot = Some(value);
        }
        self.keep(held && self.renew()?)
    }

    /// The last checkpoint stored for this job (by this attempt or an earlier one).
    pub fn last_checkpoint(&self) -> Option<serde_json::Value> {
        self.checkpoint.lock().ok().and_then(|c| c.clone())
    }

    /// True when the handler should stop at this step: a cancel request, the process is
    /// shutting down, or the lease was lost. Reads the job's row (once per step is cheap).
    pub fn is_cancelled(&self) -> bool {
        if self.shutdown.load(Ordering::SeqCst) || self.lease_lost.load(Ordering::SeqCst) {
            return true;
        }
        match self.store.job(&self.job.id) {
            Ok(Some(j)) => j.cancel_requested || j.lease_owner.as_deref() != Some(self.runner),
            Ok(None) => true,
            // A database hiccup is not a reason to stop; the next step asks again.
            Err(_) => false,
        }
    }

    /// Extend the lease from now; `false` when it was lost.
    pub fn renew(&self) -> Result<bool, JobFailure> {
        let until = self.clock.now() + self.lease;
        let held = self
            .store
            .renew_job_lease(&self.job.id, self.runner, until)?;
        if !held {
            self.lease_lost.store(true, Ordering::SeqCst);
        }
        Ok(held)
    }

    fn keep(&self, held: bool) -> Result<(), JobFailure> {
        if held {
            Ok(())
        } else {
            self.lease_lost.store(true, Ordering::SeqCst);
            Err(JobFailure::Stopped)
        }
    }
}
