//! Alerts that explain themselves: from a stream's findings of the day, its frozen reference and
//! its chart design, the evidence a quality manager needs to act on an alert without opening
//! anything else — the rule in words, the stratum, the baseline and current values in the same
//! unit, the difference with its 95% interval, the chart statistic beside its own limit
//! (labelled as a chart statistic, never compared with a value in other units), the test and
//! its level, the day of first evidence, n, and the plan and baseline versions. The title says
//! what actually signalled: a chart shift and a value beyond an acceptance limit are different
//! claims. Pure: the service adds the versions and the first day from stored chart points.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::baseline::StratumReference;
use super::charts::{ChartDesign, Side};
use super::findings::{Finding, FindingStatus, WindowKind};
use super::plan::Chart;
use crate::stats::column_drift::ColumnReference;

/// Two-sided 95% normal quantile for the interval of a daily mean.
const Z95: f64 = 1.959_963_984_540_054;

/// What an alert rests on, in numbers and words.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// The stream, e.g. `drift:hu_mean`, `mean_dice:liver`, `silence`.
    pub rule: String,
    /// What the rule watches and when it signals, in words.
    pub rule_words: String,
    pub stratum: String,
    /// `chart` (sequential chart beyond its decision limit), `window` (window test beyond its
    /// limit), `silence` (no data for longer than the plan allows) or `none` (clear).
    pub trigger: String,
    /// Unit of `baseline`, `current`, `difference` and `acceptance_limit`.
    pub unit: String,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// The window `current` was measured over: `[start, end)`.
    pub current_window: Option<[NaiveDate; 2]>,
    /// `current - baseline`: the effect size in the unit above.
    pub difference: Option<f64>,
    /// 95% interval of the difference.
    pub difference_ci: Option<[f64; 2]>,
    /// The plan's acceptance limit or maximum, in the unit above.
    pub acceptance_limit: Option<f64>,
    /// `cusum` or `ewma`.
    pub chart: Option<String>,
    /// The chart statistic, in standard errors of the daily mean (not in `unit`).
    pub chart_statistic: Option<f64>,
    /// The chart's decision limit, in the same standard errors.
    pub chart_limit: Option<f64>,
    /// The window test, e.g. `ks D = 0.21, p = 1.2e-5, BH q = 3.1e-5 (FDR level 0.05)`.
    pub test: Option<String>,
    /// First day of the data that made the stream signal.
    pub first_evidence: Option<NaiveDate>,
    /// Silence: the last day with data.
    pub last_data: Option<NaiveDate>,
    /// Observations behind `current`.
    pub n: u64,
    pub plan_version: Option<i64>,
    pub baseline_id: Option<String>,
}

/// What the evaluator knows of a stream when it explains it.
pub struct StreamFacts<'a> {
    pub rule: &'a str,
    pub stratum: &'a str,
    pub chart_crossing: bool,
    pub window_signal: bool,
    pub today: &'a [&'a Finding],
    pub reference: &'a StratumReference,
    /// The chart design of the stream, when it is charted.
    pub design: Option<&'a ChartDesign>,
    /// Unit of the feature (from the model's feature schema), when known.
    pub unit: Option<&'a str>,
    /// The plan's acceptance limit in the stream's unit (mean Dice: the indicator's `limit`),
    /// stated whatever triggered the alert.
    pub acceptance_limit: Option<f64>,
}

/// The baseline value and the SD of one observation, in the stream's unit.
fn reference_of(facts: &StreamFacts<'_>) -> (Option<f64>, Option<f64>) {
    let r = facts.reference;
    let share = |k: fn(&super::baseline::OutcomeReference) -> u64| {
        r.outcomes
            .filter(|o| o.reviews > 0)
            .map(|o| k(&o) as f64 / o.reviews as f64)
    };
    match facts.rule.split_once(':') {
        Some(("drift" | "constant", f)) => r
            .features
            .columns
            .iter()
            .find(|c| c.name == f)
            .and_then(|c| match &c.reference {
                ColumnReference::Numeric(n) => Some((Some(n.mean), Some(n.std))),
                _ => None,
            })
            .unwrap_or((None, None)),
        Some(("mean_dice", l)) => r
            .quality
            .get(l)
            .map_or((None, None), |q| (Some(q.mean), Some(q.sd))),
        _ if facts.rule == "edit_rate" => (share(|o| o.edited), None),
        _ if facts.rule == "rejection_rate" => (share(|o| o.rejected), None),
        _ => (None, None),
    }
}

fn unit_of(facts: &StreamFacts<'_>) -> String {
    match facts.rule.split_once(':') {
        Some(("drift" | "constant", _)) => facts.unit.unwrap_or("feature units").to_string(),
        Some(("mean_dice", _)) => "Dice".into(),
        _ => "share of reviews".into(),
    }
}

