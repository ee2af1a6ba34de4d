//! Vigilance use cases' shared parts: the ports and data they need (device and incident
//! stores, the holiday calendar, the IMDRF code list), their error, and the privacy screen over
//! free text. The use cases themselves are in `devices.rs`, `incidents.rs`,
//! `incident_reports.rs` and `deadline_warnings.rs`.

use std::sync::Arc;

use crate::domain::FieldIssue;
use crate::privacy::screen_str;
use crate::storage::StoreError;
use crate::storage::devices::DeviceStore;
use crate::storage::incidents::IncidentStore;
use crate::vigilance::calendar::{CalendarError, HolidayCalendar};
use crate::vigilance::imdrf::CodeList;

/// What the vigilance use cases run on, built once at start-up.
#[derive(Clone)]
pub struct Vigilance {
    pub devices: Arc<dyn DeviceStore>,
    pub incidents: Arc<dyn IncidentStore>,
    pub calendar: Arc<HolidayCalendar>,
    pub codes: Arc<CodeList>,
}

impl Vigilance {
    /// The stores with the embedded calendar and the current IMDRF release.
    pub fn new(
        devices: Arc<dyn DeviceStore>,
        incidents: Arc<dyn IncidentStore>,
    ) -> Result<Self, CalendarError> {
        Ok(Self {
            devices,
            incidents,
            calendar: Arc::new(HolidayCalendar::embedded()?),
            codes: Arc::new(CodeList::current()),
        })
    }
}

/// Why a vigilance request was refused.
#[derive(Debug, thiserror::Error)]
pub enum VigilanceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid request")]
    Invalid(Vec<FieldIssue>),
    #[error("personal data refused")]
    PersonalData(Vec<FieldIssue>),
    #[error("unknown, retired or not selectable IMDRF code")]
    ImdrfCode(Vec<FieldIssue>),
    #[error("report stage out of order: {0}")]
    StageOutOfOrder(String),
    #[error("the incident has no seriousness class; classify it before a reportable stage")]
    NotClassified,
    #[error(
        "model version {0} belongs to no registered device with a Basic UDI-DI; assign it to a device first"
    )]
    NoDevice(String),
    #[error("{0}")]
    Calendar(#[from] CalendarError),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn invalid(path: &str, message: impl Into<String>) -> VigilanceError {
    VigilanceError::Invalid(vec![FieldIssue {
        index: None,
        path: path.to_string(),
        code: "invalid_value".into(),
        message: message.into(),
    }])
}

/// Refuse identifier-shaped values in free text; the finding names the field and the kind,
/// never the value.
pub fn screen_free_text(fields: &[(&str, &str)]) -> Result<(), VigilanceError> {
    let issues: Vec<FieldIssue> = fields
        .iter()
        .filter_map(|(path, value)| screen_str(path, value).err())
        .map(|f| FieldIssue {
            index: None,
            message: format!(
                "value refused as personal data ({}); it was neither stored nor logged",
                f.kind
            ),
            code: f.kind.as_str().to_string(),
            path: f.path,
        })
        .collect();
    if issues.is_empty() {
        Ok(())
    } else {
        Err(VigilanceError::PersonalData(issues))
    }
}

impl From<VigilanceError> for crate::error::AppError {
    fn from(e: VigilanceError) -> Self {
        use crate::error::AppError;
        let rule = |code, conflict, message: String, details| AppError::Rule {
            code,
            conflict,
            message,
            details,
        };
        match e {
            VigilanceError::NotFound(what) => AppError::NotFound(what.into()),
            VigilanceError::Invalid(details) => AppError::Validation {
                message: "invalid fields; details name each".into(),
                details,
            },
            VigilanceError::PersonalData(details) => AppError::PersonalData { details },
            VigilanceError::ImdrfCode(details) => rule(
                "invalid_imdrf_code",
                false,
                "unknown, retired or not selectable IMDRF code; details name each field".into(),
                details,
            ),
            e @ VigilanceError::StageOutOfOrder(_) => {
                rule("report_stage_out_of_order", true, e.to_string(), vec![])
            }
            e @ VigilanceError::NotClassified => {
                rule("incident_not_classified", true, e.to_string(), vec![])
            }
            e @ VigilanceError::NoDevice(_) => {
                rule("device_not_registered", false, e.to_string(), vec![])
            }
            e @ VigilanceError::Calendar(_) => {
                rule("holiday_calendar_gap", false, e.to_string(), vec![])
            }
            VigilanceError::Conflict(m) => AppError::Conflict(m),
            VigilanceError::Store(s) => s.into(),
        }
    }
}
