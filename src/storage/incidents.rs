//! Incident port: cases, their clock history and their immutable reports. Implemented for the
//! diesel store in `diesel/incidents.rs`; every write carries its audit entry in the same
//! transaction.

use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::vigilance::deadline::ClockEvent;
use crate::vigilance::incident::{Incident, IncidentReport, Submission};

/// Storage of incidents.
pub trait IncidentStore: Send + Sync {
    /// Insert a case with its first clock event, if classified at creation. Conflict when the
    /// alert already has an incident.
    fn insert_incident(
        &self,
        incident: &Incident,
        first: Option<&ClockEvent>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError>;
    /// All incidents, newest first.
    fn incidents(&self) -> Result<Vec<Incident>, StoreError>;
    fn incident_for_alert(&self, alert_id: &str) -> Result<Option<Incident>, StoreError>;
    fn append_clock_event(
        &self,
        incident_id: &str,
        event: &ClockEvent,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
    /// Clock history in order.
    fn clock_events(&self, incident_id: &str) -> Result<Vec<ClockEvent>, StoreError>;
    /// Conflict when a report with the same sequence number exists (a concurrent stage).
    fn insert_report(&self, report: &IncidentReport, audit: &AuditDraft) -> Result<(), StoreError>;
    /// Reports in sequence order, with their XML.
    fn reports(&self, incident_id: &str) -> Result<Vec<IncidentReport>, StoreError>;
    /// Record the submission once; Conflict when one is recorded already.
    fn record_submission(
        &self,
        incident_id: &str,
        seq: i64,
        submission: &Submission,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;
}
