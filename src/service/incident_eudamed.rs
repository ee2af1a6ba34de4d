//! The EUDAMED `mir_2Type` rendering of a stored report stage: the same stored stage fields,
//! incident and registered device the MIR 7.2.1 file was written from, with the clock as it
//! stood when the report was created (later re-classifications do not change an old report).
//! Rendered on request, not stored: the MIR 7.2.1 file stays the immutable record with its
//! SHA-256; this file's own SHA-256 is returned with it.

use chrono::{DateTime, Utc};

use super::incident_reports::report;
use super::vigilance::{Vigilance, VigilanceError};
use crate::storage::StoreError;
use crate::vigilance::deadline::clock_view;
use crate::vigilance::incident::IncidentReport;
use crate::vigilance::mir2::{Mir2Input, write_mir2};
use crate::vigilance::stage::StageFields;

/// The EUDAMED XML of report `seq` of incident `id`, with the stored report it renders.
pub fn eudamed_report(
    v: &Vigilance,
    id: &str,
    seq: i64,
) -> Result<(IncidentReport, String), VigilanceError> {
    let stored = report(v, id, seq)?;
    let incident = v
        .incidents
        .incident(id)?
        .ok_or(VigilanceError::NotFound("incident"))?;
    let no_device = || VigilanceError::NoDevice(incident.model_id.clone());
    let basic = v
        .devices
        .device_for_model(&incident.model_id)?
        .ok_or_else(no_device)?;
    let device = v.devices.device(&basic)?.ok_or_else(no_device)?;
    let internal = |e: String| VigilanceError::Store(StoreError::Other(e));
    let fields: StageFields =
        serde_json::from_value(stored.fields.clone()).map_err(|e| internal(e.to_string()))?;
    let created: DateTime<Utc> = stored.created_at;
    let events: Vec<_> = v
        .incidents
        .clock_events(id)?
        .into_iter()
        .filter(|e| e.at <= created)
        .collect();
    let clock = clock_view(incident.awareness_date, &events, &[], created.date_naive());
    let model = incident.model_id.as_str();
    let version = model.split_once('@').map_or(model, |(_, v)| v);
    let input = Mir2Input {
        stage: stored.stage,
        fields: &fields,
        mfr_ref: &incident.id,
        awareness_date: clock.awareness_date,
        seriousness: clock.seriousness,
        description: &incident.description,
        device: &device,
        software_version: version,
        imdrf_release: &stored.imdrf_release,
    };
    let bytes = write_mir2(&input).map_err(|e| internal(e.to_string()))?;
    let xml = String::from_utf8(bytes).map_err(|e| internal(e.to_string()))?;
    Ok((stored, xml))
}
