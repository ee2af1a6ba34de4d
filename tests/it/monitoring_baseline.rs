//! The baseline and the plan on every backend: a daily evaluation that found no baseline is
//! run again once one is frozen; a baseline frozen from traffic keeps the built-in columns
//! (kVp, scanner manufacturer and model, output status) that a plan may then monitor with the
//! test fitting their type; a constant column is watched for change, not charted; a plan
//! naming an unknown Dice label is refused with the known ones.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use vigil::service::FixedClock;
use vigil::service::evaluation::{EvaluatorEnv, run_queued, schedule_due};
use vigil::storage::{FindingQuery, Store};

use crate::monitoring_support::{Day, PLAN, post_day, put_text};
use crate::support::{TestApp, databases, spawn_app, test_now};

const FREEZE: &str = "/api/v1/models/liver-seg/versions/2.3.0/baseline/freeze";

async fn put_plan(app: &TestApp, text: &str) -> (u16, Value) {
    let path = "/api/v1/models/liver-seg/plan";
    put_text(app, path, &app.quality, "application/toml", text.into()).await
}

/// Ten days of site-a traffic from 2026-10-12.
async fn ten_days(app: &TestApp) {
    let mut date = NaiveDate::from_ymd_opt(2026, 10, 12).unwrap();
    for _ in 0..10 {
        let day = Day {
            date,
            site: 1,
            n: 40,
            reviews: 10,
            hu_shift: 0.0,
            dice_drop: 0.0,
        };
        post_day(app, &app.site_key, &day).await;
        date += Duration::days(1);
    }
}

fn run_jobs(store: &dyn Store) -> Vec<Value> {
    let clock = FixedClock::at(test_now());
    let scratch = tempfile::tempdir().unwrap();
    let scratch_blobs = vigil::blobs::DirBlobStore::new(scratch.path());
    let env = EvaluatorEnv {
        store,
        clock: &clock,
        runner: "t",
        public_url: "",
        webhook_url: "",
        blobs: &scratch_blobs,
    };
    run_queued(&env)
        .unwrap()
        .into_iter()
        .map(|j| {
            assert_eq!(j.status, "done", "{:?}", j.error);
            let mut s: Value = j.summary.clone().unwrap();
            s["trigger"] = json!(j.trigger);
            s
        })
        .collect()
}

#[actix_web::test]
async fn an_evaluation_without_a_baseline_runs_again_once_one_is_frozen() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store: &dyn Store = &*app.store;
        assert_eq!(put_plan(&app, PLAN).await.0, 201);
        ten_days(&app).await;
        assert_eq!(schedule_due(store, test_now()).unwrap(), 1);
        let first = run_jobs(store);
        assert_eq!(
            first[0]["versions"][0]["status"], "no_baseline",
            "{first:?}"
        );
        let (s, body) = app.post(FREEZE, &app.ml, &json!({"first_days": 7})).await;
        assert_eq!(s, 201, "{}: {body}", db.label);
        // Freezing queued the evaluation; it covers the days the first one skipped.
        let again = run_jobs(store);
        assert_eq!(again.len(), 1, "{}: {again:?}", db.label);
        assert_eq!(again[0]["trigger"], "baseline");
        assert_eq!(again[0]["versions"][0]["status"], "evaluated");
        assert_eq!(again[0]["versions"][0]["from"], "2026-10-19");
        assert_eq!(schedule_due(store, test_now()).unwrap(), 0, "{}", db.label);
    }
}

#[actix_web::test]
async fn plans_monitor_the_built_in_columns_the_baseline_keeps() {
    for db in databases() {
        let app = spawn_app(&db).await;
        assert_eq!(put_plan(&app, PLAN).await.0, 201);
        ten_days(&app).await;
        let (s, body) = app.post(FREEZE, &app.ml, &json!({"first_days": 7})).await;
        assert_eq!(s, 201, "{}: {body}", db.label);
        let path = "/api/v1/models/liver-seg/versions/2.3.0/baseline";
        let (_, shown) = app.get(path, &app.quality).await;
        for column in ["scanner_manufacturer", "scanner_model", "output_status"] {
            assert!(
                shown["columns"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(column)),
                "{}: {shown}",
                db.label
            );
        }
        // Built-in columns by name, each with the test that fits its type.
        let plan = PLAN.replace(
            "[[features]]\nname = \"hu_mean\"\n",
            "[[features]]\nname = \"hu_mean\"\n[[features]]\nname = \"scanner_model\"\n\
             [[features]]\nname = \"output_status\"\n[[features]]\nname = \"slice_thickness_mm\"\n",
        );
        let (s, body) = put_plan(&app, &plan).await;
        assert_eq!(s, 201, "{body}");
        assert_eq!(body["parsed"]["features"][1]["test"], "chi2");
        // A Dice label the baseline does not hold is refused, naming the known ones.
        let (s, body) = put_plan(&app, &PLAN.replace("\"liver\"", "\"Liver\"")).await;
        assert_eq!(s, 422, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("quality[0].label") && message.contains("known: liver"),
            "{message}"
        );
        run_jobs(&*app.store);
        let q = FindingQuery {
            model_id: Some("liver-seg@2.3.0".into()),
            limit: 100_000,
            ..FindingQuery::default()
        };
        let findings = app.store.findings(&q).unwrap();
        let of = |rule: &str| {
            findings
                .iter()
                .filter(|f| f.finding.stratum == "site=site-a" && f.finding.rule == rule)
                .collect::<Vec<_>>()
        };
        let status = of("drift:output_status");
        assert!(!status.is_empty(), "{}", db.label);
        assert!(status.iter().all(|f| f.finding.method == "chi2"));
        assert!(!of("drift:scanner_model").is_empty());
        // Slice thickness is 1 mm in every case: watched for change, never charted.
        let constant = of("constant:slice_thickness_mm");
        assert_eq!(constant.len(), 3, "{}", db.label);
        assert!(constant.iter().all(|f| f.finding.status.as_str() == "ok"));
        assert!(of("drift:slice_thickness_mm").is_empty());
    }
}
