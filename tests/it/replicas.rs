//! Scale-out proof: two real `vigil serve` processes on one PostgreSQL and one S3 store (moto),
//! the SMTP sink as mail server. The simulated fleet's traffic goes to both (odd sites to A,
//! even sites to B); B is SIGKILLed halfway through and restarted on its port (the
//! simulator's retries carry its requests over). Then the plan is uploaded, both evaluators
//! (every second) race for the day's evaluation and both job runners for the job, both outbox
//! loops for the mail. Afterwards: every event is stored once and counted once, the day's
//! evaluation ran exactly once and evaluated each window once, each alert was opened once
//! (a stream may alert again after its alert resolved, never twice at once) and mailed once. Needs `TEST_DATABASE_URL` (skipped with a message without it).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::Value;
use vigil::alerting::rules::AlertState;
use vigil::commands::simulate::{Api, post_site_day, setup};
use vigil::domain::Role;
use vigil::service::admin::{Actor, add_user};
use vigil::simulator::demo::DEFAULT_PLAN;
use vigil::simulator::{Fleet, Scenario, SiteDay};
use vigil::storage::diesel::DieselStore;
use vigil::storage::{AlertFilter, AlertStore, IngestStore, MonitorStore};

use crate::blobs_s3::Moto;
use crate::dashboards::sql_rows;
use crate::email::free_port;
use crate::smtp_sink::SmtpSink;
use crate::support::{TestDb, postgres_db};

const SITES: u32 = 3;
const DAYS: u32 = 40;
const SCENARIO: &str = "[fleet]\ncases_per_day = 40\nreview_rate = 0.3\n[[changes]]\n\
    kind = \"intensity_shift\"\nsite = 2\nfrom_day = 28\nshift_sd = 1.0\n";

/// The settings both replicas share (environment, as a deployment sets them).
fn replica_env(db: &TestDb, moto: &Moto, smtp_port: u16) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", db.url.clone()),
        ("VIGIL_BLOB_URL", "s3://replicas/blobs".into()),
        ("VIGIL_BLOB_S3_ENDPOINT", moto.endpoint.clone()),
        ("VIGIL_BLOB_S3_ACCESS_KEY_ID", "test".into()),
        ("VIGIL_BLOB_S3_SECRET_ACCESS_KEY", "test".into()),
        ("VIGIL_SMTP_HOST", "127.0.0.1".into()),
        ("VIGIL_SMTP_PORT", smtp_port.to_string()),
        ("VIGIL_SMTP_SECURITY", "none".into()),
        ("VIGIL_EVALUATION_INTERVAL_S", "1".into()),
        ("VIGIL_OUTBOX_INTERVAL_S", "1".into()),
        ("VIGIL_JOB_LEASE_S", "5".into()),
        ("VIGIL_RATE_LIMIT_PER_SECOND", "100000".into()),
        ("VIGIL_RATE_LIMIT_BURST", "100000".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn start_replica(env: &[(String, String)], port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil serve")
}

async fn wait_ready(port: u16) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        let ready = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("replica on port {port} did not become ready");
}

