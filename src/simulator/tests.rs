//! Invariants of the traffic generator: determinism, scenario checks, the exact reach of each
//! change, and items that pass the ingest checks.

use chrono::{NaiveDate, TimeZone, Utc};

use super::case::judge;
use super::demo::{self, DEFAULT_PLAN, FEATURES};
use super::reference::{reference_csv, reference_header};
use super::scenario::{Change, DEFAULT_SCENARIO, Scenario};
use super::site::SCANNERS;
use super::{Fleet, SiteDay};
use crate::domain::event::check_event;
use crate::domain::review::{Outcome, Severity, check_review};
use crate::monitoring::plan::PmsPlan;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

fn scenario(text: &str) -> Scenario {
    Scenario::parse(text).unwrap()
}

fn fleet(seed: u64, sites: u32, days: u32, s: Scenario) -> Fleet {
    Fleet::new(seed, sites, days, start(), s).unwrap()
}

fn in_control(cases: f64) -> Scenario {
    scenario(&format!("[fleet]\ncases_per_day = {cases}\n"))
}

fn liver_dice(sd: &SiteDay) -> Vec<f64> {
    sd.reviews
        .iter()
        .map(|r| r.metrics.as_ref().unwrap()["liver"].dice.unwrap())
        .collect()
}

fn feature(sd: &SiteDay, name: &str) -> Vec<f64> {
    sd.events.iter().map(|e| e.input_features[name]).collect()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn same_seed_same_items_and_a_day_alone_equals_the_day_in_sequence() {
    let a = fleet(7, 3, 4, Scenario::builtin_for(3, 4).0);
    let b = fleet(7, 3, 4, Scenario::builtin_for(3, 4).0);
    let in_sequence: Vec<SiteDay> = (0..4).flat_map(|d| a.day(d)).collect();
    let alone = b.site_day(2, 3).unwrap();
    assert_eq!(in_sequence[3 * 3 + 1], alone);
    assert_eq!(a.day(1), b.day(1));
    assert_eq!(a.sites(), b.sites());
    let other = fleet(8, 3, 4, Scenario::default());
    assert_ne!(other.site_day(2, 3).unwrap().events, alone.events);
    assert!(a.site_day(0, 0).is_none() && a.site_day(4, 0).is_none() && a.site_day(1, 4).is_none());
}

#[test]
fn sites_have_fixed_realistic_profiles() {
    let f = fleet(7, 20, 1, Scenario::default());
    let ids: Vec<&str> = f.sites().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids[0], "sim-site-01");
    assert_eq!(ids[19], "sim-site-20");
    for s in f.sites() {
        assert!(SCANNERS.contains(&(s.scanner.manufacturer.as_str(), s.scanner.model.as_str())));
        assert!([1.0, 1.25, 2.5, 3.0].contains(&s.protocol.slice_thickness_mm));
        assert!((0.6..=0.9).contains(&s.protocol.pixel_spacing_mm));
        let day = f.site_day(s.number, 0).unwrap();
        assert!(day.events.iter().all(|e| e.scanner == s.scanner));
    }
    let makers: std::collections::BTreeSet<_> =
        f.sites().iter().map(|s| &s.scanner.manufacturer).collect();
    assert!(makers.len() >= 3, "{makers:?}");
}

#[test]
fn traffic_has_the_declared_volume_and_review_rate() {
    let f = fleet(11, 4, 30, Scenario::default());
    let days: Vec<SiteDay> = (0..30).flat_map(|d| f.day(d)).collect();
    let events: usize = days.iter().map(|d| d.events.len()).sum();
    let reviews: usize = days.iter().map(|d| d.reviews.len()).sum();
    let per_day = events as f64 / 120.0;
    assert!((per_day - 100.0).abs() < 3.0, "{per_day}");
    let rate = reviews as f64 / events as f64;
    assert!((rate - 0.2).abs() < 0.015, "{rate}");
    let dice: Vec<f64> = days.iter().flat_map(liver_dice).collect();
    assert!((mean(&dice) - 0.93).abs() < 0.003, "{}", mean(&dice));
    for d in &days {
        assert!(
            d.events
                .windows(2)
                .all(|w| w[0].occurred_at <= w[1].occurred_at)
        );
        let ids: std::collections::BTreeSet<_> = d.events.iter().map(|e| e.event_id).collect();
        assert!(d.reviews.iter().all(|r| ids.contains(&r.event_id)));
    }
}

