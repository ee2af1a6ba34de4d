//! PMS plan use cases: upload a new version (validated against the model's declared features,
//! audited with the hash of the exact text), read the version in force or any earlier one.

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::admin::Actor;
use crate::domain::audit::AuditDraft;
use crate::monitoring::plan::{PlanError, PmsPlan};
use crate::storage::{ModelStore, NewPlan, Store, StoreError, StoredPlan};

/// Why a plan could not be stored or found.
#[derive(Debug, thiserror::Error)]
pub enum PlanServiceError {
    #[error("model {0:?} is not registered")]
    UnknownModel(String),
    #[error("the plan names model {found:?} but was uploaded for {expected:?}")]
    WrongModel { expected: String, found: String },
    #[error(transparent)]
    Invalid(#[from] PlanError),
    #[error("no plan version {0}")]
    NoSuchVersion(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Column names a plan of `model` may monitor: the features declared by any registered
/// version, plus the columns every event carries (acquisition, latency, the scanner).
pub(crate) fn declared_features(
    store: &dyn ModelStore,
    model: &str,
) -> Result<Vec<String>, PlanServiceError> {
    let versions: Vec<_> = store
        .list_models()?
        .into_iter()
        .filter(|m| m.name == model)
        .collect();
    if versions.is_empty() {
        return Err(PlanServiceError::UnknownModel(model.to_string()));
    }
    let names: Vec<String> = versions
        .iter()
        .flat_map(|m| m.feature_schema.features.iter().map(|f| f.name.clone()))
        .collect();
    Ok(crate::monitoring::columns::monitorable(&names))
}

/// Dice labels the baselines in force of `model`'s versions hold (pooled or per stratum).
fn known_labels(store: &dyn Store, model: &str) -> Result<Vec<String>, StoreError> {
    let mut labels = std::collections::BTreeSet::new();
    for version in store.list_models()?.into_iter().filter(|m| m.name == model) {
        if let Some((_, b)) = super::baselines::baseline_in_force(store, &version.id)? {
            let strata = std::iter::once(&b.pooled).chain(b.by_stratum.values());
            labels.extend(strata.flat_map(|r| r.quality.keys().cloned()));
        }
    }
    Ok(labels.into_iter().collect())
}

/// Parse and validate a plan text for `model` exactly as an upload is validated: the declared
/// features, the Dice labels of the baselines in force, the model it names.
pub fn validate_plan(
    store: &dyn Store,
    model: &str,
    text: &str,
) -> Result<PmsPlan, PlanServiceError> {
    let declared = declared_features(store, model)?;
    let plan = PmsPlan::parse(text, &declared)?;
    plan.validate_labels(&known_labels(store, model)?)?;
    if plan.model != model {
        return Err(PlanServiceError::WrongModel {
            expected: model.into(),
            found: plan.model,
        });
    }
    Ok(plan)
}

/// The SHA-256 a plan text is recorded with (hex).
pub fn plan_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Validate and append a new plan version; returns the stored version.
pub fn set_plan(
    store: &dyn Store,
    actor: &Actor,
    model: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<StoredPlan, PlanServiceError> {
    validate_plan(store, model, text)?;
    let sha = plan_sha256(text);
    let new = NewPlan {
        model: model.into(),
        body: text.into(),
        body_sha256: sha.clone(),
        created_at: now,
        created_by: actor.0.clone(),
    };
    let audit = AuditDraft {
        actor: actor.0.clone(),
        action: "plan.set".into(),
        target: model.into(),
        details: json!({"sha256": sha}).to_string(),
    };
    let version = store.append_plan(&new, &audit)?;
    latest_or(store, model, Some(version))
}

/// The plan version `version`, or the one in force (the newest) when `None`.
pub fn get_plan(
    store: &dyn Store,
    model: &str,
    version: Option<i64>,
) -> Result<StoredPlan, PlanServiceError> {
    latest_or(store, model, version)
}

fn latest_or(
    store: &dyn Store,
    model: &str,
    version: Option<i64>,
) -> Result<StoredPlan, PlanServiceError> {
    let plans = store.plans(model)?;
    let found = match version {
        Some(v) => plans.into_iter().find(|p| p.version == v),
        None => plans.into_iter().last(),
    };
    found.ok_or_else(|| {
        PlanServiceError::NoSuchVersion(format!(
            "{model} {}",
            version.map_or("(any)".into(), |v| v.to_string())
        ))
    })
}
