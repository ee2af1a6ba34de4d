//! Storage port of console sign-in sessions. Kept apart from the big `Store` trait: the
//! console owns its table. The session id itself never reaches the store, only its SHA-256.

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::user::User;

/// A console session as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleSession {
    /// SHA-256 (hex) of the random id the cookie carries.
    pub id_hash: String,
    pub user_id: String,
    /// Posted back by every console form (synchroniser token).
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Console sessions: created at sign-in, looked up on every page, deleted at sign-out.
pub trait SessionStore: Send + Sync {
    fn insert_session(&self, session: &ConsoleSession) -> Result<(), StoreError>;
    /// The session with its user, expired or not (the caller checks expiry and `disabled`).
    fn session(&self, id_hash: &str) -> Result<Option<(ConsoleSession, User)>, StoreError>;
    fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;
    /// Remove sessions that expired before `now`; returns how many.
    fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;
}
