//! Storage port of one aggregate: alerts and the notification outbox. `diesel/store_alerts.rs`
//! implements it; `Store` is the sum of all such traits.

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::alerting::alert::Alert;
use crate::alerting::outbox::OutboxMessage;
use crate::alerting::rules::AlertState;
use crate::domain::audit::AuditDraft;

/// Filter of the alert list.
#[derive(Debug, Clone)]
pub struct AlertFilter {
    pub state: Option<AlertState>,
    /// A model version id (`name@version`), or a model name for all its versions.
    pub model: Option<String>,
    pub limit: i64,
    /// Keyset paging: only alerts after this `(opened_at, id)` in the list's order (newest
    /// first, ties by id descending).
    pub after: Option<(DateTime<Utc>, String)>,
}

/// Alerts and the notification outbox.
pub trait AlertStore: Send + Sync {
    /// The open, acknowledged or escalated alert of a key.
    fn active_alert(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<Alert>, StoreError>;
    /// When the most recent alert of a key was closed (for the cool-down).
    fn last_alert_closed(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn insert_alert(&self, alert: &Alert) -> Result<(), StoreError>;
    /// Write the whole alert; with an audit draft when a person moved it.
    fn update_alert(&self, alert: &Alert, audit: Option<&AuditDraft>) -> Result<(), StoreError>;
    fn alert(&self, id: &str) -> Result<Option<Alert>, StoreError>;
    /// Newest first by `opened_at`, then by id descending (a total order for paging).
    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError>;
    /// Queue a message; `false` when its dedup key was queued before (nothing written).
    fn enqueue_message(&self, message: &OutboxMessage) -> Result<bool, StoreError>;
    /// Unsent messages whose next attempt is due, oldest first, claimed for the caller (another
    /// dispatcher does not get them while the claim holds).
    fn due_messages(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Every message, sent or not (operations and tests).
    fn outbox_messages(&self) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Store the outcome of a send attempt (attempts, next attempt, sent time, error).
    fn record_attempt(&self, message: &OutboxMessage) -> Result<(), StoreError>;
}
