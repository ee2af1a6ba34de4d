//! Daily rollups on both backends: the upsert that the ingest transaction runs for every new
//! event and review (`event_deltas!`, `review_deltas!` and `upsert_rollups!`, called from `ingest.rs` inside the
//! batch's transaction, so a rolled-back or retried batch adds nothing and a duplicate is
//! never counted) and the summing query behind `RollupStore::rollups`; the rebuild from raw
//! rows is in `rollups_rebuild.rs`.
//!
//! Deltas are upserted in key order, so concurrent batches lock rollup rows in one order and
//! cannot deadlock. One known gap: on PostgreSQL, two concurrent transactions that both store
//! the first event of the same study (same site, model, day and `case_ref`, different event
//! ids) each count it as a new study; `vigil rollups rebuild` corrects such a count.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};

use super::schema::daily_rollups;
use super::{DieselStore, map_err, with_conn};
use crate::storage::rollups::{RollupDeltas, RollupFilter, RollupGrouping, RollupRow};
use crate::storage::{DatabaseKind, NewEvent, StoreError};

/// Case refs per study lookup: far below both backends' bind limits.
pub(super) const ROLLUP_CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = daily_rollups)]
pub(super) struct NewRollupRow {
    pub model_id: String,
    pub day: String,
    pub site_id: String,
    pub measure: String,
    pub value: String,
    pub n: i64,
    pub total: f64,
    pub total_sq: f64,
}

pub(super) fn rollup_rows(deltas: RollupDeltas) -> Vec<NewRollupRow> {
    deltas
        .into_iter()
        .map(|(k, v)| NewRollupRow {
            model_id: k.model_id,
            day: k.day.to_string(),
            site_id: k.site_id,
            measure: k.measure,
            value: k.value,
            n: v.n,
            total: v.total,
            total_sq: v.total_sq,
        })
        .collect()
}

/// (model, site, day, case_ref) of a stored or new event: one study.
pub(super) type StudyKey = (String, String, String, String);

pub(super) fn study_key(e: &NewEvent) -> StudyKey {
    (
        e.model_id.clone(),
        e.site_id.clone(),
        e.occurred_at.date_naive().to_string(),
        e.case_ref.clone(),
    )
}

/// For each new event, whether it is the first of its study: not among the stored studies
/// and not earlier in the batch.
pub(super) fn first_of_study(events: &[&NewEvent], mut known: HashSet<StudyKey>) -> Vec<bool> {
    events.iter().map(|e| known.insert(study_key(e))).collect()
}

/// Rollup rows per upsert statement: 8 binds a row, far below both backends' bind limits.
pub(super) const UPSERT_ROWS: usize = 500;

/// How a backend writes the bind placeholder of parameter `i` (1-based).
pub(super) trait Placeholders {
    fn placeholder(i: usize) -> String;
}

impl Placeholders for diesel::SqliteConnection {
    fn placeholder(_: usize) -> String {
        "?".to_string()
    }
}

impl Placeholders for diesel::PgConnection {
    fn placeholder(i: usize) -> String {
        format!("${i}")
    }
}

/// One multi-row upsert of `rows` rollup rows on `C`'s backend: new keys are inserted, stored
/// ones get the deltas added (same statement text on SQLite and PostgreSQL but for the bind
/// placeholders). The rows of one statement have distinct keys (they come from a map).
pub(super) fn upsert_sql<C: Placeholders>(_: &C, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO daily_rollups (model_id, day, site_id, measure, value, n, total, total_sq) VALUES ",
    );
    for r in 0..rows {
        let binds: Vec<String> = (1..=8).map(|i| C::placeholder(r * 8 + i)).collect();
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&binds.join(", "));
        sql.push(')');
    }
    sql.push_str(
        " ON CONFLICT (model_id, day, site_id, measure, value) DO UPDATE SET \
         n = daily_rollups.n + excluded.n, total = daily_rollups.total + excluded.total, \
         total_sq = daily_rollups.total_sq + excluded.total_sq",
    );
    sql
}

/// Add `$deltas` (a `RollupDeltas`) to the stored rollups on connection `$c`, inside the
/// caller's transaction, in key order (so concurrent batches lock rows in one order) and in
/// statements of `UPSERT_ROWS` rows. Evaluates to `QueryResult<()>`.
macro_rules! upsert_rollups {
    ($c:ident, $deltas:expr) => {{
        use diesel::sql_types::{BigInt, Double, Text};
        use $crate::storage::diesel::rollups::{UPSERT_ROWS, rollup_rows, upsert_sql};
        let rows = rollup_rows($deltas);
        let mut done: diesel::QueryResult<()> = Ok(());
        for chunk in rows.chunks(UPSERT_ROWS) {
            let mut query = diesel::sql_query(upsert_sql(&*$c, chunk.len())).into_boxed();
            for r in chunk {
                query = query
                    .bind::<Text, _>(&r.model_id)
                    .bind::<Text, _>(&r.day)
                    .bind::<Text, _>(&r.site_id)
                    .bind::<Text, _>(&r.measure)
                    .bind::<Text, _>(&r.value)
                    .bind::<BigInt, _>(r.n)
                    .bind::<Double, _>(r.total)
                    .bind::<Double, _>(r.total_sq);
            }
            if let Err(e) = query.execute($c) {
                done = Err(e);
                break;
            }
        }
        done
    }};
}

