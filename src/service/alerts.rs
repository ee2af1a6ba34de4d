//! Alert use cases: apply one evaluated signal to the store through the pure rules (the
//! evaluator calls this), and the lifecycle moves a quality manager makes, each audited.
//! Escalation records the awareness date that starts the vigilance reporting clock.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::admin::Actor;
use crate::alerting::alert::Alert;
use crate::alerting::rules::{AlertState, Decision, Signal, Transition, decide, transition};
use crate::domain::audit::AuditDraft;
use crate::monitoring::plan::AlertPolicy;
use crate::storage::{AlertStore, StoreError};

/// One evaluated signal with its key and its words for people.
#[derive(Debug, Clone)]
pub struct SignalReport {
    pub model: String,
    pub rule: String,
    pub stratum: String,
    pub title: String,
    pub summary: String,
    pub signal: Signal,
}

/// Apply the rules and persist the outcome. Returns the decision and the alert it touched;
/// `Open` and a raised severity are what notifications are sent for.
pub fn apply_signal(
    store: &dyn AlertStore,
    report: &SignalReport,
    policy: &AlertPolicy,
) -> Result<(Decision, Option<Alert>), StoreError> {
    let (model, rule, stratum) = (&report.model, &report.rule, &report.stratum);
    let active = store.active_alert(model, rule, stratum)?;
    let last_closed = store.last_alert_closed(model, rule, stratum)?;
    let s = &report.signal;
    let decision = decide(
        active.as_ref().map(Alert::active_view),
        last_closed,
        s,
        policy,
    );
    let touched = match (decision, active) {
        (Decision::Open, _) => {
            let alert = Alert {
                id: uuid::Uuid::new_v4().to_string(),
                model: model.clone(),
                rule: rule.clone(),
                stratum: stratum.clone(),
                severity: s.severity,
                state: AlertState::Open,
                title: report.title.clone(),
                summary: report.summary.clone(),
                opened_at: s.at,
                updated_at: s.at,
                last_signal_at: s.at,
                clear_streak: 0,
                closed_at: None,
                handled_by: None,
                note: None,
                awareness_at: None,
            };
            store.insert_alert(&alert)?;
            Some(alert)
        }
        (Decision::Refresh { raised_to }, Some(mut a)) => {
            a.severity = raised_to.unwrap_or(a.severity);
            (a.summary, a.last_signal_at, a.updated_at, a.clear_streak) =
                (report.summary.clone(), s.at, s.at, 0);
            store.update_alert(&a, None)?;
            Some(a)
        }
        (Decision::ClearTick { streak }, Some(mut a)) => {
            (a.clear_streak, a.updated_at) = (streak, s.at);
            store.update_alert(&a, None)?;
            Some(a)
        }
        (Decision::AutoResolve, Some(mut a)) => {
            (a.state, a.closed_at, a.updated_at) = (AlertState::Resolved, Some(s.at), s.at);
            a.handled_by = Some("vigil:auto-resolve".into());
            store.update_alert(&a, None)?;
            Some(a)
        }
        _ => None,
    };
    Ok((decision, touched))
}

/// Why a lifecycle move was refused.
#[derive(Debug, thiserror::Error)]
pub enum AlertMoveError {
    #[error("alert not found")]
    NotFound,
    #[error("an alert that is {0} cannot be moved that way")]
    NotAllowed(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Acknowledge, resolve or escalate an alert. Escalation needs no awareness date: it defaults
/// to now, the moment the manufacturer became aware of a possible incident.
pub fn move_alert(
    store: &dyn AlertStore,
    actor: &Actor,
    id: &str,
    t: Transition,
    note: Option<String>,
    awareness_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Alert, AlertMoveError> {
    let mut alert = store.alert(id)?.ok_or(AlertMoveError::NotFound)?;
    let next =
        transition(alert.state, t).ok_or(AlertMoveError::NotAllowed(alert.state.as_str()))?;
    alert.state = next;
    alert.updated_at = now;
    alert.handled_by = Some(actor.0.clone());
    if note.is_some() {
        alert.note = note;
    }
    match next {
        AlertState::Resolved => alert.closed_at = Some(now),
        AlertState::Escalated => alert.awareness_at = Some(awareness_at.unwrap_or(now)),
        _ => {}
    }
    let details = json!({"to": next.as_str(), "awareness_at": alert.awareness_at});
    let draft = AuditDraft {
        actor: actor.0.clone(),
        action: format!("alert.{}", next.as_str()),
        target: id.into(),
        details: details.to_string(),
    };
    store.update_alert(&alert, Some(&draft))?;
    Ok(alert)
}
