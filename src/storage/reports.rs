//! Storage port of MDR documents: generated reports (kind, device, period, version, the
//! SHA-256 keys of their PDF and JSON blobs, data fingerprint, key figures, approval) and the
//! narrative drafts people enter per device, kind and period. Also the count source report
//! assembly reads (`ReportCountSource`): usage and quality aggregates per period, so the
//! switch from the raw-table fallback to the daily rollups happens in one implementation.
//! `diesel/reports.rs` implements both; writes carry their audit entry.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::audit::AuditDraft;
use crate::reports::input::{QualitySums, RetrainingFacts, UsageCounts};
use crate::reports::{Approval, Period, ReportKind};

/// A generated report as stored. Its blobs never change; approval adds approved renderings.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReportRecord {
    /// The id of the job that generated it.
    pub id: String,
    #[schema(value_type = String)]
    pub kind: ReportKind,
    pub basic_udi_di: String,
    #[schema(value_type = Object)]
    pub period: Period,
    pub version: i64,
    pub reference: String,
    pub data_fingerprint: String,
    pub pdf_sha256: String,
    pub json_sha256: String,
    pub figures: BTreeMap<String, f64>,
    /// Narrative fields shown as MISSING.
    pub missing_narratives: Vec<String>,
    pub generated_by: String,
    pub generated_at: DateTime<Utc>,
    pub approval: Option<Approval>,
    pub approved_pdf_sha256: Option<String>,
    pub approved_json_sha256: Option<String>,
}

/// One narrative field's draft text.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NarrativeDraft {
    pub basic_udi_di: String,
    #[schema(value_type = String)]
    pub kind: ReportKind,
    #[schema(value_type = Object)]
    pub period: Period,
    pub field: String,
    pub text: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// Storage of reports and narrative drafts.
pub trait ReportStore: Send + Sync {
    /// Conflict when the id exists.
    fn store_report(&self, report: &ReportRecord, audit: &AuditDraft) -> Result<(), StoreError>;
    fn report(&self, id: &str) -> Result<Option<ReportRecord>, StoreError>;
    /// A device's reports of a kind, oldest period first, then by version.
    fn device_reports(
        &self,
        basic_udi_di: &str,
        kind: ReportKind,
    ) -> Result<Vec<ReportRecord>, StoreError>;
    /// Record the approval and the approved renderings; Conflict when already approved.
    fn approve_report(
        &self,
        id: &str,
        approval: &Approval,
        renderings: (&str, &str),
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// Insert or replace drafts (same device, kind, period and field), in one transaction.
    fn put_narratives(
        &self,
        drafts: &[NarrativeDraft],
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn narratives(
        &self,
        basic_udi_di: &str,
        kind: ReportKind,
        period: Period,
    ) -> Result<Vec<NarrativeDraft>, StoreError>;
}

/// The aggregates report assembly reads for a set of model versions and a period.
pub trait ReportCountSource: Send + Sync {
    /// Studies per site, demographics and output status.
    fn usage_counts(&self, model_ids: &[String], period: Period)
    -> Result<UsageCounts, StoreError>;
    /// Dice sums per model version, label and stratum (`all`, `site=<id>`).
    fn quality_sums(
        &self,
        model_ids: &[String],
        period: Period,
    ) -> Result<Vec<QualitySums>, StoreError>;
    /// Retraining requests for the named models created in the period, oldest first.
    fn retraining_requests(
        &self,
        model_names: &[String],
        period: Period,
    ) -> Result<Vec<RetrainingFacts>, StoreError>;
}
