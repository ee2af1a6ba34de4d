//! Job-queue contract on every backend: two runners racing for 200 jobs run each exactly
//! once; a runner that dies mid-job is taken over after its lease (injected clock) and the
//! takeover resumes from the last checkpoint; back-off and the attempt limit; cancel and
//! release at shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use serde_json::{Value, json};
use vigil::blobs::DirBlobStore;
use vigil::jobs::{
    JobContext, JobFailure, JobHandler, JobOutput, KindSpec, Registry, Runner, RunnerConfig,
};
use vigil::service::{Clock, FixedClock};
use vigil::storage::diesel::DieselStore;
use vigil::storage::jobs::{ClaimSpec, JobState, JobStore};

use crate::support::{TestDb, databases, test_now};

/// Runs a payload's `steps`, one per step, resuming after the checkpoint; records each step
/// it ran by runner; `fail` makes every attempt fail (retryably); `cancel_at` cancels itself.
#[derive(Default)]
pub struct Steps {
    pub ran: Mutex<Vec<(String, String, u64)>>,
    pub fail: bool,
    pub stop_at: Option<(u64, Arc<AtomicBool>)>,
    pub cancel_at: Option<(u64, Arc<DieselStore>)>,
}

impl JobHandler for Steps {
    fn run(&self, ctx: &JobContext<'_>) -> Result<JobOutput, JobFailure> {
        if self.fail {
            return Err(JobFailure::Retryable("peer unavailable".into()));
        }
        let total = ctx.job().payload["steps"].as_u64().unwrap_or(1);
        let from = ctx
            .last_checkpoint()
            .and_then(|c| c["next"].as_u64())
            .unwrap_or(0);
        for step in from..total {
            if let Some((at, flag)) = &self.stop_at
                && *at == step
            {
                flag.store(true, Ordering::SeqCst);
            }
            if let Some((at, store)) = &self.cancel_at
                && *at == step
            {
                // A person cancels while this step is about to start.
                store.cancel_job(&ctx.job().id, ctx.now()).unwrap();
            }
            if ctx.is_cancelled() {
                return Err(JobFailure::Stopped);
            }
            let who = ctx.runner().to_string();
            self.ran
                .lock()
                .unwrap()
                .push((ctx.job().id.clone(), who, step));
            ctx.checkpoint(json!({"next": step + 1}))?;
            ctx.progress(step + 1, total, "step")?;
        }
        Ok(JobOutput {
            result: Some(json!({"steps": total})),
            result_blob: None,
        })
    }
}

pub fn open(db: &TestDb) -> Arc<DieselStore> {
    let store = DieselStore::open(&db.url, 6, 10_000).unwrap();
    store.run_migrations().unwrap();
    Arc::new(store)
}

pub fn runner(
    store: &Arc<DieselStore>,
    clock: &Arc<FixedClock>,
    id: &str,
    handler: Arc<Steps>,
) -> Runner {
    let mut registry = Registry::new(3);
    registry.register(KindSpec::new("steps"), handler);
    let dir = std::env::temp_dir().join("vigil-test-blobs");
    Runner {
        store: store.clone(),
        blobs: Arc::new(DirBlobStore::new(dir)),
        clock: clock.clone(),
        registry: Arc::new(registry),
        id: id.into(),
        config: RunnerConfig::default(),
        shutdown: Arc::new(AtomicBool::new(false)),
    }
}

fn enqueue(r: &Runner, steps: u64) -> String {
    let job = r
        .registry
        .new_job("steps", json!({"steps": steps}), "user:qm1", r.clock.now())
        .unwrap();
    r.store.enqueue_job(&job).unwrap().id
}