#[test]
fn generated_items_pass_the_ingest_checks() {
    let f = fleet(5, 3, 3, in_control(60.0));
    let now = Utc.with_ymd_and_hms(2026, 1, 8, 7, 0, 0).unwrap();
    let schema = demo::schema();
    assert!(schema.validate().is_ok());
    for sd in (0..3).flat_map(|d| f.day(d)) {
        for (i, e) in sd.events.iter().enumerate() {
            assert_eq!(
                check_event(e, i, &schema, &crate::domain::event::TimeBounds::at(now)),
                vec![]
            );
            assert_eq!(e.case_ref.len(), 64);
            assert_eq!(e.occurred_at.date_naive(), sd.date);
        }
        for (i, r) in sd.reviews.iter().enumerate() {
            assert_eq!(
                check_review(r, i, &crate::domain::event::TimeBounds::at(now)),
                vec![]
            );
            let event = sd.events.iter().find(|e| e.event_id == r.event_id).unwrap();
            let delay = r.reviewed_at - event.occurred_at;
            assert!(delay.num_minutes() >= 60 && delay.num_hours() < 8);
        }
    }
}

#[test]
fn the_default_plan_is_valid_for_the_demo_schema() {
    let names: Vec<String> = FEATURES.iter().map(|f| f.name.to_string()).collect();
    let plan = PmsPlan::parse(DEFAULT_PLAN, &names).unwrap();
    assert_eq!(plan.model, demo::MODEL_NAME);
    assert_eq!(plan.features.len(), FEATURES.len());
    assert_eq!(plan.quality.len(), 3);
    assert_eq!(
        plan.recipients_for(crate::monitoring::plan::Severity::Medium),
        vec!["qm@example.org"]
    );
}

#[test]
fn the_default_scenario_file_is_the_builtin_one() {
    let file = include_str!("../../deploy/scenarios/default.toml");
    assert_eq!(file, DEFAULT_SCENARIO);
    let s = Scenario::builtin();
    assert_eq!(s.changes.len(), 3);
    assert_eq!(s.fleet.cases_per_day, 100.0);
    assert!(s.check_fleet(20, 90).is_ok());
    let (small, dropped) = Scenario::builtin_for(5, 45);
    assert_eq!((small.changes.len(), dropped), (1, 2));
    assert_eq!(small.changes[0].kind(), "intensity_shift");
}

#[test]
fn scenario_errors_name_the_field() {
    let field = |text: &str| Scenario::parse(text).unwrap_err().field;
    let message = |text: &str| Scenario::parse(text).unwrap_err().to_string();
    assert!(message("[fleet]\ncases = 3\n").contains("unknown field `cases`"));
    assert_eq!(field("[fleet]\ncases = 3\n"), "line 2");
    let change = "[[changes]]\nkind = \"dice_drop\"\nsite = 2\nfrom_day = 1\n";
    assert!(message(&format!("{change}label = \"liver\"\n")).contains("missing field `drop`"));
    assert!(
        message(&format!(
            "{change}label = \"liver\"\ndrop = 0.1\nshift_sd = 1.0\n"
        ))
        .contains("unknown field `shift_sd`")
    );
    assert_eq!(
        field(&format!("{change}label = \"spleen\"\ndrop = 0.1\n")),
        "changes[0].label"
    );
    assert_eq!(
        field(&format!("{change}label = \"liver\"\ndrop = 0.9\n")),
        "changes[0].drop"
    );
    assert!(
        message("[[changes]]\nkind = \"earthquake\"\nsite = 1\nfrom_day = 0\n")
            .contains("earthquake")
    );
    let shift = "[[changes]]\nkind = \"intensity_shift\"\nsite = 1\nfrom_day = 5\nshift_sd = 0.0\n";
    assert_eq!(field(shift), "changes[0].shift_sd");
    assert_eq!(field("[fleet]\nreview_rate = 1.5\n"), "fleet.review_rate");
    assert_eq!(field("[fleet]\ncases_per_day = 0\n"), "fleet.cases_per_day");
    let thin = "[[changes]]\nkind = \"protocol_change\"\nsite = 0\nfrom_day = 5\nslice_thickness_mm = 1.0\n";
    assert_eq!(field(thin), "changes[0].site");
    let ok = scenario(&thin.replace("site = 0", "site = 4"));
    assert_eq!(ok.check_fleet(3, 10).unwrap_err().field, "changes[0].site");
    assert_eq!(
        ok.check_fleet(4, 5).unwrap_err().field,
        "changes[0].from_day"
    );
    assert!(ok.check_fleet(4, 6).is_ok());
    assert!(Fleet::new(1, 3, 10, start(), ok).is_err());
}

/// Pairs of site-days of a fleet with the change and of its in-control twin.
fn twins(change: &str, sites: u32, days: u32) -> Vec<(SiteDay, SiteDay)> {
    let head = "[fleet]\ncases_per_day = 400\nreview_rate = 0.5\n";
    let changed = fleet(3, sites, days, scenario(&format!("{head}{change}")));
    let control = fleet(3, sites, days, scenario(head));
    (0..days)
        .flat_map(|d| changed.day(d).into_iter().zip(control.day(d)))
        .collect()
}

