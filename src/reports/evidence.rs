//! PSUR section 8(e), other sources (real-world data): the monitoring evidence Vigil holds.
//! Mean Dice per model version, label and stratum with its 95% t-interval (from the quality
//! sums), the quality control chart (mean Dice per evaluated window against the plan limit),
//! output status counts, the findings that signalled, alerts with their outcome, shadow runs
//! and retraining requests. Strata with fewer than k reviews show neither count nor mean.

use std::collections::BTreeMap;

use super::input::{ChartSeries, QualitySums, ReportInput};
use super::model::{Block, Figure, Provenance, Table, fingerprint};
use super::usage_tables::count_cell;
use crate::privacy::suppression::suppress_small_cells;
use crate::stats::alternative::Alternative;
use crate::stats::ttest::t_bounds;

/// Mean and two-sided 95% t-interval from sums; `None` bounds with fewer than two values.
pub fn mean_ci(q: &QualitySums) -> (f64, Option<(f64, f64)>) {
    let n = q.n as f64;
    let mean = q.sum / n;
    if q.n < 2 {
        return (mean, None);
    }
    let var = ((q.sum_sq - n * mean * mean) / (n - 1.0)).max(0.0);
    let (lo, hi) = t_bounds(n - 1.0, 0.95, Alternative::TwoSided);
    let se = (var / n).sqrt();
    (mean, Some((mean + lo * se, mean + hi * se)))
}

fn provenance(input: &ReportInput, query: &str, rows: &impl serde::Serialize) -> Provenance {
    let mut filters = BTreeMap::new();
    filters.insert("device".into(), input.device.basic_udi_di.clone());
    let models: Vec<&str> = input.software.iter().map(|s| s.model_id.as_str()).collect();
    filters.insert("model_versions".into(), models.join(","));
    Provenance {
        query: query.into(),
        period: input.period,
        filters,
        data_fingerprint: fingerprint(rows),
    }
}

fn table(id: &str, title: &str, columns: &[&str], rows: Vec<Vec<String>>, empty: &str) -> Table {
    let rows = if rows.is_empty() {
        let mut r = vec!["-".to_string(); columns.len()];
        r[0] = empty.into();
        vec![r]
    } else {
        rows
    };
    Table {
        id: id.into(),
        title: title.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        note: None,
        provenance: Provenance {
            query: String::new(),
            period: super::model::Period {
                from: chrono::NaiveDate::MIN,
                to: chrono::NaiveDate::MIN,
            },
            filters: BTreeMap::new(),
            data_fingerprint: String::new(),
        },
    }
}

/// Table E1: mean Dice per model version, label and stratum.
pub fn quality_table(input: &ReportInput) -> Table {
    let k = input.min_cell_k;
    let rows = input
        .quality
        .iter()
        .map(|q| {
            let small = q.n > 0 && q.n < k;
            let (mean, ci) = mean_ci(q);
            let (m, c) = if small {
                ("suppressed".to_string(), "suppressed".to_string())
            } else {
                (
                    format!("{mean:.4}"),
                    ci.map_or("n < 2".into(), |(l, h)| format!("{l:.4} to {h:.4}")),
                )
            };
            let n = count_cell((!small).then_some(q.n), q.n, k);
            vec![
                q.model_id.clone(),
                q.label.clone(),
                q.stratum.clone(),
                n,
                m,
                c,
            ]
        })
        .collect();
    let cols = [
        "Model version",
        "Label",
        "Stratum",
        "Reviews",
        "Mean Dice",
        "95% CI (t)",
    ];
    let mut t = table(
        "table-e1",
        "Table E1: Segmentation quality against clinician corrections",
        &cols,
        rows,
        "No reviewed case in the period",
    );
    t.note = Some(format!(
        "Site-reported Dice of each reviewed case (daily rollups, by review day) averaged per stratum; two-sided 95% t-interval. Strata with fewer than k = {k} reviews are suppressed."
    ));
    t.provenance = provenance(
        input,
        "rollups(metric:dice per model version, label, site)",
        &input.quality,
    );
    t
}

/// One control-chart figure per series.
pub fn chart_figures(input: &ReportInput) -> Vec<Figure> {
    input
        .charts
        .iter()
        .enumerate()
        .map(|(i, s): (usize, &ChartSeries)| Figure {
            id: format!("figure-{}", i + 1),
            title: format!("Mean Dice per evaluation window: {} ({})", s.model_id, s.label),
            y_label: "mean Dice".into(),
            points: s.points.clone(),
            limit: s.limit,
            caption: match s.limit {
                Some(l) => format!("Tumbling-window means from the plan evaluation's findings; the line at {l} is the plan's lower limit."),
                None => "Tumbling-window means from the plan evaluation's findings; the plan sets no limit for this label.".into(),
            },
            provenance: provenance(input, "findings(rule=mean_dice:<label>, stratum=all, window=tumbling)", s),
        })
        .collect()
}

