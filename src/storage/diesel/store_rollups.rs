//! `impl RollupStore for DieselStore`: each method delegates to `rollups.rs` or
//! `rollups_rebuild.rs`.

use chrono::NaiveDate;

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
    fn rollup_day_span(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
        self.load_rollup_day_span()
    }
    fn rebuild_rollup_days(&self, from: NaiveDate, to: NaiveDate) -> Result<u64, StoreError> {
        self.rebuild_rollup_day_rows(from, to)
    }
}
