//! MDCG 2022-21 Annex II Tables 4-8 from the incident register: serious incidents by IMDRF
//! Annex A device problem (Table 4) and Annex C investigation finding (Table 5), level-2 codes,
//! counts and rates per 10,000 studies on Table 1's denominator for EEA+TR+XI and worldwide;
//! Annex F health impact by Annex D cause over periods N to N-3 (Table 6); FSCAs (Table 7) and
//! CAPAs from the incidents' final reports (Table 8). Incident counts are not suppressed: a
//! PSUR reports every serious incident, and the counts carry no patient attribute.

use std::collections::{BTreeMap, BTreeSet};

use super::input::{IncidentFacts, ReportInput};
use super::model::{Provenance, Table, fingerprint};
use super::usage_tables::{REGIONS, in_region, studies};

fn serious(i: &IncidentFacts) -> bool {
    i.seriousness.is_some()
}

fn in_period_n(input: &ReportInput) -> Vec<&IncidentFacts> {
    input
        .incidents
        .iter()
        .filter(|i| serious(i) && input.period.contains(i.awareness_date))
        .collect()
}

fn provenance(input: &ReportInput, query: &str, rows: &impl serde::Serialize) -> Provenance {
    let mut filters = BTreeMap::new();
    filters.insert("device".into(), input.device.basic_udi_di.clone());
    filters.insert("seriousness".into(), "classified reportable".into());
    Provenance {
        query: query.into(),
        period: input.period,
        filters,
        data_fingerprint: fingerprint(rows),
    }
}

/// `count / denominator` per 10,000, two decimals; `n/a` without a denominator.
pub fn rate(count: u64, denominator: u64) -> String {
    if denominator == 0 {
        "n/a".into()
    } else {
        format!("{:.2}", count as f64 * 10_000.0 / denominator as f64)
    }
}

fn in_region_any(region: &str, countries: &[String]) -> bool {
    region == "Worldwide" || countries.iter().any(|c| in_region(region, c))
}

/// Tables 4 and 5: counts and rates per code.
fn coded_table(
    input: &ReportInput,
    (id, title, annex): (&str, &str, &str),
    codes: impl Fn(&IncidentFacts) -> &Vec<(String, String)>,
) -> Table {
    let incidents = in_period_n(input);
    let mut terms: BTreeMap<String, String> = BTreeMap::new();
    for i in &incidents {
        let i: &IncidentFacts = i;
        for (c, t) in codes(i) {
            terms.insert(c.clone(), t.clone());
        }
    }
    let denominators: Vec<u64> = REGIONS
        .iter()
        .map(|r| input.usage.first().map_or(0, |u| studies(u, r)))
        .collect();
    let world_total = incidents.len() as u64;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (code, term) in &terms {
        let mut row = vec![code.clone(), term.clone()];
        for (region, denom) in REGIONS.iter().zip(&denominators) {
            let n = incidents
                .iter()
                .filter(|i| {
                    let i: &IncidentFacts = i;
                    in_region_any(region, &i.countries) && codes(i).iter().any(|(c, _)| c == code)
                })
                .count() as u64;
            row.push(n.to_string());
            row.push(rate(n, *denom));
        }
        let world: u64 = row[4].parse().unwrap_or(0);
        row.push(if world_total == 0 {
            "-".into()
        } else {
            format!("{:.1}", world as f64 * 100.0 / world_total as f64)
        });
        rows.push(row);
    }
    if rows.is_empty() {
        let mut row = vec![
            "-".to_string(),
            "No serious incident in the period".to_string(),
        ];
        for denom in &denominators {
            row.push("0".into());
            row.push(rate(0, *denom));
        }
        row.push("-".into());
        rows.push(row);
    }
    let source: Vec<_> = incidents
        .iter()
        .map(|i| {
            let i: &IncidentFacts = i;
            (&i.id, codes(i))
        })
        .collect();
    Table {
        id: id.into(),
        title: title.into(),
        columns: vec![
            format!("IMDRF {annex} code"),
            "Term".into(),
            "EEA+TR+XI N".into(),
            "EEA+TR+XI rate /10,000".into(),
            "Worldwide N".into(),
            "Worldwide rate /10,000".into(),
            "% of serious incidents".into(),
        ],
        rows,
        note: Some(format!(
            "Serious incidents (awareness date in the period) coded at IMDRF level 2 from each incident's latest report; an incident with several codes counts under each. Rates per 10,000 studies processed (Table 1, period N). {world_total} serious incident(s) worldwide."
        )),
        provenance: provenance(input, "incidents + latest report codes", &source),
    }
}

pub fn table_4(input: &ReportInput) -> Table {
    coded_table(
        input,
        (
            "table-4",
            "Table 4: Serious incidents by device problem (IMDRF Annex A)",
            "Annex A",
        ),
        |i| &i.device_problems,
    )
}

