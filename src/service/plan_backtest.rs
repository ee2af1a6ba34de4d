//! Backtest a proposed plan: validate it exactly as an upload, run it day by day over stored
//! history of every version of the model with its baseline in force (`monitoring::backtest`,
//! all in memory), and compare what it would have raised with the alerts the plan in force
//! raised over the same days. It writes no finding, alert, chart cursor or outbox message:
//! only its own record and audit entry (actor, plan hash, range), so the plan history shows
//! that a plan was tried before it was adopted.
//!
//! Baselines: the backtest never freezes one. Each version is judged against its baseline in
//! force; days before the baseline's monitoring start are not evaluated; plan features the
//! baseline has no reference for are listed in `not_in_baseline` and not evaluated (the
//! evaluator would skip them too); strata the baseline has no reference for use its pooled
//! reference, as in the evaluator. A version without a baseline is reported `no_baseline`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::admin::Actor;
use super::baselines::baseline_in_force;
use super::plans::{PlanServiceError, plan_sha256, validate_plan};
use crate::domain::FieldIssue;
use crate::domain::audit::AuditDraft;
use crate::monitoring::backtest::{Backtest, FindingSummary, WouldAlert};
use crate::monitoring::findings::FindingStatus;
use crate::monitoring::plan::{PmsPlan, Severity};
use crate::storage::{AlertFilter, PlanBacktestRecord, Store, StoreError};

/// Longest range a backtest runs synchronously, in days (a year, leap years included).
pub const MAX_DAYS: i64 = 366;

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error(transparent)]
    Plan(#[from] PlanServiceError),
    /// The range is malformed (`from` after `to`, or not in the past); names the field.
    #[error("{}", .0.message)]
    InvalidRange(FieldIssue),
    /// More than [`MAX_DAYS`] days; names `to`.
    #[error("{}", .0.message)]
    RangeTooLong(FieldIssue),
    #[error("plan or baseline unusable: {0}")]
    Design(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn issue(path: &str, code: &str, message: String) -> FieldIssue {
    FieldIssue {
        index: None,
        path: path.into(),
        code: code.into(),
        message,
    }
}

/// Check a range `[from, to]` (inclusive) against today: past days only, at most [`MAX_DAYS`].
pub fn check_range(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<(), BacktestError> {
    if to >= today {
        let m = format!(
            "to {to} is not a past day: a backtest runs over stored, complete days (before {today})"
        );
        return Err(BacktestError::InvalidRange(issue("to", "invalid_range", m)));
    }
    if from > to {
        let m = format!("from {from} lies after to {to}");
        return Err(BacktestError::InvalidRange(issue(
            "from",
            "invalid_range",
            m,
        )));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_DAYS {
        let m = format!(
            "the range holds {days} days; a backtest covers at most {MAX_DAYS}: move to to {} or earlier",
            from + Duration::days(MAX_DAYS - 1)
        );
        return Err(BacktestError::RangeTooLong(issue(
            "to",
            "range_too_long",
            m,
        )));
    }
    Ok(())
}

/// One model version's part of the backtest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionBacktest {
    pub model_id: String,
    /// `evaluated`, `no_baseline` or `no_data` (no day of the range after the baseline's
    /// monitoring start).
    pub status: String,
    pub baseline_id: Option<String>,
    /// Days evaluated.
    pub days: u32,
    /// Plan features the baseline holds no reference for (not evaluated).
    pub not_in_baseline: Vec<String>,
    pub findings: Vec<FindingSummary>,
}

/// An alert the plan in force raised over the range (from the alert table).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InForceAlert {
    pub id: String,
    pub model_id: String,
    pub rule: String,
    pub stratum: String,
    /// The data day whose evaluation opened it (the day before it was opened).
    pub first_day: NaiveDate,
    #[schema(value_type = String)]
    pub severity: Severity,
    pub state: String,
}

/// Alerts per stream, proposed plan against plan in force.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StreamComparison {
    pub model_id: String,
    pub rule: String,
    pub stratum: String,
    pub backtest: usize,
    pub in_force: usize,
}

/// Counts over the whole backtest.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BacktestCounts {
    pub days: u32,
    pub findings: usize,
    pub signals: usize,
    pub would_alerts: usize,
    pub in_force_alerts: usize,
    /// Streams where both raised at least one alert.
    pub streams_both: usize,
    pub streams_only_backtest: usize,
    pub streams_only_in_force: usize,
}

