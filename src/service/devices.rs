//! Device register use cases: register a device, assign a model version (software version) to
//! it, and derive its exposure from the data (active sites and studies processed per country,
//! for EEA+CH+TR and worldwide) over a period: the denominators of the MIR's similar-incidents
//! block and of the PSUR.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::admin::Actor;
use super::vigilance::{Vigilance, VigilanceError, invalid};
use crate::service::admin::audit_draft as draft;
use crate::storage::{CountFilter, Store};
use crate::vigilance::device::{Device, DeviceSoftware, device_issues};
use crate::vigilance::similar::in_eea_ch_tr;

/// Register a device (all fields checked; nothing stored when one is invalid).
pub fn add_device(
    v: &Vigilance,
    actor: &Actor,
    mut device: Device,
    now: DateTime<Utc>,
) -> Result<Device, VigilanceError> {
    device.created_at = now;
    (device.retired_on, device.retire_reason) = (None, None);
    let issues = device_issues(&device);
    if !issues.is_empty() {
        return Err(VigilanceError::Invalid(issues));
    }
    let details = json!({"class": device.mdr_class.as_str(), "emdn": device.emdn_code});
    let audit = draft(actor, "device.add", &device.basic_udi_di, details);
    v.devices.insert_device(&device, &audit)?;
    Ok(device)
}

/// Record that a device runs a model version from a date.
pub fn assign_software(
    store: &dyn Store,
    v: &Vigilance,
    actor: &Actor,
    sw: DeviceSoftware,
) -> Result<DeviceSoftware, VigilanceError> {
    if v.devices.device(&sw.basic_udi_di)?.is_none() {
        return Err(VigilanceError::NotFound("device"));
    }
    let (name, version) = sw
        .model_id
        .split_once('@')
        .ok_or_else(|| invalid("model_id", "model_id must be name@version"))?;
    if store.find_model(name, version)?.is_none() {
        return Err(invalid(
            "model_id",
            "model_id names no registered model version",
        ));
    }
    if sw.until.is_some_and(|u| u < sw.from) {
        return Err(invalid("until", "until must not be before from"));
    }
    let audit = draft(
        actor,
        "device.software",
        &sw.basic_udi_di,
        json!({"model": sw.model_id, "from": sw.from}),
    );
    v.devices.assign_software(&sw, &audit)?;
    Ok(sw)
}

/// Active sites and studies processed in one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exposure {
    pub active_sites: u64,
    pub studies: i64,
}

/// A device's exposure over a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeviceExposure {
    pub basic_udi_di: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub per_country: BTreeMap<String, Exposure>,
    pub eea_ch_tr: Exposure,
    pub worldwide: Exposure,
}

/// (site id, country, day, studies) for every day a site sent studies for the device's models.
pub fn site_days(
    store: &dyn Store,
    model_ids: &[String],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<(String, String, NaiveDate, i64)>, VigilanceError> {
    let countries: HashMap<String, String> = store
        .list_sites()?
        .into_iter()
        .map(|s| (s.id, s.country))
        .collect();
    let mut out = Vec::new();
    for m in model_ids {
        let filter = CountFilter {
            model_id: Some(m.clone()),
            from,
            to,
            site_id: None,
        };
        for c in store.daily_counts(&filter)? {
            let country = countries.get(&c.site_id).cloned().unwrap_or_default();
            out.push((c.site_id, country, c.day, c.events));
        }
    }
    Ok(out)
}

/// Exposure of a device between two days (inclusive).
pub fn exposure(
    store: &dyn Store,
    v: &Vigilance,
    basic_udi_di: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<DeviceExposure, VigilanceError> {
    if v.devices.device(basic_udi_di)?.is_none() {
        return Err(VigilanceError::NotFound("device"));
    }
    let models: Vec<String> = v
        .devices
        .device_software(basic_udi_di)?
        .into_iter()
        .map(|s| s.model_id)
        .collect();
    let days = site_days(store, &models, Some(from), Some(to))?;
    let sum = |keep: &dyn Fn(&str) -> bool| {
        let rows = days.iter().filter(|r| keep(&r.1));
        let sites: BTreeSet<&str> = rows.clone().map(|r| r.0.as_str()).collect();
        Exposure {
            active_sites: sites.len() as u64,
            studies: rows.map(|r| r.3).sum(),
        }
    };
    let countries: BTreeSet<&str> = days.iter().map(|r| r.1.as_str()).collect();
    Ok(DeviceExposure {
        basic_udi_di: basic_udi_di.to_string(),
        from,
        to,
        per_country: countries
            .into_iter()
            .map(|c| (c.to_string(), sum(&|k| k == c)))
            .collect(),
        eea_ch_tr: sum(&in_eea_ch_tr),
        worldwide: sum(&|_| true),
    })
}
