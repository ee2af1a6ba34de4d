//! `vigil simulate --evaluate`: the in-process replay finds an injected Dice drop within
//! days, reports it per change, and counts the unchanged sites' streams for the false-alarm
//! rate; the CLI prints the same report as JSON.

use vigil::commands::simulate::SimulateArgs;
use vigil::commands::simulate::evaluate::{ReplayOptions, evaluate};
use vigil::simulator::detection::median_delay;

const SCENARIO: &str = r#"
[fleet]
cases_per_day = 80
review_rate = 0.25
[[changes]]
kind = "dice_drop"
site = 2
from_day = 30
label = "liver"
drop = 0.05
"#;

fn args(scenario: std::path::PathBuf) -> SimulateArgs {
    SimulateArgs {
        sites: 3,
        days: 40,
        seed: 3,
        scenario: Some(scenario),
        target: None,
        token: None,
        quality_token: None,
        ml_token: None,
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        batch: 500,
        concurrency: 1,
        no_baseline: false,
        reference_cases: 0,
        plan: None,
        allow_existing_model: false,
        replay: ReplayOptions {
            evaluate: true,
            database: None,
            freeze_days: 14,
            json: true,
        },
    }
}

#[test]
fn replay_detects_the_dice_drop_and_counts_quiet_streams() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let report = evaluate(&args(scenario), false).unwrap();
    assert_eq!(report.detections.len(), 1);
    let d = &report.detections[0];
    assert_eq!((d.kind, d.site.as_str()), ("dice_drop", "sim-site-02"));
    let delay = d.delay_days.expect("detected");
    assert!((1..=5).contains(&delay), "{report:?}");
    assert_eq!(d.rule.as_deref(), Some("mean_dice:liver"));
    assert_eq!(median_delay(&report, "dice_drop"), Some(delay as f64));
    // Two quiet sites: their drift and quality streams, 26 monitored days.
    let f = &report.false_alarms;
    assert!(f.streams >= 2 * 6, "{f:?}");
    assert!((f.stream_years - f.streams as f64 * 26.0 / 365.0).abs() < 1e-9);
}

#[test]
fn freeze_days_must_leave_days_to_monitor() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let mut a = args(scenario);
    a.replay.freeze_days = 40;
    let e = evaluate(&a, false).unwrap_err();
    assert!(e.to_string().contains("freeze-days"), "{e}");
}

/// Through the binary with stderr on a pipe (not a terminal): progress comes as plain lines
/// counting days, and the report is for people (no debug values such as `[("drift", 1)]`).
#[test]
fn replay_off_a_terminal_prints_progress_lines_and_a_readable_report() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["simulate", "--evaluate", "--sites", "2", "--days", "20"])
        .args([
            "--freeze-days",
            "14",
            "--seed",
            "3",
            "--reference-cases",
            "0",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("replay: "))
        .collect();
    assert_eq!(lines.len(), 10, "{stderr}");
    assert!(lines[0].starts_with("replay: 2/20 days (10%)"), "{stderr}");
    assert!(
        lines[9].starts_with("replay: 20/20 days (100%)"),
        "{stderr}"
    );
    assert!(stdout.contains("per stream-year"), "{stdout}");
    assert!(
        !stdout.contains("[(") && !stdout.contains("Some("),
        "{stdout}"
    );
}
