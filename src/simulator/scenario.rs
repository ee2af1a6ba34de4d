//! A simulation scenario: the fleet's traffic and the changes injected into it, read from a
//! strict TOML file (unknown keys are refused; every error names its field).
//!
//! ```toml
//! [fleet]                      # all optional, defaults shown
//! cases_per_day = 100          # mean cases per site per day (Poisson)
//! review_rate = 0.2            # share of cases a clinician reviews
//!
//! [[changes]]
//! kind = "intensity_shift"     # hu_mean and hu_std move by shift_sd reference SDs
//! site = 3                     # 1-based site number (sim-site-03)
//! from_day = 40                # 0-based day of the simulation from which it applies
//! shift_sd = 0.25
//!
//! [[changes]]
//! kind = "dice_drop"           # every reviewed Dice of the label falls by `drop`
//! site = 7
//! from_day = 30
//! label = "liver"              # liver | tumor
//! drop = 0.03
//!
//! [[changes]]
//! kind = "protocol_change"     # a new protocol: the site's slice thickness becomes this;
//! site = 11                    # noise_sd grows by sqrt(old/new), latency by old/new
//! from_day = 50
//! slice_thickness_mm = 0.625
//! ```

use serde::{Deserialize, Serialize};

use super::demo::LABELS;

/// The built-in scenario (also shipped as `deploy/scenarios/default.toml`; a test keeps them
/// identical): a scanner upgrade at site 3, a liver Dice drop at site 7, thinner slices at
/// site 11, every other site unchanged.
pub const DEFAULT_SCENARIO: &str = r#"# Vigil fleet simulator: the built-in scenario (`vigil simulate` without --scenario).
# Sites are numbered from 1 (sim-site-01 ...); days from 0 (the first simulated day).

[fleet]
cases_per_day = 100     # mean cases per site per day (Poisson)
review_rate = 0.2       # share of cases a clinician reviews (about 20 reviews/day/site)

# A scanner upgrade: the input intensity features (hu_mean, hu_std) move by 0.25 reference SDs.
[[changes]]
kind = "intensity_shift"
site = 3
from_day = 40
shift_sd = 0.25

# The liver contour gets worse: every reviewed liver Dice falls by 0.03.
[[changes]]
kind = "dice_drop"
site = 7
from_day = 30
label = "liver"
drop = 0.03

# A new protocol with thinner slices: noisier images, longer inference.
[[changes]]
kind = "protocol_change"
site = 11
from_day = 50
slice_thickness_mm = 0.625
"#;

/// A parsed scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub fleet: FleetTraffic,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// Traffic every site sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetTraffic {
    /// Mean cases per site per day (the daily count is Poisson).
    pub cases_per_day: f64,
    /// Share of cases a clinician reviews.
    pub review_rate: f64,
}

impl Default for FleetTraffic {
    fn default() -> Self {
        Self {
            cases_per_day: 100.0,
            review_rate: 0.2,
        }
    }
}

/// One injected change: from `from_day` on, at site `site`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// The input intensity features shift by `shift_sd` of their reference SD.
    IntensityShift {
        site: u32,
        from_day: u32,
        shift_sd: f64,
    },
    /// Reviewed Dice of `label` falls by `drop`.
    DiceDrop {
        site: u32,
        from_day: u32,
        label: String,
        drop: f64,
    },
    /// The site's slice thickness becomes `slice_thickness_mm`.
    ProtocolChange {
        site: u32,
        from_day: u32,
        slice_thickness_mm: f64,
    },
}

impl Change {
    /// The 1-based site the change applies to.
    pub fn site(&self) -> u32 {
        match self {
            Change::IntensityShift { site, .. }
            | Change::DiceDrop { site, .. }
            | Change::ProtocolChange { site, .. } => *site,
        }
    }

    /// The first day the change applies.
    pub fn from_day(&self) -> u32 {
        match self {
            Change::IntensityShift { from_day, .. }
            | Change::DiceDrop { from_day, .. }
            | Change::ProtocolChange { from_day, .. } => *from_day,
        }
    }