/// The rollup deltas of the new events `$new` (`Vec<&NewEvent>`), computed before they are
/// inserted: looks up which of their studies are already stored. Evaluates to
/// `QueryResult<RollupDeltas>`; the caller upserts them last in its transaction
/// (`upsert_rollups!`), so rollup rows stay locked only from there to the commit.
macro_rules! event_deltas {
    ($c:ident, $new:expr) => {{
        use $crate::storage::diesel::schema::events as ev;
        let new: Vec<&$crate::storage::NewEvent> = $new;
        let refs: Vec<&str> = new.iter().map(|e| e.case_ref.as_str()).collect();
        let mut known = std::collections::HashSet::new();
        let mut looked_up: diesel::QueryResult<()> = Ok(());
        for chunk in refs.chunks($crate::storage::diesel::rollups::ROLLUP_CHUNK) {
            let rows: diesel::QueryResult<Vec<$crate::storage::diesel::rollups::StudyKey>> =
                ev::table
                    .filter(ev::case_ref.eq_any(chunk))
                    .select((ev::model_id, ev::site_id, ev::occurred_day, ev::case_ref))
                    .load($c);
            match rows {
                Ok(rows) => known.extend(rows),
                Err(e) => {
                    looked_up = Err(e);
                    break;
                }
            }
        }
        looked_up.map(|()| {
            let first = $crate::storage::diesel::rollups::first_of_study(&new, known);
            $crate::storage::rollups::event_deltas(&new, &first)
        })
    }};
}

/// The rollup deltas of the new reviews `$new` (`Vec<&NewReview>`), as `event_deltas!`
/// (no lookup needed).
macro_rules! review_deltas {
    ($c:ident, $new:expr) => {{
        let new: Vec<&$crate::storage::NewReview> = $new;
        diesel::QueryResult::Ok($crate::storage::rollups::review_deltas(&new))
    }};
}

/// Rollups of the new reviews `$new` (`Vec<&NewReview>`): deltas and upsert at once.
macro_rules! review_rollups {
    ($c:ident, $new:expr) => {{
        let new: Vec<&$crate::storage::NewReview> = $new;
        let deltas = $crate::storage::rollups::review_deltas(&new);
        $crate::storage::diesel::rollups::upsert_rollups!($c, deltas)
    }};
}
pub(crate) use {event_deltas, review_deltas, review_rollups, upsert_rollups};

#[derive(QueryableByName)]
struct SumRow {
    #[diesel(sql_type = Nullable<Text>)]
    model_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    day: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    site_id: Option<String>,
    #[diesel(sql_type = Text)]
    measure: String,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Double)]
    total: f64,
    #[diesel(sql_type = Double)]
    total_sq: f64,
}

/// The summing query and its text binds, with the backend's placeholders.
fn sum_query(kind: DatabaseKind, f: &RollupFilter, g: RollupGrouping) -> (String, Vec<String>) {
    let mut binds: Vec<String> = Vec::new();
    let holder = |v: &str, binds: &mut Vec<String>| {
        binds.push(v.to_string());
        match kind {
            DatabaseKind::Postgres => format!("${}", binds.len()),
            DatabaseKind::Sqlite => "?".to_string(),
        }
    };
    let mut wheres = Vec::new();
    for (col, values) in [
        ("model_id", &f.model_ids),
        ("site_id", &f.site_ids),
        ("measure", &f.measures),
    ] {
        if !values.is_empty() {
            let list: Vec<String> = values.iter().map(|v| holder(v, &mut binds)).collect();
            wheres.push(format!("{col} IN ({})", list.join(", ")));
        }
    }
    if let Some(d) = f.from {
        wheres.push(format!("day >= {}", holder(&d.to_string(), &mut binds)));
    }
    if let Some(d) = f.to {
        wheres.push(format!("day <= {}", holder(&d.to_string(), &mut binds)));
    }
    let kept = [
        ("model_id", g.by_model),
        ("day", g.by_day),
        ("site_id", g.by_site),
    ];
    let select: Vec<String> = kept
        .iter()
        .map(|(col, keep)| {
            if *keep {
                col.to_string()
            } else {
                format!("CAST(NULL AS TEXT) AS {col}")
            }
        })
        .collect();
    let mut group: Vec<&str> = kept.iter().filter(|k| k.1).map(|k| k.0).collect();
    group.extend(["measure", "value"]);
    let filter = if wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wheres.join(" AND "))
    };
    let sql = format!(
        "SELECT {}, measure, value, CAST(SUM(n) AS BIGINT) AS n, SUM(total) AS total, \
         SUM(total_sq) AS total_sq FROM daily_rollups{filter} GROUP BY {g} ORDER BY {g}",
        select.join(", "),
        g = group.join(", "),
    );
    (sql, binds)
}

fn to_row(r: SumRow) -> Result<RollupRow, StoreError> {
    let day = r
        .day
        .map(|d| d.parse())
        .transpose()
        .map_err(|e| StoreError::Other(format!("stored rollup day: {e}")))?;
    Ok(RollupRow {
        model_id: r.model_id,
        day,
        site_id: r.site_id,
        measure: r.measure,
        value: r.value,
        n: r.n,
        total: r.total,
        total_sq: r.total_sq,
    })
}

impl DieselStore {
    pub(crate) fn load_rollups(
        &self,
        f: &RollupFilter,
        g: RollupGrouping,
    ) -> Result<Vec<RollupRow>, StoreError> {
        let (sql, binds) = sum_query(self.kind(), f, g);
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<SumRow>> = with_conn!(&mut *conn, |c| {
            let mut q = diesel::sql_query(sql.as_str()).into_boxed();
            for b in &binds {
                q = q.bind::<Text, _>(b.as_str());
            }
            q.load(c)
        });
        rows.map_err(map_err("rollups"))?
            .into_iter()
            .map(to_row)
            .collect()
    }
}
