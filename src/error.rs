//! `AppError` and the one table that maps each stable error code to its HTTP status.
//! Bodies are `{"code", "message", "request_id", "details"?}`; README lists every code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub use crate::domain::FieldIssue;
use crate::storage::StoreError;

/// Every error the HTTP API answers with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid credential")]
    Unauthenticated,
    /// 401 whose message says how to get in (e.g. which setting opens `/metrics`).
    #[error("{0}")]
    UnauthenticatedHint(String),
    #[error("this credential may not call this route")]
    Forbidden,
    /// A console form arrived without this session's CSRF token (a forged or stale form).
    #[error("the form's CSRF token is missing or does not match this session; reload the page")]
    CsrfRefused,
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    IdempotencyConflict {
        message: String,
        details: Vec<FieldIssue>,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("this route answers {allow} only")]
    MethodNotAllowed { allow: String },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    #[error("{message}")]
    Validation {
        message: String,
        details: Vec<FieldIssue>,
    },
    #[error("{message}")]
    InvalidMask { code: &'static str, message: String },
    #[error("personal data refused")]
    PersonalData { details: Vec<FieldIssue> },
    #[error("rate limit exceeded; retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// A refusal with its own stable code (vigilance rules): 409 when `conflict`, else 422.
    #[error("{message}")]
    Rule {
        code: &'static str,
        conflict: bool,
        message: String,
        details: Vec<FieldIssue>,
    },
    #[error("database unavailable")]
    Unavailable(String),
    /// ONNX Runtime could not be loaded (shadow evaluation).
    #[error("ONNX Runtime is not available: {0}")]
    RuntimeUnavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The stable snake_case code (README's error-code table).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthenticated | AppError::UnauthenticatedHint(_) => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::CsrfRefused => "csrf_refused",
            AppError::NotFound(_) => "not_found",
            AppError::IdempotencyConflict { .. } => "idempotency_conflict",
            AppError::Conflict(_) => "conflict",
            AppError::MethodNotAllowed { .. } => "method_not_allowed",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::Validation { .. } => "validation_failed",
            AppError::PersonalData { .. } => "personal_data_refused",
            AppError::InvalidMask { code, .. } => code,
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Rule { code, .. } => code,
            AppError::Unavailable(_) => "service_unavailable",
            AppError::RuntimeUnavailable(_) => "runtime_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn details(&self) -> Option<&[FieldIssue]> {
        match self {
            AppError::IdempotencyConflict { details, .. }
            | AppError::Validation { details, .. }
            | AppError::PersonalData { details } => Some(details),
            AppError::Rule { details, .. } if !details.is_empty() => Some(details),
            _ => None,
        }
    }
}

/// The JSON error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldIssue>>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated | AppError::UnauthenticatedHint(_) => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden | AppError::CsrfRefused => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::IdempotencyConflict { .. } | AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::InvalidMask { .. }
            | AppError::Validation { .. }
            | AppError::PersonalData { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::RuntimeUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Rule { conflict: true, .. } => StatusCode::CONFLICT,
            AppError::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = uuid::Uuid::new_v4().to_string();
        match self {
            AppError::Internal(cause) | AppError::Unavailable(cause) => {
                tracing::error!(request.id = %request_id, error.code = self.code(), %cause, "request failed");
            }
            _ => {
                tracing::info!(request.id = %request_id, error.code = self.code(), "request refused")
            }
        }
        let body = ErrorBody {
            code: self.code().to_string(),
            message: self.to_string(),
            request_id,
            details: self.details().map(<[FieldIssue]>::to_vec),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::RateLimited { retry_after_s } = self {
            response.insert_header(("Retry-After", retry_after_s.to_string()));
        }
        if let AppError::MethodNotAllowed { allow } = self {
            response.insert_header(("Allow", allow.clone()));
        }
        response.json(body)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
            StoreError::Other(cause) if crate::storage::readiness::refuses_writes(&cause) => {
                AppError::Unavailable(cause)
            }
            StoreError::Other(cause) => AppError::Internal(cause),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// Every code with its HTTP status, for README and the OpenAPI description.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    ("bad_request", 400, "malformed JSON or query"),
    ("unauthenticated", 401, "no valid Bearer credential"),
    (
        "forbidden",
        403,
        "the credential's role may not call the route",
    ),
    (
        "csrf_refused",
        403,
        "a console form without this session's CSRF token",
    ),
    ("not_found", 404, "no such resource"),
    (
        "idempotency_conflict",
        409,
        "an id was already accepted with different content",
    ),
    ("conflict", 409, "the resource already exists"),
    (
        "method_not_allowed",
        405,
        "the route exists for other methods; see Allow",
    ),
    (
        "payload_too_large",
        413,
        "request body above max_body_bytes",
    ),
    (
        "unsupported_media_type",
        415,
        "body is not application/json",
    ),
    (
        "validation_failed",
        422,
        "items refused; details name every item index and field path",
    ),
    (
        "personal_data_refused",
        422,
        "a value looks like personal data; path named, value never echoed",
    ),
    (
        "rate_limited",
        429,
        "per-credential rate limit; see Retry-After",
    ),
    (
        "invalid_imdrf_code",
        422,
        "an IMDRF code is unknown, in the wrong annex, retired or not selectable; the release is named",
    ),
    (
        "report_stage_out_of_order",
        409,
        "an incident report stage may not follow the previous one (e.g. final before initial)",
    ),
    (
        "incident_not_classified",
        409,
        "a reportable report stage needs the incident's seriousness class first",
    ),
    (
        "device_not_registered",
        422,
        "the incident's model version belongs to no device with a Basic UDI-DI",
    ),
    (
        "holiday_calendar_gap",
        422,
        "the holiday calendar does not cover the reporting country or year",
    ),
    (
        "psur_for_leading_device_only",
        422,
        "a PSUR was requested for a member of a device group; the message names the leading device; details name device",
    ),
    (
        "invalid_range",
        422,
        "a plan backtest's range is not past days or `from` lies after `to`; details name the field",
    ),
    (
        "range_too_long",
        422,
        "a plan backtest's range holds more than 366 days; details name `to`",
    ),
    (
        "report_period_invalid",
        422,
        "a PSUR/PMS data period is not aligned to the certificate, has the wrong length, overlaps or leaves a gap; details name the field",
    ),
    (
        "invalid_limit",
        422,
        "a list's limit is not a whole number from 1 to the list's maximum; details name limit",
    ),
    (
        "invalid_cursor",
        422,
        "a list's next cursor was not returned by that list; details name next",
    ),
    (
        "invalid_spec",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "invalid_profile",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "invalid_model",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "spec_mismatch",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "invalid_volume",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "free_text_in_header",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "affine_mismatch",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "no_passing_shadow_run",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "over_memory_budget",
        422,
        "shadow evaluation refused the upload or request; the message names the field or tensor",
    ),
    (
        "runtime_unavailable",
        503,
        "ONNX Runtime could not be loaded (ORT_DYLIB_PATH); everything else keeps working",
    ),
    (
        "service_unavailable",
        503,
        "database unreachable, refusing writes, or not answering within the configured waits",
    ),
    (
        "internal_error",
        500,
        "unexpected server error; logged with the request id",
    ),
];
