//! The read API's lists on every backend: keyset paging of alerts, findings, evaluations and
//! jobs (pages of `limit`, `next` continuing exactly where a page ended even when rows share a
//! timestamp, `null` at the end; bad `limit` or `next` refused naming the field), one meaning
//! of `model` (a name for all versions, `name@version` for one, 404 for an unknown model), and
//! findings labelled with the days their window actually holds data for.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use vigil::alerting::alert::Alert;
use vigil::alerting::rules::AlertState;
use vigil::monitoring::findings::{Finding, WindowKind};
use vigil::monitoring::plan::Severity;
use vigil::service::admin::{Actor, add_model};
use vigil::storage::jobs::{JobStore, NewJob};
use vigil::storage::{MonitorCursor, StoredFinding};

use crate::monitoring_support::{Day, evaluate_via_api, post_day, set_up_plan_and_baseline};
use crate::support::{TestApp, databases, liver_schema, spawn_app, test_now};

/// 25 alerts: 20 of liver-seg@2.3.0 and 5 of liver-seg@2.4.0, opened at only three distinct
/// times, so that pages must break ties by id.
fn alerts() -> Vec<Alert> {
    (0..25)
        .map(|i| {
            let at = test_now() - Duration::hours(i64::from(i % 3));
            let version = if i % 5 == 0 { "2.4.0" } else { "2.3.0" };
            Alert {
                id: format!("al-{i:02}"),
                model: format!("liver-seg@{version}"),
                rule: format!("drift:f{i}"),
                stratum: "all".into(),
                severity: Severity::Medium,
                state: AlertState::Open,
                title: "t".into(),
                summary: "s".into(),
                opened_at: at,
                updated_at: at,
                last_signal_at: at,
                clear_streak: 0,
                closed_at: None,
                handled_by: None,
                note: None,
                awareness_at: None,
            }
        })
        .collect()
}

/// Every page of a list from `first` on: the items and how many each page held.
async fn all_pages(app: &TestApp, first: &str) -> (Vec<Value>, Vec<usize>) {
    let (mut items, mut sizes) = (Vec::new(), Vec::new());
    let mut path = first.to_string();
    loop {
        let (s, page) = app.get(&path, &app.quality).await;
        assert_eq!(s, 200, "{path}: {page}");
        let got = page["items"].as_array().unwrap();
        sizes.push(got.len());
        items.extend(got.iter().cloned());
        match page["next"].as_str() {
            Some(next) => path = format!("{first}&next={next}"),
            None => {
                assert!(page["next"].is_null(), "{page}");
                return (items, sizes);
            }
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
}

fn second_version(app: &TestApp) {
    let actor = Actor("cli:test".into());
    add_model(
        &*app.store,
        &actor,
        "liver-seg",
        "2.4.0",
        liver_schema(),
        test_now(),
    )
    .unwrap();
}

#[actix_web::test]
async fn alerts_page_ten_ten_five_without_gaps_or_repeats_on_shared_timestamps() {
    for db in databases() {
        let app = spawn_app(&db).await;
        second_version(&app);
        let all = alerts();
        for a in &all {
            app.store.insert_alert(a).unwrap();
        }
        let (items, sizes) = all_pages(&app, "/api/v1/alerts?limit=10").await;
        assert_eq!(sizes, [10, 10, 5], "{}", db.label);
        let ids: Vec<&str> = items.iter().map(|a| a["id"].as_str().unwrap()).collect();
        // Newest first, ties by id descending: exactly every alert, once.
        let mut expected: Vec<&Alert> = all.iter().collect();
        expected.sort_by(|a, b| (b.opened_at, &b.id).cmp(&(a.opened_at, &a.id)));
        let expected: Vec<&str> = expected.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, expected, "{}", db.label);

        // The same paging under a filter: the versions of a name, or one version.
        let (items, sizes) = all_pages(&app, "/api/v1/alerts?model=liver-seg@2.3.0&limit=8").await;
        assert_eq!(sizes, [8, 8, 4], "{}", db.label);
        assert!(items.iter().all(|a| a["model"] == "liver-seg@2.3.0"));
        let (items, _) = all_pages(&app, "/api/v1/alerts?model=liver-seg@2.4.0&limit=10").await;
        assert_eq!(items.len(), 5, "{}", db.label);
        let (items, _) = all_pages(&app, "/api/v1/alerts?model=liver-seg&limit=1000").await;
        assert_eq!(items.len(), 25, "{}", db.label);
        // Exactly a full last page: no empty page after it.
        let (_, sizes) = all_pages(&app, "/api/v1/alerts?model=liver-seg@2.4.0&limit=5").await;
        assert_eq!(sizes, [5], "{}", db.label);
    }
}

/// A refused `limit` or `next` is 422 with its stable code, naming the field.
async fn refused(app: &TestApp, path: &str, code: &str, field: &str) {
    let (s, body) = app.get(path, &app.quality).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (422, Some(code)),
        "{path}: {body}"
    );
    assert_eq!(body["details"][0]["path"], field, "{path}: {body}");
}

