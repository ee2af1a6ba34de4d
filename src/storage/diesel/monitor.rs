//! Baselines, and the cases and reviews the monitor reads (events with their features and
//! strata; reviews joined to their events' strata).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{naive, utc};
use super::schema::{baselines, events, reviews};
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::monitoring::columns::{CaseObs, ReviewObs, StratumValues};
use crate::storage::{StoreError, StoredBaseline};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = baselines)]
struct BaselineRow {
    id: String,
    model_id: String,
    source: String,
    row_count: i64,
    body: String,
    body_sha256: String,
    created_at: NaiveDateTime,
    created_by: String,
}

type CaseRow = (
    NaiveDateTime,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    f64,
    f64,
    f64,
    String,
    String,
    String,
    Option<f64>,
    String,
);

type ReviewRow = (
    NaiveDateTime,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
);

fn day_start(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

fn features(json: &str, into: &mut BTreeMap<String, f64>) {
    if let Ok(map) = serde_json::from_str::<BTreeMap<String, f64>>(json) {
        into.extend(map);
    }
}

/// Strata of an event: site, scanner manufacturer and model, modality, age band, sex.
fn strata(
    site: String,
    manufacturer: String,
    scanner_model: String,
    modality: String,
    age_band: Option<String>,
    sex: Option<String>,
) -> StratumValues {
    StratumValues {
        site,
        manufacturer,
        scanner_model,
        modality,
        age_band,
        sex,
    }
}

fn to_case(r: CaseRow) -> CaseObs {
    let mut numeric = BTreeMap::new();
    features(&r.10, &mut numeric);
    features(&r.11, &mut numeric);
    numeric.insert("slice_thickness_mm".into(), r.7);
    numeric.insert("pixel_spacing_mm".into(), r.8);
    numeric.insert("latency_ms".into(), r.9);
    if let Some(kvp) = r.13 {
        numeric.insert("kvp".into(), kvp);
    }
    CaseObs {
        day: r.0.date(),
        scanner: format!("{} {}", r.2, r.3),
        strata: strata(r.1, r.2, r.3, r.4, r.5, r.6),
        numeric,
        content_hash: r.12,
        output_status: r.14,
    }
}

/// Dice by label from the site's metrics JSON (`{"liver": {"dice": 0.93, ...}}`).
fn dice_of(metrics: Option<&str>) -> BTreeMap<String, f64> {
    let parsed: Option<BTreeMap<String, serde_json::Value>> =
        metrics.and_then(|m| serde_json::from_str(m).ok());
    parsed
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(label, v)| Some((label, v.get("dice")?.as_f64()?)))
        .collect()
}

fn to_review(r: ReviewRow) -> ReviewObs {
    ReviewObs {
        day: r.0.date(),
        strata: strata(r.1, r.2, r.3, r.4, r.5, r.6),
        outcome: r.7,
        dice: dice_of(r.8.as_deref()),
        content_hash: r.9,
    }
}

impl DieselStore {
    pub(crate) fn insert_baseline_row(
        &self,
        b: &StoredBaseline,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = BaselineRow {
            id: b.id.clone(),
            model_id: b.model_id.clone(),
            source: b.source.clone(),
            row_count: b.rows,
            body: b.body.clone(),
            body_sha256: b.body_sha256.clone(),
            created_at: naive(b.created_at),
            created_by: b.created_by.clone(),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| {
            diesel::insert_into(baselines::table)
                .values(&row)
                .execute(c)
        });
        r.map(|_| ()).map_err(map_err("baseline"))
    }

    pub(crate) fn load_latest_baseline(
        &self,
        model_id: &str,
    ) -> Result<Option<StoredBaseline>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<BaselineRow>> = with_conn!(&mut *conn, |c| baselines::table
            .filter(baselines::model_id.eq(model_id))
            .order((baselines::created_at.desc(), baselines::id.desc()))
            .select(BaselineRow::as_select())
            .first(c)
            .optional());
        Ok(row.map_err(map_err("baseline"))?.map(|r| StoredBaseline {
            id: r.id,
            model_id: r.model_id,
            source: r.source,
            rows: r.row_count,
            body: r.body,
            body_sha256: r.body_sha256,
            created_at: utc(r.created_at),
            created_by: r.created_by,
        }))
    }

    pub(crate) fn load_monitor_cases(
        &self,
        model_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseObs>, StoreError> {
        self.load_cases(model_id, Some((day_start(from), day_start(to))), None)
    }

    pub(crate) fn load_first_cases(
        &self,
        model_id: &str,
        limit: i64,
    ) -> Result<Vec<CaseObs>, StoreError> {
        self.load_cases(model_id, None, Some(limit))
    }

    /// Cases of a model version, oldest first, in a time range and/or up to a count.
    fn load_cases(
        &self,
        model_id: &str,
        range: Option<(NaiveDateTime, NaiveDateTime)>,
        limit: Option<i64>,
    ) -> Result<Vec<CaseObs>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<CaseRow>> = with_conn!(&mut *conn, |c| {
            let mut q = events::table
                .filter(events::model_id.eq(model_id))
                .order((events::occurred_at.asc(), events::event_id.asc()))
                .select((
                    events::occurred_at,
                    events::site_id,
                    events::scanner_manufacturer,
                    events::scanner_model,
                    events::modality,
                    events::age_band,
                    events::sex,
                    events::slice_thickness_mm,
                    events::pixel_spacing_mm,
                    events::latency_ms,
                    events::input_features,
                    events::output_features,
                    events::content_hash,
                    events::kvp,
                    events::output_status,
                ))
                .into_boxed();
            if let Some((from, to)) = range {
                q = q.filter(events::occurred_at.ge(from).and(events::occurred_at.lt(to)));
            }
            if let Some(n) = limit {
                q = q.limit(n);
            }
            q.load(c)
        });
        Ok(rows
            .map_err(map_err("cases"))?
            .into_iter()
            .map(to_case)
            .collect())
    }

    pub(crate) fn load_monitor_reviews(
        &self,
        model_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReviewObs>, StoreError> {
        let (from, to) = (day_start(from), day_start(to));
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<ReviewRow>> = with_conn!(&mut *conn, |c| reviews::table
            .inner_join(events::table)
            .filter(reviews::model_id.eq(model_id))
            .filter(
                reviews::reviewed_at
                    .ge(from)
                    .and(reviews::reviewed_at.lt(to))
            )
            .order((reviews::reviewed_at.asc(), reviews::review_id.asc()))
            .select((
                reviews::reviewed_at,
                events::site_id,
                events::scanner_manufacturer,
                events::scanner_model,
                events::modality,
                events::age_band,
                events::sex,
                reviews::outcome,
                reviews::metrics,
                reviews::content_hash,
            ))
            .load(c));
        Ok(rows
            .map_err(map_err("reviews"))?
            .into_iter()
            .map(to_review)
            .collect())
    }

    pub(crate) fn load_first_event_day(
        &self,
        model_id: &str,
    ) -> Result<Option<NaiveDate>, StoreError> {
        let mut conn = self.conn()?;
        let first: QueryResult<Option<NaiveDateTime>> = with_conn!(&mut *conn, |c| events::table
            .filter(events::model_id.eq(model_id))
            .select(diesel::dsl::min(events::occurred_at))
            .first(c));
        Ok(first.map_err(map_err("events"))?.map(|t| t.date()))
    }
}
