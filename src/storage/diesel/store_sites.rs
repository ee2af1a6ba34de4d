//! `impl SiteStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use chrono::{DateTime, Utc};

use super::DieselStore;
use crate::domain::audit::AuditDraft;
use crate::domain::site::Site;
use crate::domain::user::User;
use crate::storage::{SiteStore, StoreError};

impl SiteStore for DieselStore {
    fn insert_site(
        &self,
        site: &Site,
        key_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_site_row(site, key_hash, audit)
    }
    fn list_sites(&self) -> Result<Vec<Site>, StoreError> {
        self.load_sites()
    }
    fn site_by_key_hash(&self, key_hash: &str) -> Result<Option<Site>, StoreError> {
        self.find_site_by_key(key_hash)
    }
    fn rotate_site_key(
        &self,
        site_id: &str,
        key_hash: &str,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_site_key(site_id, key_hash, at, audit)
    }
    fn set_site_disabled(
        &self,
        site_id: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_site_disabled(site_id, disabled, audit)
    }
    fn insert_user(
        &self,
        user: &User,
        token_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_user_row(user, token_hash, audit)
    }
    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.load_users()
    }
    fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        self.find_user_by_token(token_hash)
    }
    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_user_disabled(name, disabled, audit)
    }
}
