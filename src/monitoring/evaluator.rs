//! The monitor of one model version, day by day: chart points for every stratum, window tests
//! when a tumbling window closes, and per stream (stratum x rule) a signal for the alert
//! rules. The state (charts and the last window verdicts) is a plain value the caller stores
//! between runs, so a run picks up exactly where the last one stopped.
//!
//! Which finding drives which alert stream:
//! - `drift:<feature>`: the daily-mean chart, or drift in the last tumbling window (KS or
//!   chi-square after BH across the window's family, or a distance beyond its threshold).
//!   Tumbling windows do not overlap, so the false-alarm rate of the tests is calculable.
//! - `constant:<feature>`: a feature constant in the baseline, any value away from it (no
//!   chart, no window test: its spread is none).
//! - `mean_dice:<label>`: the lower-sided daily chart of mean Dice, or the 95% interval of the
//!   last rolling window lying wholly below the plan's limit.
//! - `below_floor:<label>`, `edit_rate`, `rejection_rate`: the Wilson interval of the last
//!   rolling window lying wholly above the plan's maximum.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::baseline::Baseline;
use super::charts::{ChartDesign, ChartState, Side, design, design_estimated};
use super::columns::{CaseObs, ReviewObs, StratumData, is_categorical, split};
use super::constant::{constant_finding, constant_of};
use super::explain::{Evidence, StreamFacts, explain, text, title};
use super::findings::{Finding, FindingStatus, WindowKind, fingerprint};
use super::plan::{PmsPlan, QualityIndicator, Severity};
use super::window_tests::{WindowInput, drift_findings, monitored_features, quality_findings};
use crate::stats::column_drift::ColumnReference;

/// Fewest observations a day needs to add a chart point.
pub const MIN_DAILY: usize = 5;

/// Tumbling windows are aligned to this Monday, so 7-day windows run Monday to Sunday.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 3).unwrap_or_default()
}

/// What a stream remembers between days and runs.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StreamState {
    pub chart: Option<ChartState>,
    pub chart_crossing: bool,
    pub window_signal: bool,
}

/// Every stream's state, keyed `stratum|rule`.
pub type MonitorState = BTreeMap<String, StreamState>;

fn key(stratum: &str, rule: &str) -> String {
    format!("{stratum}|{rule}")
}

/// One stream's evaluation for the alert rules.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSignal {
    pub stratum: String,
    pub rule: String,
    pub crossing: bool,
    pub severity: Severity,
    pub title: String,
    pub summary: String,
    /// What the signal rests on, in numbers (the title and summary say it in words).
    pub evidence: Evidence,
}

/// A plan and a baseline. Each chart point gets the limits designed for its own size against
/// the size of the reference it is compared with (see `charts`).
pub struct Monitor<'a> {
    pub plan: &'a PmsPlan,
    pub baseline: &'a Baseline,
    /// Units of the declared features (from the model's feature schema), for explanations.
    pub units: BTreeMap<String, String>,
}

impl<'a> Monitor<'a> {
    /// Refuses a plan whose chart cannot be designed even with known parameters.
    pub fn new(plan: &'a PmsPlan, baseline: &'a Baseline) -> Result<Self, String> {
        design(&plan.sequential, Side::Both)?;
        design(&plan.sequential, Side::Lower)?;
        Ok(Self {
            plan,
            baseline,
            units: BTreeMap::new(),
        })
    }

    /// Whether a tumbling window ends where `day_end` (exclusive) is.
    pub fn closes_window(&self, day_end: NaiveDate) -> bool {
        (day_end - epoch()).num_days() % i64::from(self.plan.windows.tumbling_days) == 0
    }

    /// Chart points of one day for every stratum; updates the charts in `state`.
    pub fn day(
        &self,
        state: &mut MonitorState,
        day: NaiveDate,
        cases: &[&CaseObs],
        reviews: &[&ReviewObs],
    ) -> Vec<Finding> {
        let window = (WindowKind::Day, day, day + Duration::days(1));
        let mut out = Vec::new();
        for (stratum, data) in split(
            &self.plan.windows.strata,
            cases.iter().copied(),
            reviews.iter().copied(),
        ) {
            out.extend(self.feature_points(state, &stratum, window, &data));
            out.extend(self.dice_points(state, &stratum, window, &data));
        }
        out.into_iter().map(|f| f.with_data_days([day])).collect()
    }

