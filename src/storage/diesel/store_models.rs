//! `impl ModelStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use super::DieselStore;
use crate::domain::audit::AuditDraft;
use crate::domain::model::ModelVersion;
use crate::storage::{ModelStore, NewPlan, StoreError, StoredBaseline, StoredPlan};

impl ModelStore for DieselStore {
    fn insert_model(&self, model: &ModelVersion, audit: &AuditDraft) -> Result<(), StoreError> {
        self.insert_model_row(model, audit)
    }
    fn list_models(&self) -> Result<Vec<ModelVersion>, StoreError> {
        self.load_models()
    }
    fn find_model(&self, name: &str, version: &str) -> Result<Option<ModelVersion>, StoreError> {
        self.find_model_row(name, version)
    }
    fn append_plan(&self, plan: &NewPlan, audit: &AuditDraft) -> Result<i64, StoreError> {
        self.insert_plan_version(plan, audit)
    }
    fn plans(&self, model: &str) -> Result<Vec<StoredPlan>, StoreError> {
        self.load_plans(model)
    }
    fn insert_baseline(
        &self,
        baseline: &StoredBaseline,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_baseline_row(baseline, audit)
    }
    fn latest_baseline(&self, model_id: &str) -> Result<Option<StoredBaseline>, StoreError> {
        self.load_latest_baseline(model_id)
    }
}
