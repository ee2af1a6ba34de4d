//! Storage port of the daily rollups: per (model version, UTC day, site), one count (and, for
//! numeric measures, a sum and a sum of squares) per measure and value, maintained in the
//! ingest transaction so that counts, exposure and reports never scan raw events. This file
//! also holds the pure aggregation of a batch into rollup deltas (the diesel adapter upserts
//! them) and the measure names; `diesel/rollups.rs` implements the trait.
//!
//! Measures (`value` in brackets): `events`, `studies` (distinct `case_ref`), `age_band`
//! (the band or `unknown`), `sex` (`F`, `M`, `O` or `unknown`), `output_status` (`ok`,
//! `failed`), `latency_ms` (n, sum, sum of squares), `reviews`, `review_outcome`,
//! `review_severity`, and `metric:<name>` (value: the label; n, sum and sum of squares of the
//! site-reported metric, e.g. `metric:dice` / `liver`). Events count on their UTC occurrence
//! day, reviews on their UTC review day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{NewEvent, NewReview, StoreError};

/// Measure names as stored in `daily_rollups.measure`.
pub mod measure {
    pub const EVENTS: &str = "events";
    pub const STUDIES: &str = "studies";
    pub const AGE_BAND: &str = "age_band";
    pub const SEX: &str = "sex";
    pub const OUTPUT_STATUS: &str = "output_status";
    pub const LATENCY_MS: &str = "latency_ms";
    pub const REVIEWS: &str = "reviews";
    pub const REVIEW_OUTCOME: &str = "review_outcome";
    pub const REVIEW_SEVERITY: &str = "review_severity";
    /// Prefix of the per-label metric measures: `metric:dice`, `metric:hd95_mm`, ...
    pub const METRIC_PREFIX: &str = "metric:";
    /// The value recorded for a missing age band or sex.
    pub const UNKNOWN: &str = "unknown";

    /// The measure of a site-reported metric (`dice` -> `metric:dice`).
    pub fn metric(name: &str) -> String {
        format!("{METRIC_PREFIX}{name}")
    }
}

/// Key of one rollup row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub model_id: String,
    pub day: NaiveDate,
    pub site_id: String,
    pub measure: String,
    pub value: String,
}

/// Count, sum and sum of squares of one measure (sums are 0 for pure counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RollupValue {
    pub n: i64,
    pub total: f64,
    pub total_sq: f64,
}

impl RollupValue {
    fn add_count(&mut self) {
        self.n += 1;
    }
    fn add_sample(&mut self, x: f64) {
        self.n += 1;
        self.total += x;
        self.total_sq += x * x;
    }
    /// Mean of the summed samples; `None` when there are none.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.total / self.n as f64)
    }
}

/// Increments to add to the stored rollups, by key.
pub type RollupDeltas = BTreeMap<RollupKey, RollupValue>;

/// One rollup row, or a sum of rows over the dimensions a query dropped (`None`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RollupRow {
    pub model_id: Option<String>,
    pub day: Option<NaiveDate>,
    pub site_id: Option<String>,
    pub measure: String,
    pub value: String,
    pub n: i64,
    pub total: f64,
    pub total_sq: f64,
}

/// Which rows a rollup query reads; empty lists and `None` mean all.
#[derive(Debug, Clone, Default)]
pub struct RollupFilter {
    pub model_ids: Vec<String>,
    pub site_ids: Vec<String>,
    /// Inclusive UTC days.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Exact measure names (`events`, `metric:dice`, ...).
    pub measures: Vec<String>,
}

/// Which dimensions a rollup query keeps; the others are summed over (in the database).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupGrouping {
    pub by_model: bool,
    pub by_day: bool,
    pub by_site: bool,
}

impl RollupGrouping {
    /// Every dimension kept: one row per stored rollup row.
    pub const ALL: Self = Self {
        by_model: true,
        by_day: true,
        by_site: true,
    };
}

/// Daily rollups: read, summed, and rebuilt from the raw rows.
pub trait RollupStore: Send + Sync {
    /// Rollup rows matching the filter, summed over the dimensions the grouping drops,
    /// ordered by model, day, site, measure and value.
    fn rollups(
        &self,
        filter: &RollupFilter,
        grouping: RollupGrouping,
    ) -> Result<Vec<RollupRow>, StoreError>;
    /// The first and the last day that holds events, reviews or rollup rows; `None` when
    /// there are none. Outside this span a rebuild has nothing to read or delete.
    fn rollup_day_span(&self) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError>;
    /// Delete the rollup rows of the days `from..=to` and recompute them from the events and
    /// reviews of those days, in one transaction (for repair; the migration that created the
    /// table ran the same statement over all days). Rows of other days are not touched, so a
    /// crash leaves these days either as they were or rebuilt, and running it again gives the
    /// same rows. Returns the number of rollup rows written.
    fn rebuild_rollup_days(&self, from: NaiveDate, to: NaiveDate) -> Result<u64, StoreError>;
}

/// The days `from..=to` cut into consecutive steps of at most `days_per_step` days (the last
/// may be shorter), in order: what `vigil rollups rebuild` runs, one transaction per step.
/// Empty when `from` lies after `to`; a `days_per_step` of 0 counts as 1.
pub fn day_steps(
    from: NaiveDate,
    to: NaiveDate,
    days_per_step: u32,
) -> Vec<(NaiveDate, NaiveDate)> {
    let span = chrono::Days::new(u64::from(days_per_step.max(1)) - 1);
    let mut steps = Vec::new();
    let mut first = from;
    while first <= to {
        let last = first.checked_add_days(span).map_or(to, |d| d.min(to));
        steps.push((first, last));
        match last.succ_opt() {
            Some(next) => first = next,
            None => break,
        }
    }
    steps
}

