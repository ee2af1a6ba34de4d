//! A serious-incident case: awareness date (day 0), the human's seriousness class with its
//! reason, the affected software version (and through it the device), sites and countries, and
//! the reporting country whose holidays end the clock. Never patient identity: every free-text
//! field passes the privacy screen before it is stored.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::deadline::{ClockEvent, ClockView};
use super::stage::ReportStage;

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Incident {
    pub id: String,
    /// The alert this incident was opened from, if any.
    pub alert_id: Option<String>,
    /// The affected software version: model version id `name@version`.
    pub model_id: String,
    pub title: String,
    /// What happened (screened free text; MIR 3.1).
    pub description: String,
    /// Day 0 of the first clock period.
    pub awareness_date: NaiveDate,
    pub site_ids: Vec<String>,
    pub countries: Vec<String>,
    /// Where the incident is reported; its public holidays end the clock.
    pub reporting_country: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// One generated report: immutable, with the SHA-256 of its XML.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IncidentReport {
    pub incident_id: String,
    /// 1, 2, ... in order of the sequence.
    pub seq: i64,
    pub stage: ReportStage,
    /// IMDRF terminology release the codes were checked against.
    pub imdrf_release: String,
    /// The fields the person supplied, as JSON.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    pub sha256: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub submission: Option<Submission>,
    #[serde(skip)]
    pub xml: String,
}

/// A submission recorded by a person.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Submission {
    pub submitted_on: NaiveDate,
    pub authority: String,
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// An incident with its clock, clock history and reports, as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    #[serde(flatten)]
    pub incident: Incident,
    pub basic_udi_di: Option<String>,
    pub clock: ClockView,
    pub clock_history: Vec<ClockEvent>,
    pub reports: Vec<IncidentReport>,
}
