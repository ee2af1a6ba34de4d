//! Parse batch items one by one, so a refused batch names every offending item and field path
//! instead of stopping at serde's first error. Messages never echo the offending value.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::FieldIssue;
use crate::domain::wire_check::{Field, check_object};

/// Check one item field by field against its wire shape (every problem, each at its own path),
/// then deserialize it. serde's first error is the fallback should the two ever disagree.
pub fn parse_checked<T: DeserializeOwned>(
    value: Value,
    index: usize,
    at: &str,
    shape: &[Field],
) -> Result<T, Vec<FieldIssue>> {
    let issues = check_object(&value, shape, at, Some(index));
    if !issues.is_empty() {
        return Err(issues);
    }
    parse_item(value, index, at).map_err(|issue| vec![issue])
}

/// Deserialize one item; on failure, the issue names the field path under `at`.
pub fn parse_item<T: DeserializeOwned>(
    value: Value,
    index: usize,
    at: &str,
) -> Result<T, FieldIssue> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.inner().to_string();
        let path = e.path().to_string();
        let path = if path == "." {
            at.to_string()
        } else {
            format!("{at}.{path}")
        };
        let (code, message) = describe(&inner);
        FieldIssue::new(index, path, code, message)
    })
}

/// A value-free description of a serde error. serde puts the offending value between the
/// first pair of backticks or quotes; only the text naming fields and expected forms is kept.
fn describe(inner: &str) -> (&'static str, String) {
    let expected = inner
        .split_once(", expected")
        .map(|(_, e)| format!("expected{}", trim_pos(e)));
    if let Some(rest) = inner.strip_prefix("unknown field") {
        // The field name is a key: keys were screened for personal data before parsing.
        let name = rest.split('`').nth(1).unwrap_or("?");
        return (
            "unknown_field",
            format!("unknown field {name:?}; the protocol refuses unknown fields"),
        );
    }
    if let Some(rest) = inner.strip_prefix("missing field") {
        let name = rest.split('`').nth(1).unwrap_or("?");
        return ("missing_field", format!("missing field {name:?}"));
    }
    let msg = expected.unwrap_or_else(|| "invalid value".to_string());
    ("invalid_value", format!("invalid value: {msg}"))
}

fn trim_pos(s: &str) -> &str {
    s.split(" at line ").next().unwrap_or(s).trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::EventItem;

    #[test]
    fn paths_are_named_and_values_never_echoed() {
        let v = serde_json::json!({"event_id": "not-a-uuid-SECRET"});
        let issue = parse_item::<EventItem>(v, 4, "events[4]").unwrap_err();
        assert_eq!(issue.path, "events[4].event_id");
        assert!(!issue.message.contains("SECRET"), "{}", issue.message);
    }

    #[test]
    fn enum_errors_keep_the_expected_forms_only() {
        let (code, msg) = describe(
            "unknown variant `PET-SECRET`, expected one of `CT`, `CBCT`, `MR` at line 1 column 9",
        );
        assert_eq!(code, "invalid_value");
        assert!(
            msg.contains("`CT`") && !msg.contains("SECRET") && !msg.contains("line"),
            "{msg}"
        );
    }
}
