//! `/api/v1/devices...`: the device register (regulatory writes: register, edit, retire,
//! software; regulatory, quality and admin read) and a device's exposure derived from the data.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::admin::Actor;
use crate::service::device_edits::{DeviceEdit, Retirement, edit_device, retire_device};
use crate::service::devices::{add_device, assign_software, exposure};
use crate::vigilance::device::{Device, DeviceSoftware, Manufacturer, MdrClass};

/// Register the device routes (called by `routes.rs` inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/devices", web::post().to(post_device))
        .route("/devices", web::get().to(list_devices))
        .route("/devices/{basic}", web::get().to(get_device))
        .route("/devices/{basic}", web::patch().to(patch_device))
        .route("/devices/{basic}/retire", web::post().to(post_retire))
        .route("/devices/{basic}/software", web::post().to(post_software))
        .route("/devices/{basic}/exposure", web::get().to(get_exposure));
}

/// A device to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    pub basic_udi_di: String,
    #[serde(default)]
    pub udi_dis: Vec<String>,
    pub trade_name: String,
    /// I, IIa, IIb or III.
    pub mdr_class: String,
    pub emdn_code: String,
    pub intended_purpose: String,
    pub notified_body: Option<String>,
    pub certificate: Option<String>,
    pub first_available: NaiveDate,
    pub manufacturer: Manufacturer,
}

/// Register a device (regulatory).
#[utoipa::path(post, path = "/api/v1/devices", tag = "vigilance", request_body = DeviceRequest, responses((status = 201, body = Device), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_device(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<DeviceRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let r = body.into_inner();
    let mdr_class = MdrClass::parse(&r.mdr_class).ok_or_else(|| AppError::Validation {
        message: "mdr_class must be I, IIa, IIb or III".into(),
        details: vec![],
    })?;
    let device = Device {
        basic_udi_di: r.basic_udi_di,
        udi_dis: r.udi_dis,
        trade_name: r.trade_name,
        mdr_class,
        emdn_code: r.emdn_code,
        intended_purpose: r.intended_purpose,
        notified_body: r.notified_body,
        certificate: r.certificate,
        first_available: r.first_available,
        manufacturer: r.manufacturer,
        created_at: state.clock.now(),
        retired_on: None,
        retire_reason: None,
    };
    let actor = Actor(format!("user:{}", user.name));
    let st = state.clone();
    let d = web::block(move || add_device(&st.vigilance, &actor, device, st.clock.now())).await??;
    Ok(HttpResponse::Created().json(d))
}

/// Registered devices (regulatory, quality).
#[utoipa::path(get, path = "/api/v1/devices", tag = "vigilance", responses((status = 200, body = Vec<Device>)), security(("bearer" = [])))]
pub async fn list_devices(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Regulatory, Role::Quality, Role::Admin])?;
    let st = state.clone();
    let devices = web::block(move || st.vigilance.devices.devices()).await??;
    Ok(HttpResponse::Ok().json(devices))
}

/// One device and the model versions it ran (regulatory, quality).
#[utoipa::path(get, path = "/api/v1/devices/{basic_udi_di}", tag = "vigilance", params(("basic_udi_di" = String, Path)), responses((status = 200, description = "device and software"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_device(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Regulatory, Role::Quality, Role::Admin])?;
    let (st, basic) = (state.clone(), path.into_inner());
    let (device, software) = web::block(move || {
        let d = st.vigilance.devices.device(&basic)?;
        let s = st.vigilance.devices.device_software(&basic)?;
        Ok::<_, crate::storage::StoreError>((d, s))
    })
    .await??;
    let device = device.ok_or_else(|| AppError::NotFound("device".into()))?;
    Ok(HttpResponse::Ok().json(json!({"device": device, "software": software})))
}

/// Edit a device's fields (regulatory; audited; a retired device is not changed).
#[utoipa::path(patch, path = "/api/v1/devices/{basic_udi_di}", tag = "vigilance", params(("basic_udi_di" = String, Path)), request_body = DeviceEdit, responses((status = 200, body = Device), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn patch_device(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<DeviceEdit>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, basic, edit) = (state.clone(), path.into_inner(), body.into_inner());
    let d = web::block(move || edit_device(&st.vigilance, &actor, &basic, edit)).await??;
    Ok(HttpResponse::Ok().json(d))
}

/// Retire a device (regulatory; audited).
#[utoipa::path(post, path = "/api/v1/devices/{basic_udi_di}/retire", tag = "vigilance", params(("basic_udi_di" = String, Path)), request_body = Retirement, responses((status = 200, body = Device), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_retire(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<Retirement>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let actor = Actor(format!("user:{}", user.name));
    let (st, basic, r) = (state.clone(), path.into_inner(), body.into_inner());
    let d = web::block(move || retire_device(&st.vigilance, &actor, &basic, r, st.clock.now()))
        .await??;
    Ok(HttpResponse::Ok().json(d))
}

/// A model version the device runs from a date.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoftwareRequest {
    /// `name@version`.
    pub model_id: String,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// The device runs a model version from a date (regulatory).
#[utoipa::path(post, path = "/api/v1/devices/{basic_udi_di}/software", tag = "vigilance", params(("basic_udi_di" = String, Path)), request_body = SoftwareRequest, responses((status = 201, body = DeviceSoftware), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_software(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SoftwareRequest>,
) -> Result<HttpResponse, AppError> {
    let user = caller.user_with(&[Role::Regulatory])?;
    let b = body.into_inner();
    let sw = DeviceSoftware {
        basic_udi_di: path.into_inner(),
        model_id: b.model_id,
        from: b.from,
        until: b.until,
    };
    let actor = Actor(format!("user:{}", user.name));
    let st = state.clone();
    let sw = web::block(move || assign_software(&*st.store, &st.vigilance, &actor, sw)).await??;
    Ok(HttpResponse::Created().json(sw))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Active sites and studies per country, EEA+CH+TR and worldwide (regulatory, quality).
#[utoipa::path(get, path = "/api/v1/devices/{basic_udi_di}/exposure", tag = "vigilance", params(("basic_udi_di" = String, Path), PeriodQuery), responses((status = 200, body = crate::service::devices::DeviceExposure), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_exposure(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    caller.user_with(&[Role::Regulatory, Role::Quality, Role::Admin])?;
    let (st, basic, q) = (state.clone(), path.into_inner(), q.into_inner());
    let e = web::block(move || exposure(&*st.store, &st.vigilance, &basic, q.from, q.to)).await??;
    Ok(HttpResponse::Ok().json(e))
}
