//! Report stages of an incident: check the order, the fields the stage's XSD requires, the IMDRF
//! codes (against the release recorded on the report) and the privacy screen, then derive the
//! device block, distribution and similar-incidents counts from Vigil's data, write the MIR XML
//! and store it immutably with its SHA-256. Submission is recorded once, by a person.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::admin::Actor;
use super::devices::site_days;
use super::incidents::show_incident;
use super::vigilance::{Vigilance, VigilanceError, screen_free_text};
use crate::service::admin::audit_draft as draft;
use crate::storage::{Store, StoreError};
use crate::vigilance::deadline::{ClockView, clock_view};
use crate::vigilance::incident::{Incident, IncidentReport, Submission};
use crate::vigilance::mir::{MirInput, write_mir};
use crate::vigilance::similar::{PeriodCounts, SimilarInput, similar_counts};
use crate::vigilance::stage::{
    ReportStage, StageFields, code_issues, missing_fields, sequence_error,
};

/// A new report stage.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub stage: ReportStage,
    #[serde(default)]
    pub fields: StageFields,
}

/// Check everything a person supplied, before anything is derived or written.
fn check_request(
    v: &Vigilance,
    req: &NewReport,
    previous: &[ReportStage],
) -> Result<(), VigilanceError> {
    screen_free_text(&req.fields.free_text())?;
    if let Some(why) = sequence_error(previous, req.stage) {
        return Err(VigilanceError::StageOutOfOrder(why));
    }
    let missing = missing_fields(req.stage, &req.fields);
    if !missing.is_empty() {
        return Err(VigilanceError::Invalid(missing));
    }
    let codes = code_issues(&v.codes, &req.fields);
    if !codes.is_empty() {
        return Err(VigilanceError::ImdrfCode(codes));
    }
    Ok(())
}

/// Similar incidents and distribution for the device the incident's version belongs to.
fn derived(
    store: &dyn Store,
    v: &Vigilance,
    incident: &Incident,
    basic: &str,
    report_date: NaiveDate,
) -> Result<(Vec<PeriodCounts>, Vec<String>), VigilanceError> {
    let models: Vec<String> = v
        .devices
        .device_software(basic)?
        .into_iter()
        .map(|s| s.model_id)
        .collect();
    let from = report_date - Duration::days(4 * 366);
    let days = site_days(store, &models, Some(from), Some(report_date))?;
    let site_days: Vec<(String, String, NaiveDate)> = days
        .iter()
        .map(|(s, c, d, _)| (s.clone(), c.clone(), *d))
        .collect();
    let incidents: Vec<(NaiveDate, Vec<String>)> = v
        .incidents
        .incidents()?
        .into_iter()
        .filter(|i| models.contains(&i.model_id))
        .map(|i| (i.awareness_date, i.countries))
        .collect();
    let similar = similar_counts(&SimilarInput {
        report_date,
        country: &incident.reporting_country,
        incidents: &incidents,
        site_days: &site_days,
    });
    let mut distribution: Vec<String> = site_days.iter().map(|r| r.1.clone()).collect();
    distribution.extend(incident.countries.iter().cloned());
    distribution.sort();
    distribution.dedup();
    distribution.retain(|c| !c.is_empty());
    Ok((similar, distribution))
}

/// The MIR XML of a checked request: device from the register, software version, derived
/// distribution and similar incidents.
fn mir_xml(
    store: &dyn Store,
    v: &Vigilance,
    incident: &Incident,
    req: &NewReport,
    clock: &ClockView,
    now: DateTime<Utc>,
) -> Result<String, VigilanceError> {
    let no_device = || VigilanceError::NoDevice(incident.model_id.clone());
    let basic = v
        .devices
        .device_for_model(&incident.model_id)?
        .ok_or_else(no_device)?;
    let device = v.devices.device(&basic)?.ok_or_else(no_device)?;
    let report_date = now.date_naive();
    let (similar, distribution) = derived(store, v, incident, &basic, report_date)?;
    let id = incident.model_id.as_str();
    let version = id.split_once('@').map_or(id, |(_, v)| v);
    let input = MirInput {
        stage: req.stage,
        fields: &req.fields,
        created_at: now,
        report_date,
        mfr_ref: &incident.id,
        awareness_date: clock.awareness_date,
        seriousness: clock.seriousness,
        description: &incident.description,
        reporting_country: &incident.reporting_country,
        device: &device,
        software_version: version,
        distribution: &distribution,
        similar: &similar,
        imdrf_release: &v.codes.release,
    };
    let internal = |e: String| VigilanceError::Store(StoreError::Other(e));
    let bytes = write_mir(&input).map_err(|e| internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| internal(e.to_string()))
}

