//! From the monitor's per-stream signals to alerts and notifications: every crossing stream
//! and every stream with an active alert goes through the alert rules (dedup, cool-down,
//! hysteresis); a new alert, or one whose severity rose, is queued for e-mail to the plan's
//! recipients with a chart of the stream's daily points, its baseline and its limits. Each
//! alert's evidence names the plan version and baseline, and the first day of evidence.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::alerts::{SignalReport, apply_signal};
use super::evaluation::EvaluatorEnv;
use super::notify::enqueue_alert;
use crate::alerting::alert::Alert;
use crate::alerting::alert_chart::{AlertChart, CHART_DAYS};
use crate::alerting::email::Reason;
use crate::alerting::rules::{Decision, Signal};
use crate::alerting::webhook::alert_webhook_message;
use crate::monitoring::evaluator::StreamSignal;
use crate::monitoring::explain::{text, title};
use crate::monitoring::findings::{Finding, FindingStatus, WindowKind};
use crate::monitoring::plan::PmsPlan;
use crate::storage::{AlertFilter, FindingQuery, Store, StoreError};

/// The (rule, stratum) keys of a model version's alerts that still follow their signal.
pub fn active_keys(
    store: &dyn Store,
    model_id: &str,
) -> Result<HashSet<(String, String)>, StoreError> {
    let filter = AlertFilter {
        state: None,
        model: Some(model_id.to_string()),
        limit: 100_000,
        after: None,
    };
    Ok(store
        .alerts(&filter)?
        .into_iter()
        .filter(|a| a.closed_at.is_none())
        .map(|a| (a.rule, a.stratum))
        .collect())
}

/// The alerts of a model version that signals dated `at` already changed: a runner that died
/// while applying that day's signals (before it stored the day) left them so. Their streams
/// are not applied again when the day is evaluated anew; keyed by (rule, stratum).
pub fn applied_at(
    store: &dyn Store,
    model_id: &str,
    at: DateTime<Utc>,
) -> Result<HashMap<(String, String), Alert>, StoreError> {
    let filter = AlertFilter {
        state: None,
        model: Some(model_id.to_string()),
        limit: 100_000,
        after: None,
    };
    Ok(store
        .alerts(&filter)?
        .into_iter()
        .filter(|a| a.closed_at.is_none() || a.closed_at == Some(at))
        // Opened or refreshed (last_signal_at), counted towards clearing (updated_at), or
        // auto-resolved (closed_at) by a signal of that instant; people's moves carry the
        // wall-clock time, not an evaluated day's midnight.
        .filter(|a| a.last_signal_at == at || a.updated_at == at || a.closed_at == Some(at))
        .map(|a| ((a.rule.clone(), a.stratum.clone()), a))
        .collect())
}

/// What the signals of one day did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowReport {
    pub opened: usize,
    pub raised: usize,
    pub resolved: usize,
    pub queued: usize,
}

/// Which plan and baseline a run evaluates against: every alert states them.
#[derive(Debug, Clone, Copy)]
pub struct RunLabels<'a> {
    pub plan_version: i64,
    pub baseline_id: &'a str,
}

