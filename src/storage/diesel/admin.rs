//! Sites, users and model versions: every change is written together with its audit entry.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{ModelRow, SiteRow, UserRow, naive};
use super::schema::{models, sites, users};
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::domain::model::ModelVersion;
use crate::domain::site::Site;
use crate::domain::user::User;
use crate::storage::StoreError;

/// Turn "no row updated" into NotFound.
fn exactly_one(what: &str, n: usize) -> Result<(), StoreError> {
    if n == 0 {
        Err(StoreError::NotFound(what.to_string()))
    } else {
        Ok(())
    }
}

impl DieselStore {
    pub(crate) fn insert_site_row(
        &self,
        site: &Site,
        key_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = SiteRow {
            id: site.id.clone(),
            name: site.name.clone(),
            country: site.country.clone(),
            key_hash: key_hash.to_string(),
            disabled: site.disabled,
            created_at: naive(site.created_at),
            key_rotated_at: naive(site.key_rotated_at),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::insert_into(sites::table)
                .values(&row)
                .execute(c));
        r.map(|_| ()).map_err(map_err(&format!("site {}", site.id)))
    }

    pub(crate) fn load_sites(&self) -> Result<Vec<Site>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<SiteRow>> = with_conn!(&mut *conn, |c| sites::table
            .order(sites::id)
            .select(SiteRow::as_select())
            .load(c));
        Ok(rows
            .map_err(map_err("sites"))?
            .into_iter()
            .map(Site::from)
            .collect())
    }

    pub(crate) fn find_site_by_key(&self, key_hash: &str) -> Result<Option<Site>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<SiteRow>> = with_conn!(&mut *conn, |c| sites::table
            .filter(sites::key_hash.eq(key_hash))
            .select(SiteRow::as_select())
            .first(c)
            .optional());
        Ok(row.map_err(map_err("site"))?.map(Site::from))
    }

    pub(crate) fn update_site_key(
        &self,
        id: &str,
        key_hash: &str,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let at = naive(at);
        let n: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::update(sites::table.find(id))
                .set((sites::key_hash.eq(key_hash), sites::key_rotated_at.eq(at)))
                .execute(c));
        exactly_one(&format!("site {id}"), n.map_err(map_err("site key"))?)
    }

    pub(crate) fn update_site_disabled(
        &self,
        id: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let n: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::update(sites::table.find(id))
                .set(sites::disabled.eq(disabled))
                .execute(c));
        exactly_one(&format!("site {id}"), n.map_err(map_err("site"))?)
    }

    pub(crate) fn insert_user_row(
        &self,
        user: &User,
        token_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = UserRow {
            id: user.id.clone(),
            name: user.name.clone(),
            role: user.role.to_string(),
            token_hash: token_hash.to_string(),
            disabled: user.disabled,
            created_at: naive(user.created_at),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::insert_into(users::table)
                .values(&row)
                .execute(c));
        r.map(|_| ())
            .map_err(map_err(&format!("user {}", user.name)))
    }

    pub(crate) fn load_users(&self) -> Result<Vec<User>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<UserRow>> = with_conn!(&mut *conn, |c| users::table
            .order(users::name)
            .select(UserRow::as_select())
            .load(c));
        rows.map_err(map_err("users"))?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    pub(crate) fn find_user_by_token(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<UserRow>> = with_conn!(&mut *conn, |c| users::table
            .filter(users::token_hash.eq(token_hash))
            .select(UserRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("user"))?
            .map(User::try_from)
            .transpose()
    }

    pub(crate) fn update_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::update(
            users::table.filter(users::name.eq(name))
        )
        .set(users::disabled.eq(disabled))
        .execute(c));
        exactly_one(&format!("user {name}"), n.map_err(map_err("user"))?)
    }

    pub(crate) fn insert_model_row(
        &self,
        model: &ModelVersion,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let mut row = ModelRow::try_from(model)?;
        row.created_at = naive(model.created_at);
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::insert_into(models::table)
                .values(&row)
                .execute(c));
        r.map(|_| ())
            .map_err(map_err(&format!("model {}", model.id)))
    }

    pub(crate) fn load_models(&self) -> Result<Vec<ModelVersion>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<ModelRow>> = with_conn!(&mut *conn, |c| models::table
            .order((models::name, models::created_at))
            .select(ModelRow::as_select())
            .load(c));
        rows.map_err(map_err("models"))?
            .into_iter()
            .map(ModelVersion::try_from)
            .collect()
    }

    pub(crate) fn find_model_row(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ModelVersion>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<ModelRow>> = with_conn!(&mut *conn, |c| models::table
            .filter(models::name.eq(name).and(models::version.eq(version)))
            .select(ModelRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("model"))?
            .map(ModelVersion::try_from)
            .transpose()
    }
}
