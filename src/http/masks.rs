//! `POST /api/v1/reviews/{review_id}/masks`: a site uploads the prediction and the corrected
//! mask of one of its reviews, as multipart NIfTI files or as run-length JSON; Vigil computes
//! the metrics per label off the async workers and stores them on the review.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::auth::Caller;
use super::body::read_json;
use crate::error::AppError;
use crate::segmentation::{DecodeLimits, RleMask};
use crate::service::masks::{MaskInput, MaskOptions, MaskUploadError, check_review, evaluate};

/// The JSON form of an upload.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RleUpload {
    /// `{"shape":[nx,ny,nz],"spacing":[sx,sy,sz],"runs":[[start,len(,label)],...]}`; runs over
    /// the C-order flat index `(x*ny + y)*nz + z`.
    #[schema(value_type = Object)]
    pub prediction: RleMask,
    #[schema(value_type = Object)]
    pub reference: RleMask,
    #[serde(flatten)]
    pub options: MaskOptions,
}

/// Upload masks for a review; returns the metrics per label.
#[utoipa::path(
    post, path = "/api/v1/reviews/{review_id}/masks", tag = "ingest",
    params(("review_id" = String, Path, description = "A review this site reported")),
    request_body(content = RleUpload, description = "application/json (run-length form), or multipart/form-data with files `prediction` and `reference` (NIfTI-1/2, .nii or .nii.gz) and an optional `options` part {label?, nsd_tolerances_mm?}"),
    responses(
        (status = 200, description = "Metrics per label, stored on the review"),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "invalid mask: code names the problem (shape_mismatch, not_nifti, truncated, ...)"),
    ),
    security(("bearer" = []))
)]
pub async fn post_masks(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let site = caller.site()?.clone();
    let review_id = path.into_inner();
    let limit = state.settings.max_mask_bytes;
    // Refuse unknown reviews before reading a possibly large upload.
    let (st, s2, r2) = (state.clone(), site.clone(), review_id.clone());
    web::block(move || check_review(&*st.store, &s2, &r2))
        .await?
        .map_err(map_err)?;
    let is_multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (prediction, reference, options) = if is_multipart {
        read_multipart(Multipart::new(req.headers(), payload), limit).await?
    } else {
        let upload: RleUpload = serde_json::from_value(read_json(&req, payload, limit).await?)
            .map_err(|e| AppError::Validation {
                message: format!("invalid mask upload: {e}"),
                details: vec![],
            })?;
        (
            MaskInput::Rle(upload.prediction),
            MaskInput::Rle(upload.reference),
            upload.options,
        )
    };
    let limits = DecodeLimits {
        max_voxels: state.settings.max_mask_voxels,
    };
    let st = state.clone();
    let rid = review_id.clone();
    let metrics = web::block(move || {
        evaluate(
            &*st.store, &site, &rid, prediction, reference, &options, &limits,
        )
    })
    .await?
    .map_err(map_err)?;
    Ok(HttpResponse::Ok().json(json!({"review_id": review_id, "labels": metrics})))
}

/// The options part is small JSON (`{label?, nsd_tolerances_mm?}`): at most the text rule's
/// one-line cap, as the document states.
fn check_options_length(bytes: &[u8]) -> Result<(), AppError> {
    let max = crate::domain::text_rule::ONE_LINE_MAX_CHARS;
    if String::from_utf8_lossy(bytes).chars().count() <= max {
        return Ok(());
    }
    Err(super::text_guard::text_refusal(crate::domain::FieldIssue {
        index: None,
        path: "options".into(),
        code: crate::domain::text_rule::TOO_LONG.into(),
        message: format!("options holds at most {max} characters"),
    }))
}

/// The route, as the text rule names it.
const MASKS_ROUTE: &str = "/api/v1/reviews/{review_id}/masks";

async fn read_multipart(
    mut form: Multipart,
    limit: usize,
) -> Result<(MaskInput, MaskInput, MaskOptions), AppError> {
    let (mut prediction, mut reference, mut options) = (None, None, MaskOptions::default());
    let mut total = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(format!("multipart: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("multipart: {e}")))?;
            total += chunk.len();
            if total > limit {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "prediction" => prediction = Some(MaskInput::Nifti(bytes)),
            "reference" => reference = Some(MaskInput::Nifti(bytes)),
            "options" => {
                check_options_length(&bytes)?;
                super::text_guard::check_json_part(MASKS_ROUTE, "options", &bytes)?;
                options = serde_json::from_slice(&bytes).map_err(|e| AppError::Validation {
                    message: format!("invalid options part: {e}"),
                    details: vec![],
                })?
            }
            _ => {
                return Err(AppError::Validation {
                    message: "unknown multipart field; expected prediction, reference, options"
                        .into(),
                    details: vec![],
                });
            }
        }
    }
    match (prediction, reference) {
        (Some(p), Some(r)) => Ok((p, r, options)),
        _ => Err(AppError::Validation {
            message: "both `prediction` and `reference` files are required".into(),
            details: vec![],
        }),
    }
}

fn map_err(e: MaskUploadError) -> AppError {
    match e {
        MaskUploadError::UnknownReview => {
            AppError::NotFound("no review with this id was reported by this site".into())
        }
        MaskUploadError::Mask(m) if m.code() == "too_large" => AppError::PayloadTooLarge,
        MaskUploadError::Mask(m) => AppError::InvalidMask {
            code: m.code(),
            message: m.to_string(),
        },
        MaskUploadError::Store(s) => s.into(),
    }
}
