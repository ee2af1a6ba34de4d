//! Deadline warnings through the outbox: for each incident whose clock is due within the
//! configured number of days, or overdue, queue one e-mail (to the vigilance recipients) and one
//! webhook message (when a webhook is configured). The outbox's dedup key names the incident,
//! the kind and the due date, so each warning is queued once however often the check runs, and a
//! new due date (re-classification, re-assessment) warns again.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::incidents::view_of;
use super::vigilance::{Vigilance, VigilanceError};
use crate::alerting::outbox::{Channel, Draft, OutboxMessage};
use crate::storage::Store;
use crate::vigilance::deadline::ClockState;
use crate::vigilance::incident::IncidentView;

/// Where warnings go and when.
pub struct WarningPolicy<'a> {
    pub days_before: u32,
    pub recipients: Vec<String>,
    pub webhook_url: &'a str,
}

impl WarningPolicy<'_> {
    /// Parse the comma-separated recipients setting.
    pub fn recipients(setting: &str) -> Vec<String> {
        setting
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

fn texts(view: &IncidentView, kind: &str) -> (String, String) {
    let c = &view.clock;
    let due = c.due.map(|d| d.to_string()).unwrap_or_default();
    let subject = if kind == "overdue" {
        format!(
            "[Vigil] Incident report OVERDUE since {due}: {}",
            view.incident.title
        )
    } else {
        format!(
            "[Vigil] Incident report due {due} ({} days left): {}",
            c.days_left.unwrap_or(0),
            view.incident.title
        )
    };
    let body = format!(
        "Incident {}\nSoftware version: {}\nReporting country: {}\nAwareness date (day 0): {}\nSeriousness: {}\nReport due: {}\n\nShow it with: vigil incident show {}\n",
        view.incident.id,
        view.incident.model_id,
        view.incident.reporting_country,
        c.awareness_date,
        c.seriousness.map_or("-", |s| s.as_str()),
        due,
        view.incident.id,
    );
    (subject, body)
}

fn messages(
    view: &IncidentView,
    kind: &str,
    p: &WarningPolicy<'_>,
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    let due = view.clock.due.map(|d| d.to_string()).unwrap_or_default();
    let key = format!("incident:{}:{kind}:{due}", view.incident.id);
    let (subject, body) = texts(view, kind);
    let mut out = Vec::new();
    if !p.recipients.is_empty() {
        out.push(OutboxMessage::queued(
            Draft {
                channel: Channel::Email,
                dedup_key: key.clone(),
                recipients: p.recipients.clone(),
                subject: subject.clone(),
                body_text: body,
                body_html: String::new(),
                chart_png: None,
            },
            now,
        ));
    }
    if !p.webhook_url.is_empty() {
        let payload = json!({"event": format!("incident.{kind}"), "incident": view.incident.id, "clock": view.clock});
        out.push(OutboxMessage::queued(
            Draft {
                channel: Channel::Webhook,
                dedup_key: format!("webhook:{key}"),
                recipients: vec![p.webhook_url.to_string()],
                subject: format!("incident.{kind}"),
                body_text: payload.to_string(),
                body_html: String::new(),
                chart_png: None,
            },
            now,
        ));
    }
    out
}

/// Queue the warnings that are due now; returns how many new messages were queued.
pub fn queue_deadline_warnings(
    store: &dyn Store,
    v: &Vigilance,
    policy: &WarningPolicy<'_>,
    now: DateTime<Utc>,
) -> Result<usize, VigilanceError> {
    let mut queued = 0;
    for incident in v.incidents.incidents()? {
        let view = view_of(v, incident, now.date_naive())?;
        let kind = match (view.clock.state, view.clock.days_left) {
            (ClockState::Overdue, _) => "overdue",
            (ClockState::Due, Some(left)) if left <= i64::from(policy.days_before) => "due_soon",
            _ => continue,
        };
        for m in messages(&view, kind, policy, now) {
            if store.enqueue_message(&m)? {
                queued += 1;
            }
        }
    }
    Ok(queued)
}
