//! From the monitor's per-stream signals to alerts and notifications: every crossing stream
//! and every stream with an active alert goes through the alert rules (dedup, cool-down,
//! hysteresis); a new alert, or one whose severity rose, is queued for e-mail to the plan's
//! recipients with a chart of the stream's daily points.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::alerts::{SignalReport, apply_signal};
use super::evaluation::EvaluatorEnv;
use super::notify::enqueue_alert;
use crate::alerting::alert::Alert;
use crate::alerting::chart::SignalSeries;
use crate::alerting::email::Reason;
use crate::alerting::rules::{Decision, Signal};
use crate::alerting::webhook::alert_webhook_message;
use crate::monitoring::evaluator::StreamSignal;
use crate::monitoring::findings::{Finding, WindowKind};
use crate::monitoring::plan::{PmsPlan, QualityIndicator};
use crate::storage::{AlertFilter, FindingQuery, Store, StoreError};

/// Days of history drawn in an alert's chart.
const CHART_DAYS: i64 = 90;

/// The (rule, stratum) keys of a model version's alerts that still follow their signal.
pub fn active_keys(
    store: &dyn Store,
    model_id: &str,
) -> Result<HashSet<(String, String)>, StoreError> {
    let filter = AlertFilter {
        state: None,
        model: Some(model_id.to_string()),
        limit: 100_000,
    };
    Ok(store
        .alerts(&filter)?
        .into_iter()
        .filter(|a| a.closed_at.is_none())
        .map(|a| (a.rule, a.stratum))
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

/// Apply one day's signals; `today` are the findings of that day (not stored yet).
pub fn apply_signals(
    env: &EvaluatorEnv<'_>,
    plan: &PmsPlan,
    model_id: &str,
    signals: &[StreamSignal],
    today: &[Finding],
    at: DateTime<Utc>,
    active: &mut HashSet<(String, String)>,
) -> Result<FlowReport, StoreError> {
    let mut report = FlowReport::default();
    for s in signals {
        let k = (s.rule.clone(), s.stratum.clone());
        if !s.crossing && !active.contains(&k) {
            continue;
        }
        let signal_report = SignalReport {
            model: model_id.to_string(),
            rule: s.rule.clone(),
            stratum: s.stratum.clone(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            signal: Signal {
                crossing: s.crossing,
                severity: s.severity,
                at,
            },
        };
        let (decision, alert) = apply_signal(env.store, &signal_report, &plan.alerts)?;
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
        if let (Some(reason), Some(alert)) = (reason, alert)
            && notify(env, plan, &alert, reason, today, at)?
        {
            report.queued += 1;
        }
    }
    Ok(report)
}

fn notify(
    env: &EvaluatorEnv<'_>,
    plan: &PmsPlan,
    alert: &Alert,
    reason: Reason,
    today: &[Finding],
    at: DateTime<Utc>,
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
    let series = chart_series(env.store, plan, alert, today, at.date_naive())?;
    enqueue_alert(
        env.store,
        alert,
        reason,
        plan.recipients_for(alert.severity),
        env.public_url,
        series.as_ref(),
        env.clock.now(),
    )
}

/// The stream's daily chart points (the daily mean) over the last `CHART_DAYS`, with the
/// plan's limit for a mean Dice; `None` when the stream has no daily points.
fn chart_series(
    store: &dyn Store,
    plan: &PmsPlan,
    alert: &Alert,
    today: &[Finding],
    day: NaiveDate,
) -> Result<Option<SignalSeries>, StoreError> {
    let from = day - Duration::days(CHART_DAYS);
    let query = FindingQuery {
        model_id: Some(alert.model.clone()),
        rule: Some(alert.rule.clone()),
        stratum: Some(alert.stratum.clone()),
        window: Some(WindowKind::Day),
        from: Some(from),
        limit: 10_000,
        ..FindingQuery::default()
    };
    let stored = store.findings(&query)?;
    let todays = today.iter().filter(|f| {
        f.window == WindowKind::Day && f.rule == alert.rule && f.stratum == alert.stratum
    });
    let points: Vec<(f64, f64)> = stored
        .iter()
        .map(|s| &s.finding)
        .chain(todays)
        .filter_map(|f| Some(((f.window_start - day).num_days() as f64, f.estimate?)))
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    let limit = plan.quality.iter().find_map(|q| match q {
        QualityIndicator::MeanDice { label, limit }
            if alert.rule == format!("mean_dice:{label}") =>
        {
            Some(*limit)
        }
        _ => None,
    });
    Ok(Some(SignalSeries {
        title: alert.title.clone(),
        y_label: format!("daily mean, days before {day}"),
        points,
        limit,
    }))
}
