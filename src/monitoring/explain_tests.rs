use std::collections::BTreeMap;

use super::*;
use crate::monitoring::baseline::QualityReference;
use crate::stats::column_drift::FrozenReference;

fn reference() -> StratumReference {
    StratumReference {
        rows: 500,
        features: FrozenReference {
            version: 1,
            bins: 10,
            columns: vec![],
        },
        quality: BTreeMap::from([(
            "liver".to_string(),
            QualityReference {
                mean: 0.93,
                sd: 0.02,
                n: 500,
            },
        )]),
        outcomes: None,
    }
}

fn day(n: u64, mean: f64, stat: f64) -> Finding {
    let d = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
    let mut f = Finding::new(
        "site=a",
        (WindowKind::Day, d, d.succ_opt().unwrap()),
        "mean_dice:liver".into(),
        "cusum",
        n,
        String::new(),
    );
    (f.estimate, f.statistic, f.limit) = (Some(mean), Some(stat), Some(4.39));
    f.status = FindingStatus::Signal;
    f
}

fn rolling(mean: f64, ci: (f64, f64), limit: f64, status: FindingStatus) -> Finding {
    let end = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
    let mut f = Finding::new(
        "site=a",
        (WindowKind::Rolling, end - chrono::Duration::days(28), end),
        "mean_dice:liver".into(),
        "t_interval",
        140,
        String::new(),
    );
    (f.estimate, f.ci_low, f.ci_high, f.limit) = (Some(mean), Some(ci.0), Some(ci.1), Some(limit));
    f.status = status;
    f
}

fn facts<'a>(today: &'a [&'a Finding], r: &'a StratumReference, chart: bool) -> StreamFacts<'a> {
    StreamFacts {
        rule: "mean_dice:liver",
        stratum: "site=a",
        chart_crossing: chart,
        window_signal: !chart,
        today,
        reference: r,
        design: None,
        unit: None,
        acceptance_limit: None,
    }
}

#[test]
fn a_chart_shift_is_titled_as_a_shift_and_compares_means_in_dice() {
    let r = reference();
    let d = day(25, 0.91, 5.1);
    let e = explain(&facts(&[&d], &r, true));
    // The Dice is still above a 0.85 acceptance limit: the title must not claim it is below.
    assert_eq!(
        title(&e),
        "Mean Dice of liver shifted down (CUSUM) (site=a)"
    );
    assert_eq!((e.baseline, e.current, e.n), (Some(0.93), Some(0.91), 25));
    // Difference -0.02 with the baseline SD's standard error 0.02 / sqrt(25) = 0.004:
    // 1.959964 * 0.004 = 0.0078399 (scipy.stats.norm.ppf(0.975) = 1.959963984540054).
    let [lo, hi] = e.difference_ci.unwrap();
    assert!((lo - (-0.02 - 0.007_839_86)).abs() < 1e-7, "{lo}");
    assert!((hi - (-0.02 + 0.007_839_86)).abs() < 1e-7, "{hi}");
    let t = text(&e);
    assert!(t.contains("Baseline: 0.9300 Dice"), "{t}");
    assert!(
        t.contains("Current: 0.9100 Dice (day 2026-03-04, n = 25)"),
        "{t}"
    );
    assert!(
        t.contains("Chart statistic (CUSUM, in standard errors): 5.100; its decision limit: 4.390"),
        "{t}"
    );
    assert!(t.contains("First evidence: 2026-03-04"), "{t}");
}

#[test]
fn a_window_below_the_acceptance_limit_states_the_limit_and_the_interval() {
    let r = reference();
    let w = rolling(0.84, (0.83, 0.845), 0.85, FindingStatus::Signal);
    let d = day(25, 0.84, 2.0);
    let e = explain(&facts(&[&d, &w], &r, false));
    assert_eq!(
        title(&e),
        "Mean Dice of liver below its acceptance limit (site=a)"
    );
    assert_eq!(
        (e.current, e.acceptance_limit, e.n),
        (Some(0.84), Some(0.85), 140)
    );
    let [lo, hi] = e.difference_ci.unwrap();
    assert!((lo - (0.83 - 0.93)).abs() < 1e-12 && (hi - (0.845 - 0.93)).abs() < 1e-12);
    let t = text(&e);
    assert!(
        t.contains("Current: 0.8400 Dice (2026-02-09 to 2026-03-08, n = 140)"),
        "{t}"
    );
    assert!(t.contains("Plan limit: 0.8500 Dice"), "{t}");
    assert!(t.contains("First evidence: 2026-02-09"), "{t}");
}

#[test]
fn numbers_keep_four_significant_digits() {
    assert_eq!(num(Some(0.93)), "0.9300");
    assert_eq!(num(Some(53.217)), "53.22");
    assert_eq!(num(Some(0.000_012_3)), "1.230e-5");
    assert_eq!(num(None), "-");
}

#[test]
fn a_chart_alert_names_its_head_start_and_restart() {
    let r = reference();
    let d = day(25, 0.91, 5.1);
    let seq = crate::monitoring::plan::Sequential {
        head_start: 0.5,
        reset_to: crate::monitoring::plan::ResetTo::HeadStart,
        ..Default::default()
    };
    let design = crate::monitoring::charts::design(&seq, Side::Lower).unwrap();
    let today = [&d];
    let mut f = facts(&today, &r, true);
    f.design = Some(&design);
    let t = text(&explain(&f));
    assert!(
        t.contains("head start 0.5 h, restarting at the head start after an alarm"),
        "{t}"
    );
    assert!(t.contains("days from the head start)"), "{t}");
    let plain = crate::monitoring::charts::design(&Default::default(), Side::Lower).unwrap();
    f.design = Some(&plain);
    let t = text(&explain(&f));
    assert!(
        t.contains("no head start, restarting at zero after an alarm"),
        "{t}"
    );
}

#[test]
fn a_chart_alert_on_mean_dice_states_the_plans_acceptance_limit() {
    let r = reference();
    let d = day(25, 0.91, 5.1);
    let today = [&d];
    let mut f = facts(&today, &r, true);
    f.acceptance_limit = Some(0.88);
    let e = explain(&f);
    assert_eq!(
        (e.trigger.as_str(), e.acceptance_limit),
        ("chart", Some(0.88))
    );
    assert!(text(&e).contains("Plan limit: 0.8800 Dice"), "{}", text(&e));
}
