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
    mut payload: web::Payload,
    limit: usize,
) -> Result<Value, AppError> {
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(AppError::UnsupportedMediaType);
    }
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::BadRequest("request body could not be read".into()))?;
        if buf.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&buf)
        .map_err(|e| AppError::BadRequest(format!("malformed JSON: {}", e.classify_text())))
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
        let _ = extra;
        return Err(refuse(
            "the envelope holds an unknown top-level field; the protocol refuses unknown fields"
                .into(),
        ));
    }
    match map.remove(field) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(refuse(format!("field {field:?} must be an array"))),
    }
}
