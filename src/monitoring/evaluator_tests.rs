use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::monitoring::baseline::from_upload;
use crate::monitoring::baseline_table::Table;
use crate::monitoring::columns::StratumValues;
use crate::simulator::sample::normal;

const PLAN: &str = r#"model = "m"
[windows]
tumbling_days = 7
rolling_days = 14
min_samples = 30
strata = ["site"]
[[features]]
name = "hu_mean"
[[quality]]
indicator = "mean_dice"
label = "liver"
limit = 0.85
"#;

fn baseline() -> Baseline {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut t = Table::default();
    let hu: Vec<f64> = (0..2000).map(|_| normal(&mut rng, 50.0, 10.0)).collect();
    let dice: Vec<f64> = (0..2000).map(|_| normal(&mut rng, 0.93, 0.02)).collect();
    t.numeric.insert("hu_mean".into(), hu);
    t.dice.insert("liver".into(), dice);
    t.rows = 2000;
    from_upload(t).unwrap()
}

fn day_data(
    day: NaiveDate,
    site: &str,
    n: usize,
    shift: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<CaseObs>, Vec<ReviewObs>) {
    let strata = StratumValues {
        site: site.into(),
        ..StratumValues::default()
    };
    let cases = (0..n)
        .map(|i| CaseObs {
            day,
            strata: strata.clone(),
            numeric: BTreeMap::from([("hu_mean".to_string(), normal(rng, 50.0 + shift, 10.0))]),
            scanner: "GE Revolution".into(),
            content_hash: format!("{day}-{site}-{i}"),
            output_status: "ok".into(),
        })
        .collect();
    let reviews = (0..n / 5)
        .map(|i| ReviewObs {
            day,
            strata: strata.clone(),
            outcome: "accepted".into(),
            dice: BTreeMap::from([("liver".to_string(), normal(rng, 0.93, 0.02))]),
            content_hash: format!("r{day}-{site}-{i}"),
        })
        .collect();
    (cases, reviews)
}

/// Run `days` days for sites a (shifted by `shift` from `from`) and b (3 cases a day);
/// returns the first day each stream crossed, and every finding.
fn run(days: i64, shift: f64, from: i64) -> (BTreeMap<String, i64>, Vec<Finding>) {
    let plan = PmsPlan::parse(PLAN, &["hu_mean".into()]).unwrap();
    let b = baseline();
    let monitor = Monitor::new(&plan, &b).unwrap();
    let mut state = MonitorState::new();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let mut history: Vec<(Vec<CaseObs>, Vec<ReviewObs>)> = Vec::new();
    let mut first = BTreeMap::new();
    let mut all = Vec::new();
    for d in 0..days {
        let day = start + Duration::days(d);
        let s = if d >= from { shift } else { 0.0 };
        let (mut c, mut r) = day_data(day, "a", 100, s, &mut rng);
        let (c2, r2) = day_data(day, "b", 3, 0.0, &mut rng);
        c.extend(c2);
        r.extend(r2);
        history.push((c, r));
        let refs = |k: usize| {
            let lo = history.len().saturating_sub(k);
            let c: Vec<&CaseObs> = history[lo..].iter().flat_map(|h| h.0.iter()).collect();
            let r: Vec<&ReviewObs> = history[lo..].iter().flat_map(|h| h.1.iter()).collect();
            (c, r)
        };
        let (c, r) = refs(1);
        let mut findings = monitor.day(&mut state, day, &c, &r);
        let next = day + Duration::days(1);
        if monitor.closes_window(next) {
            let (tc, tr) = refs(7);
            let (rc, rr) = refs(14);
            findings.extend(monitor.windows(&mut state, next, (&tc, &tr), (&rc, &rr)));
        }
        for s in monitor.signals(&state, &findings) {
            if s.crossing {
                first
                    .entry(format!("{}|{}", s.stratum, s.rule))
                    .or_insert(d);
            }
        }
        all.extend(findings);
    }
    (first, all)
}

#[test]
fn in_control_data_raise_no_signal_and_a_shift_is_caught_within_days() {
    let (quiet, findings) = run(70, 0.0, 0);
    assert!(quiet.is_empty(), "{quiet:?}");
    // Windows close on Mondays (start is a Monday): 10 tumbling windows, rolling from day 14.
    let tumbling = findings
        .iter()
        .filter(|f| f.window == WindowKind::Tumbling && f.stratum == "site=a")
        .count();
    assert_eq!(tumbling, 10);
    // Site b has 21 cases a week, fewer than min_samples: insufficient, never tested.
    assert!(
        findings
            .iter()
            .filter(|f| f.window == WindowKind::Tumbling && f.stratum == "site=b")
            .all(|f| f.status == FindingStatus::Insufficient)
    );
    // A 0.25-SD shift at 100 cases a day from day 40.
    let (alarms, _) = run(70, 2.5, 40);
    let day = alarms["site=a|drift:hu_mean"];
    assert!((40..=46).contains(&day), "{alarms:?}");
    assert!(!alarms.contains_key("site=b|drift:hu_mean"), "{alarms:?}");
}

#[test]
fn a_day_below_the_minimum_adds_no_chart_point() {
    let plan = PmsPlan::parse(PLAN, &["hu_mean".into()]).unwrap();
    let b = baseline();
    let monitor = Monitor::new(&plan, &b).unwrap();
    let mut state = MonitorState::new();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let (c, r) = day_data(day, "a", MIN_DAILY - 1, 0.0, &mut rng);
    let (c, r): (Vec<&CaseObs>, Vec<&ReviewObs>) = (c.iter().collect(), r.iter().collect());
    assert!(monitor.day(&mut state, day, &c, &r).is_empty());
    assert!(state.is_empty());
}

