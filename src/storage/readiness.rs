//! Storage port of one aggregate: readiness. `/readyz` asks the database for a real write,
//! so that a read-only database (a failed-over replica, a role turned read-only) or a full
//! disk makes the service not ready instead of failing every write with 500.
//! `diesel/store_readiness.rs` implements it; `Store` is the sum of all such traits.

use chrono::{DateTime, Utc};

use super::StoreError;

/// A cheap committed write that fails when the database refuses writes.
pub trait ReadinessStore: Send + Sync {
    /// Write the one probe row with `at`; `Unavailable` naming the cause when refused.
    fn probe_write(&self, at: DateTime<Utc>) -> Result<(), StoreError>;
}
