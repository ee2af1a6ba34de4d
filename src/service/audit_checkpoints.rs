//! The audit trail's signed checkpoint as the running service gives it: computed from the
//! stored trail under the configured key, for the periodic log line, the metrics and the
//! route an external monitor polls (see `domain::audit_checkpoint` for what it detects).

use chrono::{DateTime, Utc};

use crate::domain::audit_checkpoint::Checkpoint;
use crate::storage::{AuditStore, StoreError};

/// The signed checkpoint of the trail now; `None` when no key is configured.
pub fn current_checkpoint(
    store: &dyn AuditStore,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<Checkpoint>, StoreError> {
    if key.is_empty() {
        return Ok(None);
    }
    let entries = store.audit_entries()?;
    Ok(Some(Checkpoint::of(&entries, now, key.as_bytes())))
}
