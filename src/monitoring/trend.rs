//! The PMS plan's trend section (MDR Art. 88): which event classes are trended (each with its
//! IMDRF codes, what counts as one event in the daily rollups, the expected rate and where that
//! rate comes from), the denominator, the method (exact Poisson or binomial test of the
//! observation period's count, or a Poisson CUSUM on the daily rates), alpha and the
//! observation period. Declared before the data is seen and versioned with the rest of the
//! plan; the evaluation (`trend_eval.rs`) only reads it.

use serde::{Deserialize, Serialize};

use super::plan::PlanError;
use crate::vigilance::imdrf::{Annex, CodeList};

/// `[trend]` of a PMS plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendPlan {
    /// The trailing whole UTC days each evaluation looks at, ending with the day evaluated.
    pub observation_days: u32,
    pub method: TrendMethod,
    /// One-sided significance level of the exact tests.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// A signal needs at least this many events of the class in the period.
    #[serde(default = "default_min_events")]
    pub min_events: u64,
    /// What the rate is per: studies processed, inference events, or clinician reviews.
    pub denominator: Denominator,
    /// CUSUM only: the rate ratio the chart is tuned to detect (> 1).
    #[serde(default = "default_rate_ratio")]
    pub rate_ratio: f64,
    /// CUSUM only: the decision interval h of the log-likelihood-ratio CUSUM.
    #[serde(default = "default_decision_interval")]
    pub decision_interval: f64,
    pub classes: Vec<TrendClass>,
}

fn default_alpha() -> f64 {
    0.05
}
fn default_min_events() -> u64 {
    3
}
fn default_rate_ratio() -> f64 {
    2.0
}
fn default_decision_interval() -> f64 {
    4.0
}

/// How a class's observed count is compared with the expected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrendMethod {
    /// Exact one-sided Poisson test of the period's count against rate x denominator.
    Poisson,
    /// Exact one-sided binomial test: count events among `denominator` trials.
    Binomial,
    /// Poisson log-likelihood-ratio CUSUM over the period's days.
    Cusum,
}

/// The rollup measure a rate is expressed per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Denominator {
    Studies,
    Events,
    Reviews,
}

impl Denominator {
    /// The measure in the daily rollups.
    pub fn measure(self) -> &'static str {
        match self {
            Denominator::Studies => "studies",
            Denominator::Events => "events",
            Denominator::Reviews => "reviews",
        }
    }
}

/// One trended event class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendClass {
    pub name: String,
    /// IMDRF codes of the class (Annex A device problems, E clinical signs, F health impact).
    pub imdrf_codes: Vec<String>,
    /// What counts as one event: `MEASURE:VALUE` of the daily rollups, one of
    /// `review_outcome:{accepted,edited,rejected}`,
    /// `review_severity:{none,minor,major,clinically_relevant}`, `output_status:failed`.
    pub counts: String,
    /// Expected events per denominator unit (a probability for the binomial test).
    pub expected_rate: f64,
    /// Where the expected rate comes from (validation study, IFU claim, ...).
    pub rate_source: String,
}

impl TrendClass {
    /// (measure, value) of the rollup this class counts.
    pub fn rollup(&self) -> (&str, &str) {
        self.counts
            .split_once(':')
            .unwrap_or((self.counts.as_str(), ""))
    }
}

/// (measure, values, the denominator the count belongs to) a class may count.
const COUNTABLE: &[(&str, &[&str], Denominator)] = &[
    (
        "review_outcome",
        &["accepted", "edited", "rejected"],
        Denominator::Reviews,
    ),
    (
        "review_severity",
        &["none", "minor", "major", "clinically_relevant"],
        Denominator::Reviews,
    ),
    ("output_status", &["ok", "failed"], Denominator::Events),
];

fn err(field: impl Into<String>, message: impl Into<String>) -> PlanError {
    PlanError {
        field: field.into(),
        message: message.into(),
    }
}

impl TrendPlan {
    /// Check the section; errors name the key (`trend.classes[0].counts`).
    pub fn validate(&self) -> Result<(), PlanError> {
        if !(1..=3660).contains(&self.observation_days) {
            return Err(err("trend.observation_days", "must lie in 1..=3660"));
        }
        if !(self.alpha > 0.0 && self.alpha <= 0.5) {
            return Err(err("trend.alpha", "must lie in (0, 0.5]"));
        }
        if !(self.rate_ratio > 1.0 && self.rate_ratio.is_finite()) {
            return Err(err("trend.rate_ratio", "must be a finite number above 1"));
        }
        if !(self.decision_interval > 0.0 && self.decision_interval.is_finite()) {
            return Err(err("trend.decision_interval", "must be positive"));
        }
        if self.classes.is_empty() {
            return Err(err("trend.classes", "declare at least one event class"));
        }
        let codes = CodeList::current();
        let mut names = std::collections::BTreeSet::new();
        for (i, c) in self.classes.iter().enumerate() {
            let at = format!("trend.classes[{i}]");
            if c.name.trim().is_empty() || !names.insert(c.name.as_str()) {
                return Err(err(format!("{at}.name"), "must be set and unique"));
            }
            self.validate_class(c, &at, &codes)?;
        }
        Ok(())
    }

    fn validate_class(&self, c: &TrendClass, at: &str, codes: &CodeList) -> Result<(), PlanError> {
        let (measure, value) = c.rollup();
        let Some((_, _, belongs)) = COUNTABLE
            .iter()
            .find(|(m, values, _)| *m == measure && values.contains(&value))
        else {
            return Err(err(
                format!("{at}.counts"),
                "must be review_outcome:VALUE, review_severity:VALUE or output_status:VALUE",
            ));
        };
        if self.method == TrendMethod::Binomial && *belongs != self.denominator {
            let need = belongs.measure();
            return Err(err(
                format!("{at}.counts"),
                format!("a binomial test counts among its trials: use denominator = \"{need}\""),
            ));
        }
        let rate_ok = c.expected_rate > 0.0 && c.expected_rate.is_finite();
        if !rate_ok || (self.method == TrendMethod::Binomial && c.expected_rate >= 1.0) {
            return Err(err(
                format!("{at}.expected_rate"),
                "must be positive (below 1 for the binomial test)",
            ));
        }
        if c.rate_source.trim().is_empty() {
            return Err(err(
                format!("{at}.rate_source"),
                "name where the expected rate comes from",
            ));
        }
        if c.imdrf_codes.is_empty() {
            return Err(err(format!("{at}.imdrf_codes"), "list at least one code"));
        }
        for (j, code) in c.imdrf_codes.iter().enumerate() {
            let annex = match code.chars().next() {
                Some('A') => Annex::A,
                Some('E') => Annex::E,
                Some('F') => Annex::F,
                _ => {
                    return Err(err(
                        format!("{at}.imdrf_codes[{j}]"),
                        "must be an IMDRF Annex A, E or F code",
                    ));
                }
            };
            if let Err(e) = codes.check(annex, code) {
                return Err(err(format!("{at}.imdrf_codes[{j}]"), e.to_string()));
            }
        }
        Ok(())
    }
}