/// Table E2: output status of the studies processed in the period.
pub fn status_table(input: &ReportInput) -> Table {
    let k = input.min_cell_k;
    let status = input
        .usage
        .first()
        .map(|u| u.usage.output_status.clone())
        .unwrap_or_default();
    let counts: Vec<u64> = status.iter().map(|s| s.1).collect();
    let shown = suppress_small_cells(&counts, k);
    let rows = status
        .iter()
        .zip(&shown)
        .map(|((name, n), s)| vec![name.clone(), count_cell(*s, *n, k)])
        .collect();
    let mut t = table(
        "table-e2",
        "Table E2: Output status of the studies processed",
        &["Output status", "Studies"],
        rows,
        "No study in the period",
    );
    t.provenance = provenance(input, "usage_counts(output status, period N)", &status);
    t
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// Tables E3-E6: signalled findings, alerts, shadow runs, retraining requests.
pub fn event_tables(input: &ReportInput) -> Vec<Table> {
    let findings = input
        .findings
        .iter()
        .map(|f| {
            vec![
                f.model_id.clone(),
                f.rule.clone(),
                f.stratum.clone(),
                f.window_end.to_string(),
                f.method.clone(),
                opt(f.estimate, 4),
                opt(f.q_value, 4),
            ]
        })
        .collect();
    let mut e3 = table(
        "table-e3",
        "Table E3: Drift and quality findings that signalled",
        &[
            "Model version",
            "Rule",
            "Stratum",
            "Window end",
            "Method",
            "Estimate",
            "BH q",
        ],
        findings,
        "No signal in the period",
    );
    e3.provenance = provenance(input, "findings(status=signal)", &input.findings);
    let alerts = input
        .alerts
        .iter()
        .map(|a| {
            vec![
                a.id.chars().take(8).collect(),
                a.model_id.clone(),
                a.rule.clone(),
                a.stratum.clone(),
                a.opened.to_string(),
                a.state.clone(),
                a.closed.map_or("-".into(), |d| d.to_string()),
                a.incident_id.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut e4 = table(
        "table-e4",
        "Table E4: Alerts and their outcome",
        &[
            "Alert",
            "Model version",
            "Rule",
            "Stratum",
            "Opened",
            "Outcome",
            "Closed",
            "Incident",
        ],
        alerts,
        "No alert in the period",
    );
    e4.provenance = provenance(input, "alerts(opened in period)", &input.alerts);
    let runs = input
        .shadow_runs
        .iter()
        .map(|r| {
            let verdict = match r.passed {
                Some(true) => "non-inferior",
                Some(false) => "not shown non-inferior",
                None => "-",
            };
            vec![
                r.id.chars().take(8).collect(),
                r.candidate.clone(),
                r.baseline.clone(),
                r.state.clone(),
                verdict.into(),
                opt(r.mean_difference, 4),
                r.finished.map_or("-".into(), |d| d.to_string()),
            ]
        })
        .collect();
    let mut e5 = table(
        "table-e5",
        "Table E5: Shadow runs of candidate model versions",
        &[
            "Run",
            "Candidate",
            "Baseline",
            "State",
            "Verdict",
            "Mean difference",
            "Finished",
        ],
        runs,
        "No shadow run in the period",
    );
    e5.provenance = provenance(
        input,
        "jobs(kind=shadow_run, created in period)",
        &input.shadow_runs,
    );
    let retraining = input
        .retraining
        .iter()
        .map(|r| {
            vec![
                r.id.chars().take(8).collect(),
                r.model.clone(),
                r.status.clone(),
                r.case_count.to_string(),
                r.created.to_string(),
            ]
        })
        .collect();
    let mut e6 = table(
        "table-e6",
        "Table E6: Retraining requests",
        &["Request", "Model", "Status", "Cases", "Created"],
        retraining,
        "No retraining request in the period",
    );
    e6.provenance = provenance(
        input,
        "retraining_requests(created in period)",
        &input.retraining,
    );
    vec![e3, e4, e5, e6]
}

/// The blocks of section 8(e).
pub fn monitoring_blocks(input: &ReportInput) -> Vec<Block> {
    let mut blocks = vec![
        super::model::text(
            "Real-world performance monitoring of the deployed model versions: clinician corrections scored against the device output, the PMS plan's drift and quality tests, alerts and their handling, shadow evaluation of candidate versions and retraining requests.",
        ),
        Block::Table(quality_table(input)),
    ];
    blocks.extend(chart_figures(input).into_iter().map(Block::Figure));
    blocks.push(Block::Table(status_table(input)));
    blocks.extend(event_tables(input).into_iter().map(Block::Table));
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_ci_matches_scipy_t_interval() {
        // scipy.stats.t.interval(0.95, 4, loc=x.mean(), scale=scipy.stats.sem(x)) with
        // t.ppf(0.975, 4) = 2.7764451051977987: (0.8798603243, 0.9441396757).
        let xs = [0.9, 0.92, 0.88, 0.95, 0.91];
        let q = QualitySums {
            model_id: "m@1".into(),
            label: "liver".into(),
            stratum: "all".into(),
            n: 5,
            sum: xs.iter().sum(),
            sum_sq: xs.iter().map(|x| x * x).sum(),
        };
        let (mean, ci) = mean_ci(&q);
        let (lo, hi) = ci.unwrap();
        assert!((mean - 0.912).abs() < 1e-12);
        assert!((lo - 0.879_860_324_3).abs() < 1e-9, "{lo}");
        assert!((hi - 0.944_139_675_7).abs() < 1e-9, "{hi}");
    }
}