    /// A chart point per monitored numeric feature; a feature constant in the baseline is
    /// watched for any change instead (`constant`).
    fn feature_points(
        &self,
        state: &mut MonitorState,
        stratum: &str,
        window: (WindowKind, NaiveDate, NaiveDate),
        data: &StratumData<'_>,
    ) -> Vec<Finding> {
        let reference = self.baseline.for_stratum(stratum);
        let mut out = Vec::new();
        for f in monitored_features(self.plan, &reference.features) {
            let Some(ColumnReference::Numeric(r)) = reference
                .features
                .columns
                .iter()
                .find(|c| c.name == f.name && !is_categorical(&f.name))
                .map(|c| &c.reference)
            else {
                continue;
            };
            let values: Vec<f64> = data
                .cases
                .iter()
                .filter_map(|c| c.numeric.get(&f.name).copied())
                .filter(|v| !v.is_nan())
                .collect();
            let hashes = data.cases.iter().map(|c| c.content_hash.as_str());
            if let Some(constant) = constant_of(r) {
                let at = (stratum, window.1, f.name.as_str());
                let found = constant_finding(constant, at, &values, hashes);
                if let Some(found) = found {
                    let s = state.entry(key(stratum, &found.rule)).or_default();
                    s.chart_crossing = found.status == FindingStatus::Signal;
                    out.push(found);
                }
                continue;
            }
            let point = Point {
                mean0: r.mean,
                sd0: r.std,
                reference_n: r.sorted.len(),
                side: Side::Both,
            };
            let rule = format!("drift:{}", f.name);
            out.extend(self.chart_point(state, stratum, window, rule, &values, point, hashes));
        }
        out
    }

