//! Device register port: devices by Basic UDI-DI and the model versions (software versions)
//! each ran. Implemented for the diesel store in `diesel/devices.rs`.

use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::vigilance::device::{Device, DeviceSoftware};

/// Storage of the device register.
pub trait DeviceStore: Send + Sync {
    /// Conflict when the Basic UDI-DI is already registered.
    fn insert_device(&self, device: &Device, audit: &AuditDraft) -> Result<(), StoreError>;
    /// Replace a registered device's fields (edit, retirement); NotFound when unknown.
    fn update_device(&self, device: &Device, audit: &AuditDraft) -> Result<(), StoreError>;
    fn devices(&self) -> Result<Vec<Device>, StoreError>;
    fn device(&self, basic_udi_di: &str) -> Result<Option<Device>, StoreError>;
    /// Conflict when the model version already belongs to a device.
    fn assign_software(&self, sw: &DeviceSoftware, audit: &AuditDraft) -> Result<(), StoreError>;
    fn device_software(&self, basic_udi_di: &str) -> Result<Vec<DeviceSoftware>, StoreError>;
    /// The Basic UDI-DI of the device a model version belongs to.
    fn device_for_model(&self, model_id: &str) -> Result<Option<String>, StoreError>;
}