/// The answer of a backtest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BacktestReport {
    pub id: String,
    pub model: String,
    pub plan_sha256: String,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub counts: BacktestCounts,
    pub would_alerts: Vec<WouldAlert>,
    pub in_force_alerts: Vec<InForceAlert>,
    pub comparison: Vec<StreamComparison>,
    pub versions: Vec<VersionBacktest>,
}

/// Run the backtest of plan `text` for `model` over `[from, to]` and record that it ran.
pub fn backtest_plan(
    store: &dyn Store,
    actor: &Actor,
    (model, text): (&str, &str),
    (from, to): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> Result<BacktestReport, BacktestError> {
    let plan = validate_plan(store, model, text)?;
    check_range(from, to, now.date_naive())?;
    let mut versions = Vec::new();
    let mut in_force = Vec::new();
    let mut ids: Vec<String> = store
        .list_models()?
        .into_iter()
        .filter(|m| m.name == model)
        .map(|m| m.id)
        .collect();
    ids.sort();
    for id in &ids {
        versions.push(run_version(store, &plan, id, (from, to))?);
        in_force.extend(in_force_alerts(store, id, (from, to))?);
    }
    let would: Vec<WouldAlert> = versions
        .iter_mut()
        .flat_map(|v| std::mem::take(&mut v.1))
        .collect();
    let versions: Vec<VersionBacktest> = versions.into_iter().map(|v| v.0).collect();
    let comparison = compare(&would, &in_force);
    let counts = BacktestCounts {
        days: versions.iter().map(|v| v.days).max().unwrap_or(0),
        findings: versions.iter().map(|v| v.findings.len()).sum(),
        signals: versions
            .iter()
            .flat_map(|v| &v.findings)
            .filter(|f| f.status == FindingStatus::Signal)
            .count(),
        would_alerts: would.len(),
        in_force_alerts: in_force.len(),
        streams_both: comparison
            .iter()
            .filter(|c| c.backtest > 0 && c.in_force > 0)
            .count(),
        streams_only_backtest: comparison.iter().filter(|c| c.in_force == 0).count(),
        streams_only_in_force: comparison.iter().filter(|c| c.backtest == 0).count(),
    };
    let report = BacktestReport {
        id: uuid::Uuid::new_v4().to_string(),
        model: model.into(),
        plan_sha256: plan_sha256(text),
        from,
        to,
        counts,
        would_alerts: would,
        in_force_alerts: in_force,
        comparison,
        versions,
    };
    record(store, actor, &report, now)?;
    Ok(report)
}

fn record(
    store: &dyn Store,
    actor: &Actor,
    r: &BacktestReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rec = PlanBacktestRecord {
        id: r.id.clone(),
        model: r.model.clone(),
        plan_sha256: r.plan_sha256.clone(),
        from_day: r.from,
        to_day: r.to,
        would_alerts: r.counts.would_alerts as i64,
        in_force_alerts: r.counts.in_force_alerts as i64,
        created_at: now,
        created_by: actor.0.clone(),
    };
    let audit = AuditDraft {
        actor: actor.0.clone(),
        action: "plan.backtest".into(),
        target: r.model.clone(),
        details: json!({
            "backtest_id": r.id, "sha256": r.plan_sha256, "from": r.from, "to": r.to,
            "would_alerts": r.counts.would_alerts, "in_force_alerts": r.counts.in_force_alerts,
        })
        .to_string(),
    };
    store.insert_plan_backtest(&rec, &audit)
}

fn run_version(
    store: &dyn Store,
    plan: &PmsPlan,
    model_id: &str,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<(VersionBacktest, Vec<WouldAlert>), BacktestError> {
    let mut out = VersionBacktest {
        model_id: model_id.into(),
        status: "no_baseline".into(),
        baseline_id: None,
        days: 0,
        not_in_baseline: Vec::new(),
        findings: Vec::new(),
    };
    let Some((stored, baseline)) = baseline_in_force(store, model_id)? else {
        return Ok((out, Vec::new()));
    };
    out.baseline_id = Some(stored.id.clone());
    let columns = baseline.column_names();
    out.not_in_baseline = plan
        .features
        .iter()
        .filter(|f| !columns.contains(&f.name.as_str()))
        .map(|f| f.name.clone())
        .collect();
    let floor = baseline.monitor_from.unwrap_or(NaiveDate::MIN);
    let start = from.max(floor);
    if start > to {
        out.status = "no_data".into();
        return Ok((out, Vec::new()));
    }
    let mut bt = Backtest::new(plan, &baseline, model_id).map_err(BacktestError::Design)?;
    let preload_from = (start - Duration::days(i64::from(plan.windows.rolling_days))).max(floor);
    if preload_from < start {
        let mut days: BTreeMap<NaiveDate, (Vec<_>, Vec<_>)> = BTreeMap::new();
        let mut d = preload_from;
        while d < start {
            days.insert(d, (Vec::new(), Vec::new()));
            d += Duration::days(1);
        }
        for c in store.monitor_cases(model_id, preload_from, start)? {
            days.entry(c.day).or_default().0.push(c);
        }
        for r in store.monitor_reviews(model_id, preload_from, start)? {
            days.entry(r.day).or_default().1.push(r);
        }
        for (d, (c, r)) in days {
            bt.preload(d, c, r);
        }
    }
    let mut day = start;
    while day <= to {
        let next = day + Duration::days(1);
        let cases = store.monitor_cases(model_id, day, next)?;
        let reviews = store.monitor_reviews(model_id, day, next)?;
        bt.day(day, cases, reviews);
        day = next;
    }
    let (findings, alerts, days) = bt.finish();
    (out.status, out.days, out.findings) = ("evaluated".into(), days, findings);
    Ok((out, alerts))
}

/// Alerts of a version opened by the evaluations of the range's days.
fn in_force_alerts(
    store: &dyn Store,
    model_id: &str,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<InForceAlert>, StoreError> {
    let filter = AlertFilter {
        state: None,
        model: Some(model_id.to_string()),
        limit: 100_000,
        after: None,
    };
    let mut out: Vec<InForceAlert> = store
        .alerts(&filter)?
        .into_iter()
        .filter(|a| a.model == model_id)
        .map(|a| InForceAlert {
            first_day: a.opened_at.date_naive() - Duration::days(1),
            id: a.id,
            model_id: a.model,
            rule: a.rule,
            stratum: a.stratum,
            severity: a.severity,
            state: a.state.as_str().into(),
        })
        .filter(|a| a.first_day >= from && a.first_day <= to)
        .collect();
    out.sort_by(|a, b| (a.first_day, &a.rule, &a.stratum).cmp(&(b.first_day, &b.rule, &b.stratum)));
    Ok(out)
}

fn compare(would: &[WouldAlert], in_force: &[InForceAlert]) -> Vec<StreamComparison> {
    let mut by: BTreeMap<(String, String, String), (usize, usize)> = BTreeMap::new();
    for a in would {
        by.entry((a.model_id.clone(), a.rule.clone(), a.stratum.clone()))
            .or_default()
            .0 += 1;
    }
    for a in in_force {
        by.entry((a.model_id.clone(), a.rule.clone(), a.stratum.clone()))
            .or_default()
            .1 += 1;
    }
    by.into_iter()
        .map(
            |((model_id, rule, stratum), (backtest, in_force))| StreamComparison {
                model_id,
                rule,
                stratum,
                backtest,
                in_force,
            },
        )
        .collect()
}

/// A backtest record with the plan version that later adopted the same text, if any.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BacktestHistoryEntry {
    #[serde(flatten)]
    pub backtest: PlanBacktestRecord,
    /// The first plan version with the same SHA-256 stored at or after the backtest: the plan
    /// was tried before it was adopted. `None`: not adopted (yet).
    pub adopted_as_version: Option<i64>,
}

/// Every backtest of `model`, oldest first, each with the version that adopted its plan.
pub fn backtest_history(
    store: &dyn Store,
    model: &str,
) -> Result<Vec<BacktestHistoryEntry>, StoreError> {
    let plans = store.plans(model)?;
    Ok(store
        .plan_backtests(model)?
        .into_iter()
        .map(|b| {
            let adopted_as_version = plans
                .iter()
                .find(|p| p.body_sha256 == b.plan_sha256 && p.created_at >= b.created_at)
                .map(|p| p.version);
            BacktestHistoryEntry {
                backtest: b,
                adopted_as_version,
            }
        })
        .collect())
}
