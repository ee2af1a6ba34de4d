//! Idempotent batch ingest of events and reviews, and the daily count query.
//!
//! One transaction per batch: look up the batch's ids, classify each item as new, duplicate
//! (same content hash) or conflicting, and write the new ones only if nothing conflicts. Two
//! concurrent batches carrying the same new id race on the primary key; the loser retries and
//! then sees the winner's row as a duplicate.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::rows::{NewEventRow, NewReviewRow};
use super::schema::{events, reviews};
use super::{DieselStore, map_err, with_conn, write_tx};
use crate::storage::{
    CountFilter, DailyCount, EventOwner, ItemFate, NewEvent, NewReview, StoreError,
};

/// Rows per INSERT statement; 22 columns x 1000 stays far below PostgreSQL's 65535 binds.
const INSERT_CHUNK: usize = 1000;
const RACE_RETRIES: usize = 3;

fn classify<'a>(
    items: impl Iterator<Item = (&'a str, &'a str)>,
    known: &HashMap<String, String>,
) -> Vec<ItemFate> {
    items
        .map(|(id, hash)| match known.get(id) {
            None => ItemFate::Accepted,
            Some(h) if h == hash => ItemFate::Duplicate,
            Some(_) => ItemFate::Conflict,
        })
        .collect()
}

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// One idempotent batch insert into `$table` keyed by `$id`, with the rows made by `$row`:
/// classify every item against what is stored, write the new ones unless any conflicts, and
/// retry when a concurrent batch won the race for the same new id.
macro_rules! idempotent_insert {
    ($self:ident, $batch:ident, $table:ident, $id:ident, $row:ident, $what:literal) => {{
        let ids: Vec<&str> = $batch.iter().map(|e| e.$id.as_str()).collect();
        let mut conn = $self.conn()?;
        for attempt in 1..=RACE_RETRIES {
            let r: QueryResult<Vec<ItemFate>> = write_tx!(&mut *conn, |c| {
                let known: HashMap<String, String> = $table::table
                    .filter($table::$id.eq_any(&ids))
                    .select(($table::$id, $table::content_hash))
                    .load::<(String, String)>(c)?
                    .into_iter()
                    .collect();
                let fates = classify(
                    $batch
                        .iter()
                        .map(|e| (e.$id.as_str(), e.content_hash.as_str())),
                    &known,
                );
                if !fates.contains(&ItemFate::Conflict) {
                    let rows: Vec<$row> = $batch
                        .iter()
                        .zip(&fates)
                        .filter(|(_, f)| **f == ItemFate::Accepted)
                        .map(|(e, _)| $row::from(e))
                        .collect();
                    for chunk in rows.chunks(INSERT_CHUNK) {
                        diesel::insert_into($table::table)
                            .values(chunk)
                            .execute(c)?;
                    }
                }
                Ok(fates)
            });
            match r {
                Err(e) if is_unique_violation(&e) && attempt < RACE_RETRIES => continue,
                other => return other.map_err(map_err($what)),
            }
        }
        Err(StoreError::Other(
            concat!($what, " ingest retries exhausted").into(),
        ))
    }};
}

impl DieselStore {
    pub(crate) fn ingest_event_rows(
        &self,
        batch: &[NewEvent],
    ) -> Result<Vec<ItemFate>, StoreError> {
        idempotent_insert!(self, batch, events, event_id, NewEventRow, "event")
    }

    pub(crate) fn ingest_review_rows(
        &self,
        batch: &[NewReview],
    ) -> Result<Vec<ItemFate>, StoreError> {
        idempotent_insert!(self, batch, reviews, review_id, NewReviewRow, "review")
    }

