//! SQLite has one writer at a time. Its busy handler polls with growing sleeps, so under
//! steady write load a waiting transaction can keep missing the free moments until the busy
//! timeout ends it with "database is locked" (seen: 1-10 of 1,000 ingest batches of 8
//! concurrent clients failing after 5 s). This process therefore queues its own write
//! transactions on one lock before `BEGIN IMMEDIATE`: they take turns instead of racing, and
//! the busy timeout is left to waits on other processes (`vigil worker`, the CLI). Readers
//! take no lock here; WAL keeps them running beside the writer.

use std::cell::Cell;
use std::sync::Mutex;

use diesel::SqliteConnection;
use diesel::result::Error as DieselError;

/// Held for the whole of one write transaction of this process.
static WRITER: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread holds `WRITER` (a nested write must not wait for itself).
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// Run `body` in a `BEGIN IMMEDIATE` transaction, after this process's earlier writers.
pub fn immediate<T, E, F>(conn: &mut SqliteConnection, body: F) -> Result<T, E>
where
    F: FnOnce(&mut SqliteConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    if HOLDING.with(Cell::get) {
        return conn.immediate_transaction(body);
    }
    // A writer that panicked left no transaction open (diesel rolls back): the lock is fine.
    let _turn = WRITER.lock().unwrap_or_else(|p| p.into_inner());
    HOLDING.with(|h| h.set(true));
    let out = conn.immediate_transaction(body);
    HOLDING.with(|h| h.set(false));
    out
}
