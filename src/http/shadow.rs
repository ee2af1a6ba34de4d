//! Shadow evaluation over HTTP: model artefacts (upload with an ONNX Runtime check, audited
//! promotion), the reviewed-case archive (add, list, show, erase) and shadow runs (start as a
//! job, 202; show progress and, when done, the dossier).

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::shadow_archive::{self as archive, CaseMetadata, ShadowUseError};
use crate::shadow::ShadowError;
use crate::shadow::ort_runner::OrtRuntime;
use crate::shadow::profile::HardwareProfile;
use crate::shadow::spec::InferenceSpec;

/// The upload routes with JSON parts, as the text rule names them.
const ARTIFACT_ROUTE: &str = "/api/v1/models/{model}/versions/{version}/artifact";
const CASES_ROUTE: &str = "/api/v1/archive/cases";

/// Register the shadow-evaluation routes (called once from `routes.rs`, inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/models/{model}/versions/{version}/artifact",
        web::put().to(put_artifact),
    )
    .route(
        "/models/{model}/versions/{version}/promote",
        web::post().to(post_promote),
    )
    .route("/archive/cases", web::post().to(post_case))
    .route("/archive/cases", web::get().to(list_cases))
    .route("/archive/cases/{case_ref}", web::get().to(get_case))
    .route("/archive/cases/{case_ref}", web::delete().to(delete_case))
    .route("/shadow-runs", web::post().to(super::shadow_runs::post_run))
    .route(
        "/shadow-runs/{id}",
        web::get().to(super::shadow_runs::get_run),
    );
}

pub fn from_use(e: ShadowUseError) -> AppError {
    match e {
        ShadowUseError::Refused { code, message } => AppError::InvalidMask { code, message },
        ShadowUseError::Shadow(s) => from_shadow(s),
        ShadowUseError::Store(s) => s.into(),
        ShadowUseError::Blob(m) => AppError::Internal(m),
        ShadowUseError::NotFound(m) => AppError::NotFound(m),
        ShadowUseError::Conflict(m) => AppError::Conflict(m),
        ShadowUseError::Forbidden(_) => AppError::Forbidden,
    }
}

pub(super) fn from_shadow(e: ShadowError) -> AppError {
    match e {
        ShadowError::RuntimeUnavailable(m) => AppError::RuntimeUnavailable(m),
        other => AppError::InvalidMask {
            code: other.code(),
            message: other.to_string(),
        },
    }
}

/// Read every part of a multipart body (at most `limit` bytes in all), by part name.
async fn parts(
    mut form: Multipart,
    names: &[&str],
    limit: usize,
) -> Result<BTreeMap<String, Vec<u8>>, AppError> {
    let mut out = BTreeMap::new();
    let mut total = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(format!("multipart: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        if !names.contains(&name.as_str()) {
            return Err(AppError::BadRequest(format!(
                "unknown multipart part {name:?}; expected {names:?}"
            )));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("multipart: {e}")))?;
            total += chunk.len();
            if total > limit {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        out.insert(name, bytes);
    }
    if let Some(missing) = names.iter().find(|n| !out.contains_key(**n)) {
        return Err(AppError::BadRequest(format!(
            "multipart part {missing:?} is required"
        )));
    }
    Ok(out)
}

pub(super) async fn model_id(
    state: &web::Data<AppState>,
    name: String,
    version: String,
) -> Result<String, AppError> {
    let st = state.clone();
    let (n, v) = (name.clone(), version.clone());
    let m = web::block(move || st.store.find_model(&n, &v)).await??;
    Ok(
        m.ok_or_else(|| AppError::NotFound(format!("model {name} {version}")))?
            .id,
    )
}

/// Upload a version's ONNX file and inference spec (ml, admin; multipart `model` + `spec`).
#[utoipa::path(put, path = "/api/v1/models/{model}/versions/{version}/artifact", tag = "shadow", params(("model" = String, Path), ("version" = String, Path)), request_body(content = String, content_type = "multipart/form-data", description = "parts `model` (the ONNX file) and `spec` (the inference spec, JSON; README Shadow evaluation)"), responses((status = 200, body = crate::storage::shadow::ModelArtifact), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody, description = "invalid_model, spec_mismatch, invalid_spec"), (status = 503, body = crate::error::ErrorBody, description = "runtime_unavailable")), security(("bearer" = [])))]
pub async fn put_artifact(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?.clone();
    let (name, version) = path.into_inner();
    let id = model_id(&state, name, version).await?;
    let form = parts(
        Multipart::new(req.headers(), payload),
        &["model", "spec"],
        state.settings.max_mask_bytes,
    )
    .await?;
    super::text_guard::check_json_part(ARTIFACT_ROUTE, "spec", &form["spec"])?;
    let spec_text = String::from_utf8(form["spec"].clone())
        .map_err(|_| AppError::BadRequest("spec must be UTF-8 JSON".into()))?;
    let spec = InferenceSpec::from_json(spec_text.as_bytes()).map_err(from_shadow)?;
    let st = state.clone();
    let artifact = web::block(move || {
        let profile = default_profile();
        let check = |onnx: &[u8]| {
            OrtRuntime::get(None)?
                .session(onnx, &spec, &profile)
                .map(|_| ())
        };
        let who = (format!("user:{}", user.name), st.clock.now());
        archive::upload_artifact(
            &*st.store,
            &*st.blobs,
            (&who.0, who.1),
            &id,
            (&form["model"], &spec_text),
            &check,
        )
    })
    .await?
    .map_err(from_use)?;
    Ok(HttpResponse::Ok().json(artifact))
}

