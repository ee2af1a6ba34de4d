//! Use cases. Each takes the ports it needs (`Store`, `Clock`) and returns domain results;
//! none knows about HTTP or SQL. Calls are blocking and run on the blocking pool.

pub mod admin;
pub mod alert_flow;
pub mod alerts;
pub mod audit_checkpoints;
pub mod baselines;
pub mod deadline_warnings;
pub mod device_edits;
pub mod device_groups;
pub mod devices;
pub mod escalation;
pub mod evaluation;
pub mod evaluation_job;
pub mod held_reviews;
pub mod incident_eudamed;
pub mod incident_reports;
pub mod incidents;
pub mod ingest;
mod ingest_batch;
mod item_parse;
pub mod masks;
pub mod monitor_run;
pub mod notify;
pub mod plan_backtest;
pub mod plans;
mod privacy_gate;
pub mod replay;
pub mod report_data;
pub mod report_narratives;
pub mod reports;
pub mod retraining;
pub mod shadow_archive;
pub mod shadow_job;
pub mod shadow_selection;
pub mod trend;
pub mod trend_report;
pub mod vigilance;

use chrono::{DateTime, Utc};

/// The time source, injected so tests control it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stays where it is set (tests).
#[derive(Debug)]
pub struct FixedClock(pub std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(t))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .map(|g| *g)
            .unwrap_or_else(|p| *p.into_inner())
    }
}
