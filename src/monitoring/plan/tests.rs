//! Plan parsing and validation.

use super::*;

const FULL: &str = r#"
model = "liver-seg"
description = "PMS plan"
[windows]
tumbling_days = 7
rolling_days = 30
min_samples = 50
fdr_q = 0.05
strata = ["site", "scanner", "modality"]
min_cell_k = 5
[[features]]
name = "hu_mean"
test = "ks"
[[features]]
name = "vol_ml"
test = "psi"
threshold = 0.2
[[quality]]
indicator = "mean_dice"
label = "liver"
limit = 0.9
[[quality]]
indicator = "below_floor"
label = "liver"
floor = 0.7
max_proportion = 0.1
[[quality]]
indicator = "rejection_rate"
max = 0.05
[sequential]
chart = "cusum"
arl0 = 370.0
shift_sd = 1.0
[alerts]
cooldown_hours = 24
clear_after = 2
[[alerts.recipients]]
severity = "medium"
emails = ["qm@example.org"]
[[alerts.recipients]]
severity = "critical"
emails = ["prrc@example.org", "qm@example.org"]
"#;

fn declared() -> Vec<String> {
    vec!["hu_mean".into(), "vol_ml".into()]
}

#[test]
fn a_complete_plan_parses() {
    let plan = PmsPlan::parse(FULL, &declared()).unwrap();
    assert_eq!(
        plan.windows.strata,
        [Stratum::Site, Stratum::Scanner, Stratum::Modality]
    );
    assert_eq!(plan.features[1].test, DriftTest::Psi);
    assert_eq!(
        plan.quality[1],
        QualityIndicator::BelowFloor {
            label: "liver".into(),
            floor: 0.7,
            max_proportion: 0.1
        }
    );
    assert_eq!(plan.recipients_for(Severity::Low), Vec::<String>::new());
    assert_eq!(plan.recipients_for(Severity::High), ["qm@example.org"]);
    assert_eq!(
        plan.recipients_for(Severity::Critical),
        ["prrc@example.org", "qm@example.org"]
    );
}

#[test]
fn defaults_fill_a_minimal_plan() {
    let plan = PmsPlan::parse("model = \"liver-seg\"\n", &declared()).unwrap();
    assert_eq!(
        (
            plan.windows.fdr_q,
            plan.sequential.arl0,
            plan.alerts.clear_after
        ),
        (0.05, 2000.0, 2)
    );
}

#[test]
fn invalid_plans_name_the_field() {
    let cases = [
        (
            FULL.replace("name = \"hu_mean\"", "name = \"hu_max\""),
            "features[0]",
        ),
        (FULL.replace("threshold = 0.2\n", ""), "features[1]"),
        (FULL.replace("fdr_q = 0.05", "fdr_q = 1.5"), "windows.fdr_q"),
        (FULL.replace("limit = 0.9", "limit = 90"), "quality[0]"),
        (FULL.replace("arl0 = 370.0", "arl0 = 2.0"), "sequential"),
        (
            FULL.replace("[\"qm@example.org\"]", "[\"not-an-address\"]"),
            "alerts.recipients[0].emails",
        ),
        (
            FULL.replace("rolling_days = 30", "rolling_days = 3"),
            "windows",
        ),
        (
            FULL.replace("chart = \"cusum\"", "chart = \"cusum\"\nwindow = 3"),
            "(toml)",
        ),
    ];
    for (text, field) in cases {
        let e = PmsPlan::parse(&text, &declared()).unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
}
