//! `OpsStore` in SQL: small grouped counts for the operational metrics. Each query groups
//! by a bounded column; the per-site last contact uses the `(site_id, received_at)` index,
//! one indexed lookup per site, instead of scanning every event.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use super::rows::utc;
use super::schema::{alerts, events, findings, jobs, outbox, reviews, sites};
use super::{AnyConnection, DieselStore, with_conn};
use crate::storage::StoreError;
use crate::storage::evaluations::KIND as EVALUATION;
use crate::storage::ops::{LabelCount, OpsSnapshot, OpsStore};

fn other(e: diesel::result::Error) -> StoreError {
    StoreError::Other(e.to_string())
}

fn one(rows: Vec<(String, i64)>) -> Vec<LabelCount> {
    rows.into_iter()
        .map(|(l, count)| LabelCount {
            labels: vec![l],
            count,
        })
        .collect()
}

fn two(rows: Vec<(String, String, i64)>) -> Vec<LabelCount> {
    rows.into_iter()
        .map(|(a, b, count)| LabelCount {
            labels: vec![a, b],
            count,
        })
        .collect()
}

/// Findings grouped by rule, folded to the rule's kind (the part before `:`).
fn finding_kinds(rows: Vec<(String, String, i64)>) -> Vec<LabelCount> {
    let mut by_kind: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for (rule, status, n) in rows {
        let kind = rule.split(':').next().unwrap_or(&rule).to_string();
        *by_kind.entry((kind, status)).or_default() += n;
    }
    by_kind
        .into_iter()
        .map(|((k, s), count)| LabelCount {
            labels: vec![k, s],
            count,
        })
        .collect()
}

fn last_contact(conn: &mut AnyConnection) -> QueryResult<Vec<(String, Option<NaiveDateTime>)>> {
    let ids: Vec<String> = with_conn!(&mut *conn, |c| sites::table
        .filter(sites::disabled.eq(false))
        .select(sites::id)
        .order(sites::id)
        .load(c))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let at: Option<NaiveDateTime> = with_conn!(&mut *conn, |c| events::table
            .filter(events::site_id.eq(&id))
            .select(max(events::received_at))
            .first(c))?;
        out.push((id, at));
    }
    Ok(out)
}

/// Per model: the finish time and run time of its latest successful evaluation.
fn last_evaluations(conn: &mut AnyConnection) -> QueryResult<Vec<(String, NaiveDateTime, f64)>> {
    let models: Vec<Option<String>> = with_conn!(&mut *conn, |c| jobs::table
        .filter(jobs::kind.eq(EVALUATION))
        .select(jobs::subject)
        .distinct()
        .load(c))?;
    let mut out = Vec::new();
    for m in models.into_iter().flatten() {
        let last: Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)> =
            with_conn!(&mut *conn, |c| jobs::table
                .filter(jobs::kind.eq(EVALUATION))
                .filter(jobs::subject.eq(&m))
                .filter(jobs::state.eq("succeeded"))
                .filter(jobs::finished_at.is_not_null())
                .order(jobs::finished_at.desc())
                .select((jobs::finished_at, jobs::started_at))
                .first(c)
                .optional())?;
        if let Some((Some(end), start)) = last {
            let secs = start.map_or(0.0, |s| (end - s).num_milliseconds() as f64 / 1000.0);
            out.push((m, end, secs.max(0.0)));
        }
    }
    Ok(out)
}

type ChannelCounts = Vec<(String, i64)>;

/// Undelivered messages by channel, those already retried, and the oldest one's age.
fn outbox_figures(
    conn: &mut AnyConnection,
) -> QueryResult<(ChannelCounts, ChannelCounts, Option<NaiveDateTime>)> {
    let pending = with_conn!(&mut *conn, |c| outbox::table
        .filter(outbox::sent_at.is_null())
        .group_by(outbox::channel)
        .select((outbox::channel, count_star()))
        .load(c))?;
    let retrying = with_conn!(&mut *conn, |c| outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::attempts.gt(0))
        .group_by(outbox::channel)
        .select((outbox::channel, count_star()))
        .load(c))?;
    let oldest: Option<NaiveDateTime> = with_conn!(&mut *conn, |c| outbox::table
        .filter(outbox::sent_at.is_null())
        .select(min(outbox::created_at))
        .first(c))?;
    Ok((pending, retrying, oldest))
}

fn snapshot(conn: &mut AnyConnection) -> QueryResult<OpsSnapshot> {
    let open_alerts = with_conn!(&mut *conn, |c| alerts::table
        .filter(alerts::state.ne("resolved"))
        .group_by((alerts::severity, alerts::state))
        .select((alerts::severity, alerts::state, count_star()))
        .load(c))?;
    let finding_rows = with_conn!(&mut *conn, |c| findings::table
        .group_by((findings::rule, findings::status))
        .select((findings::rule, findings::status, count_star()))
        .load(c))?;
    // Evaluations are jobs of their own kind; their statuses keep the names of the
    // evaluation API (`done` for a succeeded job).
    let eval_rows: Vec<(String, i64)> = with_conn!(&mut *conn, |c| jobs::table
        .filter(jobs::kind.eq(EVALUATION))
        .group_by(jobs::state)
        .select((jobs::state, count_star()))
        .load(c))?;
    let jobs: Vec<(String, i64)> = eval_rows
        .into_iter()
        .map(|(s, n)| (if s == "succeeded" { "done".into() } else { s }, n))
        .collect();
    let oldest_queued: Option<NaiveDateTime> = with_conn!(&mut *conn, |c| jobs::table
        .filter(jobs::kind.eq(EVALUATION))
        .filter(jobs::state.eq("queued"))
        .select(min(jobs::created_at))
        .first(c))?;
    let (pending, retrying, oldest) = outbox_figures(conn)?;
    let review_rows = with_conn!(&mut *conn, |c| reviews::table
        .group_by(reviews::outcome)
        .select((reviews::outcome, count_star()))
        .load(c))?;
    let job_rows = with_conn!(&mut *conn, |c| jobs::table
        .group_by((jobs::kind, jobs::state))
        .select((jobs::kind, jobs::state, count_star()))
        .load(c))?;
    Ok(OpsSnapshot {
        jobs: two(job_rows),
        last_contact: last_contact(conn)?
            .into_iter()
            .map(|(s, t)| (s, t.map(utc)))
            .collect(),
        open_alerts: two(open_alerts),
        findings: finding_kinds(finding_rows),
        evaluations: one(jobs),
        last_evaluation: last_evaluations(conn)?
            .into_iter()
            .map(|(m, t, d)| (m, utc(t), d))
            .collect(),
        oldest_queued_evaluation: oldest_queued.map(utc),
        outbox_pending: one(pending),
        outbox_oldest: oldest.map(utc),
        outbox_retrying: one(retrying),
        reviews: one(review_rows),
    })
}

impl OpsStore for DieselStore {
    fn ops_snapshot(&self) -> Result<OpsSnapshot, StoreError> {
        let mut conn = self.conn()?;
        snapshot(&mut conn).map_err(other)
    }
}
