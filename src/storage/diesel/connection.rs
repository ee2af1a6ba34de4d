//! Connections: the two-backend enum, the r2d2 manager that opens either from its URL (and
//! reports the real error, which `MultiConnection::establish` hides), SQLite's pragmas, and
//! schema introspection for the migration test.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::{ConnectionError, PgConnection, SqliteConnection};

use crate::storage::{DatabaseKind, StoreError};

/// A connection to either backend.
pub enum AnyConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// How to open connections: the r2d2 manager.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    kind: DatabaseKind,
    target: String,
    busy_timeout_ms: u32,
    /// PostgreSQL `statement_timeout` of every connection, milliseconds.
    statement_timeout_ms: u64,
}

impl ConnectionSettings {
    pub fn from_url(url: &str, options: &super::PoolOptions) -> Result<Self, StoreError> {
        let kind = DatabaseKind::from_url(url).map_err(StoreError::Other)?;
        let target = match kind {
            DatabaseKind::Sqlite => {
                let path = url.trim_start_matches("sqlite://").to_string();
                // An SQLite URI filename (`file:PATH?mode=ro`) names its file before the `?`.
                let file = path
                    .strip_prefix("file:")
                    .map_or(path.as_str(), |p| p.split('?').next().unwrap_or(p));
                create_parent_dir(file)?;
                path
            }
            DatabaseKind::Postgres => with_connect_timeout(url, options.connect_timeout_s),
        };
        Ok(Self {
            kind,
            target,
            busy_timeout_ms: options.sqlite_busy_timeout_ms,
            statement_timeout_ms: options.statement_timeout_ms,
        })
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The SQLite database file, `None` on PostgreSQL or in memory.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        if self.kind != DatabaseKind::Sqlite || self.target.contains(":memory:") {
            return None;
        }
        let file = self
            .target
            .strip_prefix("file:")
            .map_or(self.target.as_str(), |p| p.split('?').next().unwrap_or(p));
        Some(std::path::PathBuf::from(file))
    }

    fn target_url(&self) -> String {
        match self.kind {
            DatabaseKind::Sqlite => format!("sqlite://{}", self.target),
            DatabaseKind::Postgres => self.target.clone(),
        }
    }
}

/// libpq waits for the operating system's TCP timeout (minutes) on an unreachable host;
/// unless the URL sets its own, give up after `secs` (`db_connect_timeout_s`; libpq's
/// least is 2) so that a wrong address or a hung server fails fast.
fn with_connect_timeout(url: &str, secs: u64) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout={}", secs.max(2))
}

/// Where a database URL points, without credentials or options, for error messages.
pub fn describe_target(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparsable URL>".into();
    };
    let rest = rest.split('?').next().unwrap_or(rest);
    let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// The likely cause of a failed first connection, said in words a person can act on.
fn likely_cause(kind: DatabaseKind, error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    match kind {
        DatabaseKind::Sqlite => "check that the path is writable",
        DatabaseKind::Postgres if e.contains("does not exist") && e.contains("database") => {
            "the server answers but has no such database: create it (createdb NAME) or fix the URL"
        }
        DatabaseKind::Postgres if e.contains("authentication") || e.contains("password") => {
            "the server refused the credentials in the URL"
        }
        DatabaseKind::Postgres => {
            "no PostgreSQL server answers there: is it running, and are host and port right?"
        }
    }
}

/// Open one connection before the pool is built, so that a wrong URL fails at once with the
/// address and the likely cause instead of after the pool's retries. On SQLite this also
/// switches a fresh file to WAL alone: several pooled connections doing it at the same time
/// would collide on the file lock ("database is locked").
pub fn check_first_connection(settings: &ConnectionSettings) -> Result<(), StoreError> {
    use r2d2::ManageConnection;
    settings.connect().map(drop).map_err(|e| {
        let error = e.to_string();
        StoreError::Unavailable(format!(
            "cannot connect to {}: {} ({})",
            describe_target(&settings.target_url()),
            error.trim(),
            likely_cause(settings.kind, &error)
        ))
    })
}

fn create_parent_dir(path: &str) -> Result<(), StoreError> {
    match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

impl r2d2::ManageConnection for ConnectionSettings {
    type Connection = AnyConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<AnyConnection, ConnectionError> {
        match self.kind {
            DatabaseKind::Postgres => {
                let mut c = PgConnection::establish(&self.target)?;
                // The server ends a statement that runs longer (503 to the caller).
                let limit = format!("SET statement_timeout = {}", self.statement_timeout_ms);
                c.batch_execute(&limit)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Postgres(c))
            }
            DatabaseKind::Sqlite => {
                let mut c = SqliteConnection::establish(&self.target)?;
                // WAL lets readers run beside the writer; NORMAL sync is durable against
                // process crashes (SIGKILL), which is what the ingest guarantee needs. The busy
                // timeout comes first so that every later pragma waits for the file lock.
                let pragmas = format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    self.busy_timeout_ms
                );
                c.batch_execute(&pragmas)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectionError> {
        let r = match conn {
            AnyConnection::Sqlite(c) => c.batch_execute("SELECT 1"),
            AnyConnection::Postgres(c) => c.batch_execute("SELECT 1"),
        };
        r.map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

// Base tables only: the dashboards' SQL views are not part of the diesel schema (SQLite's
// query below already skips views).
const PG_COLUMNS: &str = "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name \
     FROM information_schema.columns c JOIN information_schema.tables t \
     ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'";
const SQLITE_COLUMNS: &str = "SELECT m.name AS table_name, p.name AS column_name \
     FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
     AND m.name NOT LIKE 'sqlite_%'";

/// Tables and columns of the current schema, sorted, without diesel's bookkeeping table.
pub fn describe_schema(conn: &mut AnyConnection) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let rows: Vec<ColumnRow> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(SQLITE_COLUMNS).load(c),
        AnyConnection::Postgres(c) => diesel::sql_query(PG_COLUMNS).load(c),
    }
    .map_err(|e| StoreError::Other(e.to_string()))?;
    let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in rows
        .into_iter()
        .filter(|r| r.table_name != "__diesel_schema_migrations")
    {
        tables.entry(r.table_name).or_default().push(r.column_name);
    }
    Ok(tables
        .into_iter()
        .map(|(t, mut cols)| {
            cols.sort();
            (t, cols)
        })
        .collect())
}
