//! Trend evaluation against scipy 1.17 (`tests/fixtures/trend/trend_reference.json`, made by
//! `make_trend_reference.py` beside it), and the plan section's validation.

use chrono::NaiveDate;
use serde_json::Value;

use super::*;
use crate::monitoring::trend::{Denominator, TrendClass};

const REFERENCE: &str = include_str!("../../tests/fixtures/trend/trend_reference.json");

fn reference() -> Value {
    serde_json::from_str(REFERENCE).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-300)
}

fn plan(method: TrendMethod, rate: f64, denominator: Denominator, counts: &str) -> TrendPlan {
    TrendPlan {
        observation_days: 3,
        method,
        alpha: 0.05,
        min_events: 3,
        denominator,
        rate_ratio: 2.0,
        decision_interval: 4.0,
        classes: vec![TrendClass {
            name: "rejected".into(),
            imdrf_codes: vec!["A1103".into()],
            counts: counts.into(),
            expected_rate: rate,
            rate_source: "validation study".into(),
        }],
    }
}

/// Spread `total` over `days` days (the exact tests only see the period's sums).
fn data(k: u64, n: u64, days: usize) -> TrendData {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let split = |t: u64| {
        let mut v = vec![t / days as u64; days];
        v[0] += t % days as u64;
        v
    };
    TrendData {
        days: (0..days as u64)
            .map(|d| start + chrono::Days::new(d))
            .collect(),
        exposure: split(n),
        counts: [("rejected".to_string(), split(k))].into(),
    }
}

#[test]
fn poisson_p_values_match_scipy() {
    for case in reference()["poisson"].as_array().unwrap() {
        let (k, n) = (
            case["k"].as_u64().unwrap(),
            case["exposure"].as_u64().unwrap(),
        );
        let rate = case["rate"].as_f64().unwrap();
        let p = plan(
            TrendMethod::Poisson,
            rate,
            Denominator::Studies,
            "output_status:failed",
        );
        let s = &evaluate_trend(&p, &data(k, n, 3)).unwrap()[0];
        let want = case["p"].as_f64().unwrap();
        assert!(close(s.p_value.unwrap(), want), "{case}: {:?}", s.p_value);
        assert_eq!(s.significant, want < 0.05 && k >= 3, "{case}");
        assert!(close(s.expected, rate * n as f64));
    }
}

#[test]
fn binomial_p_values_match_scipy() {
    for case in reference()["binomial"].as_array().unwrap() {
        let (k, n) = (case["k"].as_u64().unwrap(), case["n"].as_u64().unwrap());
        let p0 = case["p0"].as_f64().unwrap();
        let days = if n >= 3 { 3 } else { 1 };
        let p = plan(
            TrendMethod::Binomial,
            p0,
            Denominator::Reviews,
            "review_outcome:rejected",
        );
        let s = &evaluate_trend(&p, &data(k, n, days)).unwrap()[0];
        let want = case["p"].as_f64().unwrap();
        assert!(close(s.p_value.unwrap(), want), "{case}: {:?}", s.p_value);
        assert_eq!(s.significant, want < 0.05 && k >= 3, "{case}");
    }
}

#[test]
fn cusum_matches_the_reference_loop() {
    for case in reference()["cusum"].as_array().unwrap() {
        let ints = |k: &str| -> Vec<u64> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect()
        };
        let f = |k: &str| case[k].as_f64().unwrap();
        let (max, first) = poisson_cusum(
            &ints("counts"),
            &ints("exposure"),
            f("rate"),
            f("ratio"),
            f("h"),
        );
        assert!(close(max, f("max")), "{case}: {max}");
        assert_eq!(first, case["first"].as_u64().map(|i| i as usize), "{case}");
    }
}

#[test]
fn few_events_never_signal_and_binomial_counts_a_subset() {
    // 2 events where 0.01 are expected is very unlikely, but below min_events = 3.
    let p = plan(
        TrendMethod::Poisson,
        0.00001,
        Denominator::Studies,
        "output_status:failed",
    );
    let s = &evaluate_trend(&p, &data(2, 1000, 2)).unwrap()[0];
    assert!(s.p_value.unwrap() < 1e-4 && !s.significant);
    let b = plan(
        TrendMethod::Binomial,
        0.1,
        Denominator::Reviews,
        "review_outcome:rejected",
    );
    assert!(evaluate_trend(&b, &data(20, 10, 2)).is_err());
}

#[test]
fn the_section_is_validated_field_by_field() {
    let ok = plan(
        TrendMethod::Binomial,
        0.02,
        Denominator::Reviews,
        "review_outcome:rejected",
    );
    ok.validate().unwrap();
    let field = |p: TrendPlan| p.validate().unwrap_err().field;
    let mut p = ok.clone();
    p.classes[0].imdrf_codes = vec!["A99".into()];
    assert_eq!(field(p), "trend.classes[0].imdrf_codes[0]");
    let mut p = ok.clone();
    p.denominator = Denominator::Studies;
    assert_eq!(field(p), "trend.classes[0].counts");
    let mut p = ok.clone();
    p.classes[0].counts = "age_band:60-69".into();
    assert_eq!(field(p), "trend.classes[0].counts");
    let mut p = ok.clone();
    p.classes[0].rate_source = " ".into();
    assert_eq!(field(p), "trend.classes[0].rate_source");
    let mut p = ok.clone();
    p.classes[0].expected_rate = 1.5;
    assert_eq!(field(p), "trend.classes[0].expected_rate");
    let mut p = ok.clone();
    p.alpha = 0.0;
    assert_eq!(field(p), "trend.alpha");
    let mut p = ok;
    p.observation_days = 0;
    assert_eq!(field(p), "trend.observation_days");
}
