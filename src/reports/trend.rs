//! The Art. 88 trend report as a `Document`, rendered by the same pipeline as the PSUR: a cover
//! (manufacturer, device, model versions, plan version, observation period, countries), the
//! signal table (class, IMDRF codes, observed / denominator, expected rate and its source,
//! method, alpha, p-value or CUSUM), the daily series per class (table and chart: the observed
//! daily rate against the declared rate) and the fields the manufacturer must write, shown as
//! MISSING until drafted. Pure: the service gathers the signals and series.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::model::{
    Block, Document, Figure, Period, Provenance, ReportKind, Section, Table, fingerprint,
    narrative, section, text,
};
use crate::monitoring::trend_eval::TrendSignal;
use crate::vigilance::device::Device;

/// Section titles of a trend report, in order.
pub const TREND_SECTIONS: [&str; 5] = [
    "Cover page",
    "Signal",
    "Daily series",
    "Assessment by the manufacturer",
    "Method and data",
];

/// One day of a class's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendDay {
    pub day: NaiveDate,
    pub denominator: u64,
    pub events: u64,
}

/// One evaluated class with its daily series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendClassFacts {
    pub signal: TrendSignal,
    pub daily: Vec<TrendDay>,
}

/// Everything a trend report is assembled from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendInput {
    /// Stable per device (or model) and period end, e.g. `TREND-<Basic UDI-DI>-<class>-<day>`.
    pub reference: String,
    pub version: i64,
    pub model: String,
    pub model_versions: Vec<String>,
    pub device: Option<Device>,
    pub plan_version: i64,
    pub period: Period,
    pub countries: Vec<String>,
    pub alert_id: Option<String>,
    pub classes: Vec<TrendClassFacts>,
    pub narratives: BTreeMap<String, String>,
}

fn provenance(
    input: &TrendInput,
    query: &str,
    class: Option<&str>,
    rows: &impl Serialize,
) -> Provenance {
    let mut filters = BTreeMap::new();
    if let Some(d) = &input.device {
        filters.insert("device".into(), d.basic_udi_di.clone());
    }
    filters.insert("model_versions".into(), input.model_versions.join(","));
    if let Some(c) = class {
        filters.insert("class".into(), c.to_string());
    }
    Provenance {
        query: query.into(),
        period: input.period,
        filters,
        data_fingerprint: fingerprint(rows),
    }
}

const ROLLUP_QUERY: &str = "rollups(by day; measures: denominator, class measure)";

/// `5.276e-28`, `CUSUM 7.12 > h 4`.
pub fn statistic(s: &TrendSignal) -> String {
    match (s.p_value, s.cusum_max) {
        (Some(p), _) => format!("{p:.3e}"),
        (None, Some(c)) => format!(
            "CUSUM {c:.2} (h {})",
            s.decision_interval.unwrap_or_default()
        ),
        _ => "not evaluated (no denominator)".into(),
    }
}

fn cover(input: &TrendInput) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    match &input.device {
        Some(d) => {
            let m = &d.manufacturer;
            rows.push((
                "Manufacturer".into(),
                format!("{}, {} {}, {}", m.name, m.postcode, m.city, m.country),
            ));
            rows.push(("SRN".into(), m.srn.clone().unwrap_or_else(|| "-".into())));
            rows.push((
                "Device".into(),
                format!("{} (Basic UDI-DI {})", d.trade_name, d.basic_udi_di),
            ));
            rows.push(("MDR class".into(), d.mdr_class.as_str().into()));
            rows.push(("EMDN".into(), d.emdn_code.clone()));
            rows.push((
                "UDI-DIs".into(),
                if d.udi_dis.is_empty() { "-".into() } else { d.udi_dis.join(", ") },
            ));
        }
        None => rows.push((
            "Device".into(),
            "MISSING: the model is not linked to a registered device (POST /api/v1/devices/{device}/software)".into(),
        )),
    }
    rows.push(("Model".into(), input.model.clone()));
    rows.push(("Model versions".into(), input.model_versions.join(", ")));
    rows.push(("PMS plan version".into(), input.plan_version.to_string()));
    rows.push(("Observation period".into(), input.period.label()));
    rows.push((
        "Countries".into(),
        if input.countries.is_empty() {
            "-".into()
        } else {
            input.countries.join(", ")
        },
    ));
    rows.push((
        "Alert".into(),
        input.alert_id.clone().unwrap_or_else(|| "-".into()),
    ));
    rows.push(("Reference".into(), input.reference.clone()));
    rows.push(("Version".into(), input.version.to_string()));
    rows
}

