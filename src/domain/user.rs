//! A person using Vigil through a user token, with one role.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Role;

/// A registered user.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    /// Login-style name, e.g. `qm.meyer`.
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}
