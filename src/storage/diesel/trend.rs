//! Trend report records in SQL (`trend_reports`); the insert carries its audit entry.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::audited_tx;
use super::devices::day;
use super::rows::{naive, utc};
use super::schema::trend_reports;
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::storage::trend::{TrendReportRecord, TrendStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = trend_reports)]
struct TrendReportRow {
    id: String,
    model_name: String,
    class_name: String,
    period_from: String,
    period_to: String,
    plan_version: i64,
    alert_id: Option<String>,
    json_sha256: String,
    xml_sha256: String,
    pdf_sha256: Option<String>,
    created_at: NaiveDateTime,
    created_by: String,
}

impl TrendReportRow {
    fn from_record(r: &TrendReportRecord) -> Self {
        Self {
            id: r.id.clone(),
            model_name: r.model_name.clone(),
            class_name: r.class_name.clone(),
            period_from: r.period_from.to_string(),
            period_to: r.period_to.to_string(),
            plan_version: r.plan_version,
            alert_id: r.alert_id.clone(),
            json_sha256: r.json_sha256.clone(),
            xml_sha256: r.xml_sha256.clone(),
            pdf_sha256: r.pdf_sha256.clone(),
            created_at: naive(r.created_at),
            created_by: r.created_by.clone(),
        }
    }

    fn into_record(self) -> Result<TrendReportRecord, StoreError> {
        Ok(TrendReportRecord {
            period_from: day(&self.period_from)?,
            period_to: day(&self.period_to)?,
            created_at: utc(self.created_at),
            id: self.id,
            model_name: self.model_name,
            class_name: self.class_name,
            plan_version: self.plan_version,
            alert_id: self.alert_id,
            json_sha256: self.json_sha256,
            xml_sha256: self.xml_sha256,
            pdf_sha256: self.pdf_sha256,
            created_by: self.created_by,
        })
    }
}

fn records(rows: QueryResult<Vec<TrendReportRow>>) -> Result<Vec<TrendReportRecord>, StoreError> {
    rows.map_err(map_err("trend report"))?
        .into_iter()
        .map(TrendReportRow::into_record)
        .collect()
}

impl TrendStore for DieselStore {
    fn insert_trend_report(
        &self,
        record: &TrendReportRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = TrendReportRow::from_record(record);
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::insert_into(
            trend_reports::table
        )
        .values(&row)
        .execute(c));
        r.map(|_| ()).map_err(map_err("trend report"))
    }

    fn trend_reports(&self, model: Option<&str>) -> Result<Vec<TrendReportRecord>, StoreError> {
        let mut conn = self.conn()?;
        let rows = with_conn!(&mut *conn, |c| {
            let mut q = trend_reports::table
                .order((trend_reports::created_at.desc(), trend_reports::id.desc()))
                .select(TrendReportRow::as_select())
                .into_boxed();
            if let Some(m) = model {
                q = q.filter(trend_reports::model_name.eq(m));
            }
            q.load(c)
        });
        records(rows)
    }

    fn trend_report(&self, id: &str) -> Result<Option<TrendReportRecord>, StoreError> {
        let mut conn = self.conn()?;
        let rows = with_conn!(&mut *conn, |c| trend_reports::table
            .find(id)
            .select(TrendReportRow::as_select())
            .load(c));
        Ok(records(rows)?.pop())
    }

    fn trend_report_for(
        &self,
        model: &str,
        class: &str,
        period_to: chrono::NaiveDate,
    ) -> Result<Option<TrendReportRecord>, StoreError> {
        let mut conn = self.conn()?;
        let to = period_to.to_string();
        let rows = with_conn!(&mut *conn, |c| trend_reports::table
            .filter(trend_reports::model_name.eq(model))
            .filter(trend_reports::class_name.eq(class))
            .filter(trend_reports::period_to.eq(&to))
            .select(TrendReportRow::as_select())
            .load(c));
        Ok(records(rows)?.pop())
    }
}
