//! Claiming a job, safe across processes: on SQLite the whole claim runs under `BEGIN
//! IMMEDIATE` (one writer at a time); on PostgreSQL candidate rows are locked with `FOR UPDATE
//! SKIP LOCKED`, so racing workers take different jobs without waiting on each other. Kinds
//! marked exclusive (one running job at a time across the fleet, e.g. evaluations, which
//! share alert state) take a transaction-scoped advisory lock per kind and check again.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::jobs::JobRow;
use super::rows::naive;
use super::schema::jobs;
use super::{AnyConnection, DieselStore, map_err};
use crate::storage::StoreError;
use crate::storage::jobs::{ClaimSpec, JobState};

const RUNNING: &str = "running";
const QUEUED: &str = "queued";

/// Running jobs whose lease lapsed (their runner stopped or crashed), oldest first.
macro_rules! lapsed {
    ($now:expr) => {
        jobs::table
            .filter(jobs::state.eq(RUNNING))
            .filter(jobs::lease_until.lt($now))
            .order(jobs::id.asc())
            .select(JobRow::as_select())
    };
}

/// The oldest due queued job of the allowed kinds.
macro_rules! due {
    ($now:expr, $kinds:expr) => {
        jobs::table
            .filter(jobs::state.eq(QUEUED))
            .filter(jobs::next_attempt_at.le($now))
            .filter(jobs::kind.eq_any($kinds))
            .order((jobs::created_at.asc(), jobs::id.asc()))
            .limit(1)
            .select(JobRow::as_select())
    };
}

/// Queue lapsed jobs again for a takeover (checkpoint kept), or fail them when their
/// attempts are used up.
macro_rules! requeue_lapsed {
    ($c:ident, $rows:expr, $now:expr) => {
        for row in $rows {
            if row.attempts >= row.max_attempts {
                let error = format!(
                    "the runner {} lost its lease (stopped or crashed) on attempt {} of {}",
                    row.lease_owner.as_deref().unwrap_or("?"),
                    row.attempts,
                    row.max_attempts
                );
                diesel::update(jobs::table.find(&row.id))
                    .set((
                        jobs::state.eq(JobState::Failed.as_str()),
                        jobs::finished_at.eq($now),
                        jobs::error.eq(error),
                        jobs::lease_owner.eq(None::<String>),
                        jobs::lease_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute($c)?;
            } else {
                diesel::update(jobs::table.find(&row.id))
                    .set((
                        jobs::state.eq(QUEUED),
                        jobs::next_attempt_at.eq($now),
                        jobs::lease_owner.eq(None::<String>),
                        jobs::lease_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute($c)?;
            }
        }
    };
}

/// Kinds the claim may take: the runner's, less exclusive kinds that have a running job.
macro_rules! allowed_kinds {
    ($c:ident, $spec:expr) => {{
        let busy: Vec<String> = jobs::table
            .filter(jobs::state.eq(RUNNING))
            .filter(jobs::kind.eq_any($spec.exclusive))
            .select(jobs::kind)
            .distinct()
            .load($c)?;
        $spec
            .kinds
            .iter()
            .filter(|k| !busy.contains(k))
            .cloned()
            .collect::<Vec<String>>()
    }};
}

/// Mark the chosen row running under this runner's lease.
macro_rules! take {
    ($c:ident, $row:expr, $spec:expr, $now:expr) => {{
        let mut row: JobRow = $row;
        row.state = RUNNING.into();
        row.attempts += 1;
        row.lease_owner = Some($spec.runner.to_string());
        row.lease_until = Some(naive($spec.lease_until));
        row.started_at = row.started_at.or(Some($now));
        diesel::update(jobs::table.find(&row.id))
            .set((
                jobs::state.eq(RUNNING),
                jobs::attempts.eq(row.attempts),
                jobs::lease_owner.eq(&row.lease_owner),
                jobs::lease_until.eq(row.lease_until),
                jobs::started_at.eq(row.started_at),
            ))
            .execute($c)?;
        Ok(Some(row))
    }};
}

/// Advisory-lock key of an exclusive kind (stable across processes: FNV-1a of the name).
fn kind_lock_key(kind: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

impl DieselStore {
    pub(super) fn claim_job_row(&self, spec: &ClaimSpec<'_>) -> Result<Option<JobRow>, StoreError> {
        if spec.kinds.is_empty() {
            return Ok(None);
        }
        let now = naive(spec.now);
        let mut conn = self.conn()?;
        let r: QueryResult<Option<JobRow>> = match &mut *conn {
            AnyConnection::Sqlite(conn) => super::sqlite_writer::immediate(conn, |c| {
                let rows: Vec<JobRow> = lapsed!(now).load(c)?;
                requeue_lapsed!(c, rows, now);
                let kinds = allowed_kinds!(c, spec);
                let next: Option<JobRow> = due!(now, &kinds).first(c).optional()?;
                let Some(row) = next else { return Ok(None) };
                take!(c, row, spec, now)
            }),
            AnyConnection::Postgres(conn) => conn.transaction(|c| {
                let rows: Vec<JobRow> = lapsed!(now).for_update().skip_locked().load(c)?;
                requeue_lapsed!(c, rows, now);
                let kinds = allowed_kinds!(c, spec);
                let next: Option<JobRow> = due!(now, &kinds)
                    .for_update()
                    .skip_locked()
                    .first(c)
                    .optional()?;
                let Some(row) = next else { return Ok(None) };
                if spec.exclusive.contains(&row.kind) {
                    // Another runner may have taken a job of this kind since we looked:
                    // serialise on the kind, then look again at committed state.
                    let key = kind_lock_key(&row.kind);
                    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({key})")).execute(c)?;
                    let running: i64 = jobs::table
                        .filter(jobs::state.eq(RUNNING))
                        .filter(jobs::kind.eq(&row.kind))
                        .count()
                        .get_result(c)?;
                    if running > 0 {
                        return Ok(None);
                    }
                }
                take!(c, row, spec, now)
            }),
        };
        r.map_err(map_err("job"))
    }
}
