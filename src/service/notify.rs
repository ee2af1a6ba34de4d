//! Notifications: alerts are written to the outbox first (in the evaluator's flow), then a
//! dispatcher sends due messages through the `Mailer` port with retry and back-off. A message
//! is marked sent only after the server accepted it, and queued once per dedup key, so an
//! outage neither loses nor duplicates an alert.

use chrono::{DateTime, Utc};

use crate::alerting::alert::Alert;
use crate::alerting::alert_chart::{AlertChart, render_alert_png};
use crate::alerting::email::{Reason, alert_message};
use crate::alerting::outbox::{OutboxMessage, next_attempt};
use crate::storage::{AlertStore, StoreError};

/// Sends one message; implemented by the SMTP and directory transports.
pub trait Mailer: Send + Sync {
    fn send(&self, message: &OutboxMessage) -> Result<(), String>;
}

/// Queue the e-mail for an alert (with its chart when a series is given). Returns whether a
/// new message was queued (false: already queued for this alert and reason).
pub fn enqueue_alert(
    store: &dyn AlertStore,
    alert: &Alert,
    reason: Reason,
    recipients: Vec<String>,
    public_url: &str,
    chart: Option<&AlertChart>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if recipients.is_empty() {
        return Ok(false);
    }
    // A chart that fails to draw must not hold back the alert itself.
    let chart = chart.and_then(|s| {
        render_alert_png(s)
            .map_err(|e| tracing::warn!(error = %e, "alert chart not drawn"))
            .ok()
    });
    store.enqueue_message(&alert_message(
        alert, reason, recipients, public_url, chart, now,
    ))
}

/// What one dispatch round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    pub failed: usize,
}

/// Send every due message once; failures are rescheduled with back-off.
pub fn dispatch_due(
    store: &dyn AlertStore,
    mailer: &dyn Mailer,
    now: DateTime<Utc>,
) -> Result<DispatchReport, StoreError> {
    let mut report = DispatchReport::default();
    for mut m in store.due_messages(now, 100)? {
        m.attempts += 1;
        match mailer.send(&m) {
            Ok(()) => {
                m.sent_at = Some(now);
                m.last_error = None;
                report.sent += 1;
            }
            Err(e) => {
                tracing::warn!(outbox.id = %m.id, attempts = m.attempts, error = %e, "e-mail not sent; will retry");
                m.next_attempt_at = next_attempt(now, m.attempts);
                m.last_error = Some(e);
                report.failed += 1;
            }
        }
        store.record_attempt(&m)?;
    }
    Ok(report)
}
