//! Daily rollups equal a count of the simulated fleet's own items (computed here from the
//! wire items, not from the database) on SQLite and PostgreSQL: maintained at ingest, unchanged
//! by re-sent batches and by a batch refused for a conflict, and equal again after a rebuild
//! from the raw rows (the statement the migration ran as its backfill). Rebuilds in day ranges
//! and steps are in `rollups_rebuild.rs`.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;
use vigil::service::admin::{Actor, add_model, add_site};
use vigil::service::ingest::{IngestLimits, ingest_events, ingest_reviews};
use vigil::simulator::demo;
use vigil::simulator::scenario::Scenario;
use vigil::simulator::{Fleet, SiteDay};
use vigil::storage::diesel::DieselStore;
use vigil::storage::{
    CountFilter, IngestStore, RollupFilter, RollupGrouping, RollupRow, RollupStore,
};

use crate::support::databases;

type Key = (NaiveDate, String, String, String);
/// (n, sum) per (day, site, measure, value).
type Expected = BTreeMap<Key, (i64, f64)>;

pub(crate) fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn fleet(days: u32) -> Fleet {
    let scenario = Scenario::parse("[fleet]\ncases_per_day = 30\nreview_rate = 0.4\n").unwrap();
    Fleet::new(11, 3, days, start(), scenario).unwrap()
}

fn day_of(v: &Value, field: &str) -> NaiveDate {
    let at: chrono::DateTime<Utc> = serde_json::from_value(v[field].clone()).unwrap();
    at.date_naive()
}

fn add(out: &mut Expected, day: NaiveDate, site: &str, measure: &str, value: &str, x: f64) {
    let e = out
        .entry((day, site.into(), measure.into(), value.into()))
        .or_default();
    e.0 += 1;
    e.1 += x;
}

/// What the rollups must hold, from the wire items alone.
fn expected(days: &[SiteDay]) -> Expected {
    let mut out = Expected::new();
    let mut studies = std::collections::BTreeSet::new();
    for sd in days {
        let s = sd.site_id.as_str();
        for e in &sd.events {
            let v = serde_json::to_value(e).unwrap();
            let d = day_of(&v, "occurred_at");
            add(&mut out, d, s, "events", "", 0.0);
            if studies.insert((d, s.to_string(), v["case_ref"].to_string())) {
                add(&mut out, d, s, "studies", "", 0.0);
            }
            let demo = &v["demographics"];
            let band = demo["age_band"].as_str().unwrap_or("unknown");
            add(&mut out, d, s, "age_band", band, 0.0);
            add(
                &mut out,
                d,
                s,
                "sex",
                demo["sex"].as_str().unwrap_or("unknown"),
                0.0,
            );
            let status = v["output"]["status"].as_str().unwrap();
            add(&mut out, d, s, "output_status", status, 0.0);
            let latency = v["output"]["latency_ms"].as_f64().unwrap();
            add(&mut out, d, s, "latency_ms", "", latency);
        }
        for r in &sd.reviews {
            let v = serde_json::to_value(r).unwrap();
            let d = day_of(&v, "reviewed_at");
            add(&mut out, d, s, "reviews", "", 0.0);
            add(
                &mut out,
                d,
                s,
                "review_outcome",
                v["outcome"].as_str().unwrap(),
                0.0,
            );
            add(
                &mut out,
                d,
                s,
                "review_severity",
                v["severity"].as_str().unwrap(),
                0.0,
            );
            for (label, m) in v["metrics"].as_object().into_iter().flatten() {
                for (name, x) in m.as_object().unwrap() {
                    add(
                        &mut out,
                        d,
                        s,
                        &format!("metric:{name}"),
                        label,
                        x.as_f64().unwrap(),
                    );
                }
            }
        }
    }
    out
}

fn stored(rows: &[RollupRow]) -> Expected {
    rows.iter()
        .map(|r| {
            let key = (
                r.day.unwrap(),
                r.site_id.clone().unwrap(),
                r.measure.clone(),
                r.value.clone(),
            );
            (key, (r.n, r.total))
        })
        .collect()
}

