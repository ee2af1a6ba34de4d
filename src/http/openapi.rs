//! The OpenAPI 3 document of wire protocol v1, served at `GET /api/v1/openapi.json`.

use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::domain::event::EventItem;
use crate::domain::review::ReviewItem;

/// `{"events": [...]}`: 1 to `max_batch_items` (default 1000) events; unknown fields are
/// refused. The served document states the configured `max_batch_items` as `maxItems`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<EventItem>,
}

/// `{"reviews": [...]}`: 1 to `max_batch_items` (default 1000) reviews; unknown fields are
/// refused. The served document states the configured `max_batch_items` as `maxItems`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub reviews: Vec<ReviewItem>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "Site key (vsk_...) for ingest; user token (vut_...) for everything else",
            ))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Vigil API", description = "Post-market surveillance of AI medical imaging devices. Wire protocol v1. Errors are {code, message, request_id, details?}; codes are stable (see README)."),
    paths(
        crate::http::ingest::post_events,
        crate::http::ingest::post_reviews,
        crate::http::held_reviews::get_held,
        crate::http::masks::post_masks,
        crate::http::read::list_sites,
        crate::http::sites::post_site,
        crate::http::sites::post_site_key,
        crate::http::read::list_models,
        crate::http::read::post_model,
        crate::http::read::get_counts,
        crate::http::plans::put_plan,
        crate::http::plans::get_plan_version,
        crate::http::plans::get_plan_history,
        crate::http::plan_backtest::post_backtest,
        crate::http::plan_backtest::get_backtests,
        crate::http::monitoring::put_baseline,
        crate::http::monitoring::get_baseline,
        crate::http::monitoring::freeze,
        crate::http::monitoring::post_evaluation,
        crate::http::monitoring::list_evaluations,
        crate::http::monitoring::get_evaluation,
        crate::http::monitoring::list_findings,
        crate::http::alerts::list_alerts,
        crate::http::alerts::get_alert,
        crate::http::alerts::post_alert_move,
        crate::http::audit::get_checkpoint,
        crate::http::devices::post_device,
        crate::http::devices::list_devices,
        crate::http::devices::get_device,
        crate::http::devices::patch_device,
        crate::http::devices::post_retire,
        crate::http::devices::post_software,
        crate::http::devices::get_exposure,
        crate::http::incidents::post_incident,
        crate::http::incidents::get_incidents,
        crate::http::incidents::get_incident,
        crate::http::incidents::post_classify,
        crate::http::incidents::post_report,
        crate::http::incidents::get_mir,
        crate::http::incidents::get_eudamed,
        crate::http::incidents::post_submission,
        crate::http::reports::post_report,
        crate::http::reports::get_report,
        crate::http::reports::get_pdf,
        crate::http::reports::get_json,
        crate::http::reports::post_approve,
        crate::http::reports::get_narratives,
        crate::http::reports::put_narrative_drafts,
        crate::http::device_groups::put_device_group,
        crate::http::device_groups::list_groups,
        crate::http::device_groups::get_group,
        crate::http::trend::post_trend_evaluation,
        crate::http::trend::list_trend_reports,
        crate::http::trend::get_trend_report,
        crate::http::trend::get_trend_pdf,
        crate::http::trend::get_trend_mtr,
        crate::http::retraining::post_retraining,
        crate::http::retraining::get_retraining,
        crate::http::retraining::post_retraining_status,
        crate::http::jobs::list_jobs,
        crate::http::jobs::get_job,
        crate::http::jobs::cancel_job,
        crate::http::shadow::put_artifact,
        crate::http::shadow::post_promote,
        crate::http::shadow::post_case,
        crate::http::shadow::list_cases,
        crate::http::shadow::get_case,
        crate::http::shadow::delete_case,
        crate::http::shadow_runs::post_run,
        crate::http::shadow_runs::get_run,
        crate::http::ops::healthz,
        crate::http::ops::readyz,
        crate::http::ops::metrics,
    ),
    components(schemas(EventBatch, ReviewBatch, crate::error::ErrorBody, crate::domain::FieldIssue)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The published document under the default settings.
pub fn document() -> serde_json::Value {
    document_for(&crate::config::Settings::default())
}

/// The published document of a server with `settings`: the generated one, completed as a
/// contract (`openapi_contract`), its request schemas tightened to what the server enforces
/// (`openapi_strict`, `openapi_limits`), batch sizes as configured.
pub fn document_for(settings: &crate::config::Settings) -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    super::openapi_contract::complete(&mut doc);
    super::openapi_strict::tighten(&mut doc);
    super::openapi_limits::state_batch_size(&mut doc, settings.max_batch_items);
    doc
}

/// The document as JSON, as this server is configured.
pub async fn openapi_json(state: actix_web::web::Data<super::AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document_for(&state.settings))
}
