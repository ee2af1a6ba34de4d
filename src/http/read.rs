//! Read and registration endpoints for users: sites, model versions, daily counts.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::domain::model::FeatureSchema;
use crate::error::AppError;
use crate::service::admin::{Actor, AdminError, add_model};
use crate::storage::CountFilter;

/// List sites (admin, quality, regulatory).
#[utoipa::path(get, path = "/api/v1/sites", tag = "read", responses((status = 200, body = Vec<crate::domain::site::Site>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_sites(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Quality, Role::Regulatory, Role::Admin])?;
    let store = state.store.clone();
    Ok(HttpResponse::Ok().json(web::block(move || store.list_sites()).await??))
}

/// List registered model versions (any user).
#[utoipa::path(get, path = "/api/v1/models", tag = "read", responses((status = 200, body = Vec<crate::domain::model::ModelVersion>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_models(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let store = state.store.clone();
    Ok(HttpResponse::Ok().json(web::block(move || store.list_models()).await??))
}

/// A model version to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelRequest {
    pub name: String,
    pub version: String,
    pub feature_schema: FeatureSchema,
}

/// Register a model version with its feature schema (ml, admin).
#[utoipa::path(post, path = "/api/v1/models", tag = "read", request_body = ModelRequest, responses((status = 201, body = crate::domain::model::ModelVersion), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_model(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<ModelRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Ml])?;
    let actor = Actor(format!("user:{}", user.name));
    let st = state.clone();
    let req = body.into_inner();
    let result = web::block(move || {
        add_model(
            &*st.store,
            &actor,
            &req.name,
            &req.version,
            req.feature_schema,
            st.clock.now(),
        )
    })
    .await?;
    match result {
        Ok(model) => Ok(HttpResponse::Created().json(model)),
        Err(AdminError::Invalid(message)) => Err(AppError::Validation {
            message,
            details: vec![],
        }),
        Err(AdminError::Store(e)) => Err(e.into()),
    }
}

/// Filters of the daily counts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CountQuery {
    /// Site id.
    pub site: Option<String>,
    /// A model name (all its versions) or a model version id `name@version`; 404 when no
    /// such model is registered.
    pub model: Option<String>,
    /// First UTC day, inclusive (YYYY-MM-DD).
    pub from: Option<NaiveDate>,
    /// Last UTC day, inclusive.
    pub to: Option<NaiveDate>,
}

/// Event and review counts per site, model version and UTC day (any user).
#[utoipa::path(get, path = "/api/v1/counts", tag = "read", params(CountQuery), responses((status = 200, body = Vec<crate::storage::DailyCount>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, description = "no such model is registered", body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_counts(
    caller: Caller,
    state: web::Data<AppState>,
    q: web::Query<CountQuery>,
) -> Result<HttpResponse, AppError> {
    caller.any_user()?;
    let q = q.into_inner();
    let filter = CountFilter {
        site_id: q.site,
        model_id: q.model,
        from: q.from,
        to: q.to,
    };
    let store = state.store.clone();
    let counts = web::block(move || {
        if let Some(m) = &filter.model_id {
            super::paging::check_model(&*store, m)?;
        }
        Ok::<_, AppError>(store.daily_counts(&filter)?)
    })
    .await??;
    Ok(HttpResponse::Ok().json(counts))
}
