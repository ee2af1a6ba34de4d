//! Row structs (`XRow` read, `NewXRow` written) and their conversions to domain types.
//! Times are stored as UTC `TIMESTAMP` and become `DateTime<Utc>` here, at the edge.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{audit_log, events, models, reviews, sites, users};
use crate::domain::audit::AuditEntry;
use crate::domain::model::ModelVersion;
use crate::domain::site::Site;
use crate::domain::user::User;
use crate::storage::{NewEvent, NewReview, StoreError};

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A UTC time as stored: truncated to microseconds, the finest PostgreSQL keeps, so a value
/// reads back equal on both backends (the audit hash depends on that).
pub fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    chrono::SubsecRound::trunc_subsecs(t, 6).naive_utc()
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = sites)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub country: String,
    pub key_hash: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub key_rotated_at: NaiveDateTime,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Self {
        Site {
            id: r.id,
            name: r.name,
            country: r.country,
            disabled: r.disabled,
            created_at: utc(r.created_at),
            key_rotated_at: utc(r.key_rotated_at),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub token_hash: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            role: r.role.parse().map_err(StoreError::Other)?,
            id: r.id,
            name: r.name,
            disabled: r.disabled,
            created_at: utc(r.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = models)]
pub struct ModelRow {
    pub id: String,
    pub name: String,
    pub version: String,
    pub feature_schema: String,
    pub created_at: NaiveDateTime,
}

impl TryFrom<ModelRow> for ModelVersion {
    type Error = StoreError;
    fn try_from(r: ModelRow) -> Result<Self, StoreError> {
        let feature_schema = serde_json::from_str(&r.feature_schema)
            .map_err(|e| StoreError::Other(format!("stored feature schema of {}: {e}", r.id)))?;
        Ok(ModelVersion {
            id: r.id,
            name: r.name,
            version: r.version,
            feature_schema,
            created_at: utc(r.created_at),
        })
    }
}

impl TryFrom<&ModelVersion> for ModelRow {
    type Error = StoreError;
    fn try_from(m: &ModelVersion) -> Result<Self, StoreError> {
        Ok(ModelRow {
            id: m.id.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            feature_schema: serde_json::to_string(&m.feature_schema)
                .map_err(|e| StoreError::Other(e.to_string()))?,
            created_at: m.created_at.naive_utc(),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = events)]
pub struct NewEventRow<'a> {
    pub event_id: &'a str,
    pub site_id: &'a str,
    pub model_id: &'a str,
    pub occurred_at: NaiveDateTime,
    pub occurred_day: String,
    pub received_at: NaiveDateTime,
    pub case_ref: &'a str,
    pub modality: &'a str,
    pub scanner_manufacturer: &'a str,
    pub scanner_model: &'a str,
    pub slice_thickness_mm: f64,
    pub pixel_spacing_mm: f64,
    pub kvp: Option<f64>,
    pub field_strength_t: Option<f64>,
    pub contrast: Option<bool>,
    pub age_band: Option<&'a str>,
    pub sex: Option<&'a str>,
    pub input_features: &'a str,
    pub output_status: &'a str,
    pub latency_ms: f64,
    pub output_features: &'a str,
    pub content_hash: &'a str,
}

impl<'a> From<&'a NewEvent> for NewEventRow<'a> {
    fn from(e: &'a NewEvent) -> Self {
        NewEventRow {
            event_id: &e.event_id,
            site_id: &e.site_id,
            model_id: &e.model_id,
            occurred_at: e.occurred_at.naive_utc(),
            occurred_day: e.occurred_at.date_naive().to_string(),
            received_at: e.received_at.naive_utc(),
            case_ref: &e.case_ref,
            modality: &e.modality,
            scanner_manufacturer: &e.scanner_manufacturer,
            scanner_model: &e.scanner_model,
            slice_thickness_mm: e.slice_thickness_mm,
            pixel_spacing_mm: e.pixel_spacing_mm,
            kvp: e.kvp,
            field_strength_t: e.field_strength_t,
            contrast: e.contrast,
            age_band: e.age_band.as_deref(),
            sex: e.sex.as_deref(),
            input_features: &e.input_features,
            output_status: &e.output_status,
            latency_ms: e.latency_ms,
            output_features: &e.output_features,
            content_hash: &e.content_hash,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = reviews)]
pub struct NewReviewRow<'a> {
    pub review_id: &'a str,
    pub event_id: &'a str,
    pub site_id: &'a str,
    pub model_id: &'a str,
    pub reviewed_at: NaiveDateTime,
    pub reviewed_day: String,
    pub received_at: NaiveDateTime,
    pub outcome: &'a str,
    pub severity: &'a str,
    pub metrics: Option<&'a str>,
    pub content_hash: &'a str,
}

impl<'a> From<&'a NewReview> for NewReviewRow<'a> {
    fn from(r: &'a NewReview) -> Self {
        NewReviewRow {
            review_id: &r.review_id,
            event_id: &r.event_id,
            site_id: &r.site_id,
            model_id: &r.model_id,
            reviewed_at: r.reviewed_at.naive_utc(),
            reviewed_day: r.reviewed_at.date_naive().to_string(),
            received_at: r.received_at.naive_utc(),
            outcome: &r.outcome,
            severity: &r.severity,
            metrics: r.metrics.as_deref(),
            content_hash: &r.content_hash,
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            seq: r.seq,
            at: utc(r.at),
            actor: r.actor,
            action: r.action,
            target: r.target,
            details: r.details,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

impl From<&AuditEntry> for AuditRow {
    fn from(e: &AuditEntry) -> Self {
        AuditRow {
            seq: e.seq,
            at: e.at.naive_utc(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            details: e.details.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}
