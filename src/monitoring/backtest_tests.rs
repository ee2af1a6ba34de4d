use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::monitoring::baseline::from_upload;
use crate::monitoring::baseline_table::Table;
use crate::monitoring::columns::StratumValues;
use crate::simulator::sample::normal;

fn plan(shift_sd: f64, clear_after: u32) -> PmsPlan {
    let text = format!(
        r#"model = "m"
[windows]
tumbling_days = 7
rolling_days = 14
min_samples = 30
min_effect = 0.3
strata = ["site"]
[[features]]
name = "hu_mean"
[sequential]
chart = "cusum"
arl0 = 2000.0
shift_sd = {shift_sd}
[alerts]
cooldown_hours = 24
clear_after = {clear_after}
silent_after_days = 0
"#
    );
    PmsPlan::parse(&text, &["hu_mean".into()]).unwrap()
}

fn baseline() -> Baseline {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut t = Table::default();
    let hu: Vec<f64> = (0..2000).map(|_| normal(&mut rng, 50.0, 10.0)).collect();
    t.numeric.insert("hu_mean".into(), hu);
    t.rows = 2000;
    from_upload(t).unwrap()
}

fn cases(day: NaiveDate, n: usize, shift: f64, rng: &mut ChaCha8Rng) -> Vec<CaseObs> {
    let strata = StratumValues {
        site: "a".into(),
        ..StratumValues::default()
    };
    (0..n)
        .map(|i| CaseObs {
            day,
            strata: strata.clone(),
            numeric: BTreeMap::from([("hu_mean".to_string(), normal(rng, 50.0 + shift, 10.0))]),
            scanner: "GE Revolution".into(),
            content_hash: format!("{day}-{i}"),
            output_status: "ok".into(),
        })
        .collect()
}

/// Window tests only count large effects (`min_effect`), so the chart alone decides here.
/// 28 days of site a, shifted by `shift` (case units) from day 14; the first 7 preloaded.
fn run(plan: &PmsPlan, shift: f64) -> (Vec<FindingSummary>, Vec<WouldAlert>, u32) {
    let b = baseline();
    let mut bt = Backtest::new(plan, &b, "m@1").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    for d in 0..28 {
        let day = start + Duration::days(d);
        let c = cases(day, 60, if d >= 14 { shift } else { 0.0 }, &mut rng);
        if d < 7 {
            bt.preload(day, c, Vec::new());
        } else {
            bt.day(day, c, Vec::new());
        }
    }
    bt.finish()
}

#[test]
fn a_sensitive_chart_alerts_on_a_small_shift_and_a_tolerant_one_does_not() {
    // 0.2 case SD at 60 cases a day is 1.55 SD of the daily mean.
    let (findings, alerts, days) = run(&plan(1.0, 3), 2.0);
    assert_eq!(days, 21);
    let day_points = findings
        .iter()
        .filter(|f| {
            f.window == WindowKind::Day && f.rule == "drift:hu_mean" && f.stratum == "site=a"
        })
        .count();
    assert_eq!(day_points, 21);
    let chart: Vec<&WouldAlert> = alerts
        .iter()
        .filter(|a| a.rule == "drift:hu_mean" && a.stratum == "site=a")
        .collect();
    assert_eq!(chart.len(), 1, "{alerts:?}");
    assert!(chart[0].first_day >= NaiveDate::from_ymd_opt(2026, 1, 19).unwrap());
    assert_eq!(chart[0].stratum, "site=a");
    assert_eq!(chart[0].severity, Severity::Medium);
    assert_eq!(chart[0].resolved_day, None);
    let first_signal = findings
        .iter()
        .find(|f| {
            f.window == WindowKind::Day
                && f.stratum == "site=a"
                && f.status == FindingStatus::Signal
        })
        .unwrap();
    assert_eq!(first_signal.day, chart[0].first_day);
    assert!(first_signal.statistic > first_signal.limit);

    // A chart that cannot be designed for the reference's size says why, day by day.
    let (findings, _, _) = run(&plan(0.5, 3), 2.0);
    let day = findings
        .iter()
        .find(|f| f.window == WindowKind::Day && f.stratum == "site=a")
        .unwrap();
    assert_eq!(day.status, FindingStatus::Insufficient);
    assert!(day.note.as_ref().is_some_and(|n| !n.is_empty()), "{day:?}");

    let (findings, alerts, _) = run(&plan(6.0, 3), 2.0);
    assert!(
        alerts.iter().all(|a| a.rule != "drift:hu_mean"),
        "{alerts:?}"
    );
    let day_signals = findings
        .iter()
        .filter(|f| f.window == WindowKind::Day && f.status == FindingStatus::Signal)
        .count();
    assert_eq!(day_signals, 0);
}

#[test]
fn an_unshifted_history_raises_nothing_and_findings_name_their_day() {
    let (findings, alerts, _) = run(&plan(2.5, 2), 0.0);
    let charted: Vec<&FindingSummary> = findings
        .iter()
        .filter(|f| f.window == WindowKind::Day)
        .collect();
    assert!(
        charted.iter().all(|f| f.status == FindingStatus::Ok),
        "{charted:?}"
    );
    assert_eq!(
        charted[0].day,
        NaiveDate::from_ymd_opt(2026, 1, 12).unwrap()
    );
    assert!(
        charted
            .iter()
            .all(|f| f.limit.is_some() && f.statistic.is_some())
    );
    assert!(
        alerts.iter().all(|a| !a.rule.starts_with("drift:")),
        "{alerts:?}"
    );
}
