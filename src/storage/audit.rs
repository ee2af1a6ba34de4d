//! Storage port of one aggregate: the hash-chained audit trail. `diesel/store_audit.rs`
//! implements it; `Store` is the sum of all such traits.

use super::StoreError;
use crate::domain::audit::{AuditDraft, AuditEntry};

/// The hash-chained audit trail.
pub trait AuditStore: Send + Sync {
    fn append_audit(&self, audit: &AuditDraft) -> Result<AuditEntry, StoreError>;
    fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError>;
}
