//! Art. 88 trend reporting: evaluate a model's `[trend]` plan section for a day (quality,
//! regulatory), list the drafted trend reports, and download a report's JSON, its PDF (approved
//! like a PSUR through `/reports/{id}/approve` when its model belongs to a device) or its
//! EUDAMED `mtrType` XML.

use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::blobs::BlobKey;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::trend::{TrendServiceError, evaluate_model_trend};
use crate::storage::TrendReportRecord;

/// Register the trend routes (called by `routes.rs` inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/models/{model}/trend-evaluations",
        web::post().to(post_trend_evaluation),
    )
    .route("/trend-reports", web::get().to(list_trend_reports))
    .route("/trend-reports/{id}", web::get().to(get_trend_report))
    .route("/trend-reports/{id}/mtr.xml", web::get().to(get_trend_mtr))
    .route("/trend-reports/{id}/pdf", web::get().to(get_trend_pdf));
}

/// Who may run a trend evaluation (the vigilance writers).
const WRITERS: &[Role] = &[Role::Quality, Role::Regulatory];
/// Who may read trend reports: the writers, and admin (who reads every user route).
const READERS: &[Role] = &[Role::Quality, Role::Regulatory, Role::Admin];

fn map_err(e: TrendServiceError) -> AppError {
    match e {
        TrendServiceError::UnknownModel(m) => {
            AppError::NotFound(format!("no model {m:?} is registered"))
        }
        TrendServiceError::Store(s) => s.into(),
        TrendServiceError::Blob(m) => AppError::Internal(m),
        other => AppError::Validation {
            message: other.to_string(),
            details: vec![],
        },
    }
}

/// The day to evaluate.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrendEvaluationRequest {
    /// Last day of the observation period (UTC, inclusive); default: yesterday.
    pub as_of: Option<NaiveDate>,
}

/// Evaluate the plan's trend section for a day; a significant increase opens the class's
/// alert and drafts its trend report (quality, regulatory).
#[utoipa::path(post, path = "/api/v1/models/{model}/trend-evaluations", tag = "vigilance", params(("model" = String, Path)), request_body = TrendEvaluationRequest, responses((status = 200, body = crate::service::trend::TrendRun), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_trend_evaluation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<TrendEvaluationRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(WRITERS)?;
    let now = state.clock.now();
    let as_of = body
        .into_inner()
        .as_of
        .unwrap_or(now.date_naive() - Duration::days(1));
    let (st, model) = (state.clone(), path.into_inner());
    let actor = format!("user:{}", user.name);
    let run = web::block(move || {
        evaluate_model_trend(&*st.store, &*st.blobs, &model, as_of, &actor, now)
    })
    .await?
    .map_err(map_err)?;
    Ok(HttpResponse::Ok().json(run))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TrendReportQuery {
    /// A model name or a model version id `name@version` (a trend report covers every
    /// version of its model name); 404 when no such model is registered.
    pub model: Option<String>,
}

/// Drafted trend reports, newest first (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/trend-reports", tag = "vigilance", params(TrendReportQuery), responses((status = 200, body = Vec<TrendReportRecord>), (status = 404, description = "no such model is registered", body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_trend_reports(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<TrendReportQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(READERS)?;
    let (st, q) = (state.clone(), q.into_inner());
    let rows = web::block(move || {
        if let Some(m) = &q.model {
            super::paging::check_model(&*st.store, m)?;
        }
        let model = q.model.as_deref().map(super::paging::model_name);
        Ok::<_, AppError>(st.store.trend_reports(model)?)
    })
    .await??;
    Ok(HttpResponse::Ok().json(rows))
}

/// A report record and one of its blobs.
async fn blob_of(
    state: &web::Data<AppState>,
    id: String,
    xml: bool,
) -> Result<(TrendReportRecord, Vec<u8>), AppError> {
    let st = state.clone();
    let record = web::block(move || st.store.trend_report(&id))
        .await??
        .ok_or_else(|| AppError::NotFound("trend report".into()))?;
    let sha = match xml {
        true => record.xml_sha256.clone(),
        false => record.json_sha256.clone(),
    };
    let key = BlobKey::parse(&sha).map_err(|e| AppError::Internal(e.to_string()))?;
    let st = state.clone();
    let bytes = web::block(move || st.blobs.get(&key))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((record, bytes))
}

/// The trend report's JSON document (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/trend-reports/{id}", tag = "vigilance", params(("id" = String, Path)), responses((status = 200, description = "the trend report (JSON)"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_trend_report(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(READERS)?;
    let (record, bytes) = blob_of(&state, path.into_inner(), false).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("X-Content-SHA256", record.json_sha256))
        .body(bytes))
}

/// The EUDAMED `mtrType` XML of a trend report (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/trend-reports/{id}/mtr.xml", tag = "vigilance", params(("id" = String, Path)), responses((status = 200, description = "mtrElement XML", content_type = "application/xml"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_trend_mtr(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(READERS)?;
    let (record, bytes) = blob_of(&state, path.into_inner(), true).await?;
    let file = format!(
        "attachment; filename=\"mtr-{}-{}-{}.xml\"",
        record.model_name, record.class_name, record.period_to
    );
    Ok(HttpResponse::Ok()
        .content_type("application/xml")
        .insert_header(("Content-Disposition", file))
        .insert_header(("X-Content-SHA256", record.xml_sha256))
        .body(bytes))
}

/// The trend report's PDF: the approved rendering once a regulatory user approved it
/// (`POST /api/v1/reports/{id}/approve`), else the DRAFT (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/trend-reports/{id}/pdf", tag = "vigilance", params(("id" = String, Path), super::reports::DownloadQuery), responses((status = 200, description = "the trend report PDF", content_type = "application/pdf"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_trend_pdf(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<super::reports::DownloadQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(READERS)?;
    let (st, id) = (state.clone(), path.into_inner());
    let lookup = id.clone();
    let (record, stored) = web::block(move || -> Result<_, AppError> {
        let record = st
            .store
            .trend_report(&lookup)?
            .ok_or_else(|| AppError::NotFound("trend report".into()))?;
        Ok((record, st.store.report(&lookup)?.is_some()))
    })
    .await??;
    if stored {
        return super::reports::download(state, id, q.draft.unwrap_or(false), true).await;
    }
    let sha = record
        .pdf_sha256
        .ok_or_else(|| AppError::NotFound("the PDF of this trend report".into()))?;
    let key = BlobKey::parse(&sha).map_err(|e| AppError::Internal(e.to_string()))?;
    let st = state.clone();
    let bytes = web::block(move || st.blobs.get(&key))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("X-Content-SHA256", sha))
        .body(bytes))
}
