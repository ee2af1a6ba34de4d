//! The plan's `[sequential]` section: the chart run on each charted stream, its target
//! false-alarm rate and shift, and the CUSUM head start and restart after an alarm.

use serde::{Deserialize, Serialize};

use super::plan::{PlanError, err};

/// The sequential chart run on each quality series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sequential {
    pub chart: Chart,
    /// Target in-control average run length in daily points: a chart stream raises a false
    /// alarm 365 / arl0 times a year on average.
    pub arl0: f64,
    /// Shift to detect quickly, in standard deviations of the charted series: the daily mean's
    /// standard error (a shift of d case SDs at n cases a day is d * sqrt(n)). The default 2.5
    /// is 0.25 case SD at 100 cases a day; a reference value this large also keeps the small
    /// error of a frozen reference's mean from accumulating into false alarms.
    pub shift_sd: f64,
    /// CUSUM fast initial response (Lucas & Crosier 1982): the sums start at this fraction of
    /// the decision interval h, in [0, 1); 0 (the default) is no head start. The limit is then
    /// designed so that a run from the head start keeps `arl0`. EWMA charts take none.
    pub head_start: f64,
    /// Where the chart restarts after an alarm: `zero` (the default; the textbook
    /// convention) or `head_start` (needs `head_start > 0`; CUSUM only). EWMA restarts at 0.
    pub reset_to: ResetTo,
}

impl Default for Sequential {
    fn default() -> Self {
        Self {
            chart: Chart::Cusum,
            arl0: 2000.0,
            shift_sd: 2.5,
            head_start: 0.0,
            reset_to: ResetTo::Zero,
        }
    }
}

/// Where a chart restarts after an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetTo {
    #[default]
    Zero,
    HeadStart,
}

impl ResetTo {
    pub fn as_str(self) -> &'static str {
        match self {
            ResetTo::Zero => "zero",
            ResetTo::HeadStart => "head_start",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chart {
    Cusum,
    Ewma,
}

/// The head start and the restart: a fraction of h in [0, 1) for a CUSUM, none for an EWMA
/// (it starts at the target and restarts there), and a restart at the head start only when
/// there is one.
pub(super) fn validate_restart(s: &Sequential) -> Result<(), PlanError> {
    if !(0.0..1.0).contains(&s.head_start) {
        return Err(err(
            "sequential.head_start",
            "must lie in [0, 1): a fraction of the decision interval h (0.5 is the usual \
             fast initial response; 0 is none)",
        ));
    }
    if s.chart == Chart::Ewma && s.head_start != 0.0 {
        return Err(err(
            "sequential.head_start",
            "a head start is a CUSUM setting; an EWMA starts at the target: leave head_start \
             at 0 or use chart = \"cusum\"",
        ));
    }
    if s.reset_to == ResetTo::HeadStart && s.head_start == 0.0 {
        return Err(err(
            "sequential.reset_to",
            "reset_to = \"head_start\" needs a head_start > 0 (a CUSUM with a head start); \
             use \"zero\"",
        ));
    }
    Ok(())
}