    pub(crate) fn load_event_owners(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, EventOwner>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<(String, String, String, NaiveDateTime)>> =
            with_conn!(&mut *conn, |c| events::table
                .filter(events::event_id.eq_any(ids))
                .select((
                    events::event_id,
                    events::site_id,
                    events::model_id,
                    events::occurred_at
                ))
                .load(c));
        let rows = rows.map_err(map_err("events"))?;
        Ok(rows
            .into_iter()
            .map(|(id, site_id, model_id, at)| {
                let occurred_at = at.and_utc();
                (
                    id,
                    EventOwner {
                        site_id,
                        model_id,
                        occurred_at,
                    },
                )
            })
            .collect())
    }

    pub(crate) fn load_review_site(&self, review_id: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Option<String>> = with_conn!(&mut *conn, |c| reviews::table
            .find(review_id)
            .select(reviews::site_id)
            .first(c)
            .optional());
        r.map_err(map_err("review"))
    }

    pub(crate) fn update_review_server_metrics(
        &self,
        review_id: &str,
        json: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::update(
            reviews::table.find(review_id)
        )
        .set(reviews::server_metrics.eq(Some(json)))
        .execute(c));
        match n.map_err(map_err("review"))? {
            0 => Err(StoreError::NotFound(format!("review {review_id}"))),
            _ => Ok(()),
        }
    }

    pub(crate) fn load_daily_counts(&self, f: &CountFilter) -> Result<Vec<DailyCount>, StoreError> {
        let (from, to) = (f.from.map(|d| d.to_string()), f.to.map(|d| d.to_string()));
        let mut conn = self.conn()?;
        let ev: QueryResult<Vec<(String, String, String, i64)>> = with_conn!(&mut *conn, |c| {
            let mut q = events::table
                .group_by((events::site_id, events::model_id, events::occurred_day))
                .select((
                    events::site_id,
                    events::model_id,
                    events::occurred_day,
                    diesel::dsl::count_star(),
                ))
                .into_boxed();
            if let Some(s) = &f.site_id {
                q = q.filter(events::site_id.eq(s));
            }
            if let Some(m) = &f.model_id {
                q = q.filter(events::model_id.eq(m));
            }
            if let Some(d) = &from {
                q = q.filter(events::occurred_day.ge(d));
            }
            if let Some(d) = &to {
                q = q.filter(events::occurred_day.le(d));
            }
            q.load(c)
        });
        let rv: QueryResult<Vec<(String, String, String, i64)>> = with_conn!(&mut *conn, |c| {
            let mut q = reviews::table
                .group_by((reviews::site_id, reviews::model_id, reviews::reviewed_day))
                .select((
                    reviews::site_id,
                    reviews::model_id,
                    reviews::reviewed_day,
                    diesel::dsl::count_star(),
                ))
                .into_boxed();
            if let Some(s) = &f.site_id {
                q = q.filter(reviews::site_id.eq(s));
            }
            if let Some(m) = &f.model_id {
                q = q.filter(reviews::model_id.eq(m));
            }
            if let Some(d) = &from {
                q = q.filter(reviews::reviewed_day.ge(d));
            }
            if let Some(d) = &to {
                q = q.filter(reviews::reviewed_day.le(d));
            }
            q.load(c)
        });
        merge_counts(
            ev.map_err(map_err("counts"))?,
            rv.map_err(map_err("counts"))?,
        )
    }
}

type CountRow = (String, String, String, i64);

fn merge_counts(
    events: Vec<CountRow>,
    reviews: Vec<CountRow>,
) -> Result<Vec<DailyCount>, StoreError> {
    let mut merged: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    for (s, m, d, n) in events {
        merged.entry((s, m, d)).or_default().0 += n;
    }
    for (s, m, d, n) in reviews {
        merged.entry((s, m, d)).or_default().1 += n;
    }
    merged
        .into_iter()
        .map(|((site_id, model_id, day), (events, reviews))| {
            let day = day
                .parse::<NaiveDate>()
                .map_err(|e| StoreError::Other(format!("stored day: {e}")))?;
            Ok(DailyCount {
                site_id,
                model_id,
                day,
                events,
                reviews,
            })
        })
        .collect()
}
