//! Storage port of an alert's history: what opened it and every later evaluation that touched
//! it (refreshed, severity raised, resolved automatically), appended in order and never
//! rewritten. `diesel/store_alert_history.rs` implements it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::monitoring::explain::Evidence;
use crate::monitoring::plan::Severity;

/// One entry of an alert's history.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertEvent {
    /// Position in the alert's history, from 0 (the opening).
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// `opened`, `refreshed`, `raised` or `resolved`.
    pub event: String,
    #[schema(value_type = String)]
    pub severity: Severity,
    /// The evidence in words, as it stood then.
    pub summary: String,
    /// The evidence in numbers, as it stood then.
    pub evidence: Option<Evidence>,
}

/// Append-only history of alerts.
pub trait AlertHistoryStore: Send + Sync {
    /// Append `event` (its `seq` is ignored: the store gives the next one) to the alert's
    /// history.
    fn append_alert_event(&self, alert_id: &str, event: &AlertEvent) -> Result<(), StoreError>;
    /// The alert's history, oldest first.
    fn alert_events(&self, alert_id: &str) -> Result<Vec<AlertEvent>, StoreError>;
}
