//! `/api/v1/device-groups...`: PSUR device groups under a leading device (MDCG 2022-21).
//! A regulatory user declares or changes a group (`PUT`, audited, each change a new version);
//! the vigilance readers list them and read one with its versions.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::admin::Actor;
use crate::service::device_groups::{GroupRequest, put_group};
use crate::storage::DeviceGroupVersion;

/// Register the device group routes (called by `routes.rs` inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/device-groups", web::get().to(list_groups))
        .route("/device-groups/{leading}", web::get().to(get_group))
        .route("/device-groups/{leading}", web::put().to(put_device_group));
}

const READERS: &[Role] = &[Role::Regulatory, Role::Quality, Role::Admin];

/// Declare or change the group led by a device (regulatory): members and justification; the
/// members' PSURs are then the leading device's. An unchanged body stores nothing.
#[utoipa::path(put, path = "/api/v1/device-groups/{leading}", tag = "reports", params(("leading" = String, Path, description = "Basic UDI-DI of the leading device")), request_body = GroupRequest, responses((status = 200, body = DeviceGroupVersion), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn put_device_group(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<GroupRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, leading, req) = (state.clone(), path.into_inner(), body.into_inner());
    let v =
        web::block(move || put_group(&*st.store, &actor, &leading, &req, st.clock.now())).await??;
    Ok(HttpResponse::Ok().json(v))
}

/// The newest version of every group (regulatory, quality, admin).
#[utoipa::path(get, path = "/api/v1/device-groups", tag = "reports", responses((status = 200, body = Vec<DeviceGroupVersion>)), security(("bearer" = [])))]
pub async fn list_groups(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(READERS)?;
    let st = state.clone();
    let groups = web::block(move || st.store.device_groups()).await??;
    Ok(HttpResponse::Ok().json(groups))
}

/// A group: its newest version and every version, oldest first (regulatory, quality, admin).
#[utoipa::path(get, path = "/api/v1/device-groups/{leading}", tag = "reports", params(("leading" = String, Path)), responses((status = 200, description = "{current, versions}"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_group(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(READERS)?;
    let (st, leading) = (state.clone(), path.into_inner());
    let lookup = leading.clone();
    let versions = web::block(move || st.store.group_versions(&lookup)).await??;
    let current = versions
        .last()
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("device group led by {leading}")))?;
    Ok(HttpResponse::Ok().json(json!({"current": current, "versions": versions})))
}
