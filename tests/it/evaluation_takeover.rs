//! A runner that dies in the middle of an evaluation, on every backend: runner A (the app's
//! store) evaluates weeks of traffic with a drift at site-a and a Dice drop at site-b and is
//! frozen for good (as by SIGKILL: no further write, no lease renewal) at the worst moment, in
//! the day that opens the first alert, after the alert was stored and before its e-mail was
//! queued and the day's findings and cursor were stored. Once A's lease lapsed, runner B (a
//! second connection pool, as another replica holds) takes the job over and finishes it.
//! Afterwards every day was evaluated exactly once, the findings are numbered without a gap
//! across both attempts, each alert was opened once, has one history entry per evaluated
//! day at most, and was mailed once. (The lease's end after the last attempt is tested in `monitoring.rs`.)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vigil::jobs::RunnerConfig;
use vigil::monitoring::findings::WindowKind;
use vigil::service::Clock;
use vigil::service::admin::Actor;
use vigil::service::evaluation::{EvaluatorEnv, request_evaluation, run_queued_with};
use vigil::storage::diesel::DieselStore;
use vigil::storage::jobs::JobStore;
use vigil::storage::{AlertFilter, FindingQuery, Store};

use crate::monitoring_support::{Day, post_day, set_up_plan_and_baseline};
use crate::support::{TestApp, databases, spawn_app, test_now};

const VERSION: &str = "liver-seg@2.3.0";
const DYING: &str = "runner-a";

/// The test's clock. On runner A's thread, the first reading after an alert exists never
/// returns: A is dead from then on (its heartbeat would renew only every lease/3 of real time,
/// 200 s, longer than the test).
struct DyingClock {
    at: Mutex<DateTime<Utc>>,
    store: Arc<dyn Store>,
    dead: AtomicBool,
}

impl Clock for DyingClock {
    fn now(&self) -> DateTime<Utc> {
        if std::thread::current().name() == Some(DYING) {
            let filter = AlertFilter {
                state: None,
                model: None,
                limit: 1,
                after: None,
            };
            if self.store.alerts(&filter).is_ok_and(|a| !a.is_empty()) {
                self.dead.store(true, Ordering::SeqCst);
                loop {
                    std::thread::park();
                }
            }
        }
        *self.at.lock().unwrap()
    }
}

fn lease() -> RunnerConfig {
    RunnerConfig {
        lease: Duration::minutes(10),
        ..RunnerConfig::default()
    }
}

/// 2026-10-12 .. the day before `test_now()`: site-a drifts by +0.8 SD of hu_mean and site-b
/// loses 0.04 Dice from 2026-11-02.
async fn post_traffic(app: &TestApp) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(2026, 10, 12).unwrap();
    let shift_from = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let mut date = first;
    while date < test_now().date_naive() {
        let late = date >= shift_from;
        let day = |site, reviews, hu_shift, dice_drop| Day {
            date,
            site,
            n: 60,
            reviews,
            hu_shift,
            dice_drop,
        };
        let a = day(1, 10, if late { 8.0 } else { 0.0 }, 0.0);
        let b = day(2, 20, 0.0, if late { 0.04 } else { 0.0 });
        post_day(app, &app.site_key, &a).await;
        post_day(app, &app.other_site_key, &b).await;
        date += Duration::days(1);
    }
    first
}

fn env<'a>(
    store: &'a dyn Store,
    clock: &'a dyn Clock,
    runner: &'a str,
    blobs: &'a vigil::blobs::DirBlobStore,
) -> EvaluatorEnv<'a> {
    EvaluatorEnv {
        store,
        clock,
        runner,
        public_url: "http://vigil",
        webhook_url: "",
        blobs,
    }
}

