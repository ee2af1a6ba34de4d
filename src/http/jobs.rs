//! The generic job API: `GET /api/v1/jobs?kind=&state=`, `GET /api/v1/jobs/{id}` and
//! `POST /api/v1/jobs/{id}/cancel`, for every kind of long work (evaluations, shadow runs,
//! reports). Capabilities keep their own routes for starting jobs; these show and stop them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::paging::{self, Cursor, Page};
use crate::domain::{FieldIssue, Role};
use crate::error::AppError;
use crate::storage::jobs::{Job, JobFilter, JobState};

/// Register the job routes (called once from `routes.rs`, inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/jobs", web::get().to(list_jobs))
        .route("/jobs/{id}", web::get().to(get_job))
        .route("/jobs/{id}/cancel", web::post().to(cancel_job));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobListQuery {
    /// Only jobs of this kind (`evaluation`, ...).
    pub kind: Option<String>,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub state: Option<String>,
    /// Page size: 1 to 1000, default 50.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page, passed back unchanged.
    pub next: Option<String>,
}

/// Default and largest page of the job list.
const JOB_PAGE: (i64, i64) = (50, 1000);

/// Jobs, newest first (creation time, then id), one page at a time (any user).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobListQuery), responses((status = 200, description = "a page of jobs and the cursor of the next", body = Page<Job>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 422, description = "invalid_value (state), invalid_limit (limit) or invalid_cursor (next)", body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_jobs(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<JobListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let q = q.into_inner();
    let job_state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(JobState::parse(s).ok_or_else(|| {
            let message = "state must be queued, running, succeeded, failed or cancelled";
            AppError::Validation {
                message: message.into(),
                details: vec![FieldIssue {
                    index: None,
                    path: "state".into(),
                    code: "invalid_value".into(),
                    message: message.into(),
                }],
            }
        })?),
    };
    let limit = paging::limit(q.limit.as_deref(), JOB_PAGE.0, JOB_PAGE.1)?;
    let after = match Cursor::decode(q.next.as_deref(), "jobs", 2)? {
        Some(k) => Some((paging::parse_time_key(&k[0])?, k[1].clone())),
        None => None,
    };
    let filter = JobFilter {
        kind: q.kind,
        state: job_state,
        subject: None,
        limit: limit + 1,
        after,
    };
    let st = state.clone();
    let jobs = web::block(move || st.store.jobs(&filter)).await??;
    let page = Page::of(jobs, limit, |j| {
        Cursor::new("jobs", vec![paging::time_key(j.created_at), j.id.clone()])
    });
    Ok(HttpResponse::Ok().json(page))
}

/// One job with its state, progress, attempts, result or error (any user).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path)), responses((status = 200, body = Job), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_job(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let (st, id) = (state.clone(), path.into_inner());
    let wanted = id.clone();
    let job = web::block(move || st.store.job(&wanted)).await??;
    Ok(HttpResponse::Ok().json(job.ok_or_else(|| AppError::NotFound(format!("job {id}")))?))
}

/// Cancel a job (admin, or the user who requested it): a queued job at once, a running one
/// at its handler's next step. 409 when the job has already ended.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs", params(("id" = String, Path)), responses((status = 200, body = Job), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn cancel_job(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = caller.any_user()?.clone();
    let (st, id) = (state.clone(), path.into_inner());
    let wanted = id.clone();
    let job = web::block(move || st.store.job(&wanted))
        .await??
        .ok_or_else(|| AppError::NotFound(format!("job {id}")))?;
    if user.role != Role::Admin && job.requested_by != format!("user:{}", user.name) {
        return Err(AppError::Forbidden);
    }
    if job.state.is_final() {
        return Err(AppError::Conflict(format!(
            "job {id} has already ended ({})",
            job.state.as_str()
        )));
    }
    let st = state.clone();
    let job = web::block(move || st.store.cancel_job(&job.id, st.clock.now()))
        .await??
        .ok_or_else(|| AppError::NotFound(format!("job {id}")))?;
    Ok(HttpResponse::Ok().json(job))
}

/// The only routes of `vigil worker`: liveness, readiness and metrics.
pub fn configure_worker(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(super::ops::healthz))
        .route("/readyz", web::get().to(super::ops::readyz))
        .route("/metrics", web::get().to(super::ops::metrics));
}
