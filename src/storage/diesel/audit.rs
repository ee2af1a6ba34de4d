//! The audit chain in SQL: entries are appended inside the same transaction as the change they
//! record, after taking the chain's lock, so concurrent writers cannot fork the chain.

use diesel::prelude::*;

use super::rows::AuditRow;
use super::schema::audit_log;
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::storage::StoreError;

/// Append the entry for `$draft` on connection `$c` (inside a transaction); yields the entry.
macro_rules! append_entry {
    ($c:ident, $draft:expr) => {{
        let last: Option<$crate::storage::diesel::rows::AuditRow> =
            $crate::storage::diesel::schema::audit_log::table
                .order($crate::storage::diesel::schema::audit_log::seq.desc())
                .select($crate::storage::diesel::rows::AuditRow::as_select())
                .first($c)
                .optional()?;
        let prev = last.map($crate::domain::audit::AuditEntry::from);
        // Microseconds: PostgreSQL keeps no more, and the hash must survive the round trip.
        let at = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
        let entry = $crate::domain::audit::AuditEntry::chain(prev.as_ref(), $draft, at);
        diesel::insert_into($crate::storage::diesel::schema::audit_log::table)
            .values($crate::storage::diesel::rows::AuditRow::from(&entry))
            .execute($c)?;
        entry
    }};
}

/// Run `$body` (a `QueryResult`) and append the audit entry, atomically. On PostgreSQL the
/// audit table is locked first so that concurrent appenders queue instead of forking the chain.
macro_rules! audited_tx {
    ($conn:expr, $draft:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::storage::diesel::AnyConnection::Sqlite(conn) => {
                $crate::storage::diesel::sqlite_writer::immediate(conn, |$c| {
                    let out = $body?;
                    $crate::storage::diesel::audit::append_entry!($c, $draft);
                    Ok(out)
                })
            }
            $crate::storage::diesel::AnyConnection::Postgres(conn) => conn.transaction(|$c| {
                diesel::sql_query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
                    .execute($c)?;
                let out = $body?;
                $crate::storage::diesel::audit::append_entry!($c, $draft);
                Ok(out)
            }),
        }
    };
}
pub(crate) use {append_entry, audited_tx};

impl DieselStore {
    pub(crate) fn append_audit_entry(&self, draft: &AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<AuditEntry> = audited_entry(&mut conn, draft);
        r.map_err(map_err("audit entry"))
    }

    pub(crate) fn load_audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<AuditRow>> = with_conn!(&mut *conn, |c| audit_log::table
            .order(audit_log::seq.asc())
            .select(AuditRow::as_select())
            .load(c));
        Ok(rows
            .map_err(map_err("audit log"))?
            .into_iter()
            .map(AuditEntry::from)
            .collect())
    }
}

fn audited_entry(conn: &mut super::AnyConnection, draft: &AuditDraft) -> QueryResult<AuditEntry> {
    match conn {
        super::AnyConnection::Sqlite(c) => {
            super::sqlite_writer::immediate(c, |c| Ok(append_entry!(c, draft)))
        }
        super::AnyConnection::Postgres(c) => c.transaction(|c| {
            diesel::sql_query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE").execute(c)?;
            Ok(append_entry!(c, draft))
        }),
    }
}
