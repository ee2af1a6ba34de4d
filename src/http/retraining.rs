//! `POST /api/v1/retraining-requests` (ml): criteria -> stored manifest, delivered to the
//! training-pipeline webhook with an HMAC signature; `GET` one; `POST .../status` callbacks.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::monitoring::retraining::RetrainingCriteria;
use crate::service::admin::Actor;
use crate::service::retraining::{
    CALLBACK_STATUSES, RetrainingError, create_request, set_status, sign,
};

fn map_err(e: RetrainingError) -> AppError {
    match e {
        RetrainingError::Invalid(m) => AppError::Validation {
            message: m,
            details: vec![],
        },
        RetrainingError::UnknownModel(m) => {
            AppError::NotFound(format!("no model {m:?} is registered"))
        }
        RetrainingError::NotFound => {
            AppError::NotFound("no retraining request with this id".into())
        }
        RetrainingError::Store(s) => s.into(),
    }
}

/// Create a retraining request (ml); the manifest is stored, then delivered to the webhook.
#[utoipa::path(post, path = "/api/v1/retraining-requests", tag = "ml", request_body = RetrainingCriteria, responses((status = 201, body = crate::storage::RetrainingRecord), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_retraining(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<RetrainingCriteria>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, criteria, a2) = (state.clone(), body.into_inner(), actor.clone());
    let mut record = web::block(move || create_request(&*st.store, &a2, criteria, st.clock.now()))
        .await?
        .map_err(map_err)?;
    let url = state.settings.training_webhook_url.clone();
    if !url.is_empty() {
        let (status, detail) = deliver(
            &url,
            state.settings.webhook_secret.expose(),
            &record.manifest,
        )
        .await;
        let (st, id, d2) = (state.clone(), record.id.clone(), detail.clone());
        let system = Actor("vigil:webhook".into());
        web::block(move || {
            set_status(
                &*st.store,
                &system,
                &id,
                status,
                d2.as_deref(),
                st.clock.now(),
            )
        })
        .await?
        .map_err(map_err)?;
        (record.status, record.status_detail) = (status.to_string(), detail);
    }
    Ok(HttpResponse::Created().json(record))
}

/// POST the manifest; the outcome becomes the request's status.
async fn deliver(url: &str, secret: &str, manifest: &str) -> (&'static str, Option<String>) {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build();
    let Ok(client) = client else {
        return ("delivery_failed", Some("HTTP client unavailable".into()));
    };
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-vigil-signature", sign(secret, manifest.as_bytes()))
        .body(manifest.to_string())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => ("delivered", None),
        Ok(r) => (
            "delivery_failed",
            Some(format!("webhook answered {}", r.status())),
        ),
        Err(e) => ("delivery_failed", Some(format!("webhook unreachable: {e}"))),
    }
}

/// One retraining request with its manifest (ml, quality, regulatory).
#[utoipa::path(get, path = "/api/v1/retraining-requests/{id}", tag = "ml", params(("id" = String, Path)), responses((status = 200, body = crate::storage::RetrainingRecord), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_retraining(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Ml, Role::Quality, Role::Regulatory, Role::Admin])?;
    let (st, id) = (state.clone(), path.into_inner());
    let shown = id.clone();
    let record = web::block(move || st.store.retraining(&id)).await??;
    record
        .map(|r| HttpResponse::Ok().json(r))
        .ok_or_else(|| AppError::NotFound(format!("no retraining request with id {shown:?}")))
}

/// A status callback from the training pipeline.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusCallback {
    /// accepted, training, completed or failed.
    pub status: String,
    pub detail: Option<String>,
}

/// Record a pipeline status (ml token of the pipeline's service user).
#[utoipa::path(post, path = "/api/v1/retraining-requests/{id}/status", tag = "ml", params(("id" = String, Path)), request_body = StatusCallback, responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_retraining_status(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<StatusCallback>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?;
    let body = body.into_inner();
    if !CALLBACK_STATUSES.contains(&body.status.as_str()) {
        return Err(AppError::Validation {
            message: format!("status must be one of {CALLBACK_STATUSES:?}"),
            details: vec![],
        });
    }
    let actor = Actor(format!("user:{}", user.name));
    let (st, id) = (state.clone(), path.into_inner());
    web::block(move || {
        set_status(
            &*st.store,
            &actor,
            &id,
            &body.status,
            body.detail.as_deref(),
            st.clock.now(),
        )
    })
    .await?
    .map_err(map_err)?;
    Ok(HttpResponse::NoContent().finish())
}
