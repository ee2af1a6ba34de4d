//! Plan backtest records in SQL (`plan_backtests`); the insert carries its audit entry.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::audited_tx;
use super::devices::day;
use super::rows::{naive, utc};
use super::schema::plan_backtests;
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::storage::plan_backtests::{PlanBacktestRecord, PlanBacktestStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_backtests)]
struct PlanBacktestRow {
    id: String,
    model: String,
    plan_sha256: String,
    from_day: String,
    to_day: String,
    would_alerts: i64,
    in_force_alerts: i64,
    created_at: NaiveDateTime,
    created_by: String,
}

impl PlanBacktestRow {
    fn from_record(r: &PlanBacktestRecord) -> Self {
        Self {
            id: r.id.clone(),
            model: r.model.clone(),
            plan_sha256: r.plan_sha256.clone(),
            from_day: r.from_day.to_string(),
            to_day: r.to_day.to_string(),
            would_alerts: r.would_alerts,
            in_force_alerts: r.in_force_alerts,
            created_at: naive(r.created_at),
            created_by: r.created_by.clone(),
        }
    }

    fn into_record(self) -> Result<PlanBacktestRecord, StoreError> {
        Ok(PlanBacktestRecord {
            from_day: day(&self.from_day)?,
            to_day: day(&self.to_day)?,
            created_at: utc(self.created_at),
            id: self.id,
            model: self.model,
            plan_sha256: self.plan_sha256,
            would_alerts: self.would_alerts,
            in_force_alerts: self.in_force_alerts,
            created_by: self.created_by,
        })
    }
}

impl PlanBacktestStore for DieselStore {
    fn insert_plan_backtest(
        &self,
        record: &PlanBacktestRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = PlanBacktestRow::from_record(record);
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::insert_into(
            plan_backtests::table
        )
        .values(&row)
        .execute(c));
        r.map(|_| ()).map_err(map_err("plan backtest"))
    }

    fn plan_backtests(&self, model: &str) -> Result<Vec<PlanBacktestRecord>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<PlanBacktestRow>> = with_conn!(&mut *conn, |c| {
            plan_backtests::table
                .filter(plan_backtests::model.eq(model))
                .order((plan_backtests::created_at.asc(), plan_backtests::id.asc()))
                .select(PlanBacktestRow::as_select())
                .load(c)
        });
        rows.map_err(map_err("plan backtest"))?
            .into_iter()
            .map(PlanBacktestRow::into_record)
            .collect()
    }
}
