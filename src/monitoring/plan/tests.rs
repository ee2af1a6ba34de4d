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
            "features[0].name",
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

#[test]
fn built_in_columns_get_the_test_that_fits_their_type() {
    let names = crate::monitoring::columns::monitorable(&declared());
    let text = "model = \"liver-seg\"\n\
        [[features]]\nname = \"scanner_model\"\n\
        [[features]]\nname = \"output_status\"\n\
        [[features]]\nname = \"kvp\"\n\
        [[features]]\nname = \"scanner_manufacturer\"\ntest = \"psi\"\nthreshold = 0.2\n";
    let plan = PmsPlan::parse(text, &names).unwrap();
    let tests: Vec<DriftTest> = plan.features.iter().map(|f| f.test).collect();
    assert_eq!(
        tests,
        [
            DriftTest::Chi2,
            DriftTest::Chi2,
            DriftTest::Ks,
            DriftTest::Psi
        ]
    );
    let ks = "model = \"liver-seg\"\n[[features]]\nname = \"output_status\"\ntest = \"ks\"\n";
    let e = PmsPlan::parse(ks, &names).unwrap_err();
    assert!(e.message.contains("output_status is categorical"), "{e}");
}

#[test]
fn unknown_features_and_labels_are_refused_with_the_known_ones() {
    let names = crate::monitoring::columns::monitorable(&declared());
    let e = PmsPlan::parse(&FULL.replace("\"hu_mean\"", "\"hu_max\""), &names).unwrap_err();
    assert_eq!(e.field, "features[0].name");
    assert!(
        e.message
            .contains("known: hu_mean, kvp, latency_ms, output_status"),
        "{e}"
    );
    let plan = PmsPlan::parse(&FULL.replace("\"liver\"", "\"Liver\""), &names).unwrap();
    let e = plan
        .validate_labels(&["liver".into(), "tumor".into()])
        .unwrap_err();
    assert_eq!(e.field, "quality[0].label");
    assert!(
        e.message.contains("\"Liver\"") && e.message.contains("known: liver, tumor"),
        "{e}"
    );
    // No baseline yet: nothing to check the labels against.
    assert!(plan.validate_labels(&[]).is_ok());
}

#[test]
fn head_start_and_restart_parse_with_their_defaults() {
    let plan = PmsPlan::parse("model = \"liver-seg\"\n", &declared()).unwrap();
    assert_eq!(
        (plan.sequential.head_start, plan.sequential.reset_to),
        (0.0, ResetTo::Zero)
    );
    let text = FULL.replace(
        "shift_sd = 1.0",
        "shift_sd = 1.0\nhead_start = 0.5\nreset_to = \"head_start\"",
    );
    let plan = PmsPlan::parse(&text, &declared()).unwrap();
    assert_eq!(
        (plan.sequential.head_start, plan.sequential.reset_to),
        (0.5, ResetTo::HeadStart)
    );
    // A head start with the default restart at zero.
    let text = FULL.replace("shift_sd = 1.0", "shift_sd = 1.0\nhead_start = 0.25");
    let plan = PmsPlan::parse(&text, &declared()).unwrap();
    assert_eq!(plan.sequential.reset_to, ResetTo::Zero);
}

#[test]
fn bad_head_starts_and_restarts_name_their_key() {
    let with = |extra: &str| FULL.replace("shift_sd = 1.0", &format!("shift_sd = 1.0\n{extra}"));
    let cases = [
        (with("head_start = 1.0"), "sequential.head_start"),
        (with("head_start = -0.1"), "sequential.head_start"),
        (with("head_start = nan"), "sequential.head_start"),
        (with("reset_to = \"head_start\""), "sequential.reset_to"),
        (
            with("head_start = 0.5").replace("chart = \"cusum\"", "chart = \"ewma\""),
            "sequential.head_start",
        ),
        (
            with("reset_to = \"head_start\"").replace("chart = \"cusum\"", "chart = \"ewma\""),
            "sequential.reset_to",
        ),
        (with("reset_to = \"half\""), "(toml)"),
    ];
    for (text, field) in cases {
        let e = PmsPlan::parse(&text, &declared()).unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
    // An EWMA with the default restart is fine: it restarts at its target.
    let text = FULL.replace("chart = \"cusum\"", "chart = \"ewma\"\nreset_to = \"zero\"");
    assert!(PmsPlan::parse(&text, &declared()).is_ok());
}

#[test]
fn a_mean_dice_stream_has_its_indicators_acceptance_limit() {
    let plan = PmsPlan::parse(FULL, &declared()).unwrap();
    assert_eq!(plan.chart_acceptance_limit("mean_dice:liver"), Some(0.9));
    assert_eq!(plan.chart_acceptance_limit("mean_dice:spleen"), None);
    assert_eq!(plan.chart_acceptance_limit("drift:hu_mean"), None);
    assert_eq!(plan.chart_acceptance_limit("below_floor:liver"), None);
}
