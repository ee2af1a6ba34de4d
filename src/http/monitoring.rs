//! Monitoring endpoints: frozen baselines per model version, evaluation jobs (on demand:
//! `POST /api/v1/evaluations` answers 202 and the job runs in the background), and findings.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use futures_util::StreamExt;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::paging::{self, Cursor, Page};
use crate::domain::Role;
use crate::error::AppError;
use crate::monitoring::findings::{FindingStatus, WindowKind};
use crate::service::admin::Actor;
use crate::service::baselines::{
    BaselineError, FreezeSpec, UploadFormat, baseline_in_force, freeze_baseline, upload_baseline,
};
use crate::service::evaluation::{EvaluationError, request_evaluation, run_queued_with};
use crate::storage::evaluations;
use crate::storage::jobs::JobStore;
use crate::storage::{EvaluationJob, FindingQuery, StoredBaseline, StoredFinding};

/// Largest reference sample accepted (a validation set of some 100k cases).
const MAX_REFERENCE_BYTES: usize = 32 * 1024 * 1024;

fn baseline_err(e: BaselineError) -> AppError {
    match e {
        BaselineError::UnknownModel(m) => {
            AppError::NotFound(format!("no model version {m} is registered"))
        }
        BaselineError::Store(s) => s.into(),
        other => AppError::Validation {
            message: other.to_string(),
            details: vec![],
        },
    }
}

/// Upload a reference sample (the validation set's feature vectors) and freeze it as the
/// baseline of a model version (ml, quality). `text/csv` with a header row, or JSON
/// `{"columns": {"name": [values]}}`. Columns: declared features, `slice_thickness_mm`,
/// `pixel_spacing_mm`, `latency_ms`, `scanner`, and `dice.<label>`.
#[utoipa::path(put, path = "/api/v1/models/{model}/versions/{version}/baseline", tag = "monitoring", params(("model" = String, Path), ("version" = String, Path)), request_body(content = String, content_type = "text/csv"), responses((status = 201, body = StoredBaseline), (status = 404, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn put_baseline(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    mut payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml, Role::Quality])?;
    let ctype = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = if ctype.starts_with("text/csv") {
        UploadFormat::Csv
    } else if ctype.starts_with("application/json") {
        UploadFormat::Json
    } else {
        return Err(AppError::UnsupportedMediaType);
    };
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("body could not be read".into()))?;
        if body.len() + chunk.len() > MAX_REFERENCE_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body)
        .map_err(|_| AppError::BadRequest("reference sample must be UTF-8 text".into()))?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, (model, version)) = (state.clone(), path.into_inner());
    let stored = web::block(move || {
        upload_baseline(
            &*st.store,
            &actor,
            (&model, &version),
            &text,
            format,
            st.clock.now(),
        )
    })
    .await?
    .map_err(baseline_err)?;
    Ok(HttpResponse::Created().json(stored))
}

/// Freeze the first days or events after go-live as the baseline (ml, quality). Body:
/// `{"first_days": 14}` or `{"first_events": 5000}`.
#[utoipa::path(post, path = "/api/v1/models/{model}/versions/{version}/baseline/freeze", tag = "monitoring", params(("model" = String, Path), ("version" = String, Path)), request_body = FreezeSpec, responses((status = 201, body = StoredBaseline), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn freeze(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<FreezeSpec>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml, Role::Quality])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, (model, version), spec) = (state.clone(), path.into_inner(), body.into_inner());
    let stored = web::block(move || {
        freeze_baseline(&*st.store, &actor, (&model, &version), spec, st.clock.now())
    })
    .await?
    .map_err(baseline_err)?;
    Ok(HttpResponse::Created().json(stored))
}

