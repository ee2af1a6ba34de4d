//! The PMS plan of one model (MDR Art. 84 and Annex III): monitored features and the test for
//! each, strata, windows, minimum sample size, FDR level, quality indicators with their
//! acceptance limits, the sequential chart and its target false-alarm rate, minimum cell size
//! for publication, and alert routing. Written in TOML by the quality team, uploaded as a new
//! version each time (never edited in place), and parsed strictly: unknown keys are refused.
//!
//! The full reference with every key, its default and its allowed values is
//! `deploy/plans/reference.toml` (a test uploads it and checks that it sets every key);
//! `deploy/plans/minimal.toml` is the smallest useful plan.

use serde::{Deserialize, Serialize};

use super::plan_sequential::validate_restart;
pub use super::plan_sequential::{Chart, ResetTo, Sequential};

/// A parsed, validated plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PmsPlan {
    pub model: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub windows: Windows,
    #[serde(default)]
    pub features: Vec<MonitoredFeature>,
    #[serde(default)]
    pub quality: Vec<QualityIndicator>,
    #[serde(default)]
    pub sequential: Sequential,
    #[serde(default)]
    pub alerts: AlertPolicy,
    /// Art. 88 trend reporting (`[trend]`, see `trend.rs`); absent: no trend evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<super::trend::TrendPlan>,
}

/// Evaluation windows, strata and the statistical controls shared by every test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Windows {
    pub tumbling_days: u32,
    pub rolling_days: u32,
    /// Strata with fewer events in a window are reported as insufficient, not tested.
    pub min_samples: u32,
    /// Benjamini-Hochberg false-discovery rate across each family of drift tests.
    pub fdr_q: f64,
    pub strata: Vec<Stratum>,
    /// Published tables suppress cells below this count.
    pub min_cell_k: u32,
    /// Smallest KS statistic D that counts as drift, besides its FDR-controlled p-value: at
    /// large n, negligible differences are significant (a 0.25-SD mean shift of a normal
    /// feature is D = 0.10). 0 disables it.
    pub min_effect: f64,
}

impl Default for Windows {
    fn default() -> Self {
        Self {
            tumbling_days: 7,
            rolling_days: 30,
            min_samples: 50,
            fdr_q: 0.05,
            strata: vec![Stratum::Site],
            min_cell_k: 5,
            min_effect: 0.1,
        }
    }
}

/// A dimension the monitor splits the data by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stratum {
    Site,
    Scanner,
    ScannerManufacturer,
    ScannerModel,
    Modality,
    AgeBand,
    Sex,
}

/// The drift test of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DriftTest {
    /// Two-sample Kolmogorov-Smirnov against the frozen reference (p-value, FDR-controlled).
    #[default]
    Ks,
    /// Chi-square homogeneity of category counts (the scanner column; p-value, FDR-controlled).
    Chi2,
    /// Population stability index on frozen reference bins (distance with threshold).
    Psi,
    /// Jensen-Shannon distance on frozen reference bins (distance with threshold).
    Js,
    /// Wasserstein-1 distance normed by the reference standard deviation.
    Wasserstein,
}

impl DriftTest {
    /// Distance measures need a threshold; hypothesis tests use the FDR level.
    pub fn is_distance(self) -> bool {
        matches!(
            self,
            DriftTest::Psi | DriftTest::Js | DriftTest::Wasserstein
        )
    }
}

/// One monitored feature. Without a `test`, a numeric column gets KS and a categorical one
/// (scanner, scanner_manufacturer, scanner_model, output_status) chi-square.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FeatureText")]
pub struct MonitoredFeature {
    pub name: String,
    pub test: DriftTest,
    pub threshold: Option<f64>,
}

/// A monitored feature as written in the plan.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureText {
    name: String,
    #[serde(default)]
    test: Option<DriftTest>,
    #[serde(default)]
    threshold: Option<f64>,
}

impl From<FeatureText> for MonitoredFeature {
    fn from(t: FeatureText) -> Self {
        let fitting = if super::columns::is_categorical(&t.name) {
            DriftTest::Chi2
        } else {
            DriftTest::Ks
        };
        Self {
            test: t.test.unwrap_or(fitting),
            name: t.name,
            threshold: t.threshold,
        }
    }
}

