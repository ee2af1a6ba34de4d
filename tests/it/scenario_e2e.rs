//! The issue's end-to-end scenario on every backend: the fleet simulator feeds a running
//! server through its HTTP API (model, sites, plan, frozen baseline, six weeks of traffic
//! with an intensity shift at one site and a Dice drop at another); an on-demand evaluation
//! turns it into findings and alerts (one per signal, none at quiet sites); the alert e-mails
//! reach a real SMTP server; and a retraining request resolves the affected cases into a
//! manifest.

use chrono::NaiveDate;
use serde_json::json;
use vigil::alerting::smtp::SmtpMailer;
use vigil::commands::simulate::{SimulateArgs, simulate};
use vigil::service::notify::dispatch_due;

use crate::email::{SmtpSink, free_port};
use crate::monitoring_support::evaluate_via_api;
use crate::support::{TestApp, databases, settings_for, spawn_app_with, test_now};

/// The fleet scenario of the end-to-end test (`jobs_fleet` replays it too).
pub const SCENARIO: &str = r#"
[fleet]
cases_per_day = 100
review_rate = 0.2
[[changes]]
kind = "intensity_shift"
site = 2
from_day = 28
shift_sd = 0.5
[[changes]]
kind = "dice_drop"
site = 3
from_day = 28
label = "liver"
drop = 0.05
"#;

fn args(app: &TestApp, scenario: std::path::PathBuf) -> SimulateArgs {
    SimulateArgs {
        sites: 4,
        days: 42,
        seed: 11,
        scenario: Some(scenario),
        target: Some(app.base.clone()),
        token: Some(app.admin.clone()),
        quality_token: Some(app.quality.clone()),
        ml_token: Some(app.ml.clone()),
        start: NaiveDate::from_ymd_opt(2026, 10, 6),
        batch: 500,
        concurrency: 2,
        no_baseline: false,
        reference_cases: 2000,
        plan: None,
        // The test server registers its own liver-seg 2.3.0, which the simulator may extend.
        allow_existing_model: true,
        replay: Default::default(),
    }
}

#[actix_web::test]
async fn simulated_fleet_end_to_end_findings_alerts_emails_and_retraining() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    for db in databases() {
        let port = free_port();
        let sink = SmtpSink::start(port);
        let mut settings = settings_for(&db);
        (settings.smtp_host, settings.smtp_port) = ("127.0.0.1".into(), port);
        settings.smtp_security = vigil::config::SmtpSecurity::None;
        let app = spawn_app_with(&db, settings.clone()).await;
        let summary = simulate(&args(&app, scenario.clone()), false)
            .await
            .unwrap();
        assert!(summary.traffic.events.accepted > 15_000, "{summary:?}");

        let job = evaluate_via_api(&app).await;
        assert_eq!(job["status"], "done", "{}: {job}", db.label);

        // Findings: drift at the shifted site, a Dice signal at the other.
        let signals = |q: &'static str| {
            let app = &app;
            async move {
                let (_, v) = app
                    .get(&format!("/api/v1/findings?status=signal&{q}"), &app.quality)
                    .await;
                v["items"].as_array().unwrap().len()
            }
        };
        assert!(
            signals("stratum=site%3Dsim-site-02&rule=drift:hu_mean").await > 0,
            "{}",
            db.label
        );
        assert!(
            signals("stratum=site%3Dsim-site-03&rule=mean_dice:liver").await > 0,
            "{}",
            db.label
        );

        // Alerts: one per (rule, stratum), the changed sites alerted, the quiet ones not.
        let (_, alerts) = app
            .get("/api/v1/alerts?model=liver-seg", &app.quality)
            .await;
        let alerts = alerts["items"].as_array().unwrap();
        let mut keys: Vec<(String, String)> = alerts
            .iter()
            .map(|a| {
                (
                    a["rule"].as_str().unwrap().into(),
                    a["stratum"].as_str().unwrap().into(),
                )
            })
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(
            keys.len(),
            n,
            "{}: one alert per signal: {keys:?}",
            db.label
        );
        let at = |site: &str| {
            keys.iter()
                .filter(|k| k.1 == format!("site={site}"))
                .count()
        };
        assert!(
            keys.contains(&("drift:hu_mean".into(), "site=sim-site-02".into())),
            "{keys:?}"
        );
        assert!(
            keys.contains(&("mean_dice:liver".into(), "site=sim-site-03".into())),
            "{keys:?}"
        );
        assert_eq!(
            (at("sim-site-01"), at("sim-site-04")),
            (0, 0),
            "{}: {keys:?}",
            db.label
        );

        // E-mails reach the SMTP server, one per alert, to the plan's recipient.
        let mailer = SmtpMailer::from_settings(&settings).unwrap();
        let sent = dispatch_due(&*app.store, &mailer, test_now()).unwrap();
        assert_eq!((sent.sent, sent.failed), (n, 0), "{}", db.label);
        let mails = sink.messages();
        assert_eq!(mails.len(), n);
        assert!(mails.iter().all(|m| m.contains("qm@example.org")));
        assert!(
            mails.iter().any(|m| m.contains("Mean Dice of liver")),
            "{}",
            db.label
        );

        // The ML team asks for retraining on the low-Dice cases of the affected site.
        let criteria = json!({"model": "liver-seg", "from": "2026-11-03T00:00:00Z", "to": "2026-11-20T00:00:00Z",
            "sites": ["sim-site-03"], "label": "liver", "dice_below": 0.9, "reason": "Dice drop at sim-site-03"});
        let (s, request) = app
            .post("/api/v1/retraining-requests", &app.ml, &criteria)
            .await;
        assert_eq!(s, 201, "{}: {request}", db.label);
        let manifest = &request["manifest"];
        let cases = manifest["cases"].as_array().unwrap();
        assert!(cases.len() > 20, "{}: {}", db.label, cases.len());
        assert!(cases.iter().all(|c| c["site_id"] == "sim-site-03"));
    }
}