/// The baseline in force: its record, columns, quality references and strata (any user).
#[utoipa::path(get, path = "/api/v1/models/{model}/versions/{version}/baseline", tag = "monitoring", params(("model" = String, Path), ("version" = String, Path)), responses((status = 200, body = StoredBaseline), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_baseline(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let (model, version) = path.into_inner();
    let id = format!("{model}@{version}");
    let st = state.clone();
    let found = web::block(move || baseline_in_force(&*st.store, &id)).await??;
    let (stored, baseline) = found.ok_or_else(|| {
        AppError::NotFound(format!("no baseline is frozen for {model}@{version}"))
    })?;
    let columns = baseline.column_names();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "baseline": stored,
        "columns": columns,
        "quality": baseline.pooled.quality,
        "strata": baseline.by_stratum.keys().collect::<Vec<_>>(),
        "monitor_from": baseline.monitor_from,
    })))
}

/// An evaluation to run.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    /// Model name: every version with a baseline is evaluated.
    pub model: String,
    /// Evaluate the days before this one (default: today, UTC).
    pub as_of: Option<NaiveDate>,
}

/// Queue an evaluation and start it in the background (quality, ml). Answers 202 with the
/// job; poll `GET /api/v1/evaluations/{id}`.
#[utoipa::path(post, path = "/api/v1/evaluations", tag = "monitoring", request_body = EvaluationRequest, responses((status = 202, body = EvaluationJob), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_evaluation(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<EvaluationRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality, Role::Ml])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, req) = (state.clone(), body.into_inner());
    let job = web::block(move || {
        request_evaluation(
            &*st.store,
            &actor,
            &req.model,
            req.as_of,
            "request",
            st.clock.now(),
        )
    })
    .await?
    .map_err(|e| match e {
        EvaluationError::NoPlan(m) => {
            AppError::NotFound(format!("no PMS plan is set for model {m}"))
        }
        EvaluationError::Store(s) => s.into(),
        other => AppError::Validation {
            message: other.to_string(),
            details: vec![],
        },
    })?;
    // With `run_jobs = false` the job waits for a `vigil worker`.
    let st = state.clone();
    if !state.settings.run_jobs {
        return Ok(HttpResponse::Accepted().json(job));
    }
    let metrics = state.metrics.clone();
    actix_web::rt::spawn(async move {
        let run = web::block(move || {
            let env = st.evaluator_env();
            run_queued_with(&env, st.runner_config())
        });
        match run.await {
            Ok(Ok(jobs)) => metrics.observe_jobs(&jobs),
            Ok(Err(e)) => tracing::error!(error = %e, "on-demand evaluation failed"),
            Err(_) => {}
        }
    });
    Ok(HttpResponse::Accepted().json(job))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EvaluationListQuery {
    /// A model name or a model version id `name@version` (an evaluation covers every version
    /// of its model name); 404 when no such model is registered.
    pub model: Option<String>,
    /// Page size: 1 to 1000, default 50.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page, passed back unchanged.
    pub next: Option<String>,
}

/// Default and largest page of the evaluation list.
const EVALUATION_PAGE: (i64, i64) = (50, 1000);

/// Evaluation jobs, newest first (request time, then id), one page at a time (any user).
#[utoipa::path(get, path = "/api/v1/evaluations", tag = "monitoring", params(EvaluationListQuery), responses((status = 200, description = "a page of evaluations and the cursor of the next", body = Page<EvaluationJob>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 404, description = "no such model is registered", body = crate::error::ErrorBody), (status = 422, description = "invalid_limit (limit) or invalid_cursor (next)", body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_evaluations(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<EvaluationListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let q = q.into_inner();
    let limit = paging::limit(q.limit.as_deref(), EVALUATION_PAGE.0, EVALUATION_PAGE.1)?;
    let after = match Cursor::decode(q.next.as_deref(), "evaluations", 2)? {
        Some(k) => Some((paging::parse_time_key(&k[0])?, k[1].clone())),
        None => None,
    };
    let st = state.clone();
    let jobs = web::block(move || {
        if let Some(m) = &q.model {
            paging::check_model(&*st.store, m)?;
        }
        let model = q.model.as_deref().map(paging::model_name);
        let jobs: &dyn JobStore = &*st.store;
        Ok::<_, AppError>(evaluations::page(jobs, model, limit + 1, after)?)
    })
    .await??;
    let page = Page::of(jobs, limit, |e| {
        Cursor::new(
            "evaluations",
            vec![paging::time_key(e.requested_at), e.id.clone()],
        )
    });
    Ok(HttpResponse::Ok().json(page))
}

