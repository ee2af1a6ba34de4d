//! `PUT/GET /api/v1/models/{model}/plan`: the PMS plan, versioned and audited.

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::monitoring::plan::PmsPlan;
use crate::service::admin::Actor;
use crate::service::plans::{PlanServiceError, get_plan, set_plan};
use crate::storage::StoredPlan;

fn map_err(e: PlanServiceError) -> AppError {
    match e {
        PlanServiceError::UnknownModel(m) => {
            AppError::NotFound(format!("no model {m:?} is registered"))
        }
        PlanServiceError::NoSuchVersion(v) => {
            AppError::NotFound(format!("plan version {v} does not exist"))
        }
        PlanServiceError::Store(s) => s.into(),
        PlanServiceError::Invalid(p) => AppError::Validation {
            message: p.to_string(),
            details: vec![crate::domain::issue::FieldIssue {
                index: None,
                path: p.field,
                code: "invalid_value".into(),
                message: p.message,
            }],
        },
        other => AppError::Validation {
            message: other.to_string(),
            details: vec![],
        },
    }
}

/// A plan version as the API answers it: the stored upload and its parsed form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the JSON `view` builds
pub struct PlanView {
    plan: StoredPlan,
    /// The plan as parsed (every default filled in); null if it no longer parses.
    #[schema(value_type = Option<Object>)]
    parsed: Option<serde_json::Value>,
}

fn view(plan: StoredPlan) -> serde_json::Value {
    // The stored text passed validation when it was uploaded; parse it again for the view.
    let parsed = toml::from_str::<PmsPlan>(&plan.body).ok();
    serde_json::json!({"plan": plan, "parsed": parsed})
}

/// Upload a new plan version (quality, regulatory, admin). Body: the plan as TOML
/// (`Content-Type: application/toml` or `text/plain`).
#[utoipa::path(put, path = "/api/v1/models/{model}/plan", tag = "monitoring", params(("model" = String, Path)), request_body(content = String, content_type = "application/toml"), responses((status = 201, body = PlanView), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn put_plan(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    mut payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality, Role::Regulatory])?;
    let text = plan_text(&req, &mut payload).await?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, model) = (state.clone(), path.into_inner());
    let plan = web::block(move || set_plan(&*st.store, &actor, &model, &text, st.clock.now()))
        .await?
        .map_err(map_err)?;
    Ok(HttpResponse::Created().json(view(plan)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// A plan version; omitted: the version in force.
    pub version: Option<i64>,
}

/// The plan in force (or a given version), as uploaded and parsed (any user).
#[utoipa::path(get, path = "/api/v1/models/{model}/plan", tag = "monitoring", params(("model" = String, Path), PlanQuery), responses((status = 200, body = PlanView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_plan_version(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PlanQuery>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let (st, model, version) = (state.clone(), path.into_inner(), q.version);
    let plan = web::block(move || get_plan(&*st.store, &model, version))
        .await?
        .map_err(map_err)?;
    Ok(HttpResponse::Ok().json(view(plan)))
}

/// Every version of the plan, oldest first (any user): the change history.
#[utoipa::path(get, path = "/api/v1/models/{model}/plan/history", tag = "monitoring", params(("model" = String, Path)), responses((status = 200, body = Vec<StoredPlan>)), security(("bearer" = [])))]
pub async fn get_plan_history(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let (st, model) = (state.clone(), path.into_inner());
    Ok(HttpResponse::Ok().json(web::block(move || st.store.plans(&model)).await??))
}

/// A plan sent as TOML text (`application/toml` or `text/plain`, at most 1 MiB, UTF-8): the
/// upload's and the backtest's body.
pub(super) async fn plan_text(
    req: &HttpRequest,
    payload: &mut web::Payload,
) -> Result<String, AppError> {
    let ctype = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(ctype.starts_with("application/toml") || ctype.starts_with("text/plain")) {
        return Err(AppError::UnsupportedMediaType);
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("body could not be read".into()))?;
        if body.len() + chunk.len() > 1024 * 1024 {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| AppError::BadRequest("plan must be UTF-8 text".into()))
}
