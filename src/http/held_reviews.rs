//! `GET /api/v1/ingest/held`: a site's reviews held because they arrived before their event,
//! and those dropped recently (with the reason), so an integrator can re-send what was lost.
//! Also the sweep round `serve` runs periodically (`Application::start_held_review_sweep`).

use actix_web::{HttpResponse, web};
use chrono::Duration;

use super::AppState;
use super::auth::Caller;
use crate::error::AppError;
use crate::service::held_reviews::{DROPPED_KEPT_DAYS, sweep_held_reviews, ttl};
use crate::storage::StoreError;
use crate::storage::held_reviews::{HeldReviewEntry, SweepOutcome};

/// The calling site's held reviews (oldest first, each with `expires_at`) and those dropped
/// in the last 30 days (newest first, with `reason`: `event_never_arrived`,
/// `review_before_event`, `idempotency_conflict`); at most 1000 of each (site key).
#[utoipa::path(
    get, path = "/api/v1/ingest/held", tag = "ingest",
    responses(
        (status = 200, body = Vec<HeldReviewEntry>, description = "Held and recently dropped reviews of this site"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_held(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let site = caller.site()?.id.clone();
    let st = state.clone();
    let list = web::block(move || {
        let now = st.clock.now();
        st.store.held_reviews_of(
            &site,
            now - Duration::days(DROPPED_KEPT_DAYS),
            ttl(&st.settings),
        )
    })
    .await??;
    Ok(HttpResponse::Ok().json(list))
}

/// One sweep with the state's clock and settings, counted in the metrics. Blocking: run it
/// on the blocking pool.
pub fn sweep_round(state: &AppState) -> Result<SweepOutcome, StoreError> {
    let outcome = sweep_held_reviews(&*state.store, &state.settings, state.clock.now())?;
    state.metrics.held.observe_sweep(&outcome);
    Ok(outcome)
}
