//! What a replay's alerts say about the monitor: for each injected change, the detection
//! delay (days of changed data until the first alert at that site's stratum), and for the
//! streams of unchanged sites, the false alarms per stream-year.
//!
//! A stream is one (stratum, rule) the monitor tested, e.g. (`site=sim-site-04`,
//! `drift:hu_mean`). Alerts are raised at midnight after the day whose data crossed, so an
//! alert opened at the start of day D+1 detected on day D: the delay counts the changed days
//! D - from_day + 1.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use super::scenario::Change;
use super::site::site_id;

/// One alert as the analysis needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedAlert {
    pub stratum: String,
    pub rule: String,
    /// The day whose data raised it (the day before `opened_at`).
    pub day: NaiveDate,
}

/// The outcome for one injected change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub kind: &'static str,
    pub site: String,
    pub from: NaiveDate,
    /// Days of changed data until the first alert; `None`: not detected in the run.
    pub delay_days: Option<i64>,
    /// The rule of that first alert.
    pub rule: Option<String>,
}

/// False alarms on the streams of unchanged sites.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FalseAlarms {
    pub streams: usize,
    pub stream_years: f64,
    pub alarms: usize,
    pub per_stream_year: f64,
    /// Alarms by rule prefix (`drift`, `mean_dice`, ...).
    pub by_rule: Vec<(String, usize)>,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectionReport {
    pub detections: Vec<Detection>,
    pub false_alarms: FalseAlarms,
}

fn stratum_of(site: u32) -> String {
    format!("site={}", site_id(site))
}

/// Analyse a replay: `start` is day 0 of the fleet, monitoring covered `[from, to)`.
pub fn analyse(
    changes: &[Change],
    start: NaiveDate,
    alerts: &[RaisedAlert],
    streams: &BTreeSet<(String, String)>,
    (from, to): (NaiveDate, NaiveDate),
) -> DetectionReport {
    let detections = changes
        .iter()
        .map(|c| {
            let stratum = stratum_of(c.site());
            let change_day = start + chrono::Duration::days(i64::from(c.from_day()));
            let first = alerts
                .iter()
                .filter(|a| a.stratum == stratum && a.day >= change_day)
                .min_by_key(|a| a.day);
            Detection {
                kind: c.kind(),
                site: site_id(c.site()),
                from: change_day,
                delay_days: first.map(|a| (a.day - change_day).num_days() + 1),
                rule: first.map(|a| a.rule.clone()),
            }
        })
        .collect();
    let changed: BTreeSet<String> = changes.iter().map(|c| stratum_of(c.site())).collect();
    let quiet = |stratum: &str| stratum.starts_with("site=") && !changed.contains(stratum);
    let quiet_streams = streams.iter().filter(|(s, _)| quiet(s)).count();
    let false_alarms: Vec<&RaisedAlert> = alerts
        .iter()
        .filter(|a| quiet(&a.stratum) && a.day >= from && a.day < to)
        .collect();
    let mut by_rule: Vec<(String, usize)> = Vec::new();
    for a in &false_alarms {
        let prefix = a.rule.split(':').next().unwrap_or_default().to_string();
        match by_rule.iter_mut().find(|(r, _)| *r == prefix) {
            Some(entry) => entry.1 += 1,
            None => by_rule.push((prefix, 1)),
        }
    }
    by_rule.sort();
    let years = (to - from).num_days().max(0) as f64 / 365.0;
    let stream_years = quiet_streams as f64 * years;
    DetectionReport {
        detections,
        false_alarms: FalseAlarms {
            streams: quiet_streams,
            stream_years,
            alarms: false_alarms.len(),
            per_stream_year: if stream_years > 0.0 {
                false_alarms.len() as f64 / stream_years
            } else {
                0.0
            },
            by_rule,
        },
    }
}

/// Median of the detected delays of one kind (undetected changes count as never, so a
/// median over a majority of misses is `None`).
pub fn median_delay(report: &DetectionReport, kind: &str) -> Option<f64> {
    let mut delays: Vec<Option<i64>> = report
        .detections
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| d.delay_days)
        .collect();
    if delays.is_empty() {
        return None;
    }
    // Misses sort last.
    delays.sort_by_key(|d| d.unwrap_or(i64::MAX));
    let n = delays.len();
    let mid = |i: usize| delays[i].map(|v| v as f64);
    if n % 2 == 1 {
        mid(n / 2)
    } else {
        Some((mid(n / 2 - 1)? + mid(n / 2)?) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(i64::from(day))
    }

    #[test]
    fn delays_count_changed_days_and_quiet_sites_give_false_alarms() {
        let changes = vec![
            Change::DiceDrop {
                site: 1,
                from_day: 10,
                label: "liver".into(),
                drop: 0.03,
            },
            Change::IntensityShift {
                site: 2,
                from_day: 20,
                shift_sd: 0.25,
            },
        ];
        let alert = |site: u32, rule: &str, day: u32| RaisedAlert {
            stratum: stratum_of(site),
            rule: rule.into(),
            day: d(day),
        };
        let alerts = vec![
            alert(1, "drift:hu_mean", 5), // before the change: ignored for detection
            alert(1, "mean_dice:liver", 12), // day 12 -> 3 changed days
            alert(3, "drift:noise_sd", 40), // quiet site: a false alarm
            alert(3, "drift:noise_sd", 2), // before monitoring: not counted
        ];
        let streams: BTreeSet<(String, String)> = [1, 2, 3, 4]
            .iter()
            .flat_map(|s| {
                ["drift:hu_mean", "drift:noise_sd"].map(|r| (stratum_of(*s), r.to_string()))
            })
            .chain([("all".to_string(), "drift:hu_mean".to_string())])
            .collect();
        let r = analyse(&changes, d(0), &alerts, &streams, (d(14), d(14 + 365)));
        assert_eq!(r.detections[0].delay_days, Some(3));
        assert_eq!(r.detections[0].rule.as_deref(), Some("mean_dice:liver"));
        assert_eq!(r.detections[1].delay_days, None);
        assert_eq!(r.false_alarms.streams, 4);
        assert_eq!(r.false_alarms.alarms, 1);
        assert!((r.false_alarms.per_stream_year - 0.25).abs() < 1e-12);
        assert_eq!(median_delay(&r, "dice_drop"), Some(3.0));
        assert_eq!(median_delay(&r, "intensity_shift"), None);
    }
}
