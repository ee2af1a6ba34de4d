//! `ReportCountSource` for the diesel store: the aggregates a PSUR or PMS report reads. Today
//! one grouped query over `events` (studies per site, age band, sex and output status) and the
//! monitor's reviews (Dice sums per label, pooled and per site); the daily rollups replace both
//! here, and nothing else changes.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{events, retraining_requests};
use super::{DieselStore, map_err, with_conn};
use crate::reports::Period;
use crate::reports::input::{QualitySums, RetrainingFacts, SiteStudies, UsageCounts};
use crate::storage::reports::ReportCountSource;
use crate::storage::{MonitorStore, SiteStore, StoreError};

type UsageRow = (String, Option<String>, Option<String>, String, i64);

fn start_of(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

fn load_usage_rows(
    store: &DieselStore,
    model_ids: &[String],
    period: Period,
) -> Result<Vec<UsageRow>, StoreError> {
    let (from, until) = (
        start_of(period.from),
        start_of(period.to + Duration::days(1)),
    );
    let mut conn = store.conn()?;
    let rows: QueryResult<Vec<UsageRow>> = with_conn!(&mut *conn, |c| events::table
        .filter(events::model_id.eq_any(model_ids))
        .filter(events::occurred_at.ge(from))
        .filter(events::occurred_at.lt(until))
        .group_by((
            events::site_id,
            events::age_band,
            events::sex,
            events::output_status,
        ))
        .select((
            events::site_id,
            events::age_band,
            events::sex,
            events::output_status,
            diesel::dsl::count_star(),
        ))
        .load(c));
    rows.map_err(map_err("usage counts"))
}

/// Sum grouped rows into per-site, demographic and status counts (sorted: deterministic).
fn fold_usage(rows: Vec<UsageRow>, countries: &HashMap<String, String>) -> UsageCounts {
    let mut sites: BTreeMap<String, u64> = BTreeMap::new();
    let mut demo: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut status: BTreeMap<String, u64> = BTreeMap::new();
    for (site, age, sex, out, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        *sites.entry(site).or_default() += n;
        let key = (
            age.unwrap_or_else(|| "unknown".into()),
            sex.unwrap_or_else(|| "unknown".into()),
        );
        *demo.entry(key).or_default() += n;
        *status.entry(out).or_default() += n;
    }
    UsageCounts {
        sites: sites
            .into_iter()
            .map(|(site_id, studies)| SiteStudies {
                country: countries.get(&site_id).cloned().unwrap_or_default(),
                site_id,
                studies,
            })
            .collect(),
        demographics: demo.into_iter().map(|((a, s), n)| (a, s, n)).collect(),
        output_status: status.into_iter().collect(),
    }
}

impl ReportCountSource for DieselStore {
    fn usage_counts(
        &self,
        model_ids: &[String],
        period: Period,
    ) -> Result<UsageCounts, StoreError> {
        let countries: HashMap<String, String> = self
            .list_sites()?
            .into_iter()
            .map(|s| (s.id, s.country))
            .collect();
        Ok(fold_usage(
            load_usage_rows(self, model_ids, period)?,
            &countries,
        ))
    }

    fn quality_sums(
        &self,
        model_ids: &[String],
        period: Period,
    ) -> Result<Vec<QualitySums>, StoreError> {
        let mut sums: BTreeMap<(String, String, String), (u64, f64, f64)> = BTreeMap::new();
        for m in model_ids {
            let reviews = self.monitor_reviews(m, period.from, period.to + Duration::days(1))?;
            for r in reviews {
                for (label, dice) in &r.dice {
                    for stratum in ["all".to_string(), format!("site={}", r.strata.site)] {
                        let e = sums.entry((m.clone(), label.clone(), stratum)).or_default();
                        e.0 += 1;
                        e.1 += dice;
                        e.2 += dice * dice;
                    }
                }
            }
        }
        Ok(sums
            .into_iter()
            .map(
                |((model_id, label, stratum), (n, sum, sum_sq))| QualitySums {
                    model_id,
                    label,
                    stratum,
                    n,
                    sum,
                    sum_sq,
                },
            )
            .collect())
    }

    fn retraining_requests(
        &self,
        model_names: &[String],
        period: Period,
    ) -> Result<Vec<RetrainingFacts>, StoreError> {
        let (from, until) = (
            start_of(period.from),
            start_of(period.to + Duration::days(1)),
        );
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<(String, String, String, i64, NaiveDateTime)>> =
            with_conn!(&mut *conn, |c| retraining_requests::table
                .filter(retraining_requests::model_name.eq_any(model_names))
                .filter(retraining_requests::created_at.ge(from))
                .filter(retraining_requests::created_at.lt(until))
                .order((
                    retraining_requests::created_at.asc(),
                    retraining_requests::id.asc()
                ))
                .select((
                    retraining_requests::id,
                    retraining_requests::model_name,
                    retraining_requests::status,
                    retraining_requests::case_count,
                    retraining_requests::created_at,
                ))
                .load(c));
        Ok(rows
            .map_err(map_err("retraining requests"))?
            .into_iter()
            .map(|(id, model, status, case_count, created)| RetrainingFacts {
                id,
                model,
                status,
                case_count,
                created: created.date(),
            })
            .collect())
    }
}
