//! The diesel implementation of every storage trait (`store_<aggregate>.rs`, `jobs.rs`) for
//! SQLite and PostgreSQL.
//!
//! Why not `#[derive(MultiConnection)]`: its `MultiBackend` cannot express multi-row inserts,
//! `ON CONFLICT` or SQLite's `BEGIN IMMEDIATE`, all of which ingest needs. Instead the pool
//! holds a plain enum of the two concrete connections, and the `with_conn!`/`write_tx!`
//! macros expand each query once per backend, so every query is written once and type-checked
//! against both backends by the compiler.

mod admin;
mod alerts;
mod audit;
mod connection;
mod device_groups;
mod devices;
mod evaluations;
mod held_reviews;
mod held_sweep;
mod incidents;
mod ingest;
mod jobs;
mod jobs_claim;
mod monitor;
mod ops;
mod outbox;
mod plan_backtests;
mod plans;
mod report_counts;
mod reports;
mod retraining;
mod rollups;
mod rollups_rebuild;
mod rows;
pub mod schema;
mod sessions;
mod shadow;
pub(crate) mod sqlite_writer;
mod store_alert_history;
mod store_alerts;
mod store_audit;
mod store_health;
mod store_held_reviews;
mod store_ingest;
mod store_models;
mod store_monitoring;
mod store_readiness;
mod store_retraining;
mod store_rollups;
mod store_sites;
mod trend;

use std::time::Duration;

use diesel::migration::MigrationSource;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use connection::{AnyConnection, ConnectionSettings};

use super::{DatabaseKind, PoolState, StoreError};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Run `$body` with `$c` bound to the concrete connection of either backend.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::storage::diesel::AnyConnection::Sqlite($c) => $body,
            $crate::storage::diesel::AnyConnection::Postgres($c) => $body,
        }
    };
}

/// Run `$body` in a write transaction: `BEGIN IMMEDIATE` on SQLite, so a read-then-write
/// transaction waits for the write lock up front instead of failing on upgrade, queued
/// behind this process's other writers (`sqlite_writer`).
macro_rules! write_tx {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::storage::diesel::AnyConnection::Sqlite(conn) => {
                $crate::storage::diesel::sqlite_writer::immediate(conn, |$c| $body)
            }
            $crate::storage::diesel::AnyConnection::Postgres(conn) => conn.transaction(|$c| $body),
        }
    };
}
pub(crate) use {with_conn, write_tx};

type Pool = r2d2::Pool<ConnectionSettings>;

/// The pool's size and its bounded waits (`Settings`' `pool_size`, `sqlite_busy_timeout_ms`
/// and `db_*` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    pub size: u32,
    pub sqlite_busy_timeout_ms: u32,
    pub connect_timeout_s: u64,
    pub statement_timeout_ms: u64,
    pub checkout_timeout_ms: u64,
}

impl PoolOptions {
    /// A pool of `size` with the default waits of `Settings`.
    pub fn new(size: u32, sqlite_busy_timeout_ms: u32) -> Self {
        let d = crate::config::Settings::default();
        Self {
            size,
            sqlite_busy_timeout_ms,
            connect_timeout_s: d.db_connect_timeout_s,
            statement_timeout_ms: d.db_statement_timeout_ms,
            checkout_timeout_ms: d.db_pool_timeout_ms,
        }
    }

    /// Everything from the settings.
    pub fn from_settings(s: &crate::config::Settings) -> Self {
        Self {
            size: s.pool_size,
            sqlite_busy_timeout_ms: s.sqlite_busy_timeout_ms,
            connect_timeout_s: s.db_connect_timeout_s,
            statement_timeout_ms: s.db_statement_timeout_ms,
            checkout_timeout_ms: s.db_pool_timeout_ms,
        }
    }
}

/// `Store` on a pooled SQLite or PostgreSQL database.
#[derive(Clone)]
pub struct DieselStore {
    pool: Pool,
    kind: DatabaseKind,
    /// The SQLite database file (`None` on PostgreSQL or in memory), for the space probe.
    sqlite_file: Option<std::path::PathBuf>,
}

