//! Storage port of one aggregate: sites and users with their credentials (stored as SHA-256
//! hashes). `diesel/store_sites.rs` implements it; `Store` is the sum of all such traits.

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::audit::AuditDraft;
use crate::domain::site::Site;
use crate::domain::user::User;

/// Sites and users with their credentials (stored as SHA-256 hashes).
pub trait SiteStore: Send + Sync {
    fn insert_site(
        &self,
        site: &Site,
        key_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn list_sites(&self) -> Result<Vec<Site>, StoreError>;
    fn site_by_key_hash(&self, key_hash: &str) -> Result<Option<Site>, StoreError>;
    fn rotate_site_key(
        &self,
        site_id: &str,
        key_hash: &str,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn set_site_disabled(
        &self,
        site_id: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn insert_user(
        &self,
        user: &User,
        token_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn list_users(&self) -> Result<Vec<User>, StoreError>;
    fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
}
