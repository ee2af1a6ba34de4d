//! The promotion dossier of a shadow run: paired differences per case, the non-inferiority
//! test (paired t, `stats::noninferiority`), a seeded bootstrap bound (`stats::bootstrap`),
//! the one-sided Wilcoxon signed-rank test of the margin-shifted differences
//! (`stats::wilcoxon`), a per-stratum breakdown, and the hardware budget lines.
//!
//! Differences are oriented so that positive means "candidate better": candidate - baseline
//! for Dice and NSD, baseline - candidate for HD95. The verdict passes only when the whole is
//! non-inferior, no stratum is flagged and every budget line passes: a stratum where the
//! candidate is worse is a reason to look before promoting even when the average is fine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ShadowError;
use super::labels::Metric;
use super::profile::HardwareProfile;
use crate::stats::alternative::Alternative;
use crate::stats::bootstrap::{BootMethod, BootStatistic, bootstrap_ci};
use crate::stats::noninferiority::noninferiority;
use crate::stats::wilcoxon::{WilcoxonMethod, ZeroMethod, wilcoxon};

/// One case scored by both models, with the candidate's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedCase {
    pub case_ref: String,
    pub stratum: String,
    pub candidate: f64,
    pub baseline: f64,
    pub wall_ms: f64,
    pub compute_ms: f64,
    pub peak_mib: f64,
}

/// Test settings of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    pub metric: Metric,
    pub margin: f64,
    pub alpha: f64,
    pub bootstrap_resamples: usize,
    pub seed: u64,
}

/// A case with its oriented difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRow {
    #[serde(flatten)]
    pub case: PairedCase,
    pub difference: f64,
}

/// Mean difference of one stratum and whether it is flagged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumRow {
    pub stratum: String,
    pub n: usize,
    pub mean_difference: f64,
    /// One-sided lower bound (paired t) where n >= 2.
    pub ci_low: Option<f64>,
    /// The candidate is worse here: the lower bound (or, for one case, the difference) lies
    /// at or below -margin.
    pub flagged: bool,
}

/// One budget line: a measured value against the profile's limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLine {
    pub line: &'static str,
    pub measured: f64,
    pub limit: f64,
    pub pass: bool,
}

/// The statistical summary of the whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overall {
    pub n: usize,
    pub mean_difference: f64,
    pub t_statistic: f64,
    pub t_pvalue: f64,
    pub t_ci_low: f64,
    pub bootstrap_ci_low: f64,
    pub wilcoxon_statistic: f64,
    pub wilcoxon_pvalue: f64,
    pub noninferior: bool,
}

/// Everything the dossier states apart from provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub settings: Settings,
    pub higher_is_better: bool,
    pub cases: Vec<CaseRow>,
    pub overall: Overall,
    pub strata: Vec<StratumRow>,
    pub budget: Vec<BudgetLine>,
    pub passed: bool,
    pub reasons: Vec<String>,
}

fn stats_err(e: crate::stats::StatsError) -> ShadowError {
    ShadowError::Comparison(e.to_string())
}

/// Percentile with numpy's default linear interpolation.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q / 100.0 * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

fn overall(d: &[f64], s: &Settings) -> Result<Overall, ShadowError> {
    let zeros = vec![0.0; d.len()];
    let ni = noninferiority(d, &zeros, s.margin, 1.0 - s.alpha).map_err(stats_err)?;
    // A two-sided percentile interval at 1 - 2 alpha has the one-sided 1 - alpha lower bound.
    let boot = bootstrap_ci(
        d,
        BootStatistic::Mean,
        1.0 - 2.0 * s.alpha,
        s.bootstrap_resamples,
        BootMethod::Percentile,
        s.seed,
    )
    .map_err(stats_err)?;
    let shifted: Vec<f64> = d.iter().map(|v| v + s.margin).collect();
    let w = wilcoxon(
        &shifted,
        None,
        ZeroMethod::Wilcox,
        false,
        Alternative::Greater,
        WilcoxonMethod::Auto,
    )
    .map_err(stats_err)?;
    Ok(Overall {
        n: d.len(),
        mean_difference: ni.mean_diff,
        t_statistic: ni.statistic,
        t_pvalue: ni.pvalue,
        t_ci_low: ni.ci_low,
        bootstrap_ci_low: boot.lower,
        wilcoxon_statistic: w.statistic,
        wilcoxon_pvalue: w.pvalue,
        noninferior: ni.noninferior,
    })
}

