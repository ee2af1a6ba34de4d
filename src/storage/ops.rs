//! Operations port: the numbers `/metrics` reads from the database at scrape time (last
//! contact per site, open alerts, findings, evaluation jobs, outbox backlog, reviews). Kept
//! apart from `Store` so the big trait does not grow; every figure is grouped by a bounded
//! label (site, severity, kind, status, channel, model), never by a case or event id.

use chrono::{DateTime, Utc};

use super::StoreError;

/// A count under one or two bounded labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelCount {
    pub labels: Vec<String>,
    pub count: i64,
}

/// What the database says about the service's state, read in one go per scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpsSnapshot {
    /// Per enabled site: when its last event arrived (None: never).
    pub last_contact: Vec<(String, Option<DateTime<Utc>>)>,
    /// Alerts not yet resolved, by `[severity, state]`.
    pub open_alerts: Vec<LabelCount>,
    /// Stored findings by `[kind, status]`; kind is the rule before its `:` (`drift`,
    /// `mean_dice`, `below_floor`, `edit_rate`, `rejection_rate`).
    pub findings: Vec<LabelCount>,
    /// Evaluation jobs by `[status]` (`queued`, `running`, `done`, `failed`).
    pub evaluations: Vec<LabelCount>,
    /// Per model name: when its last successful evaluation finished, and how long it ran.
    pub last_evaluation: Vec<(String, DateTime<Utc>, f64)>,
    /// When the oldest still-queued evaluation job was requested.
    pub oldest_queued_evaluation: Option<DateTime<Utc>>,
    /// Unsent outbox messages by `[channel]`.
    pub outbox_pending: Vec<LabelCount>,
    /// When the oldest unsent outbox message was created.
    pub outbox_oldest: Option<DateTime<Utc>>,
    /// Outbox messages that failed at least once and are still unsent, by `[channel]`.
    pub outbox_retrying: Vec<LabelCount>,
    /// Stored reviews by `[outcome]`.
    pub reviews: Vec<LabelCount>,
    /// Queue jobs (shadow runs, reports, ...) by `[kind, state]`.
    pub jobs: Vec<LabelCount>,
}

/// Read-only queries behind the operational metrics.
pub trait OpsStore: Send + Sync {
    /// Everything `/metrics` shows from the database, in one call.
    fn ops_snapshot(&self) -> Result<OpsSnapshot, StoreError>;
}