/// One evaluation job (any user).
#[utoipa::path(get, path = "/api/v1/evaluations/{id}", tag = "monitoring", params(("id" = String, Path)), responses((status = 200, body = EvaluationJob), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_evaluation(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let (st, id) = (state.clone(), path.into_inner());
    let wanted = id.clone();
    let job = web::block(move || st.store.evaluation(&wanted)).await??;
    Ok(HttpResponse::Ok()
        .json(job.ok_or_else(|| AppError::NotFound(format!("no evaluation with id {id:?}")))?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FindingListQuery {
    /// A model name (all its versions) or a model version id `name@version`, as everywhere;
    /// 404 when no such model is registered.
    pub model: Option<String>,
    /// The same as `model` (kept for clients of the first release).
    pub model_id: Option<String>,
    pub evaluation_id: Option<String>,
    /// E.g. `drift:hu_mean`, `mean_dice:liver`.
    pub rule: Option<String>,
    /// E.g. `all`, `site=st-lukas`.
    pub stratum: Option<String>,
    /// day, tumbling or rolling.
    pub window: Option<String>,
    /// ok, signal or insufficient.
    pub status: Option<String>,
    /// Windows ending after this day.
    pub from: Option<NaiveDate>,
    /// Page size: 1 to 10000, default 1000.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page, passed back unchanged.
    pub next: Option<String>,
}

/// Default and largest page of the finding list.
const FINDING_PAGE: (i64, i64) = (1000, 10_000);

/// Findings, oldest window first (window end, evaluation, sequence), one page at a time
/// (quality, regulatory, ml, admin).
#[utoipa::path(get, path = "/api/v1/findings", tag = "monitoring", params(FindingListQuery), responses((status = 200, description = "a page of findings and the cursor of the next", body = Page<StoredFinding>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, description = "no such model is registered", body = crate::error::ErrorBody), (status = 422, description = "invalid_limit (limit) or invalid_cursor (next)", body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_findings(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<FindingListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Ml, Role::Admin])?;
    let q = q.into_inner();
    let window = match q.window.as_deref() {
        Some(w) => Some(WindowKind::parse(w).ok_or_else(|| {
            AppError::BadRequest("window must be day, tumbling or rolling".into())
        })?),
        None => None,
    };
    let status = match q.status.as_deref() {
        Some(s) => Some(FindingStatus::parse(s).ok_or_else(|| {
            AppError::BadRequest("status must be ok, signal or insufficient".into())
        })?),
        None => None,
    };
    let limit = paging::limit(q.limit.as_deref(), FINDING_PAGE.0, FINDING_PAGE.1)?;
    let after = match Cursor::decode(q.next.as_deref(), "findings", 3)? {
        Some(k) => {
            let bad = paging::bad_cursor;
            let end = k[0].parse::<NaiveDate>().map_err(|_| bad())?;
            let seq = k[2].parse::<i64>().map_err(|_| bad())?;
            Some((end, k[1].clone(), seq))
        }
        None => None,
    };
    let query = FindingQuery {
        model_id: q.model.or(q.model_id),
        evaluation_id: q.evaluation_id,
        rule: q.rule,
        stratum: q.stratum,
        window,
        status,
        from: q.from,
        limit: limit + 1,
        after,
    };
    let st = state.clone();
    let found = web::block(move || {
        if let Some(m) = &query.model_id {
            paging::check_model(&*st.store, m)?;
        }
        Ok::<_, AppError>(st.store.findings(&query)?)
    })
    .await??;
    let page = Page::of(found, limit, |f| {
        let key = vec![
            f.finding.window_end.to_string(),
            f.evaluation_id.clone(),
            f.seq.to_string(),
        ];
        Cursor::new("findings", key)
    });
    Ok(HttpResponse::Ok().json(page))
}
