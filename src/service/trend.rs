//! Art. 88 trend evaluation of a model for a day: read the plan's `[trend]` section, sum the
//! observation period's daily rollups over every version of the model (never raw events),
//! evaluate each event class (`monitoring::trend_eval`), and for a significant increase open
//! (or refresh) the class's alert `trend:<class>` and draft the trend report once per period
//! end: its JSON, PDF (the MDR report pipeline) and EUDAMED `mtrType` XML go to the blob
//! store, the record and its audit entry to the database (`trend_report.rs`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::alerts::{SignalReport, apply_signal};
use super::trend_report::{ReportFacts, draft_report};
use crate::alerting::rules::Signal;
use crate::blobs::BlobStore;
use crate::monitoring::plan::{PmsPlan, Severity};
use crate::monitoring::trend::TrendPlan;
use crate::monitoring::trend_eval::{TrendData, TrendSignal, evaluate_trend};
use crate::storage::rollups::{RollupFilter, RollupGrouping};
use crate::storage::{Store, StoreError, TrendReportRecord};

/// Why a trend evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum TrendServiceError {
    #[error("model {0:?} is not registered")]
    UnknownModel(String),
    #[error("model {0:?} has no PMS plan with a [trend] section")]
    NoTrendSection(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob store: {0}")]
    Blob(String),
}

/// What one evaluation found and drafted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendRun {
    pub model: String,
    pub as_of: NaiveDate,
    pub plan_version: i64,
    pub signals: Vec<TrendSignal>,
    /// Reports drafted by this run (a period end already drafted is not drafted again).
    pub reports: Vec<TrendReportRecord>,
    /// Alerts opened or refreshed, by class.
    pub alerts: BTreeMap<String, String>,
}

/// The plan in force (version, plan) and its trend section.
pub(crate) fn trend_plan(
    store: &dyn Store,
    model: &str,
) -> Result<(i64, PmsPlan, TrendPlan), TrendServiceError> {
    let stored = store
        .plans(model)?
        .into_iter()
        .last()
        .ok_or_else(|| TrendServiceError::NoTrendSection(model.into()))?;
    // Validated when it was uploaded; parsed again without the feature check.
    let plan: PmsPlan = toml::from_str(&stored.body)
        .map_err(|e| TrendServiceError::Invalid(format!("stored plan: {}", e.message())))?;
    let trend = plan
        .trend
        .clone()
        .ok_or_else(|| TrendServiceError::NoTrendSection(model.into()))?;
    Ok((stored.version, plan, trend))
}

