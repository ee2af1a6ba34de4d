//! MDR documents as use cases: request a PSUR or PMS report (period checked, then a `report`
//! job queued), the job's handler (gather from aggregates and small tables, assemble, render
//! JSON and PDF, store both blobs and the audited record), approval by a regulatory user
//! (re-rendered without the DRAFT marking, stored beside the draft; both immutable); the
//! narrative drafts are in `report_narratives.rs`. A requested trend report (`kind: trend`)
//! is built by `trend_report::requested_document`; drafted trend reports are recorded through
//! `record_document` like the others.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::admin::{Actor, audit_draft};
use super::report_data as data;
use crate::blobs::{BlobKey, BlobStore};
use crate::domain::FieldIssue;
use crate::jobs::{JobContext, JobFailure, JobHandler, JobOutput, Registry};
use crate::reports::input::{PeriodUsage, PreviousReport, ReportInput};
use crate::reports::period::{PeriodError, PeriodRules, check_period};
use crate::reports::{Approval, Document, Period, ReportKind, assemble};
use crate::storage::jobs::Job;
use crate::storage::reports::ReportRecord;
use crate::storage::{Store, StoreError};
use crate::vigilance::device::Device;
use crate::vigilance::imdrf::CodeList;

/// The job kind's name.
pub const KIND: &str = "report";

/// Why a report request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Period(#[from] PeriodError),
    #[error("invalid request")]
    Invalid(Vec<FieldIssue>),
    #[error("personal data refused")]
    PersonalData(Vec<FieldIssue>),
    #[error("{0}")]
    Conflict(String),
    /// A PSUR requested for a member of a device group: the leading device reports for it.
    #[error(
        "device {device} is grouped under the leading device {leader}: request the PSUR for {leader}"
    )]
    NotLeading { device: String, leader: String },
    #[error("{0}")]
    Render(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn invalid(path: &str, message: impl Into<String>) -> ReportError {
    ReportError::Invalid(vec![FieldIssue {
        index: None,
        path: path.into(),
        code: "invalid_value".into(),
        message: message.into(),
    }])
}

/// What a `report` job generates (its payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub kind: ReportKind,
    pub device: String,
    pub period: Period,
}

pub(crate) fn device(store: &dyn Store, basic: &str) -> Result<Device, ReportError> {
    store
        .device(basic)?
        .ok_or_else(|| ReportError::NotFound(format!("device {basic}")))
}

/// Check a request against the device's class, certificate date and earlier reports.
pub fn check_request(store: &dyn Store, r: &ReportRequest) -> Result<Device, ReportError> {
    let d = device(store, &r.device)?;
    if r.kind == ReportKind::Trend {
        // Any observation period (they may overlap); the document is made when the job runs.
        return match (r.period.to - r.period.from).num_days() {
            n if n < 0 => Err(invalid("period.to", "must not be before period.from")),
            n if n > 731 => Err(invalid(
                "period.to",
                "a trend period spans at most two years",
            )),
            _ => {
                let software = store.device_software(&d.basic_udi_di)?;
                let planned = data::model_names(&software)
                    .iter()
                    .any(|m| super::trend::trend_plan(store, m).is_ok());
                if !planned {
                    return Err(invalid(
                        "device",
                        "no model of the device has a PMS plan with a [trend] section",
                    ));
                }
                Ok(d)
            }
        };
    }
    if r.kind == ReportKind::Psur
        && let Some(leader) = super::device_groups::leader_of(store, &d.basic_udi_di)?
    {
        return Err(ReportError::NotLeading {
            device: d.basic_udi_di.clone(),
            leader,
        });
    }
    let mut previous: Vec<Period> = store
        .device_reports(&d.basic_udi_di, r.kind)?
        .into_iter()
        .map(|p| p.period)
        .collect();
    previous.dedup();
    let rules = PeriodRules {
        kind: r.kind,
        class: d.mdr_class,
        // The certificate date: the register's "first made available" date of the software.
        anchor: d.first_available,
        previous: &previous,
    };
    check_period(&rules, r.period)?;
    Ok(d)
}

/// Check and queue a report job (subject: the device).
pub fn request_report(
    store: &dyn Store,
    registry: &Registry,
    r: &ReportRequest,
    (actor, now): (&Actor, DateTime<Utc>),
) -> Result<Job, ReportError> {
    check_request(store, r)?;
    let payload = serde_json::to_value(r).map_err(|e| ReportError::Render(e.to_string()))?;
    let mut job = registry
        .new_job(KIND, payload, &actor.0, now)
        .ok_or_else(|| ReportError::Conflict("the report job kind is not registered".into()))?;
    job.subject = Some(r.device.clone());
    Ok(store.enqueue_job(&job)?)
}

