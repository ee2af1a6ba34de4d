//! The one rule for text a request carries, wherever it arrives (JSON bodies, the JSON parts
//! of multipart uploads, the console's form posts): no control character, except tab and
//! line breaks in free-text fields; and a length cap on every string, so that a value Vigil
//! accepts always fits where it goes (MIR/EUDAMED XML, PDFs, the database).
//!
//! A field is free text with lines when its own key is one of [`MULTILINE_FIELDS`] (notes,
//! reasons, descriptions, the MIR narrative sections), or when it lies under a route's
//! multi-line prefix ([`MULTILINE_UNDER`]: the report narrative drafts). Every other string
//! is one line. Free text holds at most [`FREE_TEXT_MAX_CHARS`] characters, one line at most
//! [`ONE_LINE_MAX_CHARS`]; a field with a tighter cap of its own (an XSD `maxLength`, a
//! column) checks it where its type is validated, and the OpenAPI document states that cap
//! (`http::openapi_limits`). Lengths count Unicode scalar values, as JSON Schema's
//! `maxLength` does. Pure: the HTTP middleware (`http::text_guard`), the multipart handlers
//! and the console call these functions; none keeps a copy of the rule.

use serde_json::Value;

use super::FieldIssue;

/// The cap on a one-line string without a tighter cap of its own (names, titles, codes).
pub const ONE_LINE_MAX_CHARS: usize = 1_000;
/// The cap on free text with lines (notes, reasons, descriptions, narrative sections).
pub const FREE_TEXT_MAX_CHARS: usize = 20_000;

/// Stable detail codes of the two refusals.
pub const CONTROL_CHARACTER: &str = "control_character";
pub const TOO_LONG: &str = "too_long";

/// Keys whose string values are free text with lines (tab, line feed, carriage return
/// allowed), wherever they appear.
pub const MULTILINE_FIELDS: &[&str] = &[
    "note",
    "reason",
    "description",
    "detail",
    "override_reason",
    "intended_purpose",
    "justification",
    "preliminary_analysis",
    "initial_corrective_action",
    "further_investigations",
    "root_causes",
    "why_not_reportable",
    "risk_assessment_results",
    "corrective_action",
    "corrective_action_schedule",
    "final_comments",
    "comments",
];

/// Routes whose every string under a path prefix is free text with lines: the narrative
/// drafts (`{"fields": {"<section>": "<text>"}}`; the console's form names them
/// `field.<section>`).
pub const MULTILINE_UNDER: &[(&str, &str)] = &[
    (
        "/api/v1/reports/narratives/{device}/{kind}/{from}/{to}",
        "fields.",
    ),
    (
        "/console/reports/narratives/{device}/{kind}/{from}/{to}",
        "field.",
    ),
];

/// The key a path ends in: `events[0].scanner.model` -> `model`, `udi_dis[2]` -> `udi_dis`.
fn leaf(path: &str) -> &str {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    leaf.split('[').next().unwrap_or(leaf)
}

/// Whether the string at `path` (`events[0].scanner.model`, `fields.summary`) is free text
/// with lines on the route `route` (a route template, or a console form's name).
pub fn allows_lines(route: &str, path: &str) -> bool {
    MULTILINE_FIELDS.contains(&leaf(path))
        || MULTILINE_UNDER
            .iter()
            .any(|(r, prefix)| *r == route && path.starts_with(prefix))
}

/// The most characters the string at `path` may hold on `route`.
pub fn max_chars(route: &str, path: &str) -> usize {
    if allows_lines(route, path) {
        FREE_TEXT_MAX_CHARS
    } else {
        ONE_LINE_MAX_CHARS
    }
}

/// A character no string may hold; `lines` when the field is free text with lines.
pub fn is_refused(c: char, lines: bool) -> bool {
    c.is_control() && !(lines && matches!(c, '\t' | '\n' | '\r'))
}

fn issue(path: &str, code: &str, message: String) -> FieldIssue {
    FieldIssue {
        index: None,
        path: path.to_string(),
        code: code.to_string(),
        message,
    }
}

