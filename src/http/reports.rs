//! `/api/v1/reports...`: MDR documents. `POST /reports` checks the period and queues a
//! `report` job (202); `GET /reports/{id}` shows the job's progress and, once generated, the
//! report with links to its PDF and JSON; the downloads carry `X-Content-SHA256`; a regulatory
//! user approves; narrative drafts live under the device, kind and period they belong to.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::auth::Caller;
use crate::blobs::BlobKey;
use crate::domain::Role;
use crate::error::AppError;
use crate::reports::{Period, ReportKind};
use crate::service::admin::Actor;
use crate::service::report_narratives::put_narratives;
use crate::service::reports::{KIND, ReportRequest, approve, request_report};

/// Register the report routes (called by `routes.rs` inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::post().to(post_report))
        .route("/reports/{id}", web::get().to(get_report))
        .route("/reports/{id}/pdf", web::get().to(get_pdf))
        .route("/reports/{id}/json", web::get().to(get_json))
        .route("/reports/{id}/approve", web::post().to(post_approve))
        .route(
            "/reports/narratives/{device}/{kind}/{from}/{to}",
            web::get().to(get_narratives),
        )
        .route(
            "/reports/narratives/{device}/{kind}/{from}/{to}",
            web::put().to(put_narrative_drafts),
        );
}

/// `{"kind": "psur"|"pms"|"trend", "device": BASIC_UDI_DI, "period": {"from", "to"}}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequestBody {
    pub kind: String,
    pub device: String,
    #[schema(value_type = Object)]
    pub period: Period,
}

fn kind_of(s: &str, path: &str) -> Result<ReportKind, AppError> {
    ReportKind::parse(s).ok_or_else(|| {
        crate::service::reports::invalid(path, "kind must be psur, pms or trend").into()
    })
}

/// Request a report (regulatory): 202 with the `report` job.
#[utoipa::path(post, path = "/api/v1/reports", operation_id = "request_report", tag = "reports", request_body = ReportRequestBody, responses((status = 202, body = crate::storage::jobs::Job), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_report(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<ReportRequestBody>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let b = body.into_inner();
    let request = ReportRequest {
        kind: kind_of(&b.kind, "kind")?,
        device: b.device,
        period: b.period,
    };
    let actor = Actor(format!("user:{}", user.name));
    let st = state.clone();
    let job = web::block(move || {
        request_report(&*st.store, &st.jobs, &request, (&actor, st.clock.now()))
    })
    .await??;
    Ok(HttpResponse::Accepted().json(job))
}

/// A report: its job (state, progress) and, once generated, the record with download links.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = String, Path)), responses((status = 200, description = "job, report and links"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_report(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Regulatory, Role::Quality, Role::Admin])?;
    let (st, id) = (state.clone(), path.into_inner());
    let body = web::block(move || -> Result<_, AppError> {
        let job = st.store.job(&id)?.filter(|j| j.kind == KIND);
        let report = st.store.report(&id)?;
        if job.is_none() && report.is_none() {
            return Err(AppError::NotFound(format!("report {id}")));
        }
        let links = report.as_ref().map(|_| {
            json!({"pdf": format!("/api/v1/reports/{id}/pdf"), "json": format!("/api/v1/reports/{id}/json")})
        });
        Ok(json!({"job": job, "report": report, "links": links}))
    })
    .await??;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    /// `true`: the draft rendering even when an approved one exists.
    pub draft: Option<bool>,
}

/// The stored PDF or JSON of a report (approved rendering unless `draft`); also the console's.
pub(crate) async fn download(
    state: web::Data<AppState>,
    id: String,
    draft: bool,
    pdf: bool,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    let (key, bytes) = web::block(move || -> Result<_, AppError> {
        let r = st
            .store
            .report(&id)?
            .ok_or_else(|| AppError::NotFound(format!("report {id}")))?;
        let approved = if pdf {
            &r.approved_pdf_sha256
        } else {
            &r.approved_json_sha256
        };
        let key = match (draft, approved) {
            (false, Some(k)) => k.clone(),
            _ if pdf => r.pdf_sha256.clone(),
            _ => r.json_sha256.clone(),
        };
        let k = BlobKey::parse(&key).map_err(|e| AppError::Internal(e.to_string()))?;
        let bytes = st
            .blobs
            .get(&k)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok((key, bytes))
    })
    .await??;
    let (ctype, ext) = if pdf {
        ("application/pdf", "pdf")
    } else {
        ("application/json", "json")
    };
    Ok(HttpResponse::Ok()
        .content_type(ctype)
        .insert_header(("X-Content-SHA256", key.clone()))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"report-{}.{ext}\"", &key[..12]),
        ))
        .body(bytes))
}