fn strata(rows: &[CaseRow], s: &Settings) -> Result<Vec<StratumRow>, ShadowError> {
    let mut groups: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in rows {
        groups
            .entry(&r.case.stratum)
            .or_default()
            .push(r.difference);
    }
    groups
        .into_iter()
        .map(|(name, d)| {
            let mean = d.iter().sum::<f64>() / d.len() as f64;
            let ci_low = if d.len() >= 2 && d.iter().any(|v| *v != d[0]) {
                let zeros = vec![0.0; d.len()];
                Some(
                    noninferiority(&d, &zeros, s.margin, 1.0 - s.alpha)
                        .map_err(stats_err)?
                        .ci_low,
                )
            } else {
                None
            };
            Ok(StratumRow {
                stratum: name.to_string(),
                n: d.len(),
                mean_difference: mean,
                flagged: ci_low.unwrap_or(mean) <= -s.margin,
                ci_low,
            })
        })
        .collect()
}

fn budget(cases: &[PairedCase], profile: &HardwareProfile) -> Vec<BudgetLine> {
    let wall: Vec<f64> = cases.iter().map(|c| c.wall_ms).collect();
    let peak = cases.iter().map(|c| c.peak_mib).fold(0.0, f64::max);
    let p95 = percentile(&wall, 95.0);
    vec![
        BudgetLine {
            line: "latency_p50_ms",
            measured: percentile(&wall, 50.0),
            limit: profile.latency_budget_ms,
            pass: percentile(&wall, 50.0) <= profile.latency_budget_ms,
        },
        BudgetLine {
            line: "latency_p95_ms",
            measured: p95,
            limit: profile.latency_budget_ms,
            pass: p95 <= profile.latency_budget_ms,
        },
        BudgetLine {
            line: "peak_memory_mib",
            measured: peak,
            limit: profile.memory_limit_mib as f64,
            pass: peak <= profile.memory_limit_mib as f64,
        },
    ]
}

/// Assemble the comparison of a finished run.
pub fn compare(
    cases: Vec<PairedCase>,
    settings: Settings,
    profile: &HardwareProfile,
) -> Result<Comparison, ShadowError> {
    if cases.len() < 2 {
        return Err(ShadowError::Comparison(
            "need at least two paired cases".into(),
        ));
    }
    if !(settings.alpha > 0.0 && settings.alpha < 0.5) {
        return Err(ShadowError::Comparison("alpha must lie in (0, 0.5)".into()));
    }
    let higher = settings.metric.higher_is_better();
    let rows: Vec<CaseRow> = cases
        .into_iter()
        .map(|c| {
            let difference = if higher {
                c.candidate - c.baseline
            } else {
                c.baseline - c.candidate
            };
            CaseRow {
                case: c,
                difference,
            }
        })
        .collect();
    let d: Vec<f64> = rows.iter().map(|r| r.difference).collect();
    let overall = overall(&d, &settings)?;
    let strata = strata(&rows, &settings)?;
    let plain: Vec<PairedCase> = rows.iter().map(|r| r.case.clone()).collect();
    let budget = budget(&plain, profile);
    let mut reasons = Vec::new();
    if !overall.noninferior {
        reasons.push(format!(
            "not non-inferior: lower bound {:.4} <= -{}",
            overall.t_ci_low, settings.margin
        ));
    }
    for s in strata.iter().filter(|s| s.flagged) {
        reasons.push(format!("candidate worse in stratum {}", s.stratum));
    }
    for b in budget.iter().filter(|b| !b.pass) {
        reasons.push(format!(
            "{} {:.1} over the profile's {:.1}",
            b.line, b.measured, b.limit
        ));
    }
    Ok(Comparison {
        settings,
        higher_is_better: higher,
        cases: rows,
        overall,
        strata,
        budget,
        passed: reasons.is_empty(),
        reasons,
    })
}
