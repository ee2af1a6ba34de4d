//! Retraining requests (pure part): the criteria the ML team states, and how reviewed cases
//! are selected into the manifest that goes to the training pipeline. The manifest lists
//! pseudonymous case references and metrics only, never patient data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the ML team asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrainingCriteria {
    /// Model name (all its registered versions).
    pub model: String,
    /// Reviews from this time on (inclusive).
    pub from: DateTime<Utc>,
    /// Reviews before this time (exclusive).
    pub to: DateTime<Utc>,
    /// Only these sites; empty: all.
    #[serde(default)]
    pub sites: Vec<String>,
    /// With `dice_below`: the label whose Dice is compared.
    #[serde(default)]
    pub label: Option<String>,
    /// Only cases whose Dice for `label` is below this value.
    #[serde(default)]
    pub dice_below: Option<f64>,
    /// Only these review outcomes (accepted, edited, rejected); empty: all.
    #[serde(default)]
    pub outcomes: Vec<String>,
    /// Drifted features that motivated the request (recorded as provenance).
    #[serde(default)]
    pub drifted_features: Vec<String>,
    /// Why, in words (recorded as provenance).
    #[serde(default)]
    pub reason: String,
}

impl RetrainingCriteria {
    pub fn validate(&self) -> Result<(), String> {
        if self.to <= self.from {
            return Err("`to` must be after `from`".into());
        }
        if self.dice_below.is_some() != self.label.is_some() {
            return Err("`dice_below` and `label` go together".into());
        }
        if self.dice_below.is_some_and(|d| !(0.0..=1.0).contains(&d)) {
            return Err("`dice_below` must lie in [0, 1]".into());
        }
        let known = ["accepted", "edited", "rejected"];
        if let Some(o) = self.outcomes.iter().find(|o| !known.contains(&o.as_str())) {
            return Err(format!("unknown outcome {o:?}"));
        }
        Ok(())
    }
}

/// One reviewed case as storage returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManifestCase {
    pub case_ref: String,
    pub event_id: String,
    pub review_id: String,
    pub site_id: String,
    pub model_version: String,
    pub occurred_at: DateTime<Utc>,
    pub reviewed_at: DateTime<Utc>,
    pub outcome: String,
    pub severity: String,
    /// Metrics the site sent, per label.
    #[schema(value_type = Object)]
    pub metrics: Option<serde_json::Value>,
    /// Metrics Vigil computed from uploaded masks, per label.
    #[schema(value_type = Object)]
    pub server_metrics: Option<serde_json::Value>,
    /// Blob reference of the archived de-identified volume and mask, when archived.
    pub archive_ref: Option<String>,
}

/// The Dice of `label` for a case: Vigil's own computation first, else the site's.
pub fn case_dice(case: &ManifestCase, label: &str) -> Option<f64> {
    let server = case.server_metrics.as_ref().and_then(|m| {
        m.as_array()?
            .iter()
            .find(|l| l["label"].to_string().trim_matches('"') == label)?["dice"]
            .as_f64()
    });
    server.or_else(|| case.metrics.as_ref()?.get(label)?.get("dice")?.as_f64())
}

/// Keep the cases the criteria select (time and site filters are applied by the query).
pub fn select_cases(cases: Vec<ManifestCase>, c: &RetrainingCriteria) -> Vec<ManifestCase> {
    cases
        .into_iter()
        .filter(|case| c.outcomes.is_empty() || c.outcomes.contains(&case.outcome))
        .filter(|case| match (&c.label, c.dice_below) {
            (Some(label), Some(limit)) => case_dice(case, label).is_some_and(|d| d < limit),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn case(
        outcome: &str,
        site_dice: Option<f64>,
        server: Option<serde_json::Value>,
    ) -> ManifestCase {
        let t = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        ManifestCase {
            case_ref: "a".repeat(64),
            event_id: "e".into(),
            review_id: "r".into(),
            site_id: "site-a".into(),
            model_version: "liver-seg@2.3.0".into(),
            occurred_at: t,
            reviewed_at: t,
            outcome: outcome.into(),
            severity: "minor".into(),
            metrics: site_dice.map(|d| json!({"liver": {"dice": d}})),
            server_metrics: server,
            archive_ref: None,
        }
    }

    fn criteria() -> RetrainingCriteria {
        let t = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        RetrainingCriteria {
            model: "liver-seg".into(),
            from: t,
            to: t + chrono::Duration::days(400),
            sites: vec![],
            label: Some("liver".into()),
            dice_below: Some(0.85),
            outcomes: vec![],
            drifted_features: vec![],
            reason: String::new(),
        }
    }

    #[test]
    fn dice_filter_prefers_server_metrics_and_drops_unknown() {
        let cases = vec![
            case("edited", Some(0.80), None),
            case("edited", Some(0.95), None),
            case(
                "edited",
                Some(0.95),
                Some(json!([{"label": "liver", "dice": 0.70}])),
            ),
            case("accepted", None, None),
        ];
        let picked = select_cases(cases, &criteria());
        let dice: Vec<f64> = picked
            .iter()
            .filter_map(|c| case_dice(c, "liver"))
            .collect();
        assert_eq!(dice, [0.80, 0.70]);
    }

    #[test]
    fn outcome_filter_and_validation() {
        let mut c = criteria();
        (c.label, c.dice_below, c.outcomes) = (None, None, vec!["rejected".into()]);
        assert_eq!(
            select_cases(
                vec![case("edited", None, None), case("rejected", None, None)],
                &c
            )
            .len(),
            1
        );
        assert!(c.validate().is_ok());
        c.dice_below = Some(0.5);
        assert!(c.validate().is_err(), "dice_below without label");
        c.outcomes = vec!["maybe".into()];
        c.label = Some("liver".into());
        assert!(c.validate().is_err());
    }
}