/// Explain one stream's state today.
pub fn explain(facts: &StreamFacts<'_>) -> Evidence {
    let day = facts.today.iter().find(|f| f.window == WindowKind::Day);
    let window = facts
        .today
        .iter()
        .filter(|f| f.window != WindowKind::Day)
        .max_by_key(|f| f.status == FindingStatus::Signal);
    let (baseline, sd) = reference_of(facts);
    let mut e = Evidence {
        rule: facts.rule.into(),
        rule_words: rule_words(facts),
        stratum: facts.stratum.into(),
        trigger: trigger(facts).into(),
        unit: unit_of(facts),
        baseline,
        ..Evidence::default()
    };
    if let Some(d) = day.filter(|d| d.rule.starts_with("constant:")) {
        // Not a chart: the count of changed values against the constant; the note says it.
        e.test = d.note.clone();
    } else if let Some(d) = day {
        (e.chart, e.chart_statistic, e.chart_limit) =
            (Some(d.method.clone()), d.statistic, d.limit);
    }
    let quality_window = window.filter(|w| w.method == "t_interval" || w.method == "wilson");
    match (e.trigger.as_str(), quality_window, day) {
        ("window", Some(w), _) | (_, Some(w), None) => {
            e.current = w.estimate;
            e.acceptance_limit = w.limit;
            let ci = w.ci_low.zip(w.ci_high);
            e.difference_ci = baseline.zip(ci).map(|(b, (lo, hi))| [lo - b, hi - b]);
            set_current(&mut e, w);
        }
        (_, _, Some(d)) => {
            e.current = d.estimate;
            let se = sd.map(|s| s / (d.n.max(1) as f64).sqrt());
            e.difference_ci = baseline
                .zip(d.estimate)
                .zip(se)
                .map(|((b, m), se)| [m - b - Z95 * se, m - b + Z95 * se]);
            set_current(&mut e, d);
        }
        _ => {}
    }
    if let Some(w) = window.filter(|w| quality_window.is_none() && w.p_value.is_some()) {
        e.test = Some(test_words(w));
        if e.trigger == "window" {
            e.first_evidence = Some(w.window_start);
        }
    }
    e.difference = e.current.zip(baseline).map(|(c, b)| c - b);
    e.acceptance_limit = e.acceptance_limit.or(facts.acceptance_limit);
    e
}

fn set_current(e: &mut Evidence, f: &Finding) {
    e.current_window = Some([f.window_start, f.window_end]);
    e.n = f.n;
    e.first_evidence = Some(f.window_start);
}

