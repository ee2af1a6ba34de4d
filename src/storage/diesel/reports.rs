//! Reports and narrative drafts in SQL (`reports`, `report_narratives`): rows hold blob keys,
//! the data fingerprint, key figures and missing narratives as JSON text, and the approval.
//! Every write carries its audit entry in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::audited_tx;
use super::devices::{day, json_err};
use super::rows::{naive, utc};
use super::schema::{report_narratives, reports};
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::reports::{Approval, Period, ReportKind};
use crate::storage::StoreError;
use crate::storage::reports::{NarrativeDraft, ReportRecord, ReportStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = reports)]
struct ReportRow {
    id: String,
    kind: String,
    basic_udi_di: String,
    period_from: String,
    period_to: String,
    version: i64,
    reference: String,
    data_fingerprint: String,
    pdf_sha256: String,
    json_sha256: String,
    figures: String,
    missing_narratives: String,
    generated_by: String,
    generated_at: NaiveDateTime,
    approved_by: Option<String>,
    approved_at: Option<NaiveDateTime>,
    approved_pdf_sha256: Option<String>,
    approved_json_sha256: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = report_narratives)]
struct NarrativeRow {
    basic_udi_di: String,
    kind: String,
    period_from: String,
    period_to: String,
    field: String,
    body: String,
    updated_by: String,
    updated_at: NaiveDateTime,
}

fn kind(s: &str) -> Result<ReportKind, StoreError> {
    ReportKind::parse(s).ok_or_else(|| StoreError::Other(format!("stored report kind {s:?}")))
}

impl ReportRow {
    fn from_record(r: &ReportRecord) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id.clone(),
            kind: r.kind.as_str().into(),
            basic_udi_di: r.basic_udi_di.clone(),
            period_from: r.period.from.to_string(),
            period_to: r.period.to.to_string(),
            version: r.version,
            reference: r.reference.clone(),
            data_fingerprint: r.data_fingerprint.clone(),
            pdf_sha256: r.pdf_sha256.clone(),
            json_sha256: r.json_sha256.clone(),
            figures: serde_json::to_string(&r.figures).map_err(json_err)?,
            missing_narratives: serde_json::to_string(&r.missing_narratives).map_err(json_err)?,
            generated_by: r.generated_by.clone(),
            generated_at: naive(r.generated_at),
            approved_by: r.approval.as_ref().map(|a| a.by.clone()),
            approved_at: r.approval.as_ref().map(|a| naive(a.at)),
            approved_pdf_sha256: r.approved_pdf_sha256.clone(),
            approved_json_sha256: r.approved_json_sha256.clone(),
        })
    }

    fn into_record(self) -> Result<ReportRecord, StoreError> {
        let approval = match (self.approved_by, self.approved_at) {
            (Some(by), Some(at)) => Some(Approval { by, at: utc(at) }),
            _ => None,
        };
        Ok(ReportRecord {
            kind: kind(&self.kind)?,
            period: Period {
                from: day(&self.period_from)?,
                to: day(&self.period_to)?,
            },
            figures: serde_json::from_str(&self.figures).map_err(json_err)?,
            missing_narratives: serde_json::from_str(&self.missing_narratives).map_err(json_err)?,
            generated_at: utc(self.generated_at),
            approval,
            id: self.id,
            basic_udi_di: self.basic_udi_di,
            version: self.version,
            reference: self.reference,
            data_fingerprint: self.data_fingerprint,
            pdf_sha256: self.pdf_sha256,
            json_sha256: self.json_sha256,
            generated_by: self.generated_by,
            approved_pdf_sha256: self.approved_pdf_sha256,
            approved_json_sha256: self.approved_json_sha256,
        })
    }
}

impl NarrativeRow {
    fn from_draft(d: &NarrativeDraft) -> Self {
        Self {
            basic_udi_di: d.basic_udi_di.clone(),
            kind: d.kind.as_str().into(),
            period_from: d.period.from.to_string(),
            period_to: d.period.to.to_string(),
            field: d.field.clone(),
            body: d.text.clone(),
            updated_by: d.updated_by.clone(),
            updated_at: naive(d.updated_at),
        }
    }

