//! Device group versions in SQL (`device_group_versions`); the insert carries its audit entry.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{naive, utc};
use super::schema::device_group_versions as g;
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::storage::device_groups::{DeviceGroupStore, DeviceGroupVersion};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = g)]
struct GroupRow {
    leading_udi_di: String,
    version: i64,
    members: String,
    justification: String,
    changed_by: String,
    changed_at: NaiveDateTime,
}

fn records(rows: QueryResult<Vec<GroupRow>>) -> Result<Vec<DeviceGroupVersion>, StoreError> {
    rows.map_err(map_err("device group"))?
        .into_iter()
        .map(|r| {
            Ok(DeviceGroupVersion {
                members: serde_json::from_str(&r.members)
                    .map_err(|e| StoreError::Other(format!("device group members: {e}")))?,
                leading_udi_di: r.leading_udi_di,
                version: r.version,
                justification: r.justification,
                changed_by: r.changed_by,
                changed_at: utc(r.changed_at),
            })
        })
        .collect()
}

impl DeviceGroupStore for DieselStore {
    fn insert_group_version(
        &self,
        v: &DeviceGroupVersion,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = GroupRow {
            leading_udi_di: v.leading_udi_di.clone(),
            version: v.version,
            members: serde_json::to_string(&v.members).unwrap_or_else(|_| "[]".into()),
            justification: v.justification.clone(),
            changed_by: v.changed_by.clone(),
            changed_at: naive(v.changed_at),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::insert_into(g::table)
                .values(&row)
                .execute(c));
        r.map(|_| ()).map_err(map_err("device group version"))
    }

    fn group_versions(&self, leading: &str) -> Result<Vec<DeviceGroupVersion>, StoreError> {
        let mut conn = self.conn()?;
        let rows = with_conn!(&mut *conn, |c| g::table
            .filter(g::leading_udi_di.eq(leading))
            .order(g::version.asc())
            .select(GroupRow::as_select())
            .load(c));
        records(rows)
    }

    fn device_groups(&self) -> Result<Vec<DeviceGroupVersion>, StoreError> {
        let mut conn = self.conn()?;
        let rows = with_conn!(&mut *conn, |c| g::table
            .order((g::leading_udi_di.asc(), g::version.asc()))
            .select(GroupRow::as_select())
            .load(c));
        let mut latest: Vec<DeviceGroupVersion> = Vec::new();
        for v in records(rows)? {
            match latest.last_mut() {
                Some(l) if l.leading_udi_di == v.leading_udi_di => *l = v,
                _ => latest.push(v),
            }
        }
        Ok(latest)
    }
}
