//! Reading JSON bodies: content type checked (415), size capped while streaming (413),
//! malformed JSON refused (400), and batch envelopes parsed with unknown fields refused (422).

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde_json::Value;

use crate::domain::FieldIssue;
use crate::error::AppError;

/// Read the whole body as JSON, refusing other content types and bodies above `limit` bytes.
pub async fn read_json(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Value, AppError> {
    if !is_json(req) {
        return Err(AppError::UnsupportedMediaType);
    }
    parse(&read_bytes(payload, limit).await?)
}

/// Like [`read_json`], but an empty body without a content type reads as `{}`: for actions
/// whose every field is optional. A body that is there is held to the same rules.
pub async fn read_json_or_empty(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Value, AppError> {
    let buf = read_bytes(payload, limit).await?;
    let has_type = req
        .headers()
        .contains_key(actix_web::http::header::CONTENT_TYPE);
    if buf.is_empty() && !has_type {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    if !is_json(req) {
        return Err(AppError::UnsupportedMediaType);
    }
    parse(&buf)
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        })
}

async fn read_bytes(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, AppError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::BadRequest("request body could not be read".into()))?;
        if buf.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn parse(buf: &[u8]) -> Result<Value, AppError> {
    serde_json::from_slice(buf).map_err(|e| {
        if e.to_string().starts_with("number out of range") {
            return out_of_range_number(buf);
        }
        AppError::BadRequest(format!("malformed JSON: {}", e.classify_text()))
    })
}

/// A number like `1e400` is well-formed JSON that no double holds: a 422 naming its field,
/// not a syntax error. The second pass only runs on this rare refusal, to learn the path.
fn out_of_range_number(buf: &[u8]) -> AppError {
    let mut de = serde_json::Deserializer::from_slice(buf);
    let path = match serde_path_to_error::deserialize::<_, Value>(&mut de) {
        Err(e) => e.path().to_string(),
        Ok(_) => String::new(),
    };
    let index = path
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(n, _)| n.parse().ok());
    let field = path.rsplit('.').next().unwrap_or("value").to_string();
    AppError::Validation {
        message: format!("{path} is not a finite number; nothing was stored"),
        details: vec![FieldIssue {
            index,
            path,
            code: "invalid_value".into(),
            message: format!("{field} is not a finite number (beyond the range of a double)"),
        }],
    }
}

trait ClassifyText {
    fn classify_text(&self) -> String;
}

impl ClassifyText for serde_json::Error {
    /// Position only: the text around a syntax error could be a patient's data.
    fn classify_text(&self) -> String {
        format!(
            "syntax error at line {} column {}",
            self.line(),
            self.column()
        )
    }
}

/// Take the item array out of `{"<field>": [...]}`; any other shape is refused (422).
pub fn batch_items(body: Value, field: &str) -> Result<Vec<Value>, AppError> {
    let refuse = |message: String| AppError::Validation {
        message: "the batch envelope is invalid; nothing was stored".into(),
        details: vec![FieldIssue {
            index: None,
            path: field.to_string(),
            code: "invalid_envelope".into(),
            message,
        }],
    };
    let Value::Object(mut map) = body else {
        return Err(refuse(format!(
            "body must be an object {{\"{field}\": [...]}}"
        )));
    };
    if let Some(extra) = map.keys().find(|k| k.as_str() != field) {
        // The refused key names itself (a key, like an item's keys, is no patient data field).
        return Err(AppError::Validation {
            message: "the batch envelope is invalid; nothing was stored".into(),
            details: vec![FieldIssue {
                index: None,
                path: extra.clone(),
                code: "unknown_field".into(),
                message: format!("unknown field {extra:?}; the envelope holds only {field:?}"),
            }],
        });
    }
    match map.remove(field) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(refuse(format!("field {field:?} must be an array"))),
    }
}
