//! Baseline use cases: freeze an uploaded validation set (CSV or JSON), or the first events
//! or days after go-live, into the frozen baseline of a model version. Each freeze is a new
//! version (audited with the hash of what was stored); the newest is in force.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::admin::Actor;
use super::evaluation::{EvaluationError, request_evaluation};
use crate::domain::audit::AuditDraft;
use crate::domain::model::ModelVersion;
use crate::monitoring::baseline::{Baseline, FreezeError, from_history, from_upload};
use crate::monitoring::baseline_table::Table;
use crate::monitoring::columns::BUILTIN_NUMERIC;
use crate::monitoring::plan::{PmsPlan, Stratum, Windows};
use crate::storage::{ModelStore, Store, StoreError, StoredBaseline};

/// Largest number of events a freeze reads.
pub const MAX_FREEZE_EVENTS: i64 = 1_000_000;

/// Why a baseline could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("model version {0} is not registered")]
    UnknownModel(String),
    #[error(transparent)]
    Invalid(#[from] FreezeError),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The format of an uploaded reference sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadFormat {
    Csv,
    Json,
}

/// What to freeze after go-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FreezeSpec {
    /// The first N whole UTC days with events.
    FirstDays(u32),
    /// The first N events.
    FirstEvents(u32),
}

fn model(store: &dyn ModelStore, name: &str, version: &str) -> Result<ModelVersion, BaselineError> {
    store
        .find_model(name, version)?
        .ok_or_else(|| BaselineError::UnknownModel(format!("{name}@{version}")))
}

/// The numeric columns a reference sample of `model` may hold.
fn numeric_columns(model: &ModelVersion) -> Vec<String> {
    let mut names: Vec<String> = model
        .feature_schema
        .features
        .iter()
        .map(|f| f.name.clone())
        .collect();
    names.extend(BUILTIN_NUMERIC.iter().map(|s| s.to_string()));
    names
}

fn store_baseline(
    store: &dyn Store,
    actor: &Actor,
    model: &ModelVersion,
    source: String,
    baseline: &Baseline,
    now: DateTime<Utc>,
) -> Result<StoredBaseline, BaselineError> {
    let body = serde_json::to_string(baseline).map_err(|e| StoreError::Other(e.to_string()))?;
    let sha = hex::encode(Sha256::digest(body.as_bytes()));
    let stored = StoredBaseline {
        id: uuid::Uuid::new_v4().to_string(),
        model_id: model.id.clone(),
        source: source.clone(),
        rows: baseline.pooled.rows as i64,
        body,
        body_sha256: sha.clone(),
        created_at: now,
        created_by: actor.0.clone(),
    };
    let audit = AuditDraft {
        actor: actor.0.clone(),
        action: "baseline.freeze".into(),
        target: model.id.clone(),
        details: json!({"id": stored.id, "source": source, "rows": stored.rows, "sha256": sha})
            .to_string(),
    };
    store.insert_baseline(&stored, &audit)?;
    queue_evaluation_after_freeze(store, actor, &model.name, now)?;
    Ok(stored)
}

/// A daily evaluation that ran before this baseline had nothing to compare with and left its
/// days unevaluated; queue one now so they are evaluated against the new baseline at once,
/// not at the next day's schedule. A model without a plan has nothing to evaluate yet.
fn queue_evaluation_after_freeze(
    store: &dyn Store,
    actor: &Actor,
    model: &str,
    now: DateTime<Utc>,
) -> Result<(), BaselineError> {
    if store.plans(model)?.is_empty() {
        return Ok(());
    }
    match request_evaluation(store, actor, model, None, "baseline", now) {
        Ok(_) => Ok(()),
        Err(EvaluationError::Store(e)) => Err(e.into()),
        Err(e) => Err(BaselineError::BadRequest(e.to_string())),
    }
}

/// Freeze an uploaded reference sample as the baseline of `name@version`.
pub fn upload_baseline(
    store: &dyn Store,
    actor: &Actor,
    (name, version): (&str, &str),
    text: &str,
    format: UploadFormat,
    now: DateTime<Utc>,
) -> Result<StoredBaseline, BaselineError> {
    let model = model(store, name, version)?;
    let numeric = numeric_columns(&model);
    let table = match format {
        UploadFormat::Csv => Table::from_csv(text, &numeric),
        UploadFormat::Json => Table::from_json(text, &numeric),
    }
    .map_err(FreezeError::from)?;
    let baseline = from_upload(table)?;
    let source = match format {
        UploadFormat::Csv => "upload:csv",
        UploadFormat::Json => "upload:json",
    };
    store_baseline(store, actor, &model, source.into(), &baseline, now)
}

/// The plan's windows of a model, or the defaults when it has no plan yet.
fn plan_windows(store: &dyn ModelStore, name: &str) -> Windows {
    store
        .plans(name)
        .ok()
        .and_then(|p| {
            p.last()
                .and_then(|p| toml::from_str::<PmsPlan>(&p.body).ok())
        })
        .map(|p| p.windows)
        .unwrap_or_default()
}

/// Freeze the first days or events of `name@version` after go-live; monitoring starts the
/// day after the freeze period.
pub fn freeze_baseline(
    store: &dyn Store,
    actor: &Actor,
    (name, version): (&str, &str),
    spec: FreezeSpec,
    now: DateTime<Utc>,
) -> Result<StoredBaseline, BaselineError> {
    let model = model(store, name, version)?;
    let windows = plan_windows(store, name);
    let (cases, source) = match spec {
        FreezeSpec::FirstDays(n) if n > 0 => {
            let Some(first) = store.first_event_day(&model.id)? else {
                return Err(FreezeError::TooLittle("no events yet".into()).into());
            };
            let end = first + Duration::days(i64::from(n));
            if end > now.date_naive() {
                return Err(BaselineError::BadRequest(format!(
                    "the first {n} days end on {end}, which has not passed yet"
                )));
            }
            let cases = store.monitor_cases(&model.id, first, end)?;
            (cases, format!("freeze:first_days={n}"))
        }
        FreezeSpec::FirstEvents(n) if n > 0 => {
            let limit = i64::from(n).min(MAX_FREEZE_EVENTS);
            (
                store.first_cases(&model.id, limit)?,
                format!("freeze:first_events={n}"),
            )
        }
        _ => return Err(BaselineError::BadRequest("N must be positive".into())),
    };
    let (Some(first), Some(last)) = (cases.first(), cases.last()) else {
        return Err(FreezeError::TooLittle("no events yet".into()).into());
    };
    let monitor_from: NaiveDate = last.day + Duration::days(1);
    let reviews = store.monitor_reviews(&model.id, first.day, monitor_from)?;
    let dims: Vec<Stratum> = windows.strata.clone();
    let baseline = from_history(
        &cases,
        &reviews,
        &dims,
        windows.min_samples as usize,
        monitor_from,
    )?;
    store_baseline(store, actor, &model, source, &baseline, now)
}

/// The baseline in force for a model version, parsed.
pub fn baseline_in_force(
    store: &dyn Store,
    model_id: &str,
) -> Result<Option<(StoredBaseline, Baseline)>, StoreError> {
    let Some(stored) = store.latest_baseline(model_id)? else {
        return Ok(None);
    };
    let parsed: Baseline = serde_json::from_str(&stored.body)
        .map_err(|e| StoreError::Other(format!("stored baseline {}: {e}", stored.id)))?;
    Ok(Some((stored, parsed)))
}
