//! Moving evaluations onto the generic job queue changed nothing they find: the fleet
//! scenario (four sites, six weeks, an intensity shift at one site and a Dice drop at another)
//! is replayed day by day with the scheduler's daily evaluations, and a fingerprint of every
//! finding and alert is compared with the one recorded on the code before the move
//! (evaluations in their own table, commit 62afd2e), on every backend.

use sha2::{Digest, Sha256};
use vigil::commands::simulate::SimulateArgs;
use vigil::commands::simulate::evaluate::{ReplayOptions, evaluate};
use vigil::storage::diesel::DieselStore;
use vigil::storage::{AlertFilter, FindingQuery, Store};

use crate::support::databases;

/// First recorded with the evaluation-specific queue (before the move to the job queue), SQLite
/// and PostgreSQL alike. Re-recorded once when the evaluator deliberately changed what it finds
/// (issue 13: chart limits designed for the reference's own size, constant columns, silent
/// strata, evidence in alerts), and again when the CUSUM came to restart after each alarm by
/// default (`reset_to = "zero"`, issue 12: the statistics of the days after an alarm changed;
/// before that d541e6dba38de2683882b45e5fb119dc8608fe15a67d4459d40ff5eb99fd4ab3);
/// any other change to it is a regression.
const BEFORE: &str = "9a752f9b35fb789f02de73dc667b1fb631a79538c8e6d7ca0e49fdaf6fb06b8b";

// The end-to-end test's fleet scenario: one place to change it.
use crate::scenario_e2e::SCENARIO;

fn args(scenario: std::path::PathBuf, url: &str) -> SimulateArgs {
    SimulateArgs {
        sites: 4,
        days: 42,
        seed: 11,
        scenario: Some(scenario),
        target: None,
        token: None,
        quality_token: None,
        ml_token: None,
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        batch: 500,
        concurrency: 1,
        no_baseline: false,
        allow_existing_model: false,
        reference_cases: 0,
        plan: None,
        replay: ReplayOptions {
            evaluate: true,
            database: Some(url.into()),
            freeze_days: 14,
            json: true,
        },
    }
}

/// Every finding's content (not its evaluation id or time) and every alert's key and state.
fn fingerprint(store: &dyn Store) -> (String, usize) {
    let query = FindingQuery {
        limit: 100_000_000,
        ..FindingQuery::default()
    };
    let mut lines: Vec<String> = store
        .findings(&query)
        .unwrap()
        .into_iter()
        .map(|f| {
            // The content findings had when BEFORE was taken: the data-day labels came later.
            let mut finding = f.finding;
            (
                finding.window_from,
                finding.window_to,
                finding.days_with_data,
            ) = (None, None, None);
            format!("{} {} {:?}", f.model_id, f.plan_version, finding).replace(
                "window_from: None, window_to: None, days_with_data: None, ",
                "",
            )
        })
        .collect();
    let n = lines.len();
    let filter = AlertFilter {
        state: None,
        model: None,
        limit: 1_000_000,
        after: None,
    };
    for a in store.alerts(&filter).unwrap() {
        lines.push(format!(
            "alert {} {} {} {:?} {:?} {:?}",
            a.model, a.rule, a.stratum, a.state, a.severity, a.opened_at
        ));
    }
    lines.sort();
    (hex::encode(Sha256::digest(lines.join("\n"))), n)
}

#[test]
fn the_fleet_scenario_finds_the_same_on_the_job_queue_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    for db in databases() {
        let report = evaluate(&args(scenario.clone(), &db.url), false).unwrap();
        assert_eq!(report.detections.len(), 2, "{report:?}");
        let store = DieselStore::open(&db.url, 2, 30_000).unwrap();
        let (print, n) = fingerprint(&store);
        assert!(n > 1000, "{n} findings");
        assert_eq!(print, BEFORE, "{}: {n} findings", db.label);
    }
}