/// Gather everything a PSUR or PMS report is assembled from.
pub fn gather(
    store: &dyn Store,
    codes: &CodeList,
    r: &ReportRequest,
) -> Result<ReportInput, ReportError> {
    let d = device(store, &r.device)?;
    let group = match r.kind {
        ReportKind::Psur => super::device_groups::group_facts(store, &d.basic_udi_di, r.period)?,
        _ => None,
    };
    // A group's PSUR covers the model versions of every device in it.
    let mut software = store.device_software(&d.basic_udi_di)?;
    for m in group.iter().flat_map(|g| &g.members) {
        software.extend(m.software.iter().cloned());
    }
    let models: Vec<String> = software.iter().map(|s| s.model_id.clone()).collect();
    let names = data::model_names(&software);
    let periods = data::report_periods(&d, r.kind, r.period);
    let mut usage = Vec::new();
    for p in &periods {
        usage.push(PeriodUsage {
            period: *p,
            usage: store.usage_counts(&models, *p)?,
        });
    }
    let span = Period {
        from: periods.last().map_or(r.period.from, |p| p.from),
        to: r.period.to,
    };
    let (charts, findings) = data::findings(store, &models, r.period)?;
    let earlier = store.device_reports(&d.basic_udi_di, r.kind)?;
    let previous = earlier
        .iter()
        .filter(|p| p.period.to + Duration::days(1) == r.period.from)
        .max_by_key(|p| p.version)
        .map(|p| PreviousReport {
            reference: p.reference.clone(),
            version: p.version,
            period: p.period,
            figures: p.figures.clone(),
        });
    let version = 1 + earlier.iter().filter(|p| p.period == r.period).count() as i64;
    let narratives: BTreeMap<String, String> = store
        .narratives(&d.basic_udi_di, r.kind, r.period)?
        .into_iter()
        .map(|n| (n.field, n.text))
        .collect();
    Ok(ReportInput {
        kind: r.kind,
        reference: format!("{}-{}", r.kind.as_str().to_uppercase(), d.basic_udi_di),
        version,
        period: r.period,
        min_cell_k: data::min_cell_k(store, &names)?,
        incidents: data::incidents(store, codes, &models, span)?,
        quality: store.quality_sums(&models, r.period)?,
        alerts: data::alerts(store, &models, r.period)?,
        shadow_runs: data::shadow_runs(store, &names, r.period)?,
        retraining: store.retraining_requests(&names, r.period)?,
        usage,
        charts,
        findings,
        narratives,
        previous,
        software,
        device: d,
        group,
    })
}

/// Render a document as JSON and PDF and put both into the blob store: (json, pdf) keys.
pub fn render_and_put(
    blobs: &dyn BlobStore,
    doc: &Document,
) -> Result<(String, String), ReportError> {
    let json =
        crate::rendering::render_json(doc).map_err(|e| ReportError::Render(e.to_string()))?;
    let pdf = crate::rendering::render_pdf(doc).map_err(|e| ReportError::Render(e.to_string()))?;
    let put = |b: &[u8]| {
        blobs
            .put_bytes(b)
            .map(|s| s.key.to_string())
            .map_err(|e| ReportError::Render(e.to_string()))
    };
    Ok((put(&json)?, put(&pdf)?))
}

/// Store a rendered document as report `id` of a device (any kind; trend reports use this).
pub fn store_document(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    who: (&str, &str, &Actor),
    doc: &Document,
) -> Result<ReportRecord, ReportError> {
    let keys = render_and_put(blobs, doc)?;
    record_document(store, who, doc, keys)
}

/// Record a document already rendered into the blob store (`keys`: json, pdf), audited.
pub fn record_document(
    store: &dyn Store,
    (id, basic_udi_di, actor): (&str, &str, &Actor),
    doc: &Document,
    (json_key, pdf_key): (String, String),
) -> Result<ReportRecord, ReportError> {
    let record = ReportRecord {
        id: id.into(),
        kind: doc.kind,
        basic_udi_di: basic_udi_di.into(),
        period: doc.period,
        version: doc.version,
        reference: doc.reference.clone(),
        data_fingerprint: doc.data_fingerprint.clone(),
        pdf_sha256: pdf_key,
        json_sha256: json_key,
        figures: doc.figures.clone(),
        missing_narratives: doc.missing_narratives(),
        generated_by: actor.0.clone(),
        generated_at: doc.generated_at,
        approval: None,
        approved_pdf_sha256: None,
        approved_json_sha256: None,
    };
    let details = json!({"kind": doc.kind, "period": doc.period, "version": doc.version, "data_fingerprint": doc.data_fingerprint, "pdf_sha256": record.pdf_sha256, "json_sha256": record.json_sha256});
    store.store_report(&record, &audit_draft(actor, "report.generate", id, details))?;
    Ok(record)
}

