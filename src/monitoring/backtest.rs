//! A proposed plan run over stored history, in memory: the same day-by-day monitor as the
//! evaluator (chart points, window tests when a tumbling window closes, silence), with chart
//! states carried from day to day in a local value and the alert rules (dedup, cool-down,
//! hysteresis) applied to a local map instead of the alert table. Nothing here is stored: the
//! caller feeds the days and reads what the plan would have found and raised.
//!
//! Differences from the evaluator, on purpose: charts start fresh on the first day of the
//! range (the evaluator's start where its cursor stopped); people's moves (acknowledge,
//! escalate, resolve) are not simulated, so an alert stays open until the rules resolve it.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::baseline::Baseline;
use super::columns::{CaseObs, ReviewObs};
use super::evaluator::{Monitor, MonitorState};
use super::findings::{Finding, FindingStatus, WindowKind};
use super::plan::{PmsPlan, Severity};
use super::silence::{last_seen, silence_signals};
use crate::alerting::rules::{ActiveAlert, AlertState, Decision, Signal, decide};

/// One finding of the backtest, in short: what a quality manager tunes a plan by.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FindingSummary {
    /// The evaluated day (the last day of the window for window tests).
    pub day: NaiveDate,
    pub stratum: String,
    pub rule: String,
    pub window: WindowKind,
    /// `ok`, `signal` or `insufficient`.
    pub status: FindingStatus,
    pub n: u64,
    pub statistic: Option<f64>,
    pub limit: Option<f64>,
    /// Why an `insufficient` finding was not tested (too few cases, a chart that cannot be
    /// designed for the reference's size, ...); `None` otherwise.
    pub note: Option<String>,
}

/// An alert the plan would have raised.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WouldAlert {
    pub model_id: String,
    pub rule: String,
    pub stratum: String,
    /// The data day whose evaluation would have opened it.
    pub first_day: NaiveDate,
    /// The highest severity it reached.
    #[schema(value_type = String)]
    pub severity: Severity,
    /// The data day whose evaluation would have resolved it (hysteresis); `None`: still open
    /// at the end of the range.
    pub resolved_day: Option<NaiveDate>,
    pub title: String,
}

struct Open {
    alert: WouldAlert,
    clear_streak: u32,
}

/// The backtest of one model version.
pub struct Backtest<'a> {
    monitor: Monitor<'a>,
    model_id: String,
    state: MonitorState,
    days: VecDeque<(NaiveDate, Vec<CaseObs>, Vec<ReviewObs>)>,
    open: BTreeMap<(String, String), Open>,
    last_closed: BTreeMap<(String, String), DateTime<Utc>>,
    pub findings: Vec<FindingSummary>,
    pub alerts: Vec<WouldAlert>,
    /// Days evaluated so far.
    pub evaluated: u32,
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

impl<'a> Backtest<'a> {
    /// Refuses a plan whose chart cannot be designed (as the evaluator does).
    pub fn new(plan: &'a PmsPlan, baseline: &'a Baseline, model_id: &str) -> Result<Self, String> {
        Ok(Self {
            monitor: Monitor::new(plan, baseline)?,
            model_id: model_id.to_string(),
            state: MonitorState::new(),
            days: VecDeque::new(),
            open: BTreeMap::new(),
            last_closed: BTreeMap::new(),
            findings: Vec::new(),
            alerts: Vec::new(),
            evaluated: 0,
        })
    }

    /// Days before the range that its first rolling window still covers: held, not evaluated.
    pub fn preload(&mut self, day: NaiveDate, cases: Vec<CaseObs>, reviews: Vec<ReviewObs>) {
        self.push(day, cases, reviews);
    }

    fn push(&mut self, day: NaiveDate, cases: Vec<CaseObs>, reviews: Vec<ReviewObs>) {
        self.days.push_back((day, cases, reviews));
        let rolling = i64::from(self.monitor.plan.windows.rolling_days);
        let keep_from = day + Duration::days(1) - Duration::days(rolling);
        while self.days.front().is_some_and(|(d, ..)| *d < keep_from) {
            self.days.pop_front();
        }
    }

    fn window(&self, end: NaiveDate, days: u32) -> (Vec<&CaseObs>, Vec<&ReviewObs>) {
        let start = end - Duration::days(i64::from(days));
        let mut cases = Vec::new();
        let mut reviews = Vec::new();
        for (_, c, r) in self.days.iter().filter(|(d, ..)| *d >= start && *d < end) {
            cases.extend(c.iter());
            reviews.extend(r.iter());
        }
        (cases, reviews)
    }