fn signal_table(input: &TrendInput) -> Table {
    let signals: Vec<&TrendSignal> = input.classes.iter().map(|c| &c.signal).collect();
    let rows = signals
        .iter()
        .map(|s| {
            vec![
                s.class.clone(),
                s.imdrf_codes.join(", "),
                format!("{} / {}", s.observed, s.denominator),
                format!("{} ({})", s.expected_rate, s.rate_source),
                format!("{:.2}", s.expected),
                s.method.clone(),
                s.alpha.to_string(),
                statistic(s),
                if s.significant {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect();
    Table {
        id: "table-t1".into(),
        title: "Table T1: Trend signal per event class".into(),
        columns: [
            "Class",
            "IMDRF codes",
            "Observed / denominator",
            "Expected rate (source)",
            "Expected count",
            "Method",
            "Alpha",
            "p-value",
            "Significant increase",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some("One-sided tests of an increase against the rate declared in the PMS plan; the plan's minimum event count applies.".into()),
        provenance: provenance(input, "trend evaluation over rollups", None, &signals),
    }
}

fn class_blocks(input: &TrendInput, c: &TrendClassFacts, n: usize) -> Vec<Block> {
    let class = c.signal.class.as_str();
    let rows = c
        .daily
        .iter()
        .map(|d| {
            let rate = if d.denominator > 0 {
                format!("{:.4}", d.events as f64 / d.denominator as f64)
            } else {
                "-".into()
            };
            vec![
                d.day.to_string(),
                d.denominator.to_string(),
                d.events.to_string(),
                rate,
            ]
        })
        .collect();
    let table = Table {
        id: format!("table-t2-{n}"),
        title: format!("Table T2.{n}: Daily series of {class}"),
        columns: ["Day", "Denominator", "Events", "Observed rate"]
            .map(String::from)
            .to_vec(),
        rows,
        note: None,
        provenance: provenance(input, ROLLUP_QUERY, Some(class), &c.daily),
    };
    let figure = Figure {
        id: format!("figure-t{n}"),
        title: format!("Figure T{n}: Observed daily rate of {class}"),
        y_label: "events / denominator".into(),
        points: c
            .daily
            .iter()
            .filter(|d| d.denominator > 0)
            .map(|d| (d.day, d.events as f64 / d.denominator as f64))
            .collect(),
        limit: Some(c.signal.expected_rate),
        caption: format!(
            "Daily rate of {class}; the horizontal line is the declared rate {} ({}). x: days since {}.",
            c.signal.expected_rate, c.signal.rate_source, input.period.from
        ),
        provenance: provenance(input, ROLLUP_QUERY, Some(class), &c.daily),
    };
    vec![Block::Table(table), Block::Figure(figure)]
}

/// The narrative fields of a trend report: (field, label).
pub const TREND_NARRATIVES: &[(&str, &str)] = &[
    ("background", "Background"),
    ("root_cause", "Root-cause summary"),
    ("risk_reduction", "Risk-reduction actions"),
    ("benefit_risk", "Benefit-risk assessment"),
];

/// Assemble the trend report.
pub fn assemble_trend(input: &TrendInput, generated_at: DateTime<Utc>) -> Document {
    let statements: Vec<Block> = input
        .classes
        .iter()
        .map(|c| {
            let s = &c.signal;
            text(format!(
                "{}: {} events in {} ({}), {:.2} expected at the declared rate {}; {} test, {}: {}.",
                s.class,
                s.observed,
                s.denominator,
                input.period.label(),
                s.expected,
                s.expected_rate,
                s.method,
                statistic(s),
                if s.significant {
                    "a statistically significant increase"
                } else {
                    "no significant increase"
                }
            ))
        })
        .collect();
    let mut signal = statements;
    signal.push(Block::Table(signal_table(input)));
    let mut series = section("3", TREND_SECTIONS[2], vec![]);
    series.subsections = input
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut s: Section = section(&format!("3.{}", i + 1), &c.signal.class, vec![]);
            s.blocks = class_blocks(input, c, i + 1);
            s
        })
        .collect();
    let assessment = TREND_NARRATIVES
        .iter()
        .map(|(f, l)| narrative(&input.narratives, f, l, false))
        .collect();
    let method = vec![text(format!(
        "Classes, denominator, expected rates and their sources, method, alpha, minimum count and observation period are read from version {} of the PMS plan of {}, never tuned after the fact. Counts are sums of the daily rollups over every version of the model ({}). Vigil states the statistics; whether the increase could significantly affect the benefit-risk balance and lead to unacceptable risk (Art. 88(1)) is for the manufacturer to assess above.",
        input.plan_version,
        input.model,
        input.model_versions.join(", ")
    ))];
    let mut figures = BTreeMap::new();
    for c in &input.classes {
        figures.insert(
            format!("observed:{}", c.signal.class),
            c.signal.observed as f64,
        );
        figures.insert(
            format!("denominator:{}", c.signal.class),
            c.signal.denominator as f64,
        );
        if let Some(p) = c.signal.p_value {
            figures.insert(format!("p_value:{}", c.signal.class), p);
        }
    }
    let subject = input
        .device
        .as_ref()
        .map_or(input.model.clone(), |d| d.trade_name.clone());
    let mut doc = Document {
        kind: ReportKind::Trend,
        title: format!("Trend report (MDR Art. 88): {subject}"),
        reference: input.reference.clone(),
        version: input.version,
        period: input.period,
        cover: cover(input),
        sections: vec![
            section(
                "1",
                TREND_SECTIONS[0],
                vec![Block::Facts { rows: cover(input) }],
            ),
            section("2", TREND_SECTIONS[1], signal),
            series,
            section("4", TREND_SECTIONS[3], assessment),
            section("5", TREND_SECTIONS[4], method),
        ],
        figures,
        data_fingerprint: String::new(),
        generated_at,
        approval: None,
    };
    doc.seal();
    doc
}
