//! The shadow-run pages' actions, through the same service functions as the API: start a run
//! (`shadow_job::plan_run` + `enqueue_run`), promote its candidate (`shadow_archive::promote`),
//! cancel it (the job queue's cancel, for its requester or an admin), each CSRF-checked and
//! answered with a redirect; and the dossier's chart (PNG from the blob store).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::error::ConsoleError;
use super::session::ConsoleUser;
use crate::blobs::BlobKey;
use crate::console::nav::SHADOW_ACTORS;
use crate::domain::Role;
use crate::error::AppError;
use crate::http::AppState;
use crate::service::shadow_archive::{ShadowUseError, promote};
use crate::service::shadow_job::{KIND, RunRequest, enqueue_run, plan_run};
use crate::service::shadow_selection::CaseSelection;
use crate::shadow::labels::Metric;
use crate::shadow::profile::HardwareProfile;
use crate::storage::jobs::Job;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/shadow-runs", web::post().to(post_start))
        .route("/shadow-runs/{id}/chart.png", web::get().to(chart))
        .route("/shadow-runs/{id}/promote", web::post().to(post_promote))
        .route("/shadow-runs/{id}/cancel", web::post().to(post_cancel));
}

fn invalid(field: &str, message: &str) -> ConsoleError {
    AppError::Validation {
        message: format!("{field}: {message}"),
        details: vec![],
    }
    .into()
}

