//! `/api/v1/incidents...`: serious-incident cases with their clocks (quality opens and
//! classifies; quality and regulatory read, add report stages, download the MIR XML and record
//! submissions).

use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::admin::Actor;
use crate::service::incident_eudamed::eudamed_report;
use crate::service::incident_reports::{
    NewReport, SubmissionRequest, add_report, record_submission, report,
};
use crate::service::incidents::{
    Classification, IncidentQuery, NewIncident, classify_incident, create_incident, list_incidents,
    show_incident,
};

/// Register the incident routes (called by `routes.rs` inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::post().to(post_incident))
        .route("/incidents", web::get().to(get_incidents))
        .route("/incidents/{id}", web::get().to(get_incident))
        .route("/incidents/{id}/classify", web::post().to(post_classify))
        .route("/incidents/{id}/reports", web::post().to(post_report))
        .route(
            "/incidents/{id}/reports/{seq}/mir.xml",
            web::get().to(get_mir),
        )
        .route(
            "/incidents/{id}/reports/{seq}/eudamed.xml",
            web::get().to(get_eudamed),
        )
        .route(
            "/incidents/{id}/reports/{seq}/submission",
            web::post().to(post_submission),
        );
}

fn actor(name: &str) -> Actor {
    Actor(format!("user:{name}"))
}

/// Open an incident, from an alert or by hand (quality).
#[utoipa::path(post, path = "/api/v1/incidents", tag = "vigilance", request_body = NewIncident, responses((status = 201, body = crate::vigilance::incident::IncidentView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_incident(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<NewIncident>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality])?;
    let (st, who, req) = (state.clone(), actor(&user.name), body.into_inner());
    let view =
        web::block(move || create_incident(&*st.store, &st.vigilance, &who, req, st.clock.now()))
            .await??;
    Ok(HttpResponse::Created().json(view))
}

/// Incidents with their clocks (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/incidents", tag = "vigilance", params(IncidentQuery), responses((status = 200, body = Vec<crate::vigilance::incident::IncidentView>)), security(("bearer" = [])))]
pub async fn get_incidents(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<IncidentQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Admin])?;
    let (st, q) = (state.clone(), q.into_inner());
    let list = web::block(move || list_incidents(&st.vigilance, &q, st.clock.now().date_naive()))
        .await??;
    Ok(HttpResponse::Ok().json(list))
}

/// One incident with clock, history and reports (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "vigilance", params(("id" = String, Path)), responses((status = 200, body = crate::vigilance::incident::IncidentView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_incident(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Admin])?;
    let (st, id) = (state.clone(), path.into_inner());
    let view = web::block(move || show_incident(&st.vigilance, &id, st.clock.now().date_naive()))
        .await??;
    Ok(HttpResponse::Ok().json(view))
}

/// Classify, re-classify, assess as not reportable, or re-assess (quality).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/classify", tag = "vigilance", params(("id" = String, Path)), request_body = Classification, responses((status = 200, body = crate::vigilance::incident::IncidentView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_classify(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Classification>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality])?;
    let (st, who, id, req) = (
        state.clone(),
        actor(&user.name),
        path.into_inner(),
        body.into_inner(),
    );
    let view = web::block(move || classify_incident(&st.vigilance, &who, &id, req, st.clock.now()))
        .await??;
    Ok(HttpResponse::Ok().json(view))
}

/// Add a report stage; its MIR XML is stored immutably (quality, regulatory).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/reports", tag = "vigilance", params(("id" = String, Path)), request_body = NewReport, responses((status = 201, body = crate::vigilance::incident::IncidentReport), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_report(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewReport>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality, Role::Regulatory])?;
    let (st, who, id, req) = (
        state.clone(),
        actor(&user.name),
        path.into_inner(),
        body.into_inner(),
    );
    let r =
        web::block(move || add_report(&*st.store, &st.vigilance, &who, &id, req, st.clock.now()))
            .await??;
    Ok(HttpResponse::Created().json(r))
}

/// The MIR 7.2.1 XML of a report (quality, regulatory).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/reports/{seq}/mir.xml", tag = "vigilance", params(("id" = String, Path), ("seq" = i64, Path)), responses((status = 200, content_type = "application/xml", body = String), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_mir(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Admin])?;
    let (st, (id, seq)) = (state.clone(), path.into_inner());
    let r = web::block(move || report(&st.vigilance, &id, seq)).await??;
    let file = format!(
        "attachment; filename=\"mir-{}-{}-{}.xml\"",
        r.incident_id,
        r.seq,
        r.stage.as_str()
    );
    Ok(HttpResponse::Ok()
        .content_type("application/xml")
        .insert_header(("Content-Disposition", file))
        .insert_header(("X-Content-SHA256", r.sha256.clone()))
        .body(r.xml))
}

/// The same report as EUDAMED DTX `mir_2Type` XML, rendered from the stored stage (quality,
/// regulatory); `X-Content-SHA256` is this file's digest.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/reports/{seq}/eudamed.xml", tag = "vigilance", params(("id" = String, Path), ("seq" = i64, Path)), responses((status = 200, content_type = "application/xml", body = String), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_eudamed(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Admin])?;
    let (st, (id, seq)) = (state.clone(), path.into_inner());
    let (r, xml) = web::block(move || eudamed_report(&st.vigilance, &id, seq)).await??;
    let file = format!(
        "attachment; filename=\"eudamed-mir-{}-{}-{}.xml\"",
        r.incident_id,
        r.seq,
        r.stage.as_str()
    );
    let sha = hex::encode(Sha256::digest(xml.as_bytes()));
    Ok(HttpResponse::Ok()
        .content_type("application/xml")
        .insert_header(("Content-Disposition", file))
        .insert_header(("X-Content-SHA256", sha))
        .body(xml))
}

/// Record a report's submission, once (quality, regulatory).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/reports/{seq}/submission", tag = "vigilance", params(("id" = String, Path), ("seq" = i64, Path)), request_body = SubmissionRequest, responses((status = 200, body = crate::vigilance::incident::IncidentView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_submission(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<SubmissionRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality, Role::Regulatory])?;
    let (st, who, (id, seq), req) = (
        state.clone(),
        actor(&user.name),
        path.into_inner(),
        body.into_inner(),
    );
    let view =
        web::block(move || record_submission(&st.vigilance, &who, &id, seq, req, st.clock.now()))
            .await??;
    Ok(HttpResponse::Ok().json(view))
}
