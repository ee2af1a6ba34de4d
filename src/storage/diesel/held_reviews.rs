//! Held reviews on both backends: holding a site's reviews whose event it has not reported
//! yet (in the transaction that stores the batch's other reviews), joining them when the
//! event is stored (in the event batch's transaction: rollups and rows exactly as for a
//! review that came in order), the sweep that expires them, and the site's listing.
//!
//! The transaction bodies are methods of `HeldOps`, implemented once per concrete connection
//! by `held_ops!`, so each query is written once and type-checked against both backends.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use super::ingest::{RACE_RETRIES, classify, is_unique_violation};
use super::rollups::review_rollups;
use super::rows::NewReviewRow;
use super::schema::{events, held_review_drops, held_reviews, reviews};
use super::{DieselStore, map_err, with_conn, write_tx};
use crate::storage::held_reviews::{
    HeldJoin, HeldReviewEntry, HeldReviewStore, SweepOutcome, reason,
};
use crate::storage::{ItemFate, NewEvent, NewReview, StoreError};

/// Ids per lookup or rows per insert: far below both backends' bind limits.
const CHUNK: usize = 500;
/// Most held and most dropped entries a site's listing returns.
const LIST_LIMIT: i64 = 1000;

#[derive(Insertable)]
#[diesel(table_name = held_reviews)]
struct NewHeldRow<'a> {
    review_id: &'a str,
    event_id: &'a str,
    site_id: &'a str,
    reviewed_at: NaiveDateTime,
    held_at: NaiveDateTime,
    outcome: &'a str,
    severity: &'a str,
    metrics: Option<&'a str>,
    content_hash: &'a str,
}

impl<'a> From<&'a NewReview> for NewHeldRow<'a> {
    fn from(r: &'a NewReview) -> Self {
        NewHeldRow {
            review_id: &r.review_id,
            event_id: &r.event_id,
            site_id: &r.site_id,
            reviewed_at: r.reviewed_at.naive_utc(),
            held_at: r.received_at.naive_utc(),
            outcome: &r.outcome,
            severity: &r.severity,
            metrics: r.metrics.as_deref(),
            content_hash: &r.content_hash,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = held_reviews)]
struct HeldRow {
    review_id: String,
    event_id: String,
    site_id: String,
    reviewed_at: NaiveDateTime,
    held_at: NaiveDateTime,
    outcome: String,
    severity: String,
    metrics: Option<String>,
    content_hash: String,
}

#[derive(Insertable)]
#[diesel(table_name = held_review_drops)]
struct DropRow {
    review_id: String,
    held_at: NaiveDateTime,
    event_id: String,
    site_id: String,
    dropped_at: NaiveDateTime,
    reason: String,
}

/// (review id, event id, held at).
type Held = (String, String, NaiveDateTime);
/// (review id, event id, held at, dropped at, reason).
type Dropped = (String, String, NaiveDateTime, NaiveDateTime, String);

/// A stored event as its held reviews need it: id, site, model version, when it happened.
type EventKey = (String, String, String, NaiveDateTime);

/// Transaction bodies, run on a concrete connection inside the caller's transaction.
pub(super) trait HeldOps {
    /// The same site's held reviews of these events become reviews (rollups first); one
    /// dated before its event, or whose id a stored review has taken, is dropped and recorded.
    fn join_held(&mut self, events: &[EventKey], now: NaiveDateTime) -> QueryResult<HeldJoin>;
    /// Fates of review items against stored reviews and held ones (a stored one wins).
    fn classify_reviews(&mut self, items: &[NewReview]) -> QueryResult<Vec<ItemFate>>;
    /// Store `reviews`, hold `held`: both or neither (any conflict writes nothing).
    fn store_and_hold(
        &mut self,
        reviews: &[NewReview],
        held: &[NewReview],
        now: NaiveDateTime,
    ) -> QueryResult<(Vec<ItemFate>, Vec<ItemFate>, HeldJoin)>;
    fn sweep(
        &mut self,
        cutoff: NaiveDateTime,
        now: NaiveDateTime,
        forget: NaiveDateTime,
    ) -> QueryResult<SweepOutcome>;
    /// A site's held reviews and those dropped since `since`.
    fn listing(
        &mut self,
        site_id: &str,
        since: NaiveDateTime,
    ) -> QueryResult<(Vec<Held>, Vec<Dropped>)>;
}

