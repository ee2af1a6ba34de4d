//! `POST /api/v1/sites` and `POST /api/v1/sites/{id}/key`: admins register sites and rotate
//! their keys over the API, through the same audited use cases as `vigil site add|rotate-key`.
//! The key is in the answer once and stored only as a hash.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::domain::site::Site;
use crate::error::AppError;
use crate::service::admin::{Actor, AdminError, add_site, rotate_site_key};

/// A site to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteRequest {
    /// Pseudonymous id (a-z, 0-9, '.', '_', '-'); omitted: `site-<country>-<8 hex>`.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// A registered site with its API key (shown once).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteKeyResponse {
    pub site: Site,
    /// `vsk_...`: store it now; only its hash is kept.
    pub api_key: String,
}

/// A new key of a site (shown once); the old key stopped working.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotatedKeyResponse {
    pub site_id: String,
    pub api_key: String,
}

fn map_admin(e: AdminError) -> AppError {
    match e {
        AdminError::Invalid(message) => AppError::Validation {
            message,
            details: vec![],
        },
        AdminError::Store(e) => e.into(),
    }
}

fn generated_id(country: &str) -> String {
    let tail = uuid::Uuid::new_v4().simple().to_string();
    format!("site-{}-{}", country.to_ascii_lowercase(), &tail[..8])
}

/// Register a site and return its API key once (admin).
#[utoipa::path(post, path = "/api/v1/sites", tag = "admin", request_body = SiteRequest, responses((status = 201, body = SiteKeyResponse), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_site(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<SiteRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Admin])?;
    let actor = Actor(format!("user:{}", user.name));
    let req = body.into_inner();
    let id = req.id.unwrap_or_else(|| generated_id(&req.country));
    let st = state.clone();
    let (site, api_key) = web::block(move || {
        add_site(
            &*st.store,
            &actor,
            &id,
            &req.name,
            &req.country,
            st.clock.now(),
        )
    })
    .await?
    .map_err(map_admin)?;
    Ok(HttpResponse::Created().json(SiteKeyResponse { site, api_key }))
}

/// Issue a new key for a site; the old key stops working at once (admin).
#[utoipa::path(post, path = "/api/v1/sites/{id}/key", tag = "admin", params(("id" = String, Path)), responses((status = 200, body = RotatedKeyResponse), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_site_key(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Admin])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, site_id) = (state.clone(), path.into_inner());
    let id = site_id.clone();
    let api_key = web::block(move || rotate_site_key(&*st.store, &actor, &id, st.clock.now()))
        .await?
        .map_err(map_admin)?;
    Ok(HttpResponse::Ok().json(RotatedKeyResponse { site_id, api_key }))
}
