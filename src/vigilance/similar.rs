//! The MIR's similar-incidents block (4.3.3), computed from Vigil's own data: four back-to-back
//! 12-month periods ending on the report date (N, N-1, N-2, N-3); similar incidents are the
//! device's incidents whose awareness date falls in the period, and the device count is the
//! active installed base (sites that sent at least one study for the device in the period),
//! each for the reporting country, for EEA+CH+TR, and worldwide.

use std::collections::BTreeSet;

use chrono::{Duration, Months, NaiveDate};

/// EU 27, the other EEA states (IS, LI, NO), CH and TR; XI (Northern Ireland) too, where the
/// MDR applies.
pub const EEA_CH_TR: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "TR",
    "XI",
];

pub fn in_eea_ch_tr(country: &str) -> bool {
    EEA_CH_TR.contains(&country)
}

/// One period's counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PeriodCounts {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub country_incidents: u64,
    pub eea_incidents: u64,
    pub world_incidents: u64,
    pub country_devices: u64,
    pub eea_devices: u64,
    pub world_devices: u64,
}

/// What the counts are drawn from.
pub struct SimilarInput<'a> {
    pub report_date: NaiveDate,
    pub country: &'a str,
    /// (awareness date, countries) of each of the device's reportable incidents.
    pub incidents: &'a [(NaiveDate, Vec<String>)],
    /// (site id, site country, day) for each day a site sent studies for the device.
    pub site_days: &'a [(String, String, NaiveDate)],
}

/// The four periods N..N-3, newest first.
pub fn periods(report_date: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    (0..4u32)
        .map(|k| {
            let end = report_date
                .checked_sub_months(Months::new(12 * k))
                .unwrap_or(report_date);
            let start = end
                .checked_sub_months(Months::new(12))
                .map_or(end, |d| d + Duration::days(1));
            (start, end)
        })
        .collect()
}

/// The counts for each period, newest first.
pub fn similar_counts(input: &SimilarInput<'_>) -> Vec<PeriodCounts> {
    periods(input.report_date)
        .into_iter()
        .map(|(start, end)| {
            let within = |d: &NaiveDate| *d >= start && *d <= end;
            let incs: Vec<&Vec<String>> = input
                .incidents
                .iter()
                .filter(|(d, _)| within(d))
                .map(|(_, c)| c)
                .collect();
            let count_inc = |f: &dyn Fn(&str) -> bool| {
                incs.iter().filter(|cs| cs.iter().any(|c| f(c))).count() as u64
            };
            let sites = |f: &dyn Fn(&str) -> bool| {
                let set: BTreeSet<&str> = input
                    .site_days
                    .iter()
                    .filter(|(_, c, d)| within(d) && f(c))
                    .map(|(s, _, _)| s.as_str())
                    .collect();
                set.len() as u64
            };
            PeriodCounts {
                start,
                end,
                country_incidents: count_inc(&|c| c == input.country),
                eea_incidents: count_inc(&in_eea_ch_tr),
                world_incidents: incs.len() as u64,
                country_devices: sites(&|c| c == input.country),
                eea_devices: sites(&in_eea_ch_tr),
                world_devices: sites(&|_| true),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_are_back_to_back_twelve_months() {
        let p = periods(d("2026-11-20"));
        assert_eq!(p[0], (d("2025-11-21"), d("2026-11-20")));
        assert_eq!(p[1], (d("2024-11-21"), d("2025-11-20")));
        assert_eq!(p[3].1 + Duration::days(1), p[2].0);
    }

    #[test]
    fn counts_split_country_eea_and_world() {
        let incidents = vec![
            (d("2026-11-01"), vec!["DE".to_string()]),
            (d("2026-10-01"), vec!["US".to_string()]),
            (d("2025-01-01"), vec!["FR".to_string()]),
        ];
        let site_days = vec![
            ("a".to_string(), "DE".to_string(), d("2026-11-19")),
            ("a".to_string(), "DE".to_string(), d("2026-11-18")),
            ("b".to_string(), "FR".to_string(), d("2026-11-19")),
            ("c".to_string(), "US".to_string(), d("2025-02-01")),
        ];
        let input = SimilarInput {
            report_date: d("2026-11-20"),
            country: "DE",
            incidents: &incidents,
            site_days: &site_days,
        };
        let c = similar_counts(&input);
        assert_eq!(
            (
                c[0].country_incidents,
                c[0].eea_incidents,
                c[0].world_incidents
            ),
            (1, 1, 2)
        );
        assert_eq!(
            (c[0].country_devices, c[0].eea_devices, c[0].world_devices),
            (1, 2, 2)
        );
        assert_eq!((c[1].eea_incidents, c[1].world_devices), (1, 1));
    }
}
