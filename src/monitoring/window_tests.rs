//! The tests of one window of one stratum: every monitored feature against the frozen
//! reference (hypothesis tests with Benjamini-Hochberg control across the window's family,
//! distance measures against their thresholds), and the quality indicators from reviews with
//! their confidence intervals. A stratum with fewer observations than the plan's minimum is
//! reported as insufficient, never tested.

use chrono::NaiveDate;

use super::baseline::StratumReference;
use super::columns::{StratumData, is_categorical, numeric_column};
use super::constant::constant_of;
use super::findings::{Finding, FindingStatus, WindowKind, fingerprint};
use super::plan::{DriftTest, MonitoredFeature, PmsPlan, QualityIndicator};
use crate::stats::column_drift::{
    CategoricalMethod, ColumnReference, ColumnValues, DriftConfig, FrozenReference, NumericMethod,
    check_drift,
};
use crate::stats::intervals::wilson;
use crate::stats::ttest::t_interval;

/// Confidence level of every interval in findings.
pub const CONFIDENCE: f64 = 0.95;

/// One window of one stratum.
pub struct WindowInput<'a, 'd> {
    pub stratum: &'a str,
    pub window: (WindowKind, NaiveDate, NaiveDate),
    pub data: &'a StratumData<'d>,
    pub reference: &'a StratumReference,
}

/// The features a plan monitors: those it lists, or by default every column of the
/// reference (KS for numeric columns, chi-square for the scanner).
pub fn monitored_features(plan: &PmsPlan, reference: &FrozenReference) -> Vec<MonitoredFeature> {
    if !plan.features.is_empty() {
        return plan.features.clone();
    }
    reference
        .columns
        .iter()
        .map(|c| MonitoredFeature {
            name: c.name.clone(),
            test: match c.reference {
                ColumnReference::Numeric(_) => DriftTest::Ks,
                ColumnReference::Categorical(_) => DriftTest::Chi2,
            },
            threshold: None,
        })
        .collect()
}

fn method_config(test: DriftTest, q: f64, threshold: Option<f64>) -> DriftConfig {
    let numeric = match test {
        DriftTest::Psi => NumericMethod::Psi,
        DriftTest::Js => NumericMethod::JensenShannon,
        DriftTest::Wasserstein => NumericMethod::WassersteinNormed,
        DriftTest::Ks | DriftTest::Chi2 => NumericMethod::Ks,
    };
    let categorical = match test {
        DriftTest::Psi => CategoricalMethod::Psi,
        DriftTest::Js => CategoricalMethod::JensenShannon,
        _ => CategoricalMethod::Chi2,
    };
    DriftConfig {
        numeric,
        categorical,
        alpha: q,
        distance_threshold: threshold.unwrap_or(f64::INFINITY),
    }
}

/// Drift findings of every monitored feature in the window.
pub fn drift_findings(plan: &PmsPlan, input: &WindowInput<'_, '_>) -> Vec<Finding> {
    let cases = &input.data.cases;
    let fp = fingerprint(cases.iter().map(|c| c.content_hash.as_str()));
    let features = monitored_features(plan, &input.reference.features);
    let n = cases.len() as u64;
    let base = |f: &MonitoredFeature| {
        let method = format!("{:?}", f.test).to_lowercase();
        Finding::new(
            input.stratum,
            input.window,
            format!("drift:{}", f.name),
            &method,
            n,
            fp.clone(),
        )
    };
    let enough = cases.len() >= plan.windows.min_samples as usize;
    let numeric: Vec<(String, Vec<f64>)> = features
        .iter()
        .filter(|f| !is_categorical(&f.name))
        .map(|f| (f.name.clone(), numeric_column(cases, &f.name)))
        .collect();
    let categorical: Vec<(String, Vec<&str>)> = features
        .iter()
        .filter(|f| is_categorical(&f.name))
        .map(|f| {
            let values = cases.iter().filter_map(|c| c.category(&f.name)).collect();
            (f.name.clone(), values)
        })
        .collect();
    let column = |name: &str| -> Option<ColumnValues<'_>> {
        if let Some((_, v)) = categorical.iter().find(|(n, _)| n == name) {
            return Some(ColumnValues::Categorical(v));
        }
        let v = &numeric.iter().find(|(n, _)| n == name)?.1;
        v.iter()
            .any(|x| !x.is_nan())
            .then_some(ColumnValues::Numeric(v))
    };
    let mut out = Vec::new();
    // Hypothesis tests form one family per window (BH inside `check_drift`); each distance
    // measure is checked alone against its own threshold.
    let mut family: Vec<&MonitoredFeature> = Vec::new();
    for f in &features {
        let reference = input
            .reference
            .features
            .columns
            .iter()
            .find(|c| c.name == f.name);
        // A column constant in the baseline is watched day by day for any change instead.
        if let Some(ColumnReference::Numeric(r)) = reference.map(|c| &c.reference)
            && constant_of(r).is_some()
        {
            continue;
        }
        let why = match (enough, reference, column(&f.name)) {
            (false, ..) => Some(format!(
                "{n} cases, the plan needs {}",
                plan.windows.min_samples
            )),
            (_, None, _) => Some("not in the baseline".to_string()),
            (_, _, None) => Some("no value in the window".to_string()),
            _ => None,
        };
        match why {
            Some(why) => out.push(base(f).insufficient(why)),
            None if f.test.is_distance() => {
                out.push(run_tests(&[f], input, &column, plan, &base).remove(0))
            }
            None => family.push(f),
        }
    }
    if !family.is_empty() {
        out.extend(run_tests(&family, input, &column, plan, &base));
    }
    out
}

