//! `impl RetrainingStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use chrono::{DateTime, Utc};

use super::DieselStore;
use crate::domain::audit::AuditDraft;
use crate::monitoring::retraining::ManifestCase;
use crate::storage::{CaseQuery, RetrainingRecord, RetrainingStore, StoreError};

impl RetrainingStore for DieselStore {
    fn reviewed_cases(&self, query: &CaseQuery) -> Result<Vec<ManifestCase>, StoreError> {
        self.load_reviewed_cases(query)
    }
    fn insert_retraining(
        &self,
        request: &RetrainingRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_retraining_row(request, audit)
    }
    fn retraining(&self, id: &str) -> Result<Option<RetrainingRecord>, StoreError> {
        self.load_retraining(id)
    }
    fn set_retraining_status(
        &self,
        id: &str,
        status: &str,
        detail: Option<&str>,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_retraining_status(id, status, detail, at, audit)
    }
}
