//! Bounded waits: a request whose work (its database calls above all) has not ended within
//! `db_pool_timeout_ms + db_statement_timeout_ms` answers 503 `service_unavailable`, so a
//! hung database (a server that stops answering, a network that drops packets without a
//! reset) cannot hang the API or `/readyz`. The blocking call that waits goes on in the
//! background and returns its connection when the database answers again: recovery needs no
//! restart. Uploads, whose bodies may take long to arrive, and plan backtests (a year of days
//! read one by one) are not cut off; their database calls are still bounded by the pool wait
//! and PostgreSQL's `statement_timeout`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;
use crate::error::AppError;

/// Routes that receive large uploads (volumes, models, masks), and the plan backtest, whose
/// work is many short database reads and bounded computation (at most 366 days), longer in
/// all than one statement's deadline.
const UPLOADS: &[&str] = &[
    "/api/v1/reviews/{review_id}/masks",
    "/api/v1/models/{model}/versions/{version}/artifact",
    "/api/v1/archive/cases",
    "/api/v1/models/{model}/plan/backtest",
];

/// Middleware: answer 503 when the request has not finished within the database deadline.
/// The refusal is returned as an error (actix renders it with the error body): the request
/// cannot be kept aside for it, since later middleware needs to own it alone.
pub async fn bound_wait(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let deadline = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.db_request_deadline());
    let is_upload = req
        .match_pattern()
        .is_some_and(|p| UPLOADS.contains(&p.as_str()));
    let Some(deadline) = deadline.filter(|_| !is_upload) else {
        return next.call(req).await;
    };
    match tokio::time::timeout(deadline, next.call(req)).await {
        Ok(res) => res,
        Err(_) => Err(AppError::Unavailable(format!(
            "no answer within {} ms (db_pool_timeout_ms + db_statement_timeout_ms)",
            deadline.as_millis()
        ))
        .into()),
    }
}
