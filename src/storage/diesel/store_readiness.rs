//! `impl ReadinessStore for DieselStore`: upsert the one row of `readiness_probe` in a write
//! transaction (queued behind this process's other SQLite writers like any write); on SQLite
//! also write and remove a scratch file of [`HEADROOM_BYTES`] beside the database, because
//! the row's write may still fit into space the write-ahead log already holds.

use std::io::Write;

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
            .map_err(|e| StoreError::Unavailable(format!("the database refuses writes: {e}")))?;
        match self.sqlite_file() {
            Some(file) => probe_space(&file),
            None => Ok(()),
        }
    }
}

/// Room the filesystem of an SQLite database must have left for the service to be ready.
const HEADROOM_BYTES: usize = 64 * 1024;

/// Write, sync and remove `HEADROOM_BYTES` beside `db`; `Unavailable` when there is no room.
fn probe_space(db: &std::path::Path) -> Result<(), StoreError> {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-readyz");
    let scratch = db.with_file_name(name);
    let written = std::fs::File::create(&scratch).and_then(|mut f| {
        f.write_all(&[0u8; HEADROOM_BYTES])?;
        f.sync_all()
    });
    let removed = std::fs::remove_file(&scratch);
    written.and(removed).map_err(|e| {
        StoreError::Unavailable(format!(
            "no room left beside the database ({} KiB scratch write failed): {e}",
            HEADROOM_BYTES / 1024
        ))
    })
}