/// What the idempotent insert of `ingest.rs` runs after writing its new items, in the same
/// transaction: new events join their held reviews; new reviews need nothing.
pub(super) trait AfterInsert<T> {
    fn after_insert(&mut self, new: &[&T]) -> QueryResult<HeldJoin>;
}

/// The items whose fate is `Accepted`.
fn new_items<'a>(items: &'a [NewReview], fates: &[ItemFate]) -> Vec<&'a NewReview> {
    items
        .iter()
        .zip(fates)
        .filter(|(_, f)| **f == ItemFate::Accepted)
        .map(|(r, _)| r)
        .collect()
}

fn bump(map: &mut BTreeMap<String, u64>, site: &str) {
    *map.entry(site.to_string()).or_default() += 1;
}

/// The stored events among `ids`, as join keys.
macro_rules! event_keys {
    ($c:ident, $ids:expr) => {{
        let mut keys: Vec<EventKey> = Vec::new();
        for chunk in $ids.chunks(CHUNK) {
            keys.extend(
                events::table
                    .filter(events::event_id.eq_any(chunk))
                    .select((
                        events::event_id,
                        events::site_id,
                        events::model_id,
                        events::occurred_at,
                    ))
                    .load::<EventKey>($c)?,
            );
        }
        keys
    }};
}

