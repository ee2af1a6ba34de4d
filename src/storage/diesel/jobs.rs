//! `JobStore` on diesel: the jobs table's rows and every query but the claim (which lives in
//! `jobs_claim.rs`). Writes by a runner filter on `state = running AND lease_owner = runner`,
//! so a runner that lost its lease changes nothing.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::rows::{naive, utc};
use super::schema::jobs;
use super::{DieselStore, map_err, with_conn, write_tx};
use crate::storage::StoreError;
use crate::storage::jobs::{
    ClaimSpec, Job, JobEnd, JobFilter, JobProgress, JobState, JobStore, NewJob,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = jobs)]
pub(super) struct JobRow {
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
    pub payload: String,
    pub state: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub progress_message: Option<String>,
    pub requested_by: String,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub checkpoint: Option<String>,
    pub result: Option<String>,
    pub result_blob: Option<String>,
    pub error: Option<String>,
    pub cancel_requested: bool,
}

fn json(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Self {
        Job {
            id: r.id,
            kind: r.kind,
            subject: r.subject,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            state: JobState::parse(&r.state).unwrap_or(JobState::Failed),
            progress: JobProgress {
                done: r.progress_done,
                total: r.progress_total,
                message: r.progress_message,
            },
            requested_by: r.requested_by,
            created_at: utc(r.created_at),
            started_at: r.started_at.map(utc),
            finished_at: r.finished_at.map(utc),
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            next_attempt_at: utc(r.next_attempt_at),
            lease_owner: r.lease_owner,
            lease_until: r.lease_until.map(utc),
            checkpoint: json(r.checkpoint),
            result: json(r.result),
            result_blob: r.result_blob,
            error: r.error,
            cancel_requested: r.cancel_requested,
        }
    }
}

impl From<&NewJob> for JobRow {
    fn from(j: &NewJob) -> Self {
        JobRow {
            id: j.id.clone(),
            kind: j.kind.clone(),
            subject: j.subject.clone(),
            payload: j.payload.to_string(),
            state: JobState::Queued.as_str().into(),
            progress_done: 0,
            progress_total: 0,
            progress_message: None,
            requested_by: j.requested_by.clone(),
            created_at: naive(j.created_at),
            started_at: None,
            finished_at: None,
            attempts: 0,
            max_attempts: j.max_attempts.max(1),
            next_attempt_at: naive(j.created_at),
            lease_owner: None,
            lease_until: None,
            checkpoint: None,
            result: None,
            result_blob: None,
            error: None,
            cancel_requested: false,
        }
    }
}

/// The columns an attempt's end rewrites (`None`: left as it is).
#[derive(AsChangeset, Default)]
#[diesel(table_name = jobs)]
struct EndChange {
    state: Option<String>,
    attempts: Option<i64>,
    finished_at: Option<Option<NaiveDateTime>>,
    next_attempt_at: Option<NaiveDateTime>,
    lease_owner: Option<Option<String>>,
    lease_until: Option<Option<NaiveDateTime>>,
    result: Option<Option<String>>,
    result_blob: Option<Option<String>>,
    error: Option<Option<String>>,
}

fn end_change(row: &JobRow, end: &JobEnd, now: NaiveDateTime) -> EndChange {
    // A job queued again has no owner; a finished one keeps the name of the runner that
    // finished it (shown as the evaluation's `runner`).
    let base = || EndChange {
        lease_owner: Some(None),
        lease_until: Some(None),
        ..EndChange::default()
    };
    let done = |state: JobState| EndChange {
        state: Some(state.as_str().into()),
        finished_at: Some(Some(now)),
        lease_owner: None,
        ..base()
    };
    match end {
        JobEnd::Succeeded {
            result,
            result_blob,
        } => EndChange {
            result: Some(result.as_ref().map(|v| v.to_string())),
            result_blob: Some(result_blob.clone()),
            error: Some(None),
            ..done(JobState::Succeeded)
        },
        JobEnd::Failed { error } => EndChange {
            error: Some(Some(error.clone())),
            ..done(JobState::Failed)
        },
        JobEnd::Cancelled => done(JobState::Cancelled),
        JobEnd::Retry { error, retry_at } => EndChange {
            state: Some(JobState::Queued.as_str().into()),
            next_attempt_at: Some(naive(*retry_at)),
            error: Some(Some(error.clone())),
            ..base()
        },
        JobEnd::Released => EndChange {
            state: Some(JobState::Queued.as_str().into()),
            next_attempt_at: Some(now),
            attempts: Some((row.attempts - 1).max(0)),
            ..base()
        },
    }
}

/// Rows of a runner's live job.
macro_rules! held {
    ($id:expr, $runner:expr) => {
        jobs::table
            .find($id)
            .filter(jobs::state.eq(JobState::Running.as_str()))
            .filter(jobs::lease_owner.eq($runner))
    };
}

