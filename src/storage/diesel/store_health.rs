//! `impl HealthStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use super::DieselStore;
use crate::storage::{DatabaseKind, HealthStore, PoolState, StoreError};

impl HealthStore for DieselStore {
    fn kind(&self) -> DatabaseKind {
        DieselStore::kind(self)
    }
    fn ping(&self) -> Result<(), StoreError> {
        self.describe_ping()
    }
    fn pool_state(&self) -> PoolState {
        DieselStore::pool_state(self)
    }
}
