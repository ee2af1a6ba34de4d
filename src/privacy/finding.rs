//! What the privacy screen reports: where personal data was found and what shape it had, never
//! the data itself. A finding travels into HTTP error bodies and logs, so it must be safe to print:
//! it holds only a JSON path built from keys that passed the screen and a stable kind code.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The shape of personal data a value (or key) was refused for. The serde names are stable API:
/// clients and dashboards match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// A DICOM UID (study/series/instance), e.g. `1.2.840.113619.2.55...`.
    DicomUid,
    /// A calendar date or date-time (possible date of birth or study date).
    Date,
    /// An e-mail address.
    Email,
    /// A telephone number.
    Phone,
    /// A person name: DICOM `^` notation or a name after a title (`Dr. Smith`).
    PersonName,
    /// A medical record, accession or similar identifier number.
    Mrn,
    /// An object key that names a direct identifier (`PatientName`, `birth_date`, ...).
    IdentifierField,
    /// A `case_ref` that is not the agreed 64-hex pseudonym (may be a raw identifier).
    InvalidCaseRef,
    /// An age that is not one of the agreed ten-year bands (exact ages are quasi-identifiers).
    InvalidAgeBand,
}

impl PiiKind {
    /// The stable snake_case code, identical to the serde name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DicomUid => "dicom_uid",
            Self::Date => "date",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::PersonName => "person_name",
            Self::Mrn => "mrn",
            Self::IdentifierField => "identifier_field",
            Self::InvalidCaseRef => "invalid_case_ref",
            Self::InvalidAgeBand => "invalid_age_band",
        }
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One refused value or key. Deliberately has no field for the value: a finding can be logged,
/// returned to the site and stored in the audit log without leaking what was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("personal data refused at {} ({kind})", display_path(path))]
pub struct PrivacyFinding {
    /// JSON path such as `events[3].scanner.model`; a refused key shows as `<key>`.
    pub path: String,
    pub kind: PiiKind,
}

impl PrivacyFinding {
    pub fn new(path: impl Into<String>, kind: PiiKind) -> Self {
        Self {
            path: path.into(),
            kind,
        }
    }

    /// The same finding at another path, for callers that check a field out of context
    /// (e.g. `check_case_ref` reports `case_ref`; the batch handler knows it is `events[3].case_ref`).
    pub fn at(self, path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: self.kind,
        }
    }
}

/// An empty path means the screened value itself; say so rather than print nothing.
fn display_path(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_path_and_kind() {
        let f = PrivacyFinding::new("events[3].scanner.model", PiiKind::DicomUid);
        assert_eq!(
            f.to_string(),
            "personal data refused at events[3].scanner.model (dicom_uid)"
        );
        assert_eq!(
            PrivacyFinding::new("", PiiKind::Date).to_string(),
            "personal data refused at (root) (date)"
        );
    }

    #[test]
    fn serde_names_match_as_str() {
        let all = [
            PiiKind::DicomUid,
            PiiKind::Date,
            PiiKind::Email,
            PiiKind::Phone,
            PiiKind::PersonName,
            PiiKind::Mrn,
            PiiKind::IdentifierField,
            PiiKind::InvalidCaseRef,
            PiiKind::InvalidAgeBand,
        ];
        for kind in all {
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(json, serde_json::Value::String(kind.as_str().to_owned()));
        }
    }
}
