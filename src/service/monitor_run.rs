//! One model version's part of an evaluation: from the day after the last one evaluated up
//! to the job's `as_of`, day by day, load the day's cases and reviews, update the charts,
//! run the window tests when a tumbling window closes, apply the signals to alerts, and store
//! the day's findings together with the advanced cursor. A crash loses at most the day in
//! flight, which the next run (a takeover of the same job, or a later job) evaluates again:
//! alert changes the dead runner made for that day are recognised and not made twice.

use std::collections::VecDeque;

use chrono::{Duration, NaiveDate};
use serde_json::json;

use super::alert_flow::{RunLabels, active_keys, applied_at, apply_signals};
use super::baselines::baseline_in_force;
use super::evaluation::EvaluatorEnv;
use crate::domain::model::ModelVersion;
use crate::jobs::JobContext;
use crate::monitoring::columns::{CaseObs, ReviewObs};
use crate::monitoring::evaluator::{Monitor, MonitorState};
use crate::monitoring::plan::PmsPlan;
use crate::monitoring::silence::{last_seen, silence_signals};
use crate::storage::{EvaluationJob, MonitorCursor, StoreError, StoredFinding, StoredPlan};

/// What happened to one model version in a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionOutcome {
    pub model_id: String,
    /// `evaluated`, `no_baseline`, `no_data` or `up_to_date`.
    pub status: &'static str,
    pub from: Option<NaiveDate>,
    pub through: Option<NaiveDate>,
    pub days: u32,
    pub findings: usize,
    pub signals: usize,
    pub alerts_opened: usize,
    pub alerts_resolved: usize,
    pub emails_queued: usize,
}

impl VersionOutcome {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "model_id": self.model_id, "status": self.status, "from": self.from,
            "through": self.through, "days": self.days, "findings": self.findings,
            "signals": self.signals, "alerts_opened": self.alerts_opened,
            "alerts_resolved": self.alerts_resolved, "emails_queued": self.emails_queued,
        })
    }
}

/// Why a version's run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("plan or baseline unusable: {0}")]
    Design(String),
    #[error("the evaluator lost its lease; another replica will go on")]
    LeaseLost,
}

/// Days of data kept in memory: the rolling window.
struct History {
    days: VecDeque<(NaiveDate, Vec<CaseObs>, Vec<ReviewObs>)>,
}

impl History {
    fn window(&self, end: NaiveDate, days: u32) -> (Vec<&CaseObs>, Vec<&ReviewObs>) {
        let start = end - Duration::days(i64::from(days));
        let inside = self.days.iter().filter(|(d, ..)| *d >= start && *d < end);
        let mut cases = Vec::new();
        let mut reviews = Vec::new();
        for (_, c, r) in inside {
            cases.extend(c.iter());
            reviews.extend(r.iter());
        }
        (cases, reviews)
    }
}