/// A quality indicator computed from clinician reviews.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "indicator", rename_all = "snake_case", deny_unknown_fields)]
pub enum QualityIndicator {
    /// Mean Dice of a label; alert when its 95% t-interval lies wholly below `limit`.
    MeanDice { label: String, limit: f64 },
    /// Share of cases with Dice below `floor`; alert when its Wilson interval lies wholly
    /// above `max_proportion`.
    BelowFloor {
        label: String,
        floor: f64,
        max_proportion: f64,
    },
    /// Share of reviews with outcome `edited`; alert when the Wilson interval exceeds `max`.
    EditRate { max: f64 },
    /// Share of reviews with outcome `rejected`; alert when the Wilson interval exceeds `max`.
    RejectionRate { max: f64 },
}

/// How alerts are raised and routed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertPolicy {
    /// No second alert for the same rule and stratum within this time.
    pub cooldown_hours: u32,
    /// Consecutive clear evaluations before an open alert resolves (hysteresis).
    pub clear_after: u32,
    /// Send every recipient one summary e-mail a day (alerts opened, still active).
    pub daily_digest: bool,
    /// A site or stratum that sent nothing for more than this many days raises its own
    /// alert (`silence`); 0 turns the check off. At most `windows.rolling_days`.
    pub silent_after_days: u32,
    pub recipients: Vec<Recipients>,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        Self {
            cooldown_hours: 24,
            clear_after: 2,
            daily_digest: false,
            silent_after_days: 3,
            recipients: vec![],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// Who receives alerts of `severity` and above.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    pub severity: Severity,
    pub emails: Vec<String>,
}

/// Why a plan was refused; `field` names where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid PMS plan at {field}: {message}")]
pub struct PlanError {
    pub field: String,
    pub message: String,
}

pub(super) fn err(field: impl Into<String>, message: impl Into<String>) -> PlanError {
    PlanError {
        field: field.into(),
        message: message.into(),
    }
}

impl PmsPlan {
    /// Parse TOML strictly and validate; `declared` are the model's declared feature names.
    pub fn parse(text: &str, declared: &[String]) -> Result<Self, PlanError> {
        let plan: PmsPlan =
            toml::from_str(text).map_err(|e| err("(toml)", e.message().to_string()))?;
        plan.validate(declared)?;
        Ok(plan)
    }

    /// Check every rule a plan must obey before it is accepted.
    pub fn validate(&self, declared: &[String]) -> Result<(), PlanError> {
        let w = &self.windows;
        if w.tumbling_days == 0 || w.rolling_days < w.tumbling_days {
            return Err(err("windows", "need 0 < tumbling_days <= rolling_days"));
        }
        if !(w.fdr_q > 0.0 && w.fdr_q < 1.0) {
            return Err(err("windows.fdr_q", "must lie in (0, 1)"));
        }
        if !(0.0..1.0).contains(&w.min_effect) {
            return Err(err("windows.min_effect", "must lie in [0, 1)"));
        }
        if w.min_samples < 2 || w.min_cell_k == 0 {
            return Err(err(
                "windows",
                "min_samples must be >= 2 and min_cell_k >= 1",
            ));
        }
        self.validate_features(declared)?;
        for (i, q) in self.quality.iter().enumerate() {
            validate_indicator(q).map_err(|m| err(format!("quality[{i}]"), m))?;
        }
        let s = &self.sequential;
        if !(s.arl0 >= 10.0 && s.arl0.is_finite() && s.shift_sd > 0.0 && s.shift_sd <= 10.0) {
            return Err(err("sequential", "need arl0 >= 10 and 0 < shift_sd <= 10"));
        }
        validate_restart(s)?;
        if let Some(trend) = &self.trend {
            trend.validate()?;
        }
        if self.alerts.silent_after_days > w.rolling_days {
            return Err(err(
                "alerts.silent_after_days",
                "must be at most windows.rolling_days (0 turns the check off)",
            ));
        }
        for (i, r) in self.alerts.recipients.iter().enumerate() {
            if r.emails.is_empty() || r.emails.iter().any(|e| !looks_like_email(e)) {
                return Err(err(
                    format!("alerts.recipients[{i}].emails"),
                    "need one or more e-mail addresses",
                ));
            }
        }
        Ok(())
    }

