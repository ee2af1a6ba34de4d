//! One notion of valid text on both databases: a middleware refuses control characters in
//! path segments, query parameters and JSON bodies with 422 `validation_failed` naming the
//! field, before any handler (and so any database call) runs. PostgreSQL cannot store NUL in
//! text and SQLite can; refusing them here keeps the two backends answering alike.
//!
//! Path segments and query parameters take no control character at all. JSON strings take
//! none either, except the free text that legitimately has lines: a string whose own key is
//! one of [`MULTILINE_FIELDS`] (notes, reasons, descriptions, narratives' analyses), or
//! that lies under a route's multi-line prefix ([`MULTILINE_UNDER`]: the narrative drafts),
//! takes tab, line feed and carriage return. Every other string (ids, names, codes,
//! versions, manufacturers, ...) is one line. The OpenAPI document states the same rule as a
//! `pattern` on each string (`openapi_strict`). A body is scanned as bytes first; only a
//! body that may hold one (an escape like `\u0000`, `\n`, `\t`, a raw DEL or C1) is parsed to
//! find the path.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::StreamExt;
use serde_json::Value;

use super::AppState;
use crate::domain::FieldIssue;
use crate::error::AppError;

/// Routes whose JSON bodies hold numbers only and may be far larger than `max_body_bytes`
/// (mask volumes): their bodies are not buffered here.
const UNSCANNED_BODIES: &[&str] = &["/api/v1/reviews/{review_id}/masks"];

/// A control character that no path segment or query parameter may hold.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// JSON keys whose string values are free text with lines (tab, line feed, carriage return
/// allowed), wherever they appear in a body.
pub const MULTILINE_FIELDS: &[&str] = &[
    "note",
    "reason",
    "description",
    "detail",
    "override_reason",
    "intended_purpose",
    "preliminary_analysis",
    "initial_corrective_action",
    "further_investigations",
];

/// Routes whose every string under a path prefix is free text with lines: the narrative
/// drafts (`{"fields": {"<section>": "<text>"}}`).
pub const MULTILINE_UNDER: &[(&str, &str)] = &[(
    "/api/v1/reports/narratives/{device}/{kind}/{from}/{to}",
    "fields.",
)];

/// A control character that no JSON string may hold; `lines` when the field is free text
/// with lines (tab and line breaks are text there).
fn is_refused_in_body(c: char, lines: bool) -> bool {
    c.is_control() && !(lines && matches!(c, '\t' | '\n' | '\r'))
}

/// Whether the string at `path` (`events[0].scanner.model`, `fields.summary`) is free text
/// with lines on the route `pattern`.
pub(crate) fn allows_lines(pattern: &str, path: &str) -> bool {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    MULTILINE_FIELDS.contains(&leaf)
        || MULTILINE_UNDER
            .iter()
            .any(|(route, prefix)| *route == pattern && path.starts_with(prefix))
}

fn refusal(path: String, what: &str) -> AppError {
    AppError::Validation {
        message: format!("{path} holds a control character; nothing was stored"),
        details: vec![FieldIssue {
            index: None,
            path: path.clone(),
            code: "control_character".into(),
            message: format!(
                "{what} {path} must not hold control characters such as NUL (line breaks and \
                 tabs only in free-text fields such as notes, reasons and descriptions)"
            ),
        }],
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

/// The path of the first string or key in `value` holding a refused character on the route
/// `pattern`.
fn find_control(value: &Value, path: &str, pattern: &str) -> Option<String> {
    match value {
        Value::String(s) => {
            let lines = allows_lines(pattern, path);
            s.chars()
                .any(|c| is_refused_in_body(c, lines))
                .then(|| path.to_string())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_control(v, &format!("{path}[{i}]"), pattern)),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.chars().any(|c| is_refused_in_body(c, false)) {
                return Some(if path.is_empty() {
                    "body".into()
                } else {
                    path.into()
                });
            }
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            find_control(v, &child, pattern)
        }),
        _ => None,
    }
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
    if !may_hold_control(body) {
        return Ok(());
    }
    // Malformed JSON is the handler's to refuse (400), with its own message.
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    match find_control(&value, "", pattern) {
        None => Ok(()),
        Some(path) => {
            let index = batch_index(&path);
            let mut err = refusal(path, "field");
            if let AppError::Validation { details, .. } = &mut err {
                details[0].index = index;
            }
            Err(err)
        }
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
    fn segment_names_come_from_the_template() {
        let p = Some("/api/v1/alerts/{id}/{action}");
        assert_eq!(segment_name(p, 4), "id");
        assert_eq!(segment_name(p, 5), "action");
        assert_eq!(segment_name(p, 2), "path");
        assert_eq!(segment_name(None, 1), "path");
    }
}