#[actix_web::test]
async fn bad_limits_cursors_and_models_are_refused_on_every_list() {
    for db in databases() {
        let app = spawn_app(&db).await;
        for list in ["alerts", "findings", "evaluations", "jobs"] {
            let base = format!("/api/v1/{list}");
            for bad in ["0", "-1", "100001", "ten"] {
                refused(
                    &app,
                    &format!("{base}?limit={bad}"),
                    "invalid_limit",
                    "limit",
                )
                .await;
            }
            for bad in ["zz", "00", "5b5d", "7b7d"] {
                refused(
                    &app,
                    &format!("{base}?next={bad}"),
                    "invalid_cursor",
                    "next",
                )
                .await;
            }
        }
        // Each list's maximum is accepted, one more is not.
        let (s, _) = app.get("/api/v1/alerts?limit=1000", &app.quality).await;
        assert_eq!(s, 200);
        refused(&app, "/api/v1/alerts?limit=1001", "invalid_limit", "limit").await;
        let (s, _) = app.get("/api/v1/findings?limit=10000", &app.quality).await;
        assert_eq!(s, 200);
        refused(
            &app,
            "/api/v1/findings?limit=10001",
            "invalid_limit",
            "limit",
        )
        .await;

        // One list's cursor is no other list's.
        for a in alerts().iter().take(3) {
            app.store.insert_alert(a).unwrap();
        }
        let (_, page) = app.get("/api/v1/alerts?limit=1", &app.quality).await;
        let next = page["next"].as_str().expect("a next page").to_string();
        let (s, _) = app
            .get(&format!("/api/v1/alerts?limit=1&next={next}"), &app.quality)
            .await;
        assert_eq!(s, 200);
        for other in ["findings", "evaluations", "jobs"] {
            let path = format!("/api/v1/{other}?next={next}");
            refused(&app, &path, "invalid_cursor", "next").await;
        }

        // An unknown model is 404 on every route taking `model`, never an empty list.
        for route in [
            "alerts",
            "findings",
            "evaluations",
            "counts",
            "trend-reports",
        ] {
            for m in ["liver-sag", "liver-seg@9.9.9", "liver"] {
                let (s, body) = app
                    .get(&format!("/api/v1/{route}?model={m}"), &app.quality)
                    .await;
                assert_eq!(
                    (s, body["code"].as_str()),
                    (404, Some("not_found")),
                    "{route} {m}"
                );
            }
            let (s, body) = app
                .get(&format!("/api/v1/{route}?model=liver-seg"), &app.quality)
                .await;
            assert_eq!(s, 200, "{route}: {body}");
        }
    }
}

fn evaluation_job(i: u32) -> NewJob {
    NewJob {
        id: format!("ev-{i:02}"),
        kind: "evaluation".into(),
        subject: Some("liver-seg".into()),
        payload: json!({"model": "liver-seg", "as_of": "2026-11-20", "trigger": "request"}),
        requested_by: "user:qm1".into(),
        // Two distinct request times only.
        created_at: test_now() - Duration::minutes(i64::from(i % 2)),
        max_attempts: 1,
        unique_queued: false,
    }
}

fn finding(evaluation: &str, seq: i64, model: &str, end: NaiveDate) -> StoredFinding {
    let window = (WindowKind::Tumbling, end - Duration::days(7), end);
    StoredFinding {
        evaluation_id: evaluation.into(),
        seq,
        model_id: model.into(),
        plan_version: 1,
        baseline_id: "b1".into(),
        finding: Finding::new("all", window, format!("drift:f{seq}"), "ks", 40, "f".into()),
        created_at: test_now(),
    }
}