pub fn table_5(input: &ReportInput) -> Table {
    coded_table(
        input,
        (
            "table-5",
            "Table 5: Serious incidents by investigation finding (IMDRF Annex C)",
            "Annex C",
        ),
        |i| &i.findings,
    )
}

/// Table 6: health impact (Annex F) by cause (Annex D), worldwide, periods N to N-3.
pub fn table_6(input: &ReportInput) -> Table {
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let label = |(c, t): &(String, String)| format!("{c} {t}");
    let serious_all: Vec<&IncidentFacts> = input.incidents.iter().filter(|i| serious(i)).collect();
    for i in &serious_all {
        for f in &i.health_impacts {
            for d in &i.conclusions {
                pairs.insert((label(f), label(d)));
            }
        }
    }
    let mut columns = vec![
        "Health impact (Annex F)".to_string(),
        "Cause (Annex D)".into(),
    ];
    columns.extend(input.usage.iter().enumerate().map(|(k, u)| {
        let n = if k == 0 { "N".into() } else { format!("N-{k}") };
        format!("{n}: {}", u.period.label())
    }));
    let mut rows: Vec<Vec<String>> = pairs
        .iter()
        .map(|(f, d)| {
            let mut row = vec![f.clone(), d.clone()];
            for u in &input.usage {
                let n = serious_all
                    .iter()
                    .filter(|i| u.period.contains(i.awareness_date))
                    .filter(|i| i.health_impacts.iter().any(|x| &label(x) == f))
                    .filter(|i| i.conclusions.iter().any(|x| &label(x) == d))
                    .count();
                row.push(n.to_string());
            }
            row
        })
        .collect();
    if rows.is_empty() {
        let mut row = vec!["-".to_string(), "No coded serious incident".to_string()];
        row.extend(input.usage.iter().map(|_| "0".to_string()));
        rows.push(row);
    }
    let source: Vec<_> = serious_all
        .iter()
        .map(|i| (&i.id, i.awareness_date, &i.health_impacts, &i.conclusions))
        .collect();
    Table {
        id: "table-6".into(),
        title: "Table 6: Health impact by cause of serious incidents over four periods".into(),
        columns,
        rows,
        note: Some("Worldwide counts; pairs of the Annex F and Annex D codes of each incident's latest report.".into()),
        provenance: provenance(input, "incidents + latest report codes (periods N..N-3)", &source),
    }
}

/// Table 7: field safety corrective actions.
pub fn table_7(input: &ReportInput) -> Table {
    let columns = [
        "Type",
        "Date",
        "Scope",
        "Status",
        "Reference",
        "Reason and action",
        "Regions",
    ];
    Table {
        id: "table-7".into(),
        title: "Table 7: Field safety corrective actions (FSCA)".into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows: vec![vec![
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "No FSCA recorded in Vigil for the period".into(),
            "-".into(),
        ]],
        note: Some("Vigil records no FSCAs yet; an FSCA handled outside Vigil belongs in the executive summary and conclusions.".into()),
        provenance: provenance(input, "fsca register (none in Vigil)", &Vec::<String>::new()),
    }
}

/// Table 8: corrective and preventive actions from the incidents' reports.
pub fn table_8(input: &ReportInput) -> Table {
    let incidents = in_period_n(input);
    let with_action: Vec<&&IncidentFacts> = incidents
        .iter()
        .filter(|i| i.corrective_action.is_some())
        .collect();
    let mut rows: Vec<Vec<String>> = with_action
        .iter()
        .map(|i| {
            let status = match i.stage.as_deref() {
                Some(s) if s.starts_with("final") || s.starts_with("combined") => "closed",
                _ => "open",
            };
            let effectiveness = match i.risk_assessment_adequate {
                Some(true) => "risk assessment adequate",
                Some(false) => "risk assessment not adequate",
                None => "not yet assessed",
            };
            vec![
                "Corrective".into(),
                i.report_date.map_or("-".into(), |d| d.to_string()),
                i.model_id.clone(),
                status.into(),
                i.id.clone(),
                i.corrective_action.clone().unwrap_or_default(),
                i.root_causes.clone().unwrap_or_else(|| "-".into()),
                effectiveness.into(),
            ]
        })
        .collect();
    if rows.is_empty() {
        let mut row = vec!["-".to_string(); 8];
        row[5] = "No CAPA recorded for the period's serious incidents".into();
        rows.push(row);
    }
    let columns = [
        "Type",
        "Date",
        "Scope",
        "Status",
        "Reference",
        "Description",
        "Root cause",
        "Effectiveness",
    ];
    Table {
        id: "table-8".into(),
        title: "Table 8: Corrective and preventive actions (CAPA)".into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        note: Some("From the corrective action, root cause and risk-assessment fields of each serious incident's latest report.".into()),
        provenance: provenance(input, "incidents + latest report corrective actions", &with_action),
    }
}