impl DieselStore {
    /// Open the pool (creating the SQLite file and its folder if needed) with the default
    /// waits.
    pub fn open(
        url: &str,
        pool_size: u32,
        sqlite_busy_timeout_ms: u32,
    ) -> Result<Self, StoreError> {
        Self::open_with(url, &PoolOptions::new(pool_size, sqlite_busy_timeout_ms))
    }

    /// Open the pool with the given size and waits.
    pub fn open_with(url: &str, options: &PoolOptions) -> Result<Self, StoreError> {
        let settings = ConnectionSettings::from_url(url, options)?;
        let (kind, sqlite_file) = (settings.kind(), settings.sqlite_file());
        connection::check_first_connection(&settings)?;
        let pool = r2d2::Pool::builder()
            .max_size(options.size)
            .connection_timeout(Duration::from_millis(options.checkout_timeout_ms.max(1)))
            .build(settings)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self {
            pool,
            kind,
            sqlite_file,
        })
    }

    pub(crate) fn conn(&self) -> Result<r2d2::PooledConnection<ConnectionSettings>, StoreError> {
        self.pool
            .get()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Apply pending migrations; returns the names applied.
    pub fn run_migrations(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            AnyConnection::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| names::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS, v)),
            AnyConnection::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| names::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS, v)),
        };
        applied.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    /// Revert every applied migration (used by the up/down/up schema test).
    pub fn revert_all_migrations(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let reverted = match &mut *conn {
            AnyConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            AnyConnection::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        };
        reverted.map_err(|e| StoreError::Other(format!("migration revert failed: {e}")))
    }

    /// Tables and their columns as the database reports them, sorted; excludes diesel's own.
    pub fn describe_schema(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut conn = self.conn()?;
        connection::describe_schema(&mut conn)
    }

    pub(crate) fn describe_ping(&self) -> Result<(), StoreError> {
        let mut conn = self
            .pool
            .get_timeout(Duration::from_secs(2))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let r = with_conn!(&mut *conn, |c| {
            diesel::connection::SimpleConnection::batch_execute(c, "SELECT 1")
        });
        r.map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    pub(crate) fn pool_state(&self) -> PoolState {
        let s = self.pool.state();
        PoolState {
            connections: s.connections,
            idle: s.idle_connections,
            max: self.pool.max_size(),
        }
    }

    pub(crate) fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The SQLite database file (`None` on PostgreSQL or an in-memory database).
    pub(crate) fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self.sqlite_file.clone()
    }
}

/// The applied migrations by folder name (`2026-11-26-000001_ingest_foundation`), which is
/// what a person finds under `migrations/`; diesel returns only the version digits.
fn names<DB: diesel::backend::Backend>(
    source: &EmbeddedMigrations,
    applied: Vec<diesel::migration::MigrationVersion<'_>>,
) -> Vec<String>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let all = MigrationSource::<DB>::migrations(source).unwrap_or_default();
    applied
        .into_iter()
        .map(|v| {
            all.iter()
                .find(|m| m.name().version() == v)
                .map_or_else(|| v.to_string(), |m| m.name().to_string())
        })
        .collect()
}

/// Map a diesel error onto the port's error, naming what conflicted.
pub(crate) fn map_err(what: &str) -> impl Fn(DieselError) -> StoreError + '_ {
    move |e| match e {
        DieselError::NotFound => StoreError::NotFound(what.to_string()),
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            StoreError::Conflict(what.to_string())
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            StoreError::Unavailable(info.message().to_string())
        }
        other if crate::storage::readiness::refuses_writes(&other.to_string()) => {
            StoreError::Unavailable(format!("the database refuses writes: {other}"))
        }
        other => StoreError::Other(other.to_string()),
    }
}

/// The `LIKE` pattern (escape character `\`) matching every version id `name@version` of a
/// model name: the name's own `%`, `_` and `\` match only themselves.
pub(crate) fn versions_of(name: &str) -> String {
    let mut p = String::with_capacity(name.len() + 2);
    for ch in name.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push_str("@%");
    p
}