fn assert_same(want: &Expected, got: &Expected, what: &str) {
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{what}: rollup keys"
    );
    for (k, (n, total)) in want {
        let (gn, gtotal) = got[k];
        assert_eq!(*n, gn, "{what}: count of {k:?}");
        let tol = 1e-9 * total.abs().max(1.0);
        assert!(
            (total - gtotal).abs() <= tol,
            "{what}: sum of {k:?}: {total} vs {gtotal}"
        );
    }
}

fn values(items: &[impl serde::Serialize]) -> Vec<Value> {
    items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect()
}

/// Ingest every site-day of a 3-site fleet over `days` days through the ingest use cases, each
/// batch twice (the second time all duplicates), plus one batch refused for a conflict;
/// returns the site-days sent.
pub(crate) fn ingest_fleet(store: &DieselStore, days: u32) -> Vec<SiteDay> {
    let fleet = fleet(days);
    let actor = Actor("test".into());
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    add_model(
        store,
        &actor,
        demo::MODEL_NAME,
        demo::MODEL_VERSION,
        demo::schema(),
        t0,
    )
    .unwrap();
    let sites: Vec<_> = fleet
        .sites()
        .iter()
        .map(|p| {
            add_site(store, &actor, &p.id, "Site", &p.country, t0)
                .unwrap()
                .0
        })
        .collect();
    let now = (start() + Duration::days(10))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let limits = IngestLimits::default();
    let mut sent = Vec::new();
    for day in 0..fleet.days() {
        for sd in fleet.day(day) {
            let site = &sites[sd.site as usize - 1];
            for batch in sd.event_batches(25) {
                let first = ingest_events(store, site, values(batch), &limits, now).unwrap();
                assert_eq!(first.accepted, batch.len());
                let again = ingest_events(store, site, values(batch), &limits, now).unwrap();
                assert_eq!((again.accepted, again.duplicates), (0, batch.len()));
            }
            for batch in sd.review_batches(10) {
                ingest_reviews(store, site, values(batch), &limits, now).unwrap();
                let again = ingest_reviews(store, site, values(batch), &limits, now).unwrap();
                assert_eq!(again.duplicates, batch.len());
            }
            sent.push(sd);
        }
    }
    // A new event beside a stored id with other content: the batch is refused whole, and the
    // new event must not reach the rollups.
    let mut fresh = serde_json::to_value(&sent[0].events[0]).unwrap();
    fresh["event_id"] = Value::String(uuid::Uuid::new_v4().to_string());
    let mut changed = serde_json::to_value(&sent[0].events[1]).unwrap();
    changed["output"]["latency_ms"] = Value::from(1.0);
    assert!(ingest_events(store, &sites[0], vec![fresh, changed], &limits, now).is_err());
    sent
}

