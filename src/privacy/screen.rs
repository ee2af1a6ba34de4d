//! The privacy screen's entry points: check one string, or walk a JSON document and check every
//! string value and every object key (sites choose feature names and metric labels, so keys are
//! as much site input as values). Numbers, booleans and nulls are not screened: a number cannot
//! be told apart from a legitimate measurement, and the strict request schema rejects unknown
//! fields before the screen runs.

use super::finding::{PiiKind, PrivacyFinding};
use super::rules::{classify_key, classify_value};
use serde_json::Value;

/// Shown in a path in place of a key that was itself refused, so the path never repeats it.
const REFUSED_KEY: &str = "<key>";

/// Checks one string; `path` only labels the finding.
pub fn screen_str(path: &str, value: &str) -> Result<(), PrivacyFinding> {
    match classify_value(value) {
        Some(kind) => Err(PrivacyFinding::new(path, kind)),
        None => Ok(()),
    }
}

/// Walks `value` (whose own location is `path`, e.g. `""` or `events[3]`) and returns every
/// finding, in document order. An empty result means the document passed.
pub fn screen_json(value: &Value, path: &str) -> Vec<PrivacyFinding> {
    screen_json_except(value, path, &[])
}

/// Like [`screen_json`], but skips the subtrees at the exact paths in `skip`: fields that are
/// designed to carry a date, such as `events[*].occurred_at`. `[*]` matches any array index;
/// everything else must match literally, so a skip never widens beyond the field it names.
pub fn screen_json_except(value: &Value, path: &str, skip: &[&str]) -> Vec<PrivacyFinding> {
    let mut walker = Walker {
        path: path.to_owned(),
        skip,
        findings: Vec::new(),
    };
    walker.walk(value);
    walker.findings
}

struct Walker<'a> {
    path: String,
    skip: &'a [&'a str],
    findings: Vec<PrivacyFinding>,
}

impl Walker<'_> {
    fn walk(&mut self, value: &Value) {
        if self.skip.iter().any(|p| path_matches(p, &self.path)) {
            return;
        }
        match value {
            Value::String(s) => {
                if let Some(kind) = classify_value(s) {
                    self.report(kind);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let len = self.path.len();
                    self.path.push('[');
                    self.path.push_str(&index.to_string());
                    self.path.push(']');
                    self.walk(item);
                    self.path.truncate(len);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let len = self.path.len();
                    match classify_key(key) {
                        Some(kind) => {
                            self.push_key(REFUSED_KEY);
                            self.report(kind);
                        }
                        None => self.push_key(key),
                    }
                    // The value under a refused key is still screened, and reported under `<key>`.
                    self.walk(item);
                    self.path.truncate(len);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn report(&mut self, kind: PiiKind) {
        self.findings
            .push(PrivacyFinding::new(self.path.clone(), kind));
    }

    /// Keys that contain path syntax are written in bracket form, so a key such as
    /// `events[0].occurred_at` can never be mistaken for (and skipped as) that path.
    fn push_key(&mut self, key: &str) {
        if key.contains(['.', '[', ']', '"', '\\', '*']) || key.is_empty() {
            self.path.push_str("[\"");
            for c in key.chars() {
                if c == '"' || c == '\\' {
                    self.path.push('\\');
                }
                self.path.push(c);
            }
            self.path.push_str("\"]");
        } else {
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(key);
        }
    }
}

/// Exact path match where `[*]` in the pattern stands for any `[<digits>]`.
fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut s) = (pattern.as_bytes(), path.as_bytes());
    loop {
        if let Some(rest) = p.strip_prefix(b"[*]") {
            let Some(after) = s.strip_prefix(b"[") else {
                return false;
            };
            let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
            let Some(after) = after[digits..].strip_prefix(b"]") else {
                return false;
            };
            if digits == 0 {
                return false;
            }
            p = rest;
            s = after;
            continue;
        }
        match (p.split_first(), s.split_first()) {
            (None, None) => return true,
            (Some((a, p_rest)), Some((b, s_rest))) if a == b => {
                p = p_rest;
                s = s_rest;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_patterns() {
        assert!(path_matches(
            "events[*].occurred_at",
            "events[12].occurred_at"
        ));
        assert!(path_matches("occurred_at", "occurred_at"));
        assert!(!path_matches(
            "events[*].occurred_at",
            "events[].occurred_at"
        ));
        assert!(!path_matches(
            "events[*].occurred_at",
            "events[1].occurred_at_x"
        ));
        assert!(!path_matches(
            "events[*].occurred_at",
            "events[1].x.occurred_at"
        ));
    }

    #[test]
    fn walks_values_and_keys_with_paths() {
        let doc = json!({"events": [
            {"scanner": {"model": "SOMATOM Force"}},
            {"scanner": {"model": "1.2.840.113619.2.55.3.604688119"}},
            {"features": {"DOE^JOHN": 1.0, "hu_mean": 3.2}},
        ]});
        let found = screen_json(&doc, "");
        assert_eq!(
            found,
            vec![
                PrivacyFinding::new("events[1].scanner.model", PiiKind::DicomUid),
                PrivacyFinding::new("events[2].features.<key>", PiiKind::PersonName),
            ]
        );
    }

    #[test]
    fn skips_only_the_named_fields() {
        let doc = json!({"events": [
            {"occurred_at": "2024-05-01T12:00:00Z", "note": "2024-05-01"},
        ], "occurred_at": "1984-03-12"});
        let found = screen_json_except(&doc, "", &["events[*].occurred_at"]);
        assert_eq!(
            found,
            vec![
                PrivacyFinding::new("events[0].note", PiiKind::Date),
                PrivacyFinding::new("occurred_at", PiiKind::Date),
            ]
        );
    }

    #[test]
    fn path_syntax_in_keys_cannot_reach_a_skip() {
        let doc = json!({"events[0].occurred_at": "1984-03-12"});
        let found = screen_json_except(&doc, "", &["events[*].occurred_at"]);
        assert_eq!(
            found,
            vec![PrivacyFinding::new(
                "[\"events[0].occurred_at\"]",
                PiiKind::Date
            )]
        );
    }

    #[test]
    fn root_path_prefixes_findings() {
        let found = screen_json(&json!({"model": "MRN12345"}), "events[3]");
        assert_eq!(
            found,
            vec![PrivacyFinding::new("events[3].model", PiiKind::Mrn)]
        );
    }
}