/// Why the string `value` at `path` on `route` is refused, if it is.
pub fn text_issue(route: &str, path: &str, value: &str) -> Option<FieldIssue> {
    let lines = allows_lines(route, path);
    if value.chars().any(|c| is_refused(c, lines)) {
        let message = if lines {
            format!("{path} must not hold control characters other than tabs and line breaks")
        } else {
            format!("{path} is one line: no line breaks, tabs or other control characters")
        };
        return Some(issue(path, CONTROL_CHARACTER, message));
    }
    let max = max_chars(route, path);
    (value.chars().count() > max).then(|| {
        issue(
            path,
            TOO_LONG,
            format!("{path} holds at most {max} characters"),
        )
    })
}

/// The first string (or key) in `value` that the rule refuses on `route`, with its path
/// (`events[3].scanner.model`, `fields.summary`); keys are one line. `prefix` is the path of
/// `value` itself ("" for a whole body, `options.` for a multipart part).
pub fn json_issue(route: &str, value: &Value, prefix: &str) -> Option<FieldIssue> {
    walk(route, value, prefix.trim_end_matches('.'))
}

fn walk(route: &str, value: &Value, path: &str) -> Option<FieldIssue> {
    match value {
        Value::String(s) => text_issue(route, path, s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| walk(route, v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let at = if path.is_empty() { "body" } else { path };
            if k.chars().any(|c| is_refused(c, false)) {
                return Some(issue(
                    at,
                    CONTROL_CHARACTER,
                    format!("a key in {at} holds a control character"),
                ));
            }
            if k.chars().count() > ONE_LINE_MAX_CHARS {
                return Some(issue(
                    at,
                    TOO_LONG,
                    format!("a key in {at} is longer than {ONE_LINE_MAX_CHARS} characters"),
                ));
            }
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            walk(route, v, &child)
        }),
        _ => None,
    }
}

/// The first refused field of a form post (`(name, value)` pairs) on the form `route`.
pub fn form_issue<'a>(
    route: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<FieldIssue> {
    fields
        .into_iter()
        .find_map(|(name, value)| text_issue(route, name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn free_text_takes_lines_and_one_line_fields_do_not() {
        assert!(text_issue("", "note", "line 1\nline 2\tend\r\n").is_none());
        assert!(text_issue("", "fields.preliminary_analysis", "a\nb").is_none());
        let issue = text_issue("", "events[0].scanner.model", "a\tb").expect("refused");
        assert_eq!(
            (issue.path.as_str(), issue.code.as_str()),
            ("events[0].scanner.model", CONTROL_CHARACTER)
        );
        assert!(text_issue("", "note", "a\u{0}b").is_some());
        assert!(text_issue("", "name", "a\u{85}b").is_some());
        let narrative = MULTILINE_UNDER[0].0;
        assert!(text_issue(narrative, "fields.summary", "p1\n\np2").is_none());
        assert!(text_issue("/api/v1/incidents/{id}/reports", "fields.summary", "a\nb").is_some());
    }

    #[test]
    fn one_character_over_the_cap_is_refused_naming_the_field() {
        let at_cap = "x".repeat(ONE_LINE_MAX_CHARS);
        assert!(text_issue("", "title", &at_cap).is_none());
        let issue = text_issue("", "title", &format!("{at_cap}é")).expect("refused");
        assert_eq!(
            (issue.path.as_str(), issue.code.as_str()),
            ("title", TOO_LONG)
        );
        let text = "é".repeat(FREE_TEXT_MAX_CHARS);
        assert!(
            text_issue("", "description", &text).is_none(),
            "characters, not bytes"
        );
        assert!(text_issue("", "description", &format!("{text}x")).is_some());
    }

    #[test]
    fn json_paths_name_the_field_and_its_batch_index() {
        let body = json!({"events": [{"a": "ok"}, {"scanner": {"manufacturer": "SIE\u{0}MENS"}}]});
        let issue = json_issue("", &body, "").expect("refused");
        assert_eq!(issue.path, "events[1].scanner.manufacturer");
        let part = json!({"label": "liver\nx"});
        assert_eq!(
            json_issue("", &part, "options.").expect("refused").path,
            "options.label"
        );
        assert!(json_issue("", &json!({"note": "a\nb", "n": 3}), "").is_none());
        let form = [("note", "ok\nfine"), ("title", "two\nlines")];
        assert_eq!(form_issue("", form).expect("refused").path, "title");
    }
}
