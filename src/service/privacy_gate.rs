//! The privacy screen as the ingest use cases apply it: every string and key of a raw item is
//! checked before parsing, so personal data is refused at the door and never logged or stored.

use serde_json::Value;

use crate::domain::FieldIssue;
use crate::privacy::{PrivacyFinding, check_age_band, check_case_ref, screen_json_except};

/// Findings for one raw item at path `at`. The fields in `skip` carry ids and timestamps by
/// design; their form is enforced by the parser instead. `case_ref` and the age band are
/// checked for their exact forms.
pub fn screen_item(value: &Value, index: usize, at: &str, skip: &[&str]) -> Vec<FieldIssue> {
    let skip_paths: Vec<String> = skip.iter().map(|f| format!("{at}.{f}")).collect();
    let skip_refs: Vec<&str> = skip_paths.iter().map(String::as_str).collect();
    let mut findings = screen_json_except(value, at, &skip_refs);
    if let Some(Value::String(case_ref)) = value.get("case_ref") {
        findings.extend(
            check_case_ref(case_ref)
                .err()
                .map(|f| f.at(format!("{at}.case_ref"))),
        );
    }
    if let Some(Value::String(band)) = value.pointer("/demographics/age_band") {
        findings.extend(
            check_age_band(band)
                .err()
                .map(|f| f.at(format!("{at}.demographics.age_band"))),
        );
    }
    findings.into_iter().map(|f| issue(index, f)).collect()
}

fn issue(index: usize, f: PrivacyFinding) -> FieldIssue {
    let message = format!(
        "value refused as personal data ({}); it was neither stored nor logged",
        f.kind
    );
    FieldIssue::new(index, f.path, f.kind.as_str(), message)
}
