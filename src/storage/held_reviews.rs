//! Storage port of held reviews: a site's reviews that arrived before their event. They are
//! stored beside the reviews (same screened content, no model: the event names it), join
//! their event in the transaction that stores it, and expire after a configured time.
//! `diesel/held_reviews.rs` implements it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ItemFate, NewEvent, NewReview, StoreError};

/// Why a held review was dropped without becoming a review.
pub mod reason {
    /// Its event did not arrive within `held_review_ttl_hours`.
    pub const EVENT_NEVER_ARRIVED: &str = "event_never_arrived";
    /// Its event arrived, but the review is dated before it.
    pub const REVIEW_BEFORE_EVENT: &str = "review_before_event";
    /// Its event arrived, but a review with its id was stored meanwhile.
    pub const IDEMPOTENCY_CONFLICT: &str = "idempotency_conflict";
}

/// Held reviews that joined their event or were refused at that moment, per site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldJoin {
    pub joined: BTreeMap<String, u64>,
    pub refused: BTreeMap<String, u64>,
}

impl HeldJoin {
    pub fn joined_total(&self) -> u64 {
        self.joined.values().sum()
    }
}

/// What one sweep did: late joins (an event that arrived while its review was being held by
/// a concurrent request) and expiries, per site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    pub join: HeldJoin,
    pub expired: BTreeMap<String, u64>,
}

/// One of a site's held reviews, or one dropped recently, as the site may list them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HeldReviewEntry {
    pub review_id: String,
    pub event_id: String,
    /// `held` (waiting for its event) or `dropped` (never became a review; see `reason`).
    pub status: String,
    pub held_at: DateTime<Utc>,
    /// When a held review expires unless its event arrives first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_at: Option<DateTime<Utc>>,
    /// `event_never_arrived`, `review_before_event` or `idempotency_conflict`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Held reviews: stored, joined with their event, expired, listed.
pub trait HeldReviewStore: Send + Sync {
    /// `IngestStore::ingest_events`, plus: in the same transaction, the held reviews of the
    /// same site for the new events become reviews (with their rollups) and leave the hold.
    fn ingest_events_joining(
        &self,
        events: &[NewEvent],
    ) -> Result<(Vec<ItemFate>, HeldJoin), StoreError>;
    /// Store `reviews` (their event is known) and hold `held` (it is not) in one transaction,
    /// each idempotently against both stored reviews and held ones. Any conflict: nothing is
    /// written and the fates say which. A held review whose event was stored meanwhile joins
    /// it at once.
    fn ingest_reviews_holding(
        &self,
        reviews: &[NewReview],
        held: &[NewReview],
    ) -> Result<(Vec<ItemFate>, Vec<ItemFate>, HeldJoin), StoreError>;
    /// Site holding the review id, if held.
    fn held_review_site(&self, review_id: &str) -> Result<Option<String>, StoreError>;
    /// Join held reviews whose event is stored, then drop (and record) those held before
    /// `cutoff`, and forget records dropped before `forget_before`. Idempotent: each held
    /// review is dropped and counted by exactly one sweep, however many replicas run it.
    fn sweep_held_reviews(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<SweepOutcome, StoreError>;
    /// A site's held reviews (oldest first) and its dropped ones since `since` (newest
    /// first); `ttl` gives the held ones their `expires_at`.
    fn held_reviews_of(
        &self,
        site_id: &str,
        since: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Vec<HeldReviewEntry>, StoreError>;
    /// Held reviews now, per site (sites holding none are absent).
    fn held_review_counts(&self) -> Result<BTreeMap<String, i64>, StoreError>;
}
