//! Shadow runs over HTTP: `POST /api/v1/shadow-runs` resolves the candidate, the baseline
//! (default: the deployed version of the same model) and the case selection, freezes them in
//! the job's payload and answers 202; `GET /api/v1/shadow-runs/{id}` shows the job (state,
//! progress) and, once it succeeded, the dossier read back from the blob store.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::shadow::{from_shadow, model_id};
use crate::blobs::BlobKey;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::shadow_job::{KIND, ShadowRunPayload};
use crate::shadow::labels::Metric;
use crate::shadow::ort_runner::OrtRuntime;
use crate::shadow::profile::HardwareProfile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRef {
    pub model: String,
    pub version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShadowRunRequest {
    pub candidate: VersionRef,
    pub baseline: Option<VersionRef>,
    pub stratum: Option<String>,
    #[serde(default = "dice")]
    pub metric: Metric,
    pub margin: f64,
    #[serde(default = "alpha")]
    pub alpha: f64,
    #[serde(default)]
    pub seed: u64,
    pub profile: HardwareProfile,
    pub retraining_request: Option<String>,
}

fn dice() -> Metric {
    Metric::Dice
}

fn alpha() -> f64 {
    0.05
}

fn invalid(path: &str, message: &str) -> AppError {
    AppError::Validation {
        message: message.into(),
        details: vec![crate::domain::FieldIssue {
            index: None,
            path: path.into(),
            code: "invalid_value".into(),
            message: message.into(),
        }],
    }
}

/// Start a shadow run (ml): 202 with the job.
pub async fn post_run(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<ShadowRunRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?.clone();
    let r = body.into_inner();
    if !(r.margin.is_finite() && r.margin > 0.0) {
        return Err(invalid("margin", "margin must be finite and > 0"));
    }
    if !(r.alpha > 0.0 && r.alpha < 0.5) {
        return Err(invalid("alpha", "alpha must lie in (0, 0.5)"));
    }
    r.profile.validate().map_err(from_shadow)?;
    OrtRuntime::get(None).map_err(from_shadow)?;
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
    let st = state.clone();
    let job = web::block(move || -> Result<_, AppError> {
        let store = &*st.store;
        store
            .artifact(&candidate)?
            .ok_or_else(|| invalid("candidate", "the candidate has no uploaded artefact"))?;
        let baseline = match baseline {
            Some(b) => b,
            None => {
                store
                    .deployed_artifact(&r.candidate.model)?
                    .ok_or_else(|| {
                        invalid(
                            "baseline",
                            "no deployed version of this model; name a baseline",
                        )
                    })?
                    .model_id
            }
        };
        store
            .artifact(&baseline)?
            .ok_or_else(|| invalid("baseline", "the baseline has no uploaded artefact"))?;
        let case_refs: Vec<String> = store
            .archive_cases(r.stratum.as_deref())?
            .into_iter()
            .map(|c| c.case_ref)
            .collect();
        if case_refs.len() < 2 {
            return Err(invalid(
                "stratum",
                "the selection holds fewer than two archived cases",
            ));
        }
        let payload = ShadowRunPayload {
            candidate: candidate.clone(),
            baseline,
            case_refs,
            metric: r.metric,
            margin: r.margin,
            alpha: r.alpha,
            seed: r.seed,
            profile: r.profile,
            retraining_request: r.retraining_request,
            max_voxels: st.settings.max_mask_voxels,
        };
        let value =
            serde_json::to_value(&payload).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut new = st
            .jobs
            .new_job(KIND, value, &format!("user:{}", user.name), st.clock.now())
            .ok_or_else(|| AppError::Internal("shadow_run kind not registered".into()))?;
        new.subject = Some(candidate);
        Ok(store.enqueue_job(&new)?)
    })
    .await??;
    Ok(HttpResponse::Accepted().json(job))
}

/// A shadow run: the job (state, progress) and, once it succeeded, the stored dossier.
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
