//! `vigil rollups rebuild --from --to --days-per-step` on SQLite and PostgreSQL: a rebuild in
//! steps of 1, 3 or 7 days gives back, row for row, the rollups ingest maintained (after every
//! row was spoiled); a range rebuild fixes the rows of its days and leaves the others exactly
//! as they were; a range that ends before it starts is refused, naming the field.

use chrono::{Duration, NaiveDate};
use vigil::storage::diesel::DieselStore;
use vigil::storage::{RollupFilter, RollupGrouping, RollupRow, RollupStore};

use crate::cli::{stdout, tamper, vigil};
use crate::rollups::{ingest_fleet, start};
use crate::support::{TestDb, databases, sqlite_db};

/// Fleet days: enough for several steps of 3 and two of 7 (reviews reach a day further).
const DAYS: u32 = 9;

fn all_rows(store: &DieselStore) -> Vec<RollupRow> {
    store
        .rollups(&RollupFilter::default(), RollupGrouping::ALL)
        .unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

/// Same keys in the same order, same counts, sums equal up to the order of addition.
fn assert_same_rows(want: &[RollupRow], got: &[RollupRow], what: &str) {
    let key = |r: &RollupRow| {
        (
            r.model_id.clone(),
            r.day,
            r.site_id.clone(),
            r.measure.clone(),
            r.value.clone(),
        )
    };
    let want_keys: Vec<_> = want.iter().map(key).collect();
    let got_keys: Vec<_> = got.iter().map(key).collect();
    assert_eq!(want_keys, got_keys, "{what}: rollup keys");
    for (w, g) in want.iter().zip(got) {
        assert_eq!(w.n, g.n, "{what}: n of {:?}", key(w));
        assert!(
            close(w.total, g.total) && close(w.total_sq, g.total_sq),
            "{what}: sums of {:?}: {} {} vs {} {}",
            key(w),
            w.total,
            w.total_sq,
            g.total,
            g.total_sq
        );
    }
}

fn rebuild(db: &TestDb, args: &[&str]) -> String {
    let mut all = vec!["rollups", "rebuild"];
    all.extend(args);
    let out = vigil(db, &all);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{} {args:?}: {err}", db.label);
    stdout(&out)
}

fn day(offset: i64) -> NaiveDate {
    start() + Duration::days(offset)
}

/// Spoil every rollup row, drop the studies and add a row no event explains.
fn spoil_everything(db: &TestDb, model: &str, site: &str) {
    tamper(
        db,
        &format!(
            "UPDATE daily_rollups SET n = n + 7, total = total + 1.5, total_sq = total_sq * 2;
             DELETE FROM daily_rollups WHERE measure = 'studies';
             INSERT INTO daily_rollups (model_id, day, site_id, measure, value, n, total, total_sq)
             VALUES ('{model}', '{}', '{site}', 'events', 'stale', 3, 0, 0)",
            day(2)
        ),
    );
}

#[test]
fn rebuilds_in_steps_of_1_3_and_7_days_equal_the_rollups_ingest_maintained() {
    for db in databases() {
        let store = DieselStore::open(&db.url, 4, 5000).unwrap();
        store.run_migrations().unwrap();
        let sent = ingest_fleet(&store, DAYS);
        let maintained = all_rows(&store);
        let (first, last) = store.rollup_day_span().unwrap().unwrap();
        assert_eq!(first, start(), "{}", db.label);
        let model = maintained[0].model_id.clone().unwrap();
        for step in [1u32, 3, 7] {
            spoil_everything(&db, &model, &sent[0].site_id);
            assert_ne!(all_rows(&store).len(), maintained.len(), "{}", db.label);
            let said = rebuild(&db, &["--days-per-step", &step.to_string()]);
            let days = (last - first).num_days() + 1;
            let steps = (days + i64::from(step) - 1) / i64::from(step);
            assert!(
                said.contains(&format!("days {first} to {last} in {steps} steps")),
                "{}: {said}",
                db.label
            );
            assert!(
                said.starts_with(&format!("rebuilt daily rollups: {} rows", maintained.len())),
                "{}: {said}",
                db.label
            );
            let what = format!("{} in steps of {step} days", db.label);
            assert_same_rows(&maintained, &all_rows(&store), &what);
        }
        // Idempotent: again, nothing changes.
        rebuild(&db, &["--days-per-step", "2"]);
        assert_same_rows(&maintained, &all_rows(&store), db.label);
    }
}

#[test]
fn a_range_rebuild_fixes_its_days_and_leaves_the_others_untouched() {
    for db in databases() {
        let store = DieselStore::open(&db.url, 4, 5000).unwrap();
        store.run_migrations().unwrap();
        ingest_fleet(&store, DAYS);
        let maintained = all_rows(&store);
        // One day before the range, one inside, one after.
        tamper(
            &db,
            &format!(
                "UPDATE daily_rollups SET n = n + 1000 WHERE measure = 'events' AND day IN \
                 ('{}', '{}', '{}')",
                day(1),
                day(3),
                day(6)
            ),
        );
        let tampered = all_rows(&store);
        let said = rebuild(
            &db,
            &[
                "--from",
                &day(2).to_string(),
                "--to",
                &day(5).to_string(),
                "--days-per-step",
                "3",
            ],
        );
        assert!(
            said.contains(&format!("days {} to {} in 2 steps", day(2), day(5))),
            "{}: {said}",
            db.label
        );
        let got = all_rows(&store);
        let in_range = |r: &RollupRow| (day(2)..=day(5)).contains(&r.day.unwrap());
        let (want_in, want_out): (Vec<_>, Vec<_>) = maintained.into_iter().partition(in_range);
        let (got_in, got_out): (Vec<_>, Vec<_>) = got.into_iter().partition(in_range);
        assert_same_rows(&want_in, &got_in, &format!("{}: inside", db.label));
        // Outside the range every row is as it was, tampered ones included.
        let kept: Vec<_> = tampered.into_iter().filter(|r| !in_range(r)).collect();
        assert_same_rows(&kept, &got_out, &format!("{}: outside", db.label));
        // (n, rows) of the `events` measure on a day.
        let events_on = |rows: &[RollupRow], d: NaiveDate| -> (i64, i64) {
            rows.iter()
                .filter(|r| r.day == Some(d) && r.measure == "events")
                .fold((0, 0), |(n, k), r| (n + r.n, k + 1))
        };
        for d in [day(1), day(6)] {
            let (want_n, rows) = events_on(&want_out, d);
            assert!(rows > 0, "{}: events on {d}", db.label);
            assert_eq!(
                events_on(&got_out, d).0,
                want_n + 1000 * rows,
                "{}: {d} kept its tampered counts",
                db.label
            );
        }
        assert_eq!(events_on(&got_in, day(3)), events_on(&want_in, day(3)));
    }
}

#[test]
fn a_range_that_ends_before_it_starts_is_refused_naming_the_field() {
    let db = sqlite_db();
    let out = vigil(
        &db,
        &[
            "rollups",
            "rebuild",
            "--from",
            "2026-03-10",
            "--to",
            "2026-03-02",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: --from 2026-03-10 lies after --to 2026-03-02"),
        "{err}"
    );
    let out = vigil(&db, &["rollups", "rebuild", "--days-per-step", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--days-per-step"), "{err}");
    let out = vigil(&db, &["rollups", "rebuild", "--from", "2026-02-30"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
}