    /// A lower-sided chart point per mean-Dice indicator.
    fn dice_points(
        &self,
        state: &mut MonitorState,
        stratum: &str,
        window: (WindowKind, NaiveDate, NaiveDate),
        data: &StratumData<'_>,
    ) -> Vec<Finding> {
        let reference = self.baseline.for_stratum(stratum);
        let mut out = Vec::new();
        for q in &self.plan.quality {
            let QualityIndicator::MeanDice { label, .. } = q else {
                continue;
            };
            let Some(r) = reference.quality.get(label) else {
                continue;
            };
            let values: Vec<f64> = data
                .reviews
                .iter()
                .filter_map(|v| v.dice.get(label).copied())
                .collect();
            let hashes = data.reviews.iter().map(|c| c.content_hash.as_str());
            let point = Point {
                mean0: r.mean,
                sd0: r.sd,
                reference_n: r.n as usize,
                side: Side::Lower,
            };
            let rule = format!("mean_dice:{label}");
            out.extend(self.chart_point(state, stratum, window, rule, &values, point, hashes));
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn chart_point<'h>(
        &self,
        state: &mut MonitorState,
        stratum: &str,
        window: (WindowKind, NaiveDate, NaiveDate),
        rule: String,
        values: &[f64],
        point: Point,
        hashes: impl Iterator<Item = &'h str>,
    ) -> Option<Finding> {
        if values.len() < MIN_DAILY || point.sd0.is_nan() || point.sd0 <= 0.0 {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let method = format!("{:?}", self.plan.sequential.chart).to_lowercase();
        let mut f = Finding::new(
            stratum,
            window,
            rule,
            &method,
            values.len() as u64,
            fingerprint(hashes),
        );
        let design = match design_estimated(
            &self.plan.sequential,
            point.side,
            values.len(),
            point.reference_n,
        ) {
            Ok(d) => d,
            Err(why) => return Some(f.insufficient(why)),
        };
        let z = (mean - point.mean0) / (point.sd0 / n.sqrt());
        let s = state.entry(key(stratum, &f.rule)).or_default();
        let start = s.chart.unwrap_or_else(|| ChartState::start(&design));
        let (chart, stat, crossing) = start.step(&design, z);
        (s.chart, s.chart_crossing) = (Some(chart), crossing);
        (f.statistic, f.estimate, f.limit) = (Some(stat), Some(mean), Some(design.h));
        f.note = Some(if chart.alarm {
            format!(
                "alarm {}: the statistic passed h and the chart restarts at {} for the next \
                 point; {}",
                chart.alarms,
                match design.restart_value() {
                    r if r > 0.0 => format!("the head start ({r:.3})"),
                    _ => "zero".to_string(),
                },
                design.describe()
            )
        } else {
            design.describe()
        });
        f.status = if crossing {
            FindingStatus::Signal
        } else {
            FindingStatus::Ok
        };
        Some(f)
    }

    /// Window tests when a tumbling window closes at `end` (exclusive): drift on the
    /// tumbling window, quality on the rolling one. Records each stream's verdict.
    pub fn windows(
        &self,
        state: &mut MonitorState,
        end: NaiveDate,
        tumbling: (&[&CaseObs], &[&ReviewObs]),
        rolling: (&[&CaseObs], &[&ReviewObs]),
    ) -> Vec<Finding> {
        let w = &self.plan.windows;
        let t_window = (
            WindowKind::Tumbling,
            end - Duration::days(i64::from(w.tumbling_days)),
            end,
        );
        let r_window = (
            WindowKind::Rolling,
            end - Duration::days(i64::from(w.rolling_days)),
            end,
        );
        let mut out = Vec::new();
        let t_split = split(
            &w.strata,
            tumbling.0.iter().copied(),
            tumbling.1.iter().copied(),
        );
        for (stratum, data) in &t_split {
            let input = WindowInput {
                stratum,
                window: t_window,
                data,
                reference: self.baseline.for_stratum(stratum),
            };
            for f in drift_findings(self.plan, &input) {
                state
                    .entry(key(stratum, &f.rule))
                    .or_default()
                    .window_signal = f.status == FindingStatus::Signal;
                out.push(labelled(f, data));
            }
        }
        for (stratum, data) in &split(
            &w.strata,
            rolling.0.iter().copied(),
            rolling.1.iter().copied(),
        ) {
            let input = WindowInput {
                stratum,
                window: r_window,
                data,
                reference: self.baseline.for_stratum(stratum),
            };
            out.extend(
                drift_findings(self.plan, &input)
                    .into_iter()
                    .map(|f| labelled(f, data)),
            );
            for f in quality_findings(self.plan, &input) {
                state
                    .entry(key(stratum, &f.rule))
                    .or_default()
                    .window_signal = f.status == FindingStatus::Signal;
                out.push(labelled(f, data));
            }
        }
        out
    }

    /// One signal per stream with state, from today's findings and the remembered verdicts.
    /// A stratum without findings today (no data, or too little for a chart point) gives no
    /// signal: an empty day neither refreshes an open alert nor counts as a clear day.
    pub fn signals(&self, state: &MonitorState, today: &[Finding]) -> Vec<StreamSignal> {
        let evaluated: BTreeSet<&str> = today.iter().map(|f| f.stratum.as_str()).collect();
        state
            .iter()
            .filter_map(|(k, s)| {
                let (stratum, rule) = k.split_once('|')?;
                if !evaluated.contains(stratum) {
                    return None;
                }
                let related: Vec<&Finding> = today
                    .iter()
                    .filter(|f| f.stratum == stratum && f.rule == rule)
                    .collect();
                let design = self.design_of(rule, stratum, &related);
                let evidence = explain(&StreamFacts {
                    rule,
                    stratum,
                    chart_crossing: s.chart_crossing,
                    window_signal: s.window_signal,
                    today: &related,
                    reference: self.baseline.for_stratum(stratum),
                    design: design.as_ref(),
                    unit: rule
                        .split_once(':')
                        .filter(|(kind, _)| matches!(*kind, "drift" | "constant"))
                        .map(|(_, f)| f)
                        .and_then(|f| self.units.get(f))
                        .map(String::as_str),
                    acceptance_limit: self.plan.chart_acceptance_limit(rule),
                });
                Some(StreamSignal {
                    stratum: stratum.to_string(),
                    rule: rule.to_string(),
                    crossing: s.chart_crossing || s.window_signal,
                    severity: severity_of(rule),
                    title: title(&evidence),
                    summary: text(&evidence),
                    evidence,
                })
            })
            .collect()
    }

    /// The design today's chart point of a stream was judged with: the limits widened for
    /// the point's size against the reference's own size, as in `chart_point`.
    fn design_of(&self, rule: &str, stratum: &str, today: &[&Finding]) -> Option<ChartDesign> {
        let n = today.iter().find(|f| f.window == WindowKind::Day)?.n as usize;
        let reference = self.baseline.for_stratum(stratum);
        let (side, reference_n) = match rule.split_once(':')? {
            ("drift", f) => match &reference
                .features
                .columns
                .iter()
                .find(|c| c.name == f)?
                .reference
            {
                ColumnReference::Numeric(r) => (Side::Both, r.sorted.len()),
                _ => return None,
            },
            ("mean_dice", l) => (Side::Lower, reference.quality.get(l)?.n as usize),
            _ => return None,
        };
        design_estimated(&self.plan.sequential, side, n, reference_n).ok()
    }
}

/// A window finding labelled with the days it actually covers: the days of the cases (drift
/// and constant features) or of the reviews (quality) of its stratum in the window.
fn labelled(f: Finding, data: &StratumData<'_>) -> Finding {
    let from_cases = f.rule.starts_with("drift:") || f.rule.starts_with("constant:");
    if from_cases {
        let days = data.cases.iter().map(|c| c.day);
        f.with_data_days(days)
    } else {
        let days = data.reviews.iter().map(|r| r.day);
        f.with_data_days(days)
    }
}

struct Point {
    mean0: f64,
    sd0: f64,
    /// Size of the reference `mean0` and `sd0` were estimated from.
    reference_n: usize,
    side: Side,
}

/// Severity by rule: quality losses are high, distribution drift medium.
pub fn severity_of(rule: &str) -> Severity {
    match rule.split(':').next().unwrap_or_default() {
        "mean_dice" | "below_floor" | "rejection_rate" => Severity::High,
        _ => Severity::Medium,
    }
}

#[cfg(test)]
#[path = "evaluator_tests.rs"]
mod tests;
