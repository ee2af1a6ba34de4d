//! Storage port of plan backtests: one record per backtest run (who, which plan text by its
//! SHA-256, which days, what it would have raised), stored with its audit entry, so the plan
//! history can show that a plan was tried before it was adopted. `diesel/plan_backtests.rs`
//! implements it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::audit::AuditDraft;

/// One backtest run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanBacktestRecord {
    pub id: String,
    /// The model name.
    pub model: String,
    /// SHA-256 of the proposed plan text, as `plan set` would record it.
    pub plan_sha256: String,
    pub from_day: NaiveDate,
    /// Inclusive.
    pub to_day: NaiveDate,
    /// Alerts the proposed plan would have raised.
    pub would_alerts: i64,
    /// Alerts the plan in force raised over the same days.
    pub in_force_alerts: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// Plan backtests.
pub trait PlanBacktestStore: Send + Sync {
    /// Store the record with its audit entry, in one transaction.
    fn insert_plan_backtest(
        &self,
        record: &PlanBacktestRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// Every backtest of a model, oldest first.
    fn plan_backtests(&self, model: &str) -> Result<Vec<PlanBacktestRecord>, StoreError>;
}
