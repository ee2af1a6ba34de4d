//! Upgrading a database that already holds evaluations: the migration that moves evaluations
//! onto the job queue keeps each one (as a job of kind `evaluation`) and its findings, and
//! its down.sql gives the evaluation table back, on every backend.

use diesel::backend::Backend;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use vigil::storage::diesel::DieselStore;
use vigil::storage::jobs::{JobState, JobStore};
use vigil::storage::{FindingQuery, MonitorStore};

use crate::support::databases;

const MOVE: &str = "evaluations_on_jobs";

const OLD_ROWS: &str = "
INSERT INTO evaluations (id, model_name, trigger_kind, requested_by, requested_at, as_of, status,
    runner, lease_until, started_at, finished_at, summary, error)
VALUES ('e1', 'liver-seg', 'schedule', 'vigil:schedule', '2026-11-20 00:05:00', '2026-11-20',
    'done', 'pid1-abc', NULL, '2026-11-20 00:05:01', '2026-11-20 00:06:00',
    '{\"seconds\":1.5,\"versions\":[]}', NULL);
INSERT INTO findings (evaluation_id, seq, model_id, plan_version, baseline_id, stratum,
    window_kind, window_start, window_end, rule, method, status, n, fingerprint, created_at)
VALUES ('e1', 0, 'liver-seg@2.3.0', 1, 'b1', 'all', 'day', '2026-11-19', '2026-11-20',
    'drift:hu_mean', 'ks', 'ok', 120, 'f', '2026-11-20 00:06:00');
";

/// Apply migrations up to (not including) the move, write evaluations the old way, then the rest.
fn upgrade<C>(conn: &mut C, folder: &str)
where
    C: MigrationHarness<C::Backend> + SimpleConnection + Connection,
    C::Backend: Backend,
{
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let source = FileBasedMigrations::from_path(dir).unwrap();
    loop {
        let pending = conn.pending_migrations(source.clone()).unwrap();
        let next = pending.first().expect("the move is among the migrations");
        if next.name().to_string().contains(MOVE) {
            break;
        }
        conn.run_migration(next).unwrap();
    }
    conn.batch_execute(OLD_ROWS).unwrap();
    conn.run_pending_migrations(source.clone()).unwrap();
}

fn revert_move<C>(conn: &mut C, folder: &str)
where
    C: MigrationHarness<C::Backend> + SimpleConnection + Connection,
    C::Backend: Backend,
{
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let source = FileBasedMigrations::from_path(dir).unwrap();
    // Later migrations (other capabilities') are reverted first, down to the move.
    loop {
        let reverted = conn.revert_last_migration(source.clone()).unwrap();
        if reverted.to_string() == "20261202201739" {
            break;
        }
    }
    // The row is back where it was, as it was: copy it into a second finding only if so.
    conn.batch_execute(
        "INSERT INTO findings (evaluation_id, seq, model_id, plan_version, baseline_id, stratum, \
         window_kind, window_start, window_end, rule, method, status, n, fingerprint, created_at) \
         SELECT id, 1, 'liver-seg@2.3.0', 1, 'b1', 'all', 'day', '2026-11-19', '2026-11-20', \
         'drift:hu_mean', 'ks', 'ok', 120, 'f', requested_at FROM evaluations \
         WHERE status = 'done' AND trigger_kind = 'schedule' AND as_of = '2026-11-20' \
         AND runner = 'pid1-abc' AND summary LIKE '%versions%'",
    )
    .unwrap();
}

#[test]
fn upgrading_keeps_evaluations_and_findings_and_down_gives_them_back() {
    for db in databases() {
        let sqlite_path = db.url.strip_prefix("sqlite://").map(str::to_string);
        match &sqlite_path {
            Some(path) => {
                let mut c = SqliteConnection::establish(path).unwrap();
                c.batch_execute("PRAGMA foreign_keys = ON").unwrap();
                upgrade(&mut c, "migrations/sqlite");
            }
            None => upgrade(
                &mut PgConnection::establish(&db.url).unwrap(),
                "migrations/postgres",
            ),
        }
        let store = DieselStore::open(&db.url, 2, 5_000).unwrap();
        let e = store.evaluation("e1").unwrap().expect("evaluation kept");
        assert_eq!(
            (e.status.as_str(), e.trigger.as_str()),
            ("done", "schedule"),
            "{}",
            db.label
        );
        assert_eq!(
            (e.model.as_str(), e.as_of.to_string()),
            ("liver-seg", "2026-11-20".into())
        );
        assert_eq!(e.runner.as_deref(), Some("pid1-abc"));
        let summary: serde_json::Value = e.summary.clone().unwrap();
        assert_eq!(summary["seconds"], 1.5);
        let job = store.job("e1").unwrap().unwrap();
        assert_eq!(
            (job.kind.as_str(), job.state),
            ("evaluation", JobState::Succeeded)
        );
        let q = FindingQuery {
            evaluation_id: Some("e1".into()),
            limit: 10,
            ..FindingQuery::default()
        };
        assert_eq!(store.findings(&q).unwrap().len(), 1, "{}", db.label);
        drop(store);
        match &sqlite_path {
            Some(path) => revert_move(
                &mut SqliteConnection::establish(path).unwrap(),
                "migrations/sqlite",
            ),
            None => revert_move(
                &mut PgConnection::establish(&db.url).unwrap(),
                "migrations/postgres",
            ),
        }
    }
}