    /// Whether the change is in force at `site` on `day`.
    pub fn applies(&self, site: u32, day: u32) -> bool {
        self.site() == site && day >= self.from_day()
    }

    /// The change's kind as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::IntensityShift { .. } => "intensity_shift",
            Change::DiceDrop { .. } => "dice_drop",
            Change::ProtocolChange { .. } => "protocol_change",
        }
    }
}

/// Why a scenario was refused; `field` names where (e.g. `changes[1].site`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid scenario at {field}: {message}")]
pub struct ScenarioError {
    pub field: String,
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        field: field.into(),
        message: message.into(),
    }
}

impl Scenario {
    /// Parse strictly and check everything that does not depend on the fleet's size.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let field = match e.span() {
                Some(span) => format!("line {}", line_of(text, span.start)),
                None => "(toml)".into(),
            };
            err(field, e.message().to_string())
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The built-in scenario.
    pub fn builtin() -> Self {
        // The constant is covered by a unit test, so this cannot fail at run time.
        Self::parse(DEFAULT_SCENARIO).unwrap_or_default()
    }

    /// The built-in scenario without the changes a fleet of `sites` x `days` cannot hold,
    /// and the number left out.
    pub fn builtin_for(sites: u32, days: u32) -> (Self, usize) {
        let mut s = Self::builtin();
        let before = s.changes.len();
        s.changes
            .retain(|c| c.site() <= sites && c.from_day() < days);
        let dropped = before - s.changes.len();
        (s, dropped)
    }

    /// Magnitudes, labels and rates.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let f = &self.fleet;
        if !(f.cases_per_day > 0.0 && f.cases_per_day <= 100_000.0) {
            return Err(err("fleet.cases_per_day", "must lie in (0, 100000]"));
        }
        if !(0.0..=1.0).contains(&f.review_rate) {
            return Err(err("fleet.review_rate", "must lie in [0, 1]"));
        }
        for (i, c) in self.changes.iter().enumerate() {
            validate_change(c).map_err(|(field, m)| err(format!("changes[{i}].{field}"), m))?;
        }
        Ok(())
    }

    /// Check that every change names a site and a day of a fleet of `sites` x `days`.
    pub fn check_fleet(&self, sites: u32, days: u32) -> Result<(), ScenarioError> {
        for (i, c) in self.changes.iter().enumerate() {
            if !(1..=sites).contains(&c.site()) {
                return Err(err(
                    format!("changes[{i}].site"),
                    format!("must lie in 1..={sites} (the simulated sites)"),
                ));
            }
            if c.from_day() >= days {
                return Err(err(
                    format!("changes[{i}].from_day"),
                    format!("must be below {days} (the simulated days)"),
                ));
            }
        }
        Ok(())
    }
}

/// The 1-based line holding byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

fn validate_change(c: &Change) -> Result<(), (&'static str, String)> {
    if c.site() == 0 {
        return Err(("site", "sites are numbered from 1".into()));
    }
    match c {
        Change::IntensityShift { shift_sd, .. } => {
            if !(shift_sd.is_finite() && *shift_sd != 0.0 && shift_sd.abs() <= 10.0) {
                return Err(("shift_sd", "must be non-zero and within [-10, 10]".into()));
            }
        }
        Change::DiceDrop { label, drop, .. } => {
            if !LABELS.contains(&label.as_str()) {
                return Err(("label", format!("must be one of {LABELS:?}")));
            }
            if !(*drop > 0.0 && *drop <= 0.5) {
                return Err(("drop", "must lie in (0, 0.5]".into()));
            }
        }
        Change::ProtocolChange {
            slice_thickness_mm, ..
        } => {
            if !(0.1..=10.0).contains(slice_thickness_mm) {
                return Err(("slice_thickness_mm", "must lie in [0.1, 10] mm".into()));
            }
        }
    }
    Ok(())
}
