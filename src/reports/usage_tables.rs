//! MDCG 2022-21 Annex II Tables 1-3 from the usage rollups: Table 1 the denominator (studies
//! processed and the active installed base, EEA+TR+XI and worldwide, periods N to N-3),
//! Table 2 the population exposed (for software: studies processed) and Table 3 its age band
//! and sex mix (each dimension on its own: the rollups hold them apart). Counts of people below the plan's k are suppressed with the privacy module's
//! rule (primary `< k`, complementary `suppressed`); site counts are not people and are shown.

use std::collections::{BTreeMap, BTreeSet};

use super::input::{PeriodUsage, ReportInput};
use super::model::{Provenance, Table, fingerprint};
use crate::privacy::suppression::suppress_small_cells;
use crate::vigilance::similar::in_eea_ch_tr;

/// EEA, Turkey and Northern Ireland: the MDR's territory for PSUR regions (MDCG 2022-21
/// Annex III). Switzerland is not in it.
pub fn in_eea_tr_xi(country: &str) -> bool {
    country != "CH" && in_eea_ch_tr(country)
}

/// The two PSUR regions, in table order.
pub const REGIONS: [&str; 2] = ["EEA+TR+XI", "Worldwide"];

pub fn in_region(region: &str, country: &str) -> bool {
    region == "Worldwide" || in_eea_tr_xi(country)
}

/// Studies processed in a region in one period.
pub fn studies(u: &PeriodUsage, region: &str) -> u64 {
    u.usage
        .sites
        .iter()
        .filter(|s| in_region(region, &s.country))
        .map(|s| s.studies)
        .sum()
}

/// Sites with at least one study in a region in one period.
pub fn active_sites(u: &PeriodUsage, region: &str) -> u64 {
    let set: BTreeSet<&str> = u
        .usage
        .sites
        .iter()
        .filter(|s| s.studies > 0 && in_region(region, &s.country))
        .map(|s| s.site_id.as_str())
        .collect();
    set.len() as u64
}

/// A published count: the value, `< k` for a small cell, `suppressed` for a complementary one.
pub fn count_cell(shown: Option<u64>, actual: u64, k: u64) -> String {
    match shown {
        Some(v) => v.to_string(),
        None if actual < k => format!("< {k}"),
        None => "suppressed".into(),
    }
}

/// Provenance of a table read from the usage counts.
pub fn usage_provenance(
    input: &ReportInput,
    query: &str,
    rows: &impl serde::Serialize,
) -> Provenance {
    let mut filters = BTreeMap::new();
    filters.insert("device".into(), input.device.basic_udi_di.clone());
    let models: Vec<&str> = input.software.iter().map(|s| s.model_id.as_str()).collect();
    filters.insert("model_versions".into(), models.join(","));
    Provenance {
        query: query.into(),
        period: input.usage.first().map_or(input.period, |u| u.period),
        filters,
        data_fingerprint: fingerprint(rows),
    }
}

fn period_columns(input: &ReportInput) -> Vec<String> {
    input
        .usage
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let n = if i == 0 {
                "N".to_string()
            } else {
                format!("N-{i}")
            };
            format!("{n}: {}", u.period.label())
        })
        .collect()
}

/// Table 1: denominators by region and period.
pub fn table_1(input: &ReportInput) -> Table {
    let k = input.min_cell_k;
    let mut columns = vec!["Region".to_string(), "Basis".to_string()];
    columns.extend(period_columns(input));
    columns.push("Total".into());
    let mut rows = Vec::new();
    for region in REGIONS {
        let counts: Vec<u64> = input.usage.iter().map(|u| studies(u, region)).collect();
        let shown = suppress_small_cells(&counts, k);
        let mut row = vec![region.to_string(), "Studies processed".to_string()];
        row.extend(
            shown
                .iter()
                .zip(&counts)
                .map(|(s, a)| count_cell(*s, *a, k)),
        );
        let total = crate::privacy::suppression::publishable_total(&counts, k);
        row.push(count_cell(total, counts.iter().sum(), k));
        rows.push(row);
    }
    for region in REGIONS {
        let mut row = vec![
            region.to_string(),
            "Active installed base (sites)".to_string(),
        ];
        row.extend(
            input
                .usage
                .iter()
                .map(|u| active_sites(u, region).to_string()),
        );
        row.push("-".into());
        rows.push(row);
    }
    let source: Vec<_> = input.usage.iter().collect();
    Table {
        id: "table-1".into(),
        title: "Table 1: Sales volume and denominator by region and period".into(),
        columns,
        rows,
        note: Some(format!(
            "Denominator basis: episodes of use (studies processed by the device's model versions) and the active installed base (sites that sent at least one study). Periods back to back, N is this report's. Rates in Tables 4-6 are per 10,000 studies of this table. Counts below k = {k} are shown as \"< {k}\"."
        )),
        provenance: usage_provenance(input, "rollups(studies per site, periods N..N-3)", &source),
    }
}

/// Table 2: population exposed in the period (studies processed) by region.
pub fn table_2(input: &ReportInput) -> Table {
    let k = input.min_cell_k;
    let current = input.usage.first();
    let counts: Vec<u64> = REGIONS
        .iter()
        .map(|r| current.map_or(0, |u| studies(u, r)))
        .collect();
    let rows = REGIONS
        .iter()
        .zip(&counts)
        .map(|(r, &c)| {
            let shown = (c == 0 || c >= k).then_some(c);
            vec![
                r.to_string(),
                count_cell(shown, c, k),
                "studies processed (one study: one patient exposure)".into(),
            ]
        })
        .collect();
    Table {
        id: "table-2".into(),
        title: "Table 2: Estimated population exposed in the period".into(),
        columns: vec![
            "Region".into(),
            "Patients exposed (estimate)".into(),
            "Basis".into(),
        ],
        rows,
        note: Some("Vigil holds no patient identity: a patient imaged twice counts twice.".into()),
        provenance: usage_provenance(input, "rollups(studies per site, period N)", &current),
    }
}

/// Table 3: age bands and sexes of the studies in the period, each with the share of its
/// dimension; each dimension is one line of counts whose total is published.
pub fn table_3(input: &ReportInput) -> Table {
    let k = input.min_cell_k;
    let demo = input
        .usage
        .first()
        .map(|u| u.usage.demographics.clone())
        .unwrap_or_default();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (dimension, label) in [("age_band", "Age band"), ("sex", "Sex")] {
        let line: Vec<&(String, String, u64)> = demo.iter().filter(|d| d.0 == dimension).collect();
        let counts: Vec<u64> = line.iter().map(|d| d.2).collect();
        let shown = suppress_small_cells(&counts, k);
        for (d, s) in line.iter().zip(&shown) {
            rows.push(vec![label.to_string(), d.1.clone(), count_cell(*s, d.2, k)]);
        }
        let total = crate::privacy::suppression::publishable_total(&counts, k);
        rows.push(vec![
            label.to_string(),
            "Total".into(),
            count_cell(total, counts.iter().sum(), k),
        ]);
    }
    Table {
        id: "table-3".into(),
        title: "Table 3: Population characteristics (age band, sex) in the period".into(),
        columns: vec!["Characteristic".into(), "Value".into(), "Studies".into()],
        rows,
        note: Some(format!(
            "As sites report them (bands, never dates of birth); `unknown` where a site sent none. Counts below k = {k} are suppressed (complementary cells `suppressed`) so the totals cannot reveal them."
        )),
        provenance: usage_provenance(input, "rollups(age_band, sex; period N)", &demo),
    }
}
