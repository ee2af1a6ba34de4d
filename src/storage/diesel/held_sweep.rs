//! The held-review sweep and a site's listing on both backends: `HeldSweepOps`, implemented
//! once per concrete connection by `held_sweep_ops!` (see `held_reviews.rs`).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use super::held_reviews::{CHUNK, DropRow, EventKey, HeldOps, bump};
use super::schema::{events, held_review_drops, held_reviews};
use crate::storage::held_reviews::{SweepOutcome, reason};

/// Most held and most dropped entries a site's listing returns.
const LIST_LIMIT: i64 = 1000;

/// (review id, event id, held at).
pub(super) type Held = (String, String, NaiveDateTime);
/// (review id, event id, held at, dropped at, reason).
pub(super) type Dropped = (String, String, NaiveDateTime, NaiveDateTime, String);

/// Transaction bodies of the sweep and the listing.
pub(super) trait HeldSweepOps {
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

macro_rules! held_sweep_ops {
    ($conn:ty) => {
        impl HeldSweepOps for $conn {
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
    };
}

held_sweep_ops!(SqliteConnection);
held_sweep_ops!(PgConnection);
