//! Shadow runs over HTTP: `POST /api/v1/shadow-runs` resolves the candidate, the baseline
//! (default: the deployed version of the same model) and the case selection, freezes them in
//! the job's payload and answers 202; `GET /api/v1/shadow-runs/{id}` shows the job (state,
//! progress) and, once it succeeded, the dossier read back from the blob store.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::shadow::{from_use, model_id};
use crate::blobs::BlobKey;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::shadow_job::{KIND, RunRequest, enqueue_run, plan_run};
use crate::service::shadow_selection::CaseSelection;
use crate::shadow::labels::Metric;
use crate::shadow::profile::HardwareProfile;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionRef {
    pub model: String,
    pub version: String,
}

/// A shadow run to start: candidate and baseline versions, case selection, metric and test
/// settings, hardware profile.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShadowRunRequest {
    pub candidate: VersionRef,
    pub baseline: Option<VersionRef>,
    pub stratum: Option<String>,
    /// First and last UTC day of archiving of the cases to score.
    pub archived_from: Option<chrono::NaiveDate>,
    pub archived_to: Option<chrono::NaiveDate>,
    /// Score only the archived cases listed in `retraining_request`'s manifest.
    #[serde(default)]
    pub only_retraining_cases: bool,
    /// `"dice"` (default), `"hd95"` or `{"nsd": {"tolerance_mm": t}}`.
    #[serde(default = "dice")]
    #[schema(value_type = Object)]
    pub metric: Metric,
    pub margin: f64,
    #[serde(default = "alpha")]
    pub alpha: f64,
    #[serde(default)]
    pub seed: u64,
    /// The hardware profile (README Shadow evaluation).
    #[schema(value_type = Object)]
    pub profile: HardwareProfile,
    pub retraining_request: Option<String>,
}

fn dice() -> Metric {
    Metric::Dice
}

fn alpha() -> f64 {
    0.05
}

/// The request's case selection; `only_retraining_cases` needs the request's id.
fn selection(r: &ShadowRunRequest) -> Result<CaseSelection, AppError> {
    if r.only_retraining_cases && r.retraining_request.is_none() {
        return Err(AppError::Validation {
            message: "only_retraining_cases: name the retraining_request whose cases to score"
                .into(),
            details: vec![],
        });
    }
    Ok(CaseSelection {
        stratum: r.stratum.clone(),
        archived_from: r.archived_from,
        archived_to: r.archived_to,
        retraining_request: r
            .retraining_request
            .clone()
            .filter(|_| r.only_retraining_cases),
    })
}

/// Start a shadow run (ml): 202 with the job.
#[utoipa::path(post, path = "/api/v1/shadow-runs", tag = "shadow", request_body = ShadowRunRequest, responses((status = 202, body = crate::storage::jobs::Job), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody, description = "runtime_unavailable")), security(("bearer" = [])))]
pub async fn post_run(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<ShadowRunRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?.clone();
    let r = body.into_inner();
    let selection = selection(&r)?;
    let candidate = model_id(
        &state,
        r.candidate.model.clone(),
        r.candidate.version.clone(),
    )
    .await?;
    let baseline = match &r.baseline {
        Some(b) => Some(model_id(&state, b.model.clone(), b.version.clone()).await?),
        None => None,
    };
    let request = RunRequest {
        candidate,
        model_name: r.candidate.model,
        baseline,
        selection,
        metric: r.metric,
        margin: r.margin,
        alpha: r.alpha,
        seed: r.seed,
        profile: r.profile,
        retraining_request: r.retraining_request,
        max_voxels: state.settings.max_mask_voxels,
    };
    let st = state.clone();
    let job = web::block(move || {
        let payload = plan_run(&*st.store, request)?;
        enqueue_run(
            &*st.store,
            &st.jobs,
            &payload,
            (&format!("user:{}", user.name), st.clock.now()),
        )
    })
    .await?
    .map_err(from_use)?;
    Ok(HttpResponse::Accepted().json(job))
}

/// A shadow run: the job (state, progress) and, once it succeeded, the stored dossier.
#[utoipa::path(get, path = "/api/v1/shadow-runs/{id}", tag = "shadow", params(("id" = String, Path)), responses((status = 200, description = "{run: Job, dossier: the stored dossier JSON or null}"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_run(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let (st, id) = (state.clone(), path.into_inner());
    let wanted = id.clone();
    let body = web::block(move || -> Result<_, AppError> {
        let job = st
            .store
            .job(&wanted)?
            .filter(|j| j.kind == KIND)
            .ok_or_else(|| AppError::NotFound(format!("shadow run {wanted}")))?;
        let dossier = match &job.result_blob {
            Some(k) => {
                let key = BlobKey::parse(k).map_err(|e| AppError::Internal(e.to_string()))?;
                let bytes = st
                    .blobs
                    .get(&key)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                Some(
                    serde_json::from_slice::<serde_json::Value>(&bytes)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                )
            }
            None => None,
        };
        Ok(serde_json::json!({"run": job, "dossier": dossier}))
    })
    .await??;
    Ok(HttpResponse::Ok().json(body))
}