    fn validate_features(&self, declared: &[String]) -> Result<(), PlanError> {
        let mut seen = std::collections::BTreeSet::new();
        for (i, f) in self.features.iter().enumerate() {
            let at = format!("features[{i}]");
            if !declared.contains(&f.name) {
                return Err(err(
                    format!("{at}.name"),
                    format!(
                        "feature {:?} is not a column of the model; known: {}",
                        f.name,
                        declared.join(", ")
                    ),
                ));
            }
            if !seen.insert(&f.name) {
                return Err(err(at, format!("feature {:?} is listed twice", f.name)));
            }
            match (super::columns::is_categorical(&f.name), f.test) {
                (true, DriftTest::Ks | DriftTest::Wasserstein) => {
                    return Err(err(
                        at,
                        format!("{} is categorical: use chi2, psi or js", f.name),
                    ));
                }
                (false, DriftTest::Chi2) => {
                    return Err(err(
                        at,
                        "chi2 is for categorical columns (scanner, scanner_manufacturer, \
                         scanner_model, output_status): use ks",
                    ));
                }
                _ => {}
            }
            match (f.test.is_distance(), f.threshold) {
                (true, Some(t)) if t > 0.0 && t.is_finite() => {}
                (true, _) => return Err(err(at, "distance tests need a positive threshold")),
                (false, Some(_)) => {
                    return Err(err(
                        at,
                        "hypothesis tests use windows.fdr_q, not a threshold",
                    ));
                }
                (false, None) => {}
            }
        }
        Ok(())
    }

    /// Check the Dice labels the quality indicators name against the labels the model's
    /// baselines hold (`known`); with no baseline yet there is nothing to check against.
    pub fn validate_labels(&self, known: &[String]) -> Result<(), PlanError> {
        if known.is_empty() {
            return Ok(());
        }
        for (i, q) in self.quality.iter().enumerate() {
            let label = match q {
                QualityIndicator::MeanDice { label, .. }
                | QualityIndicator::BelowFloor { label, .. } => label,
                _ => continue,
            };
            if !known.contains(label) {
                return Err(err(
                    format!("quality[{i}].label"),
                    format!(
                        "Dice label {label:?} is not in the model's baseline; known: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The acceptance limit of a charted stream, in the unit of its daily values: the mean
    /// Dice indicator's `limit` for `mean_dice:<label>`; `None` for other streams.
    pub fn chart_acceptance_limit(&self, rule: &str) -> Option<f64> {
        let label = rule.strip_prefix("mean_dice:")?;
        self.quality.iter().find_map(|q| match q {
            QualityIndicator::MeanDice { label: l, limit } if l == label => Some(*limit),
            _ => None,
        })
    }

    /// E-mail addresses that receive alerts of `severity`.
    pub fn recipients_for(&self, severity: Severity) -> Vec<String> {
        let mut out: Vec<String> = self
            .alerts
            .recipients
            .iter()
            .filter(|r| severity >= r.severity)
            .flat_map(|r| r.emails.iter().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn validate_indicator(q: &QualityIndicator) -> Result<(), String> {
    let unit = |v: f64| (0.0..=1.0).contains(&v);
    let ok = match q {
        QualityIndicator::MeanDice { label, limit } => !label.is_empty() && unit(*limit),
        QualityIndicator::BelowFloor {
            label,
            floor,
            max_proportion,
        } => !label.is_empty() && unit(*floor) && unit(*max_proportion),
        QualityIndicator::EditRate { max } | QualityIndicator::RejectionRate { max } => unit(*max),
    };
    if ok {
        Ok(())
    } else {
        Err("limits, floors and proportions must lie in [0, 1]; labels must be named".into())
    }
}

fn looks_like_email(s: &str) -> bool {
    matches!(s.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace))
}

#[cfg(test)]
mod tests;