impl DieselStore {
    fn load_job_row(&self, id: &str) -> Result<Option<JobRow>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<JobRow>> = with_conn!(&mut *conn, |c| jobs::table
            .find(id)
            .select(JobRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("job"))
    }
}

impl JobStore for DieselStore {
    fn enqueue_job(&self, job: &NewJob) -> Result<Job, StoreError> {
        let row = JobRow::from(job);
        let mut conn = self.conn()?;
        let r: QueryResult<JobRow> = write_tx!(&mut *conn, |c| {
            if let (true, Some(subject)) = (job.unique_queued, &row.subject) {
                let queued: Option<JobRow> = jobs::table
                    .filter(jobs::kind.eq(&row.kind))
                    .filter(jobs::subject.eq(subject))
                    .filter(jobs::state.eq(JobState::Queued.as_str()))
                    .order(jobs::created_at.asc())
                    .select(JobRow::as_select())
                    .first(c)
                    .optional()?;
                if let Some(q) = queued {
                    return Ok(q);
                }
            }
            diesel::insert_into(jobs::table).values(&row).execute(c)?;
            Ok(row.clone())
        });
        r.map(Job::from).map_err(map_err("job"))
    }

    fn claim_job(&self, spec: &ClaimSpec<'_>) -> Result<Option<Job>, StoreError> {
        self.claim_job_row(spec).map(|r| r.map(Job::from))
    }

    fn renew_job_lease(
        &self,
        id: &str,
        runner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::update(held!(id, runner))
            .set(jobs::lease_until.eq(naive(lease_until)))
            .execute(c));
        Ok(n.map_err(map_err("job"))? == 1)
    }

    fn set_job_progress(
        &self,
        id: &str,
        runner: &str,
        p: &JobProgress,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::update(held!(id, runner))
            .set((
                jobs::progress_done.eq(p.done),
                jobs::progress_total.eq(p.total),
                jobs::progress_message.eq(&p.message),
            ))
            .execute(c));
        Ok(n.map_err(map_err("job"))? == 1)
    }

    fn set_job_checkpoint(
        &self,
        id: &str,
        runner: &str,
        checkpoint: &serde_json::Value,
    ) -> Result<bool, StoreError> {
        let text = checkpoint.to_string();
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::update(held!(id, runner))
            .set(jobs::checkpoint.eq(&text))
            .execute(c));
        Ok(n.map_err(map_err("job"))? == 1)
    }

    fn finish_job(
        &self,
        id: &str,
        runner: &str,
        end: &JobEnd,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = naive(now);
        let mut conn = self.conn()?;
        let r: QueryResult<bool> = write_tx!(&mut *conn, |c| {
            let row: Option<JobRow> = held!(id, runner)
                .select(JobRow::as_select())
                .first(c)
                .optional()?;
            let Some(row) = row else { return Ok(false) };
            diesel::update(jobs::table.find(id))
                .set(&end_change(&row, end, now))
                .execute(c)?;
            Ok(true)
        });
        r.map_err(map_err("job"))
    }

    fn cancel_job(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Job>, StoreError> {
        let now = naive(now);
        let mut conn = self.conn()?;
        let r: QueryResult<()> = write_tx!(&mut *conn, |c| {
            diesel::update(
                jobs::table
                    .find(id)
                    .filter(jobs::state.eq(JobState::Queued.as_str())),
            )
            .set((
                jobs::state.eq(JobState::Cancelled.as_str()),
                jobs::finished_at.eq(now),
            ))
            .execute(c)?;
            diesel::update(
                jobs::table
                    .find(id)
                    .filter(jobs::state.eq(JobState::Running.as_str())),
            )
            .set(jobs::cancel_requested.eq(true))
            .execute(c)?;
            Ok(())
        });
        r.map_err(map_err("job"))?;
        drop(conn);
        Ok(self.load_job_row(id)?.map(Job::from))
    }

    fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        Ok(self.load_job_row(id)?.map(Job::from))
    }

    fn jobs(&self, f: &JobFilter) -> Result<Vec<Job>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<JobRow>> = with_conn!(&mut *conn, |c| {
            let mut q = jobs::table
                .order((jobs::created_at.desc(), jobs::id.desc()))
                .limit(f.limit)
                .select(JobRow::as_select())
                .into_boxed();
            if let Some((t, id)) = &f.after {
                let t = naive(*t);
                q = q.filter(
                    jobs::created_at
                        .lt(t)
                        .or(jobs::created_at.eq(t).and(jobs::id.lt(id.clone()))),
                );
            }
            if let Some(v) = &f.kind {
                q = q.filter(jobs::kind.eq(v));
            }
            if let Some(v) = f.state {
                q = q.filter(jobs::state.eq(v.as_str()));
            }
            if let Some(v) = &f.subject {
                q = q.filter(jobs::subject.eq(v));
            }
            q.load(c)
        });
        Ok(rows
            .map_err(map_err("jobs"))?
            .into_iter()
            .map(Job::from)
            .collect())
    }
}
