//! `impl RollupStore for DieselStore`: each method delegates to `rollups.rs`.

use super::DieselStore;
use crate::storage::StoreError;
use crate::storage::rollups::{RollupFilter, RollupGrouping, RollupRow, RollupStore};

impl RollupStore for DieselStore {
    fn rollups(
        &self,
        filter: &RollupFilter,
        grouping: RollupGrouping,
    ) -> Result<Vec<RollupRow>, StoreError> {
        self.load_rollups(filter, grouping)
    }
    fn rebuild_rollups(&self) -> Result<u64, StoreError> {
        self.rebuild_rollup_rows()
    }
}
