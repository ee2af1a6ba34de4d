//! Monitoring end to end on every backend: a plan and a frozen baseline, weeks of traffic
//! through the real API with a drift at one site and a Dice drop at another, an on-demand
//! evaluation (202, background job), then findings, alerts (one per signal) and queued
//! e-mails; plus the evaluator's lease, the daily schedule and freezing after go-live.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use vigil::service::admin::{Actor, add_site};
use vigil::service::evaluation::{EvaluatorEnv, request_evaluation, run_queued, schedule_due};
use vigil::service::{Clock, FixedClock};
use vigil::storage::{FindingQuery, Store};

use crate::monitoring_support::{
    Day, PLAN, evaluate_via_api, post_day, put_text, reference_csv, set_up_plan_and_baseline,
};
use crate::support::{databases, spawn_app, test_now};

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 12).unwrap()
}

#[actix_web::test]
async fn drift_and_dice_drop_open_one_alert_each_and_queue_emails() {
    for db in databases() {
        let app = spawn_app(&db).await;
        set_up_plan_and_baseline(&app).await;
        let (_, small_key) = add_site(
            &*app.store,
            &Actor("cli:test".into()),
            "site-c",
            "Site C",
            "IT",
            test_now(),
        )
        .unwrap();
        // 2026-10-12 .. 2026-11-19: site-a drifts by +0.8 SD of hu_mean from 2026-11-02,
        // site-b loses 0.04 Dice from 2026-11-02, site-c sends 2 cases a day.
        let shift_from = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let mut date = first_day();
        while date < test_now().date_naive() {
            let late = date >= shift_from;
            let a = Day {
                date,
                site: 1,
                n: 60,
                reviews: 10,
                hu_shift: if late { 8.0 } else { 0.0 },
                dice_drop: 0.0,
            };
            let b = Day {
                date,
                site: 2,
                n: 60,
                reviews: 20,
                hu_shift: 0.0,
                dice_drop: if late { 0.04 } else { 0.0 },
            };
            let c = Day {
                date,
                site: 3,
                n: 2,
                reviews: 0,
                hu_shift: 0.0,
                dice_drop: 0.0,
            };
            post_day(&app, &app.site_key, &a).await;
            post_day(&app, &app.other_site_key, &b).await;
            post_day(&app, &small_key, &c).await;
            date += Duration::days(1);
        }
        let done = evaluate_via_api(&app).await;
        assert_eq!(done["status"], "done", "{}: {done}", db.label);

        let (_, alerts) = app
            .get("/api/v1/alerts?model=liver-seg@2.3.0", &app.quality)
            .await;
        let keys: Vec<(String, String)> = alerts["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["rule"].as_str().unwrap().into(),
                    a["stratum"].as_str().unwrap().into(),
                )
            })
            .collect();
        let count = |rule: &str, stratum: &str| {
            keys.iter()
                .filter(|k| k.0 == rule && k.1 == stratum)
                .count()
        };
        assert_eq!(
            count("drift:hu_mean", "site=site-a"),
            1,
            "{}: {keys:?}",
            db.label
        );
        assert_eq!(
            count("mean_dice:liver", "site=site-b"),
            1,
            "{}: {keys:?}",
            db.label
        );
        assert_eq!(
            count("drift:hu_mean", "site=site-b"),
            0,
            "{}: {keys:?}",
            db.label
        );
        assert_eq!(
            count("mean_dice:liver", "site=site-a"),
            0,
            "{}: {keys:?}",
            db.label
        );
        assert!(
            keys.iter().all(|k| k.1 != "site=site-c"),
            "{}: {keys:?}",
            db.label
        );

        // Detection came within a week of the change: the alert opened by 2026-11-09.
        let opened = |rule: &str, stratum: &str| {
            alerts["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["rule"] == rule && a["stratum"] == stratum)
                .unwrap()["opened_at"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert!(
            opened("drift:hu_mean", "site=site-a").as_str() <= "2026-11-09",
            "{}",
            db.label
        );
        assert!(
            opened("mean_dice:liver", "site=site-b").as_str() <= "2026-11-09",
            "{}",
            db.label
        );

        // Findings carry their data fingerprint; a small stratum is insufficient, not tested.
        let (_, small) = app
            .get(
                "/api/v1/findings?stratum=site%3Dsite-c&window=tumbling&rule=drift:hu_mean",
                &app.quality,
            )
            .await;
        let small = small["items"].as_array().unwrap();
        assert!(!small.is_empty(), "{}", db.label);
        assert!(small.iter().all(
            |f| f["status"] == "insufficient" && f["fingerprint"].as_str().unwrap().len() == 64
        ));
        let (_, drift) = app
            .get("/api/v1/findings?stratum=site%3Dsite-a&window=tumbling&rule=drift:hu_mean&status=signal", &app.quality)
            .await;
        let drift = drift["items"].as_array().unwrap();
        assert!(!drift.is_empty(), "{}", db.label);
        assert!(
            drift
                .iter()
                .all(|f| f["q_value"].as_f64().unwrap() <= 0.05 && f["plan_version"] == 1)
        );

        // E-mails for exactly the opened alerts are queued for the plan's recipient.
        let outbox = app.store.outbox_messages().unwrap();
        assert_eq!(outbox.len(), keys.len(), "{}", db.label);
        assert!(
            outbox
                .iter()
                .all(|m| m.recipients == ["qm@example.org"] && m.chart_png.is_some())
        );

        // Evaluating again finds nothing new: no second alert, no second e-mail.
        let (s, _) = app
            .post(
                "/api/v1/evaluations",
                &app.quality,
                &json!({"model": "liver-seg"}),
            )
            .await;
        assert_eq!(s, 202);
        let env_clock = FixedClock::at(test_now());
        let scratch = tempfile::tempdir().unwrap();
        let scratch_blobs = vigil::blobs::DirBlobStore::new(scratch.path());
        let env = EvaluatorEnv {
            store: &*app.store,
            clock: &env_clock,
            runner: "test",
            public_url: "http://vigil",
            webhook_url: "",
            blobs: &scratch_blobs,
        };
        for _ in 0..600 {
            if run_queued(&env).unwrap().is_empty()
                && app.store.evaluations(Some("liver-seg"), 1).unwrap()[0].status != "running"
            {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let (_, again) = app
            .get("/api/v1/alerts?model=liver-seg@2.3.0", &app.quality)
            .await;
        assert_eq!(
            again["items"].as_array().unwrap().len(),
            keys.len(),
            "{}",
            db.label
        );
        assert_eq!(app.store.outbox_messages().unwrap().len(), keys.len());
    }
}

#[actix_web::test]
async fn one_evaluator_holds_the_lease_and_a_dead_one_loses_it() {
    for db in databases() {
        let app = spawn_app(&db).await;
        set_up_plan_and_baseline(&app).await;
        let store: &dyn Store = &*app.store;
        let actor = Actor("user:qm1".into());
        let now = test_now();
        let first = request_evaluation(store, &actor, "liver-seg", None, "request", now).unwrap();
        // A second request while one is queued returns the queued job.
        let same = request_evaluation(store, &actor, "liver-seg", None, "request", now).unwrap();
        assert_eq!(first.id, same.id);
        let claimed = store
            .claim_evaluation("replica-1", now, now + Duration::minutes(10))
            .unwrap()
            .unwrap();
        assert_eq!(claimed.id, first.id);
        // Queued a second later, so that it comes after the first in the queue.
        let second = request_evaluation(
            store,
            &actor,
            "liver-seg",
            None,
            "request",
            now + Duration::seconds(1),
        )
        .unwrap();
        assert_ne!(second.id, first.id);
        // While replica-1 holds a live lease, nobody else runs anything.
        assert!(
            store
                .claim_evaluation(
                    "replica-2",
                    now + Duration::minutes(5),
                    now + Duration::minutes(15)
                )
                .unwrap()
                .is_none()
        );
        assert!(
            !store
                .renew_lease(&first.id, "replica-2", now + Duration::minutes(20))
                .unwrap()
        );
        // Replica-1 dies; after its lease ran out, replica-2 takes its job over (attempt 2),
        // then replica-3 after replica-2 died too (attempt 3 of 3).
        let mut later = now;
        for replica in ["replica-2", "replica-3"] {
            later += Duration::minutes(11);
            let taken = store
                .claim_evaluation(replica, later, later + Duration::minutes(10))
                .unwrap()
                .unwrap();
            assert_eq!(taken.id, first.id, "{}", db.label);
            assert_eq!(taken.status, "running");
            assert_eq!(taken.runner.as_deref(), Some(replica));
        }
        assert!(!store.renew_lease(&first.id, "replica-1", later).unwrap());
        // The third runner dies as well: out of attempts, the job fails for good, saying why,
        // and the next runner takes the next job.
        later += Duration::minutes(11);
        let taken = store
            .claim_evaluation("replica-4", later, later + Duration::minutes(10))
            .unwrap()
            .unwrap();
        assert_eq!(taken.id, second.id, "{}", db.label);
        let dead = store.evaluation(&first.id).unwrap().unwrap();
        assert_eq!(dead.status, "failed");
        let error = dead.error.unwrap();
        assert!(
            error.contains("lost its lease") && error.contains("3 of 3"),
            "{error}"
        );
        assert!(!store.renew_lease(&first.id, "replica-3", later).unwrap());
        // ... and every replica's /metrics shows it (the figures come from the database).
        let metrics = app
            .client
            .get(format!("{}/metrics", app.base))
            .bearer_auth("metrics-secret")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics
                .lines()
                .any(|l| l == "vigil_evaluation_jobs{status=\"failed\"} 1"),
            "{}: {metrics}",
            db.label
        );
    }
}

#[actix_web::test]
async fn the_schedule_queues_one_evaluation_per_model_and_day() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store: &dyn Store = &*app.store;
        // No plan: nothing to schedule.
        assert_eq!(schedule_due(store, test_now()).unwrap(), 0);
        set_up_plan_and_baseline(&app).await;
        // Storing the baseline queued today's evaluation already.
        assert_eq!(schedule_due(store, test_now()).unwrap(), 0);
        assert_eq!(
            schedule_due(store, test_now() + Duration::hours(3)).unwrap(),
            0
        );
        let clock = FixedClock::at(test_now());
        let scratch = tempfile::tempdir().unwrap();
        let scratch_blobs = vigil::blobs::DirBlobStore::new(scratch.path());
        let env = EvaluatorEnv {
            store,
            clock: &clock,
            runner: "test",
            public_url: "",
            webhook_url: "",
            blobs: &scratch_blobs,
        };
        let jobs = run_queued(&env).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].status, "done", "{:?}", jobs[0].error);
        assert_eq!(jobs[0].trigger, "baseline");
        assert_eq!(
            schedule_due(store, test_now() + Duration::hours(6)).unwrap(),
            0
        );
        assert_eq!(
            schedule_due(store, test_now() + Duration::days(1)).unwrap(),
            1,
            "{}",
            db.label
        );
        assert_eq!(
            schedule_due(store, test_now() + Duration::days(1) + Duration::hours(1)).unwrap(),
            0,
            "one a day"
        );
        assert_eq!(clock.now(), test_now());
    }
}

