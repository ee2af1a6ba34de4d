//! Held reviews' expiry: reviews held longer than `held_review_ttl_hours` are dropped and
//! recorded (reason `event_never_arrived`), records older than `DROPPED_KEPT_DAYS` are
//! forgotten. Holding and joining happen in the ingest use cases (`ingest.rs`).

use chrono::{DateTime, Duration, Utc};

use crate::config::Settings;
use crate::storage::StoreError;
use crate::storage::held_reviews::{HeldReviewStore, SweepOutcome};

/// Days a dropped held review stays listed to its site.
pub const DROPPED_KEPT_DAYS: i64 = 30;

/// Longest hold honoured (100 years), so the cutoff's arithmetic cannot overflow.
const MAX_TTL_HOURS: u64 = 876_000;

/// How long a review is held.
pub fn ttl(settings: &Settings) -> Duration {
    let hours = settings.held_review_ttl_hours.min(MAX_TTL_HOURS);
    Duration::hours(i64::try_from(hours).unwrap_or(0))
}

/// One sweep at `now`: late joins, expiries, forgetting. Safe on every replica at once.
pub fn sweep_held_reviews(
    store: &(impl HeldReviewStore + ?Sized),
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<SweepOutcome, StoreError> {
    store.sweep_held_reviews(
        now - ttl(settings),
        now,
        now - Duration::days(DROPPED_KEPT_DAYS),
    )
}
