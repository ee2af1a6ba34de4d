//! Plan backtests on every backend: history with a small hu_mean shift at one site, the plan
//! in force evaluated for real, then proposed plans run over the same days through
//! `POST /api/v1/models/{m}/plan/backtest` and `vigil plan backtest`. A sensitive chart raises
//! the drift alert, a tolerant one does not; the plan in force run as a backtest reproduces
//! its stored alerts; findings, alerts, cursors, outbox and evaluations are unchanged after.

use chrono::{Duration, NaiveDate};
use serde_json::Value;
use vigil::storage::{AlertFilter, FindingQuery, Store};

use crate::cli::{stdout, vigil};
use crate::monitoring_support::{
    Day, PLAN, evaluate_via_api, post_day, put_text, set_up_plan_and_baseline,
};
use crate::support::{TestApp, databases, spawn_app};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The plan in force with another CUSUM reference shift (in SD of the daily mean), and
/// window tests that only count large effects, so the chart alone decides.
fn with_shift_sd(shift_sd: &str) -> String {
    PLAN.replace("shift_sd = 2.5", &format!("shift_sd = {shift_sd}"))
        .replace("fdr_q = 0.05", "fdr_q = 0.05\nmin_effect = 0.3")
}

/// 2026-10-26 .. 2026-11-19 at site-a, 60 cases (10 reviewed) a day; hu_mean + 2.5 (0.25
/// case SD: 1.9 SD of the daily mean) from 2026-11-05. A CUSUM with reference shift 2 (k = 1)
/// accumulates it; one with shift 10 (k = 5) only signals on a day beyond 5 SD.
async fn history(app: &TestApp) {
    set_up_plan_and_baseline(app).await;
    let mut date = d("2026-10-26");
    while date <= d("2026-11-19") {
        let day = Day {
            date,
            site: 1,
            n: 60,
            reviews: 10,
            hu_shift: if date >= d("2026-11-05") { 2.5 } else { 0.0 },
            dice_drop: 0.0,
        };
        post_day(app, &app.site_key, &day).await;
        date += Duration::days(1);
    }
}

/// Everything an evaluation writes, as text: findings, alerts, cursor, outbox, evaluations.
fn snapshot(store: &dyn Store) -> (usize, usize, usize, String) {
    let findings = store
        .findings(&FindingQuery {
            limit: 1_000_000,
            ..FindingQuery::default()
        })
        .unwrap();
    let alerts = store
        .alerts(&AlertFilter {
            state: None,
            model: None,
            limit: 100_000,
            after: None,
        })
        .unwrap();
    let outbox = store.outbox_messages().unwrap();
    let cursor = store.monitor_cursor("liver-seg@2.3.0").unwrap();
    let evaluations = store.evaluations(None, 100).unwrap();
    let text = format!("{findings:?}\n{alerts:?}\n{outbox:?}\n{cursor:?}\n{evaluations:?}");
    (findings.len(), alerts.len(), outbox.len(), text)
}

