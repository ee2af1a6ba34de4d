//! Wire protocol v1: one inference event as a site reports it, and its semantic checks (the
//! schema checks are serde's, with unknown fields refused). Every check names the field path
//! and never the value.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::wire_check::{Field, Kind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::FieldIssue;
use super::model::{FeatureKind, FeatureSchema};

/// Imaging modality of the input volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Modality {
    #[serde(rename = "CT")]
    Ct,
    #[serde(rename = "CBCT")]
    Cbct,
    #[serde(rename = "MR")]
    Mr,
}

impl Modality {
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Ct => "CT",
            Modality::Cbct => "CBCT",
            Modality::Mr => "MR",
        }
    }
}

/// The most characters of a scanner's manufacturer and model.
pub const SCANNER_TEXT_MAX_CHARS: usize = 64;

/// Scanner identifiers (short, no serial numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scanner {
    pub manufacturer: String,
    pub model: String,
}

/// Acquisition protocol parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acquisition {
    pub slice_thickness_mm: f64,
    pub pixel_spacing_mm: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kvp: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_strength_t: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<bool>,
}

/// Ten-year age bands; exact ages are never accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AgeBand {
    #[serde(rename = "0-9")]
    A0,
    #[serde(rename = "10-19")]
    A10,
    #[serde(rename = "20-29")]
    A20,
    #[serde(rename = "30-39")]
    A30,
    #[serde(rename = "40-49")]
    A40,
    #[serde(rename = "50-59")]
    A50,
    #[serde(rename = "60-69")]
    A60,
    #[serde(rename = "70-79")]
    A70,
    #[serde(rename = "80-89")]
    A80,
    #[serde(rename = "90+")]
    A90,
}

/// Administrative sex as DICOM codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Sex {
    F,
    M,
    O,
    U,
}

/// Optional coarse demographics for stratification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Demographics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_band: Option<AgeBand>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
}

/// Whether inference produced an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutputStatus {
    Ok,
    Failed,
}

/// Output summary of one inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub status: OutputStatus,
    pub latency_ms: f64,
    #[serde(default)]
    pub features: BTreeMap<String, f64>,
}

/// One inference event, exactly as sites send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventItem {
    /// UUID chosen by the site; the idempotency key.
    pub event_id: Uuid,
    /// Registered model name.
    pub model: String,
    /// Registered model version.
    pub model_version: String,
    /// RFC 3339 time of the inference; stored in UTC.
    pub occurred_at: DateTime<Utc>,
    /// 64 lowercase hex characters: the site's HMAC pseudonym of the case.
    pub case_ref: String,
    pub modality: Modality,
    pub scanner: Scanner,
    pub acquisition: Acquisition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demographics: Option<Demographics>,
    /// Input feature summaries keyed by declared name.
    pub input_features: BTreeMap<String, f64>,
    pub output: Output,
}

const SCANNER: &[Field] = &[
    Field::req("manufacturer", Kind::Text),
    Field::req("model", Kind::Text),
];
const ACQUISITION: &[Field] = &[
    Field::req("slice_thickness_mm", Kind::Number),
    Field::req("pixel_spacing_mm", Kind::Number),
    Field::opt("kvp", Kind::Number),
    Field::opt("field_strength_t", Kind::Number),
    Field::opt("contrast", Kind::Bool),
];
const AGE_BANDS: &[&str] = &[
    "0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+",
];
const DEMOGRAPHICS: &[Field] = &[
    Field::opt("age_band", Kind::OneOf(AGE_BANDS)),
    Field::opt("sex", Kind::OneOf(&["F", "M", "O", "U"])),
];
const OUTPUT: &[Field] = &[
    Field::req("status", Kind::OneOf(&["ok", "failed"])),
    Field::req("latency_ms", Kind::Number),
    Field::opt("features", Kind::NumberMap),
];

/// The wire shape of [`EventItem`], checked field by field before serde parses it.
pub const EVENT_SHAPE: &[Field] = &[
    Field::req("event_id", Kind::Uuid),
    Field::req("model", Kind::Text),
    Field::req("model_version", Kind::Text),
    Field::req("occurred_at", Kind::Time),
    Field::req("case_ref", Kind::Text),
    Field::req("modality", Kind::OneOf(&["CT", "CBCT", "MR"])),
    Field::req("scanner", Kind::Object(SCANNER)),
    Field::req("acquisition", Kind::Object(ACQUISITION)),
    Field::opt("demographics", Kind::Object(DEMOGRAPHICS)),
    Field::req("input_features", Kind::NumberMap),
    Field::req("output", Kind::Object(OUTPUT)),
];