#[actix_web::test]
async fn freezing_the_first_days_keeps_a_reference_per_site_and_monitors_after() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let (s, _) = put_text(
            &app,
            "/api/v1/models/liver-seg/plan",
            &app.quality,
            "application/toml",
            PLAN.into(),
        )
        .await;
        assert_eq!(s, 201);
        let mut date = first_day();
        for _ in 0..10 {
            post_day(
                &app,
                &app.site_key,
                &Day {
                    date,
                    site: 1,
                    n: 40,
                    reviews: 10,
                    hu_shift: 0.0,
                    dice_drop: 0.0,
                },
            )
            .await;
            post_day(
                &app,
                &app.other_site_key,
                &Day {
                    date,
                    site: 2,
                    n: 3,
                    reviews: 0,
                    hu_shift: 0.0,
                    dice_drop: 0.0,
                },
            )
            .await;
            date += Duration::days(1);
        }
        let path = "/api/v1/models/liver-seg/versions/2.3.0/baseline/freeze";
        let (s, body) = app.post(path, &app.ml, &json!({"first_days": 7})).await;
        assert_eq!(s, 201, "{}: {body}", db.label);
        assert_eq!(body["rows"], 7 * 43);
        assert_eq!(body["source"], "freeze:first_days=7");
        let (s, shown) = app
            .get(
                "/api/v1/models/liver-seg/versions/2.3.0/baseline",
                &app.quality,
            )
            .await;
        assert_eq!(s, 200);
        // site-a (280 cases) has its own reference; site-b (21 < min_samples 30) uses the pool.
        assert_eq!(shown["strata"], json!(["site=site-a"]), "{}", db.label);
        assert_eq!(shown["monitor_from"], "2026-10-19");
        assert!(shown["quality"]["liver"]["n"].as_u64().unwrap() == 70);
        // Freezing days that have not ended yet is refused.
        let (s, _) = app.post(path, &app.ml, &json!({"first_days": 400})).await;
        assert_eq!(s, 422);
        let clock = FixedClock::at(test_now());
        let scratch = tempfile::tempdir().unwrap();
        let scratch_blobs = vigil::blobs::DirBlobStore::new(scratch.path());
        let env = EvaluatorEnv {
            store: &*app.store,
            clock: &clock,
            runner: "t",
            public_url: "",
            webhook_url: "",
            blobs: &scratch_blobs,
        };
        request_evaluation(
            &*app.store,
            &Actor("t".into()),
            "liver-seg",
            None,
            "request",
            test_now(),
        )
        .unwrap();
        let job = run_queued(&env).unwrap().remove(0);
        assert_eq!(job.status, "done", "{:?}", job.error);
        let summary: Value = job.summary.clone().unwrap();
        assert_eq!(summary["versions"][0]["from"], "2026-10-19", "{summary}");
        let q = FindingQuery {
            model_id: Some("liver-seg@2.3.0".into()),
            limit: 100_000,
            ..FindingQuery::default()
        };
        let findings = app.store.findings(&q).unwrap();
        assert!(!findings.is_empty());
        assert!(
            findings
                .iter()
                .all(|f| f.finding.window_start >= NaiveDate::from_ymd_opt(2026, 9, 1).unwrap())
        );
        assert!(
            findings
                .iter()
                .filter(|f| f.finding.window == vigil::monitoring::findings::WindowKind::Day)
                .all(|f| f.finding.window_start >= NaiveDate::from_ymd_opt(2026, 10, 19).unwrap())
        );
    }
}

