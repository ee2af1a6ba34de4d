//! Storage port of one aggregate: database health and pool occupancy (readiness, metrics).
//! `diesel/store_health.rs` implements it; `Store` is the sum of all such traits.

use super::{DatabaseKind, StoreError};

/// Connection pool occupancy, for the metrics gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// Database health and pool occupancy (readiness, metrics).
pub trait HealthStore: Send + Sync {
    fn kind(&self) -> DatabaseKind;
    /// Round-trip to the database (readiness).
    fn ping(&self) -> Result<(), StoreError>;
    fn pool_state(&self) -> PoolState;
}
