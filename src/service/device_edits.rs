//! Changing a registered device: edit its fields (a correction, a new certificate, a changed
//! intended purpose) or retire it (taken off the market on a day, with the reason). Both check
//! the whole device again, refuse to change a retired one, and are audited with the names of
//! the fields changed (never their old values: the register itself is the record).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::admin::Actor;
use super::vigilance::{Vigilance, VigilanceError, invalid, screen_free_text};
use crate::service::admin::audit_draft as draft;
use crate::vigilance::device::{Device, Manufacturer, MdrClass, device_issues};

/// The fields to change; an absent field keeps its value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceEdit {
    pub udi_dis: Option<Vec<String>>,
    pub trade_name: Option<String>,
    /// I, IIa, IIb or III.
    pub mdr_class: Option<String>,
    pub emdn_code: Option<String>,
    pub intended_purpose: Option<String>,
    pub notified_body: Option<String>,
    pub certificate: Option<String>,
    pub first_available: Option<NaiveDate>,
    pub manufacturer: Option<Manufacturer>,
}

/// Retirement: the last day on the market and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// Default today; never in the future, never before `first_available`.
    pub retired_on: Option<NaiveDate>,
    /// Why (required; screened free text).
    pub reason: String,
}

fn registered(v: &Vigilance, basic: &str) -> Result<Device, VigilanceError> {
    let device = v
        .devices
        .device(basic)?
        .ok_or(VigilanceError::NotFound("device"))?;
    match device.retired_on {
        Some(day) => Err(VigilanceError::Conflict(format!(
            "device {basic} was retired on {day}; a retired device is not changed"
        ))),
        None => Ok(device),
    }
}

/// Apply `edit` to the fields it names; returns their names.
fn apply(device: &mut Device, edit: DeviceEdit) -> Result<Vec<&'static str>, VigilanceError> {
    let mut changed = Vec::new();
    macro_rules! set {
        ($field:ident) => {
            if let Some(value) = edit.$field {
                device.$field = value.into();
                changed.push(stringify!($field));
            }
        };
    }
    set!(udi_dis);
    set!(trade_name);
    set!(emdn_code);
    set!(intended_purpose);
    set!(notified_body);
    set!(certificate);
    set!(first_available);
    set!(manufacturer);
    if let Some(class) = edit.mdr_class {
        device.mdr_class = MdrClass::parse(&class)
            .ok_or_else(|| invalid("mdr_class", "mdr_class must be I, IIa, IIb or III"))?;
        changed.push("mdr_class");
    }
    Ok(changed)
}

/// Edit a registered, not retired device; every field is checked again.
pub fn edit_device(
    v: &Vigilance,
    actor: &Actor,
    basic: &str,
    edit: DeviceEdit,
) -> Result<Device, VigilanceError> {
    let mut device = registered(v, basic)?;
    let changed = apply(&mut device, edit)?;
    if changed.is_empty() {
        return Err(invalid("", "name at least one field to change"));
    }
    let issues = device_issues(&device);
    if !issues.is_empty() {
        return Err(VigilanceError::Invalid(issues));
    }
    let audit = draft(actor, "device.edit", basic, json!({"fields": changed}));
    v.devices.update_device(&device, &audit)?;
    Ok(device)
}

/// Retire a device: it keeps its software history and incidents, and takes no more edits.
pub fn retire_device(
    v: &Vigilance,
    actor: &Actor,
    basic: &str,
    r: Retirement,
    now: DateTime<Utc>,
) -> Result<Device, VigilanceError> {
    let mut device = registered(v, basic)?;
    if r.reason.trim().is_empty() {
        return Err(invalid("reason", "reason is required"));
    }
    screen_free_text(&[("reason", r.reason.as_str())])?;
    let day = r.retired_on.unwrap_or(now.date_naive());
    if day > now.date_naive() {
        return Err(invalid("retired_on", "retired_on lies in the future"));
    }
    if day < device.first_available {
        return Err(invalid(
            "retired_on",
            "retired_on lies before the device's first_available date",
        ));
    }
    device.retired_on = Some(day);
    device.retire_reason = Some(r.reason);
    let audit = draft(actor, "device.retire", basic, json!({"retired_on": day}));
    v.devices.update_device(&device, &audit)?;
    Ok(device)
}
