//! The rebuild of the daily rollups from raw rows, a range of days at a time (`vigil rollups
//! rebuild --from --to --days-per-step`): one transaction deletes the rollup rows of its days
//! and recomputes them from the events and reviews of those days only, so rows of other days
//! are never touched and the temporary space a step needs (PostgreSQL's sort spill) is bounded
//! by the step, not by the whole table. A whole-table rebuild over 73 M events spilled its
//! sorts until the disk was full.
//!
//! The statement (`rollups_rebuild_days_{sqlite,postgres}.sql`) is the migration's backfill
//! (`rollups_rebuild_{sqlite,postgres}.sql`, run over all days) with a day range on every
//! sub-select; a test keeps the two in step.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::schema::daily_rollups;
use super::{DieselStore, map_err, with_conn, write_tx};
use crate::storage::{DatabaseKind, StoreError};

/// Every sub-select reads only the days `$1..=$2` through the day indexes of migration
/// `2026-12-03-131000_rollups_day_indexes`. EXPLAIN on PostgreSQL 15 (730 k events and 219 k
/// reviews over 365 days, analysed; a 7-day step, prepared with text parameters as diesel
/// sends them): each of the ten branches under the `Append` is a `Bitmap Heap Scan` on
/// `events` (`reviews`) with `Recheck Cond: occurred_day >= $1 AND occurred_day <= $2` over a
/// `Bitmap Index Scan on events_occurred_day` (`reviews_reviewed_day`), so the hash
/// aggregates and sorts above them hold one step's rows; the delete before it is a `Bitmap
/// Index Scan on daily_rollups_day`. SQLite's EXPLAIN QUERY PLAN: `SEARCH events USING INDEX
/// events_occurred_day (occurred_day>? AND occurred_day<?)` in each branch (the metric branch
/// names its index with `INDEXED BY`: left alone, SQLite scans all reviews in GROUP BY order)
/// and `SEARCH daily_rollups USING INDEX daily_rollups_day` for the delete.
const REBUILD_DAYS_SQLITE: &str = include_str!("rollups_rebuild_days_sqlite.sql");
const REBUILD_DAYS_POSTGRES: &str = include_str!("rollups_rebuild_days_postgres.sql");

/// The first and last day of events, reviews and rollups: six index lookups (MIN and MAX
/// of each day index).
const DAY_SPAN: &str = "SELECT MIN(d) AS first_day, MAX(d) AS last_day FROM (\
     SELECT MIN(occurred_day) AS d FROM events UNION ALL SELECT MAX(occurred_day) FROM events \
     UNION ALL SELECT MIN(reviewed_day) FROM reviews UNION ALL SELECT MAX(reviewed_day) FROM reviews \
     UNION ALL SELECT MIN(day) FROM daily_rollups UNION ALL SELECT MAX(day) FROM daily_rollups\
     ) AS days";

#[derive(QueryableByName)]
struct DaySpan {
    #[diesel(sql_type = Nullable<Text>)]
    first_day: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    last_day: Option<String>,
}

fn parse_day(d: &str) -> Result<NaiveDate, StoreError> {
    d.parse()
        .map_err(|e| StoreError::Other(format!("stored day {d:?}: {e}")))
}

impl DieselStore {
    pub(crate) fn load_rollup_day_span(
        &self,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        let mut conn = self.conn()?;
        let postgres = self.kind() == DatabaseKind::Postgres;
        let span: QueryResult<DaySpan> = with_conn!(&mut *conn, |c| {
            c.transaction(|c| {
                // Part of the maintenance command: not cut off by the requests' limit either.
                if postgres {
                    diesel::connection::SimpleConnection::batch_execute(
                        c,
                        "SET LOCAL statement_timeout = 0",
                    )?;
                }
                diesel::sql_query(DAY_SPAN).get_result(c)
            })
        });
        match span.map_err(map_err("rollups"))? {
            DaySpan {
                first_day: Some(first),
                last_day: Some(last),
            } => Ok(Some((parse_day(&first)?, parse_day(&last)?))),
            _ => Ok(None),
        }
    }

    pub(crate) fn rebuild_rollup_day_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let sql = match self.kind() {
            DatabaseKind::Sqlite => REBUILD_DAYS_SQLITE,
            DatabaseKind::Postgres => REBUILD_DAYS_POSTGRES,
        };
        let postgres = self.kind() == DatabaseKind::Postgres;
        let (from, to) = (from.to_string(), to.to_string());
        let written: QueryResult<usize> = write_tx!(&mut *conn, |c| {
            // A step reads every event of its days (a week of a 1,000-site fleet is 1.4 M
            // events): the statement limit guards requests, not this maintenance command, so
            // it is lifted for this one transaction.
            if postgres {
                diesel::connection::SimpleConnection::batch_execute(
                    c,
                    "SET LOCAL statement_timeout = 0",
                )?;
            }
            diesel::delete(daily_rollups::table.filter(daily_rollups::day.between(&from, &to)))
                .execute(c)?;
            diesel::sql_query(sql)
                .bind::<Text, _>(&from)
                .bind::<Text, _>(&to)
                .execute(c)
        });
        Ok(u64::try_from(written.map_err(map_err("rollups"))?).unwrap_or(u64::MAX))
    }
}
