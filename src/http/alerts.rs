//! `GET /api/v1/alerts`, `GET /api/v1/alerts/{id}` and the lifecycle moves
//! `POST /api/v1/alerts/{id}/{acknowledge|resolve|escalate}` (quality managers).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::body::read_json_or_empty;
use super::paging::{self, Cursor, Page};
use crate::alerting::rules::{AlertState, Transition};
use crate::domain::Role;
use crate::domain::wire_check::{Field, Kind, check_object};
use crate::error::AppError;
use crate::service::admin::Actor;
use crate::service::alerts::{AlertMoveError, MoveRequest, move_alert};
use crate::service::escalation::{EscalationError, IncidentOptions, escalate_alert};
use crate::storage::AlertFilter;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// open, acknowledged, resolved or escalated.
    pub state: Option<String>,
    /// A model name (all its versions) or a model version id `name@version`; 404 when no
    /// such model is registered.
    pub model: Option<String>,
    /// Page size: 1 to 1000, default 200.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page, passed back unchanged.
    pub next: Option<String>,
}

/// Default and largest page of the alert list.
const ALERT_PAGE: (i64, i64) = (200, 1000);

/// List alerts, newest first (opening time, then id), one page at a time (quality,
/// regulatory, admin).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery), responses((status = 200, description = "a page of alerts and the cursor of the next", body = Page<crate::alerting::alert::Alert>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, description = "no such model is registered", body = crate::error::ErrorBody), (status = 422, description = "invalid_limit (limit) or invalid_cursor (next)", body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_alerts(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<AlertQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Admin])?;
    let q = q.into_inner();
    let alert_state = match q.state.as_deref() {
        Some(s) => Some(AlertState::parse(s).ok_or_else(|| {
            AppError::BadRequest("state must be open, acknowledged, resolved or escalated".into())
        })?),
        None => None,
    };
    let limit = paging::limit(q.limit.as_deref(), ALERT_PAGE.0, ALERT_PAGE.1)?;
    let after = match Cursor::decode(q.next.as_deref(), "alerts", 2)? {
        Some(k) => Some((paging::parse_time_key(&k[0])?, k[1].clone())),
        None => None,
    };
    let filter = AlertFilter {
        state: alert_state,
        model: q.model,
        limit: limit + 1,
        after,
    };
    let st = state.clone();
    let rows = web::block(move || {
        if let Some(m) = &filter.model {
            paging::check_model(&*st.store, m)?;
        }
        Ok::<_, AppError>(st.store.alerts(&filter)?)
    })
    .await??;
    let page = Page::of(rows, limit, |a| {
        Cursor::new("alerts", vec![paging::time_key(a.opened_at), a.id.clone()])
    });
    Ok(HttpResponse::Ok().json(page))
}

/// One alert with its history: what opened it (entry 0) and every later evaluation that
/// touched it, each with its evidence; and the incident its escalation opened, if any.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: crate::alerting::alert::Alert,
    pub history: Vec<crate::storage::AlertEvent>,
    /// The incident opened from this alert, if any.
    pub incident_id: Option<String>,
}

/// One alert with its history and its incident's id (quality, regulatory, admin).
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = String, Path)), responses((status = 200, body = AlertDetail), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_alert(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Admin])?;
    let (st, id) = (state.clone(), path.into_inner());
    let detail = web::block({
        let id = id.clone();
        move || -> Result<Option<AlertDetail>, crate::storage::StoreError> {
            let Some(alert) = st.store.alert(&id)? else {
                return Ok(None);
            };
            let history = st.store.alert_events(&id)?;
            let incident = st.vigilance.incidents.incident_for_alert(&id)?;
            Ok(Some(AlertDetail {
                alert,
                history,
                incident_id: incident.map(|i| i.id),
            }))
        }
    })
    .await??;
    detail
        .map(|a| HttpResponse::Ok().json(a))
        .ok_or_else(|| AppError::NotFound(format!("no alert with id {id:?}")))
}