#[test]
fn two_runners_racing_for_200_jobs_run_each_exactly_once() {
    for db in databases() {
        let store = open(&db);
        let clock = Arc::new(FixedClock::at(test_now()));
        let handler = Arc::new(Steps::default());
        let a = runner(&store, &clock, "runner-a", handler.clone());
        let b = runner(&store, &clock, "runner-b", handler.clone());
        let ids: Vec<String> = (0..200).map(|_| enqueue(&a, 1)).collect();
        let (na, nb) = std::thread::scope(|s| {
            let ta = s.spawn(|| a.run_until_idle().unwrap());
            let tb = s.spawn(|| b.run_until_idle().unwrap());
            (ta.join().unwrap(), tb.join().unwrap())
        });
        assert_eq!(na + nb, 200, "{}", db.label);
        let ran = handler.ran.lock().unwrap();
        let mut per_job: HashMap<&str, usize> = HashMap::new();
        for (id, _, _) in ran.iter() {
            *per_job.entry(id.as_str()).or_default() += 1;
        }
        assert_eq!(per_job.len(), 200, "{}", db.label);
        assert!(per_job.values().all(|&n| n == 1), "{}", db.label);
        for id in &ids {
            let job = store.job(id).unwrap().unwrap();
            assert_eq!(job.state, JobState::Succeeded, "{}", db.label);
            assert_eq!((job.attempts, job.progress.done), (1, 1));
        }
    }
}

#[test]
fn a_dead_runners_job_is_taken_over_after_the_lease_from_its_checkpoint() {
    for db in databases() {
        let store = open(&db);
        let clock = Arc::new(FixedClock::at(test_now()));
        let handler = Arc::new(Steps::default());
        let b = runner(&store, &clock, "runner-b", handler.clone());
        let id = enqueue(&b, 5);
        // runner-a claims the job, gets through steps 0-2, then dies (no finish, no renewal).
        let kinds = ["steps".to_string()];
        let now = clock.now();
        let spec = ClaimSpec {
            runner: "runner-a",
            kinds: &kinds,
            exclusive: &[],
            now,
            lease_until: now + Duration::seconds(60),
        };
        assert_eq!(store.claim_job(&spec).unwrap().unwrap().id, id);
        assert!(
            store
                .set_job_checkpoint(&id, "runner-a", &json!({"next": 3}))
                .unwrap()
        );
        // While the lease holds, nobody takes the job.
        *clock.0.lock().unwrap() = now + Duration::seconds(59);
        assert!(b.run_next().unwrap().is_none(), "{}", db.label);
        // After it lapses, runner-b takes over, resumes at step 3 and finishes.
        *clock.0.lock().unwrap() = now + Duration::seconds(61);
        let done = b.run_next().unwrap().unwrap();
        assert_eq!(
            done.state,
            JobState::Succeeded,
            "{}: {:?}",
            db.label,
            done.error
        );
        assert_eq!(done.attempts, 2);
        let steps: Vec<u64> = handler.ran.lock().unwrap().iter().map(|r| r.2).collect();
        assert_eq!(steps, [3, 4], "{}", db.label);
        // The dead runner cannot write any more.
        assert!(
            !store
                .set_job_checkpoint(&id, "runner-a", &json!({"next": 0}))
                .unwrap()
        );
        assert!(!store.renew_job_lease(&id, "runner-a", clock.now()).unwrap());
    }
}

#[test]
fn failed_attempts_back_off_then_fail_at_the_attempt_limit() {
    for db in databases() {
        let store = open(&db);
        let clock = Arc::new(FixedClock::at(test_now()));
        let handler = Arc::new(Steps {
            fail: true,
            ..Steps::default()
        });
        let r = runner(&store, &clock, "runner-a", handler);
        let id = enqueue(&r, 1);
        let t0 = clock.now();
        let first = r.run_next().unwrap().unwrap();
        assert_eq!(
            (first.state, first.attempts),
            (JobState::Queued, 1),
            "{}",
            db.label
        );
        assert_eq!(first.next_attempt_at, t0 + Duration::seconds(30));
        assert!(
            r.run_next().unwrap().is_none(),
            "not due before the back-off"
        );
        *clock.0.lock().unwrap() = t0 + Duration::seconds(30);
        let second = r.run_next().unwrap().unwrap();
        assert_eq!(second.attempts, 2);
        assert_eq!(
            second.next_attempt_at,
            t0 + Duration::seconds(90),
            "doubled"
        );
        *clock.0.lock().unwrap() = t0 + Duration::seconds(90);
        let last = r.run_next().unwrap().unwrap();
        assert_eq!(
            (last.state, last.attempts),
            (JobState::Failed, 3),
            "{}",
            db.label
        );
        assert!(last.error.unwrap().contains("attempt 3 of 3"));
        assert!(r.run_next().unwrap().is_none());
        assert_eq!(store.job(&id).unwrap().unwrap().state, JobState::Failed);
    }
}