#[test]
fn an_intensity_shift_moves_exactly_its_site_from_its_day() {
    let change =
        "[[changes]]\nkind = \"intensity_shift\"\nsite = 2\nfrom_day = 3\nshift_sd = 0.25\n";
    for (a, b) in twins(change, 3, 5) {
        let in_force = a.site == 2 && a.day >= 3;
        assert_eq!(a.events.len(), b.events.len());
        for (name, sd) in [("hu_mean", 12.0), ("hu_std", 20.0), ("noise_sd", 2.5)] {
            let moved = mean(&feature(&a, name)) - mean(&feature(&b, name));
            let expected = if in_force && name != "noise_sd" {
                0.25 * sd
            } else {
                0.0
            };
            assert!(
                (moved - expected).abs() < 1e-3,
                "site {} day {} {name}: {moved}",
                a.site,
                a.day
            );
        }
        assert_eq!(liver_dice(&a), liver_dice(&b));
    }
    // Against the reference mean, not only the twin: 0.25 SD = 3 HU on hu_mean.
    let shifted = twins(change, 3, 5)
        .into_iter()
        .filter(|(a, _)| a.site == 2 && a.day >= 3)
        .flat_map(|(a, _)| feature(&a, "hu_mean"))
        .collect::<Vec<_>>();
    assert!((mean(&shifted) - 38.0).abs() < 1.0, "{}", mean(&shifted));
}

#[test]
fn a_dice_drop_lowers_exactly_its_label_at_its_site_from_its_day() {
    let change = "[[changes]]\nkind = \"dice_drop\"\nsite = 1\nfrom_day = 2\nlabel = \"liver\"\ndrop = 0.03\n";
    let mut dropped = Vec::new();
    for (a, b) in twins(change, 2, 4) {
        let in_force = a.site == 1 && a.day >= 2;
        let (da, db) = (liver_dice(&a), liver_dice(&b));
        let diff = mean(&db) - mean(&da);
        let expected = if in_force { 0.03 } else { 0.0 };
        assert!(
            (diff - expected).abs() < 1e-3,
            "site {} day {}: {diff}",
            a.site,
            a.day
        );
        assert_eq!(a.events, b.events);
        let tumor = |s: &SiteDay| -> Vec<_> {
            s.reviews
                .iter()
                .map(|r| r.metrics.as_ref().unwrap()["tumor"].dice)
                .collect()
        };
        assert_eq!(tumor(&a), tumor(&b));
        if in_force {
            dropped.extend(da);
        }
    }
    assert!((mean(&dropped) - 0.90).abs() < 0.005, "{}", mean(&dropped));
}

#[test]
fn a_protocol_change_thins_the_slices_of_its_site_only() {
    let change = "[[changes]]\nkind = \"protocol_change\"\nsite = 2\nfrom_day = 1\nslice_thickness_mm = 0.625\n";
    for (a, b) in twins(change, 2, 3) {
        let base = b.events[0].acquisition.slice_thickness_mm;
        let thickness = a.events[0].acquisition.slice_thickness_mm;
        let (na, nb) = (
            mean(&feature(&a, "noise_sd")),
            mean(&feature(&b, "noise_sd")),
        );
        if a.site == 2 && a.day >= 1 {
            assert_eq!(thickness, 0.625);
            assert!((na / nb - (base / 0.625).sqrt()).abs() < 1e-3, "{na} {nb}");
        } else {
            assert_eq!(a.events, b.events);
        }
    }
}

#[test]
fn the_reference_sample_is_in_control_csv() {
    let csv = reference_csv(2000, 9);
    assert_eq!(csv, reference_csv(2000, 9));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, reference_header());
    assert_eq!(&header[..2], ["hu_mean", "hu_std"]);
    assert_eq!(&header[header.len() - 2..], ["dice.liver", "dice.tumor"]);
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 2000);
    let column = |i: usize| rows.iter().map(|r| r[i]).collect::<Vec<_>>();
    for (i, f) in FEATURES.iter().enumerate() {
        let c = column(i);
        assert!(c.iter().all(|v| (f.min..=f.max).contains(v)));
        assert!(
            (mean(&c) - f.mean).abs() < 4.0 * f.sd / (2000f64).sqrt(),
            "{}",
            f.name
        );
    }
    let liver = column(header.len() - 2);
    assert!((mean(&liver) - 0.93).abs() < 0.004);
}

#[test]
fn outcomes_follow_the_liver_dice() {
    assert_eq!(judge(0.95), (Outcome::Accepted, Severity::None));
    assert_eq!(judge(0.90), (Outcome::Edited, Severity::Minor));
    assert_eq!(judge(0.80), (Outcome::Edited, Severity::Major));
    assert_eq!(judge(0.70), (Outcome::Rejected, Severity::Major));
    assert_eq!(
        judge(0.30),
        (Outcome::Rejected, Severity::ClinicallyRelevant)
    );
}

#[test]
fn changes_report_where_they_apply() {
    let c = Change::DiceDrop {
        site: 7,
        from_day: 30,
        label: "liver".into(),
        drop: 0.03,
    };
    assert!(!c.applies(7, 29) && c.applies(7, 30) && c.applies(7, 89) && !c.applies(6, 50));
}
