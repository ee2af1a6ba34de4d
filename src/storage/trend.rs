//! Storage port of the Art. 88 trend reports: one record per model, event class and last day of
//! the observation period, pointing at its JSON report and `mtrType` XML in the blob store.
//! `diesel/trend.rs` implements it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::audit::AuditDraft;

/// A drafted trend report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendReportRecord {
    pub id: String,
    pub model_name: String,
    pub class_name: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub plan_version: i64,
    pub alert_id: Option<String>,
    pub json_sha256: String,
    pub xml_sha256: String,
    /// Not rendered yet: the PDF renderer comes with the MDR reports.
    pub pdf_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// Trend reports.
pub trait TrendStore: Send + Sync {
    /// Store the record with its audit entry; `Conflict` when the model, class and period end
    /// already have one.
    fn insert_trend_report(
        &self,
        record: &TrendReportRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// Newest first; `model` is a model name.
    fn trend_reports(&self, model: Option<&str>) -> Result<Vec<TrendReportRecord>, StoreError>;
    fn trend_report(&self, id: &str) -> Result<Option<TrendReportRecord>, StoreError>;
    /// The report of a model, class and period end, if drafted.
    fn trend_report_for(
        &self,
        model: &str,
        class: &str,
        period_to: NaiveDate,
    ) -> Result<Option<TrendReportRecord>, StoreError>;
}
