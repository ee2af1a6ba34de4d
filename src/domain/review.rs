//! Wire protocol v1: a clinician's review of one AI output, and its semantic checks.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::FieldIssue;
use super::event::TimeBounds;
use super::site::check_identifier;
use super::wire_check::{Field, Kind};

/// What the clinician did with the AI contour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Edited,
    Rejected,
}

/// How much the correction mattered clinically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    None,
    Minor,
    Major,
    ClinicallyRelevant,
}

/// Agreement between the AI contour and the corrected one, for one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelMetrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dice: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hd95_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assd_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsd: Option<f64>,
}

/// One review, exactly as sites send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewItem {
    /// UUID chosen by the site; the idempotency key.
    pub review_id: Uuid,
    /// The inference event reviewed; must exist and belong to the same site.
    pub event_id: Uuid,
    pub reviewed_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub severity: Severity,
    /// Per-label metrics computed by the site, keyed by label name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<BTreeMap<String, LabelMetrics>>,
}

const LABEL_METRICS: &[Field] = &[
    Field::opt("dice", Kind::Number),
    Field::opt("hd95_mm", Kind::Number),
    Field::opt("assd_mm", Kind::Number),
    Field::opt("nsd", Kind::Number),
];

/// The wire shape of [`ReviewItem`], checked field by field before serde parses it.
pub const REVIEW_SHAPE: &[Field] = &[
    Field::req("review_id", Kind::Uuid),
    Field::req("event_id", Kind::Uuid),
    Field::req("reviewed_at", Kind::Time),
    Field::req("outcome", Kind::OneOf(&["accepted", "edited", "rejected"])),
    Field::req(
        "severity",
        Kind::OneOf(&["none", "minor", "major", "clinically_relevant"]),
    ),
    Field::opt("metrics", Kind::ObjectMap(LABEL_METRICS)),
];

/// A review dated before its event is refused (`review_before_event`): a clinician cannot
/// correct an output that did not exist yet.
pub fn check_review_after_event(
    item: &ReviewItem,
    index: usize,
    event_at: DateTime<Utc>,
) -> Option<FieldIssue> {
    (item.reviewed_at < event_at).then(|| {
        FieldIssue::new(
            index,
            format!("reviews[{index}].reviewed_at"),
            "review_before_event",
            "reviewed_at lies before the reviewed event's occurred_at",
        )
    })
}

/// Semantic checks of one review (existence of its event is checked against storage).
pub fn check_review(item: &ReviewItem, index: usize, bounds: &TimeBounds) -> Vec<FieldIssue> {
    let at = format!("reviews[{index}]");
    let mut issues = Vec::new();
    issues.extend(bounds.check(item.reviewed_at, index, format!("{at}.reviewed_at")));
    for (label, m) in item.metrics.iter().flatten() {
        let path = format!("{at}.metrics.{label}");
        if check_identifier("label", label).is_err() {
            issues.push(FieldIssue::new(
                index,
                path.clone(),
                "invalid_value",
                "label names use a-z, 0-9, '.', '_' or '-'",
            ));
        }
        let unit = [("dice", m.dice), ("nsd", m.nsd)];
        let dist = [("hd95_mm", m.hd95_mm), ("assd_mm", m.assd_mm)];
        for (name, v) in unit {
            if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                issues.push(FieldIssue::new(
                    index,
                    format!("{path}.{name}"),
                    "out_of_range",
                    "must lie in [0, 1]",
                ));
            }
        }
        for (name, v) in dist {
            if v.is_some_and(|v| !(0.0..=10_000.0).contains(&v)) {
                issues.push(FieldIssue::new(
                    index,
                    format!("{path}.{name}"),
                    "out_of_range",
                    "must lie in [0, 10000] mm",
                ));
            }
        }
    }
    issues
}
