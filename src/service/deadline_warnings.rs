//! Deadline warnings through the outbox: for each incident whose clock is due within the
//! configured number of days, or overdue, queue one e-mail (to the vigilance recipients) and one
//! webhook message (when a webhook is configured). The same goes for the follow-up: when the
//! latest report (initial or follow-up) names a `report_next_date`, the next report is due
//! then (`follow_up_due_soon`, `follow_up_overdue`) until a later report is added. The outbox's
//! dedup key names the incident, the kind and the due date, so each warning is queued once
//! however often the check runs, and a new due date (re-classification, re-assessment, a new
//! follow-up date) warns again.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::incidents::view_of;
use super::vigilance::{Vigilance, VigilanceError};
use crate::alerting::outbox::{Channel, Draft, OutboxMessage};
use crate::storage::Store;
use crate::vigilance::deadline::ClockState;
use crate::vigilance::incident::IncidentView;
use crate::vigilance::stage::ReportStage;

/// One warning to send: its kind, the date it is about and the days left (negative: overdue).
struct Warning {
    kind: &'static str,
    due: NaiveDate,
    days_left: i64,
}

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

fn texts(view: &IncidentView, w: &Warning) -> (String, String) {
    let c = &view.clock;
    let what = if w.kind.starts_with("follow_up") {
        "Follow-up incident report"
    } else {
        "Incident report"
    };
    let subject = if w.kind.ends_with("overdue") {
        format!(
            "[Vigil] {what} OVERDUE since {}: {}",
            w.due, view.incident.title
        )
    } else {
        format!(
            "[Vigil] {what} due {} ({} days left): {}",
            w.due, w.days_left, view.incident.title
        )
    };
    let body = format!(
        "Incident {}\nSoftware version: {}\nReporting country: {}\nAwareness date (day 0): {}\nSeriousness: {}\n{what} due: {}\n\nShow it with: vigil incident show {}\n",
        view.incident.id,
        view.incident.model_id,
        view.incident.reporting_country,
        c.awareness_date,
        c.seriousness.map_or("-", |s| s.as_str()),
        w.due,
        view.incident.id,
    );
    (subject, body)
}

fn messages(
    view: &IncidentView,
    w: &Warning,
    p: &WarningPolicy<'_>,
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    let kind = w.kind;
    let key = format!("incident:{}:{kind}:{}", view.incident.id, w.due);
    let (subject, body) = texts(view, w);
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
        let payload = json!({"event": format!("incident.{kind}"), "incident": view.incident.id, "due": w.due, "clock": view.clock});
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

/// The warning the clock calls for now, if any.
fn clock_warning(view: &IncidentView, days_before: u32) -> Option<Warning> {
    let (due, left) = (view.clock.due?, view.clock.days_left.unwrap_or(0));
    let kind = match view.clock.state {
        ClockState::Overdue => "overdue",
        ClockState::Due if left <= i64::from(days_before) => "due_soon",
        _ => return None,
    };
    Some(Warning {
        kind,
        due,
        days_left: left,
    })
}

/// When the next report is due: the `report_next_date` of the latest report while that is an
/// initial or follow-up one (a final report closes the sequence).
pub fn next_follow_up(view: &IncidentView) -> Option<NaiveDate> {
    let last = view.reports.iter().max_by_key(|r| r.seq)?;
    if !matches!(last.stage, ReportStage::Initial | ReportStage::FollowUp) {
        return None;
    }
    last.fields["report_next_date"].as_str()?.parse().ok()
}

/// The warning the follow-up date of the latest open report calls for.
fn follow_up_warning(view: &IncidentView, days_before: u32, today: NaiveDate) -> Option<Warning> {
    let due = next_follow_up(view)?;
    let left = (due - today).num_days();
    let kind = match left {
        l if l < 0 => "follow_up_overdue",
        l if l <= i64::from(days_before) => "follow_up_due_soon",
        _ => return None,
    };
    Some(Warning {
        kind,
        due,
        days_left: left,
    })
}

/// Queue the warnings that are due now; returns how many new messages were queued.
pub fn queue_deadline_warnings(
    store: &dyn Store,
    v: &Vigilance,
    policy: &WarningPolicy<'_>,
    now: DateTime<Utc>,
) -> Result<usize, VigilanceError> {
    let mut queued = 0;
    let today = now.date_naive();
    for incident in v.incidents.incidents()? {
        let view = view_of(v, incident, today)?;
        let warnings = [
            clock_warning(&view, policy.days_before),
            follow_up_warning(&view, policy.days_before, today),
        ];
        for w in warnings.iter().flatten() {
            for m in messages(&view, w, policy, now) {
                if store.enqueue_message(&m)? {
                    queued += 1;
                }
            }
        }
    }
    Ok(queued)
}
