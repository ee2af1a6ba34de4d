use chrono::{DateTime, Duration, NaiveDate};

use super::*;
use crate::alerting::rules::AlertState;
use crate::monitoring::plan::Severity;

fn stored(kind: WindowKind, day: i64, estimate: f64, limit: Option<f64>) -> StoredFinding {
    let start = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() + Duration::days(day);
    let mut f = Finding::new(
        "all",
        (kind, start, start + Duration::days(1)),
        "mean_dice:liver".into(),
        "cusum",
        20,
        String::new(),
    );
    (f.estimate, f.limit, f.statistic) = (Some(estimate), limit, Some(day as f64));
    StoredFinding {
        evaluation_id: "e".into(),
        seq: day,
        model_id: "m@1".into(),
        plan_version: 1,
        baseline_id: "b".into(),
        finding: f,
        created_at: DateTime::from_timestamp(0, 0).unwrap(),
    }
}

fn alert() -> Alert {
    let t = DateTime::from_timestamp(1_793_000_000, 0).unwrap();
    Alert {
        id: "a".into(),
        model: "m@1".into(),
        rule: "mean_dice:liver".into(),
        stratum: "all".into(),
        severity: Severity::High,
        state: AlertState::Open,
        title: "t".into(),
        summary: "s".into(),
        opened_at: t,
        updated_at: t,
        last_signal_at: t,
        clear_streak: 0,
        closed_at: None,
        handled_by: None,
        note: None,
        awareness_at: None,
    }
}

fn event(seq: i64, day: i64, evidence: Option<Evidence>) -> AlertEvent {
    let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() + Duration::days(day);
    AlertEvent {
        seq,
        at: d.and_hms_opt(0, 0, 0).unwrap().and_utc(),
        event: if seq == 0 { "opened" } else { "refreshed" }.into(),
        severity: Severity::High,
        summary: String::new(),
        evidence,
    }
}

#[test]
fn the_page_chart_is_the_emails_chart_with_the_latest_history_evidence() {
    let mut f = vec![
        stored(WindowKind::Day, 0, 0.93, Some(4.0)),
        stored(WindowKind::Day, 2, 0.90, Some(4.0)),
        stored(WindowKind::Rolling, 2, 0.91, Some(0.9)),
    ];
    let opened = Evidence {
        trigger: "chart".into(),
        unit: "Dice".into(),
        baseline: Some(0.93),
        acceptance_limit: Some(0.88),
        first_evidence: NaiveDate::from_ymd_opt(2026, 11, 2),
        ..Evidence::default()
    };
    let later = Evidence {
        baseline: Some(0.94),
        ..opened.clone()
    };
    let history = [event(0, 2, Some(opened)), event(1, 3, Some(later))];
    let c = chart(&alert(), &history, &f).unwrap();
    // The newest evidence wins; the stream's days carry both panels.
    assert_eq!((c.baseline, c.acceptance_limit), (Some(0.94), Some(0.88)));
    assert_eq!(c.days.len(), 2);
    assert_eq!(c.days[1].statistic, Some(2.0));
    assert_eq!((c.chart_name.as_str(), c.chart_limit), ("CUSUM", Some(4.0)));
    let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
    assert_eq!(c.window, Some((d(2), d(5))));
    // Without evidence in the history: the unit of the stream and the rolling limit.
    let c = chart(&alert(), &[event(0, 2, None)], &f).unwrap();
    assert_eq!((c.unit.as_str(), c.acceptance_limit), ("Dice", Some(0.9)));
    assert_eq!(window_findings(&f).len(), 1);
    // Days older than the chart's span are left out.
    f.push(stored(WindowKind::Day, 200, 0.9, Some(4.0)));
    assert_eq!(chart(&alert(), &history, &f).unwrap().days.len(), 1);
    assert!(chart(&alert(), &history, &f[2..3]).is_none());
}
