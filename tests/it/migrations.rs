//! Migrations run up, down and up again on every backend, and both backends end with the
//! same tables and columns.

use vigil::storage::diesel::DieselStore;

use crate::support::databases;

#[test]
fn up_down_up_gives_identical_schemas_on_every_backend() {
    let mut schemas = Vec::new();
    for db in databases() {
        let store = DieselStore::open(&db.url, 2, 5_000).unwrap();
        store.run_migrations().unwrap();
        let first = store.describe_schema().unwrap();
        let tables: Vec<&str> = first.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            tables,
            [
                "alert_history",
                "alerts",
                "archive_cases",
                "audit_log",
                "baselines",
                "console_sessions",
                "daily_rollups",
                "device_group_versions",
                "device_software",
                "devices",
                "events",
                "findings",
                "held_review_drops",
                "held_reviews",
                "incident_clock_events",
                "incident_reports",
                "incidents",
                "jobs",
                "model_artifacts",
                "models",
                "monitor_state",
                "outbox",
                "plan_backtests",
                "pms_plans",
                "readiness_probe",
                "report_narratives",
                "reports",
                "retraining_requests",
                "reviews",
                "sites",
                "trend_reports",
                "users"
            ],
            "{}",
            db.label
        );
        store.revert_all_migrations().unwrap();
        assert_eq!(
            store.describe_schema().unwrap(),
            vec![],
            "{}: down leaves nothing",
            db.label
        );
        let applied = store.run_migrations().unwrap();
        assert!(!applied.is_empty());
        assert_eq!(store.describe_schema().unwrap(), first, "{}", db.label);
        schemas.push((db.label, first));
    }
    for pair in schemas.windows(2) {
        assert_eq!(
            pair[0].1, pair[1].1,
            "{} and {} differ",
            pair[0].0, pair[1].0
        );
    }
}

#[test]
fn migration_folders_hold_the_same_names() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |b: &str| {
        let mut v: Vec<String> = std::fs::read_dir(root.join(b))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