#[test]
fn a_dead_runners_job_fails_once_its_attempts_are_used_up() {
    for db in databases() {
        let store = open(&db);
        let clock = Arc::new(FixedClock::at(test_now()));
        let r = runner(&store, &clock, "runner-b", Arc::new(Steps::default()));
        let mut job = r
            .registry
            .new_job("steps", json!({"steps": 1}), "t", clock.now())
            .unwrap();
        job.max_attempts = 1;
        let id = store.enqueue_job(&job).unwrap().id;
        let kinds = ["steps".to_string()];
        let now = clock.now();
        let spec = ClaimSpec {
            runner: "runner-a",
            kinds: &kinds,
            exclusive: &[],
            now,
            lease_until: now + Duration::seconds(60),
        };
        store.claim_job(&spec).unwrap().unwrap();
        *clock.0.lock().unwrap() = now + Duration::seconds(61);
        assert!(r.run_next().unwrap().is_none());
        let dead = store.job(&id).unwrap().unwrap();
        assert_eq!(dead.state, JobState::Failed, "{}", db.label);
        assert!(dead.error.unwrap().contains("lost its lease"));
    }
}

#[test]
fn cancel_stops_queued_jobs_at_once_and_running_ones_at_the_next_step() {
    for db in databases() {
        let store = open(&db);
        let clock = Arc::new(FixedClock::at(test_now()));
        let handler = Arc::new(Steps::default());
        let r = runner(&store, &clock, "runner-a", handler.clone());
        let queued = enqueue(&r, 3);
        let cancelled = store.cancel_job(&queued, clock.now()).unwrap().unwrap();
        assert_eq!(cancelled.state, JobState::Cancelled, "{}", db.label);
        assert!(r.run_next().unwrap().is_none());
        assert!(handler.ran.lock().unwrap().is_empty());
        // A running job: a cancel arrives before step 1; the handler stops there.
        let stopping = Arc::new(Steps {
            cancel_at: Some((1, store.clone())),
            ..Steps::default()
        });
        let r2 = runner(&store, &clock, "runner-b", stopping.clone());
        let id = enqueue(&r2, 3);
        let job = r2.run_next().unwrap().unwrap();
        assert_eq!(job.state, JobState::Cancelled, "{}", db.label);
        assert!(job.finished_at.is_some());
        let steps: Vec<u64> = stopping.ran.lock().unwrap().iter().map(|s| s.2).collect();
        assert_eq!(steps, [0], "{}", db.label);
        // Final jobs stay as they are.
        let again = store.cancel_job(&id, clock.now()).unwrap().unwrap();
        assert_eq!(again.state, job.state);
    }
}

#[test]
fn shutdown_releases_the_job_in_hand_with_its_checkpoint() {
    for db in databases() {
        let store = open(&db);
        let clock = Arc::new(FixedClock::at(test_now()));
        let r = runner(&store, &clock, "runner-a", Arc::new(Steps::default()));
        let handler = Arc::new(Steps {
            stop_at: Some((2, r.shutdown.clone())),
            ..Steps::default()
        });
        let mut registry = Registry::new(3);
        registry.register(KindSpec::new("steps"), handler.clone());
        let r = Runner {
            registry: Arc::new(registry),
            ..r
        };
        let id = enqueue(&r, 4);
        let job = r.run_next().unwrap().unwrap();
        assert_eq!(job.state, JobState::Queued, "{}", db.label);
        assert_eq!(job.attempts, 0, "a released attempt does not count");
        assert_eq!(job.checkpoint, Some(json!({"next": 2})));
        assert_eq!(job.lease_owner, None);
        let next = runner(&store, &clock, "runner-b", handler.clone());
        let done = next.run_next().unwrap().unwrap();
        assert_eq!(
            (done.id.as_str(), done.state),
            (id.as_str(), JobState::Succeeded)
        );
        let steps: Vec<u64> = handler.ran.lock().unwrap().iter().map(|s| s.2).collect();
        assert_eq!(steps, [0, 1, 2, 3], "{}", db.label);
        let _: Value = done.result.unwrap();
    }
}