/// Body of a lifecycle move (every field optional; an empty body is `{}`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertMove {
    /// Why (kept on the alert and in the audit trail).
    pub note: Option<String>,
    /// Escalation only: when the manufacturer became aware, RFC 3339 with a UTC offset; default
    /// now; never in the future, never before the alert opened.
    pub awareness_at: Option<DateTime<Utc>>,
    /// Escalation only: the incident's reporting country (ISO 3166-1 alpha-2); default the
    /// country of the alert's site; required when the alert names no site.
    pub reporting_country: Option<String>,
}

const ALERT_MOVE: &[Field] = &[
    Field::opt("note", Kind::Text),
    Field::opt("awareness_at", Kind::Time),
    Field::opt("reporting_country", Kind::Text),
];

/// Parse a move's body strictly: every problem named at its field (422), nothing moved.
fn parse_move(body: serde_json::Value) -> Result<AlertMove, AppError> {
    let refuse = |details: Vec<crate::domain::FieldIssue>| AppError::Validation {
        message: "the alert move is invalid; nothing was changed".into(),
        details,
    };
    let issues = check_object(&body, ALERT_MOVE, "", None);
    if !issues.is_empty() {
        return Err(refuse(issues));
    }
    serde_json::from_value(body).map_err(|_| {
        refuse(vec![crate::domain::FieldIssue {
            index: None,
            path: String::new(),
            code: "invalid_value".into(),
            message: "the body does not match the alert move's fields".into(),
        }])
    })
}

/// Acknowledge, resolve or escalate an alert (quality). Escalation opens the incident (awareness
/// date = the escalation's) and answers the alert with it under `incident`.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/{action}", tag = "alerts", params(("id" = String, Path), ("action" = String, Path, description = "acknowledge, resolve or escalate")), request_body = AlertMove, responses((status = 200, description = "the moved alert; an escalation adds the incident it opened", body = crate::service::escalation::Escalated), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_alert_move(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality])?;
    let (id, action) = path.into_inner();
    let t = match action.as_str() {
        "acknowledge" => Transition::Acknowledge,
        "resolve" => Transition::Resolve,
        "escalate" => Transition::Escalate,
        _ => return Err(AppError::NotFound(format!("no alert action {action:?}"))),
    };
    let raw = read_json_or_empty(&req, payload, state.settings.max_body_bytes).await?;
    let body = parse_move(raw)?;
    if t != Transition::Escalate && body.reporting_country.is_some() {
        return Err(move_refused(AlertMoveError::Invalid(
            crate::domain::FieldIssue {
                index: None,
                path: "reporting_country".into(),
                code: "invalid_value".into(),
                message: "reporting_country belongs to an escalation only".into(),
            },
        )));
    }
    let actor = Actor(format!("user:{}", user.name));
    let st = state.clone();
    let request = MoveRequest {
        transition: t,
        note: body.note,
        awareness_at: body.awareness_at,
        now: st.clock.now(),
    };
    if t == Transition::Escalate {
        let options = IncidentOptions {
            reporting_country: body.reporting_country,
        };
        let escalated = web::block(move || {
            escalate_alert(&*st.store, &st.vigilance, &actor, &id, request, options)
        })
        .await?;
        return match escalated {
            Ok(e) => Ok(HttpResponse::Ok().json(e)),
            Err(EscalationError::Move(e)) => Err(move_refused(e)),
            Err(EscalationError::Incident(e)) => Err(e.into()),
        };
    }
    let moved = web::block(move || move_alert(&*st.store, &actor, &id, request)).await?;
    moved
        .map(|alert| HttpResponse::Ok().json(alert))
        .map_err(move_refused)
}

/// The API's answer to a refused move.
fn move_refused(e: AlertMoveError) -> AppError {
    match e {
        e @ AlertMoveError::NotFound(_) => AppError::NotFound(e.to_string()),
        e @ AlertMoveError::NotAllowed { .. } => AppError::Conflict(e.to_string()),
        AlertMoveError::Invalid(issue) => AppError::Validation {
            message: "the alert move is invalid; nothing was changed".into(),
            details: vec![issue],
        },
        AlertMoveError::Store(e) => e.into(),
    }
}
