//! The device register in SQL: devices (UDI-DIs and manufacturer as JSON text) and the model
//! versions each device ran; writes carry their audit entry.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{naive, utc};
use super::schema::{device_software, devices};
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::storage::devices::DeviceStore;
use crate::vigilance::device::{Device, DeviceSoftware, MdrClass};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
struct DeviceRow {
    basic_udi_di: String,
    udi_dis: String,
    trade_name: String,
    mdr_class: String,
    emdn_code: String,
    intended_purpose: String,
    notified_body: Option<String>,
    certificate: Option<String>,
    first_available: String,
    manufacturer: String,
    created_at: NaiveDateTime,
    retired_on: Option<String>,
    retire_reason: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = device_software)]
struct SoftwareRow {
    model_id: String,
    basic_udi_di: String,
    from_day: String,
    until_day: Option<String>,
}

pub(crate) fn day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| StoreError::Other(format!("stored day {s:?} is not a date")))
}

pub(crate) fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Other(format!("stored JSON unreadable: {e}"))
}

impl DeviceRow {
    fn from_device(d: &Device) -> Result<Self, StoreError> {
        Ok(Self {
            basic_udi_di: d.basic_udi_di.clone(),
            udi_dis: serde_json::to_string(&d.udi_dis).map_err(json_err)?,
            trade_name: d.trade_name.clone(),
            mdr_class: d.mdr_class.as_str().into(),
            emdn_code: d.emdn_code.clone(),
            intended_purpose: d.intended_purpose.clone(),
            notified_body: d.notified_body.clone(),
            certificate: d.certificate.clone(),
            first_available: d.first_available.to_string(),
            manufacturer: serde_json::to_string(&d.manufacturer).map_err(json_err)?,
            created_at: naive(d.created_at),
            retired_on: d.retired_on.map(|r| r.to_string()),
            retire_reason: d.retire_reason.clone(),
        })
    }

    fn into_device(self) -> Result<Device, StoreError> {
        Ok(Device {
            udi_dis: serde_json::from_str(&self.udi_dis).map_err(json_err)?,
            mdr_class: MdrClass::parse(&self.mdr_class)
                .ok_or_else(|| StoreError::Other("stored device class unreadable".into()))?,
            first_available: day(&self.first_available)?,
            manufacturer: serde_json::from_str(&self.manufacturer).map_err(json_err)?,
            created_at: utc(self.created_at),
            retired_on: self.retired_on.as_deref().map(day).transpose()?,
            retire_reason: self.retire_reason,
            basic_udi_di: self.basic_udi_di,
            trade_name: self.trade_name,
            emdn_code: self.emdn_code,
            intended_purpose: self.intended_purpose,
            notified_body: self.notified_body,
            certificate: self.certificate,
        })
    }
}

impl SoftwareRow {
    fn into_software(self) -> Result<DeviceSoftware, StoreError> {
        Ok(DeviceSoftware {
            from: day(&self.from_day)?,
            until: self.until_day.as_deref().map(day).transpose()?,
            basic_udi_di: self.basic_udi_di,
            model_id: self.model_id,
        })
    }
}

impl DeviceStore for DieselStore {
    fn insert_device(&self, device: &Device, audit: &AuditDraft) -> Result<(), StoreError> {
        let row = DeviceRow::from_device(device)?;
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            audited_tx!(&mut *conn, audit, |c| diesel::insert_into(devices::table)
                .values(&row)
                .execute(c));
        r.map(|_| ()).map_err(map_err("device"))
    }

    fn update_device(&self, device: &Device, audit: &AuditDraft) -> Result<(), StoreError> {
        let row = DeviceRow::from_device(device)?;
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::update(
            devices::table.find(&row.basic_udi_di)
        )
        .set((
            devices::udi_dis.eq(&row.udi_dis),
            devices::trade_name.eq(&row.trade_name),
            devices::mdr_class.eq(&row.mdr_class),
            devices::emdn_code.eq(&row.emdn_code),
            devices::intended_purpose.eq(&row.intended_purpose),
            devices::notified_body.eq(&row.notified_body),
            devices::certificate.eq(&row.certificate),
            devices::first_available.eq(&row.first_available),
            devices::manufacturer.eq(&row.manufacturer),
            devices::retired_on.eq(&row.retired_on),
            devices::retire_reason.eq(&row.retire_reason),
        ))
        .execute(c));
        match r.map_err(map_err("device"))? {
            0 => Err(StoreError::NotFound("device".into())),
            _ => Ok(()),
        }
    }

    fn devices(&self) -> Result<Vec<Device>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<DeviceRow>> = with_conn!(&mut *conn, |c| devices::table
            .order(devices::basic_udi_di.asc())
            .select(DeviceRow::as_select())
            .load(c));
        rows.map_err(map_err("device"))?
            .into_iter()
            .map(DeviceRow::into_device)
            .collect()
    }

    fn device(&self, basic_udi_di: &str) -> Result<Option<Device>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<DeviceRow>> = with_conn!(&mut *conn, |c| devices::table
            .find(basic_udi_di)
            .select(DeviceRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("device"))?
            .map(DeviceRow::into_device)
            .transpose()
    }

    fn assign_software(&self, sw: &DeviceSoftware, audit: &AuditDraft) -> Result<(), StoreError> {
        let row = SoftwareRow {
            model_id: sw.model_id.clone(),
            basic_udi_di: sw.basic_udi_di.clone(),
            from_day: sw.from.to_string(),
            until_day: sw.until.map(|d| d.to_string()),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::insert_into(
            device_software::table
        )
        .values(&row)
        .execute(c));
        r.map(|_| ()).map_err(map_err("model version's device"))
    }

    fn device_software(&self, basic_udi_di: &str) -> Result<Vec<DeviceSoftware>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<SoftwareRow>> =
            with_conn!(&mut *conn, |c| device_software::table
                .filter(device_software::basic_udi_di.eq(basic_udi_di))
                .order(device_software::from_day.asc())
                .select(SoftwareRow::as_select())
                .load(c));
        rows.map_err(map_err("device software"))?
            .into_iter()
            .map(SoftwareRow::into_software)
            .collect()
    }

    fn device_for_model(&self, model_id: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Option<String>> = with_conn!(&mut *conn, |c| device_software::table
            .find(model_id)
            .select(device_software::basic_udi_di)
            .first(c)
            .optional());
        r.map_err(map_err("device software"))
    }
}
