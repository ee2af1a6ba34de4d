//! A finding: one evaluated indicator (a feature's drift test, a quality indicator, a chart
//! point) for one stratum and window, with its statistic, interval or p-values, the limit it
//! is held against, and a fingerprint of exactly the data it was computed from.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which window a finding covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// One UTC day (a chart point).
    Day,
    /// Non-overlapping windows of `tumbling_days`.
    Tumbling,
    /// The trailing `rolling_days` ending with a tumbling window.
    Rolling,
}

impl WindowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Day => "day",
            WindowKind::Tumbling => "tumbling",
            WindowKind::Rolling => "rolling",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [WindowKind::Day, WindowKind::Tumbling, WindowKind::Rolling]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Outcome of one evaluated indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// Tested; within its limit.
    Ok,
    /// Tested; crosses its limit (drift after FDR control, interval beyond the limit, chart
    /// beyond its decision interval).
    Signal,
    /// Not tested: fewer observations than the plan's minimum, or nothing to compare with.
    Insufficient,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Ok => "ok",
            FindingStatus::Signal => "signal",
            FindingStatus::Insufficient => "insufficient",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            FindingStatus::Ok,
            FindingStatus::Signal,
            FindingStatus::Insufficient,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One evaluated indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    /// `all` or `dimension=value`, e.g. `site=st-lukas`.
    pub stratum: String,
    pub window: WindowKind,
    pub window_start: NaiveDate,
    /// Exclusive.
    pub window_end: NaiveDate,
    /// The first day within the window that holds data the finding was computed from (a
    /// rolling window at the start of monitoring begins later than `window_start`).
    #[serde(default)]
    pub window_from: Option<NaiveDate>,
    /// The last day within the window that holds such data (inclusive).
    #[serde(default)]
    pub window_to: Option<NaiveDate>,
    /// How many days of the window hold such data.
    #[serde(default)]
    pub days_with_data: Option<u32>,
    /// The stream: `drift:<feature>`, `mean_dice:<label>`, `below_floor:<label>`,
    /// `edit_rate`, `rejection_rate`.
    pub rule: String,
    /// `ks`, `chi2`, `psi`, `t_interval`, `wilson`, `cusum`, `ewma`, ...
    pub method: String,
    pub status: FindingStatus,
    /// Observations used (cases or reviews).
    pub n: u64,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    /// Benjamini-Hochberg adjusted p-value across the window's family of drift tests.
    pub q_value: Option<f64>,
    /// The indicator's value: a mean, a proportion, a chart statistic.
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The threshold the finding is held against (FDR level, limit, decision interval).
    pub limit: Option<f64>,
    /// SHA-256 over the sorted content hashes of the events or reviews used.
    pub fingerprint: String,
    pub note: Option<String>,
}

impl Finding {
    /// A finding with its key and data, not yet evaluated (status insufficient).
    pub fn new(
        stratum: &str,
        window: (WindowKind, NaiveDate, NaiveDate),
        rule: String,
        method: &str,
        n: u64,
        fingerprint: String,
    ) -> Self {
        Finding {
            stratum: stratum.to_string(),
            window: window.0,
            window_start: window.1,
            window_end: window.2,
            window_from: None,
            window_to: None,
            days_with_data: None,
            rule,
            method: method.to_string(),
            status: FindingStatus::Insufficient,
            n,
            statistic: None,
            p_value: None,
            q_value: None,
            estimate: None,
            ci_low: None,
            ci_high: None,
            limit: None,
            fingerprint,
            note: None,
        }
    }

    /// Label the finding with the days its data actually come from: the first and last
    /// such day and how many there are (none when `days` is empty).
    pub fn with_data_days(mut self, days: impl IntoIterator<Item = NaiveDate>) -> Self {
        let days: std::collections::BTreeSet<NaiveDate> = days.into_iter().collect();
        self.window_from = days.first().copied();
        self.window_to = days.last().copied();
        self.days_with_data = Some(u32::try_from(days.len()).unwrap_or(u32::MAX));
        self
    }

    /// Mark as not tested, saying why.
    pub fn insufficient(mut self, why: impl Into<String>) -> Self {
        self.status = FindingStatus::Insufficient;
        self.note = Some(why.into());
        self
    }
}

/// Fingerprint of a data set: SHA-256 over its content hashes in sorted order, so the same
/// rows give the same fingerprint however they were loaded.
pub fn fingerprint<'a>(hashes: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = hashes.collect();
    all.sort_unstable();
    let mut h = Sha256::new();
    for s in all {
        h.update(s.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_order_but_not_content() {
        let a = fingerprint(["x", "y"].into_iter());
        assert_eq!(a, fingerprint(["y", "x"].into_iter()));
        assert_ne!(a, fingerprint(["x", "z"].into_iter()));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn data_days_are_the_distinct_days_present() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 3, n).unwrap();
        let w = (WindowKind::Rolling, d(1), d(29));
        let f = Finding::new("all", w, "edit_rate".into(), "wilson", 4, String::new())
            .with_data_days([d(27), d(26), d(27), d(28)]);
        assert_eq!((f.window_from, f.window_to), (Some(d(26)), Some(d(28))));
        assert_eq!(f.days_with_data, Some(3));
        let none = Finding::new("all", w, "edit_rate".into(), "wilson", 0, String::new())
            .with_data_days([]);
        assert_eq!((none.window_from, none.days_with_data), (None, Some(0)));
    }
}
