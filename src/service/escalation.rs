//! Escalating an alert opens its incident. The quality manager's escalation is the moment the
//! manufacturer becomes aware of a possible serious incident, so the case is opened with it:
//! the awareness date is the escalation's, the incident names the alert, and the alert's view
//! names the incident. Everything is checked before anything is written (the incident is built
//! and screened, the move validated), then the alert moves and the case is stored; only a
//! storage failure between the two writes could leave an escalated alert without its case,
//! and a retry of the escalation is then refused (already escalated) while `POST /incidents`
//! with the `alert_id` still opens it.

use serde::Serialize;

use super::admin::Actor;
use super::alerts::{AlertMoveError, MoveRequest, check_move, move_alert};
use super::incidents::{NewIncident, prepare_incident, store_incident};
use super::vigilance::{Vigilance, VigilanceError};
use crate::alerting::alert::Alert;
use crate::alerting::rules::{Transition, transition};
use crate::storage::Store;
use crate::vigilance::incident::IncidentView;

/// What an escalation adds to the move: where the case is reported when the alert names no
/// site (default: the country of the alert's site).
#[derive(Debug, Clone, Default)]
pub struct IncidentOptions {
    pub reporting_country: Option<String>,
}

/// The escalated alert with the incident it opened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Escalated {
    #[serde(flatten)]
    pub alert: Alert,
    pub incident: IncidentView,
}

/// Why an escalation was refused.
#[derive(Debug, thiserror::Error)]
pub enum EscalationError {
    #[error(transparent)]
    Move(#[from] AlertMoveError),
    #[error(transparent)]
    Incident(#[from] VigilanceError),
}

/// Escalate alert `id` and open its incident (awareness date = the escalation's).
pub fn escalate_alert(
    store: &dyn Store,
    v: &Vigilance,
    actor: &Actor,
    id: &str,
    request: MoveRequest,
    options: IncidentOptions,
) -> Result<Escalated, EscalationError> {
    let alert = store
        .alert(id)
        .map_err(AlertMoveError::Store)?
        .ok_or_else(|| AlertMoveError::NotFound(id.into()))?;
    if transition(alert.state, Transition::Escalate).is_none() {
        return Err(AlertMoveError::NotAllowed {
            id: id.into(),
            state: alert.state.as_str(),
        }
        .into());
    }
    check_move(
        &alert,
        Transition::Escalate,
        request.note.as_deref(),
        request.awareness_at,
        request.now,
    )?;
    let aware = request.awareness_at.unwrap_or(request.now);
    let description = request
        .note
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("Escalated from alert: {}", alert.title));
    let new = NewIncident {
        alert_id: Some(alert.id.clone()),
        description,
        awareness_date: Some(aware.date_naive()),
        reporting_country: options.reporting_country,
        ..NewIncident::default()
    };
    let now = request.now;
    let prepared = prepare_incident(store, v, actor, new, now)?;
    let alert = move_alert(store, actor, id, request)?;
    let incident = store_incident(v, prepared, now)?;
    Ok(Escalated { alert, incident })
}
