//! Retraining requests in SQL, and the reviewed-case query their manifests are built from.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{naive, utc};
use super::schema::{events, retraining_requests, reviews};
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::monitoring::retraining::ManifestCase;
use crate::storage::{CaseQuery, RetrainingRecord, StoreError};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = retraining_requests)]
struct RetrainingRow {
    id: String,
    model_name: String,
    criteria: String,
    manifest: String,
    manifest_sha256: String,
    case_count: i64,
    status: String,
    status_detail: Option<String>,
    created_at: NaiveDateTime,
    created_by: String,
    updated_at: NaiveDateTime,
}

impl From<RetrainingRow> for RetrainingRecord {
    fn from(r: RetrainingRow) -> Self {
        RetrainingRecord {
            id: r.id,
            model: r.model_name,
            criteria: r.criteria,
            manifest: r.manifest,
            manifest_sha256: r.manifest_sha256,
            case_count: r.case_count,
            status: r.status,
            status_detail: r.status_detail,
            created_at: utc(r.created_at),
            created_by: r.created_by,
            updated_at: utc(r.updated_at),
        }
    }
}

type CaseRow = (
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn to_case(r: CaseRow) -> ManifestCase {
    let json = |s: Option<String>| s.and_then(|t| serde_json::from_str(&t).ok());
    ManifestCase {
        case_ref: r.0,
        event_id: r.1,
        review_id: r.2,
        site_id: r.3,
        model_version: r.4,
        occurred_at: utc(r.5),
        reviewed_at: utc(r.6),
        outcome: r.7,
        severity: r.8,
        metrics: json(r.9),
        server_metrics: json(r.10),
        archive_ref: None,
    }
}

impl DieselStore {
    pub(crate) fn load_reviewed_cases(
        &self,
        q: &CaseQuery,
    ) -> Result<Vec<ManifestCase>, StoreError> {
        let (from, to) = (naive(q.from), naive(q.to));
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<CaseRow>> = with_conn!(&mut *conn, |c| {
            let mut query = reviews::table
                .inner_join(events::table)
                .filter(reviews::model_id.eq_any(&q.model_ids))
                .filter(
                    reviews::reviewed_at
                        .ge(from)
                        .and(reviews::reviewed_at.lt(to)),
                )
                .select((
                    events::case_ref,
                    events::event_id,
                    reviews::review_id,
                    reviews::site_id,
                    reviews::model_id,
                    events::occurred_at,
                    reviews::reviewed_at,
                    reviews::outcome,
                    reviews::severity,
                    reviews::metrics,
                    reviews::server_metrics,
                ))
                .order(reviews::reviewed_at.asc())
                .into_boxed();
            if !q.sites.is_empty() {
                query = query.filter(reviews::site_id.eq_any(&q.sites));
            }
            query.load(c)
        });
        Ok(rows
            .map_err(map_err("reviewed cases"))?
            .into_iter()
            .map(to_case)
            .collect())
    }

    pub(crate) fn insert_retraining_row(
        &self,
        r: &RetrainingRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = RetrainingRow {
            id: r.id.clone(),
            model_name: r.model.clone(),
            criteria: r.criteria.clone(),
            manifest: r.manifest.clone(),
            manifest_sha256: r.manifest_sha256.clone(),
            case_count: r.case_count,
            status: r.status.clone(),
            status_detail: r.status_detail.clone(),
            created_at: naive(r.created_at),
            created_by: r.created_by.clone(),
            updated_at: naive(r.updated_at),
        };
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::insert_into(
            retraining_requests::table
        )
        .values(&row)
        .execute(c));
        n.map(|_| ()).map_err(map_err("retraining request"))
    }

    pub(crate) fn load_retraining(&self, id: &str) -> Result<Option<RetrainingRecord>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<RetrainingRow>> =
            with_conn!(&mut *conn, |c| retraining_requests::table
                .find(id)
                .select(RetrainingRow::as_select())
                .first(c)
                .optional());
        Ok(row
            .map_err(map_err("retraining request"))?
            .map(RetrainingRecord::from))
    }

    pub(crate) fn update_retraining_status(
        &self,
        id: &str,
        status: &str,
        detail: Option<&str>,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let at = naive(at);
        let n: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::update(
            retraining_requests::table.find(id)
        )
        .set((
            retraining_requests::status.eq(status),
            retraining_requests::status_detail.eq(detail),
            retraining_requests::updated_at.eq(at),
        ))
        .execute(c));
        match n.map_err(map_err("retraining request"))? {
            0 => Err(StoreError::NotFound(format!("retraining request {id}"))),
            _ => Ok(()),
        }
    }
}
