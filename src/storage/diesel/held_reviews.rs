//! Held reviews on both backends: holding a site's reviews whose event it has not reported
//! yet (in the transaction that stores the batch's other reviews), joining them when the
//! event is stored (in the event batch's transaction: rollups and rows exactly as for a
//! review that came in order), the sweep that expires them, and the site's listing.
//!
//! The transaction bodies are methods of `HeldOps`, implemented once per concrete connection
//! by `held_ops!`, so each query is written once and type-checked against both backends;
//! `store_held_reviews.rs` runs them on the pool.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use super::ingest::classify;
use super::rollups::review_rollups;
use super::rows::NewReviewRow;
use super::schema::{events, held_review_drops, held_reviews, reviews};
use crate::storage::held_reviews::{HeldJoin, reason};
use crate::storage::{ItemFate, NewEvent, NewReview};

/// Ids per lookup or rows per insert: far below both backends' bind limits.
pub(super) const CHUNK: usize = 500;

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
pub(super) struct DropRow {
    pub review_id: String,
    pub held_at: NaiveDateTime,
    pub event_id: String,
    pub site_id: String,
    pub dropped_at: NaiveDateTime,
    pub reason: String,
}

/// A stored event as its held reviews need it: id, site, model version, when it happened.
pub(super) type EventKey = (String, String, String, NaiveDateTime);

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

pub(super) fn bump(map: &mut BTreeMap<String, u64>, site: &str) {
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
