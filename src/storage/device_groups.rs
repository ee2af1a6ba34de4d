//! Storage port of PSUR device groups (MDCG 2022-21): a leading device, its member devices and
//! the justification, kept as versions (every change is a new one, never an update), so the
//! PSUR can state the changes since the previous one. `diesel/device_groups.rs` implements it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::audit::AuditDraft;

/// One version of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceGroupVersion {
    /// Basic UDI-DI of the leading device (it names the group and sets the PSUR schedule).
    pub leading_udi_di: String,
    pub version: i64,
    /// Basic UDI-DIs of the other devices, sorted; empty once the group is dissolved.
    pub members: Vec<String>,
    pub justification: String,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// Device groups.
pub trait DeviceGroupStore: Send + Sync {
    /// Store a new version with its audit entry; `Conflict` when that version exists.
    fn insert_group_version(
        &self,
        version: &DeviceGroupVersion,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// Every version of the group led by `leading_udi_di`, oldest first.
    fn group_versions(&self, leading_udi_di: &str) -> Result<Vec<DeviceGroupVersion>, StoreError>;
    /// The newest version of every group, by leading device.
    fn device_groups(&self) -> Result<Vec<DeviceGroupVersion>, StoreError>;
}
