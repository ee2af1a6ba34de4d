//! Evaluation jobs, their findings and the monitor cursor. Jobs form a queue with a lease:
//! a claim runs in one write transaction (SQLite's `BEGIN IMMEDIATE`; on PostgreSQL under a
//! transaction-scoped advisory lock), so across replicas at most one job runs at a time, and a
//! job whose evaluator died is failed once its lease runs out.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::rows::{naive, utc};
use super::schema::{evaluations, findings, monitor_state};
use super::{AnyConnection, DieselStore, map_err, with_conn, write_tx};
use crate::monitoring::findings::{Finding, FindingStatus, WindowKind};
use crate::storage::{EvaluationJob, FindingQuery, MonitorCursor, StoreError, StoredFinding};

/// Key of the advisory lock that serialises claims on PostgreSQL.
const CLAIM_LOCK: i64 = 0x5649_4749_4c01;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = evaluations, treat_none_as_null = true)]
struct JobRow {
    id: String,
    model_name: String,
    trigger_kind: String,
    requested_by: String,
    requested_at: NaiveDateTime,
    as_of: String,
    status: String,
    runner: Option<String>,
    lease_until: Option<NaiveDateTime>,
    started_at: Option<NaiveDateTime>,
    finished_at: Option<NaiveDateTime>,
    summary: Option<String>,
    error: Option<String>,
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

impl From<JobRow> for EvaluationJob {
    fn from(r: JobRow) -> Self {
        EvaluationJob {
            id: r.id,
            model: r.model_name,
            trigger: r.trigger_kind,
            requested_by: r.requested_by,
            requested_at: utc(r.requested_at),
            as_of: day(&r.as_of),
            status: r.status,
            runner: r.runner,
            lease_until: r.lease_until.map(utc),
            started_at: r.started_at.map(utc),
            finished_at: r.finished_at.map(utc),
            summary: r.summary,
            error: r.error,
        }
    }
}

impl From<&EvaluationJob> for JobRow {
    fn from(j: &EvaluationJob) -> Self {
        JobRow {
            id: j.id.clone(),
            model_name: j.model.clone(),
            trigger_kind: j.trigger.clone(),
            requested_by: j.requested_by.clone(),
            requested_at: naive(j.requested_at),
            as_of: j.as_of.to_string(),
            status: j.status.clone(),
            runner: j.runner.clone(),
            lease_until: j.lease_until.map(naive),
            started_at: j.started_at.map(naive),
            finished_at: j.finished_at.map(naive),
            summary: j.summary.clone(),
            error: j.error.clone(),
        }
    }
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

/// The claim itself, the same on both backends once the claim is serialised.
macro_rules! claim_body {
    ($c:ident, $runner:expr, $now:expr, $until:expr) => {{
        diesel::update(
            evaluations::table
                .filter(evaluations::status.eq("running"))
                .filter(evaluations::lease_until.lt($now)),
        )
        .set((
            evaluations::status.eq("failed"),
            evaluations::finished_at.eq($now),
            evaluations::error.eq("the evaluator lost its lease (stopped or crashed)"),
        ))
        .execute($c)?;
        let running: i64 = evaluations::table
            .filter(evaluations::status.eq("running"))
            .count()
            .get_result($c)?;
        if running > 0 {
            return Ok(None);
        }
        let next: Option<JobRow> = evaluations::table
            .filter(evaluations::status.eq("queued"))
            .order((evaluations::requested_at.asc(), evaluations::id.asc()))
            .select(JobRow::as_select())
            .first($c)
            .optional()?;
        let Some(mut job) = next else { return Ok(None) };
        (job.status, job.runner) = ("running".into(), Some($runner.to_string()));
        (job.lease_until, job.started_at) = (Some($until), Some($now));
        diesel::update(evaluations::table.find(&job.id))
            .set(&job)
            .execute($c)?;
        Ok(Some(job))
    }};
}

impl DieselStore {
    pub(crate) fn enqueue_job(&self, job: &EvaluationJob) -> Result<EvaluationJob, StoreError> {
        let mut conn = self.conn()?;
        let row = JobRow::from(job);
        let r: QueryResult<JobRow> = write_tx!(&mut *conn, |c| {
            let queued: Option<JobRow> = evaluations::table
                .filter(evaluations::model_name.eq(&row.model_name))
                .filter(evaluations::status.eq("queued"))
                .select(JobRow::as_select())
                .first(c)
                .optional()?;
            if let Some(q) = queued {
                return Ok(q);
            }
            diesel::insert_into(evaluations::table)
                .values(&row)
                .execute(c)?;
            evaluations::table
                .find(&row.id)
                .select(JobRow::as_select())
                .first(c)
        });
        r.map(EvaluationJob::from).map_err(map_err("evaluation"))
    }

    pub(crate) fn claim_job(
        &self,
        runner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<EvaluationJob>, StoreError> {
        let (now, until) = (naive(now), naive(until));
        let mut conn = self.conn()?;
        let r: QueryResult<Option<JobRow>> = match &mut *conn {
            AnyConnection::Sqlite(conn) => {
                conn.immediate_transaction(|c| claim_body!(c, runner, now, until))
            }
            AnyConnection::Postgres(conn) => conn.transaction(|c| {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({CLAIM_LOCK})"))
                    .execute(c)?;
                claim_body!(c, runner, now, until)
            }),
        };
        Ok(r.map_err(map_err("evaluation"))?.map(EvaluationJob::from))
    }

    pub(crate) fn renew_job_lease(
        &self,
        id: &str,
        runner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::update(
            evaluations::table
                .find(id)
                .filter(evaluations::status.eq("running"))
                .filter(evaluations::runner.eq(runner))
        )
        .set(evaluations::lease_until.eq(naive(until)))
        .execute(c));
        Ok(n.map_err(map_err("evaluation"))? == 1)
    }

    pub(crate) fn update_job(&self, job: &EvaluationJob) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let row = JobRow::from(job);
        let n: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::update(
            evaluations::table.find(&row.id)
        )
        .set(&row)
        .execute(c));
        n.map(|_| ()).map_err(map_err("evaluation"))
    }

    pub(crate) fn load_job(&self, id: &str) -> Result<Option<EvaluationJob>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<JobRow>> = with_conn!(&mut *conn, |c| evaluations::table
            .find(id)
            .select(JobRow::as_select())
            .first(c)
            .optional());
        Ok(row.map_err(map_err("evaluation"))?.map(EvaluationJob::from))
    }

    pub(crate) fn load_jobs(
        &self,
        model: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EvaluationJob>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<JobRow>> = with_conn!(&mut *conn, |c| {
            let mut q = evaluations::table
                .order((evaluations::requested_at.desc(), evaluations::id.desc()))
                .limit(limit)
                .select(JobRow::as_select())
                .into_boxed();
            if let Some(m) = model {
                q = q.filter(evaluations::model_name.eq(m));
            }
            q.load(c)
        });
        Ok(rows
            .map_err(map_err("evaluations"))?
            .into_iter()
            .map(EvaluationJob::from)
            .collect())
    }

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
            // 23 columns per row; stay well under SQLite's 32766 bound parameters.
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
            if let Some(v) = &q.model_id {
                query = query.filter(findings::model_id.eq(v));
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
