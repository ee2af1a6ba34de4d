//! Retraining requests: resolve the ML team's criteria into a manifest of reviewed cases,
//! store it (hashed, audited) as provenance, sign it for the training-pipeline webhook, and
//! record the pipeline's status callbacks.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::admin::Actor;
use crate::domain::audit::AuditDraft;
use crate::monitoring::retraining::{RetrainingCriteria, select_cases};
use crate::storage::{CaseQuery, RetrainingRecord, Store, StoreError};

/// Statuses a pipeline may report back.
pub const CALLBACK_STATUSES: [&str; 4] = ["accepted", "training", "completed", "failed"];

#[derive(Debug, thiserror::Error)]
pub enum RetrainingError {
    #[error("{0}")]
    Invalid(String),
    #[error("model {0:?} is not registered")]
    UnknownModel(String),
    #[error("retraining request not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Resolve the criteria into a manifest and store the request.
pub fn create_request(
    store: &dyn Store,
    actor: &Actor,
    criteria: RetrainingCriteria,
    now: DateTime<Utc>,
) -> Result<RetrainingRecord, RetrainingError> {
    criteria.validate().map_err(RetrainingError::Invalid)?;
    let model_ids: Vec<String> = store
        .list_models()?
        .into_iter()
        .filter(|m| m.name == criteria.model)
        .map(|m| m.id)
        .collect();
    if model_ids.is_empty() {
        return Err(RetrainingError::UnknownModel(criteria.model.clone()));
    }
    let query = CaseQuery {
        model_ids,
        from: criteria.from,
        to: criteria.to,
        sites: criteria.sites.clone(),
    };
    let cases = select_cases(store.reviewed_cases(&query)?, &criteria);
    let id = uuid::Uuid::new_v4().to_string();
    let manifest = json!({
        "request_id": id, "model": criteria.model, "generated_at": now,
        "criteria": criteria, "case_count": cases.len(), "cases": cases,
    });
    let manifest_text = manifest.to_string();
    let record = RetrainingRecord {
        id: id.clone(),
        model: criteria.model.clone(),
        criteria: json!(criteria).to_string(),
        manifest_sha256: hex::encode(Sha256::digest(manifest_text.as_bytes())),
        manifest: manifest_text,
        case_count: cases.len() as i64,
        status: "created".into(),
        status_detail: None,
        created_at: now,
        created_by: actor.0.clone(),
        updated_at: now,
    };
    let audit = AuditDraft {
        actor: actor.0.clone(),
        action: "retraining.request".into(),
        target: id,
        details: json!({"cases": cases.len(), "sha256": record.manifest_sha256}).to_string(),
    };
    store.insert_retraining(&record, &audit)?;
    Ok(record)
}

/// `sha256=<hex HMAC-SHA256 of body>` for the `X-Vigil-Signature` header.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Record a status: the webhook delivery outcome, or a pipeline callback.
pub fn set_status(
    store: &dyn Store,
    actor: &Actor,
    id: &str,
    status: &str,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), RetrainingError> {
    let audit = AuditDraft {
        actor: actor.0.clone(),
        action: format!("retraining.{status}"),
        target: id.into(),
        details: json!({"detail": detail}).to_string(),
    };
    store
        .set_retraining_status(id, status, detail, now, &audit)
        .map_err(|e| match e {
            StoreError::NotFound(_) => RetrainingError::NotFound,
            other => other.into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