async fn backtest(app: &TestApp, token: &str, plan: &str, query: &str) -> (u16, Value) {
    let path = format!("/api/v1/models/liver-seg/plan/backtest?{query}");
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/toml")
        .body(plan.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn alert_keys(alerts: &Value) -> Vec<(String, String, String)> {
    alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["first_day"].as_str().unwrap().to_string(),
                a["rule"].as_str().unwrap().to_string(),
                a["stratum"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_sensitive_plan_would_alert_a_tolerant_one_not_and_nothing_is_written() {
    for db in databases() {
        let app = spawn_app(&db).await;
        history(&app).await;
        let done = evaluate_via_api(&app).await;
        assert_eq!(done["status"], "done", "{}: {done}", db.label);
        let before = snapshot(&*app.store);
        assert!(before.0 > 0 && before.3.contains("through"), "{}", db.label);
        let range = "from=2026-10-26&to=2026-11-19";

        // The plan in force, backtested over the days it evaluated, raises what it raised.
        let (s, same) = backtest(&app, &app.quality, PLAN, range).await;
        assert_eq!(s, 200, "{}: {same}", db.label);
        assert_eq!(
            alert_keys(&same["would_alerts"]),
            alert_keys(&same["in_force_alerts"]),
            "{}: {same}",
            db.label
        );
        assert_eq!(same["counts"]["days"], 25, "{}", db.label);
        assert_eq!(same["versions"][0]["status"], "evaluated");

        let (s, sensitive) = backtest(&app, &app.quality, &with_shift_sd("2.0"), range).await;
        assert_eq!(s, 200, "{}: {sensitive}", db.label);
        let drift: Vec<&Value> = sensitive["would_alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["rule"] == "drift:hu_mean" && a["stratum"] == "site=site-a")
            .collect();
        assert_eq!(drift.len(), 1, "{}: {sensitive}", db.label);
        let first = d(drift[0]["first_day"].as_str().unwrap());
        assert!(
            first >= d("2026-11-05") && first <= d("2026-11-19"),
            "{}: {first}",
            db.label
        );
        assert_eq!(drift[0]["severity"], "medium");
        let day_points: Vec<&Value> = sensitive["versions"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["rule"] == "drift:hu_mean"
                    && f["window"] == "day"
                    && f["stratum"] == "site=site-a"
            })
            .collect();
        assert_eq!(day_points.len(), 25, "{}", db.label);
        let signal_day = day_points
            .iter()
            .find(|f| f["status"] == "signal")
            .expect("a signalling day");
        assert_eq!(signal_day["day"], drift[0]["first_day"], "{}", db.label);
        assert!(signal_day["statistic"].as_f64().unwrap() > signal_day["limit"].as_f64().unwrap());
        assert!(
            sensitive["comparison"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["rule"] == "drift:hu_mean" && c["backtest"] == 1),
            "{}: {sensitive}",
            db.label
        );

        let (s, tolerant) = backtest(&app, &app.quality, &with_shift_sd("10.0"), range).await;
        assert_eq!(s, 200, "{}: {tolerant}", db.label);
        assert!(
            tolerant["would_alerts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["rule"] != "drift:hu_mean"),
            "{}: {tolerant}",
            db.label
        );

        // Nothing of the plan in force moved: same rows, same cursor, same outbox.
        assert_eq!(snapshot(&*app.store), before, "{}", db.label);

        // The backtest is recorded and audited; adopting the same text later shows it.
        let sha = sensitive["plan_sha256"].as_str().unwrap().to_string();
        let (s, stored) = put_text(
            &app,
            "/api/v1/models/liver-seg/plan",
            &app.quality,
            "application/toml",
            with_shift_sd("2.0"),
        )
        .await;
        assert_eq!(s, 201, "{stored}");
        assert_eq!(stored["plan"]["body_sha256"], sha.as_str());
        let (s, runs) = app
            .get("/api/v1/models/liver-seg/plan/backtests", &app.ml)
            .await;
        assert_eq!(s, 200, "{runs}");
        let runs = runs.as_array().unwrap();
        assert_eq!(runs.len(), 3, "{}", db.label);
        let tried = runs
            .iter()
            .find(|r| r["plan_sha256"] == sha.as_str())
            .unwrap();
        assert_eq!(tried["adopted_as_version"], 2, "{}", db.label);
        assert_eq!(tried["created_by"], "user:qm1");
        assert_eq!(tried["from_day"], "2026-10-26");
        assert_eq!(tried["would_alerts"], sensitive["counts"]["would_alerts"]);
        let tolerant_sha = tolerant["plan_sha256"].as_str().unwrap();
        let untried = runs
            .iter()
            .find(|r| r["plan_sha256"] == tolerant_sha)
            .unwrap();
        assert_eq!(untried["adopted_as_version"], Value::Null);
        let audit = app.store.audit_entries().unwrap();
        let entries: Vec<_> = audit
            .iter()
            .filter(|e| e.action == "plan.backtest")
            .collect();
        assert_eq!(entries.len(), 3, "{}", db.label);
        assert!(entries.iter().any(|e| e.details.contains(&sha)));
        let backtested = audit
            .iter()
            .position(|e| e.action == "plan.backtest" && e.details.contains(&sha));
        let adopted = audit
            .iter()
            .position(|e| e.action == "plan.set" && e.details.contains(&sha));
        assert!(backtested < adopted, "{}", db.label);

        // The CLI on the same database: same alerts, exit 0; a range too long is usage (2).
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plan.toml");
        std::fs::write(&file, with_shift_sd("2.0")).unwrap();
        let f = file.to_str().unwrap();
        let args = [
            "plan",
            "backtest",
            "liver-seg",
            f,
            "--from",
            "2026-10-26",
            "--to",
            "2026-11-19",
        ];
        let out = vigil(&db, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = stdout(&out);
        let line = format!("would alert\t{first}\tliver-seg@2.3.0\tdrift:hu_mean\tsite=site-a");
        assert!(text.contains(&line), "{text}");
        let mut json_args = args.to_vec();
        json_args.push("--json");
        let out = vigil(&db, &json_args);
        let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            alert_keys(&parsed["would_alerts"]),
            alert_keys(&sensitive["would_alerts"])
        );
        let out = vigil(
            &db,
            &[
                "plan",
                "backtest",
                "liver-seg",
                f,
                "--from",
                "2025-01-01",
                "--to",
                "2026-11-19",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", db.label);
        assert!(String::from_utf8_lossy(&out.stderr).contains("366"));
        let out = vigil(
            &db,
            &[
                "plan",
                "backtest",
                "kidney-seg",
                f,
                "--from",
                "2026-10-26",
                "--to",
                "2026-11-19",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", db.label);
    }
}

#[actix_web::test]
async fn bad_plans_ranges_and_roles_are_refused_and_nothing_is_recorded() {
    for db in databases() {
        let app = spawn_app(&db).await;
        set_up_plan_and_baseline(&app).await;
        let ok = "from=2026-10-26&to=2026-11-19";
        let undeclared = PLAN.replace("name = \"hu_mean\"", "name = \"hu_max\"");
        let (s, body) = backtest(&app, &app.quality, &undeclared, ok).await;
        assert_eq!(s, 422, "{}: {body}", db.label);
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["details"][0]["path"], "features[0].name", "{body}");
        let bad_toml = PLAN.replace("arl0 = 2000.0", "arl0 = \"many\"");
        let (s, body) = backtest(&app, &app.quality, &bad_toml, ok).await;
        assert_eq!(s, 422, "{body}");
        assert!(body["details"][0]["path"].is_string(), "{body}");
        let other = PLAN.replace("model = \"liver-seg\"", "model = \"kidney-seg\"");
        let (s, body) = backtest(&app, &app.quality, &other, ok).await;
        assert_eq!(
            (s, body["details"][0]["path"].as_str()),
            (422, Some("model")),
            "{body}"
        );

        let cases = [
            ("from=2025-11-01&to=2026-11-19", "range_too_long", "to"),
            ("from=2026-11-10&to=2026-11-01", "invalid_range", "from"),
            ("from=2026-11-10&to=2026-11-20", "invalid_range", "to"),
            ("to=2026-11-19", "validation_failed", "from"),
            ("from=2026-11-01&to=19.11.2026", "validation_failed", "to"),
        ];
        for (query, code, field) in cases {
            let (s, body) = backtest(&app, &app.quality, PLAN, query).await;
            assert_eq!(s, 422, "{query}: {body}");
            assert_eq!(body["code"], code, "{query}: {body}");
            assert_eq!(body["details"][0]["path"], field, "{query}: {body}");
        }
        // Exactly 366 days is allowed.
        let (s, body) = backtest(&app, &app.quality, PLAN, "from=2025-11-19&to=2026-11-19").await;
        assert_eq!(s, 200, "{body}");

        for token in [&app.ml, &app.admin, &app.site_key] {
            let (s, _) = backtest(&app, token, PLAN, ok).await;
            assert_eq!(s, 403, "{}", db.label);
        }
        let (s, _) = app
            .client
            .post(format!(
                "{}/api/v1/models/kidney-seg/plan/backtest?{ok}",
                app.base
            ))
            .bearer_auth(&app.quality)
            .header("content-type", "application/toml")
            .body(PLAN)
            .send()
            .await
            .map(|r| (r.status().as_u16(), ()))
            .unwrap();
        assert_eq!(s, 404);
        let (_, runs) = app
            .get("/api/v1/models/liver-seg/plan/backtests", &app.quality)
            .await;
        assert_eq!(
            runs.as_array().unwrap().len(),
            1,
            "only the 366-day run: {runs}"
        );
    }
}
