//! The daily schedule on two replicas of one database: two stores (two connection pools, as
//! two `vigil serve` processes hold) call `schedule_due` at the same instant from several
//! threads each, day after day; every (model, day) is queued exactly once. On PostgreSQL a
//! check-then-insert under READ COMMITTED let both replicas queue the same day; the schedule's
//! id derived from (model, day) makes the second insert a primary-key conflict instead.

use std::collections::BTreeMap;
use std::sync::Barrier;

use chrono::Duration;
use vigil::service::FixedClock;
use vigil::service::evaluation::{EvaluatorEnv, run_queued, schedule_due};
use vigil::storage::Store;
use vigil::storage::diesel::DieselStore;

use crate::monitoring_support::set_up_plan_and_baseline;
use crate::support::{databases, spawn_app, test_now};

const DAYS: i64 = 12;
const THREADS_PER_REPLICA: usize = 4;

#[actix_web::test]
async fn two_replicas_never_queue_the_same_model_and_day_twice() {
    for db in databases() {
        let app = spawn_app(&db).await;
        set_up_plan_and_baseline(&app).await;
        let other = DieselStore::open(&db.url, 8, 30_000).unwrap();
        let replicas: [&dyn Store; 2] = [&*app.store, &other];
        let mut queued_total = 0;
        for day in 0..DAYS {
            let now = test_now() + Duration::days(day);
            let barrier = Barrier::new(2 * THREADS_PER_REPLICA);
            let queued: usize = std::thread::scope(|s| {
                let handles: Vec<_> = (0..2 * THREADS_PER_REPLICA)
                    .map(|i| {
                        let (store, barrier) = (replicas[i % 2], &barrier);
                        s.spawn(move || {
                            barrier.wait();
                            schedule_due(store, now).unwrap()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).sum()
            });
            queued_total += queued;
            // Run the day's job so that the next day's is not merged into a queued one.
            let clock = FixedClock::at(now);
            let scratch = tempfile::tempdir().unwrap();
            let scratch_blobs = vigil::blobs::DirBlobStore::new(scratch.path());
            let env = EvaluatorEnv {
                store: replicas[(day % 2) as usize],
                clock: &clock,
                runner: "test",
                public_url: "",
                webhook_url: "",
                blobs: &scratch_blobs,
            };
            run_queued(&env).unwrap();
        }
        let jobs = app.store.evaluations(Some("liver-seg"), 1000).unwrap();
        let mut per_day: BTreeMap<_, usize> = BTreeMap::new();
        // Freezing the baseline queues the first day's evaluation itself (trigger `baseline`).
        for j in jobs
            .iter()
            .filter(|j| j.trigger == "schedule" || j.trigger == "baseline")
        {
            *per_day.entry(j.as_of).or_default() += 1;
        }
        assert_eq!(per_day.len(), DAYS as usize, "{}: {per_day:?}", db.label);
        assert!(
            per_day.values().all(|&n| n == 1),
            "{}: a day queued twice: {per_day:?}",
            db.label
        );
        // Each call counts what it queued; racing callers may each count the one job. The
        // first day's job came from the baseline, not from the schedule.
        assert!(queued_total >= DAYS as usize - 1, "{}", db.label);
    }
}