#[actix_web::test]
async fn findings_evaluations_and_jobs_page_in_a_total_order() {
    for db in databases() {
        let app = spawn_app(&db).await;
        second_version(&app);
        let jobs: &dyn JobStore = &*app.store;
        for i in 0..12 {
            jobs.enqueue_job(&evaluation_job(i)).unwrap();
        }
        // 25 findings over two evaluations and two window ends; many share a window end.
        let end1 = NaiveDate::from_ymd_opt(2026, 11, 9).unwrap();
        let end2 = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let mut stored = Vec::new();
        for seq in 0..25 {
            let eval = if seq % 2 == 0 { "ev-00" } else { "ev-01" };
            let model = if seq % 5 == 0 {
                "liver-seg@2.4.0"
            } else {
                "liver-seg@2.3.0"
            };
            let end = if seq < 10 { end1 } else { end2 };
            stored.push(finding(eval, seq, model, end));
        }
        let cursor = |m: &str| MonitorCursor {
            model_id: m.into(),
            through: end2,
            baseline_id: "b1".into(),
            plan_version: 1,
            state: "{}".into(),
            updated_at: test_now(),
        };
        app.store
            .save_progress(&stored, &cursor("liver-seg@2.3.0"))
            .unwrap();

        let (items, sizes) = all_pages(&app, "/api/v1/findings?limit=10").await;
        assert_eq!(sizes, [10, 10, 5], "{}", db.label);
        let keys: Vec<(String, String, i64)> = items
            .iter()
            .map(|f| {
                (
                    f["window_end"].as_str().unwrap().to_string(),
                    f["evaluation_id"].as_str().unwrap().to_string(),
                    f["seq"].as_i64().unwrap(),
                )
            })
            .collect();
        let mut expected: Vec<(String, String, i64)> = stored
            .iter()
            .map(|f| {
                let end = f.finding.window_end.to_string();
                (end, f.evaluation_id.clone(), f.seq)
            })
            .collect();
        expected.sort();
        assert_eq!(keys, expected, "{}", db.label);
        let (one, _) = all_pages(&app, "/api/v1/findings?model=liver-seg@2.4.0&limit=2").await;
        assert_eq!(one.len(), 5, "{}", db.label);
        assert!(one.iter().all(|f| f["model_id"] == "liver-seg@2.4.0"));
        let (both, _) = all_pages(&app, "/api/v1/findings?model=liver-seg&limit=7").await;
        assert_eq!(both.len(), 25, "{}", db.label);

        // Evaluations and jobs: newest first, ties by id, 5 + 5 + 2.
        for list in ["evaluations?model=liver-seg@2.3.0&", "jobs?"] {
            let first = format!("/api/v1/{list}limit=5");
            let (items, sizes) = all_pages(&app, &first).await;
            assert_eq!(sizes, [5, 5, 2], "{list} {}", db.label);
            let ids: Vec<&str> = items.iter().map(|j| j["id"].as_str().unwrap()).collect();
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), 12, "{list}");
            // Request time 0 minutes back: even numbers, newest; ids descending within.
            let expected = [
                "ev-10", "ev-08", "ev-06", "ev-04", "ev-02", "ev-00", "ev-11", "ev-09", "ev-07",
                "ev-05", "ev-03", "ev-01",
            ];
            assert_eq!(ids, expected, "{list} {}", db.label);
        }
    }
}

#[actix_web::test]
async fn counts_read_a_model_name_as_all_its_versions() {
    for db in databases() {
        let app = spawn_app(&db).await;
        second_version(&app);
        let day = Day {
            date: NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
            site: 1,
            n: 4,
            reviews: 1,
            hu_shift: 0.0,
            dice_drop: 0.0,
        };
        post_day(&app, &app.site_key, &day).await;
        let (_, by_name) = app
            .get("/api/v1/counts?model=liver-seg", &app.quality)
            .await;
        let (_, by_id) = app
            .get("/api/v1/counts?model=liver-seg@2.3.0", &app.quality)
            .await;
        let (_, other) = app
            .get("/api/v1/counts?model=liver-seg@2.4.0", &app.quality)
            .await;
        assert_eq!(by_name[0]["events"], 4, "{by_name}");
        assert_eq!(by_name, by_id, "{}", db.label);
        assert_eq!(other, json!([]), "{}", db.label);
    }
}

#[actix_web::test]
async fn a_rolling_window_at_the_start_of_monitoring_says_it_holds_three_days() {
    for db in databases() {
        let app = spawn_app(&db).await;
        set_up_plan_and_baseline(&app).await;
        // Monitoring starts on Friday 2026-11-13; the 7-day tumbling window closes on Monday
        // 2026-11-16, the 28-day rolling window with it: nominally from 2026-10-19.
        for d in 13..=15 {
            let day = Day {
                date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
                site: 1,
                n: 40,
                reviews: 20,
                hu_shift: 0.0,
                dice_drop: 0.0,
            };
            post_day(&app, &app.site_key, &day).await;
        }
        let job = evaluate_via_api(&app).await;
        assert_eq!(job["status"], "done", "{job}");
        assert!(
            job["summary"].is_object(),
            "a JSON object, not a string: {job}"
        );
        for window in ["rolling", "tumbling"] {
            let path = format!("/api/v1/findings?window={window}&stratum=all");
            let (_, page) = app.get(&path, &app.quality).await;
            let found = page["items"].as_array().unwrap();
            assert!(!found.is_empty(), "{window} {}: {page}", db.label);
            for f in found {
                assert_eq!(f["window_end"], "2026-11-16", "{f}");
                assert_eq!(f["window_from"], "2026-11-13", "{f}");
                assert_eq!(f["window_to"], "2026-11-15", "{f}");
                assert_eq!(f["days_with_data"], 3, "{f}");
            }
            let nominal = if window == "rolling" {
                "2026-10-19"
            } else {
                "2026-11-09"
            };
            assert!(found.iter().all(|f| f["window_start"] == nominal), "{page}");
        }
        // A day's chart point holds its one day.
        let (_, page) = app
            .get(
                "/api/v1/findings?window=day&stratum=all&limit=1",
                &app.quality,
            )
            .await;
        let f = &page["items"][0];
        assert_eq!(f["days_with_data"], 1, "{page}");
        assert_eq!(f["window_from"], f["window_start"], "{page}");
        assert_eq!(f["window_to"], f["window_start"], "{page}");
    }
}
