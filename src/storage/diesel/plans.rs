//! PMS plan versions: appended with their audit entry, never updated in place.

use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{naive, utc};
use super::schema::pms_plans;
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::storage::{NewPlan, StoreError, StoredPlan};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = pms_plans)]
struct PlanRow {
    model_name: String,
    version: i64,
    body: String,
    body_sha256: String,
    created_at: chrono::NaiveDateTime,
    created_by: String,
}

impl From<PlanRow> for StoredPlan {
    fn from(r: PlanRow) -> Self {
        StoredPlan {
            model: r.model_name,
            version: r.version,
            body: r.body,
            body_sha256: r.body_sha256,
            created_at: utc(r.created_at),
            created_by: r.created_by,
        }
    }
}

impl DieselStore {
    pub(crate) fn insert_plan_version(
        &self,
        plan: &NewPlan,
        audit: &AuditDraft,
    ) -> Result<i64, StoreError> {
        let mut conn = self.conn()?;
        let at = naive(plan.created_at);
        let r: QueryResult<i64> = audited_tx!(&mut *conn, audit, |c| {
            let last: Option<i64> = pms_plans::table
                .filter(pms_plans::model_name.eq(&plan.model))
                .select(diesel::dsl::max(pms_plans::version))
                .first(c)?;
            let version = last.unwrap_or(0) + 1;
            let row = PlanRow {
                model_name: plan.model.clone(),
                version,
                body: plan.body.clone(),
                body_sha256: plan.body_sha256.clone(),
                created_at: at,
                created_by: plan.created_by.clone(),
            };
            diesel::insert_into(pms_plans::table)
                .values(&row)
                .execute(c)
                .map(|_| version)
        });
        r.map_err(map_err("plan version"))
    }

    pub(crate) fn load_plans(&self, model: &str) -> Result<Vec<StoredPlan>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<PlanRow>> = with_conn!(&mut *conn, |c| pms_plans::table
            .filter(pms_plans::model_name.eq(model))
            .order(pms_plans::version.asc())
            .select(PlanRow::as_select())
            .load(c));
        Ok(rows
            .map_err(map_err("plans"))?
            .into_iter()
            .map(StoredPlan::from)
            .collect())
    }
}
