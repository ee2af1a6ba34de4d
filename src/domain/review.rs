//! Wire protocol v1: a clinician's review of one AI output, and its semantic checks.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::FieldIssue;
use super::event::MAX_CLOCK_SKEW;
use super::site::check_identifier;

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

/// Semantic checks of one review (existence of its event is checked against storage).
pub fn check_review(item: &ReviewItem, index: usize, now: DateTime<Utc>) -> Vec<FieldIssue> {
    let at = format!("reviews[{index}]");
    let mut issues = Vec::new();
    if item.reviewed_at > now + MAX_CLOCK_SKEW {
        issues.push(FieldIssue::new(
            index,
            format!("{at}.reviewed_at"),
            "invalid_value",
            "timestamp lies in the future",
        ));
    }
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
