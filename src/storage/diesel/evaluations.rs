//! Findings of evaluations and the monitor cursor. The evaluations themselves are jobs of kind
//! `evaluation` in the generic queue (`jobs.rs`); a finding's `evaluation_id` is its job's id.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::rows::{naive, utc};
use super::schema::{findings, monitor_state};
use super::{DieselStore, map_err, versions_of, with_conn, write_tx};
use crate::monitoring::findings::{Finding, FindingStatus, WindowKind};
use crate::storage::{FindingQuery, MonitorCursor, StoreError, StoredFinding};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = findings)]
struct FindingRow {
    evaluation_id: String,
    seq: i64,
    model_id: String,
    plan_version: i64,
    baseline_id: String,
    stratum: String,
    window_kind: String,
    window_start: String,
    window_end: String,
    rule: String,
    method: String,
    status: String,
    n: i64,
    statistic: Option<f64>,
    p_value: Option<f64>,
    q_value: Option<f64>,
    estimate: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    limit_value: Option<f64>,
    fingerprint: String,
    note: Option<String>,
    created_at: NaiveDateTime,
    window_from: Option<String>,
    window_to: Option<String>,
    days_with_data: Option<i64>,
}

impl From<&StoredFinding> for FindingRow {
    fn from(s: &StoredFinding) -> Self {
        let f = &s.finding;
        FindingRow {
            evaluation_id: s.evaluation_id.clone(),
            seq: s.seq,
            model_id: s.model_id.clone(),
            plan_version: s.plan_version,
            baseline_id: s.baseline_id.clone(),
            stratum: f.stratum.clone(),
            window_kind: f.window.as_str().into(),
            window_start: f.window_start.to_string(),
            window_end: f.window_end.to_string(),
            rule: f.rule.clone(),
            method: f.method.clone(),
            status: f.status.as_str().into(),
            n: f.n as i64,
            statistic: f.statistic,
            p_value: f.p_value,
            q_value: f.q_value,
            estimate: f.estimate,
            ci_low: f.ci_low,
            ci_high: f.ci_high,
            limit_value: f.limit,
            fingerprint: f.fingerprint.clone(),
            note: f.note.clone(),
            created_at: naive(s.created_at),
            window_from: f.window_from.map(|d| d.to_string()),
            window_to: f.window_to.map(|d| d.to_string()),
            days_with_data: f.days_with_data.map(i64::from),
        }
    }
}

impl From<FindingRow> for StoredFinding {
    fn from(r: FindingRow) -> Self {
        StoredFinding {
            evaluation_id: r.evaluation_id,
            seq: r.seq,
            model_id: r.model_id,
            plan_version: r.plan_version,
            baseline_id: r.baseline_id,
            finding: Finding {
                stratum: r.stratum,
                window: WindowKind::parse(&r.window_kind).unwrap_or(WindowKind::Day),
                window_start: day(&r.window_start),
                window_end: day(&r.window_end),
                window_from: r.window_from.as_deref().map(day),
                window_to: r.window_to.as_deref().map(day),
                days_with_data: r.days_with_data.and_then(|n| u32::try_from(n).ok()),
                rule: r.rule,
                method: r.method,
                status: FindingStatus::parse(&r.status).unwrap_or(FindingStatus::Insufficient),
                n: r.n.max(0) as u64,
                statistic: r.statistic,
                p_value: r.p_value,
                q_value: r.q_value,
                estimate: r.estimate,
                ci_low: r.ci_low,
                ci_high: r.ci_high,
                limit: r.limit_value,
                fingerprint: r.fingerprint,
                note: r.note,
            },
            created_at: utc(r.created_at),
        }
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = monitor_state)]
struct CursorRow {
    model_id: String,
    through_day: String,
    baseline_id: String,
    plan_version: i64,
    state: String,
    updated_at: NaiveDateTime,
}

impl DieselStore {
    pub(crate) fn save_monitor_progress(
        &self,
        found: &[StoredFinding],
        cursor: &MonitorCursor,
    ) -> Result<(), StoreError> {
        let rows: Vec<FindingRow> = found.iter().map(FindingRow::from).collect();
        let cur = CursorRow {
            model_id: cursor.model_id.clone(),
            through_day: cursor.through.to_string(),
            baseline_id: cursor.baseline_id.clone(),
            plan_version: cursor.plan_version,
            state: cursor.state.clone(),
            updated_at: naive(cursor.updated_at),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<()> = write_tx!(&mut *conn, |c| {
            // 26 columns per row; stay well under SQLite's 32766 bound parameters.
            for chunk in rows.chunks(1000) {
                diesel::insert_into(findings::table)
                    .values(chunk)
                    .execute(c)?;
            }
            diesel::insert_into(monitor_state::table)
                .values(&cur)
                .on_conflict(monitor_state::model_id)
                .do_update()
                .set(&cur)
                .execute(c)?;
            Ok(())
        });
        r.map_err(map_err("findings"))
    }

    pub(crate) fn load_cursor(&self, model_id: &str) -> Result<Option<MonitorCursor>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<CursorRow>> = with_conn!(&mut *conn, |c| monitor_state::table
            .find(model_id)
            .select(CursorRow::as_select())
            .first(c)
            .optional());
        Ok(row
            .map_err(map_err("monitor state"))?
            .map(|r| MonitorCursor {
                model_id: r.model_id,
                through: day(&r.through_day),
                baseline_id: r.baseline_id,
                plan_version: r.plan_version,
                state: r.state,
                updated_at: utc(r.updated_at),
            }))
    }

    pub(crate) fn load_findings(&self, q: &FindingQuery) -> Result<Vec<StoredFinding>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<FindingRow>> = with_conn!(&mut *conn, |c| {
            let mut query = findings::table
                .order((
                    findings::window_end.asc(),
                    findings::evaluation_id.asc(),
                    findings::seq.asc(),
                ))
                .limit(q.limit)
                .select(FindingRow::as_select())
                .into_boxed();
            if let Some((end, eval, seq)) = &q.after {
                // Keyset paging in the list's order (window end, evaluation, sequence).
                let end = end.to_string();
                query = query.filter(
                    findings::window_end
                        .gt(end.clone())
                        .or(findings::window_end
                            .eq(end.clone())
                            .and(findings::evaluation_id.gt(eval.clone())))
                        .or(findings::window_end
                            .eq(end)
                            .and(findings::evaluation_id.eq(eval.clone()))
                            .and(findings::seq.gt(*seq))),
                );
            }
            if let Some(v) = &q.model_id {
                // A model name matches all its versions (`name@version`), as everywhere.
                query = query.filter(
                    findings::model_id
                        .eq(v)
                        .or(findings::model_id.like(versions_of(v)).escape('\\')),
                );
            }
            if let Some(v) = &q.evaluation_id {
                query = query.filter(findings::evaluation_id.eq(v));
            }
            if let Some(v) = &q.rule {
                query = query.filter(findings::rule.eq(v));
            }
            if let Some(v) = &q.stratum {
                query = query.filter(findings::stratum.eq(v));
            }
            if let Some(v) = q.window {
                query = query.filter(findings::window_kind.eq(v.as_str()));
            }
            if let Some(v) = q.status {
                query = query.filter(findings::status.eq(v.as_str()));
            }
            if let Some(v) = q.from {
                query = query.filter(findings::window_end.gt(v.to_string()));
            }
            query.load(c)
        });
        Ok(rows
            .map_err(map_err("findings"))?
            .into_iter()
            .map(StoredFinding::from)
            .collect())
    }
}
