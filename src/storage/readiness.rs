//! Storage port of one aggregate: readiness. `/readyz` asks the database for a real write,
//! so that a read-only database (a failed-over replica, a role turned read-only) or a full
//! disk makes the service not ready instead of failing every write with 500.
//! `diesel/store_readiness.rs` implements it; `Store` is the sum of all such traits.
//!
//! A full disk does not always fail the probe row's write (SQLite reuses the space of its
//! write-ahead log), so on SQLite the probe also writes a small scratch file beside the
//! database: no room for it, not ready. And every write the database refuses for want of
//! space or write access is [`StoreError::Unavailable`] (503 `service_unavailable`), never a
//! 500: [`refuses_writes`] tells those errors apart.

use chrono::{DateTime, Utc};

use super::StoreError;

/// A cheap committed write that fails when the database refuses writes.
pub trait ReadinessStore: Send + Sync {
    /// Write the one probe row with `at`; `Unavailable` naming the cause when refused.
    fn probe_write(&self, at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// Whether a database error says the database cannot take writes now: no space left (SQLite
/// `SQLITE_FULL`, an I/O error on writing, PostgreSQL `disk_full` 53100 / "could not extend
/// file"), or a read-only database or transaction. Such a write is refused with 503, and
/// succeeds again once space or write access is back, without a restart.
pub fn refuses_writes(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "database or disk is full",
        "disk i/o error",
        "no space left on device",
        "could not extend file",
        "could not write to file",
        "attempt to write a readonly database",
        "read-only transaction",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::refuses_writes;

    #[test]
    fn out_of_space_and_read_only_errors_are_told_apart() {
        for refused in [
            "database or disk is full",
            "disk I/O error",
            "could not extend file \"base/16384/16397\": No space left on device",
            "attempt to write a readonly database",
            "cannot execute INSERT in a read-only transaction",
        ] {
            assert!(refuses_writes(refused), "{refused}");
        }
        for other in [
            "UNIQUE constraint failed: events.id",
            "no such table: events",
        ] {
            assert!(!refuses_writes(other), "{other}");
        }
    }
}
