//! `impl AuditStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use super::DieselStore;
use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::storage::{AuditStore, StoreError};

impl AuditStore for DieselStore {
    fn append_audit(&self, audit: &AuditDraft) -> Result<AuditEntry, StoreError> {
        self.append_audit_entry(audit)
    }
    fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.load_audit_entries()
    }
}