    /// Evaluate one day (days must come in order, without gaps).
    pub fn day(&mut self, day: NaiveDate, cases: Vec<CaseObs>, reviews: Vec<ReviewObs>) {
        self.push(day, cases, reviews);
        let next = day + Duration::days(1);
        let plan = self.monitor.plan;
        let mut state = std::mem::take(&mut self.state);
        let (c, r) = self.window(next, 1);
        let mut found: Vec<Finding> = self.monitor.day(&mut state, day, &c, &r);
        if self.monitor.closes_window(next) {
            let t = self.window(next, plan.windows.tumbling_days);
            let roll = self.window(next, plan.windows.rolling_days);
            found.extend(
                self.monitor
                    .windows(&mut state, next, (&t.0, &t.1), (&roll.0, &roll.1)),
            );
        }
        let mut signals = self.monitor.signals(&state, &found);
        let held = self.days.iter().map(|(d, c, r)| (*d, &c[..], &r[..]));
        signals.extend(silence_signals(plan, &last_seen(plan, held), day));
        self.state = state;
        let at = midnight(next);
        for s in &signals {
            self.apply(
                day,
                at,
                (&s.rule, &s.stratum),
                s.crossing,
                s.severity,
                &s.title,
            );
        }
        self.findings.extend(found.into_iter().map(|f| {
            FindingSummary {
                day: f.window_end - Duration::days(1),
                stratum: f.stratum,
                rule: f.rule,
                window: f.window,
                status: f.status,
                n: f.n,
                statistic: f.statistic,
                limit: f.limit,
                note: (f.status == FindingStatus::Insufficient)
                    .then_some(f.note)
                    .flatten(),
            }
        }));
        self.evaluated += 1;
    }

    /// The alert rules on the local map, as `service::alerts::apply_signal` applies them to
    /// the alert table.
    fn apply(
        &mut self,
        day: NaiveDate,
        at: DateTime<Utc>,
        (rule, stratum): (&str, &str),
        crossing: bool,
        severity: Severity,
        title: &str,
    ) {
        let k = (rule.to_string(), stratum.to_string());
        let active = self.open.get(&k).map(|o| ActiveAlert {
            state: AlertState::Open,
            severity: o.alert.severity,
            clear_streak: o.clear_streak,
        });
        let signal = Signal {
            crossing,
            severity,
            at,
        };
        let policy = &self.monitor.plan.alerts;
        match decide(active, self.last_closed.get(&k).copied(), &signal, policy) {
            Decision::Open => {
                let alert = WouldAlert {
                    model_id: self.model_id.clone(),
                    rule: k.0.clone(),
                    stratum: k.1.clone(),
                    first_day: day,
                    severity,
                    resolved_day: None,
                    title: title.to_string(),
                };
                self.open.insert(
                    k,
                    Open {
                        alert,
                        clear_streak: 0,
                    },
                );
            }
            Decision::Refresh { raised_to } => {
                if let Some(o) = self.open.get_mut(&k) {
                    o.clear_streak = 0;
                    if let Some(s) = raised_to {
                        o.alert.severity = s;
                    }
                }
            }
            Decision::ClearTick { streak } => {
                if let Some(o) = self.open.get_mut(&k) {
                    o.clear_streak = streak;
                }
            }
            Decision::AutoResolve => {
                if let Some(mut o) = self.open.remove(&k) {
                    o.alert.resolved_day = Some(day);
                    self.alerts.push(o.alert);
                }
                self.last_closed.insert(k, at);
            }
            Decision::Suppressed | Decision::Nothing => {}
        }
    }

    /// Every alert the plan would have raised, the ones still open included, by first day.
    pub fn finish(mut self) -> (Vec<FindingSummary>, Vec<WouldAlert>, u32) {
        self.alerts.extend(
            std::mem::take(&mut self.open)
                .into_values()
                .map(|o| o.alert),
        );
        self.alerts.sort_by(|a, b| {
            (a.first_day, &a.rule, &a.stratum).cmp(&(b.first_day, &b.rule, &b.stratum))
        });
        (self.findings, self.alerts, self.evaluated)
    }
}

#[cfg(test)]
#[path = "backtest_tests.rs"]
mod tests;
