//! One notion of valid text on both databases: a middleware refuses control characters in
//! path segments, query parameters and JSON bodies, and over-long strings in JSON bodies,
//! with 422 `validation_failed` naming the field (detail code `control_character` or
//! `too_long`), before any handler (and so any database call) runs. PostgreSQL cannot store
//! NUL in text and SQLite can; refusing them here keeps the two backends answering alike.
//!
//! Path segments and query parameters take no control character at all. JSON strings follow
//! `domain::text_rule`: free-text fields take tab and line breaks, every other string is one
//! line, and each has its cap. The OpenAPI document states the same rule as a `pattern` and
//! a `maxLength` on each string (`openapi_strict`, `openapi_limits`). A body is scanned as
//! bytes first; only a body that may break the rule (an escape like `\u0000`, `\n`, `\t`, a
//! raw DEL or C1, or a string literal longer than the smallest cap) is parsed to find the
//! path.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::StreamExt;
use serde_json::Value;

use super::AppState;
use crate::domain::{FieldIssue, text_rule};
use crate::error::AppError;

/// Routes whose JSON bodies hold numbers only and may be far larger than `max_body_bytes`
/// (mask volumes): their bodies are not buffered here.
const UNSCANNED_BODIES: &[&str] = &["/api/v1/reviews/{review_id}/masks"];

/// A control character that no path segment or query parameter may hold.
fn is_control(c: char) -> bool {
    c.is_control()
}

pub use crate::domain::text_rule::{MULTILINE_FIELDS, MULTILINE_UNDER, allows_lines};

fn refusal(path: String, what: &str) -> AppError {
    AppError::Validation {
        message: format!("{path} holds a control character; nothing was stored"),
        details: vec![FieldIssue {
            index: None,
            path: path.clone(),
            code: text_rule::CONTROL_CHARACTER.into(),
            message: format!(
                "{what} {path} must not hold control characters such as NUL (line breaks and \
                 tabs only in free-text fields such as notes, reasons and descriptions)"
            ),
        }],
    }
}

/// The 422 for a string the text rule refuses (`text_rule::text_issue`).
pub fn text_refusal(issue: FieldIssue) -> AppError {
    let message = if issue.code == text_rule::TOO_LONG {
        format!("{} is too long; nothing was stored", issue.path)
    } else {
        format!(
            "{} holds a control character; nothing was stored",
            issue.path
        )
    };
    AppError::Validation {
        message,
        details: vec![issue],
    }
}

/// The name of the path segment at `index` in the route template, `path` when unnamed.
fn segment_name(pattern: Option<&str>, index: usize) -> String {
    pattern
        .and_then(|p| p.split('/').nth(index))
        .and_then(|s| s.strip_prefix('{'))
        .and_then(|s| s.strip_suffix('}'))
        .map_or_else(|| "path".to_string(), str::to_string)
}

/// The first path segment or query parameter holding a control character.
fn check_path_and_query(req: &ServiceRequest) -> Result<(), AppError> {
    let pattern = req.match_pattern();
    for (i, raw) in req.path().split('/').enumerate() {
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        if decoded.chars().any(is_control) {
            return Err(refusal(segment_name(pattern.as_deref(), i), "path segment"));
        }
    }
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key.chars().any(is_control) {
            return Err(refusal("query".into(), "query parameter name in"));
        }
        if value.chars().any(is_control) {
            return Err(refusal(key.into_owned(), "query parameter"));
        }
    }
    Ok(())
}

/// Whether the bytes may hold a refused character: a JSON escape of one, or a raw DEL or C1.
fn may_hold_control(body: &[u8]) -> bool {
    body.windows(2).any(|w| {
        matches!(
            w,
            [b'\\', b'u' | b'b' | b'f' | b'n' | b'r' | b't']
                | [0x7f, _]
                | [_, 0x7f]
                | [0xc2, 0x80..=0x9f]
        )
    })
}

/// The byte length of the longest string literal (or key) in a JSON text: a string's
/// characters never outnumber its bytes, so when no literal is longer than the smallest cap
/// the body need not be parsed for the length rule.
fn longest_literal(body: &[u8]) -> usize {
    let (mut longest, mut current, mut inside, mut escaped) = (0, 0, false, false);
    for &b in body {
        if !inside {
            if b == b'"' {
                (inside, current) = (true, 0);
            }
            continue;
        }
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => {
                inside = false;
                longest = longest.max(current);
                continue;
            }
            _ => {}
        }
        current += 1;
    }
    longest.max(current)
}

/// The batch index in a path like `events[3].scanner.model`.
fn batch_index(path: &str) -> Option<usize> {
    let (head, rest) = path.split_once('[')?;
    if head.contains('.') {
        return None;
    }
    rest.split_once(']')?.0.parse().ok()
}

fn check_body(body: &[u8], pattern: &str) -> Result<(), AppError> {
    let may_be_long = longest_literal(body) > text_rule::ONE_LINE_MAX_CHARS;
    if !may_hold_control(body) && !may_be_long {
        return Ok(());
    }
    // Malformed JSON is the handler's to refuse (400), with its own message.
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    match text_rule::json_issue(pattern, &value, "") {
        None => Ok(()),
        Some(mut issue) => {
            issue.index = batch_index(&issue.path);
            Err(text_refusal(issue))
        }
    }
}

