//! Alert use cases: apply one evaluated signal to the store through the pure rules (the
//! evaluator calls this), and the lifecycle moves a quality manager makes, each audited.
//! Escalation records the awareness date that starts the vigilance reporting clock.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::admin::Actor;
use crate::alerting::alert::Alert;
use crate::alerting::rules::{AlertState, Decision, Signal, Transition, decide, transition};
use crate::domain::FieldIssue;
use crate::domain::audit::AuditDraft;
use crate::domain::event::MAX_CLOCK_SKEW;
use crate::monitoring::explain::Evidence;
use crate::monitoring::plan::AlertPolicy;
use crate::storage::{AlertEvent, AlertHistoryStore, AlertStore, StoreError};

/// One evaluated signal with its key and its words for people.
#[derive(Debug, Clone)]
pub struct SignalReport {
    pub model: String,
    pub rule: String,
    pub stratum: String,
    pub title: String,
    pub summary: String,
    /// The evidence in numbers, kept in the alert's history.
    pub evidence: Option<Evidence>,
    pub signal: Signal,
}

/// Apply the rules and persist the outcome. Returns the decision and the alert it touched;
/// `Open` and a raised severity are what notifications are sent for. What opened the alert
/// stays on it (title, summary); every later crossing, raised severity and automatic
/// resolution is appended to its history with the evidence of that day.
pub fn apply_signal<S: AlertStore + AlertHistoryStore + ?Sized>(
    store: &S,
    report: &SignalReport,
    policy: &AlertPolicy,
) -> Result<(Decision, Option<Alert>), StoreError> {
    let (decision, touched) = apply_rules(store, report, policy)?;
    let event = match decision {
        Decision::Open => Some("opened"),
        Decision::Refresh { raised_to: Some(_) } => Some("raised"),
        Decision::Refresh { raised_to: None } => Some("refreshed"),
        Decision::AutoResolve => Some("resolved"),
        _ => None,
    };
    if let (Some(event), Some(alert)) = (event, &touched) {
        let entry = AlertEvent {
            seq: 0,
            at: report.signal.at,
            event: event.into(),
            severity: alert.severity,
            summary: report.summary.clone(),
            evidence: report.evidence.clone(),
        };
        store.append_alert_event(&alert.id, &entry)?;
    }
    Ok((decision, touched))
}

fn apply_rules<S: AlertStore + ?Sized>(
    store: &S,
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
            (a.last_signal_at, a.updated_at, a.clear_streak) = (s.at, s.at, 0);
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
    #[error("no alert with id {0:?}")]
    NotFound(String),
    #[error("alert {id:?} is {state} and cannot be moved that way")]
    NotAllowed { id: String, state: &'static str },
    #[error("{}", .0.message)]
    Invalid(FieldIssue),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One lifecycle move as a quality manager asks for it.
#[derive(Debug, Clone)]
pub struct MoveRequest {
    pub transition: Transition,
    /// Why; kept on the alert and in the audit entry.
    pub note: Option<String>,
    /// Escalation only: when the manufacturer became aware; default `now`.
    pub awareness_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Longest note kept on an alert.
pub const MAX_NOTE_CHARS: usize = 4000;

/// Acknowledge, resolve or escalate an alert. Escalation needs no awareness date: it defaults
/// to now, the moment the manufacturer became aware of a possible incident. A given date starts
/// the legal vigilance clock, so it may lie neither in the future nor before the alert's first
/// evidence (its opening signal).
pub fn move_alert(
    store: &dyn AlertStore,
    actor: &Actor,
    id: &str,
    request: MoveRequest,
) -> Result<Alert, AlertMoveError> {
    let MoveRequest {
        transition: t,
        note,
        awareness_at,
        now,
    } = request;
    let mut alert = store
        .alert(id)?
        .ok_or_else(|| AlertMoveError::NotFound(id.into()))?;
    check_move(&alert, t, note.as_deref(), awareness_at, now)?;
    let next = transition(alert.state, t).ok_or(AlertMoveError::NotAllowed {
        id: id.into(),
        state: alert.state.as_str(),
    })?;
    alert.state = next;
    alert.updated_at = now;
    alert.handled_by = Some(actor.0.clone());
    if note.is_some() {
        alert.note.clone_from(&note);
    }
    match next {
        AlertState::Resolved => alert.closed_at = Some(now),
        AlertState::Escalated => alert.awareness_at = Some(awareness_at.unwrap_or(now)),
        _ => {}
    }
    let details = json!({"to": next.as_str(), "awareness_at": alert.awareness_at, "note": note});
    let draft = AuditDraft {
        actor: actor.0.clone(),
        action: format!("alert.{}", next.as_str()),
        target: id.into(),
        details: details.to_string(),
    };
    store.update_alert(&alert, Some(&draft))?;
    Ok(alert)
}

pub(crate) fn check_move(
    alert: &Alert,
    t: Transition,
    note: Option<&str>,
    awareness_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), AlertMoveError> {
    let invalid = |path: &str, message: String| {
        AlertMoveError::Invalid(FieldIssue {
            index: None,
            path: path.into(),
            code: "invalid_value".into(),
            message,
        })
    };
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(invalid(
            "note",
            format!("note holds at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let Some(at) = awareness_at else {
        return Ok(());
    };
    if t != Transition::Escalate {
        return Err(invalid(
            "awareness_at",
            "awareness_at belongs to an escalation only".into(),
        ));
    }
    if at > now + MAX_CLOCK_SKEW {
        return Err(invalid(
            "awareness_at",
            "awareness_at lies in the future".into(),
        ));
    }
    if at < alert.opened_at {
        return Err(invalid(
            "awareness_at",
            format!(
                "awareness_at lies before the alert's first evidence ({})",
                alert
                    .opened_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ));
    }
    Ok(())
}