#[actix_web::test]
async fn a_runner_killed_mid_evaluation_is_taken_over_and_every_day_runs_once() {
    for db in databases() {
        let label = db.label;
        let app = spawn_app(&db).await;
        set_up_plan_and_baseline(&app).await;
        let first_day = post_traffic(&app).await;
        let scratch = tempfile::tempdir().unwrap();
        let clock = Arc::new(DyingClock {
            at: Mutex::new(test_now()),
            store: app.store.clone(),
            dead: AtomicBool::new(false),
        });
        // Freezing the baseline queued an evaluation; a request returns that queued job.
        let actor = Actor("user:qm1".into());
        let job = request_evaluation(
            &*app.store,
            &actor,
            "liver-seg",
            None,
            "request",
            test_now(),
        )
        .unwrap();
        let as_of = job.as_of;

        // Runner A: claims the job and dies in the day that opens the first alert.
        let (store_a, clock_a) = (app.store.clone(), clock.clone());
        let blobs_dir = scratch.path().to_path_buf();
        std::thread::Builder::new()
            .name(DYING.into())
            .spawn(move || {
                let blobs = vigil::blobs::DirBlobStore::new(&blobs_dir);
                let _ = run_queued_with(&env(&*store_a, &*clock_a, DYING, &blobs), lease());
                panic!("runner A finished the evaluation instead of dying in it");
            })
            .unwrap();
        for _ in 0..2400 {
            if clock.dead.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(
            clock.dead.load(Ordering::SeqCst),
            "{label}: runner A never died"
        );
        // What the dead runner left: the job running under its lease, days before the one in
        // flight evaluated, an alert opened in that day and not mailed yet.
        let jobs: &dyn JobStore = &*app.store;
        let held = jobs.job(&job.id).unwrap().unwrap();
        assert_eq!(held.lease_owner.as_deref(), Some(DYING), "{label}");
        assert_eq!(held.attempts, 1);
        let cursor = app.store.monitor_cursor(VERSION).unwrap().unwrap();
        assert!(
            cursor.through > first_day && cursor.through < as_of,
            "{label}"
        );
        let filter = AlertFilter {
            state: None,
            model: None,
            limit: 1000,
            after: None,
        };
        let opened_by_a = app.store.alerts(&filter).unwrap();
        assert_eq!(opened_by_a.len(), 1, "{label}");
        assert!(app.store.outbox_messages().unwrap().is_empty(), "{label}");

        // Runner B, another replica's pool: nothing while A's lease holds, the job once it
        // lapsed.
        let other = DieselStore::open(&db.url, 4, 30_000).unwrap();
        let blobs = vigil::blobs::DirBlobStore::new(scratch.path());
        let b = env(&other, &*clock, "runner-b", &blobs);
        assert!(run_queued_with(&b, lease()).unwrap().is_empty(), "{label}");
        *clock.at.lock().unwrap() = test_now() + Duration::minutes(11);
        let ran = run_queued_with(&b, lease()).unwrap();
        assert_eq!(ran.len(), 1, "{label}: {ran:?}");
        assert_eq!(ran[0].id, job.id);
        assert_eq!(ran[0].status, "done", "{label}: {:?}", ran[0].error);
        assert_eq!(jobs.job(&job.id).unwrap().unwrap().attempts, 2, "{label}");
        let cursor = app.store.monitor_cursor(VERSION).unwrap().unwrap();
        assert_eq!(cursor.through, as_of, "{label}");

        check_days_once(&app, &job.id, first_day, as_of);
        check_alerts_once(&app, &opened_by_a[0].id);
    }
}

/// Every day from the first to the day before `as_of` has its day findings, each stream's
/// window once; the findings of both attempts are numbered 0, 1, 2 ... without a gap.
fn check_days_once(app: &TestApp, job_id: &str, first_day: NaiveDate, as_of: NaiveDate) {
    let query = FindingQuery {
        evaluation_id: Some(job_id.to_string()),
        limit: 1_000_000,
        ..FindingQuery::default()
    };
    let found = app.store.findings(&query).unwrap();
    let mut windows = BTreeMap::new();
    for f in &found {
        let key = (
            f.finding.rule.clone(),
            f.finding.stratum.clone(),
            f.finding.window.as_str(),
            f.finding.window_start,
            f.finding.window_end,
        );
        *windows.entry(key).or_insert(0) += 1;
    }
    let twice: Vec<_> = windows.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{}: evaluated twice: {twice:?}",
        app.label
    );
    let days: BTreeSet<NaiveDate> = found
        .iter()
        .filter(|f| f.finding.window == WindowKind::Day)
        .map(|f| f.finding.window_start)
        .collect();
    let all: BTreeSet<NaiveDate> = first_day.iter_days().take_while(|d| *d < as_of).collect();
    assert_eq!(days, all, "{}", app.label);
    let mut seqs: Vec<i64> = found.iter().map(|f| f.seq).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..found.len() as i64).collect::<Vec<_>>(),
        "{}",
        app.label
    );
}

/// One alert per stream, the drift at site-a and the Dice drop at site-b among them (as an
/// uninterrupted evaluation of this traffic opens, see `monitoring.rs`); each with one history
/// entry per instant and kind, and one opening e-mail, the dead runner's alert included.
fn check_alerts_once(app: &TestApp, opened_by_a: &str) {
    let label = app.label;
    let filter = AlertFilter {
        state: None,
        model: Some(VERSION.into()),
        limit: 1000,
        after: None,
    };
    let alerts = app.store.alerts(&filter).unwrap();
    let streams: BTreeSet<_> = alerts
        .iter()
        .map(|a| (a.rule.as_str(), a.stratum.as_str()))
        .collect();
    assert_eq!(streams.len(), alerts.len(), "{label}: {streams:?}");
    assert!(
        streams.contains(&("drift:hu_mean", "site=site-a")),
        "{label}: {streams:?}"
    );
    assert!(
        streams.contains(&("mean_dice:liver", "site=site-b")),
        "{label}: {streams:?}"
    );
    assert!(alerts.iter().any(|a| a.id == opened_by_a));
    for a in &alerts {
        // One signal per stream and day: at most one history entry per evaluated instant.
        let history = app.store.alert_events(&a.id).unwrap();
        let instants: BTreeSet<_> = history.iter().map(|e| e.at).collect();
        let entries: Vec<_> = history.iter().map(|e| (e.at, e.event.as_str())).collect();
        assert_eq!(instants.len(), history.len(), "{label}: {entries:?}");
        assert_eq!(history.iter().filter(|e| e.event == "opened").count(), 1);
    }
    let outbox = app.store.outbox_messages().unwrap();
    for a in &alerts {
        let opening = format!("alert:{}:opened:", a.id);
        let mails = outbox.iter().filter(|m| m.dedup_key.starts_with(&opening));
        assert_eq!(mails.count(), 1, "{label}: alert {} opening mails", a.id);
    }
}