fn trigger(facts: &StreamFacts<'_>) -> &'static str {
    if facts.chart_crossing {
        "chart"
    } else if facts.window_signal {
        "window"
    } else {
        "none"
    }
}

fn test_words(w: &Finding) -> String {
    let mut s = format!("{} statistic {}", w.method, num(w.statistic));
    s.push_str(&format!(", p = {}", num(w.p_value)));
    if let Some(q) = w.q_value {
        s.push_str(&format!(", BH q = {}", num(Some(q))));
    }
    if let Some(l) = w.limit {
        s.push_str(&format!(" (level {})", num(Some(l))));
    }
    if let Some(n) = &w.note {
        s.push_str(&format!("; {n}"));
    }
    s
}

fn chart_words(design: Option<&ChartDesign>) -> String {
    let Some(d) = design else {
        return "a sequential chart".into();
    };
    let side = match d.side {
        Side::Both => "two-sided",
        Side::Lower => "lower-sided",
    };
    match d.chart {
        Chart::Cusum => format!(
            "a {side} CUSUM (reference k = {}, decision limit h = {}, {}, in-control ARL {} \
             days{})",
            num(Some(d.k)),
            num(Some(d.h)),
            d.restart_words(),
            num(Some(d.arl0)),
            if d.head_start > 0.0 {
                " from the head start"
            } else {
                ""
            }
        ),
        Chart::Ewma => format!(
            "a {side} EWMA (lambda = {}, limit {}, {}, in-control ARL {} days)",
            num(Some(d.k)),
            num(Some(d.h)),
            d.restart_words(),
            num(Some(d.arl0))
        ),
    }
}

fn rule_words(facts: &StreamFacts<'_>) -> String {
    let chart = chart_words(facts.design);
    let charted = |what: &str| {
        format!(
            "the daily mean of {what}, standardised by the baseline (standard errors), is \
             charted with {chart}; it signals when the chart statistic passes its decision limit"
        )
    };
    match facts.rule.split_once(':') {
        Some(("drift", f)) if facts.chart_crossing => charted(f),
        Some(("drift", f)) => format!(
            "the distribution of {f} in each tumbling window is tested against the baseline; \
             it signals when the test stays significant after Benjamini-Hochberg across the window's features"
        ),
        Some(("constant", f)) => format!(
            "{f} took one value throughout the baseline, so it gets no chart and no distribution test; \
             any case with another value signals on the day it is seen"
        ),
        Some(("mean_dice", l)) if facts.chart_crossing => charted(&format!("{l} Dice")),
        Some(("mean_dice", l)) => format!(
            "the 95% interval of mean {l} Dice over the rolling window lies wholly below the plan's acceptance limit"
        ),
        Some(("below_floor", l)) => format!(
            "the Wilson 95% interval of the share of {l} reviews below the Dice floor lies wholly above the plan's maximum"
        ),
        _ if facts.rule == "edit_rate" => "the Wilson 95% interval of the share of edited reviews lies wholly above the plan's maximum".into(),
        _ if facts.rule == "rejection_rate" => "the Wilson 95% interval of the share of rejected reviews lies wholly above the plan's maximum".into(),
        _ => facts.rule.to_string(),
    }
}

/// The alert's title: what signalled, where.
pub fn title(e: &Evidence) -> String {
    let chart = e.chart.as_deref().unwrap_or("chart").to_uppercase();
    let what = match (e.rule.split_once(':'), e.trigger.as_str()) {
        (_, "silence") => format!(
            "No data from {} since {}",
            e.stratum,
            e.last_data.map_or("-".into(), |d| d.to_string())
        ),
        (Some(("constant", f)), _) => format!("{f} changed from its constant baseline value"),
        (Some(("drift", f)), "chart") => format!("Shift in the daily mean of {f} ({chart})"),
        (Some(("drift", f)), _) => format!("Distribution drift in {f}"),
        (Some(("mean_dice", l)), "chart") => format!("Mean Dice of {l} shifted down ({chart})"),
        (Some(("mean_dice", l)), _) => format!("Mean Dice of {l} below its acceptance limit"),
        (Some(("below_floor", l)), _) => format!("Too many {l} cases below the Dice floor"),
        _ if e.rule == "edit_rate" => "Edit rate above its limit".into(),
        _ if e.rule == "rejection_rate" => "Rejection rate above its limit".into(),
        _ => e.rule.clone(),
    };
    if e.trigger == "silence" {
        what
    } else {
        format!("{what} ({})", e.stratum)
    }
}

/// The evidence as lines of text, for the alert's summary and e-mail.
pub fn text(e: &Evidence) -> String {
    let u = &e.unit;
    let mut lines = vec![
        format!("Rule: {}.", e.rule_words),
        format!("Stratum: {}", e.stratum),
    ];
    if let Some(b) = e.baseline {
        lines.push(format!("Baseline: {} {u}", num(Some(b))));
    }
    if let Some(c) = e.current {
        let over = e
            .current_window
            .map_or(String::new(), |[a, b]| window_words(a, b));
        lines.push(format!(
            "Current: {} {u} ({over}, n = {})",
            num(Some(c)),
            e.n
        ));
    }
    if let Some(d) = e.difference {
        let ci = e.difference_ci.map_or(String::new(), |[lo, hi]| {
            format!(" (95% CI {} to {})", signed(lo), signed(hi))
        });
        lines.push(format!("Difference: {} {u}{ci}", signed(d)));
    }
    if let Some(l) = e.acceptance_limit {
        lines.push(format!("Plan limit: {} {u}", num(Some(l))));
    }
    if let (Some(s), Some(h)) = (e.chart_statistic, e.chart_limit) {
        let chart = e.chart.as_deref().unwrap_or("chart").to_uppercase();
        lines.push(format!(
            "Chart statistic ({chart}, in standard errors): {}; its decision limit: {}",
            num(Some(s)),
            num(Some(h))
        ));
    }
    if let Some(t) = &e.test {
        lines.push(format!("Test: {t}"));
    }
    if let Some(d) = e.first_evidence {
        lines.push(format!("First evidence: {d}"));
    }
    let plan = e.plan_version.map_or("-".into(), |v| v.to_string());
    let base = e.baseline_id.as_deref().unwrap_or("-");
    lines.push(format!("Plan version {plan}; baseline {base}"));
    lines.join("\n")
}

/// `2026-03-04` for one day, else `2026-03-01 to 2026-03-07` (both days included).
pub fn window_words(start: NaiveDate, end: NaiveDate) -> String {
    let last = end.pred_opt().unwrap_or(end);
    if last <= start {
        format!("day {start}")
    } else {
        format!("{start} to {last}")
    }
}

/// Four significant digits, without a trailing exponent for ordinary magnitudes.
pub fn num(v: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - mag).max(0) as usize;
    format!("{v:.decimals$}")
}

fn signed(v: f64) -> String {
    let s = num(Some(v));
    if v > 0.0 { format!("+{s}") } else { s }
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
