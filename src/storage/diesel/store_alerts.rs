//! `impl AlertStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use chrono::{DateTime, Utc};

use super::DieselStore;
use crate::alerting::alert::Alert;
use crate::alerting::outbox::OutboxMessage;
use crate::domain::audit::AuditDraft;
use crate::storage::{AlertFilter, AlertStore, StoreError};

impl AlertStore for DieselStore {
    fn active_alert(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<Alert>, StoreError> {
        self.load_active_alert(model, rule, stratum)
    }
    fn last_alert_closed(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.load_last_closed(model, rule, stratum)
    }
    fn insert_alert(&self, alert: &Alert) -> Result<(), StoreError> {
        self.insert_alert_row(alert)
    }
    fn update_alert(&self, alert: &Alert, audit: Option<&AuditDraft>) -> Result<(), StoreError> {
        self.update_alert_row(alert, audit)
    }
    fn alert(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        self.load_alert(id)
    }
    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        self.load_alerts(filter)
    }
    fn enqueue_message(&self, message: &OutboxMessage) -> Result<bool, StoreError> {
        self.insert_outbox(message)
    }
    fn due_messages(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.load_due_outbox(now, limit)
    }
    fn outbox_messages(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        self.load_outbox()
    }
    fn record_attempt(&self, message: &OutboxMessage) -> Result<(), StoreError> {
        self.record_outbox_attempt(message)
    }
}
