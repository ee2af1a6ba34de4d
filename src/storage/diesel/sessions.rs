//! `SessionStore` for the diesel store: one small table, `console_sessions`, joined to
//! `users` on lookup so a disabled user's session is seen as such at once.

use diesel::prelude::*;

use super::rows::{UserRow, naive, utc};
use super::schema::{console_sessions, users};
use super::{DieselStore, map_err, with_conn};
use crate::domain::user::User;
use crate::storage::StoreError;
use crate::storage::sessions::{ConsoleSession, SessionStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
struct SessionRow {
    id_hash: String,
    user_id: String,
    csrf_token: String,
    created_at: chrono::NaiveDateTime,
    expires_at: chrono::NaiveDateTime,
}

impl From<SessionRow> for ConsoleSession {
    fn from(r: SessionRow) -> Self {
        ConsoleSession {
            id_hash: r.id_hash,
            user_id: r.user_id,
            csrf_token: r.csrf_token,
            created_at: utc(r.created_at),
            expires_at: utc(r.expires_at),
        }
    }
}

impl SessionStore for DieselStore {
    fn insert_session(&self, s: &ConsoleSession) -> Result<(), StoreError> {
        let row = SessionRow {
            id_hash: s.id_hash.clone(),
            user_id: s.user_id.clone(),
            csrf_token: s.csrf_token.clone(),
            created_at: naive(s.created_at),
            expires_at: naive(s.expires_at),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            with_conn!(&mut *conn, |c| diesel::insert_into(console_sessions::table)
                .values(&row)
                .execute(c));
        r.map(|_| ()).map_err(map_err("console session"))
    }

    fn session(&self, id_hash: &str) -> Result<Option<(ConsoleSession, User)>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Option<(SessionRow, UserRow)>> = with_conn!(&mut *conn, |c| {
            console_sessions::table
                .inner_join(users::table)
                .filter(console_sessions::id_hash.eq(id_hash))
                .select((SessionRow::as_select(), UserRow::as_select()))
                .first(c)
                .optional()
        });
        match r.map_err(map_err("console session"))? {
            Some((s, u)) => Ok(Some((s.into(), User::try_from(u)?))),
            None => Ok(None),
        }
    }

    fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let target = console_sessions::table.filter(console_sessions::id_hash.eq(id_hash));
        let r: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::delete(target).execute(c));
        r.map(|_| ()).map_err(map_err("console session"))
    }

    fn delete_expired_sessions(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let target = console_sessions::table.filter(console_sessions::expires_at.lt(naive(now)));
        let r: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::delete(target).execute(c));
        r.map_err(map_err("console sessions"))
    }
}
