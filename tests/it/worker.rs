//! `vigil worker` on every backend: it runs jobs and serves only health and metrics; killed
//! with SIGKILL mid-job, its job is taken over once the lease has lapsed (injected clock) and
//! the takeover resumes from the last checkpoint; on SIGTERM it hands the job in hand back.
//! Also `vigil jobs probe|list|show|cancel`, and `serve` with `run_jobs = false` only queues.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::Duration;
use serde_json::json;
use vigil::jobs::{KindSpec, Registry, Runner};
use vigil::service::FixedClock;
use vigil::storage::jobs::{Job, JobState, JobStore};

use crate::cli::{stdout, vigil};
use crate::jobs::{Steps, open, runner};
use crate::support::{TestDb, databases};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn start_worker(db: &TestDb, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["worker", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &db.url)
        .env_remove("VIGIL_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil worker")
}

/// Queue a probe of 200 steps of 50 ms through the CLI; returns its id.
fn queue_probe(db: &TestDb) -> String {
    let out = vigil(db, &["jobs", "probe", "--steps", "200", "--step-ms", "50"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out).trim().to_string()
}

/// Wait (bounded, real time: the worker is another process) until the probe has passed `n` steps.
async fn wait_for_step(store: &dyn JobStore, id: &str, n: u64) -> Job {
    for _ in 0..1500 {
        let job = store.job(id).unwrap().unwrap();
        if job.checkpoint.as_ref().and_then(|c| c["next"].as_u64()) >= Some(n) {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the worker did not run the probe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_is_taken_over_from_its_checkpoint() {
    for db in databases() {
        let store = open(&db);
        let id = queue_probe(&db);
        let port = free_port();
        let mut worker = start_worker(&db, port);
        wait_for_step(&*store, &id, 3).await;
        // Health answers; the API does not exist in a worker.
        let base = format!("http://127.0.0.1:{port}");
        let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
        assert_eq!(health.status(), 200);
        let api = reqwest::get(format!("{base}/api/v1/jobs")).await.unwrap();
        assert_eq!(api.status(), 404);
        worker.kill().unwrap(); // SIGKILL
        worker.wait().unwrap();
        let dead = store.job(&id).unwrap().unwrap();
        assert_eq!(dead.state, JobState::Running, "{}", db.label);
        let resume = dead.checkpoint.as_ref().unwrap()["next"].as_u64().unwrap();
        let lease_until = dead.lease_until.unwrap();
        // A runner of this process with the clock just before and just after the lease.
        let clock = Arc::new(FixedClock::at(lease_until - Duration::seconds(1)));
        let handler = Arc::new(Steps::default());
        let mut registry = Registry::new(3);
        registry.register(KindSpec::new("probe"), handler.clone());
        let r = Runner {
            registry: Arc::new(registry),
            ..runner(&store, &clock, "runner-b", handler.clone())
        };
        assert!(
            r.run_next().unwrap().is_none(),
            "{}: lease still held",
            db.label
        );
        *clock.0.lock().unwrap() = lease_until + Duration::seconds(1);
        let mut done = None;
        for _ in 0..200 {
            // PostgreSQL may keep the killed process's session (and its row lock, which the
            // claim's SKIP LOCKED steps over) for a moment, until it notices the closed socket.
            done = r.run_next().unwrap();
            if done.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let done = done.unwrap_or_else(|| panic!("{:?}", store.job(&id).unwrap()));
        assert_eq!(
            (done.state, done.attempts),
            (JobState::Succeeded, 2),
            "{}",
            db.label
        );
        let steps: Vec<u64> = handler.ran.lock().unwrap().iter().map(|s| s.2).collect();
        assert_eq!(steps, (resume..200).collect::<Vec<_>>(), "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_hands_the_job_in_hand_back_with_its_checkpoint() {
    for db in databases() {
        let store = open(&db);
        let id = queue_probe(&db);
        let mut worker = start_worker(&db, free_port());
        wait_for_step(&*store, &id, 2).await;
        let term = Command::new("kill")
            .args(["-TERM", &worker.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        assert!(worker.wait().unwrap().success(), "{}", db.label);
        let job = store.job(&id).unwrap().unwrap();
        assert_eq!(job.state, JobState::Queued, "{}", db.label);
        assert_eq!((job.attempts, job.lease_owner), (0, None));
        assert!(job.checkpoint.unwrap()["next"].as_u64().unwrap() >= 2);
        // The CLI shows and cancels it.
        let shown = vigil(&db, &["jobs", "show", &id]);
        let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(
            (shown["kind"].clone(), shown["state"].clone()),
            (json!("probe"), json!("queued"))
        );
        let list = stdout(&vigil(&db, &["jobs", "list", "--state", "queued"]));
        assert!(list.contains(&id), "{list}");
        assert!(vigil(&db, &["jobs", "cancel", &id]).status.success());
        assert_eq!(store.job(&id).unwrap().unwrap().state, JobState::Cancelled);
        assert_eq!(
            vigil(&db, &["jobs", "list", "--state", "done"])
                .status
                .code(),
            Some(2)
        );
    }
}

#[actix_web::test]
async fn serve_with_run_jobs_false_only_queues_and_a_worker_runs_the_job() {
    use crate::monitoring_support::set_up_plan_and_baseline;
    use crate::support::{settings_for, spawn_app_with, test_now};
    use vigil::service::evaluation::{EvaluatorEnv, evaluator_round};
    for db in databases() {
        let settings = vigil::config::Settings {
            run_jobs: false,
            ..settings_for(&db)
        };
        let app = spawn_app_with(&db, settings.clone()).await;
        set_up_plan_and_baseline(&app).await;
        let (s, job) = app
            .post(
                "/api/v1/evaluations",
                &app.quality,
                &json!({"model": "liver-seg"}),
            )
            .await;
        assert_eq!(s, 202, "{job}");
        let id = job["id"].as_str().unwrap().to_string();
        // The evaluator round of such a process schedules but runs nothing.
        let clock = FixedClock::at(test_now());
        let scratch = tempfile::tempdir().unwrap();
        let scratch_blobs = vigil::blobs::DirBlobStore::new(scratch.path());
        let env = EvaluatorEnv {
            store: &*app.store,
            clock: &clock,
            runner: "serve",
            public_url: "",
            webhook_url: "",
            blobs: &scratch_blobs,
        };
        assert!(evaluator_round(&env, None).unwrap().is_empty());
        let (_, shown) = app
            .get(&format!("/api/v1/evaluations/{id}"), &app.quality)
            .await;
        assert_eq!(shown["status"], "queued", "{}", db.label);
        // A worker's runner (the registry `vigil worker` uses) runs it.
        let mut state = vigil::http::AppState::new(
            app.store.clone(),
            Arc::new(settings),
            Arc::new(FixedClock::at(test_now())),
        );
        state.jobs = Arc::new(vigil::app::job_registry(&state));
        assert_eq!(state.runner("worker-1").run_until_idle().unwrap(), 1);
        let (_, shown) = app
            .get(&format!("/api/v1/evaluations/{id}"), &app.quality)
            .await;
        assert_eq!(shown["status"], "done", "{}: {shown}", db.label);
        assert_eq!(shown["runner"], "worker-1");
        let (_, generic) = app.get(&format!("/api/v1/jobs/{id}"), &app.quality).await;
        assert_eq!(
            (generic["kind"].as_str(), generic["state"].as_str()),
            (Some("evaluation"), Some("succeeded"))
        );
        assert_eq!(generic["progress"]["done"], 1);
    }
}
