//! The demo device the simulator feeds: model `liver-seg` version `1.0.0`, its declared
//! features with their in-control distributions, its labels with their reviewed Dice, and the
//! default PMS plan for it.
//!
//! In-control distributions (every site shares them, so one pooled frozen baseline is valid;
//! values are clipped to the declared range):
//!
//! | feature | kind | unit | declared range | distribution |
//! |---|---|---|---|---|
//! | `hu_mean` | input | HU | [-1024, 3071] | normal(35, 12): mean attenuation inside the body outline |
//! | `hu_std` | input | HU | [0, 2000] | normal(140, 20): its standard deviation |
//! | `noise_sd` | input | HU | [0, 200] | normal(12, 2.5): noise in a homogeneous region |
//! | `body_volume_ml` | input | ml | [500, 100000] | normal(16000, 4000): body volume in the scan range |
//! | `confidence_mean` | output | 1 | [0, 1] | normal(0.94, 0.02): mean softmax inside the predicted liver |
//! | `liver_volume_ml` | output | ml | [0, 10000] | normal(1550, 300): predicted liver volume |
//!
//! Latency is log-normal (median 800 ms, log-SD 0.2). Reviewed Dice is beta-distributed:
//! liver mean 0.93 SD 0.04, tumor mean 0.80 SD 0.10.

use crate::domain::model::{FeatureKind, FeatureSchema, FeatureSpec};

/// Name of the demo model.
pub const MODEL_NAME: &str = "liver-seg";
/// Version of the demo model.
pub const MODEL_VERSION: &str = "1.0.0";
/// The labels the model segments.
pub const LABELS: [&str; 2] = ["liver", "tumor"];

/// One declared feature with its in-control distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureModel {
    pub name: &'static str,
    pub kind: FeatureKind,
    pub unit: &'static str,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub sd: f64,
    /// Moved by an `intensity_shift` change.
    pub intensity: bool,
    /// Scaled by the noise factor of a `protocol_change`.
    pub noise: bool,
}

const fn feature(
    name: &'static str,
    kind: FeatureKind,
    unit: &'static str,
    range: (f64, f64),
    mean: f64,
    sd: f64,
) -> FeatureModel {
    FeatureModel {
        name,
        kind,
        unit,
        min: range.0,
        max: range.1,
        mean,
        sd,
        intensity: false,
        noise: false,
    }
}

const INPUT: FeatureKind = FeatureKind::Input;
const OUTPUT: FeatureKind = FeatureKind::Output;

/// Every declared feature, inputs first, in the order of the reference CSV's columns.
pub const FEATURES: [FeatureModel; 6] = [
    FeatureModel {
        intensity: true,
        ..feature("hu_mean", INPUT, "HU", (-1024.0, 3071.0), 35.0, 12.0)
    },
    FeatureModel {
        intensity: true,
        ..feature("hu_std", INPUT, "HU", (0.0, 2000.0), 140.0, 20.0)
    },
    FeatureModel {
        noise: true,
        ..feature("noise_sd", INPUT, "HU", (0.0, 200.0), 12.0, 2.5)
    },
    feature(
        "body_volume_ml",
        INPUT,
        "ml",
        (500.0, 100_000.0),
        16_000.0,
        4_000.0,
    ),
    feature("confidence_mean", OUTPUT, "1", (0.0, 1.0), 0.94, 0.02),
    feature(
        "liver_volume_ml",
        OUTPUT,
        "ml",
        (0.0, 10_000.0),
        1550.0,
        300.0,
    ),
];

/// Median inference latency in ms, and the SD of its logarithm.
pub const LATENCY_MEDIAN_MS: f64 = 800.0;
pub const LATENCY_LOG_SD: f64 = 0.2;

/// Mean and SD of a label's reviewed Dice when in control.
pub fn dice_model(label: &str) -> (f64, f64) {
    match label {
        "tumor" => (0.80, 0.10),
        _ => (0.93, 0.04),
    }
}

/// The feature schema the demo model version declares.
pub fn schema() -> FeatureSchema {
    FeatureSchema {
        features: FEATURES
            .iter()
            .map(|f| FeatureSpec {
                name: f.name.into(),
                kind: f.kind,
                min: f.min,
                max: f.max,
                unit: Some(f.unit.into()),
            })
            .collect(),
    }
}

/// The default PMS plan for the demo model (`PUT /api/v1/models/liver-seg/plan`).
pub const DEFAULT_PLAN: &str = r#"# PMS plan of the simulated liver-seg fleet (vigil simulate's default).
model = "liver-seg"
description = "Demo PMS plan: drift of every declared feature per site, liver Dice and rejections"

[windows]
tumbling_days = 7
rolling_days = 30
min_samples = 50
fdr_q = 0.05
strata = ["site"]
min_cell_k = 5

[[features]]
name = "hu_mean"
test = "ks"
[[features]]
name = "hu_std"
test = "ks"
[[features]]
name = "noise_sd"
test = "ks"
[[features]]
name = "body_volume_ml"
test = "ks"
[[features]]
name = "confidence_mean"
test = "ks"
[[features]]
name = "liver_volume_ml"
test = "ks"

[[quality]]
indicator = "mean_dice"
label = "liver"
limit = 0.90
[[quality]]
indicator = "below_floor"
label = "liver"
floor = 0.80
max_proportion = 0.10
[[quality]]
indicator = "rejection_rate"
max = 0.05

[sequential]
chart = "cusum"
arl0 = 2000.0           # one false chart alarm per stream in 5.5 years
shift_sd = 2.5          # in standard errors of the daily mean: 0.25 case SD at 100 cases a day

[alerts]
cooldown_hours = 24
clear_after = 2
[[alerts.recipients]]
severity = "medium"
emails = ["qm@example.org"]
"#;