/// Daily totals of the period from the rollups, summed over the versions and sites.
pub(crate) fn trend_data(
    store: &dyn Store,
    model_ids: &[String],
    trend: &TrendPlan,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<TrendData, StoreError> {
    let mut measures: BTreeSet<String> = [trend.denominator.measure().to_string()].into();
    measures.extend(trend.classes.iter().map(|c| c.rollup().0.to_string()));
    let filter = RollupFilter {
        model_ids: model_ids.to_vec(),
        from: Some(from),
        to: Some(to),
        measures: measures.into_iter().collect(),
        ..RollupFilter::default()
    };
    let by_day = RollupGrouping {
        by_day: true,
        ..RollupGrouping::default()
    };
    let rows = store.rollups(&filter, by_day)?;
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let index = |d: Option<NaiveDate>| d.and_then(|d| days.iter().position(|x| *x == d));
    let mut exposure = vec![0_u64; days.len()];
    let mut counts: BTreeMap<String, Vec<u64>> = trend
        .classes
        .iter()
        .map(|c| (c.name.clone(), vec![0; days.len()]))
        .collect();
    for r in &rows {
        let Some(i) = index(r.day) else { continue };
        let n = u64::try_from(r.n).unwrap_or(0);
        if r.measure == trend.denominator.measure() {
            exposure[i] += n;
        }
        let key = (r.measure.as_str(), r.value.as_str());
        for c in trend.classes.iter().filter(|c| c.rollup() == key) {
            if let Some(v) = counts.get_mut(&c.name) {
                v[i] += n;
            }
        }
    }
    Ok(TrendData {
        days,
        exposure,
        counts,
    })
}

/// Countries of the sites that sent events for the model in the period.
pub(crate) fn countries(
    store: &dyn Store,
    model_ids: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<String>, StoreError> {
    let filter = RollupFilter {
        model_ids: model_ids.to_vec(),
        from: Some(from),
        to: Some(to),
        measures: vec!["events".into()],
        ..RollupFilter::default()
    };
    let by_site = RollupGrouping {
        by_site: true,
        ..RollupGrouping::default()
    };
    let sites: BTreeSet<String> = store
        .rollups(&filter, by_site)?
        .into_iter()
        .filter_map(|r| r.site_id)
        .collect();
    let all = store.list_sites()?;
    let set: BTreeSet<String> = all
        .into_iter()
        .filter(|s| sites.contains(&s.id))
        .map(|s| s.country)
        .collect();
    Ok(set.into_iter().collect())
}

/// Evaluate the trend section of `model`'s plan for the period ending `as_of` (inclusive).
pub fn evaluate_model_trend(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    model: &str,
    as_of: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TrendRun, TrendServiceError> {
    let mut versions: Vec<_> = store
        .list_models()?
        .into_iter()
        .filter(|m| m.name == model)
        .collect();
    versions.sort_by_key(|m| m.created_at);
    let newest = versions
        .last()
        .map(|m| m.id.clone())
        .ok_or_else(|| TrendServiceError::UnknownModel(model.into()))?;
    let model_ids: Vec<String> = versions.into_iter().map(|m| m.id).collect();
    let (plan_version, plan, trend) = trend_plan(store, model)?;
    let from = as_of - Duration::days(i64::from(trend.observation_days) - 1);
    let data = trend_data(store, &model_ids, &trend, from, as_of)?;
    let signals =
        evaluate_trend(&trend, &data).map_err(|e| TrendServiceError::Invalid(e.to_string()))?;
    let mut run = TrendRun {
        model: model.into(),
        as_of,
        plan_version,
        signals: signals.clone(),
        reports: Vec::new(),
        alerts: BTreeMap::new(),
    };
    for s in signals.iter().filter(|s| s.significant) {
        let report = SignalReport {
            model: newest.clone(),
            rule: format!("trend:{}", s.class),
            stratum: "all".into(),
            title: format!("Art. 88 trend: {} above its expected rate", s.class),
            summary: summary(s),
            evidence: None,
            signal: Signal {
                crossing: true,
                severity: Severity::High,
                at: now,
            },
        };
        let (_, alert) = apply_signal(store, &report, &plan.alerts)?;
        let alert_id = alert.map(|a| a.id);
        if let Some(id) = &alert_id {
            run.alerts.insert(s.class.clone(), id.clone());
        }
        if store
            .trend_report_for(model, &s.class, s.period_to)?
            .is_some()
        {
            continue;
        }
        let facts = ReportFacts {
            model,
            model_ids: &model_ids,
            newest_model_id: &newest,
            plan_version,
            signal: s,
            data: &data,
            countries: countries(store, &model_ids, from, as_of)?,
            alert_id: alert_id.clone(),
        };
        run.reports
            .push(draft_report(store, blobs, &facts, actor, now)?);
    }
    Ok(run)
}

/// One line saying what was observed against what was expected.
pub fn summary(s: &TrendSignal) -> String {
    let stat = match (s.p_value, s.cusum_max) {
        (Some(p), _) => format!("one-sided p = {p:.3e} (alpha {})", s.alpha),
        (None, Some(c)) => format!(
            "CUSUM {c:.2} above h = {}",
            s.decision_interval.unwrap_or_default()
        ),
        _ => String::new(),
    };
    format!(
        "{} events of class {} in {} ({} to {}), {:.2} expected at the declared rate {} ({}); {}, {}",
        s.observed,
        s.class,
        s.denominator,
        s.period_from,
        s.period_to,
        s.expected,
        s.expected_rate,
        s.rate_source,
        s.method,
        stat
    )
}

/// The trend evaluation that follows a model's daily evaluation job, for the last whole day
/// before `as_of`: `None` when the plan declares no `[trend]` section; a failure is reported
/// in the summary and does not fail the evaluation.
pub fn trend_after_evaluation(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    model: &str,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Option<serde_json::Value> {
    let day = as_of - Duration::days(1);
    match evaluate_model_trend(store, blobs, model, day, "vigil:evaluator", now) {
        Ok(run) => Some(serde_json::json!({
            "as_of": day,
            "significant": run.signals.iter().filter(|s| s.significant).map(|s| &s.class).collect::<Vec<_>>(),
            "reports": run.reports.iter().map(|r| &r.id).collect::<Vec<_>>(),
        })),
        Err(TrendServiceError::NoTrendSection(_)) => None,
        Err(e) => Some(serde_json::json!({"as_of": day, "error": e.to_string()})),
    }
}