#[test]
fn chart_limits_are_widened_for_the_reference_size_and_say_so() {
    let plan = PmsPlan::parse(PLAN, &["hu_mean".into()]).unwrap();
    let b = baseline();
    let monitor = Monitor::new(&plan, &b).unwrap();
    let mut state = MonitorState::new();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let (c, r) = day_data(day, "a", 100, 0.0, &mut rng);
    let (c, r): (Vec<&CaseObs>, Vec<&ReviewObs>) = (c.iter().collect(), r.iter().collect());
    let findings = monitor.day(&mut state, day, &c, &r);
    let point = findings
        .iter()
        .find(|f| f.stratum == "site=a" && f.rule == "drift:hu_mean")
        .unwrap();
    let known = design(&plan.sequential, Side::Both).unwrap();
    assert!(point.limit.unwrap() > known.h, "{point:?} vs {known:?}");
    let note = point.note.as_deref().unwrap();
    assert!(
        note.contains("estimated reference (2000 reference cases, 100 a day)")
            && note.contains("0.18 false alarms per stream-year"),
        "{note}"
    );
}

#[test]
fn a_constant_feature_gets_no_chart_and_its_change_is_caught_on_the_first_day() {
    let plan_text = PLAN.replace(
        "name = \"hu_mean\"\n",
        "name = \"hu_mean\"\n[[features]]\nname = \"slice_thickness_mm\"\n",
    );
    let names = ["hu_mean".into(), "slice_thickness_mm".into()];
    let plan = PmsPlan::parse(&plan_text, &names).unwrap();
    let mut b = baseline();
    let mut t = Table::default();
    t.numeric
        .insert("slice_thickness_mm".into(), vec![1.25; 2000]);
    t.rows = 2000;
    let constant = from_upload(t).unwrap().pooled.features.columns.remove(0);
    b.pooled.features.columns.push(constant);
    let monitor = Monitor::new(&plan, &b).unwrap();
    let mut state = MonitorState::new();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let mut week = Vec::new();
    let mut seen = Vec::new();
    for (d, thickness) in [1.25, 1.25, 0.625].into_iter().enumerate() {
        let day = start + Duration::days(d as i64);
        let (mut c, _) = day_data(day, "a", 60, 0.0, &mut rng);
        for case in &mut c {
            case.numeric.insert("slice_thickness_mm".into(), thickness);
        }
        let refs: Vec<&CaseObs> = c.iter().collect();
        let findings = monitor.day(&mut state, day, &refs, &[]);
        assert!(
            !findings
                .iter()
                .any(|f| f.rule == "drift:slice_thickness_mm")
        );
        let f = findings
            .iter()
            .find(|f| f.stratum == "site=a" && f.rule == "constant:slice_thickness_mm")
            .unwrap()
            .clone();
        let crossing = monitor
            .signals(&state, &findings)
            .iter()
            .any(|s| s.stratum == "site=a" && s.rule == f.rule && s.crossing);
        seen.push((f.status, crossing, f.note));
        week.extend(c);
    }
    assert_eq!(seen[1], (FindingStatus::Ok, false, None));
    assert_eq!(
        seen[2],
        (
            FindingStatus::Signal,
            true,
            Some("value changed from 1.25 to 0.625 (60 of 60 cases)".into())
        )
    );
    // No KS test on the constant column when the window closes either.
    let refs: Vec<&CaseObs> = week.iter().collect();
    let end = start + Duration::days(7);
    let tests = monitor.windows(&mut state, end, (&refs, &[]), (&refs, &[]));
    assert!(tests.iter().any(|f| f.rule == "drift:hu_mean"));
    assert!(!tests.iter().any(|f| f.rule.ends_with("slice_thickness_mm")));
}

#[test]
fn a_day_without_data_gives_no_signal_so_it_neither_refreshes_nor_clears() {
    let plan = PmsPlan::parse(PLAN, &["hu_mean".into()]).unwrap();
    let b = baseline();
    let monitor = Monitor::new(&plan, &b).unwrap();
    let mut state = MonitorState::new();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let start = NaiveDate::from_ymd_opt(2026, 1, 6).unwrap();
    let mut crossing = false;
    for d in 0..5 {
        let day = start + Duration::days(d);
        let (c, r) = day_data(day, "a", 100, 5.0, &mut rng);
        let (c, r): (Vec<&CaseObs>, Vec<&ReviewObs>) = (c.iter().collect(), r.iter().collect());
        let findings = monitor.day(&mut state, day, &c, &r);
        let signals = monitor.signals(&state, &findings);
        let s = signals
            .iter()
            .find(|s| s.rule == "drift:hu_mean" && s.stratum == "site=a");
        crossing = s.is_some_and(|s| s.crossing);
        if let Some(s) = s.filter(|s| s.crossing) {
            assert_eq!(
                s.title,
                "Shift in the daily mean of hu_mean (CUSUM) (site=a)"
            );
            assert_eq!(
                s.evidence.baseline.map(|m| (m - 50.0).abs() < 1.0),
                Some(true)
            );
        }
    }
    assert!(
        crossing,
        "a 0.5-SD shift at 100 cases a day signals within 5 days"
    );
    // The chart is still beyond its limit, but a day without data says nothing new.
    let empty = start + Duration::days(5);
    let findings = monitor.day(&mut state, empty, &[], &[]);
    assert!(findings.is_empty());
    assert!(monitor.signals(&state, &findings).is_empty());
}
