//! The fleet simulator against the real server: it sets the target up with an admin token,
//! posts exactly the traffic the generator produces, and a second run stores nothing twice.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use vigil::commands::simulate::{SimError, SimulateArgs, simulate};
use vigil::simulator::{Fleet, Scenario};

use crate::support::{TestApp, databases, spawn_app};

fn args(app: &TestApp) -> SimulateArgs {
    SimulateArgs {
        sites: 3,
        days: 3,
        seed: 7,
        scenario: None,
        target: Some(app.base.clone()),
        token: Some(app.admin.clone()),
        quality_token: Some(app.quality.clone()),
        ml_token: Some(app.ml.clone()),
        // The test server's clock stands at 2026-11-20 12:00 UTC.
        start: Some(start()),
        batch: 40,
        concurrency: 2,
        no_baseline: true,
        reference_cases: 100,
        plan: None,
        // The test server registers its own liver-seg 2.3.0, which the simulator may extend.
        allow_existing_model: true,
        replay: Default::default(),
    }
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()
}

/// (site, UTC day) -> (events, reviews) the generator produces for `args`.
fn expected(a: &SimulateArgs) -> BTreeMap<(String, NaiveDate), (i64, i64)> {
    let (scenario, _) = Scenario::builtin_for(a.sites, a.days);
    let fleet = Fleet::new(a.seed, a.sites, a.days, start(), scenario).unwrap();
    let mut out = BTreeMap::new();
    for sd in (0..a.days).flat_map(|d| fleet.day(d)) {
        for e in &sd.events {
            out.entry((sd.site_id.clone(), e.occurred_at.date_naive()))
                .or_insert((0, 0))
                .0 += 1;
        }
        for r in &sd.reviews {
            out.entry((sd.site_id.clone(), r.reviewed_at.date_naive()))
                .or_insert((0, 0))
                .1 += 1;
        }
    }
    out
}

async fn stored(app: &TestApp) -> BTreeMap<(String, NaiveDate), (i64, i64)> {
    let (status, rows) = app
        .get("/api/v1/counts?model=liver-seg@1.0.0", &app.quality)
        .await;
    assert_eq!(status, 200, "{rows}");
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let day = r["day"].as_str().unwrap().parse().unwrap();
            let key = (r["site_id"].as_str().unwrap().to_string(), day);
            (
                key,
                (
                    r["events"].as_i64().unwrap(),
                    r["reviews"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

#[actix_web::test]
async fn simulate_stores_what_the_generator_produced_and_nothing_twice() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let a = args(&app);
        let first = simulate(&a, false).await.expect("first run");
        let want = expected(&a);
        assert_eq!(stored(&app).await, want, "{}", app.label);
        let (events, reviews) = want
            .values()
            .fold((0, 0), |(e, r), (de, dr)| (e + de, r + dr));
        assert!(events > 500 && reviews > 50, "{events} {reviews}");
        let t = first.traffic;
        assert_eq!(
            (t.events.sent, t.events.accepted, t.events.duplicates),
            (events as u64, events as u64, 0)
        );
        assert_eq!(
            (t.reviews.accepted, t.reviews.duplicates),
            (reviews as u64, 0)
        );
        assert!(first.setup.model_registered && first.setup.plan_uploaded);
        assert_eq!(
            (first.setup.sites_created, first.setup.sites_rotated),
            (3, 0)
        );

        let second = simulate(&a, false).await.expect("second run");
        assert_eq!(stored(&app).await, want, "{}: stored twice", app.label);
        let t = second.traffic;
        assert_eq!((t.events.accepted, t.events.duplicates), (0, events as u64));
        assert_eq!(
            (t.reviews.accepted, t.reviews.duplicates),
            (0, reviews as u64)
        );
        assert!(!second.setup.model_registered && !second.setup.plan_uploaded);
        assert_eq!(second.setup.plan_version, first.setup.plan_version);
        assert_eq!(
            (second.setup.sites_created, second.setup.sites_rotated),
            (0, 3)
        );
    }
}

#[actix_web::test]
async fn simulate_names_what_is_missing_or_refused() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let mut a = args(&app);
    a.days = 1;
    a.no_baseline = false;
    match simulate(&a, false).await {
        // Until the baseline endpoint lands, the 404 must say what to do.
        Err(SimError::Unsupported(m)) => assert!(m.contains("--no-baseline"), "{m}"),
        Ok(s) => assert_ne!(
            s.setup.baseline,
            vigil::commands::simulate::BaselineStep::Skipped
        ),
        Err(e) => panic!("{e}"),
    }
    let mut a = args(&app);
    a.token = Some(app.quality.clone());
    let err = simulate(&a, false).await.unwrap_err();
    assert!(
        matches!(err, SimError::Refused { status: 403, .. }),
        "{err}"
    );
    let mut a = args(&app);
    a.days = 1;
    simulate(&a, false).await.expect("one day");
    a.start = Some(NaiveDate::from_ymd_opt(2026, 11, 11).unwrap());
    let err = simulate(&a, false).await.unwrap_err();
    assert!(matches!(err, SimError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("--start"), "{err}");
    a.seed = 9;
    a.days = 3;
    a.start = Some(NaiveDate::from_ymd_opt(2026, 11, 19).unwrap());
    let err = simulate(&a, false).await.unwrap_err();
    assert!(
        matches!(err, SimError::Refused { status: 422, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("future"), "{err}");
}

#[actix_web::test]
async fn simulate_refuses_to_change_an_existing_model_unless_told_to() {
    for db in databases() {
        // The test server already holds liver-seg 2.3.0 (no plan).
        let app = spawn_app(&db).await;
        let mut a = args(&app);
        a.days = 1;
        a.allow_existing_model = false;
        let err = simulate(&a, false).await.unwrap_err();
        let m = err.to_string();
        assert!(matches!(err, SimError::Usage(_)), "{m}");
        assert!(
            m.contains("liver-seg") && m.contains("2.3.0") && m.contains("--allow-existing-model"),
            "{m}"
        );
        let (_, models) = app.get("/api/v1/models", &app.quality).await;
        assert_eq!(models.as_array().unwrap().len(), 1, "nothing registered");
        a.allow_existing_model = true;
        simulate(&a, false).await.expect("allowed");
        // A rerun with the simulator's own version and plan changes nothing: no flag needed.
        a.allow_existing_model = false;
        simulate(&a, false).await.expect("rerun");
        // Another plan would replace the one in force: refused, naming the plan version.
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("plan.toml");
        let text = format!("{}\n# another plan\n", vigil::simulator::demo::DEFAULT_PLAN);
        std::fs::write(&plan, text).unwrap();
        a.plan = Some(plan);
        let m = simulate(&a, false).await.unwrap_err().to_string();
        assert!(m.contains("plan in force (version 1)"), "{m}");
        let (_, current) = app.get("/api/v1/models/liver-seg/plan", &app.quality).await;
        assert_eq!(current["plan"]["version"], 1, "{}", app.label);
    }
}

#[test]
fn simulate_names_an_unreachable_target_and_exits_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("http://127.0.0.1:{port}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["simulate", "--target", &target, "--token", "vut_x"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!("error: cannot reach {target}")),
        "{err}"
    );
    assert!(err.contains("is Vigil running there?"), "{err}");
}