/// Post every site-day, odd sites through `a`, even ones through `b`, four at a time;
/// `done` counts the site-days answered.
async fn post_load(days: Vec<SiteDay>, keys: Vec<String>, apis: [Api; 2], done: Arc<AtomicUsize>) {
    let mut running = tokio::task::JoinSet::new();
    for day in days {
        if running.len() >= 4 {
            running.join_next().await.unwrap().unwrap();
        }
        let api = apis[(day.site % 2) as usize].clone();
        let key = keys[day.site as usize - 1].clone();
        let done = done.clone();
        running.spawn(async move {
            post_site_day(&api, &key, &day, 200)
                .await
                .unwrap_or_else(|e| panic!("site-day {} {}: {e}", day.site_id, day.date));
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    while let Some(r) = running.join_next().await {
        r.unwrap();
    }
}

/// Wait until `ready` holds, polling every half second, at most `limit`.
async fn wait_for(what: &str, limit: Duration, mut ready: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !ready().await {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_the_work_and_survive_a_sigkill() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!(
            "skipped: the two-replica test needs a shared PostgreSQL (set TEST_DATABASE_URL)"
        );
        return;
    };
    let db = postgres_db(&base);
    let moto = Moto::start("replicas");
    let smtp_port = free_port();
    let sink = SmtpSink::start(smtp_port);
    let store = DieselStore::open(&db.url, 2, 30_000).unwrap();
    store.run_migrations().unwrap();
    let (actor, now) = (Actor("cli:test".into()), Utc::now());
    let user = |name: &str, role| add_user(&store, &actor, name, role, now).unwrap().1;
    let (admin, quality, ml) = (
        user("admin1", Role::Admin),
        user("qm1", Role::Quality),
        user("ml1", Role::Ml),
    );
    let env = replica_env(&db, &moto, smtp_port);
    let ports = [free_port(), free_port()];
    let a = start_replica(&env, ports[0]);
    let mut b = start_replica(&env, ports[1]);
    wait_ready(ports[0]).await;
    wait_ready(ports[1]).await;
    let url = |p: u16| format!("http://127.0.0.1:{p}");
    // Indexed by site parity: even sites post through B, odd ones through A.
    let apis = [
        Api::new(&url(ports[1])).unwrap(),
        Api::new(&url(ports[0])).unwrap(),
    ];
    // Set-up through both replicas: one database behind them.
    assert!(setup::register_model(&apis[0], &ml).await.unwrap());
    let start = Utc::now().date_naive() - chrono::Duration::days(i64::from(DAYS) + 1);
    let fleet = Fleet::new(5, SITES, DAYS, start, Scenario::parse(SCENARIO).unwrap()).unwrap();
    let mut keys = Vec::new();
    for site in fleet.sites() {
        keys.push(setup::site_key(&apis[1], &admin, site).await.unwrap().0);
    }
    setup::upload_baseline(&apis[0], &ml, 1000, 5)
        .await
        .unwrap();
    let days: Vec<SiteDay> = (0..DAYS).flat_map(|d| fleet.day(d)).collect();
    let event_ids: Vec<String> = days
        .iter()
        .flat_map(|d| d.events.iter().map(|e| e.event_id.to_string()))
        .collect();
    let done = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(post_load(days, keys, apis.clone(), done.clone()));
    let half = (SITES * DAYS / 2) as usize;
    wait_for("half the load", Duration::from_secs(600), async || {
        done.load(Ordering::SeqCst) >= half
    })
    .await;
    b.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix.
    let _ = b.wait();
    let b = start_replica(&env, ports[1]);
    load.await
        .expect("every site-day answered, B's through its retries");
    // No event lost, none stored or counted twice.
    assert_eq!(
        store.event_owners(&event_ids).unwrap().len(),
        event_ids.len()
    );
    let counted = sql_rows(&db.url, "SELECT event_id FROM events").unwrap();
    assert_eq!(counted as usize, event_ids.len(), "events stored once each");
    check_daily_counts(&url(ports[0]), &quality, event_ids.len()).await;
    // The plan arms both evaluators at once.
    setup::upload_plan(&apis[1], &quality, DEFAULT_PLAN)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let evaluations = url(ports[1]) + "/api/v1/evaluations?model=liver-seg";
    wait_for("the evaluation", Duration::from_secs(600), async || {
        let jobs: Value = client
            .get(&evaluations)
            .bearer_auth(&quality)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["status"] == "done" || j["status"] == "failed")
    })
    .await;
    let jobs = store.evaluations(Some("liver-seg"), 100).unwrap();
    assert_eq!(jobs.len(), 1, "one evaluation for the day: {jobs:?}");
    assert_eq!(jobs[0].status, "done", "{:?}", jobs[0].error);
    assert_eq!(jobs[0].as_of, Utc::now().date_naive());
    let twice = "SELECT rule, stratum, window_kind, window_end FROM findings \
                 GROUP BY rule, stratum, window_kind, window_end HAVING COUNT(*) > 1";
    assert_eq!(
        sql_rows(&db.url, twice).unwrap(),
        0,
        "a window evaluated twice"
    );
    let evaluated = "SELECT DISTINCT window_end FROM findings";
    assert!(
        sql_rows(&db.url, evaluated).unwrap() >= 10,
        "days evaluated"
    );
    check_alerts_mailed_once(&store, &sink).await;
    for mut replica in [a, b] {
        replica.kill().unwrap();
        let _ = replica.wait();
    }
}

/// `GET /api/v1/counts` adds up to one count per stored event (a retried batch is not counted
/// again).
async fn check_daily_counts(base: &str, token: &str, expected: usize) {
    let counts: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/counts"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total: i64 = counts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["events"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(total as usize, expected, "daily counts: {counts}");
}

/// At least one alert, one per stream, and each alert's opening mail sent exactly once
/// although both replicas' outbox loops ran.
async fn check_alerts_mailed_once(store: &DieselStore, sink: &SmtpSink) {
    let filter = AlertFilter {
        state: None,
        model: None,
        limit: 1000,
        after: None,
    };
    let alerts = store.alerts(&filter).unwrap();
    assert!(!alerts.is_empty(), "the injected drift raised no alert");
    // A stream may alert again after its alert resolved, but never twice for one signal,
    // and never with two alerts active at once.
    let mut opened = BTreeMap::new();
    let mut active = BTreeMap::new();
    for a in &alerts {
        let stream = (a.model.clone(), a.rule.clone(), a.stratum.clone());
        *opened.entry((stream.clone(), a.opened_at)).or_insert(0) += 1;
        if a.state != AlertState::Resolved {
            *active.entry(stream).or_insert(0) += 1;
        }
    }
    assert!(opened.values().all(|&n| n == 1), "{opened:?}");
    assert!(active.values().all(|&n| n == 1), "{active:?}");
    let mailed = |id: &str| {
        let link = format!("/console/alerts/{id}");
        let mails = sink.messages();
        let of = |word: &str| {
            let what = format!("Alert {word}:");
            mails
                .iter()
                .filter(|m| m.contains(&link) && m.contains(&what))
                .count()
        };
        // The opening mail, and at most one more if its severity was raised; the daily
        // digest also links alerts and is not counted here.
        (of("opened"), of("raised"))
    };
    wait_for("the alert mails", Duration::from_secs(120), async || {
        alerts.iter().all(|a| mailed(&a.id).0 >= 1)
    })
    .await;
    // Several more outbox rounds on both replicas: still one mail each.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for alert in &alerts {
        let (opened, raised) = mailed(&alert.id);
        assert_eq!(opened, 1, "alert {} opening mails", alert.id);
        assert!(raised <= 1, "alert {} raised mails: {raised}", alert.id);
    }
}
