//! Every route in one list.

use actix_web::{HttpRequest, web};

use super::{
    alerts, devices, held_reviews, incidents, ingest, masks, monitoring, openapi, ops,
    plan_backtest, plans, read, retraining, sites,
};
use crate::error::AppError;

/// Register all routes and the extractor error handlers.
pub fn configure(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(max_body_bytes)
            .error_handler(json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error))
    .route("/healthz", web::get().to(ops::healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics))
    .configure(crate::web::configure)
    .service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(openapi::openapi_json))
            .route("/events", web::post().to(ingest::post_events))
            .route("/reviews", web::post().to(ingest::post_reviews))
            .route("/ingest/held", web::get().to(held_reviews::get_held))
            .route(
                "/reviews/{review_id}/masks",
                web::post().to(masks::post_masks),
            )
            .route("/sites", web::get().to(read::list_sites))
            .route("/sites", web::post().to(sites::post_site))
            .route("/sites/{id}/key", web::post().to(sites::post_site_key))
            .route("/models", web::get().to(read::list_models))
            .route("/models", web::post().to(read::post_model))
            .route("/counts", web::get().to(read::get_counts))
            .route("/models/{model}/plan", web::put().to(plans::put_plan))
            .route(
                "/models/{model}/plan",
                web::get().to(plans::get_plan_version),
            )
            .route(
                "/models/{model}/plan/history",
                web::get().to(plans::get_plan_history),
            )
            .route(
                "/models/{model}/plan/backtest",
                web::post().to(plan_backtest::post_backtest),
            )
            .route(
                "/models/{model}/plan/backtests",
                web::get().to(plan_backtest::get_backtests),
            )
            .route(
                "/retraining-requests",
                web::post().to(retraining::post_retraining),
            )
            .route(
                "/retraining-requests/{id}",
                web::get().to(retraining::get_retraining),
            )
            .route(
                "/retraining-requests/{id}/status",
                web::post().to(retraining::post_retraining_status),
            )
            .route(
                "/models/{model}/versions/{version}/baseline",
                web::put().to(monitoring::put_baseline),
            )
            .route(
                "/models/{model}/versions/{version}/baseline",
                web::get().to(monitoring::get_baseline),
            )
            .route(
                "/models/{model}/versions/{version}/baseline/freeze",
                web::post().to(monitoring::freeze),
            )
            .route("/evaluations", web::post().to(monitoring::post_evaluation))
            .route("/evaluations", web::get().to(monitoring::list_evaluations))
            .route(
                "/evaluations/{id}",
                web::get().to(monitoring::get_evaluation),
            )
            .route("/findings", web::get().to(monitoring::list_findings))
            .route("/alerts", web::get().to(alerts::list_alerts))
            .route("/alerts/{id}", web::get().to(alerts::get_alert))
            .route(
                "/alerts/{id}/{action}",
                web::post().to(alerts::post_alert_move),
            )
            .configure(super::jobs::configure)
            .configure(super::shadow::configure)
            .configure(devices::configure)
            .configure(incidents::configure)
            .configure(super::reports::configure)
            .configure(super::trend::configure)
            .configure(super::device_groups::configure)
            .configure(super::audit::configure),
    )
    .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound("no such route".into()))
}

fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let app = match err {
        E::ContentType => AppError::UnsupportedMediaType,
        E::Overflow { .. } | E::OverflowKnownLength { .. } => AppError::PayloadTooLarge,
        E::Deserialize(e) if e.is_data() => AppError::Validation {
            message: e.to_string(),
            details: vec![],
        },
        other => AppError::BadRequest(other.to_string()),
    };
    app.into()
}

/// A path segment that does not parse as its id type (`/incidents/x/reports/abc`) names no
/// resource: 404 with the error body, never a bare text answer.
fn path_error(_: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    // The segment is not echoed: it could be anything the caller typed.
    AppError::NotFound("no such resource (a path segment is not a valid id)".into()).into()
}

fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    AppError::BadRequest(err.to_string()).into()
}