/// The trend document of a requested report (`kind: trend`).
fn trend_document(
    store: &dyn Store,
    r: &ReportRequest,
    now: DateTime<Utc>,
) -> Result<Document, ReportError> {
    use super::trend::TrendServiceError as T;
    let d = device(store, &r.device)?;
    super::trend_report::requested_document(store, &d, r.period, now).map_err(|e| match e {
        T::Store(s) => ReportError::Store(s),
        T::NoTrendSection(_) => invalid(
            "device",
            "no model of the device has a PMS plan with a [trend] section",
        ),
        other => ReportError::Render(other.to_string()),
    })
}

/// The `report` kind's handler.
pub struct ReportHandler {
    pub store: Arc<dyn Store>,
    pub codes: Arc<CodeList>,
}

fn failure(e: ReportError) -> JobFailure {
    match e {
        ReportError::Store(s) => s.into(),
        other => JobFailure::Fatal(other.to_string()),
    }
}

impl JobHandler for ReportHandler {
    fn run(&self, ctx: &JobContext<'_>) -> Result<JobOutput, JobFailure> {
        let r: ReportRequest = ctx.payload()?;
        let store = &*self.store;
        let steps = 4;
        ctx.progress(0, steps, "gathering data")?;
        let doc = if r.kind == ReportKind::Trend {
            trend_document(store, &r, ctx.now()).map_err(failure)?
        } else {
            let input = gather(store, &self.codes, &r).map_err(failure)?;
            if ctx.is_cancelled() {
                return Err(JobFailure::Stopped);
            }
            ctx.progress(1, steps, "assembling")?;
            assemble(&input, ctx.now())
        };
        ctx.progress(2, steps, "rendering PDF and JSON")?;
        let actor = Actor(ctx.job().requested_by.clone());
        let record = store_document(store, ctx.blobs(), (&ctx.job().id, &r.device, &actor), &doc)
            .map_err(failure)?;
        ctx.progress(steps, steps, "stored")?;
        Ok(JobOutput {
            result: Some(
                json!({"report_id": record.id, "pdf_sha256": record.pdf_sha256, "json_sha256": record.json_sha256, "data_fingerprint": record.data_fingerprint, "missing_narratives": record.missing_narratives}),
            ),
            result_blob: Some(record.pdf_sha256),
        })
    }
}

/// Approve a report: re-render its stored document with the approval (no DRAFT marking) and
/// record both renderings; the draft blobs stay as they were.
pub fn approve(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ReportRecord, ReportError> {
    let record = store
        .report(id)?
        .ok_or_else(|| ReportError::NotFound(format!("report {id}")))?;
    if record.approval.is_some() {
        return Err(ReportError::Conflict(format!(
            "report {id} is approved already"
        )));
    }
    let key =
        BlobKey::parse(&record.json_sha256).map_err(|e| ReportError::Render(e.to_string()))?;
    let bytes = blobs
        .get(&key)
        .map_err(|e| ReportError::Render(e.to_string()))?;
    let mut doc: Document =
        serde_json::from_slice(&bytes).map_err(|e| ReportError::Render(e.to_string()))?;
    let approval = Approval {
        by: actor.0.clone(),
        at: now,
    };
    doc.approval = Some(approval.clone());
    let (json_key, pdf_key) = render_and_put(blobs, &doc)?;
    let details = json!({"data_fingerprint": record.data_fingerprint, "pdf_sha256": pdf_key, "json_sha256": json_key});
    store.approve_report(
        id,
        &approval,
        (&pdf_key, &json_key),
        &audit_draft(actor, "report.approve", id, details),
    )?;
    store
        .report(id)?
        .ok_or_else(|| ReportError::NotFound(format!("report {id}")))
}

impl From<ReportError> for crate::error::AppError {
    fn from(e: ReportError) -> Self {
        use crate::error::AppError;
        match e {
            ReportError::NotFound(what) => AppError::NotFound(what),
            ReportError::Period(p) => AppError::Rule {
                code: "report_period_invalid",
                conflict: false,
                message: p.to_string(),
                details: vec![FieldIssue {
                    index: None,
                    path: p.field.into(),
                    code: "invalid_value".into(),
                    message: p.message,
                }],
            },
            ReportError::Invalid(details) => AppError::Validation {
                message: "invalid fields; details name each".into(),
                details,
            },
            ReportError::PersonalData(details) => AppError::PersonalData { details },
            ReportError::Conflict(m) => AppError::Conflict(m),
            e @ ReportError::NotLeading { .. } => AppError::Rule {
                code: "psur_for_leading_device_only",
                conflict: false,
                message: e.to_string(),
                details: vec![FieldIssue {
                    index: None,
                    path: "device".into(),
                    code: "invalid_value".into(),
                    message: e.to_string(),
                }],
            },
            ReportError::Render(m) => AppError::Internal(m),
            ReportError::Store(s) => s.into(),
        }
    }
}
