//! `ShadowStore` on diesel: model artefacts and archive cases. Role changes, uploads and
//! erasures append their audit entry in the same transaction.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{naive, utc};
use super::schema::{archive_cases, model_artifacts, models};
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::storage::shadow::{ArchiveCase, ModelArtifact, ModelRole, ShadowStore};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = model_artifacts)]
struct ArtifactRow {
    model_id: String,
    onnx_sha256: String,
    spec: String,
    role: String,
    uploaded_by: String,
    uploaded_at: NaiveDateTime,
    role_changed_at: NaiveDateTime,
}

impl From<ArtifactRow> for ModelArtifact {
    fn from(r: ArtifactRow) -> Self {
        Self {
            model_id: r.model_id,
            onnx_sha256: r.onnx_sha256,
            spec: r.spec,
            role: ModelRole::parse(&r.role).unwrap_or(ModelRole::Retired),
            uploaded_by: r.uploaded_by,
            uploaded_at: utc(r.uploaded_at),
            role_changed_at: utc(r.role_changed_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = archive_cases)]
struct CaseRow {
    case_ref: String,
    stratum: String,
    metadata: String,
    image_sha256: String,
    mask_sha256: String,
    created_by: String,
    created_at: NaiveDateTime,
}

impl From<CaseRow> for ArchiveCase {
    fn from(r: CaseRow) -> Self {
        Self {
            case_ref: r.case_ref,
            stratum: r.stratum,
            metadata: serde_json::from_str(&r.metadata).unwrap_or(serde_json::Value::Null),
            image_sha256: r.image_sha256,
            mask_sha256: r.mask_sha256,
            created_by: r.created_by,
            created_at: utc(r.created_at),
        }
    }
}

impl ShadowStore for DieselStore {
    fn put_artifact(&self, a: &ModelArtifact, audit: &AuditDraft) -> Result<(), StoreError> {
        let row = ArtifactRow {
            model_id: a.model_id.clone(),
            onnx_sha256: a.onnx_sha256.clone(),
            spec: a.spec.clone(),
            role: a.role.as_str().into(),
            uploaded_by: a.uploaded_by.clone(),
            uploaded_at: naive(a.uploaded_at),
            role_changed_at: naive(a.role_changed_at),
        };
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| {
            diesel::delete(model_artifacts::table.find(&row.model_id)).execute(c)?;
            diesel::insert_into(model_artifacts::table)
                .values(&row)
                .execute(c)
        });
        n.map(|_| ()).map_err(map_err("model artifact"))
    }

    fn artifact(&self, model_id: &str) -> Result<Option<ModelArtifact>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Option<ArtifactRow>> =
            with_conn!(&mut *conn, |c| model_artifacts::table
                .find(model_id)
                .select(ArtifactRow::as_select())
                .first(c)
                .optional());
        Ok(r.map_err(map_err("model artifact"))?.map(Into::into))
    }

    fn deployed_artifact(&self, name: &str) -> Result<Option<ModelArtifact>, StoreError> {
        let mut conn = self.conn()?;
        let ids: QueryResult<Vec<String>> = with_conn!(&mut *conn, |c| models::table
            .filter(models::name.eq(name))
            .select(models::id)
            .load(c));
        let ids = ids.map_err(map_err("model"))?;
        let r: QueryResult<Option<ArtifactRow>> =
            with_conn!(&mut *conn, |c| model_artifacts::table
                .filter(model_artifacts::model_id.eq_any(&ids))
                .filter(model_artifacts::role.eq("deployed"))
                .select(ArtifactRow::as_select())
                .first(c)
                .optional());
        Ok(r.map_err(map_err("model artifact"))?.map(Into::into))
    }

    fn promote_artifact(
        &self,
        model_id: &str,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let at = naive(at);
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| {
            let name: String = models::table.find(model_id).select(models::name).first(c)?;
            let siblings: Vec<String> = models::table
                .filter(models::name.eq(&name))
                .select(models::id)
                .load(c)?;
            diesel::update(
                model_artifacts::table
                    .filter(model_artifacts::model_id.eq_any(&siblings))
                    .filter(model_artifacts::role.eq("deployed")),
            )
            .set((
                model_artifacts::role.eq("retired"),
                model_artifacts::role_changed_at.eq(at),
            ))
            .execute(c)?;
            diesel::update(model_artifacts::table.find(model_id))
                .set((
                    model_artifacts::role.eq("deployed"),
                    model_artifacts::role_changed_at.eq(at),
                ))
                .execute(c)
        });
        match n.map_err(map_err("model artifact"))? {
            0 => Err(StoreError::NotFound("model artifact".into())),
            _ => Ok(()),
        }
    }

    fn add_archive_case(&self, a: &ArchiveCase, audit: &AuditDraft) -> Result<(), StoreError> {
        let row = CaseRow {
            case_ref: a.case_ref.clone(),
            stratum: a.stratum.clone(),
            metadata: a.metadata.to_string(),
            image_sha256: a.image_sha256.clone(),
            mask_sha256: a.mask_sha256.clone(),
            created_by: a.created_by.clone(),
            created_at: naive(a.created_at),
        };
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::insert_into(
            archive_cases::table
        )
        .values(&row)
        .execute(c));
        n.map(|_| ()).map_err(map_err("archive case"))
    }

    fn archive_cases(&self, stratum: Option<&str>) -> Result<Vec<ArchiveCase>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<CaseRow>> = with_conn!(&mut *conn, |c| {
            let mut q = archive_cases::table
                .select(CaseRow::as_select())
                .order((
                    archive_cases::created_at.asc(),
                    archive_cases::case_ref.asc(),
                ))
                .into_boxed();
            if let Some(s) = stratum {
                q = q.filter(archive_cases::stratum.eq(s.to_string()));
            }
            q.load(c)
        });
        Ok(rows
            .map_err(map_err("archive case"))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    fn archive_case(&self, case_ref: &str) -> Result<Option<ArchiveCase>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Option<CaseRow>> = with_conn!(&mut *conn, |c| archive_cases::table
            .find(case_ref)
            .select(CaseRow::as_select())
            .first(c)
            .optional());
        Ok(r.map_err(map_err("archive case"))?.map(Into::into))
    }

    fn erase_archive_case(
        &self,
        case_ref: &str,
        audit: &AuditDraft,
    ) -> Result<Option<ArchiveCase>, StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<Option<CaseRow>> = audited_tx!(&mut *conn, audit, |c| {
            let row: Option<CaseRow> = archive_cases::table
                .find(case_ref)
                .select(CaseRow::as_select())
                .first(c)
                .optional()?;
            diesel::delete(archive_cases::table.find(case_ref)).execute(c)?;
            QueryResult::Ok(row)
        });
        Ok(r.map_err(map_err("archive case"))?.map(Into::into))
    }

    fn blob_referenced(&self, sha256: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let cases: QueryResult<i64> = with_conn!(&mut *conn, |c| archive_cases::table
            .filter(
                archive_cases::image_sha256
                    .eq(sha256)
                    .or(archive_cases::mask_sha256.eq(sha256))
            )
            .count()
            .get_result(c));
        let models: QueryResult<i64> = with_conn!(&mut *conn, |c| model_artifacts::table
            .filter(model_artifacts::onnx_sha256.eq(sha256))
            .count()
            .get_result(c));
        Ok(
            cases.map_err(map_err("archive case"))? + models.map_err(map_err("model artifact"))?
                > 0,
        )
    }
}
