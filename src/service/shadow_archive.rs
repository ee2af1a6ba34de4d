//! Use cases of the reviewed-case archive and model artefacts: add a case (NIfTI checks
//! before anything is stored), erase one by case_ref (its blobs go when nothing else points
//! at them), upload an ONNX artefact (opened with ONNX Runtime and checked against its spec),
//! and the audited promotion that needs a passing shadow run or an admin's written reason.

use serde::Deserialize;

use crate::blobs::{BlobKey, BlobStore};
use crate::domain::audit::AuditDraft;
use crate::shadow::ShadowError;
use crate::shadow::image::{free_text_fields, read_header, shape_of};
use crate::storage::Store;
use crate::storage::StoreError;
use crate::storage::jobs::{JobFilter, JobState};
use crate::storage::shadow::{ArchiveCase, ModelArtifact, ModelRole};

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ShadowUseError {
    /// 422 with a stable code naming the problem.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error(transparent)]
    Shadow(#[from] ShadowError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob store: {0}")]
    Blob(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
}

fn refused(code: &'static str, message: impl Into<String>) -> ShadowUseError {
    ShadowUseError::Refused {
        code,
        message: message.into(),
    }
}

fn blob_err(e: crate::blobs::BlobError) -> ShadowUseError {
    ShadowUseError::Blob(e.to_string())
}

/// The JSON metadata part of an archive upload.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseMetadata {
    /// The site's opaque pseudonym: 64 lowercase hex characters.
    pub case_ref: String,
    pub modality: String,
    pub scanner: String,
    /// The stratum a shadow run breaks results down by (default: the scanner).
    pub stratum: Option<String>,
    pub labels_present: Vec<u8>,
    pub review_id: Option<String>,
}

fn check_metadata(m: &CaseMetadata) -> Result<(), ShadowUseError> {
    let hex64 = m.case_ref.len() == 64
        && m.case_ref
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex64 {
        return Err(refused(
            "validation_failed",
            "metadata.case_ref must be 64 lowercase hex characters",
        ));
    }
    if !["CT", "CBCT", "MR"].contains(&m.modality.as_str()) {
        return Err(refused(
            "validation_failed",
            "metadata.modality must be CT, CBCT or MR",
        ));
    }
    for (field, v) in [
        ("metadata.scanner", Some(&m.scanner)),
        ("metadata.stratum", m.stratum.as_ref()),
    ] {
        if v.is_some_and(|s| s.is_empty() || s.len() > 64 || s.chars().any(char::is_control)) {
            return Err(refused(
                "validation_failed",
                format!("{field} must have 1 to 64 printable characters"),
            ));
        }
    }
    Ok(())
}

/// Header checks of an upload pair: no free text, 3D, within the voxel limit, same shape and
/// same affine.
fn check_pair(image: &[u8], mask: &[u8], max_voxels: u64) -> Result<(), ShadowUseError> {
    let mut headers = Vec::new();
    for (part, bytes) in [("image", image), ("mask", mask)] {
        let h =
            read_header(bytes).map_err(|e| refused("invalid_volume", format!("{part}: {e}")))?;
        let filled = free_text_fields(&h);
        if !filled.is_empty() {
            return Err(refused(
                "free_text_in_header",
                format!("{part}: header fields {filled:?} must be empty"),
            ));
        }
        let shape = shape_of(&h, max_voxels)
            .map_err(|e| refused("invalid_volume", format!("{part}: {e}")))?;
        headers.push((shape, h));
    }
    let ((s1, h1), (s2, h2)) = (&headers[0], &headers[1]);
    if s1 != s2 {
        return Err(refused(
            "shape_mismatch",
            format!("image shape {s1:?} differs from mask shape {s2:?}"),
        ));
    }
    let affine = |h: &nifti::NiftiHeader| {
        (
            h.sform_code,
            h.srow_x,
            h.srow_y,
            h.srow_z,
            h.qform_code,
            h.quatern_b,
            h.quatern_c,
            h.quatern_d,
            h.quatern_x,
            h.quatern_y,
            h.quatern_z,
            h.pixdim[1..4].to_vec(),
        )
    };
    if affine(h1) != affine(h2) {
        return Err(refused(
            "affine_mismatch",
            "the image's and the mask's affines (sform, qform, spacing) differ",
        ));
    }
    Ok(())
}

/// Add a case: checks, blobs, then the row (audited). Nothing is stored when a check fails.
pub fn add_case(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
    (image, mask, meta): (&[u8], &[u8], CaseMetadata),
    max_voxels: u64,
) -> Result<ArchiveCase, ShadowUseError> {
    check_metadata(&meta)?;
    check_pair(image, mask, max_voxels)?;
    if store.archive_case(&meta.case_ref)?.is_some() {
        return Err(ShadowUseError::Conflict(format!(
            "case {} is archived already",
            meta.case_ref
        )));
    }
    let image_key = blobs.put_bytes(image).map_err(blob_err)?.key;
    let mask_key = blobs.put_bytes(mask).map_err(blob_err)?.key;
    let case = ArchiveCase {
        case_ref: meta.case_ref.clone(),
        stratum: meta.stratum.clone().unwrap_or_else(|| meta.scanner.clone()),
        metadata: serde_json::to_value(&meta).unwrap_or_default(),
        image_sha256: image_key.to_string(),
        mask_sha256: mask_key.to_string(),
        created_by: actor.into(),
        created_at: now,
    };
    let audit = AuditDraft {
        actor: actor.into(),
        action: "archive.add".into(),
        target: case.case_ref.clone(),
        details: serde_json::json!({"stratum": case.stratum}).to_string(),
    };
    store.add_archive_case(&case, &audit)?;
    Ok(case)
}

/// Erase a case by case_ref (audited) and delete its blobs unless still referenced.
pub fn erase_case(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    actor: &str,
    case_ref: &str,
) -> Result<Vec<String>, ShadowUseError> {
    let audit = AuditDraft {
        actor: actor.into(),
        action: "archive.erase".into(),
        target: case_ref.into(),
        details: "{}".into(),
    };
    let case = store
        .erase_archive_case(case_ref, &audit)?
        .ok_or_else(|| ShadowUseError::NotFound(format!("archive case {case_ref}")))?;
    let mut removed = Vec::new();
    for key in [&case.image_sha256, &case.mask_sha256] {
        if !store.blob_referenced(key)? {
            let k = BlobKey::parse(key).map_err(blob_err)?;
            if blobs.delete(&k).map_err(blob_err)? {
                removed.push(key.clone());
            }
        }
    }
    Ok(removed)
}

/// Store an artefact that `check` (ONNX Runtime opening the file against the spec) accepted.
pub fn upload_artifact(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    (actor, now): (&str, chrono::DateTime<chrono::Utc>),
    model_id: &str,
    (onnx, spec_text): (&[u8], &str),
    check: &dyn Fn(&[u8]) -> Result<(), ShadowError>,
) -> Result<ModelArtifact, ShadowUseError> {
    if let Some(old) = store.artifact(model_id)?
        && old.role != ModelRole::Candidate
    {
        return Err(ShadowUseError::Conflict(format!(
            "the {} version's artefact cannot be replaced",
            old.role.as_str()
        )));
    }
    check(onnx)?;
    let key = blobs.put_bytes(onnx).map_err(blob_err)?.key;
    let artifact = ModelArtifact {
        model_id: model_id.into(),
        onnx_sha256: key.to_string(),
        spec: spec_text.into(),
        role: ModelRole::Candidate,
        uploaded_by: actor.into(),
        uploaded_at: now,
        role_changed_at: now,
    };
    let audit = AuditDraft {
        actor: actor.into(),
        action: "model.artifact_upload".into(),
        target: model_id.into(),
        details: serde_json::json!({"onnx_sha256": artifact.onnx_sha256}).to_string(),
    };
    store.put_artifact(&artifact, &audit)?;
    Ok(artifact)
}

/// Promote a version: needs a succeeded shadow run of it whose dossier passed, or an admin's
/// override with a written reason. Both paths are audited with what justified them.
pub fn promote(
    store: &dyn Store,
    (actor, is_admin, now): (&str, bool, chrono::DateTime<chrono::Utc>),
    model_id: &str,
    override_reason: Option<&str>,
) -> Result<serde_json::Value, ShadowUseError> {
    if store.artifact(model_id)?.is_none() {
        return Err(ShadowUseError::NotFound(format!(
            "artefact of model version {model_id}"
        )));
    }
    let filter = JobFilter {
        kind: Some("shadow_run".into()),
        state: Some(JobState::Succeeded),
        subject: Some(model_id.into()),
        limit: 1000,
        after: None,
    };
    let passing = store
        .jobs(&filter)?
        .into_iter()
        .find(|j| j.result.as_ref().is_some_and(|r| r["passed"] == true));
    let details = match (passing, override_reason.map(str::trim)) {
        (Some(run), _) => serde_json::json!({"shadow_run": run.id}),
        (None, Some(reason)) if is_admin && !reason.is_empty() => {
            serde_json::json!({"override_reason": reason})
        }
        (None, Some(_)) if !is_admin => {
            return Err(ShadowUseError::Forbidden(
                "only an admin may override".into(),
            ));
        }
        _ => {
            return Err(refused(
                "no_passing_shadow_run",
                "promotion needs a completed shadow run whose verdict passed, or an admin override with a reason",
            ));
        }
    };
    let audit = AuditDraft {
        actor: actor.into(),
        action: "model.promote".into(),
        target: model_id.into(),
        details: details.to_string(),
    };
    store.promote_artifact(model_id, now, &audit)?;
    Ok(details)
}