/// Rollup increments of newly accepted events. `new_studies[i]` says whether event `i` is the
/// first of its (model, site, day, case_ref) study, known before the batch or earlier in it.
pub fn event_deltas(events: &[&NewEvent], new_studies: &[bool]) -> RollupDeltas {
    let mut out = RollupDeltas::new();
    for (i, e) in events.iter().enumerate() {
        let key = |measure: &str, value: &str| RollupKey {
            model_id: e.model_id.clone(),
            day: e.occurred_at.date_naive(),
            site_id: e.site_id.clone(),
            measure: measure.to_string(),
            value: value.to_string(),
        };
        let unknown = measure::UNKNOWN;
        out.entry(key(measure::EVENTS, "")).or_default().add_count();
        if new_studies.get(i).copied().unwrap_or(false) {
            out.entry(key(measure::STUDIES, ""))
                .or_default()
                .add_count();
        }
        let band = e.age_band.as_deref().unwrap_or(unknown);
        out.entry(key(measure::AGE_BAND, band))
            .or_default()
            .add_count();
        let sex = e.sex.as_deref().unwrap_or(unknown);
        out.entry(key(measure::SEX, sex)).or_default().add_count();
        out.entry(key(measure::OUTPUT_STATUS, &e.output_status))
            .or_default()
            .add_count();
        out.entry(key(measure::LATENCY_MS, ""))
            .or_default()
            .add_sample(e.latency_ms);
    }
    out
}

/// Rollup increments of newly accepted reviews, including every numeric metric of every label
/// in the site's metrics JSON (`{"liver": {"dice": 0.93, ...}}`).
pub fn review_deltas(reviews: &[&NewReview]) -> RollupDeltas {
    let mut out = RollupDeltas::new();
    for r in reviews {
        let key = |measure: &str, value: &str| RollupKey {
            model_id: r.model_id.clone(),
            day: r.reviewed_at.date_naive(),
            site_id: r.site_id.clone(),
            measure: measure.to_string(),
            value: value.to_string(),
        };
        out.entry(key(measure::REVIEWS, ""))
            .or_default()
            .add_count();
        out.entry(key(measure::REVIEW_OUTCOME, &r.outcome))
            .or_default()
            .add_count();
        out.entry(key(measure::REVIEW_SEVERITY, &r.severity))
            .or_default()
            .add_count();
        for (label, name, x) in metric_samples(r.metrics.as_deref()) {
            out.entry(key(&measure::metric(&name), &label))
                .or_default()
                .add_sample(x);
        }
    }
    out
}

/// (label, metric name, value) of every finite number in a site's metrics JSON.
fn metric_samples(metrics: Option<&str>) -> Vec<(String, String, f64)> {
    let parsed: Option<BTreeMap<String, serde_json::Value>> =
        metrics.and_then(|m| serde_json::from_str(m).ok());
    let mut out = Vec::new();
    for (label, per_label) in parsed.unwrap_or_default() {
        let Some(fields) = per_label.as_object() else {
            continue;
        };
        for (name, v) in fields {
            if let Some(x) = v.as_f64().filter(|x| x.is_finite()) {
                out.push((label.clone(), name.clone(), x));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn review(metrics: Option<&str>) -> NewReview {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 23, 59, 0).unwrap();
        NewReview {
            review_id: "r".into(),
            event_id: "e".into(),
            site_id: "s1".into(),
            model_id: "m@1".into(),
            reviewed_at: at,
            received_at: at,
            outcome: "edited".into(),
            severity: "minor".into(),
            metrics: metrics.map(str::to_string),
            content_hash: "h".into(),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, d).unwrap()
    }

    #[test]
    fn day_steps_cover_the_range_once_in_order() {
        assert_eq!(
            day_steps(day(1), day(8), 3),
            vec![(day(1), day(3)), (day(4), day(6)), (day(7), day(8))]
        );
        assert_eq!(day_steps(day(1), day(7), 7), vec![(day(1), day(7))]);
        assert_eq!(day_steps(day(5), day(5), 7), vec![(day(5), day(5))]);
        let ones = day_steps(day(1), day(28), 1);
        assert_eq!(ones.len(), 28);
        assert!(ones.iter().all(|(a, b)| a == b));
        // Across a month's end, and a range that is empty.
        let march = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(
            day_steps(day(27), march, 2),
            vec![(day(27), day(28)), (march - chrono::Days::new(1), march)]
        );
        assert!(day_steps(day(2), day(1), 7).is_empty());
        assert_eq!(day_steps(day(1), day(2), 0).len(), 2);
    }

    #[test]
    fn review_metrics_are_summed_per_label_and_metric() {
        let a = review(Some(
            r#"{"liver": {"dice": 0.9, "hd95_mm": 3}, "tumor": {"dice": 0.5}}"#,
        ));
        let b = review(Some(r#"{"liver": {"dice": 0.7}}"#));
        let c = review(None);
        let d = review_deltas(&[&a, &b, &c]);
        let get = |m: &str, v: &str| {
            d.iter()
                .find(|(k, _)| k.measure == m && k.value == v)
                .map(|(_, x)| *x)
                .unwrap()
        };
        assert_eq!(get("reviews", "").n, 3);
        assert_eq!(get("review_outcome", "edited").n, 3);
        let dice = get("metric:dice", "liver");
        assert_eq!(dice.n, 2);
        assert!((dice.total - 1.6).abs() < 1e-12);
        assert!((dice.total_sq - (0.81 + 0.49)).abs() < 1e-12);
        assert_eq!(get("metric:hd95_mm", "liver").n, 1);
        assert_eq!(get("metric:dice", "tumor").n, 1);
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(d.keys().all(|k| k.day == day && k.site_id == "s1"));
    }
}
