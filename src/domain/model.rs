//! A registered model version and its declared feature schema: which input and output features
//! sites may report, and the plausible range of each. Events naming undeclared features or
//! implausible values are refused at the door, so drift monitoring sees only declared signals.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::site::check_identifier;

/// Whether a feature describes the model's input or its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    Input,
    Output,
}

/// One declared feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Name sites use as the key, e.g. `hu_mean` (a-z, 0-9, `_`, `.`, `-`).
    pub name: String,
    pub kind: FeatureKind,
    /// Smallest plausible value (inclusive).
    pub min: f64,
    /// Largest plausible value (inclusive).
    pub max: f64,
    /// Unit for people, e.g. `HU`, `ml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// The features a model version declares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureSchema {
    pub features: Vec<FeatureSpec>,
}

impl FeatureSchema {
    /// Check names, uniqueness and ranges.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for f in &self.features {
            check_identifier("feature name", &f.name)?;
            if !seen.insert(&f.name) {
                return Err(format!("feature {:?} is declared twice", f.name));
            }
            if !(f.min.is_finite() && f.max.is_finite() && f.min <= f.max) {
                return Err(format!("feature {:?} needs finite min <= max", f.name));
            }
        }
        Ok(())
    }

    /// The declared feature of that kind and name.
    pub fn find(&self, kind: FeatureKind, name: &str) -> Option<&FeatureSpec> {
        self.features
            .iter()
            .find(|f| f.kind == kind && f.name == name)
    }
}

/// A registered model version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelVersion {
    pub id: String,
    /// Model name, e.g. `liver-seg`.
    pub name: String,
    /// Semantic version, e.g. `2.3.0`.
    pub version: String,
    pub feature_schema: FeatureSchema,
    pub created_at: DateTime<Utc>,
}

/// Validate a semantic version `MAJOR.MINOR.PATCH[-pre][+build]`.
pub fn check_version(v: &str) -> Result<(), String> {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()));
    let tail_ok = v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    if numeric && tail_ok {
        Ok(())
    } else {
        Err("model version must be a semantic version such as 2.3.0".into())
    }
}

/// The stable id of a model version: `name@version`.
pub fn model_id(name: &str, version: &str) -> String {
    format!("{name}@{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, min: f64, max: f64) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            kind: FeatureKind::Input,
            min,
            max,
            unit: None,
        }
    }

    #[test]
    fn schema_rejects_duplicates_bad_names_and_ranges() {
        let ok = FeatureSchema {
            features: vec![spec("hu_mean", -1024.0, 3071.0)],
        };
        assert!(ok.validate().is_ok());
        let dup = FeatureSchema {
            features: vec![spec("a", 0.0, 1.0), spec("a", 0.0, 1.0)],
        };
        assert!(dup.validate().is_err());
        assert!(
            FeatureSchema {
                features: vec![spec("Bad Name", 0.0, 1.0)]
            }
            .validate()
            .is_err()
        );
        assert!(
            FeatureSchema {
                features: vec![spec("x", 2.0, 1.0)]
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn versions_are_semantic() {
        for good in ["2.3.0", "10.4.1-rc.2", "1.0.0+build.7"] {
            assert!(check_version(good).is_ok(), "{good}");
        }
        for bad in ["2.3", "v2.3.0", "2.3.x", "", "1.2.3 4"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