/// The text rule on the JSON part `part` of a multipart upload: a string the rule refuses is
/// a 422 naming it under the part (`metadata.scanner`, `spec.input.name`). A part that is
/// not JSON is left to its handler, which refuses it with its own message.
pub fn check_json_part(route: &str, part: &str, bytes: &[u8]) -> Result<(), AppError> {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    match text_rule::json_issue(route, &value, &format!("{part}.")) {
        None => Ok(()),
        Some(issue) => Err(text_refusal(issue)),
    }
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Read the body up to `limit` bytes; a larger one is refused (413), as the handlers would.
async fn buffer(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::BadRequest("request body could not be read".into()))?;
        if buf.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Middleware: refuse control characters in the path, the query and JSON bodies (422).
pub async fn refuse_control_text(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refuse = |req: ServiceRequest, e: AppError| {
        let res = e.error_response();
        Ok(req.into_response(res).map_into_right_body())
    };
    if let Err(e) = check_path_and_query(&req) {
        return refuse(req, e);
    }
    let pattern = req.match_pattern();
    let scanned = is_json(&req) && !UNSCANNED_BODIES.contains(&pattern.as_deref().unwrap_or(""));
    if scanned {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(usize::MAX, |s| s.settings.max_body_bytes);
        let body = match buffer(&mut req, limit).await {
            Ok(b) => b,
            Err(e) => return refuse(req, e),
        };
        if let Err(e) = check_body(&body, pattern.as_deref().unwrap_or("")) {
            return refuse(req, e);
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_controls_are_found_with_their_path() {
        let body = br#"{"events":[{"a":"ok"},{"scanner":{"manufacturer":"SIE\u0000MENS"}}]}"#;
        let AppError::Validation { details, .. } = check_body(body, "").unwrap_err() else {
            panic!("not a validation error");
        };
        assert_eq!(details[0].path, "events[1].scanner.manufacturer");
        assert_eq!(details[0].index, Some(1));
        assert!(check_body(br#"{"name":"a\u001fb"}"#, "").is_err());
        assert!(check_body("{\"name\":\"a\u{85}b\"}".as_bytes(), "").is_err());
    }

    #[test]
    fn line_breaks_and_tabs_are_text_in_free_text_fields_only() {
        assert!(check_body(br#"{"note":"line 1\nline 2\tend\r\n"}"#, "").is_ok());
        assert!(check_body(br#"{"fields":{"further_investigations":"a\nb"}}"#, "").is_ok());
        assert!(check_body(br#"{"path":"C:\\u0000 C:\\new"}"#, "").is_ok());
        assert!(check_body(br#"{"name":"caf\u00e9"}"#, "").is_ok());
        for one_line in [
            br#"{"name":"Klinik\nNord"}"#.as_slice(),
            br#"{"events":[{"scanner":{"model":"a\tb"}}]}"#,
            br#"{"fields":{"nca_name":"BfArM\r"}}"#,
            br#"{"udi_dis":["a\nb"]}"#,
        ] {
            let AppError::Validation { details, .. } = check_body(one_line, "").unwrap_err() else {
                panic!("not a validation error");
            };
            assert_eq!(details[0].code, "control_character");
        }
        let narrative = "/api/v1/reports/narratives/{device}/{kind}/{from}/{to}";
        let body = br#"{"fields":{"summary":"para 1\n\npara 2"}}"#;
        assert!(check_body(body, narrative).is_ok());
        assert!(check_body(body, "/api/v1/incidents/{id}/reports").is_err());
    }

    #[test]
    fn over_long_strings_are_refused_naming_the_field() {
        let at_cap = "x".repeat(text_rule::ONE_LINE_MAX_CHARS);
        let ok = format!(r#"{{"events":[{{"scanner":{{"model":"{at_cap}"}}}}]}}"#);
        assert!(check_body(ok.as_bytes(), "").is_ok());
        let long = format!(r#"{{"events":[{{"a":1}},{{"scanner":{{"model":"{at_cap}x"}}}}]}}"#);
        let AppError::Validation { details, .. } = check_body(long.as_bytes(), "").unwrap_err()
        else {
            panic!("not a validation error");
        };
        assert_eq!(details[0].path, "events[1].scanner.model");
        assert_eq!(
            (details[0].index, details[0].code.as_str()),
            (Some(1), "too_long")
        );
        assert_eq!(longest_literal(br#"{"a":"x\"y","bc":1}"#), 4);
    }

    #[test]
    fn segment_names_come_from_the_template() {
        let p = Some("/api/v1/alerts/{id}/{action}");
        assert_eq!(segment_name(p, 4), "id");
        assert_eq!(segment_name(p, 5), "action");
        assert_eq!(segment_name(p, 2), "path");
        assert_eq!(segment_name(None, 1), "path");
    }
}
