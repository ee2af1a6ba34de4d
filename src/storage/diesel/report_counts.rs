//! `ReportCountSource` for the diesel store: the aggregates a PSUR or PMS report reads, from
//! the daily rollups (`RollupStore`, maintained at ingest): studies per site, age bands, sexes
//! and output status, and the Dice sums per model version, label and site. Never a scan of
//! raw events. Retraining requests come from their own small table.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::retraining_requests;
use super::{DieselStore, map_err, with_conn};
use crate::reports::Period;
use crate::reports::input::{QualitySums, RetrainingFacts, SiteStudies, UsageCounts};
use crate::storage::reports::ReportCountSource;
use crate::storage::rollups::{RollupFilter, RollupGrouping, RollupRow, RollupStore, measure};
use crate::storage::{SiteStore, StoreError};

/// (id, model name, status, case count, created at) of a retraining request.
type RetrainingRow = (String, String, String, i64, NaiveDateTime);

fn start_of(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

fn count(r: &RollupRow) -> u64 {
    u64::try_from(r.n).unwrap_or(0)
}

/// Sum rollup rows (per site) into per-site, demographic and status counts, sorted.
fn fold_usage(rows: &[RollupRow], countries: &HashMap<String, String>) -> UsageCounts {
    let mut sites: BTreeMap<String, u64> = BTreeMap::new();
    let mut demo: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut status: BTreeMap<String, u64> = BTreeMap::new();
    for r in rows {
        match r.measure.as_str() {
            measure::STUDIES => {
                let site = r.site_id.clone().unwrap_or_default();
                *sites.entry(site).or_default() += count(r);
            }
            measure::AGE_BAND | measure::SEX => {
                *demo
                    .entry((r.measure.clone(), r.value.clone()))
                    .or_default() += count(r);
            }
            measure::OUTPUT_STATUS => *status.entry(r.value.clone()).or_default() += count(r),
            _ => {}
        }
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
        demographics: demo.into_iter().map(|((d, v), n)| (d, v, n)).collect(),
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
        let filter = RollupFilter {
            model_ids: model_ids.to_vec(),
            from: Some(period.from),
            to: Some(period.to),
            measures: [
                measure::STUDIES,
                measure::AGE_BAND,
                measure::SEX,
                measure::OUTPUT_STATUS,
            ]
            .map(String::from)
            .to_vec(),
            ..RollupFilter::default()
        };
        let grouping = RollupGrouping {
            by_site: true,
            ..RollupGrouping::default()
        };
        if model_ids.is_empty() {
            return Ok(UsageCounts::default());
        }
        Ok(fold_usage(&self.rollups(&filter, grouping)?, &countries))
    }

    fn quality_sums(
        &self,
        model_ids: &[String],
        period: Period,
    ) -> Result<Vec<QualitySums>, StoreError> {
        if model_ids.is_empty() {
            return Ok(Vec::new());
        }
        let filter = RollupFilter {
            model_ids: model_ids.to_vec(),
            from: Some(period.from),
            to: Some(period.to),
            measures: vec![measure::metric("dice")],
            ..RollupFilter::default()
        };
        let grouping = RollupGrouping {
            by_model: true,
            by_site: true,
            by_day: false,
        };
        let mut sums: BTreeMap<(String, String, String), (u64, f64, f64)> = BTreeMap::new();
        for r in self.rollups(&filter, grouping)? {
            let model = r.model_id.clone().unwrap_or_default();
            let site = r.site_id.clone().unwrap_or_default();
            for stratum in ["all".to_string(), format!("site={site}")] {
                let e = sums
                    .entry((model.clone(), r.value.clone(), stratum))
                    .or_default();
                e.0 += count(&r);
                e.1 += r.total;
                e.2 += r.total_sq;
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
        let rows: QueryResult<Vec<RetrainingRow>> =
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
