//! `impl HeldReviewStore for DieselStore`: each method runs one of `held_reviews.rs`'s
//! transaction bodies (`HeldOps`) on the pooled connection.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::held_reviews::HeldOps;
use super::held_sweep::HeldSweepOps;
use super::ingest::{RACE_RETRIES, is_unique_violation};
use super::schema::held_reviews;
use super::{DieselStore, map_err, with_conn, write_tx};
use crate::storage::held_reviews::{HeldJoin, HeldReviewEntry, HeldReviewStore, SweepOutcome};
use crate::storage::{ItemFate, NewEvent, NewReview, StoreError};

/// Run a write transaction body, retrying when a concurrent one won a race for a new id.
macro_rules! retried_tx {
    ($self:ident, $what:literal, |$c:ident| $body:expr) => {{
        let mut conn = $self.conn()?;
        let mut attempt = 1;
        loop {
            let r = write_tx!(&mut *conn, |$c| $body);
            match r {
                Err(e) if is_unique_violation(&e) && attempt < RACE_RETRIES => attempt += 1,
                other => break other.map_err(map_err($what)),
            }
        }
    }};
}

impl HeldReviewStore for DieselStore {
    fn ingest_events_joining(
        &self,
        events: &[NewEvent],
    ) -> Result<(Vec<ItemFate>, HeldJoin), StoreError> {
        self.ingest_event_rows(events)
    }

    fn ingest_reviews_holding(
        &self,
        reviews: &[NewReview],
        held: &[NewReview],
    ) -> Result<(Vec<ItemFate>, Vec<ItemFate>, HeldJoin), StoreError> {
        let now = held
            .first()
            .or(reviews.first())
            .map(|r| r.received_at.naive_utc())
            .unwrap_or_default();
        retried_tx!(self, "review", |c| c.store_and_hold(reviews, held, now))
    }

    fn held_review_site(&self, review_id: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Option<String>> = with_conn!(&mut *conn, |c| held_reviews::table
            .find(review_id)
            .select(held_reviews::site_id)
            .first(c)
            .optional());
        r.map_err(map_err("held review"))
    }

    fn sweep_held_reviews(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<SweepOutcome, StoreError> {
        let (cutoff, now, forget) = (
            cutoff.naive_utc(),
            now.naive_utc(),
            forget_before.naive_utc(),
        );
        retried_tx!(self, "held review", |c| c.sweep(cutoff, now, forget))
    }

    fn held_reviews_of(
        &self,
        site_id: &str,
        since: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Vec<HeldReviewEntry>, StoreError> {
        let mut conn = self.conn()?;
        let r = with_conn!(&mut *conn, |c| c.listing(site_id, since.naive_utc()));
        let (held, dropped) = r.map_err(map_err("held reviews"))?;
        let held = held
            .into_iter()
            .map(|(review_id, event_id, at)| HeldReviewEntry {
                review_id,
                event_id,
                status: "held".into(),
                held_at: at.and_utc(),
                expires_at: Some(at.and_utc() + ttl),
                dropped_at: None,
                reason: None,
            });
        let dropped = dropped
            .into_iter()
            .map(|(review_id, event_id, at, gone, why)| HeldReviewEntry {
                review_id,
                event_id,
                status: "dropped".into(),
                held_at: at.and_utc(),
                expires_at: None,
                dropped_at: Some(gone.and_utc()),
                reason: Some(why),
            });
        Ok(held.chain(dropped).collect())
    }

    fn held_review_counts(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Vec<(String, i64)>> = with_conn!(&mut *conn, |c| held_reviews::table
            .group_by(held_reviews::site_id)
            .select((held_reviews::site_id, diesel::dsl::count_star()))
            .load(c));
        Ok(r.map_err(map_err("held reviews"))?.into_iter().collect())
    }
}
