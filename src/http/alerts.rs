//! `GET /api/v1/alerts`, `GET /api/v1/alerts/{id}` and the lifecycle moves
//! `POST /api/v1/alerts/{id}/{acknowledge|resolve|escalate}` (quality managers).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::alerting::rules::{AlertState, Transition};
use crate::domain::Role;
use crate::error::AppError;
use crate::service::admin::Actor;
use crate::service::alerts::{AlertMoveError, move_alert};
use crate::storage::AlertFilter;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// open, acknowledged, resolved or escalated.
    pub state: Option<String>,
    /// Model name (all versions) or model version id `name@version`.
    pub model: Option<String>,
    /// At most this many, newest first (default 200).
    pub limit: Option<i64>,
}

/// List alerts, newest first (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery), responses((status = 200, body = Vec<crate::alerting::alert::Alert>)), security(("bearer" = [])))]
pub async fn list_alerts(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<AlertQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory])?;
    let q = q.into_inner();
    let alert_state = match q.state.as_deref() {
        Some(s) => Some(AlertState::parse(s).ok_or_else(|| {
            AppError::BadRequest("state must be open, acknowledged, resolved or escalated".into())
        })?),
        None => None,
    };
    let filter = AlertFilter {
        state: alert_state,
        model: q.model,
        limit: q.limit.unwrap_or(200).clamp(1, 10_000),
    };
    let st = state.clone();
    Ok(HttpResponse::Ok().json(web::block(move || st.store.alerts(&filter)).await??))
}

/// One alert (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = String, Path)), responses((status = 200, body = crate::alerting::alert::Alert), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_alert(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory])?;
    let (st, id) = (state.clone(), path.into_inner());
    let alert = web::block(move || st.store.alert(&id)).await??;
    alert
        .map(|a| HttpResponse::Ok().json(a))
        .ok_or_else(|| AppError::NotFound("alert".into()))
}

/// Body of a lifecycle move.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertMove {
    /// Why (kept on the alert and in the audit trail).
    pub note: Option<String>,
    /// Escalation only: when the manufacturer became aware; default now.
    pub awareness_at: Option<DateTime<Utc>>,
}

/// Acknowledge, resolve or escalate an alert (quality).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/{action}", tag = "alerts", params(("id" = String, Path), ("action" = String, Path, description = "acknowledge, resolve or escalate")), request_body = AlertMove, responses((status = 200, body = crate::alerting::alert::Alert), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_alert_move(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Option<web::Json<AlertMove>>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality])?;
    let (id, action) = path.into_inner();
    let t = match action.as_str() {
        "acknowledge" => Transition::Acknowledge,
        "resolve" => Transition::Resolve,
        "escalate" => Transition::Escalate,
        _ => return Err(AppError::NotFound("route".into())),
    };
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let actor = Actor(format!("user:{}", user.name));
    let st = state.clone();
    let moved = web::block(move || {
        move_alert(
            &*st.store,
            &actor,
            &id,
            t,
            body.note,
            body.awareness_at,
            st.clock.now(),
        )
    })
    .await?;
    match moved {
        Ok(alert) => Ok(HttpResponse::Ok().json(alert)),
        Err(AlertMoveError::NotFound) => Err(AppError::NotFound("alert".into())),
        Err(e @ AlertMoveError::NotAllowed(_)) => Err(AppError::Conflict(e.to_string())),
        Err(AlertMoveError::Store(e)) => Err(e.into()),
    }
}
