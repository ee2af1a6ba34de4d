//! Lengths and counts of the request schemas, stated as the server enforces them: every
//! request string gets a `maxLength` (the cap of its own where its type has one, else the text
//! rule's cap for one line or free text, `domain::text_rule`), and the ingest batches state
//! the configured `max_batch_items`. The caps themselves live beside the types that check
//! them; this file only points at them, so the document cannot drift from the checks.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::service::alerts::MAX_NOTE_CHARS;
use crate::service::device_groups::JUSTIFICATION_MAX_CHARS;
use crate::service::incident_reports::SUBMISSION_TEXT_MAX_CHARS;
use crate::service::report_narratives::MAX_NARRATIVE_CHARS;
use crate::vigilance::stage::{
    NCA_NAME_MAX_CHARS, NCA_REPORT_NO_MAX_CHARS, RISK_ASSESSMENT_RESULTS_MAX_CHARS,
};

/// `(component schema, property, cap)`: request strings whose type checks a tighter cap than
/// the text rule's.
fn own_caps() -> Vec<(&'static str, &'static str, usize)> {
    vec![
        ("StageFields", "nca_name", NCA_NAME_MAX_CHARS),
        ("StageFields", "nca_report_no", NCA_REPORT_NO_MAX_CHARS),
        (
            "StageFields",
            "risk_assessment_results",
            RISK_ASSESSMENT_RESULTS_MAX_CHARS,
        ),
        ("SubmissionRequest", "authority", SUBMISSION_TEXT_MAX_CHARS),
        ("SubmissionRequest", "reference", SUBMISSION_TEXT_MAX_CHARS),
        ("AlertMove", "note", MAX_NOTE_CHARS),
        ("GroupRequest", "justification", JUSTIFICATION_MAX_CHARS),
        (
            "Scanner",
            "manufacturer",
            crate::domain::event::SCANNER_TEXT_MAX_CHARS,
        ),
        (
            "Scanner",
            "model",
            crate::domain::event::SCANNER_TEXT_MAX_CHARS,
        ),
    ]
}

/// State the caps on the tightened document. `defaults` holds, by JSON pointer, the text
/// rule's cap for each request string the strict walk met (`openapi_strict`); a cap of the
/// string's own, or a `maxLength` already stated, wins.
pub fn state_caps(doc: &mut Value, defaults: BTreeMap<String, usize>) {
    for (schema, property, cap) in own_caps() {
        let ptr = format!("/components/schemas/{schema}/properties/{property}");
        if let Some(target) = doc.pointer_mut(&ptr).and_then(Value::as_object_mut) {
            target.insert("maxLength".into(), json!(cap));
        }
    }
    if let Some(fields) = doc
        .pointer_mut("/components/schemas/NarrativeBody/properties/fields/additionalProperties")
        .and_then(Value::as_object_mut)
    {
        fields.insert("maxLength".into(), json!(MAX_NARRATIVE_CHARS));
    }
    for (ptr, cap) in defaults {
        if let Some(target) = doc.pointer_mut(&ptr).and_then(Value::as_object_mut) {
            target.entry("maxLength").or_insert(json!(cap));
        }
    }
}

/// The ingest batches as configured: `maxItems` is the server's `max_batch_items`.
pub fn state_batch_size(doc: &mut Value, max_batch_items: usize) {
    for (schema, property) in [("EventBatch", "events"), ("ReviewBatch", "reviews")] {
        let ptr = format!("/components/schemas/{schema}/properties/{property}");
        if let Some(target) = doc.pointer_mut(&ptr).and_then(Value::as_object_mut) {
            target.insert("maxItems".into(), json!(max_batch_items));
        }
    }
}

#[cfg(test)]
#[path = "openapi_limits_tests.rs"]
mod tests;
