//! Held-review metrics: expiries and refusals at join counted in the process whose sweep or
//! request dropped them (each held review is dropped by exactly one, so the sum over
//! replicas is the truth), and the reviews held now, read from the database at scrape time
//! (the same on every replica; dashboards take `max`).

use prometheus::{IntCounterVec, IntGaugeVec, Registry};

use super::telemetry::{counter_vec, gauge_vec};
use crate::storage::held_reviews::{HeldJoin, HeldReviewStore, SweepOutcome};

pub struct HeldMetrics {
    expired: IntCounterVec,
    refused: IntCounterVec,
    held: IntGaugeVec,
    ingest_items: IntCounterVec,
}

impl HeldMetrics {
    /// `ingest_items` is `vigil_ingest_items_total`: a joined review counts there as an
    /// accepted review, exactly as if it had come after its event.
    pub fn new(r: &Registry, ingest_items: IntCounterVec) -> Self {
        Self {
            expired: counter_vec(
                r,
                "vigil_ingest_held_reviews_expired_total",
                "Held reviews dropped because their event did not arrive within held_review_ttl_hours, by site",
                &["site"],
            ),
            refused: counter_vec(
                r,
                "vigil_ingest_held_reviews_refused_total",
                "Held reviews refused when their event arrived (dated before it, or id taken), by site",
                &["site"],
            ),
            held: gauge_vec(
                r,
                "vigil_ingest_held_reviews",
                "Reviews held now because their event has not arrived, by site",
                &["site"],
            ),
            ingest_items,
        }
    }

    /// Count held reviews that joined their event or were refused at that moment.
    pub fn observe_join(&self, join: &HeldJoin) {
        for (site, n) in &join.joined {
            self.ingest_items
                .with_label_values(&["reviews", "accepted", site])
                .inc_by(*n);
        }
        for (site, n) in &join.refused {
            self.refused.with_label_values(&[site]).inc_by(*n);
        }
    }

    /// Count what one sweep did.
    pub fn observe_sweep(&self, sweep: &SweepOutcome) {
        self.observe_join(&sweep.join);
        for (site, n) in &sweep.expired {
            self.expired.with_label_values(&[site]).inc_by(*n);
        }
    }

    /// Refill the held gauge; keeps the last values when the database cannot be read.
    pub fn refresh(&self, store: &(impl HeldReviewStore + ?Sized)) {
        match store.held_review_counts() {
            Ok(counts) => {
                self.held.reset();
                for (site, n) in counts {
                    self.held.with_label_values(&[site.as_str()]).set(n);
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: held reviews unavailable"),
        }
    }
}
