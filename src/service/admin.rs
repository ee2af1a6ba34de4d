//! Administration use cases shared by the CLI and the HTTP API: sites and their keys, users
//! and their tokens, model versions; and authentication of a presented credential. Every
//! change is audited with its actor. Secrets are returned once and stored only as hashes.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::Role;
use crate::domain::audit::AuditDraft;
use crate::domain::credential::{self, CredentialKind};
use crate::domain::model::{FeatureSchema, ModelVersion, check_version, model_id};
use crate::domain::site::{Site, check_country, check_identifier};
use crate::domain::user::User;
use crate::storage::{ModelStore, SiteStore, StoreError};

/// Why an admin action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is acting, for the audit trail: `cli:<os user>` or `user:<name>`.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// The audit entry of one action by `actor`; every service that audits builds it here.
pub(crate) fn audit_draft(
    actor: &Actor,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> AuditDraft {
    AuditDraft {
        actor: actor.0.clone(),
        action: action.into(),
        target: target.into(),
        details: details.to_string(),
    }
}

/// Register a site; returns it with its key (shown once).
pub fn add_site(
    store: &dyn SiteStore,
    actor: &Actor,
    id: &str,
    name: &str,
    country: &str,
    now: DateTime<Utc>,
) -> Result<(Site, String), AdminError> {
    check_identifier("site id", id).map_err(AdminError::Invalid)?;
    check_country(country).map_err(AdminError::Invalid)?;
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(AdminError::Invalid(
            "site name must be 1-200 characters".into(),
        ));
    }
    let key = credential::generate(CredentialKind::SiteKey);
    let site = Site {
        id: id.into(),
        name: name.into(),
        country: country.into(),
        disabled: false,
        created_at: now,
        key_rotated_at: now,
    };
    store.insert_site(
        &site,
        &credential::hash(&key),
        &audit_draft(actor, "site.add", id, json!({"country": country})),
    )?;
    Ok((site, key))
}

/// Replace a site's key; the old key stops working at once. Returns the new key (shown once).
pub fn rotate_site_key(
    store: &dyn SiteStore,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let key = credential::generate(CredentialKind::SiteKey);
    store.rotate_site_key(
        id,
        &credential::hash(&key),
        now,
        &audit_draft(actor, "site.rotate_key", id, json!({})),
    )?;
    Ok(key)
}

/// Disable (or re-enable) a site: its key is refused while disabled; its data stays.
pub fn set_site_disabled(
    store: &dyn SiteStore,
    actor: &Actor,
    id: &str,
    disabled: bool,
) -> Result<(), AdminError> {
    let action = if disabled {
        "site.disable"
    } else {
        "site.enable"
    };
    Ok(store.set_site_disabled(id, disabled, &audit_draft(actor, action, id, json!({})))?)
}

/// Register a user; returns it with its token (shown once).
pub fn add_user(
    store: &dyn SiteStore,
    actor: &Actor,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(User, String), AdminError> {
    check_identifier("user name", name).map_err(AdminError::Invalid)?;
    let token = credential::generate(CredentialKind::UserToken);
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.into(),
        role,
        disabled: false,
        created_at: now,
    };
    store.insert_user(
        &user,
        &credential::hash(&token),
        &audit_draft(actor, "user.add", name, json!({"role": role})),
    )?;
    Ok((user, token))
}

/// Disable (or re-enable) a user.
pub fn set_user_disabled(
    store: &dyn SiteStore,
    actor: &Actor,
    name: &str,
    disabled: bool,
) -> Result<(), AdminError> {
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    Ok(store.set_user_disabled(name, disabled, &audit_draft(actor, action, name, json!({})))?)
}

/// Register a model version with its feature schema.
pub fn add_model(
    store: &dyn ModelStore,
    actor: &Actor,
    name: &str,
    version: &str,
    schema: FeatureSchema,
    now: DateTime<Utc>,
) -> Result<ModelVersion, AdminError> {
    check_identifier("model name", name).map_err(AdminError::Invalid)?;
    check_version(version).map_err(AdminError::Invalid)?;
    schema.validate().map_err(AdminError::Invalid)?;
    let model = ModelVersion {
        id: model_id(name, version),
        name: name.into(),
        version: version.into(),
        feature_schema: schema,
        created_at: now,
    };
    let details = json!({"features": model.feature_schema.features.len()});
    store.insert_model(&model, &audit_draft(actor, "model.add", &model.id, details))?;
    Ok(model)
}

/// Who a valid credential belongs to.
#[derive(Debug, Clone)]
pub enum Principal {
    Site(Site),
    User(User),
}

/// Resolve a presented Bearer token; disabled principals and unknown tokens give `None`.
pub fn authenticate(store: &dyn SiteStore, token: &str) -> Result<Option<Principal>, StoreError> {
    let hash = credential::hash(token);
    Ok(match CredentialKind::of_token(token) {
        Some(CredentialKind::SiteKey) => store
            .site_by_key_hash(&hash)?
            .filter(|s| !s.disabled)
            .map(Principal::Site),
        Some(CredentialKind::UserToken) => store
            .user_by_token_hash(&hash)?
            .filter(|u| !u.disabled)
            .map(Principal::User),
        None => None,
    })
}