fn run_tests<'c>(
    features: &[&MonitoredFeature],
    input: &WindowInput<'_, '_>,
    column: &dyn Fn(&str) -> Option<ColumnValues<'c>>,
    plan: &PmsPlan,
    base: &dyn Fn(&MonitoredFeature) -> Finding,
) -> Vec<Finding> {
    let reference = FrozenReference {
        version: input.reference.features.version,
        bins: input.reference.features.bins,
        columns: input
            .reference
            .features
            .columns
            .iter()
            .filter(|c| features.iter().any(|f| f.name == c.name))
            .cloned()
            .collect(),
    };
    let current: Vec<(&str, ColumnValues<'_>)> = features
        .iter()
        .filter_map(|f| Some((f.name.as_str(), column(&f.name)?)))
        .collect();
    let f0 = features[0];
    let config = method_config(f0.test, plan.windows.fdr_q, f0.threshold);
    let report = match check_drift(&reference, &current, &config) {
        Ok(r) => r,
        Err(e) => {
            return features
                .iter()
                .map(|f| base(f).insufficient(format!("not testable: {e}")))
                .collect();
        }
    };
    features
        .iter()
        .map(|f| {
            let mut finding = base(f);
            if let Some(r) = report.columns.iter().find(|c| c.name == f.name) {
                finding.method = r.method.clone();
                finding.n = r.n_cur;
                finding.statistic = Some(r.statistic);
                finding.p_value = r.pvalue;
                finding.q_value = r.p_adjusted;
                finding.estimate = Some(r.statistic);
                finding.limit = Some(f.threshold.unwrap_or(plan.windows.fdr_q));
                // KS drift must also be large enough to matter (plan's min_effect).
                let material = r.method != "ks" || r.statistic >= plan.windows.min_effect;
                if r.drifted && !material {
                    finding.note = Some(format!(
                        "significant but D < min_effect {}",
                        plan.windows.min_effect
                    ));
                }
                finding.status = if r.drifted && material {
                    FindingStatus::Signal
                } else {
                    FindingStatus::Ok
                };
            }
            finding
        })
        .collect()
}

/// Quality findings of every indicator of the plan, from the window's reviews.
pub fn quality_findings(plan: &PmsPlan, input: &WindowInput<'_, '_>) -> Vec<Finding> {
    let reviews = &input.data.reviews;
    let fp = fingerprint(reviews.iter().map(|r| r.content_hash.as_str()));
    let min = plan.windows.min_samples as usize;
    plan.quality
        .iter()
        .map(|q| {
            let (rule, method) = rule_of(q);
            let mut f = Finding::new(input.stratum, input.window, rule, method, 0, fp.clone());
            let dice = |label: &str| -> Vec<f64> {
                reviews
                    .iter()
                    .filter_map(|r| r.dice.get(label).copied())
                    .collect()
            };
            let outcome = |o: &str| reviews.iter().filter(|r| r.outcome == o).count() as u64;
            let (values, count, limit) = match q {
                QualityIndicator::MeanDice { label, limit } => (dice(label), None, *limit),
                QualityIndicator::BelowFloor {
                    label,
                    floor,
                    max_proportion,
                } => {
                    let d = dice(label);
                    let below = d.iter().filter(|v| **v < *floor).count() as u64;
                    (d, Some(below), *max_proportion)
                }
                QualityIndicator::EditRate { max } => {
                    (vec![0.0; reviews.len()], Some(outcome("edited")), *max)
                }
                QualityIndicator::RejectionRate { max } => {
                    (vec![0.0; reviews.len()], Some(outcome("rejected")), *max)
                }
            };
            f.n = values.len() as u64;
            f.limit = Some(limit);
            if values.len() < min.max(2) {
                return f.insufficient(format!("{} reviews, the plan needs {min}", values.len()));
            }
            evaluate_quality(f, &values, count, limit)
        })
        .collect()
}

fn rule_of(q: &QualityIndicator) -> (String, &'static str) {
    match q {
        QualityIndicator::MeanDice { label, .. } => (format!("mean_dice:{label}"), "t_interval"),
        QualityIndicator::BelowFloor { label, .. } => (format!("below_floor:{label}"), "wilson"),
        QualityIndicator::EditRate { .. } => ("edit_rate".into(), "wilson"),
        QualityIndicator::RejectionRate { .. } => ("rejection_rate".into(), "wilson"),
    }
}

/// A mean crosses when its interval lies wholly below the limit; a proportion when its
/// Wilson interval lies wholly above it.
fn evaluate_quality(mut f: Finding, values: &[f64], count: Option<u64>, limit: f64) -> Finding {
    let n = values.len() as u64;
    let (estimate, lo, hi, crossing) = match count {
        None => match t_interval(values, CONFIDENCE) {
            Ok(ci) => (ci.mean, ci.lower, ci.upper, ci.upper < limit),
            Err(e) => return f.insufficient(e.to_string()),
        },
        Some(k) => {
            let ci = wilson(k, n, 1.0 - CONFIDENCE);
            (k as f64 / n as f64, ci.lower, ci.upper, ci.lower > limit)
        }
    };
    (f.estimate, f.ci_low, f.ci_high) = (Some(estimate), Some(lo), Some(hi));
    f.status = if crossing {
        FindingStatus::Signal
    } else {
        FindingStatus::Ok
    };
    f
}
