//! The durable job queue's engine: job kinds register a handler in a `Registry`; a `Runner`
//! claims due jobs of its registered kinds under a lease (`storage::jobs::JobStore`), runs the
//! handler with a `JobContext` (progress, checkpoint, cancellation, blob store), renews the
//! lease while it runs, and records the end: success, retry with exponential back-off, failure
//! once the attempts are used up, cancellation, or release at shutdown. The queue knows no
//! kind; a capability adds its kind by implementing `JobHandler` and registering it in
//! `app::job_registry`. This module imports no web framework, database or async runtime:
//! `worker.rs` drives runners from the async world.

mod context;
mod runner;
pub mod worker;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use context::JobContext;
pub use runner::{Runner, RunnerConfig, backoff};

use crate::storage::StoreError;
use crate::storage::jobs::NewJob;

/// What a handler hands back on success.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobOutput {
    /// The result, JSON (shown by `GET /api/v1/jobs/{id}`).
    pub result: Option<serde_json::Value>,
    /// SHA-256 key of a larger result put into the blob store.
    pub result_blob: Option<String>,
}

/// Why a handler stopped without success.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    /// Worth another attempt after the back-off (a peer was down, a database hiccup).
    #[error("{0}")]
    Retryable(String),
    /// Another attempt would fail the same way (bad payload, missing plan).
    #[error("{0}")]
    Fatal(String),
    /// The handler saw `is_cancelled()`: a cancel request, shutdown or a lost lease. The
    /// runner records which.
    #[error("stopped")]
    Stopped,
}

impl From<StoreError> for JobFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => JobFailure::Retryable(e.to_string()),
            other => JobFailure::Fatal(other.to_string()),
        }
    }
}

/// The work of one kind. Handlers are blocking: they run on a runner's thread.
pub trait JobHandler: Send + Sync {
    fn run(&self, ctx: &JobContext<'_>) -> Result<JobOutput, JobFailure>;
}

/// How a kind wants its jobs treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindSpec {
    pub name: String,
    /// Attempts before a job fails for good; `None`: the configured `job_max_attempts`.
    pub max_attempts: Option<u32>,
    /// At most one job of this kind runs at a time across all runners.
    pub exclusive: bool,
}

impl KindSpec {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            max_attempts: None,
            exclusive: false,
        }
    }
}

/// The registered kinds and their handlers.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<String, (KindSpec, Arc<dyn JobHandler>)>,
    default_max_attempts: u32,
}

impl Registry {
    pub fn new(default_max_attempts: u32) -> Self {
        Self {
            kinds: BTreeMap::new(),
            default_max_attempts: default_max_attempts.max(1),
        }
    }

    /// Register (or replace) the handler of a kind.
    pub fn register(&mut self, spec: KindSpec, handler: Arc<dyn JobHandler>) {
        self.kinds.insert(spec.name.clone(), (spec, handler));
    }

    pub fn kinds(&self) -> Vec<String> {
        self.kinds.keys().cloned().collect()
    }

    pub fn exclusive_kinds(&self) -> Vec<String> {
        self.kinds
            .values()
            .filter(|(s, _)| s.exclusive)
            .map(|(s, _)| s.name.clone())
            .collect()
    }

    pub fn handler(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.kinds.get(kind).map(|(_, h)| h.clone())
    }

    /// A job of a registered kind, ready for `JobStore::enqueue_job`; `None` for an unknown kind.
    pub fn new_job(
        &self,
        kind: &str,
        payload: serde_json::Value,
        requested_by: &str,
        now: DateTime<Utc>,
    ) -> Option<NewJob> {
        let (spec, _) = self.kinds.get(kind)?;
        Some(NewJob {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.into(),
            subject: None,
            payload,
            requested_by: requested_by.into(),
            created_at: now,
            max_attempts: i64::from(spec.max_attempts.unwrap_or(self.default_max_attempts)),
            unique_queued: false,
        })
    }
}
