//! `impl ReadinessStore for DieselStore`: upsert the one row of `readiness_probe` in a write
//! transaction (queued behind this process's other SQLite writers like any write).

use diesel::prelude::*;

use super::schema::readiness_probe;
use super::{DieselStore, write_tx};
use crate::storage::{ReadinessStore, StoreError};

impl ReadinessStore for DieselStore {
    fn probe_write(&self, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        let at = at.naive_utc();
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = write_tx!(&mut *conn, |c| {
            diesel::insert_into(readiness_probe::table)
                .values((readiness_probe::id.eq(1), readiness_probe::probed_at.eq(at)))
                .on_conflict(readiness_probe::id)
                .do_update()
                .set(readiness_probe::probed_at.eq(at))
                .execute(c)
        });
        r.map(drop)
            .map_err(|e| StoreError::Unavailable(format!("the database refuses writes: {e}")))
    }
}
