//! Storage port, one trait per aggregate, in domain types: `health` (ping, pool), `sites`
//! (sites, users, credentials), `models` (model versions, plans, baselines), `ingest` (events,
//! reviews, counts), `alerts` (alerts, outbox), `monitoring` (cases per day, evaluations,
//! findings, cursor), `retraining`, `audit`, `jobs` (the job queue), `rollups` (daily rollups),
//! `trend` (trend report records), `device_groups` (PSUR groups under a leading device), `plan_backtests` (backtests of proposed plans), `reports` (MDR documents, narrative drafts, and the aggregates
//! report assembly reads) and `readiness` (the write probe of `/readyz`). `Store` is their sum
//! for callers that need several; services take the narrowest trait they use. `diesel/`
//! implements every trait for SQLite and PostgreSQL from one schema and one query code base
//! (`diesel/store_<aggregate>.rs`). Calls are blocking: callers run them on the blocking pool
//! (`web::block`), never on the async workers. A new capability adds its own trait file here.

pub mod alert_history;
pub mod alerts;
pub mod audit;
pub mod device_groups;
pub mod devices;
pub mod diesel;
pub mod evaluations;
pub mod health;
pub mod held_reviews;
pub mod incidents;
pub mod ingest;
pub mod jobs;
pub mod json_text;
pub mod models;
pub mod monitoring;
pub mod ops;
pub mod plan_backtests;
pub mod readiness;
pub mod reports;
pub mod retraining;
pub mod rollups;
pub mod s3_blobs;
pub mod sessions;
pub mod shadow;
pub mod sites;
pub mod trend;

pub use alert_history::{AlertEvent, AlertHistoryStore};
pub use alerts::{AlertFilter, AlertStore};
pub use audit::AuditStore;
pub use device_groups::{DeviceGroupStore, DeviceGroupVersion};
pub use devices::DeviceStore;
pub use health::{HealthStore, PoolState};
pub use held_reviews::HeldReviewStore;
pub use incidents::IncidentStore;
pub use ingest::{CountFilter, DailyCount, EventOwner, IngestStore, ItemFate, NewEvent, NewReview};
pub use jobs::JobStore;
pub use models::{ModelStore, NewPlan, StoredBaseline, StoredPlan};
pub use monitoring::{EvaluationJob, FindingQuery, MonitorCursor, MonitorStore, StoredFinding};
pub use plan_backtests::{PlanBacktestRecord, PlanBacktestStore};
pub use readiness::ReadinessStore;
pub use reports::{ReportCountSource, ReportStore};
pub use retraining::{CaseQuery, RetrainingRecord, RetrainingStore};
pub use rollups::{RollupFilter, RollupGrouping, RollupRow, RollupStore};
pub use shadow::ShadowStore;
pub use sites::SiteStore;
pub use trend::{TrendReportRecord, TrendStore};

use serde::Serialize;

/// Storage failures, in the terms callers act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    /// `sqlite://PATH` or `postgres://` / `postgresql://`; anything else is refused.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite://") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            let scheme = url
                .split("://")
                .next()
                .filter(|_| url.contains("://"))
                .unwrap_or("(none)");
            Err(format!(
                "unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
            ))
        }
    }
}

/// Everything the service layer needs from the database: the sum of the per-aggregate ports.
/// Callers that need one aggregate take that trait (`&dyn SiteStore`, ...); callers that
/// need several take `&dyn Store`. Every type implementing all of them is a `Store`.
pub trait Store:
    HealthStore
    + SiteStore
    + ModelStore
    + IngestStore
    + AlertStore
    + AlertHistoryStore
    + MonitorStore
    + RetrainingStore
    + AuditStore
    + JobStore
    + ShadowStore
    + DeviceStore
    + IncidentStore
    + ReadinessStore
    + ReportStore
    + ReportCountSource
    + RollupStore
    + TrendStore
    + HeldReviewStore
    + DeviceGroupStore
    + PlanBacktestStore
{
}

impl<T> Store for T where
    T: HealthStore
        + SiteStore
        + ModelStore
        + IngestStore
        + AlertStore
        + AlertHistoryStore
        + MonitorStore
        + RetrainingStore
        + AuditStore
        + JobStore
        + ShadowStore
        + DeviceStore
        + IncidentStore
        + ReadinessStore
        + ReportStore
        + ReportCountSource
        + RollupStore
        + TrendStore
        + HeldReviewStore
        + DeviceGroupStore
        + PlanBacktestStore
        + ?Sized
{
}