/// Evaluate one model version up to the job's `as_of`, under the job's lease (`ctx`, renewed
/// after every day stored); findings are numbered from `first_seq`.
pub fn run_version(
    env: &EvaluatorEnv<'_>,
    job: &EvaluationJob,
    (stored_plan, plan): (&StoredPlan, &PmsPlan),
    version: &ModelVersion,
    ctx: &JobContext<'_>,
    first_seq: i64,
) -> Result<VersionOutcome, RunError> {
    let store = env.store;
    let mut out = VersionOutcome {
        model_id: version.id.clone(),
        ..VersionOutcome::default()
    };
    let Some((stored_baseline, baseline)) = baseline_in_force(store, &version.id)? else {
        out.status = "no_baseline";
        return Ok(out);
    };
    let mut monitor = Monitor::new(plan, &baseline).map_err(RunError::Design)?;
    monitor.units = version
        .feature_schema
        .features
        .iter()
        .filter_map(|f| Some((f.name.clone(), f.unit.clone()?)))
        .collect();
    let labels = RunLabels {
        plan_version: stored_plan.version,
        baseline_id: &stored_baseline.id,
    };
    let cursor = store.monitor_cursor(&version.id)?;
    // Charts restart when the baseline or the plan changes; evaluated days stay evaluated.
    let mut state: MonitorState = match &cursor {
        Some(c) if c.baseline_id == stored_baseline.id && c.plan_version == stored_plan.version => {
            serde_json::from_str(&c.state).unwrap_or_default()
        }
        _ => MonitorState::new(),
    };
    let floor = baseline.monitor_from.unwrap_or(NaiveDate::MIN);
    let start = match (&cursor, store.first_event_day(&version.id)?) {
        (Some(c), _) => c.through.max(floor),
        (None, Some(first)) => first.max(floor),
        (None, None) => {
            out.status = "no_data";
            return Ok(out);
        }
    };
    if start >= job.as_of {
        out.status = "up_to_date";
        return Ok(out);
    }
    let rolling = plan.windows.rolling_days;
    let mut history = preload(env, &version.id, start, rolling, floor)?;
    let mut active = active_keys(store, &version.id)?;
    // The first day may be one a dead runner had in flight: what it changed is not redone.
    let first_at = (start + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let mut replayed = applied_at(store, &version.id, first_at)?;
    let mut day = start;
    while day < job.as_of {
        let next = day + Duration::days(1);
        let cases = store.monitor_cases(&version.id, day, next)?;
        let reviews = store.monitor_reviews(&version.id, day, next)?;
        history.days.push_back((day, cases, reviews));
        while history
            .days
            .front()
            .is_some_and(|(d, ..)| *d < next - Duration::days(i64::from(rolling)))
        {
            history.days.pop_front();
        }
        let (c, r) = history.window(next, 1);
        let mut findings = monitor.day(&mut state, day, &c, &r);
        if monitor.closes_window(next) {
            let t = history.window(next, plan.windows.tumbling_days);
            let roll = history.window(next, rolling);
            findings.extend(monitor.windows(&mut state, next, (&t.0, &t.1), (&roll.0, &roll.1)));
        }
        let mut signals = monitor.signals(&state, &findings);
        let held = history.days.iter().map(|(d, c, r)| (*d, &c[..], &r[..]));
        signals.extend(silence_signals(plan, &last_seen(plan, held), day));
        let at = next.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let flow = apply_signals(
            env,
            plan,
            &version.id,
            labels,
            &signals,
            &findings,
            at,
            &mut active,
            &replayed,
        )?;
        replayed.clear();
        let now = env.clock.now();
        let stored: Vec<StoredFinding> = findings
            .into_iter()
            .enumerate()
            .map(|(i, finding)| StoredFinding {
                evaluation_id: job.id.clone(),
                seq: first_seq + (out.findings + i) as i64,
                model_id: version.id.clone(),
                plan_version: stored_plan.version,
                baseline_id: stored_baseline.id.clone(),
                finding,
                created_at: now,
            })
            .collect();
        out.findings += stored.len();
        out.signals += signals.iter().filter(|s| s.crossing).count();
        out.alerts_opened += flow.opened;
        out.alerts_resolved += flow.resolved;
        out.emails_queued += flow.queued;
        let cursor = MonitorCursor {
            model_id: version.id.clone(),
            through: next,
            baseline_id: stored_baseline.id.clone(),
            plan_version: stored_plan.version,
            state: serde_json::to_string(&state).map_err(|e| StoreError::Other(e.to_string()))?,
            updated_at: now,
        };
        store.save_progress(&stored, &cursor)?;
        // Before the next day: still ours (renewed), not cancelled.
        hold(ctx)?;
        out.days += 1;
        day = next;
    }
    (out.status, out.from, out.through) = ("evaluated", Some(start), Some(job.as_of));
    Ok(out)
}

/// Go on only while this runner holds the job: renew the lease, and stop when it was lost
/// (another runner took over) or a cancel was asked for.
fn hold(ctx: &JobContext<'_>) -> Result<(), RunError> {
    match ctx.renew() {
        Ok(true) if !ctx.is_cancelled() => Ok(()),
        Ok(_) => Err(RunError::LeaseLost),
        Err(e) => Err(RunError::Store(StoreError::Unavailable(e.to_string()))),
    }
}

/// Load the days before `start` that the first rolling window still covers.
fn preload(
    env: &EvaluatorEnv<'_>,
    model_id: &str,
    start: NaiveDate,
    rolling: u32,
    floor: NaiveDate,
) -> Result<History, StoreError> {
    let from = (start - Duration::days(i64::from(rolling))).max(floor);
    let mut days: VecDeque<(NaiveDate, Vec<CaseObs>, Vec<ReviewObs>)> = VecDeque::new();
    if from >= start {
        return Ok(History { days });
    }
    let mut d = from;
    while d < start {
        days.push_back((d, Vec::new(), Vec::new()));
        d += Duration::days(1);
    }
    let index = |day: NaiveDate| (day - from).num_days() as usize;
    for c in env.store.monitor_cases(model_id, from, start)? {
        let i = index(c.day);
        days[i].1.push(c);
    }
    for r in env.store.monitor_reviews(model_id, from, start)? {
        let i = index(r.day);
        days[i].2.push(r);
    }
    Ok(History { days })
}
