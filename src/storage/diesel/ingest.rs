//! Idempotent batch ingest of events and reviews (with their daily rollups), and the daily
//! count query, which reads the rollups.
//!
//! One transaction per batch: look up the batch's ids, classify each item as new, duplicate
//! (same content hash) or conflicting, and write the new ones only if nothing conflicts. Two
//! concurrent batches carrying the same new id race on the primary key; the loser retries and
//! then sees the winner's row as a duplicate.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::held_reviews::AfterInsert;
use super::rollups::{event_deltas, review_deltas, upsert_rollups};
use super::rows::{NewEventRow, NewReviewRow};
use super::schema::{events, reviews};
use super::{DieselStore, map_err, with_conn, write_tx};
use crate::storage::held_reviews::HeldJoin;
use crate::storage::rollups::{RollupFilter, RollupGrouping, measure};
use crate::storage::{
    CountFilter, DailyCount, EventOwner, ItemFate, NewEvent, NewReview, StoreError,
};

/// Rows per INSERT statement; 22 columns x 1000 stays far below PostgreSQL's 65535 binds.
const INSERT_CHUNK: usize = 1000;
pub(super) const RACE_RETRIES: usize = 3;

pub(super) fn classify<'a>(
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

pub(super) fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// One idempotent batch insert into `$table` keyed by `$id`, with the rows made by `$row`:
/// classify every item against what is stored, write the new ones unless any conflicts, run
/// the connection's `AfterInsert` step over the new items (new events join their held
/// reviews), add them to the daily rollups (deltas from `$deltas!` before the insert, upserted
/// last so the rollup rows are locked only until the commit), and retry when a concurrent
/// batch won the race for the same new id.
macro_rules! idempotent_insert {
    ($self:ident, $batch:ident, $table:ident, $id:ident, $row:ident, $deltas:ident, $what:literal) => {{
        let ids: Vec<&str> = $batch.iter().map(|e| e.$id.as_str()).collect();
        let mut conn = $self.conn()?;
        for attempt in 1..=RACE_RETRIES {
            let r: QueryResult<(Vec<ItemFate>, HeldJoin)> = write_tx!(&mut *conn, |c| {
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
                let mut join = HeldJoin::default();
                if !fates.contains(&ItemFate::Conflict) {
                    let new: Vec<_> = $batch
                        .iter()
                        .zip(&fates)
                        .filter(|(_, f)| **f == ItemFate::Accepted)
                        .map(|(e, _)| e)
                        .collect();
                    let deltas = $deltas!(c, new.clone())?;
                    let rows: Vec<$row> = new.iter().map(|e| $row::from(*e)).collect();
                    for chunk in rows.chunks(INSERT_CHUNK) {
                        diesel::insert_into($table::table)
                            .values(chunk)
                            .execute(c)?;
                    }
                    join = AfterInsert::after_insert(&mut *c, &new[..])?;
                    upsert_rollups!(c, deltas)?;
                }
                Ok((fates, join))
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
    /// Store new events; in the same transaction their held reviews join them.
    pub(crate) fn ingest_event_rows(
        &self,
        batch: &[NewEvent],
    ) -> Result<(Vec<ItemFate>, HeldJoin), StoreError> {
        idempotent_insert!(
            self,
            batch,
            events,
            event_id,
            NewEventRow,
            event_deltas,
            "event"
        )
    }

    pub(crate) fn ingest_review_rows(
        &self,
        batch: &[NewReview],
    ) -> Result<Vec<ItemFate>, StoreError> {
        self.review_rows_joined(batch).map(|(fates, _)| fates)
    }

    fn review_rows_joined(
        &self,
        batch: &[NewReview],
    ) -> Result<(Vec<ItemFate>, HeldJoin), StoreError> {
        idempotent_insert!(
            self,
            batch,
            reviews,
            review_id,
            NewReviewRow,
            review_deltas,
            "review"
        )
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

    /// Events and reviews per site, model version and day, read from the daily rollups.
    pub(crate) fn load_daily_counts(&self, f: &CountFilter) -> Result<Vec<DailyCount>, StoreError> {
        // A model name stands for all its versions (`name@version`), as everywhere.
        let model_ids = match &f.model_id {
            Some(m) if !m.contains('@') => {
                let ids: Vec<String> = self
                    .load_models()?
                    .into_iter()
                    .filter(|v| &v.name == m)
                    .map(|v| v.id)
                    .collect();
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                ids
            }
            other => other.iter().cloned().collect(),
        };
        let filter = RollupFilter {
            model_ids,
            site_ids: f.site_id.iter().cloned().collect(),
            from: f.from,
            to: f.to,
            measures: vec![measure::EVENTS.into(), measure::REVIEWS.into()],
        };
        let mut merged: BTreeMap<(String, String, NaiveDate), (i64, i64)> = BTreeMap::new();
        for r in self.load_rollups(&filter, RollupGrouping::ALL)? {
            let (Some(model), Some(site), Some(day)) = (r.model_id, r.site_id, r.day) else {
                continue;
            };
            let counts = merged.entry((site, model, day)).or_default();
            match r.measure.as_str() {
                measure::EVENTS => counts.0 += r.n,
                _ => counts.1 += r.n,
            }
        }
        Ok(merged
            .into_iter()
            .map(|((site_id, model_id, day), (events, reviews))| DailyCount {
                site_id,
                model_id,
                day,
                events,
                reviews,
            })
            .collect())
    }
}
