//! The generic job API on every backend: list with filters, show one, cancel (admin or the
//! requester; 409 once ended), refused filters.

use serde_json::json;
use vigil::storage::jobs::{JobStore, NewJob};

use crate::support::{databases, spawn_app, test_now};

fn job(kind: &str, by: &str) -> NewJob {
    NewJob {
        id: uuid::Uuid::new_v4().to_string(),
        kind: kind.into(),
        subject: Some("liver-seg".into()),
        payload: json!({"model": "liver-seg"}),
        requested_by: by.into(),
        created_at: test_now(),
        max_attempts: 3,
        unique_queued: false,
    }
}

#[actix_web::test]
async fn jobs_are_listed_shown_and_cancelled_through_the_api() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store: &dyn JobStore = &*app.store;
        let mine = store.enqueue_job(&job("report", "user:qm1")).unwrap();
        let other = store.enqueue_job(&job("shadow_run", "user:ml1")).unwrap();

        let (s, all) = app.get("/api/v1/jobs", &app.quality).await;
        assert_eq!(s, 200, "{all}");
        assert_eq!(all["items"].as_array().unwrap().len(), 2, "{}", db.label);
        assert_eq!(all["next"], serde_json::Value::Null);
        let (_, reports) = app
            .get("/api/v1/jobs?kind=report&state=queued", &app.ml)
            .await;
        assert_eq!(reports["items"].as_array().unwrap().len(), 1);
        let reports = &reports["items"];
        assert_eq!(reports[0]["id"], mine.id.as_str());
        assert_eq!(reports[0]["state"], "queued");
        assert_eq!(
            reports[0]["progress"],
            json!({"done": 0, "total": 0, "message": null})
        );
        let (s, bad) = app.get("/api/v1/jobs?state=done", &app.quality).await;
        assert_eq!(
            (s, bad["code"].as_str()),
            (422, Some("validation_failed")),
            "{bad}"
        );
        assert_eq!(bad["details"][0]["path"], "state");

        let (s, one) = app
            .get(&format!("/api/v1/jobs/{}", other.id), &app.quality)
            .await;
        assert_eq!((s, one["kind"].as_str()), (200, Some("shadow_run")));
        let (s, _) = app.get("/api/v1/jobs/nope", &app.quality).await;
        assert_eq!(s, 404);
        let (s, _) = app.get("/api/v1/jobs", &app.site_key).await;
        assert_eq!(s, 403);

        // Only the requester or an admin cancels.
        let cancel = |id: &str| format!("/api/v1/jobs/{id}/cancel");
        let (s, _) = app.post(&cancel(&other.id), &app.quality, &json!({})).await;
        assert_eq!(s, 403, "{}", db.label);
        let (s, c) = app.post(&cancel(&mine.id), &app.quality, &json!({})).await;
        assert_eq!((s, c["state"].as_str()), (200, Some("cancelled")), "{c}");
        let (s, c) = app.post(&cancel(&other.id), &app.admin, &json!({})).await;
        assert_eq!((s, c["state"].as_str()), (200, Some("cancelled")));
        let (s, c) = app.post(&cancel(&other.id), &app.admin, &json!({})).await;
        assert_eq!((s, c["code"].as_str()), (409, Some("conflict")), "{c}");
    }
}

#[actix_web::test]
async fn a_running_evaluation_cancelled_through_the_api_stops_after_the_day_in_hand() {
    use std::sync::atomic::AtomicBool;

    use chrono::{Duration, NaiveDate};
    use vigil::blobs::DirBlobStore;
    use vigil::jobs::{Deps, RunnerConfig, execute};
    use vigil::service::FixedClock;
    use vigil::service::evaluation_job::EvaluationHandler;
    use vigil::storage::Store;
    use vigil::storage::jobs::{ClaimSpec, JobState};

    use crate::monitoring_support::{Day, post_day, set_up_plan_and_baseline};

    for db in databases() {
        // No in-process run: this test plays the runner.
        let settings = vigil::config::Settings {
            run_jobs: false,
            ..crate::support::settings_for(&db)
        };
        let app = crate::support::spawn_app_with(&db, settings).await;
        set_up_plan_and_baseline(&app).await;
        let first = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        for d in 0..5 {
            let day = Day {
                date: first + Duration::days(d),
                site: 1,
                n: 40,
                reviews: 5,
                hu_shift: 0.0,
                dice_drop: 0.0,
            };
            post_day(&app, &app.site_key, &day).await;
        }
        let (s, job) = app
            .post(
                "/api/v1/evaluations",
                &app.quality,
                &json!({"model": "liver-seg"}),
            )
            .await;
        assert_eq!(s, 202);
        let id = job["id"].as_str().unwrap().to_string();
        // Claim it as a runner would.
        let store: &dyn Store = &*app.store;
        let kinds = ["evaluation".to_string()];
        let now = test_now();
        let spec = ClaimSpec {
            runner: "runner-x",
            kinds: &kinds,
            exclusive: &kinds,
            now,
            lease_until: now + Duration::minutes(10),
        };
        let claimed = store.claim_job(&spec).unwrap().unwrap();
        assert_eq!(claimed.id, id);
        // Freezing the baseline queued an evaluation (by the ml user who uploaded it); the
        // request above joined that queued job, so its requester is the one who may cancel.
        let requester = if job["trigger"] == "baseline" {
            &app.ml
        } else {
            &app.quality
        };
        let (s, c) = app
            .post(&format!("/api/v1/jobs/{id}/cancel"), requester, &json!({}))
            .await;
        assert_eq!(
            (s, c["state"].as_str(), c["cancel_requested"].as_bool()),
            (200, Some("running"), Some(true))
        );
        let handler = EvaluationHandler {
            store,
            public_url: "",
            webhook_url: "",
        };
        let (clock, blobs, stop) = (
            FixedClock::at(now),
            DirBlobStore::new("unused"),
            AtomicBool::new(false),
        );
        let deps = Deps {
            store,
            blobs: &blobs,
            clock: &clock,
            runner: "runner-x",
            config: RunnerConfig::default(),
            shutdown: &stop,
        };
        execute(&deps, &handler, claimed).unwrap();
        let (_, shown) = app
            .get(&format!("/api/v1/evaluations/{id}"), &app.quality)
            .await;
        assert_eq!(shown["status"], "cancelled", "{}: {shown}", db.label);
        assert_eq!(store.job(&id).unwrap().unwrap().state, JobState::Cancelled);
        // Exactly the first day was evaluated before the cancel was seen.
        let cursor = store.monitor_cursor("liver-seg@2.3.0").unwrap().unwrap();
        assert_eq!(cursor.through, first + Duration::days(1), "{}", db.label);
    }
}
