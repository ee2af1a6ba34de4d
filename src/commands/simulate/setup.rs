//! Preparing the target through its API with the user token of the role each step needs: the demo model version, the
//! simulated sites and their keys, the PMS plan and the frozen baseline. Each step is safe to
//! repeat: an existing model is kept, an existing site gets a new key, an identical plan is not
//! uploaded again, a baseline already in force is kept (never replaced by the simulator).

use reqwest::StatusCode;
use serde_json::json;

use super::SimError;
use super::api::Api;
use crate::simulator::demo::{self, MODEL_NAME, MODEL_VERSION};
use crate::simulator::{SiteProfile, reference_csv};

/// What the set-up found and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetupReport {
    /// The model version was registered by this run (false: it was there).
    pub model_registered: bool,
    pub sites_created: usize,
    /// Sites that existed and got a new key.
    pub sites_rotated: usize,
    /// The plan version in force, and whether this run uploaded it.
    pub plan_version: i64,
    pub plan_uploaded: bool,
    pub baseline: BaselineStep,
}

/// What happened to the frozen baseline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BaselineStep {
    #[default]
    Skipped,
    Uploaded,
    AlreadyFrozen,
}

/// Refuse, unless `allow`, to change a model the target already has: adding the simulator's
/// version to a model of the same name, or replacing its plan in force with another text.
/// A rerun against the simulator's own model and plan changes nothing, so it passes.
pub async fn refuse_existing_model(
    api: &Api,
    token: &str,
    plan: &str,
    allow: bool,
) -> Result<(), SimError> {
    if allow {
        return Ok(());
    }
    let url = api.url("/api/v1/models");
    let answer = api
        .send("list the models", |c| c.get(&url).bearer_auth(token))
        .await?;
    if answer.status != StatusCode::OK {
        return Err(answer.refused("GET /api/v1/models"));
    }
    let versions: Vec<String> = answer
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["name"] == MODEL_NAME)
        .filter_map(|m| m["version"].as_str().map(str::to_string))
        .collect();
    let refuse = |what: String| {
        SimError::Usage(format!(
            "the target {} already has model {MODEL_NAME}: {what}. Point --target at a test              server, or pass --allow-existing-model to change it",
            api.base()
        ))
    };
    if !versions.is_empty() && !versions.iter().any(|v| v == MODEL_VERSION) {
        return Err(refuse(format!(
            "versions {}; simulate would add version {MODEL_VERSION} and its own plan",
            versions.join(", ")
        )));
    }
    let url = api.url(&format!("/api/v1/models/{MODEL_NAME}/plan"));
    let current = api
        .send("read the plan", |c| c.get(&url).bearer_auth(token))
        .await?;
    let body = current.json();
    if current.status == StatusCode::OK && body["plan"]["body"].as_str() != Some(plan) {
        return Err(refuse(format!(
            "its plan in force (version {}) differs from the simulator's, which would replace it",
            body["plan"]["version"].as_i64().unwrap_or(0)
        )));
    }
    Ok(())
}

/// Register the demo model version; `Ok(false)` if it already exists.
pub async fn register_model(api: &Api, token: &str) -> Result<bool, SimError> {
    let body =
        json!({"name": MODEL_NAME, "version": MODEL_VERSION, "feature_schema": demo::schema()});
    let url = api.url("/api/v1/models");
    let answer = api
        .send("register the model", |c| {
            c.post(&url).bearer_auth(token).json(&body)
        })
        .await?;
    match answer.status {
        StatusCode::CREATED => Ok(true),
        StatusCode::CONFLICT => Ok(false),
        _ => Err(answer.refused("POST /api/v1/models")),
    }
}

/// Create the site, or rotate its key if it exists; returns the key and whether it was created.
pub async fn site_key(
    api: &Api,
    token: &str,
    site: &SiteProfile,
) -> Result<(String, bool), SimError> {
    let body = json!({"id": site.id, "name": site.name, "country": site.country});
    let url = api.url("/api/v1/sites");
    let answer = api
        .send("create a site", |c| {
            c.post(&url).bearer_auth(token).json(&body)
        })
        .await?;
    let created = match answer.status {
        StatusCode::CREATED => true,
        StatusCode::CONFLICT => false,
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
            return Err(SimError::Unsupported(
                "the target has no POST /api/v1/sites (a Vigil older than the simulator?)".into(),
            ));
        }
        _ => return Err(answer.refused("POST /api/v1/sites")),
    };
    if created {
        return key_of(&answer.json(), "POST /api/v1/sites").map(|k| (k, true));
    }
    let url = api.url(&format!("/api/v1/sites/{}/key", site.id));
    let answer = api
        .send("rotate a site key", |c| c.post(&url).bearer_auth(token))
        .await?;
    if answer.status != StatusCode::OK {
        return Err(answer.refused("POST /api/v1/sites/{id}/key"));
    }
    key_of(&answer.json(), "POST /api/v1/sites/{id}/key").map(|k| (k, false))
}

fn key_of(body: &serde_json::Value, what: &str) -> Result<String, SimError> {
    body["api_key"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| SimError::Transport(format!("{what}: answer has no api_key")))
}

/// Upload `plan` unless the plan in force has exactly this text; returns (version, uploaded).
pub async fn upload_plan(api: &Api, token: &str, plan: &str) -> Result<(i64, bool), SimError> {
    let url = api.url(&format!("/api/v1/models/{MODEL_NAME}/plan"));
    let current = api
        .send("read the plan", |c| c.get(&url).bearer_auth(token))
        .await?;
    if current.status == StatusCode::OK {
        let body = current.json();
        if body["plan"]["body"].as_str() == Some(plan) {
            return Ok((body["plan"]["version"].as_i64().unwrap_or(0), false));
        }
    }
    let text = plan.to_string();
    let answer = api
        .send("upload the plan", |c| {
            c.put(&url)
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "application/toml")
                .body(text.clone())
        })
        .await?;
    if answer.status != StatusCode::CREATED {
        return Err(answer.refused("PUT /api/v1/models/liver-seg/plan"));
    }
    Ok((answer.json()["plan"]["version"].as_i64().unwrap_or(0), true))
}

/// Upload the reference sample (`cases` rows drawn with `seed`) as the frozen baseline,
/// unless the model version already has one.
pub async fn upload_baseline(
    api: &Api,
    token: &str,
    cases: usize,
    seed: u64,
) -> Result<BaselineStep, SimError> {
    let path = format!("/api/v1/models/{MODEL_NAME}/versions/{MODEL_VERSION}/baseline");
    let url = api.url(&path);
    let current = api
        .send("read the baseline", |c| c.get(&url).bearer_auth(token))
        .await?;
    if current.status == StatusCode::OK {
        // A frozen baseline stays: later windows are compared with it, so it is not replaced.
        return Ok(BaselineStep::AlreadyFrozen);
    }
    let csv = reference_csv(cases, seed);
    let answer = api
        .send("upload the baseline", |c| {
            c.put(&url)
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "text/csv")
                .body(csv.clone())
        })
        .await?;
    match answer.status {
        s if s.is_success() => Ok(BaselineStep::Uploaded),
        StatusCode::CONFLICT => Ok(BaselineStep::AlreadyFrozen),
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
            Err(SimError::Unsupported(format!(
                "the target cannot take a frozen baseline: PUT {path} answered HTTP {} ({}); \
                 run with --no-baseline, or upgrade the server",
                answer.status.as_u16(),
                answer.json()["message"].as_str().unwrap_or("no such route")
            )))
        }
        _ => Err(answer.refused(&format!("PUT {path}"))),
    }
}