fn default_profile() -> HardwareProfile {
    HardwareProfile::from_json(
        br#"{"name": "upload-check", "memory_limit_mib": 4096, "latency_budget_ms": 60000}"#,
    )
    .unwrap_or_else(|_| unreachable!("the literal profile is valid"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteRequest {
    pub override_reason: Option<String>,
}

/// Promote a version to deployed (ml, admin): needs a passing shadow run, or an admin override.
#[utoipa::path(post, path = "/api/v1/models/{model}/versions/{version}/promote", tag = "shadow", params(("model" = String, Path), ("version" = String, Path)), request_body = PromoteRequest, responses((status = 200, description = "{role: deployed, justification: {shadow_run} or {override_reason}}"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody, description = "no_passing_shadow_run")), security(("bearer" = [])))]
pub async fn post_promote(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<PromoteRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml, Role::Admin])?.clone();
    let (name, version) = path.into_inner();
    let id = model_id(&state, name, version).await?;
    let st = state.clone();
    let details = web::block(move || {
        let who = (
            format!("user:{}", user.name),
            user.role == Role::Admin,
            st.clock.now(),
        );
        archive::promote(
            &*st.store,
            (&who.0, who.1, who.2),
            &id,
            body.override_reason.as_deref(),
        )
    })
    .await?
    .map_err(from_use)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"role": "deployed", "justification": details})))
}

/// Archive a reviewed case (ml; multipart `image`, `mask`, `metadata`).
#[utoipa::path(post, path = "/api/v1/archive/cases", tag = "shadow", request_body(content = String, content_type = "multipart/form-data", description = "parts `image` and `mask` (NIfTI, .nii or .nii.gz, same shape and affine, empty free-text header fields) and `metadata` (JSON: case_ref, modality, scanner, stratum?, labels_present, review_id?)"), responses((status = 201, body = crate::storage::shadow::ArchiveCase), (status = 409, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_case(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?.clone();
    let form = parts(
        Multipart::new(req.headers(), payload),
        &["image", "mask", "metadata"],
        state.settings.max_mask_bytes,
    )
    .await?;
    super::text_guard::check_json_part(CASES_ROUTE, "metadata", &form["metadata"])?;
    let meta: CaseMetadata =
        serde_json::from_slice(&form["metadata"]).map_err(|e| AppError::InvalidMask {
            code: "validation_failed",
            message: format!("metadata: {e}"),
        })?;
    let st = state.clone();
    let case = web::block(move || {
        let actor = format!("user:{}", user.name);
        let input = (&form["image"][..], &form["mask"][..], meta);
        archive::add_case(
            &*st.store,
            &*st.blobs,
            &actor,
            st.clock.now(),
            input,
            st.settings.max_mask_voxels,
        )
    })
    .await?
    .map_err(from_use)?;
    Ok(HttpResponse::Created().json(case))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    pub stratum: Option<String>,
}

/// Archived cases' metadata (ml, quality, regulatory).
#[utoipa::path(get, path = "/api/v1/archive/cases", tag = "shadow", params(("stratum" = Option<String>, Query)), responses((status = 200, body = Vec<crate::storage::shadow::ArchiveCase>)), security(("bearer" = [])))]
pub async fn list_cases(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<CaseQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Ml, Role::Quality, Role::Regulatory, Role::Admin])?;
    let st = state.clone();
    let cases = web::block(move || st.store.archive_cases(q.stratum.as_deref())).await??;
    Ok(HttpResponse::Ok().json(cases))
}

/// One case's metadata.
#[utoipa::path(get, path = "/api/v1/archive/cases/{case_ref}", tag = "shadow", params(("case_ref" = String, Path)), responses((status = 200, body = crate::storage::shadow::ArchiveCase), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_case(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Ml, Role::Quality, Role::Regulatory, Role::Admin])?;
    let (st, r) = (state.clone(), path.into_inner());
    let wanted = r.clone();
    let case = web::block(move || st.store.archive_case(&wanted)).await??;
    Ok(HttpResponse::Ok()
        .json(case.ok_or_else(|| AppError::NotFound(format!("archive case {r}")))?))
}

/// Erase a case by case_ref (ml, admin; audited); blobs nothing else uses are deleted.
#[utoipa::path(delete, path = "/api/v1/archive/cases/{case_ref}", tag = "shadow", params(("case_ref" = String, Path)), responses((status = 200, description = "{erased: true, blobs_removed}"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_case(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?.clone();
    let (st, r) = (state.clone(), path.into_inner());
    let removed = web::block(move || {
        archive::erase_case(&*st.store, &*st.blobs, &format!("user:{}", user.name), &r)
    })
    .await?
    .map_err(from_use)?;
    Ok(
        HttpResponse::Ok()
            .json(serde_json::json!({"erased": true, "blobs_removed": removed.len()})),
    )
}
