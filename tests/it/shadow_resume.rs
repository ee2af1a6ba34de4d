//! Shadow runs under failure, on every backend: a run whose worker died after checkpointing
//! three cases is taken over once its lease lapsed and does not score those cases again (their
//! checkpointed figures reach the dossier unchanged); a cancel requested while a worker held a
//! run stops the takeover before any case, with no dossier. Needs `ORT_DYLIB_PATH`.

use chrono::Duration;
use serde_json::{Value, json};
use vigil::shadow::compare::PairedCase;
use vigil::storage::jobs::ClaimSpec;

use crate::console_pages::seed_models_and_archive;
use crate::shadow_api::run_jobs;
use crate::support::{TestApp, databases, settings_for, spawn_app_with, test_now};

async fn start_run(app: &TestApp) -> Value {
    let req = json!({"candidate": {"model": "liver-seg", "version": "2.4.0"}, "margin": 0.05,
        "profile": {"name": "edge", "memory_limit_mib": 512, "latency_budget_ms": 5000}});
    let (s, job) = app.post("/api/v1/shadow-runs", &app.ml, &req).await;
    assert_eq!(s, 202, "{job}");
    job
}

/// A worker claims `id` and dies: its lease ran out a minute before the test clock.
fn claimed_by_a_dead_worker(app: &TestApp, id: &str) {
    let kinds = vec!["shadow_run".to_string()];
    let spec = ClaimSpec {
        runner: "dead-worker",
        kinds: &kinds,
        exclusive: &[],
        now: test_now(),
        lease_until: test_now() - Duration::minutes(1),
    };
    let claimed = app.store.claim_job(&spec).unwrap().expect("the queued run");
    assert_eq!(claimed.id, id);
}

/// Figures no model produces, so a re-scored case would show.
fn checkpointed(job: &Value, n: usize) -> Vec<PairedCase> {
    let strata: Vec<Value> =
        serde_json::from_slice(&crate::shadow_api::file("cases.json")).unwrap();
    job["payload"]["case_refs"].as_array().unwrap()[..n]
        .iter()
        .map(|r| {
            let case_ref = r.as_str().unwrap().to_string();
            let c = strata.iter().find(|c| c["case_ref"] == *r).unwrap();
            PairedCase {
                case_ref,
                stratum: c["stratum"].as_str().unwrap().into(),
                candidate: 0.123_456,
                baseline: 0.123_456,
                wall_ms: 1.0,
                compute_ms: 0.5,
                peak_mib: 10.0,
            }
        })
        .collect()
}

#[actix_web::test]
async fn a_shadow_run_resumes_after_a_crash_and_a_cancel_stops_it() {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("ORT_DYLIB_PATH is not set: skipping (see .ci/run)");
        return;
    }
    for db in databases() {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.blob_dir = blob_dir.path().to_string_lossy().into_owned();
        let app = spawn_app_with(&db, settings).await;
        seed_models_and_archive(&app).await;

        let job = start_run(&app).await;
        let id = job["id"].as_str().unwrap();
        claimed_by_a_dead_worker(&app, id);
        let done = checkpointed(&job, 3);
        let value = serde_json::to_value(&done).unwrap();
        assert!(
            app.store
                .set_job_checkpoint(id, "dead-worker", &value)
                .unwrap()
        );
        run_jobs(&app, blob_dir.path(), &db).await;
        let (_, run) = app.get(&format!("/api/v1/shadow-runs/{id}"), &app.ml).await;
        assert_eq!(run["run"]["state"], "succeeded", "{}: {run}", db.label);
        assert_eq!(run["run"]["attempts"], 2, "taken over once");
        assert_eq!(run["run"]["progress"]["done"], 12);
        let cases = run["dossier"]["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 12);
        let kept = cases.iter().filter(|c| c["candidate"] == 0.123_456).count();
        assert_eq!(kept, 3, "checkpointed cases are not scored again");
        for c in &done {
            let row = cases
                .iter()
                .find(|r| r["case_ref"] == c.case_ref.as_str())
                .unwrap();
            assert_eq!(row["baseline"], 0.123_456);
        }

        let job = start_run(&app).await;
        let id = job["id"].as_str().unwrap();
        claimed_by_a_dead_worker(&app, id);
        let (s, cancelled) = app
            .post(&format!("/api/v1/jobs/{id}/cancel"), &app.ml, &json!({}))
            .await;
        assert_eq!(
            (s, cancelled["cancel_requested"].as_bool()),
            (200, Some(true)),
            "{cancelled}"
        );
        run_jobs(&app, blob_dir.path(), &db).await;
        let (_, run) = app.get(&format!("/api/v1/shadow-runs/{id}"), &app.ml).await;
        assert_eq!(run["run"]["state"], "cancelled", "{}: {run}", db.label);
        assert_eq!(
            run["run"]["progress"]["done"], 0,
            "no case scored after the cancel"
        );
        assert!(run["dossier"].is_null() && run["run"]["result_blob"].is_null());
    }
}
