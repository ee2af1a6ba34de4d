//! What report assembly reads, gathered by the service from small tables and aggregates (never
//! raw events): the device, usage counts per period (from the daily rollups), serious
//! incidents with their IMDRF codes, quality sums per model version, label and stratum, the
//! control-chart points, drift findings, alerts, shadow runs, retraining requests, the
//! narrative drafts and the previous report's key figures. Plain data, serialisable, so its
//! pieces can be fingerprinted.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{Period, ReportKind};
use crate::vigilance::device::{Device, DeviceSoftware};

/// Studies one site processed in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteStudies {
    pub site_id: String,
    /// ISO 3166-1 alpha-2 (XI: Northern Ireland).
    pub country: String,
    pub studies: u64,
}

/// Usage of the device's model versions in one period, from the rollups.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageCounts {
    pub sites: Vec<SiteStudies>,
    /// (dimension `age_band` or `sex`, value, studies); `unknown` where the site sent none.
    pub demographics: Vec<(String, String, u64)>,
    /// (output status, studies).
    pub output_status: Vec<(String, u64)>,
}

/// One period's usage: N (the report's), N-1, N-2, N-3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodUsage {
    pub period: Period,
    pub usage: UsageCounts,
}

/// A serious incident as the PSUR counts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentFacts {
    pub id: String,
    pub model_id: String,
    pub awareness_date: NaiveDate,
    pub countries: Vec<String>,
    /// The latest seriousness class, `None` while unclassified.
    pub seriousness: Option<String>,
    /// Codes of the latest report, with their terms: Annex A, C, D, F.
    pub device_problems: Vec<(String, String)>,
    pub findings: Vec<(String, String)>,
    pub conclusions: Vec<(String, String)>,
    pub health_impacts: Vec<(String, String)>,
    /// Latest report stage, e.g. `initial`, `final_reportable`.
    pub stage: Option<String>,
    pub report_date: Option<NaiveDate>,
    pub root_causes: Option<String>,
    pub corrective_action: Option<String>,
    pub corrective_action_schedule: Option<String>,
    pub risk_assessment_adequate: Option<bool>,
}

/// Sums of a quality metric: enough for a mean and its t-interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualitySums {
    pub model_id: String,
    pub label: String,
    /// `all` or `site=<id>`.
    pub stratum: String,
    pub n: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

/// One quality-chart series (mean Dice per evaluated window) with its plan limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    pub model_id: String,
    pub label: String,
    pub points: Vec<(NaiveDate, f64)>,
    pub limit: Option<f64>,
}

/// A drift or quality finding that signalled in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingFacts {
    pub model_id: String,
    pub rule: String,
    pub stratum: String,
    pub window_end: NaiveDate,
    pub method: String,
    pub estimate: Option<f64>,
    pub q_value: Option<f64>,
    pub fingerprint: String,
}

/// An alert opened in the period, with its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertFacts {
    pub id: String,
    pub model_id: String,
    pub rule: String,
    pub stratum: String,
    pub opened: NaiveDate,
    /// open, acknowledged, escalated, resolved ...
    pub state: String,
    pub closed: Option<NaiveDate>,
    /// The incident opened from it, if any.
    pub incident_id: Option<String>,
}

/// A shadow run of a candidate model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowFacts {
    pub id: String,
    pub candidate: String,
    pub baseline: String,
    pub state: String,
    pub passed: Option<bool>,
    pub mean_difference: Option<f64>,
    pub finished: Option<NaiveDate>,
}

/// A retraining request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainingFacts {
    pub id: String,
    pub model: String,
    pub status: String,
    pub case_count: i64,
    pub created: NaiveDate,
}

/// Key figures of the previous report of the same kind, for the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousReport {
    pub reference: String,
    pub version: i64,
    pub period: Period,
    pub figures: BTreeMap<String, f64>,
}

/// A member device of a PSUR group, with its software and its usage in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMember {
    pub device: Device,
    pub software: Vec<DeviceSoftware>,
    /// The member's own usage in period N (the per-device breakdown).
    pub usage: UsageCounts,
}

/// One change of the group (a stored version compared with the one before).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupChange {
    pub version: i64,
    pub day: NaiveDate,
    pub by: String,
    pub change: String,
}

/// The PSUR's device group (MDCG 2022-21): the report's device leads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFacts {
    /// The leading device's own usage in period N.
    pub leading_usage: UsageCounts,
    /// The other devices, in Basic UDI-DI order.
    pub members: Vec<GroupMember>,
    pub justification: String,
    pub version: i64,
    /// Changes made on or after the start of the period (i.e. since the previous PSUR's).
    pub changes: Vec<GroupChange>,
}

/// Everything a PSUR or PMS report is assembled from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    pub kind: ReportKind,
    pub device: Device,
    pub software: Vec<DeviceSoftware>,
    pub period: Period,
    /// `PSUR-<Basic UDI-DI>`: stable across updates.
    pub reference: String,
    pub version: i64,
    /// The plan's minimum published count (k); cells below it read `< k`.
    pub min_cell_k: u64,
    /// N first, then N-1, N-2, N-3 (fewer before the device's first period).
    pub usage: Vec<PeriodUsage>,
    /// Incidents whose awareness date falls in the four periods.
    pub incidents: Vec<IncidentFacts>,
    pub quality: Vec<QualitySums>,
    pub charts: Vec<ChartSeries>,
    pub findings: Vec<FindingFacts>,
    pub alerts: Vec<AlertFacts>,
    pub shadow_runs: Vec<ShadowFacts>,
    pub retraining: Vec<RetrainingFacts>,
    pub narratives: BTreeMap<String, String>,
    pub previous: Option<PreviousReport>,
    /// The group the device leads; `software` and every aggregate then cover all its members.
    #[serde(default)]
    pub group: Option<GroupFacts>,
}