/// Apply one day's signals; `today` are the findings of that day (not stored yet). Streams in
/// `replayed` (see [`applied_at`]) were already applied for this day by a runner that died:
/// an alert it opened is only made sure to be notified (queuing is idempotent), nothing else.
#[allow(clippy::too_many_arguments)]
pub fn apply_signals(
    env: &EvaluatorEnv<'_>,
    plan: &PmsPlan,
    model_id: &str,
    labels: RunLabels<'_>,
    signals: &[StreamSignal],
    today: &[Finding],
    at: DateTime<Utc>,
    active: &mut HashSet<(String, String)>,
    replayed: &HashMap<(String, String), Alert>,
) -> Result<FlowReport, StoreError> {
    let mut report = FlowReport::default();
    for s in signals {
        let k = (s.rule.clone(), s.stratum.clone());
        if !s.crossing && !active.contains(&k) {
            continue;
        }
        let mut evidence = s.evidence.clone();
        evidence.plan_version = Some(labels.plan_version);
        evidence.baseline_id = Some(labels.baseline_id.to_string());
        // A stream about to open an alert: its stored chart points date the first evidence
        // and draw its chart.
        let replay = replayed.get(&k);
        let opened_by_dead_runner = replay.is_some_and(|a| a.opened_at == at);
        let days = if (s.crossing && !active.contains(&k)) || opened_by_dead_runner {
            stream_days(env.store, model_id, s, today, at.date_naive())?
        } else {
            Vec::new()
        };
        if evidence.trigger == "chart"
            && let Some(first) = first_evidence(&days)
        {
            evidence.first_evidence = Some(first);
        }
        let signal_report = SignalReport {
            model: model_id.to_string(),
            rule: s.rule.clone(),
            stratum: s.stratum.clone(),
            title: title(&evidence),
            summary: text(&evidence),
            evidence: Some(evidence.clone()),
            signal: Signal {
                crossing: s.crossing,
                severity: s.severity,
                at,
            },
        };
        let (decision, alert) = match replay {
            Some(a) if opened_by_dead_runner => (Decision::Open, Some(a.clone())),
            Some(_) => (Decision::Nothing, None),
            None => apply_signal(env.store, &signal_report, &plan.alerts)?,
        };
        let reason = match decision {
            Decision::Open => {
                active.insert(k);
                report.opened += 1;
                Some(Reason::Opened)
            }
            Decision::Refresh { raised_to: Some(_) } => {
                report.raised += 1;
                Some(Reason::SeverityRaised)
            }
            Decision::AutoResolve => {
                active.remove(&k);
                report.resolved += 1;
                None
            }
            _ => None,
        };
        if let (Some(reason), Some(alert)) = (reason, alert) {
            let refs: Vec<&Finding> = days.iter().collect();
            let chart = AlertChart::for_alert(&alert.title, &evidence, &refs, at.date_naive());
            if notify(env, plan, &alert, reason, chart.as_ref())? {
                report.queued += 1;
            }
        }
    }
    Ok(report)
}

fn notify(
    env: &EvaluatorEnv<'_>,
    plan: &PmsPlan,
    alert: &Alert,
    reason: Reason,
    chart: Option<&AlertChart>,
) -> Result<bool, StoreError> {
    if !env.webhook_url.is_empty() {
        let m = alert_webhook_message(
            alert,
            reason,
            env.webhook_url,
            env.public_url,
            env.clock.now(),
        );
        env.store.enqueue_message(&m)?;
    }
    enqueue_alert(
        env.store,
        alert,
        reason,
        plan.recipients_for(alert.severity),
        env.public_url,
        chart,
        env.clock.now(),
    )
}

/// The stream's day findings over the last `CHART_DAYS`, today's included, oldest first.
fn stream_days(
    store: &dyn Store,
    model_id: &str,
    s: &StreamSignal,
    today: &[Finding],
    day: NaiveDate,
) -> Result<Vec<Finding>, StoreError> {
    let query = FindingQuery {
        model_id: Some(model_id.to_string()),
        rule: Some(s.rule.clone()),
        stratum: Some(s.stratum.clone()),
        window: Some(WindowKind::Day),
        from: Some(day - Duration::days(CHART_DAYS)),
        limit: 10_000,
        ..FindingQuery::default()
    };
    let mut days: Vec<Finding> = store
        .findings(&query)?
        .into_iter()
        .map(|f| f.finding)
        .collect();
    days.extend(
        today
            .iter()
            .filter(|f| f.window == WindowKind::Day && f.rule == s.rule && f.stratum == s.stratum)
            .cloned(),
    );
    days.sort_by_key(|f| f.window_start);
    Ok(days)
}

/// The first day of the chart's current excursion: going back from the newest point while a
/// CUSUM stays above zero (or any chart signals), the earliest day reached.
pub fn first_evidence(days: &[Finding]) -> Option<NaiveDate> {
    let mut first = None;
    for f in days.iter().rev() {
        let rising = f.method == "cusum" && f.statistic.is_some_and(|s| s > 0.0);
        if !(rising || f.status == FindingStatus::Signal) {
            break;
        }
        first = Some(f.window_start);
    }
    first
}