#[actix_web::test]
async fn bad_reference_samples_are_refused_with_the_column_named() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let path = "/api/v1/models/liver-seg/versions/2.3.0/baseline";
        let (s, body) = put_text(
            &app,
            path,
            &app.ml,
            "text/csv",
            "hu_mean,patient_age\n1,2\n3,4\n".into(),
        )
        .await;
        assert_eq!(s, 422, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("patient_age"),
            "{body}"
        );
        let (s, _) = put_text(&app, path, &app.ml, "application/xml", "<x/>".into()).await;
        assert_eq!(s, 415);
        let (s, _) = put_text(
            &app,
            "/api/v1/models/liver-seg/versions/9.9.9/baseline",
            &app.ml,
            "text/csv",
            reference_csv(10),
        )
        .await;
        assert_eq!(s, 404);
        let (s, _) = put_text(&app, path, &app.site_key, "text/csv", reference_csv(10)).await;
        assert_eq!(s, 403);
        let json_body =
            json!({"columns": {"hu_mean": [1.0, 2.0, 3.0], "dice.liver": [0.9, 0.95, null]}})
                .to_string();
        let (s, body) = put_text(&app, path, &app.ml, "application/json", json_body).await;
        assert_eq!(s, 201, "{body}");
        assert_eq!(body["source"], "upload:json");
        let entries = app.store.audit_entries().unwrap();
        assert!(
            entries.iter().any(|e| e.action == "baseline.freeze"),
            "{}",
            db.label
        );
    }
}