fn given(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn use_error(e: ShadowUseError) -> ConsoleError {
    crate::http::shadow::from_use(e).into()
}

fn to_run(id: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/console/shadow-runs/{id}")))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    candidate: String,
    baseline: Option<String>,
    #[serde(default)]
    metric: String,
    tolerance_mm: Option<String>,
    margin: Option<String>,
    alpha: Option<String>,
    stratum: Option<String>,
    archived_from: Option<String>,
    archived_to: Option<String>,
    retraining_request: Option<String>,
    only_retraining_cases: Option<String>,
    #[serde(default)]
    profile: String,
}

fn number(field: &str, raw: Option<String>, default: Option<f64>) -> Result<f64, ConsoleError> {
    match given(raw) {
        Some(s) => s
            .parse::<f64>()
            .map_err(|_| invalid(field, "expected a number")),
        None => default.ok_or_else(|| invalid(field, "required")),
    }
}

fn day(field: &str, raw: Option<String>) -> Result<Option<chrono::NaiveDate>, ConsoleError> {
    given(raw)
        .map(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| invalid(field, "expected a date, YYYY-MM-DD"))
}

/// The form's metric, selection, statistics settings and profile (model ids come later).
fn parse_start(
    f: StartForm,
) -> Result<(StartForm, Metric, CaseSelection, HardwareProfile), ConsoleError> {
    let metric = match f.metric.as_str() {
        "dice" | "" => Metric::Dice,
        "hd95" => Metric::Hd95,
        "nsd" => Metric::Nsd {
            tolerance_mm: number("tolerance_mm", f.tolerance_mm.clone(), None)?,
        },
        _ => return Err(invalid("metric", "choose dice, hd95 or nsd")),
    };
    let retraining = given(f.retraining_request.clone());
    let only = f.only_retraining_cases.is_some();
    if only && retraining.is_none() {
        return Err(invalid(
            "retraining_request",
            "name the request whose cases to score",
        ));
    }
    let selection = CaseSelection {
        stratum: given(f.stratum.clone()),
        archived_from: day("archived_from", f.archived_from.clone())?,
        archived_to: day("archived_to", f.archived_to.clone())?,
        retraining_request: retraining.filter(|_| only),
    };
    let profile = HardwareProfile::from_json(f.profile.as_bytes())
        .map_err(|e| invalid("profile", &e.to_string()))?;
    Ok((f, metric, selection, profile))
}

async fn post_start(
    user: ConsoleUser,
    state: web::Data<AppState>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(SHADOW_ACTORS)?;
    user.check_csrf(&form.csrf)?;
    let (f, metric, selection, profile) = parse_start(form.into_inner())?;
    let margin = number("margin", f.margin.clone(), None)?;
    let alpha = number("alpha", f.alpha.clone(), Some(0.05))?;
    let (st, actor) = (state.clone(), user.actor());
    let job = web::block(move || -> Result<Job, ConsoleError> {
        let model = f.model.trim().to_string();
        let find = |version: &str| -> Result<String, ConsoleError> {
            let m = st.store.find_model(&model, version.trim())?;
            Ok(
                m.ok_or_else(|| AppError::NotFound(format!("model {model} {version}")))?
                    .id,
            )
        };
        let request = RunRequest {
            candidate: find(&f.candidate)?,
            model_name: model.clone(),
            baseline: given(f.baseline.clone()).map(|v| find(&v)).transpose()?,
            selection,
            metric,
            margin,
            alpha,
            seed: 0,
            profile,
            retraining_request: given(f.retraining_request.clone()),
            max_voxels: st.settings.max_mask_voxels,
        };
        let payload = plan_run(&*st.store, request).map_err(use_error)?;
        enqueue_run(&*st.store, &st.jobs, &payload, (&actor.0, st.clock.now())).map_err(use_error)
    })
    .await??;
    Ok(to_run(&job.id))
}

fn shadow_job(state: &AppState, id: &str) -> Result<Job, ConsoleError> {
    Ok(state
        .store
        .job(id)?
        .filter(|j| j.kind == KIND)
        .ok_or_else(|| AppError::NotFound(format!("shadow run {id}")))?)
}

#[derive(Debug, Deserialize)]
pub struct PromoteForm {
    #[serde(default)]
    csrf: String,
    override_reason: Option<String>,
}

async fn post_promote(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PromoteForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(SHADOW_ACTORS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let (st, actor, id) = (state.clone(), user.actor(), path.into_inner());
    let is_admin = user.user.role == Role::Admin;
    let run = id.clone();
    web::block(move || -> Result<(), ConsoleError> {
        let job = shadow_job(&st, &id)?;
        let candidate = job.payload["candidate"].as_str().unwrap_or_default();
        let reason = given(f.override_reason);
        promote(
            &*st.store,
            (&actor.0, is_admin, st.clock.now()),
            candidate,
            reason.as_deref(),
        )
        .map_err(use_error)?;
        Ok(())
    })
    .await??;
    Ok(to_run(&run))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn post_cancel(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.check_csrf(&form.csrf)?;
    let (st, id) = (state.clone(), path.into_inner());
    let (is_admin, me) = (user.user.role == Role::Admin, user.actor().0);
    let job = web::block(move || -> Result<Job, ConsoleError> {
        let job = shadow_job(&st, &id)?;
        if !is_admin && job.requested_by != me {
            return Err(AppError::Forbidden.into());
        }
        if job.state.is_final() {
            let state = job.state.as_str();
            return Err(AppError::Conflict(format!("the run has already ended ({state})")).into());
        }
        Ok(st
            .store
            .cancel_job(&job.id, st.clock.now())?
            .ok_or_else(|| AppError::NotFound(format!("shadow run {id}")))?)
    })
    .await??;
    Ok(to_run(&job.id))
}

async fn chart(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("shadow")?;
    let (st, id) = (state.clone(), path.into_inner());
    let png = web::block(move || -> Result<Vec<u8>, ConsoleError> {
        let job = shadow_job(&st, &id)?;
        let key = job
            .result
            .as_ref()
            .and_then(|r| r["chart_sha256"].as_str().map(str::to_string))
            .ok_or_else(|| AppError::NotFound("this run has no chart yet".into()))?;
        let key = BlobKey::parse(&key).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(st
            .blobs
            .get(&key)
            .map_err(|e| AppError::Internal(e.to_string()))?)
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "no-store"))
        .body(png))
}
