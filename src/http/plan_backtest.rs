//! `POST /api/v1/models/{model}/plan/backtest`: run a proposed plan over stored history
//! without touching the plan in force's findings, alerts or cursors; and
//! `GET /api/v1/models/{model}/plan/backtests`: every backtest, with the plan version that
//! later adopted the same text.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::domain::{FieldIssue, Role};
use crate::error::AppError;
use crate::service::admin::Actor;
use crate::service::plan_backtest::{BacktestError, backtest_history, backtest_plan};
use crate::service::plans::PlanServiceError;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BacktestQuery {
    /// First day of the range (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Last day of the range, inclusive (`YYYY-MM-DD`); at most 366 days after `from`.
    pub to: Option<String>,
}

fn field_error(path: &str, code: &str, message: String) -> AppError {
    AppError::Validation {
        message: message.clone(),
        details: vec![FieldIssue {
            index: None,
            path: path.into(),
            code: code.into(),
            message,
        }],
    }
}

fn day(value: Option<&str>, field: &str) -> Result<NaiveDate, AppError> {
    let Some(v) = value else {
        return Err(field_error(
            field,
            "missing",
            format!("{field} is required (YYYY-MM-DD)"),
        ));
    };
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        field_error(
            field,
            "invalid_value",
            format!("{field} is not a date (YYYY-MM-DD)"),
        )
    })
}

fn map_err(e: BacktestError) -> AppError {
    match e {
        BacktestError::Plan(PlanServiceError::UnknownModel(m)) => {
            AppError::NotFound(format!("no model {m:?} is registered"))
        }
        BacktestError::Plan(PlanServiceError::Invalid(p)) => {
            field_error(&p.field, "invalid_plan", p.to_string())
        }
        BacktestError::Plan(e @ PlanServiceError::WrongModel { .. }) => {
            field_error("model", "invalid_plan", e.to_string())
        }
        BacktestError::Plan(PlanServiceError::Store(s)) | BacktestError::Store(s) => s.into(),
        BacktestError::Plan(e) => AppError::Internal(e.to_string()),
        BacktestError::InvalidRange(issue) => AppError::Rule {
            code: "invalid_range",
            conflict: false,
            message: issue.message.clone(),
            details: vec![issue],
        },
        BacktestError::RangeTooLong(issue) => AppError::Rule {
            code: "range_too_long",
            conflict: false,
            message: issue.message.clone(),
            details: vec![issue],
        },
        BacktestError::Design(m) => field_error("sequential", "invalid_plan", m),
    }
}

/// Backtest a proposed plan (quality). Body: the plan as TOML (`application/toml` or
/// `text/plain`), validated exactly like an upload. Runs the plan day by day over
/// `[from, to]` of stored data against each version's baseline in force, in memory, and
/// answers with the findings and alerts it would have raised beside those the plan in force
/// raised; writes only the backtest's record and audit entry.
#[utoipa::path(post, path = "/api/v1/models/{model}/plan/backtest", tag = "monitoring", params(("model" = String, Path), BacktestQuery), request_body(content = String, content_type = "application/toml"), responses((status = 200, body = crate::service::plan_backtest::BacktestReport), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody), (status = 422, description = "invalid plan (`validation_failed`, details name the plan field), bad date (`validation_failed`), `invalid_range` or `range_too_long` (details name `from` or `to`)", body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_backtest(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<BacktestQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Quality])?;
    let text = super::plans::plan_text(&req, &mut payload).await?;
    let from = day(q.from.as_deref(), "from")?;
    let to = day(q.to.as_deref(), "to")?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, model) = (state.clone(), path.into_inner());
    let report = web::block(move || {
        backtest_plan(
            &*st.store,
            &actor,
            (&model, &text),
            (from, to),
            st.clock.now(),
        )
    })
    .await?
    .map_err(map_err)?;
    Ok(HttpResponse::Ok().json(report))
}

/// Every backtest of the model's plans, oldest first, each with the plan version that later
/// adopted the same text (`adopted_as_version`): the plan was tried before it was used.
#[utoipa::path(get, path = "/api/v1/models/{model}/plan/backtests", tag = "monitoring", params(("model" = String, Path)), responses((status = 200, body = Vec<crate::service::plan_backtest::BacktestHistoryEntry>)), security(("bearer" = [])))]
pub async fn get_backtests(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let (st, model) = (state.clone(), path.into_inner());
    let entries = web::block(move || backtest_history(&*st.store, &model)).await??;
    Ok(HttpResponse::Ok().json(entries))
}
