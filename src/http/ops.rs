//! Operations endpoints: liveness, readiness (a committed write to the database, so that a
//! read-only database or a full disk is not ready) and Prometheus metrics.

use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use crate::error::AppError;

/// Process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Database is reachable and takes writes.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "ready"), (status = 503, body = crate::error::ErrorBody, description = "the database does not answer within the configured waits, or refuses writes")))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (store, now) = (state.store.clone(), state.clock.now());
    web::block(move || {
        store.ping()?;
        store.probe_write(now)
    })
    .await??;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"status": "ready", "database": state.store.kind()})))
}

/// Prometheus text format; needs `Authorization: Bearer <metrics_token>` unless `metrics_open`.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text"), (status = 401, body = crate::error::ErrorBody)))]
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if !state.settings.metrics_open {
        let expected = state.settings.metrics_token.expose();
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if expected.is_empty() {
            return Err(AppError::UnauthenticatedHint(
                "/metrics is closed: set metrics_token (VIGIL_METRICS_TOKEN) and send it as \
                 `Authorization: Bearer <token>`, or set metrics_open = true (VIGIL_METRICS_OPEN)"
                    .into(),
            ));
        }
        if !constant_time_eq(presented.unwrap_or(""), expected) {
            return Err(AppError::UnauthenticatedHint(
                "/metrics needs `Authorization: Bearer <token>` with the metrics_token setting \
                 (VIGIL_METRICS_TOKEN); metrics_open = true serves it without one"
                    .into(),
            ));
        }
    }
    // Rendering reads the database gauges, so it runs on the blocking pool.
    let st = state.clone();
    let body = web::block(move || st.metrics.render(&st)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body))
}

/// Compare without leaking the position of the first difference through timing.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