macro_rules! held_ops {
    ($conn:ty) => {
        impl HeldOps for $conn {
            fn join_held(
                &mut self,
                events: &[EventKey],
                now: NaiveDateTime,
            ) -> QueryResult<HeldJoin> {
                let c = self;
                let mut out = HeldJoin::default();
                let by_id: HashMap<&str, &EventKey> =
                    events.iter().map(|e| (e.0.as_str(), e)).collect();
                let ids: Vec<&str> = by_id.keys().copied().collect();
                let mut held: Vec<HeldRow> = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    held.extend(
                        held_reviews::table
                            .filter(held_reviews::event_id.eq_any(chunk))
                            .select(HeldRow::as_select())
                            .load(c)?,
                    );
                }
                // Another site's event never joins: its reviews stay held as if it were unknown.
                held.retain(|h| by_id[h.event_id.as_str()].1 == h.site_id);
                if held.is_empty() {
                    return Ok(out);
                }
                let review_ids: Vec<&str> = held.iter().map(|h| h.review_id.as_str()).collect();
                let mut taken: HashSet<String> = HashSet::new();
                for chunk in review_ids.chunks(CHUNK) {
                    taken.extend(
                        reviews::table
                            .filter(reviews::review_id.eq_any(chunk))
                            .select(reviews::review_id)
                            .load::<String>(c)?,
                    );
                }
                let (mut joined, mut drops) = (Vec::new(), Vec::new());
                for h in &held {
                    let event = by_id[h.event_id.as_str()];
                    let why = if taken.contains(&h.review_id) {
                        Some(reason::IDEMPOTENCY_CONFLICT)
                    } else if h.reviewed_at < event.3 {
                        Some(reason::REVIEW_BEFORE_EVENT)
                    } else {
                        None
                    };
                    if let Some(why) = why {
                        bump(&mut out.refused, &h.site_id);
                        drops.push(DropRow {
                            review_id: h.review_id.clone(),
                            held_at: h.held_at,
                            event_id: h.event_id.clone(),
                            site_id: h.site_id.clone(),
                            dropped_at: now,
                            reason: why.to_string(),
                        });
                        continue;
                    }
                    bump(&mut out.joined, &h.site_id);
                    joined.push(NewReview {
                        review_id: h.review_id.clone(),
                        event_id: h.event_id.clone(),
                        site_id: h.site_id.clone(),
                        model_id: event.2.clone(),
                        reviewed_at: h.reviewed_at.and_utc(),
                        received_at: h.held_at.and_utc(),
                        outcome: h.outcome.clone(),
                        severity: h.severity.clone(),
                        metrics: h.metrics.clone(),
                        content_hash: h.content_hash.clone(),
                    });
                }
                review_rollups!(c, joined.iter().collect())?;
                let rows: Vec<NewReviewRow> = joined.iter().map(NewReviewRow::from).collect();
                for chunk in rows.chunks(CHUNK) {
                    diesel::insert_into(reviews::table)
                        .values(chunk)
                        .execute(c)?;
                }
                for chunk in drops.chunks(CHUNK) {
                    diesel::insert_into(held_review_drops::table)
                        .values(chunk)
                        .execute(c)?;
                }
                for chunk in review_ids.chunks(CHUNK) {
                    diesel::delete(
                        held_reviews::table.filter(held_reviews::review_id.eq_any(chunk)),
                    )
                    .execute(c)?;
                }
                Ok(out)
            }

            fn classify_reviews(&mut self, items: &[NewReview]) -> QueryResult<Vec<ItemFate>> {
                let c = self;
                let ids: Vec<&str> = items.iter().map(|r| r.review_id.as_str()).collect();
                let mut known: HashMap<String, String> = HashMap::new();
                for chunk in ids.chunks(CHUNK) {
                    known.extend(
                        held_reviews::table
                            .filter(held_reviews::review_id.eq_any(chunk))
                            .select((held_reviews::review_id, held_reviews::content_hash))
                            .load::<(String, String)>(c)?,
                    );
                    known.extend(
                        reviews::table
                            .filter(reviews::review_id.eq_any(chunk))
                            .select((reviews::review_id, reviews::content_hash))
                            .load::<(String, String)>(c)?,
                    );
                }
                Ok(classify(
                    items
                        .iter()
                        .map(|r| (r.review_id.as_str(), r.content_hash.as_str())),
                    &known,
                ))
            }

            fn store_and_hold(
                &mut self,
                reviews_in: &[NewReview],
                held: &[NewReview],
                now: NaiveDateTime,
            ) -> QueryResult<(Vec<ItemFate>, Vec<ItemFate>, HeldJoin)> {
                let c = self;
                let stored_fates = c.classify_reviews(reviews_in)?;
                let held_fates = c.classify_reviews(held)?;
                if stored_fates.contains(&ItemFate::Conflict)
                    || held_fates.contains(&ItemFate::Conflict)
                {
                    return Ok((stored_fates, held_fates, HeldJoin::default()));
                }
                let new_reviews = new_items(reviews_in, &stored_fates);
                review_rollups!(c, new_reviews.clone())?;
                let rows: Vec<NewReviewRow> =
                    new_reviews.iter().map(|r| NewReviewRow::from(*r)).collect();
                for chunk in rows.chunks(CHUNK) {
                    diesel::insert_into(reviews::table)
                        .values(chunk)
                        .execute(c)?;
                }
                let held_rows: Vec<NewHeldRow> = new_items(held, &held_fates)
                    .into_iter()
                    .map(NewHeldRow::from)
                    .collect();
                for chunk in held_rows.chunks(CHUNK) {
                    diesel::insert_into(held_reviews::table)
                        .values(chunk)
                        .execute(c)?;
                }
                // An event stored since the caller looked (a concurrent batch): its held
                // reviews join it now rather than wait for the sweep.
                let ids: Vec<&str> = held
                    .iter()
                    .chain(reviews_in)
                    .map(|r| r.event_id.as_str())
                    .collect();
                let keys = event_keys!(c, ids);
                let join = c.join_held(&keys, now)?;
                Ok((stored_fates, held_fates, join))
            }

            fn sweep(
                &mut self,
                cutoff: NaiveDateTime,
                now: NaiveDateTime,
                forget: NaiveDateTime,
            ) -> QueryResult<SweepOutcome> {
                let c = self;
                // Late joins first: a review held while its event was being stored by a
                // concurrent request (neither saw the other) joins it here.
                let keys: Vec<EventKey> = held_reviews::table
                    .inner_join(
                        events::table.on(events::event_id
                            .eq(held_reviews::event_id)
                            .and(events::site_id.eq(held_reviews::site_id))),
                    )
                    .select((
                        events::event_id,
                        events::site_id,
                        events::model_id,
                        events::occurred_at,
                    ))
                    .distinct()
                    .load(c)?;
                let join = c.join_held(&keys, now)?;
                // One DELETE … RETURNING: each expired review is dropped (and counted) by
                // exactly one sweep, however many replicas run one at the same time.
                let gone: Vec<(String, NaiveDateTime, String, String)> =
                    diesel::delete(held_reviews::table.filter(held_reviews::held_at.lt(cutoff)))
                        .returning((
                            held_reviews::review_id,
                            held_reviews::held_at,
                            held_reviews::event_id,
                            held_reviews::site_id,
                        ))
                        .get_results(c)?;
                let mut expired = BTreeMap::new();
                let drops: Vec<DropRow> = gone
                    .into_iter()
                    .map(|(review_id, held_at, event_id, site_id)| {
                        bump(&mut expired, &site_id);
                        DropRow {
                            review_id,
                            held_at,
                            event_id,
                            site_id,
                            dropped_at: now,
                            reason: reason::EVENT_NEVER_ARRIVED.to_string(),
                        }
                    })
                    .collect();
                for chunk in drops.chunks(CHUNK) {
                    diesel::insert_into(held_review_drops::table)
                        .values(chunk)
                        .execute(c)?;
                }
                diesel::delete(
                    held_review_drops::table.filter(held_review_drops::dropped_at.lt(forget)),
                )
                .execute(c)?;
                Ok(SweepOutcome { join, expired })
            }

            fn listing(
                &mut self,
                site_id: &str,
                since: NaiveDateTime,
            ) -> QueryResult<(Vec<Held>, Vec<Dropped>)> {
                let c = self;
                let held = held_reviews::table
                    .filter(held_reviews::site_id.eq(site_id))
                    .order((held_reviews::held_at.asc(), held_reviews::review_id.asc()))
                    .select((
                        held_reviews::review_id,
                        held_reviews::event_id,
                        held_reviews::held_at,
                    ))
                    .limit(LIST_LIMIT)
                    .load::<Held>(c)?;
                let dropped = held_review_drops::table
                    .filter(held_review_drops::site_id.eq(site_id))
                    .filter(held_review_drops::dropped_at.ge(since))
                    .order((
                        held_review_drops::dropped_at.desc(),
                        held_review_drops::review_id.asc(),
                    ))
                    .select((
                        held_review_drops::review_id,
                        held_review_drops::event_id,
                        held_review_drops::held_at,
                        held_review_drops::dropped_at,
                        held_review_drops::reason,
                    ))
                    .limit(LIST_LIMIT)
                    .load::<Dropped>(c)?;
                Ok((held, dropped))
            }
        }

        impl AfterInsert<NewEvent> for $conn {
            fn after_insert(&mut self, new: &[&NewEvent]) -> QueryResult<HeldJoin> {
                let keys: Vec<EventKey> = new
                    .iter()
                    .map(|e| {
                        (
                            e.event_id.clone(),
                            e.site_id.clone(),
                            e.model_id.clone(),
                            e.occurred_at.naive_utc(),
                        )
                    })
                    .collect();
                match new.first() {
                    Some(e) => self.join_held(&keys, e.received_at.naive_utc()),
                    None => Ok(HeldJoin::default()),
                }
            }
        }

        impl AfterInsert<NewReview> for $conn {
            fn after_insert(&mut self, _new: &[&NewReview]) -> QueryResult<HeldJoin> {
                Ok(HeldJoin::default())
            }
        }
    };
}

held_ops!(SqliteConnection);
held_ops!(PgConnection);

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