    fn into_draft(self) -> Result<NarrativeDraft, StoreError> {
        Ok(NarrativeDraft {
            kind: kind(&self.kind)?,
            period: Period {
                from: day(&self.period_from)?,
                to: day(&self.period_to)?,
            },
            updated_at: utc(self.updated_at),
            basic_udi_di: self.basic_udi_di,
            field: self.field,
            text: self.body,
            updated_by: self.updated_by,
        })
    }
}

impl ReportStore for DieselStore {
    fn store_report(&self, report: &ReportRecord, audit: &AuditDraft) -> Result<(), StoreError> {
        let row = ReportRow::from_record(report)?;
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::insert_into(reports::table)
                .values(&row)
                .execute(c));
        r.map(|_| ()).map_err(map_err("report"))
    }

    fn report(&self, id: &str) -> Result<Option<ReportRecord>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<ReportRow>> = with_conn!(&mut *conn, |c| reports::table
            .filter(reports::id.eq(id))
            .select(ReportRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("report"))?
            .map(ReportRow::into_record)
            .transpose()
    }

    fn device_reports(
        &self,
        basic_udi_di: &str,
        kind: ReportKind,
    ) -> Result<Vec<ReportRecord>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<ReportRow>> = with_conn!(&mut *conn, |c| reports::table
            .filter(reports::basic_udi_di.eq(basic_udi_di))
            .filter(reports::kind.eq(kind.as_str()))
            .order((reports::period_from.asc(), reports::version.asc()))
            .select(ReportRow::as_select())
            .load(c));
        rows.map_err(map_err("report"))?
            .into_iter()
            .map(ReportRow::into_record)
            .collect()
    }

    fn approve_report(
        &self,
        id: &str,
        approval: &Approval,
        (pdf, json): (&str, &str),
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let at = naive(approval.at);
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::update(
            reports::table
                .filter(reports::id.eq(id))
                .filter(reports::approved_by.is_null())
        )
        .set((
            reports::approved_by.eq(Some(approval.by.as_str())),
            reports::approved_at.eq(Some(at)),
            reports::approved_pdf_sha256.eq(Some(pdf)),
            reports::approved_json_sha256.eq(Some(json)),
        ))
        .execute(c));
        match r.map_err(map_err("report"))? {
            0 => Err(StoreError::Conflict(format!("report {id} approval"))),
            _ => Ok(()),
        }
    }

    fn put_narratives(
        &self,
        drafts: &[NarrativeDraft],
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let rows: Vec<NarrativeRow> = drafts.iter().map(NarrativeRow::from_draft).collect();
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| {
            let mut n = 0;
            for row in &rows {
                diesel::delete(
                    report_narratives::table
                        .filter(report_narratives::basic_udi_di.eq(&row.basic_udi_di))
                        .filter(report_narratives::kind.eq(&row.kind))
                        .filter(report_narratives::period_from.eq(&row.period_from))
                        .filter(report_narratives::period_to.eq(&row.period_to))
                        .filter(report_narratives::field.eq(&row.field)),
                )
                .execute(c)?;
                n += diesel::insert_into(report_narratives::table)
                    .values(row)
                    .execute(c)?;
            }
            QueryResult::Ok(n)
        });
        r.map(|_| ()).map_err(map_err("narrative draft"))
    }

    fn narratives(
        &self,
        basic_udi_di: &str,
        kind: ReportKind,
        period: Period,
    ) -> Result<Vec<NarrativeDraft>, StoreError> {
        let mut conn = self.conn()?;
        let (from, to) = (period.from.to_string(), period.to.to_string());
        let rows: QueryResult<Vec<NarrativeRow>> =
            with_conn!(&mut *conn, |c| report_narratives::table
                .filter(report_narratives::basic_udi_di.eq(basic_udi_di))
                .filter(report_narratives::kind.eq(kind.as_str()))
                .filter(report_narratives::period_from.eq(&from))
                .filter(report_narratives::period_to.eq(&to))
                .order(report_narratives::field.asc())
                .select(NarrativeRow::as_select())
                .load(c));
        rows.map_err(map_err("narrative draft"))?
            .into_iter()
            .map(NarrativeRow::into_draft)
            .collect()
    }
}