/// The report's PDF: the approved rendering once approved, else the draft.
#[utoipa::path(get, path = "/api/v1/reports/{id}/pdf", tag = "reports", params(("id" = String, Path), DownloadQuery), responses((status = 200, content_type = "application/pdf", description = "the PDF"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_pdf(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DownloadQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Regulatory, Role::Quality, Role::Admin])?;
    download(state, path.into_inner(), q.draft.unwrap_or(false), true).await
}

/// The report's JSON (same content as the PDF, with provenance per table and figure).
#[utoipa::path(get, path = "/api/v1/reports/{id}/json", tag = "reports", params(("id" = String, Path), DownloadQuery), responses((status = 200, content_type = "application/json", description = "the report document with provenance"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_json(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DownloadQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Regulatory, Role::Quality, Role::Admin])?;
    download(state, path.into_inner(), q.draft.unwrap_or(false), false).await
}

/// Approve a report (regulatory): the approved PDF carries no DRAFT marking; audited.
#[utoipa::path(post, path = "/api/v1/reports/{id}/approve", tag = "reports", params(("id" = String, Path)), responses((status = 200, body = crate::storage::reports::ReportRecord), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_approve(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, id) = (state.clone(), path.into_inner());
    let r =
        web::block(move || approve(&*st.store, &*st.blobs, &actor, &id, st.clock.now())).await??;
    Ok(HttpResponse::Ok().json(r))
}

type NarrativePath = (String, String, NaiveDate, NaiveDate);

/// `{"fields": {"executive_summary": "...", ...}}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NarrativeBody {
    pub fields: BTreeMap<String, String>,
}

/// Narrative drafts of a device, kind and period (regulatory, quality).
#[utoipa::path(get, path = "/api/v1/reports/narratives/{device}/{kind}/{from}/{to}", tag = "reports", params(("device" = String, Path), ("kind" = String, Path), ("from" = String, Path), ("to" = String, Path)), responses((status = 200, body = Vec<crate::storage::reports::NarrativeDraft>)), security(("bearer" = [])))]
pub async fn get_narratives(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<NarrativePath>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Regulatory, Role::Quality, Role::Admin])?;
    let (device, kind, from, to) = path.into_inner();
    let kind = kind_of(&kind, "kind")?;
    let st = state.clone();
    let drafts =
        web::block(move || st.store.narratives(&device, kind, Period { from, to })).await??;
    Ok(HttpResponse::Ok().json(drafts))
}

/// Enter or replace narrative drafts (regulatory); screened for personal data; audited.
#[utoipa::path(put, path = "/api/v1/reports/narratives/{device}/{kind}/{from}/{to}", tag = "reports", params(("device" = String, Path), ("kind" = String, Path), ("from" = String, Path), ("to" = String, Path)), request_body = NarrativeBody, responses((status = 200, body = Vec<crate::storage::reports::NarrativeDraft>), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn put_narrative_drafts(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<NarrativePath>,
    body: web::Json<NarrativeBody>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let actor = Actor(format!("user:{}", user.name));
    let (device, kind, from, to) = path.into_inner();
    let kind = kind_of(&kind, "kind")?;
    let (st, fields) = (state.clone(), body.into_inner().fields);
    let drafts = web::block(move || {
        put_narratives(
            &*st.store,
            &actor,
            (&device, kind, Period { from, to }),
            &fields,
            st.clock.now(),
        )
    })
    .await??;
    Ok(HttpResponse::Ok().json(drafts))
}
