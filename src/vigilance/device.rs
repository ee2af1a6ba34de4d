//! A device in the register: one Basic UDI-DI with its UDI-DIs, trade name, MDR class, EMDN
//! code, intended purpose, notified body and certificate, the date the software was first made
//! available, its manufacturer (the MIR's submitter block) and the model versions (software
//! versions) it ran, each from a date. A model version belongs to one device.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::FieldIssue;

/// MDR risk class (Annex VIII).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum MdrClass {
    I,
    IIa,
    IIb,
    III,
}

impl MdrClass {
    /// The MIR `deviceClassMDR` value.
    pub fn mir_value(self) -> &'static str {
        match self {
            MdrClass::I => "class I",
            MdrClass::IIa => "class IIa",
            MdrClass::IIb => "class IIb",
            MdrClass::III => "class III",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MdrClass::I => "I",
            MdrClass::IIa => "IIa",
            MdrClass::IIb => "IIb",
            MdrClass::III => "III",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// The legal manufacturer as it appears on the MIR (a company contact, not patient data).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Manufacturer {
    pub name: String,
    /// Single registration number in EUDAMED, if issued.
    #[serde(default)]
    pub srn: Option<String>,
    pub contact_first_name: String,
    pub contact_last_name: String,
    #[serde(default)]
    pub street: Option<String>,
    pub city: String,
    pub postcode: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub phone: String,
    pub email: String,
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub basic_udi_di: String,
    #[serde(default)]
    pub udi_dis: Vec<String>,
    pub trade_name: String,
    #[schema(value_type = String)]
    pub mdr_class: MdrClass,
    /// European Medical Device Nomenclature code, e.g. `Z12040192`.
    pub emdn_code: String,
    pub intended_purpose: String,
    /// Notified body number (four digits), if the class needs one.
    pub notified_body: Option<String>,
    pub certificate: Option<String>,
    /// "If software, date first made available" (MIR 2.3; PSUR cover).
    pub first_available: NaiveDate,
    pub manufacturer: Manufacturer,
    pub created_at: DateTime<Utc>,
    /// The day the device was retired (taken off the market); set by `retire` only.
    #[serde(default)]
    pub retired_on: Option<NaiveDate>,
    /// Why it was retired.
    #[serde(default)]
    pub retire_reason: Option<String>,
}

/// A model version the device ran, from a date (to a date once replaced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceSoftware {
    pub basic_udi_di: String,
    /// Model version id `name@version`.
    pub model_id: String,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

fn issue(path: &str, message: &str) -> FieldIssue {
    FieldIssue {
        index: None,
        path: path.to_string(),
        code: "invalid_value".into(),
        message: message.to_string(),
    }
}

fn udi_ok(s: &str) -> bool {
    // GS1, HIBCC, ICCBBA and IFA DIs are at most 50 printable ASCII characters (MIR string50).
    !s.is_empty() && s.len() <= 50 && s.chars().all(|c| c.is_ascii_graphic())
}

/// Every invalid field of a device, by API name.
pub fn device_issues(d: &Device) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    let mut check = |ok: bool, path: &str, message: &str| {
        if !ok {
            out.push(issue(path, message));
        }
    };
    check(
        udi_ok(&d.basic_udi_di),
        "basic_udi_di",
        "basic_udi_di must be 1-50 printable ASCII characters",
    );
    check(
        d.udi_dis.iter().all(|u| udi_ok(u)),
        "udi_dis",
        "each UDI-DI must be 1-50 printable ASCII characters",
    );
    check(
        !d.trade_name.trim().is_empty() && d.trade_name.chars().count() <= 300,
        "trade_name",
        "trade_name must be 1-300 characters",
    );
    let emdn = d.emdn_code.len() <= 13
        && d.emdn_code
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
        && d.emdn_code.chars().skip(1).all(|c| c.is_ascii_digit());
    check(
        emdn,
        "emdn_code",
        "emdn_code must be an EMDN code: a capital letter and up to 12 digits",
    );
    check(
        !d.intended_purpose.trim().is_empty(),
        "intended_purpose",
        "intended_purpose is required",
    );
    let nb = d
        .notified_body
        .as_deref()
        .is_none_or(|n| n.len() == 4 && n.chars().all(|c| c.is_ascii_digit()));
    check(
        nb,
        "notified_body",
        "notified_body must be the four-digit NB number",
    );
    check(
        d.mdr_class == MdrClass::I || d.notified_body.is_some(),
        "notified_body",
        "a class IIa, IIb or III device needs its notified body",
    );
    out.extend(manufacturer_issues(&d.manufacturer));
    out
}

/// Every invalid field of the manufacturer block (the MIR's length caps).
fn manufacturer_issues(m: &Manufacturer) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    let mut check = |ok: bool, path: &str, message: &str| {
        if !ok {
            out.push(issue(path, message));
        }
    };
    for (path, v, cap) in [
        ("manufacturer.name", &m.name, 200),
        ("manufacturer.contact_first_name", &m.contact_first_name, 50),
        ("manufacturer.contact_last_name", &m.contact_last_name, 50),
        ("manufacturer.city", &m.city, 50),
        ("manufacturer.postcode", &m.postcode, 50),
        ("manufacturer.phone", &m.phone, 50),
        ("manufacturer.email", &m.email, 255),
    ] {
        check(
            !v.trim().is_empty() && v.chars().count() <= cap,
            path,
            &format!("{path} must be 1-{cap} characters"),
        );
    }
    check(
        crate::domain::site::check_country(&m.country).is_ok(),
        "manufacturer.country",
        "manufacturer.country must be an ISO 3166-1 alpha-2 code",
    );
    out
}