#[test]
fn rollups_equal_the_fleet_s_items_and_survive_duplicates_conflicts_and_rebuilds() {
    for db in databases() {
        let store = DieselStore::open(&db.url, 4, 5000).unwrap();
        store.run_migrations().unwrap();
        let sent = ingest_fleet(&store, 4);
        let want = expected(&sent);
        let all = RollupFilter::default();
        let maintained = store.rollups(&all, RollupGrouping::ALL).unwrap();
        assert_same(&want, &stored(&maintained), db.label);

        let (first, last) = store.rollup_day_span().unwrap().unwrap();
        let rows = store.rebuild_rollup_days(first, last).unwrap();
        assert_eq!(rows as usize, want.len(), "{}: rebuilt rows", db.label);
        // The same through the command line.
        let out = crate::cli::vigil(&db, &["rollups", "rebuild"]);
        let said = crate::cli::stdout(&out);
        assert!(out.status.success(), "{}: {said}", db.label);
        assert!(
            said.starts_with(&format!("rebuilt daily rollups: {rows} rows")),
            "{said}"
        );
        let rebuilt = store.rollups(&all, RollupGrouping::ALL).unwrap();
        assert_same(&want, &stored(&rebuilt), db.label);
        // The service's statement limit (here 1 ms) does not cut a rebuild short: at fleet
        // scale it reads tens of millions of events.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["rollups", "rebuild"])
            .env("DATABASE_URL", &db.url)
            .env("VIGIL_DB_STATEMENT_TIMEOUT_MS", "1")
            .env_remove("VIGIL_CONFIG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            db.label,
            String::from_utf8_lossy(&out.stderr)
        );
        let rebuilt = store.rollups(&all, RollupGrouping::ALL).unwrap();
        assert_same(&want, &stored(&rebuilt), db.label);

        // Summed in the database: every event of the fleet, and per site over two days.
        let events: i64 = sent.iter().map(|s| s.events.len() as i64).sum();
        let only_events = RollupFilter {
            measures: vec!["events".into()],
            ..RollupFilter::default()
        };
        let total = store
            .rollups(&only_events, RollupGrouping::default())
            .unwrap();
        assert_eq!(total.len(), 1, "{}", db.label);
        assert_eq!((total[0].n, total[0].site_id.as_ref()), (events, None));
        let window = RollupFilter {
            site_ids: vec![sent[0].site_id.clone()],
            from: Some(start() + Duration::days(1)),
            to: Some(start() + Duration::days(2)),
            ..only_events
        };
        let by_site = RollupGrouping {
            by_site: true,
            ..RollupGrouping::default()
        };
        let got = store.rollups(&window, by_site).unwrap();
        let want_n: i64 = want
            .iter()
            .filter(|((d, s, m, _), _)| {
                s == &sent[0].site_id && m == "events" && *d > start() && *d <= window.to.unwrap()
            })
            .map(|(_, (n, _))| n)
            .sum();
        assert_eq!(got.len(), 1, "{}", db.label);
        assert_eq!(got[0].n, want_n, "{}: one site, two days", db.label);

        // The daily counts behind GET /api/v1/counts and exposure read the same rollups.
        let counts = store.daily_counts(&CountFilter::default()).unwrap();
        let counted: i64 = counts.iter().map(|c| c.events).sum();
        let reviews: i64 = counts.iter().map(|c| c.reviews).sum();
        assert_eq!(counted, events, "{}", db.label);
        let sent_reviews: i64 = sent.iter().map(|s| s.reviews.len() as i64).sum();
        assert_eq!(reviews, sent_reviews, "{}", db.label);
    }
}

#[test]
fn the_migration_backfills_with_the_rebuild_statement() {
    // The rebuild runs the backfill with a day range on each of its ten sub-selects; the
    // migration ran the same statement over all days (and the scale bench runs it too).
    let name = "2026-12-03-100000_rollups_trend_daily_rollups";
    let root = env!("CARGO_MANIFEST_DIR");
    for (backend, a, b) in [("sqlite", "?1", "?2"), ("postgres", "$1", "$2")] {
        let read = |p: String| std::fs::read_to_string(format!("{root}/{p}")).unwrap();
        let up = read(format!("migrations/{backend}/{name}/up.sql"));
        let whole = read(format!("src/storage/diesel/rollups_rebuild_{backend}.sql"));
        let days = read(format!(
            "src/storage/diesel/rollups_rebuild_days_{backend}.sql"
        ));
        assert!(
            up.ends_with(&whole),
            "{backend}: the backfill differs from the rebuild"
        );
        assert_eq!(
            days.matches(&format!("day BETWEEN {a} AND {b}")).count(),
            10,
            "{backend}: every sub-select reads only the step's days"
        );
        let unranged = days
            .replace(
                &format!(" WHERE occurred_day BETWEEN {a} AND {b}\nGROUP BY"),
                " GROUP BY",
            )
            .replace(
                &format!(" WHERE reviewed_day BETWEEN {a} AND {b}\nGROUP BY"),
                " GROUP BY",
            )
            .replace(
                &format!(
                    "WHERE r.reviewed_day BETWEEN {a} AND {b} AND r.metrics IS NOT NULL\n  AND"
                ),
                "WHERE r.metrics IS NOT NULL AND",
            )
            // SQLite's planner would otherwise scan reviews in GROUP BY order.
            .replace(" INDEXED BY reviews_reviewed_day,", ",");
        assert_eq!(
            unranged, whole,
            "{backend}: the day-range rebuild differs from the backfill"
        );
    }
}