/// Default clock skew tolerated for timestamps in the future (`max_clock_skew_s`).
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(10);

/// The plausible window for reported times: not after `now + max_skew` (a site's clock may run
/// a little ahead), not before `earliest` (a default or mistyped year, e.g. 1970 or 0202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBounds {
    pub now: DateTime<Utc>,
    pub max_skew: Duration,
    pub earliest: DateTime<Utc>,
}

impl TimeBounds {
    /// Bounds at `now` with the default skew and no practical lower limit (year 2000).
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now,
            max_skew: MAX_CLOCK_SKEW,
            earliest: DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or(now),
        }
    }

    /// The issue for `field` at `path` when `t` is implausible: codes `in_future` and
    /// `before_earliest`.
    pub fn check(&self, t: DateTime<Utc>, index: usize, path: String) -> Option<FieldIssue> {
        let field = path.rsplit('.').next().unwrap_or("time").to_string();
        if t > self.now + self.max_skew {
            let skew = self.max_skew.num_seconds();
            return Some(FieldIssue::new(
                index,
                path,
                "in_future",
                format!("{field} lies in the future (more than {skew} s after the server's clock)"),
            ));
        }
        if t < self.earliest {
            let day = self.earliest.format("%Y-%m-%d");
            return Some(FieldIssue::new(
                index,
                path,
                "before_earliest",
                format!("{field} lies before the earliest accepted date {day}"),
            ));
        }
        None
    }
}

/// Semantic checks of one event against its model's schema.
pub fn check_event(
    item: &EventItem,
    index: usize,
    schema: &FeatureSchema,
    bounds: &TimeBounds,
) -> Vec<FieldIssue> {
    let at = format!("events[{index}]");
    let mut issues = Vec::new();
    issues.extend(bounds.check(item.occurred_at, index, format!("{at}.occurred_at")));
    let mut bad = |field: &str, code: &str, msg: &str| {
        issues.push(FieldIssue::new(index, format!("{at}.{field}"), code, msg));
    };
    for (field, value) in [
        ("scanner.manufacturer", &item.scanner.manufacturer),
        ("scanner.model", &item.scanner.model),
    ] {
        if value.trim().is_empty() || value.chars().count() > SCANNER_TEXT_MAX_CHARS {
            bad(field, "invalid_value", "must be 1-64 characters");
        }
    }
    let a = &item.acquisition;
    let ranges = [
        (
            "acquisition.slice_thickness_mm",
            Some(a.slice_thickness_mm),
            0.01,
            50.0,
        ),
        (
            "acquisition.pixel_spacing_mm",
            Some(a.pixel_spacing_mm),
            0.01,
            10.0,
        ),
        ("acquisition.kvp", a.kvp, 20.0, 200.0),
        (
            "acquisition.field_strength_t",
            a.field_strength_t,
            0.01,
            12.0,
        ),
        (
            "output.latency_ms",
            Some(item.output.latency_ms),
            0.0,
            86_400_000.0,
        ),
    ];
    for (field, value, lo, hi) in ranges {
        if value.is_some_and(|v| !(lo..=hi).contains(&v)) {
            bad(field, "out_of_range", &format!("must lie in [{lo}, {hi}]"));
        }
    }
    check_features(
        &mut issues,
        index,
        &format!("{at}.input_features"),
        &item.input_features,
        schema,
        FeatureKind::Input,
    );
    check_features(
        &mut issues,
        index,
        &format!("{at}.output.features"),
        &item.output.features,
        schema,
        FeatureKind::Output,
    );
    issues
}

fn check_features(
    issues: &mut Vec<FieldIssue>,
    index: usize,
    at: &str,
    values: &BTreeMap<String, f64>,
    schema: &FeatureSchema,
    kind: FeatureKind,
) {
    for (name, value) in values {
        let path = format!("{at}.{name}");
        match schema.find(kind, name) {
            None => issues.push(FieldIssue::new(
                index,
                path,
                "unknown_feature",
                "feature is not declared in the model version's schema",
            )),
            Some(spec) if !(spec.min..=spec.max).contains(value) => issues.push(FieldIssue::new(
                index,
                path,
                "out_of_range",
                format!(
                    "outside the declared plausible range [{}, {}]",
                    spec.min, spec.max
                ),
            )),
            Some(_) => {}
        }
    }
}
