//! `POST /api/v1/events` and `POST /api/v1/reviews`: sites report in batches.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::body::{batch_items, read_json};
use crate::domain::site::Site;
use crate::error::AppError;
use crate::service::ingest::{
    BatchOutcome, IngestError, IngestLimits, ingest_events, ingest_reviews,
};
use crate::storage::Store;
use crate::storage::held_reviews::HeldJoin;

/// Report a batch of inference events (site key).
#[utoipa::path(
    post, path = "/api/v1/events", tag = "ingest",
    request_body = crate::http::openapi::EventBatch,
    responses(
        (status = 200, body = BatchOutcome, description = "Stored; duplicates were already stored; held reviews wait for their event"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_events(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    ingest(caller, state, req, payload, "events", ingest_events).await
}

/// Report a batch of clinician reviews (site key).
#[utoipa::path(
    post, path = "/api/v1/reviews", tag = "ingest",
    request_body = crate::http::openapi::ReviewBatch,
    responses(
        (status = 200, body = BatchOutcome, description = "Stored; duplicates were already stored; held reviews wait for their event"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_reviews(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    ingest(caller, state, req, payload, "reviews", ingest_reviews).await
}

type IngestFn = fn(
    &dyn Store,
    &Site,
    Vec<Value>,
    &IngestLimits,
    DateTime<Utc>,
) -> Result<BatchOutcome, IngestError>;

/// Shared body of both ingest routes: only sites may call them; `kind` names the envelope.
async fn ingest(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    kind: &'static str,
    run: IngestFn,
) -> Result<HttpResponse, AppError> {
    let site = caller.site()?.clone();
    let site_id = site.id.clone();
    let items = batch_items(
        read_json(&req, payload, state.settings.max_body_bytes).await?,
        kind,
    )?;
    let st = state.clone();
    let outcome = web::block(move || {
        run(
            &*st.store,
            &site,
            items,
            &IngestLimits::from_settings(&st.settings),
            st.clock.now(),
        )
    })
    .await?;
    respond(&state, kind, &site_id, outcome)
}

fn respond(
    state: &AppState,
    kind: &str,
    site: &str,
    outcome: Result<BatchOutcome, IngestError>,
) -> Result<HttpResponse, AppError> {
    let m = &state.metrics;
    match outcome {
        Ok(o) => {
            m.ingest_items
                .with_label_values(&[kind, "accepted", site])
                .inc_by(o.accepted as u64);
            m.ingest_items
                .with_label_values(&[kind, "duplicate", site])
                .inc_by(o.duplicates as u64);
            if o.held > 0 {
                m.ingest_items
                    .with_label_values(&[kind, "held", site])
                    .inc_by(o.held as u64);
            }
            // Held reviews that joined their event count as accepted reviews now.
            let mut join = HeldJoin::default();
            for (map, n) in [
                (&mut join.joined, o.joined),
                (&mut join.refused, o.join_refused),
            ] {
                if n > 0 {
                    map.insert(site.to_string(), n as u64);
                }
            }
            m.held.observe_join(&join);
            Ok(HttpResponse::Ok().json(o))
        }
        Err(e) => {
            let (label, err) = to_app_error(kind, e);
            m.ingest_batches_refused
                .with_label_values(&[kind, label, site])
                .inc();
            Err(err)
        }
    }
}

fn to_app_error(kind: &str, e: IngestError) -> (&'static str, AppError) {
    match e {
        IngestError::PersonalData(details) => ("personal_data", AppError::PersonalData { details }),
        IngestError::Invalid(details) => {
            let n = details
                .iter()
                .filter_map(|d| d.index)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            let message = format!("{n} of the {kind} refused (see details); nothing was stored");
            ("invalid", AppError::Validation { message, details })
        }
        IngestError::Conflict(details) => {
            let first = details
                .first()
                .map(|d| format!("{}: {}", d.path, d.message))
                .unwrap_or_default();
            let message = format!("{first}; nothing was stored");
            (
                "conflict",
                AppError::IdempotencyConflict { message, details },
            )
        }
        IngestError::Store(e) => ("store", AppError::from(e)),
    }
}
