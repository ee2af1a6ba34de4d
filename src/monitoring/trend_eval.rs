//! Art. 88 trend evaluation, pure: for each declared event class, the observation period's
//! count against the count expected from the declared rate and the denominator, by the plan's
//! method: an exact one-sided Poisson test (statsmodels `test_poisson`, exact-c), an exact
//! one-sided binomial test (scipy `binomtest`, greater), or a Poisson log-likelihood-ratio
//! CUSUM over the period's days, S_t = max(0, S_{t-1} + x_t ln r - mu_t (r - 1)) with
//! mu_t = rate x denominator_t, signalling when S_t exceeds h. A signal also needs at least
//! `min_events` events in the period.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::trend::{TrendMethod, TrendPlan};
use crate::stats::alternative::Alternative;
use crate::stats::counts::{binomtest, poisson_test};

/// Daily totals over the observation period, oldest day first (days without data are 0).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendData {
    pub days: Vec<NaiveDate>,
    /// The denominator per day.
    pub exposure: Vec<u64>,
    /// Events per day, by class name.
    pub counts: BTreeMap<String, Vec<u64>>,
}

/// The result for one class.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendSignal {
    pub class: String,
    pub imdrf_codes: Vec<String>,
    pub method: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub observed: u64,
    pub denominator: u64,
    pub expected: f64,
    pub expected_rate: f64,
    pub rate_source: String,
    /// observed / denominator; `None` without any denominator.
    pub observed_rate: Option<f64>,
    /// Exact tests: the one-sided p-value.
    pub p_value: Option<f64>,
    pub alpha: f64,
    /// CUSUM: the largest S_t of the period, and the decision interval.
    pub cusum_max: Option<f64>,
    pub decision_interval: Option<f64>,
    /// CUSUM: the first day S_t exceeded h.
    pub signal_day: Option<NaiveDate>,
    /// A statistically significant increase (and at least `min_events` events).
    pub significant: bool,
}

/// Why a class could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("trend class {class}: {message}")]
pub struct TrendError {
    pub class: String,
    pub message: String,
}

/// Evaluate every class of the plan on the period's data.
pub fn evaluate_trend(plan: &TrendPlan, data: &TrendData) -> Result<Vec<TrendSignal>, TrendError> {
    let (Some(from), Some(to)) = (data.days.first(), data.days.last()) else {
        return Ok(Vec::new());
    };
    let exposure: u64 = data.exposure.iter().sum();
    let mut out = Vec::new();
    for class in &plan.classes {
        let daily = data.counts.get(&class.name).cloned().unwrap_or_default();
        let observed: u64 = daily.iter().sum();
        let fail = |m: String| TrendError {
            class: class.name.clone(),
            message: m,
        };
        let mut s = TrendSignal {
            class: class.name.clone(),
            imdrf_codes: class.imdrf_codes.clone(),
            method: method_name(plan.method).into(),
            period_from: *from,
            period_to: *to,
            observed,
            denominator: exposure,
            expected: class.expected_rate * exposure as f64,
            expected_rate: class.expected_rate,
            rate_source: class.rate_source.clone(),
            observed_rate: (exposure > 0).then(|| observed as f64 / exposure as f64),
            p_value: None,
            alpha: plan.alpha,
            cusum_max: None,
            decision_interval: None,
            signal_day: None,
            significant: false,
        };
        let enough = observed >= plan.min_events.max(1) && exposure > 0;
        match plan.method {
            TrendMethod::Poisson if exposure > 0 => {
                let p = poisson_test(
                    observed,
                    exposure as f64,
                    class.expected_rate,
                    Alternative::Greater,
                )
                .map_err(|e| fail(e.to_string()))?;
                s.p_value = Some(p);
                s.significant = enough && p < plan.alpha;
            }
            TrendMethod::Binomial if exposure > 0 => {
                if observed > exposure {
                    return Err(fail(format!(
                        "{observed} events among {exposure} trials: the class must count a subset of the denominator"
                    )));
                }
                let r = binomtest(
                    observed,
                    exposure,
                    class.expected_rate,
                    Alternative::Greater,
                )
                .map_err(|e| fail(e.to_string()))?;
                s.p_value = Some(r.pvalue);
                s.significant = enough && r.pvalue < plan.alpha;
            }
            TrendMethod::Cusum => {
                let (max, first) = poisson_cusum(
                    &daily,
                    &data.exposure,
                    class.expected_rate,
                    plan.rate_ratio,
                    plan.decision_interval,
                );
                s.cusum_max = Some(max);
                s.decision_interval = Some(plan.decision_interval);
                s.signal_day = first.and_then(|i| data.days.get(i).copied());
                s.significant = enough && first.is_some();
            }
            TrendMethod::Poisson | TrendMethod::Binomial => {}
        }
        out.push(s);
    }
    Ok(out)
}

pub fn method_name(m: TrendMethod) -> &'static str {
    match m {
        TrendMethod::Poisson => "poisson_exact",
        TrendMethod::Binomial => "binomial_exact",
        TrendMethod::Cusum => "poisson_cusum",
    }
}

/// Poisson log-likelihood-ratio CUSUM of daily counts against `rate` x exposure, tuned to a
/// rate ratio `ratio`: the largest statistic and the index of the first day it exceeded `h`.
pub fn poisson_cusum(
    counts: &[u64],
    exposure: &[u64],
    rate: f64,
    ratio: f64,
    h: f64,
) -> (f64, Option<usize>) {
    let (mut s, mut max, mut first) = (0.0_f64, 0.0_f64, None);
    let ln_r = ratio.ln();
    for (i, n) in exposure.iter().enumerate() {
        let x = counts.get(i).copied().unwrap_or(0) as f64;
        let mu = rate * *n as f64;
        s = (s + x * ln_r - mu * (ratio - 1.0)).max(0.0);
        max = max.max(s);
        if first.is_none() && s > h {
            first = Some(i);
        }
    }
    (max, first)
}

#[cfg(test)]
#[path = "trend_tests.rs"]
mod tests;