/// Add a report stage; returns the stored report (its XML is fetched separately).
pub fn add_report(
    store: &dyn Store,
    v: &Vigilance,
    actor: &Actor,
    id: &str,
    req: NewReport,
    now: DateTime<Utc>,
) -> Result<IncidentReport, VigilanceError> {
    let incident = v
        .incidents
        .incident(id)?
        .ok_or(VigilanceError::NotFound("incident"))?;
    let reports = v.incidents.reports(id)?;
    let previous: Vec<ReportStage> = reports.iter().map(|r| r.stage).collect();
    check_request(v, &req, &previous)?;
    let events = v.incidents.clock_events(id)?;
    let clock = clock_view(incident.awareness_date, &events, &[], now.date_naive());
    if req.stage.needs_classification() && clock.seriousness.is_none() {
        return Err(VigilanceError::NotClassified);
    }
    let xml = mir_xml(store, v, &incident, &req, &clock, now)?;
    let report = IncidentReport {
        incident_id: id.to_string(),
        seq: reports.len() as i64 + 1,
        stage: req.stage,
        imdrf_release: v.codes.release.clone(),
        fields: serde_json::to_value(&req.fields).unwrap_or_default(),
        sha256: hex::encode(Sha256::digest(xml.as_bytes())),
        created_by: actor.0.clone(),
        created_at: now,
        submission: None,
        xml,
    };
    let details = json!({"seq": report.seq, "stage": req.stage, "sha256": report.sha256, "imdrf": report.imdrf_release});
    v.incidents
        .insert_report(&report, &draft(actor, "incident.report", id, details))?;
    Ok(report)
}

/// One report with its XML.
pub fn report(v: &Vigilance, id: &str, seq: i64) -> Result<IncidentReport, VigilanceError> {
    v.incidents
        .reports(id)?
        .into_iter()
        .find(|r| r.seq == seq)
        .ok_or(VigilanceError::NotFound("report"))
}

/// The most characters of a submission's authority and reference (the MIR's `ncaName` is
/// `string200T`; references are far shorter).
pub const SUBMISSION_TEXT_MAX_CHARS: usize = 200;

/// A submission as a person records it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionRequest {
    pub submitted_on: NaiveDate,
    /// The receiving authority, e.g. `BfArM`.
    pub authority: String,
    /// The authority's or EUDAMED's reference.
    pub reference: String,
}

/// Record that a report was submitted (once).
pub fn record_submission(
    v: &Vigilance,
    actor: &Actor,
    id: &str,
    seq: i64,
    req: SubmissionRequest,
    now: DateTime<Utc>,
) -> Result<crate::vigilance::incident::IncidentView, VigilanceError> {
    // The reference is issued by the authority (not written by a person), so only the
    // authority's name goes through the screen; see `StageFields::free_text`.
    screen_free_text(&[("authority", req.authority.as_str())])?;
    for (path, value) in [("authority", &req.authority), ("reference", &req.reference)] {
        if value.trim().is_empty() || value.chars().count() > SUBMISSION_TEXT_MAX_CHARS {
            return Err(super::vigilance::invalid(
                path,
                format!("{path} must be 1-{SUBMISSION_TEXT_MAX_CHARS} characters"),
            ));
        }
    }
    report(v, id, seq)?;
    let submission = Submission {
        submitted_on: req.submitted_on,
        authority: req.authority,
        reference: req.reference,
        recorded_by: actor.0.clone(),
        recorded_at: now,
    };
    let details = json!({"seq": seq, "submitted_on": submission.submitted_on});
    v.incidents.record_submission(
        id,
        seq,
        &submission,
        &draft(actor, "incident.submission", id, details),
    )?;
    show_incident(v, id, now.date_naive())
}
