//! What the alert page shows beside the alert itself: the stream's chart exactly as the alert
//! e-mail draws it (`AlertChart::for_alert`: the daily values and the chart statistic over the
//! last `CHART_DAYS`, with the baseline, the plan's acceptance limit and the alert's window
//! taken from the evidence of the alert's latest history entry), the alert's history, and its
//! window findings, newest first.

use chrono::Duration;

use crate::alerting::alert::Alert;
use crate::alerting::alert_chart::{AlertChart, CHART_DAYS};
use crate::monitoring::explain::Evidence;
use crate::monitoring::findings::{Finding, WindowKind};
use crate::storage::{AlertEvent, StoredFinding};

/// Window findings shown on the alert page.
pub const TABLE_ROWS: usize = 20;

/// The evidence the chart is drawn with: the latest in the alert's history; for an alert
/// whose history holds none, the stream's unit and the newest rolling mean-Dice limit.
fn evidence_of(alert: &Alert, history: &[AlertEvent], findings: &[StoredFinding]) -> Evidence {
    let mut e = history
        .iter()
        .rev()
        .find_map(|h| h.evidence.clone())
        .unwrap_or_else(|| Evidence {
            rule: alert.rule.clone(),
            stratum: alert.stratum.clone(),
            ..Evidence::default()
        });
    if e.unit.is_empty() {
        e.unit = if alert.rule.starts_with("mean_dice:") {
            "Dice".into()
        } else {
            "feature units".into()
        };
    }
    if e.acceptance_limit.is_none() {
        e.acceptance_limit = findings
            .iter()
            .rev()
            .find(|f| {
                f.finding.window == WindowKind::Rolling && f.finding.rule.starts_with("mean_dice:")
            })
            .and_then(|f| f.finding.limit);
    }
    e
}

/// The alert's chart, as its e-mail draws it; `None` without daily points.
pub fn chart(
    alert: &Alert,
    history: &[AlertEvent],
    findings: &[StoredFinding],
) -> Option<AlertChart> {
    let last = findings
        .iter()
        .filter(|f| f.finding.window == WindowKind::Day && f.finding.estimate.is_some())
        .map(|f| f.finding.window_start)
        .max()?;
    let days: Vec<&Finding> = findings
        .iter()
        .map(|f| &f.finding)
        .filter(|f| f.window == WindowKind::Day && f.estimate.is_some())
        .filter(|f| f.window_start > last - Duration::days(CHART_DAYS))
        .collect();
    let e = evidence_of(alert, history, findings);
    let day = history
        .iter()
        .rev()
        .find(|h| h.evidence.is_some())
        .map_or(last, |h| h.at.date_naive());
    AlertChart::for_alert(&alert.title, &e, &days, day)
}

/// Tumbling and rolling findings, newest first, at most `TABLE_ROWS`.
pub fn window_findings(findings: &[StoredFinding]) -> Vec<&StoredFinding> {
    let mut out: Vec<&StoredFinding> = findings
        .iter()
        .filter(|f| f.finding.window != WindowKind::Day)
        .collect();
    out.sort_by_key(|f| std::cmp::Reverse(f.finding.window_end));
    out.truncate(TABLE_ROWS);
    out
}

#[cfg(test)]
#[path = "alert_view_tests.rs"]
mod tests;
