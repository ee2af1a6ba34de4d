//! The console in a real browser (headless Chromium over WebDriver), on every backend: the
//! quality manager opens the alert link from a real e-mail received by the test's SMTP
//! server, signs in, acknowledges the alert with a comment and sees the state change; every
//! page in the navigation opens and fits laptop (1280 px) and tablet (800 px) widths, with
//! screenshots saved as test artefacts; an ML user sees neither alerts nor their actions; a
//! form whose CSRF token was removed is refused.

use fantoccini::Locator;
use vigil::alerting::email::Reason;
use vigil::alerting::rules::AlertState;
use vigil::alerting::smtp::SmtpMailer;
use vigil::config::{Settings, SmtpSecurity};
use vigil::service::notify::{dispatch_due, enqueue_alert};

use crate::console_support::{
    Browser, alert_with_findings, screenshot_dir, seed_plans_and_baseline,
};
use crate::email::{SmtpSink, free_port};
use crate::support::{TestApp, TestDb, databases, settings_for, spawn_app_with, test_now};

/// Send the alert's e-mail through a real SMTP server and return the console link in it.
fn mailed_link(app: &TestApp, alert: &vigil::alerting::alert::Alert) -> String {
    let store = &*app.store;
    let to = vec!["qm@example.org".to_string()];
    assert!(
        enqueue_alert(
            store,
            alert,
            Reason::Opened,
            to,
            &app.base,
            None,
            test_now()
        )
        .unwrap()
    );
    let port = free_port();
    let sink = SmtpSink::start(port);
    let settings = Settings {
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_security: SmtpSecurity::None,
        ..Settings::default()
    };
    let mailer = SmtpMailer::from_settings(&settings).unwrap();
    assert_eq!(dispatch_due(store, &mailer, test_now()).unwrap().sent, 1);
    let msg = sink.messages().pop().expect("one e-mail received");
    let prefix = format!("{}/console/alerts/", app.base);
    let at = msg.find(&prefix).expect("console link in the e-mail");
    msg[at..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string()
}

async fn sign_in(b: &Browser, token: &str) {
    b.client
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    b.submit("main form button[type=submit]").await;
}

async fn nav_links(b: &Browser) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in b
        .client
        .find_all(Locator::Css("header nav a"))
        .await
        .unwrap()
    {
        out.push((
            a.text().await.unwrap(),
            a.attr("href").await.unwrap().unwrap(),
        ));
    }
    out
}

/// Open every page of the navigation, check it renders and fits both widths, screenshot it.
async fn walk_navigation(b: &Browser, base: &str, dir: &std::path::Path, who: &str) -> Vec<String> {
    let mut labels = Vec::new();
    b.client.goto(&format!("{base}/console")).await.unwrap();
    for (label, href) in nav_links(b).await {
        b.client.goto(&format!("{base}{href}")).await.unwrap();
        let title = b.client.title().await.unwrap();
        assert!(
            title.ends_with("· Vigil") && !title.starts_with("Something"),
            "{href}: {title}"
        );
        let name = format!("{who}-{}", href.trim_start_matches('/').replace('/', "-"));
        for w in [1280, 800] {
            b.shoot(dir, &name, w).await;
            assert!(b.fits_width().await, "{href} overflows at {w} px");
        }
        labels.push(label);
    }
    labels
}

/// Screenshot `name` at both widths and check that it fits them.
async fn shoot_both(b: &Browser, dir: &std::path::Path, name: &str) {
    for w in [1280, 800] {
        b.shoot(dir, name, w).await;
        assert!(b.fits_width().await, "{name} overflows at {w} px");
    }
}

/// The incident page with a running clock and, where ONNX Runtime is available, a finished
/// shadow run's dossier (as the quality manager, who reads both).
async fn incident_and_shadow_pages(
    b: &Browser,
    app: &TestApp,
    dir: &std::path::Path,
    (db, blob_dir): (&TestDb, &std::path::Path),
) {
    let open = serde_json::json!({"model_id": "liver-seg@2.3.0", "title": format!("Under-segmentation at {}", "x".repeat(60)),
        "description": "Left lobe missed on three studies after a scanner software update.", "reporting_country": "DE",
        "awareness_date": "2026-11-20"});
    let (s, inc) = app.post("/api/v1/incidents", &app.quality, &open).await;
    assert_eq!(s, 201, "{inc}");
    let id = inc["id"].as_str().unwrap();
    let class = serde_json::json!({"class": "other_reportable", "reason": "Serious deterioration possible."});
    let (s, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/classify"),
            &app.quality,
            &class,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    b.client
        .goto(&format!("{}/console/incidents/{id}", app.base))
        .await
        .unwrap();
    assert!(
        b.text("#clock").await.starts_with("Due 2026-12-"),
        "{}",
        db.label
    );
    shoot_both(b, dir, "incident").await;
    b.client
        .goto(&format!("{}/console/incidents", app.base))
        .await
        .unwrap();
    shoot_both(b, dir, "incidents").await;
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("ORT_DYLIB_PATH is not set: no shadow-run dossier page");
        return;
    }
    crate::console_pages::seed_models_and_archive(app).await;
    let req = serde_json::json!({"candidate": {"model": "liver-seg", "version": "2.4.0"}, "margin": 0.05,
        "profile": {"name": "edge", "memory_limit_mib": 512, "latency_budget_ms": 5000}});
    let (s, job) = app.post("/api/v1/shadow-runs", &app.ml, &req).await;
    assert_eq!(s, 202, "{job}");
    crate::shadow_api::run_jobs(app, blob_dir, db).await;
    let run = format!(
        "{}/console/shadow-runs/{}",
        app.base,
        job["id"].as_str().unwrap()
    );
    b.client.goto(&run).await.unwrap();
    assert!(b.text("#verdict").await.contains("passed"));
    shoot_both(b, dir, "shadow-run").await;
}

#[actix_web::test]
async fn quality_manager_goes_from_the_alert_email_to_an_acknowledged_alert() {
    for db in databases() {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.blob_dir = blob_dir.path().to_string_lossy().into_owned();
        let app = spawn_app_with(&db, settings).await;
        let alert = alert_with_findings(&*app.store);
        seed_plans_and_baseline(&*app.store);
        // Long names must wrap or scroll inside their table, never widen the page.
        let long_id = format!("site-{}", "x".repeat(59));
        let long_name = "Universitätsklinikum Radiologie Zentralinstitut ".repeat(4);
        let actor = vigil::service::admin::Actor("cli:test".into());
        vigil::service::admin::add_site(
            &*app.store,
            &actor,
            &long_id,
            long_name.trim(),
            "DE",
            test_now(),
        )
        .unwrap();
        let link = mailed_link(&app, &alert);
        assert_eq!(link, format!("{}/console/alerts/{}", app.base, alert.id));
        let dir = screenshot_dir(db.label);
        println!("console screenshots ({}): {}", db.label, dir.display());
        let b = Browser::start().await;
        b.client.goto(&link).await.unwrap();
        let url = b.client.current_url().await.unwrap();
        assert_eq!(url.path(), "/console/login", "no page without a session");
        b.shoot(&dir, "login", 800).await;
        sign_in(&b, &app.quality).await;
        assert_eq!(
            b.client.current_url().await.unwrap().as_str(),
            link,
            "back to the mailed alert"
        );
        assert_eq!(b.text("#alert-state").await, "open");
        // Opened 12:00 UTC: shown in the reader's zone (Berlin, UTC+1), UTC kept for hover.
        let opened = b.client.find(Locator::Css("dl.facts time")).await.unwrap();
        let shown = opened.text().await.unwrap();
        assert!(
            shown.contains("01:00") || shown.contains("13:00"),
            "{shown}"
        );
        assert_eq!(
            opened.attr("title").await.unwrap().as_deref(),
            Some("2026-11-20 12:00 UTC")
        );
        assert_eq!(
            b.text("main h1").await,
            "Mean Dice below the acceptance limit"
        );
        let figures = b.text("table#stream-findings").await;
        for expected in [
            "0.8840",
            "[0.8710, 0.8970]",
            "-2.4100",
            "0.0087",
            "v2",
            "b7d0c3a1e5f2",
            "signal",
        ] {
            assert!(
                figures.contains(expected),
                "{expected} missing in {figures}"
            );
        }
        let loaded = b.client.execute(
            "const i = document.querySelector('figure img'); return i.complete && i.naturalWidth;", vec![])
            .await.unwrap();
        assert_eq!(loaded.as_u64(), Some(800), "the chart is served and drawn");
        for w in [1280, 800] {
            b.shoot(&dir, "alert", w).await;
            assert!(b.fits_width().await, "alert page overflows at {w} px");
        }
        b.client.set_window_size(1280, 900).await.unwrap();
        b.client
            .find(Locator::Id("note"))
            .await
            .unwrap()
            .send_keys("Checked with site A: new scanner protocol; monitoring.")
            .await
            .unwrap();
        b.submit("#act-acknowledge").await;
        assert!(b.text("#moved").await.contains("acknowledged"));
        assert_eq!(b.text("#alert-state").await, "acknowledged", "{}", db.label);
        assert!(b.text("dl.facts").await.contains("user:qm1"));
        for w in [1280, 800] {
            b.shoot(&dir, "alert-acknowledged", w).await;
        }
        let stored = app.store.alert(&alert.id).unwrap().unwrap();
        assert_eq!(stored.state, AlertState::Acknowledged);
        assert_eq!(
            stored.note.as_deref(),
            Some("Checked with site A: new scanner protocol; monitoring.")
        );

        // A form whose CSRF token was removed is refused and changes nothing.
        b.client
            .execute(
                "document.querySelector('main input[name=csrf]').remove();",
                vec![],
            )
            .await
            .unwrap();
        b.submit("#act-resolve").await;
        assert!(b.text("main").await.contains("csrf_refused"));
        assert_eq!(
            app.store.alert(&alert.id).unwrap().unwrap().state,
            AlertState::Acknowledged
        );

        let labels = walk_navigation(&b, &app.base, &dir, "quality").await;
        assert_eq!(
            labels,
            [
                "Fleet",
                "Alerts",
                "Incidents",
                "Reports",
                "Models",
                "Shadow runs",
                "Audit log"
            ],
            "{}",
            db.label
        );
        assert!(
            b.text("#chain").await.starts_with("Chain intact"),
            "the audit page verifies"
        );

        // The model page: versions with the baseline, plan history with the diff, findings.
        b.client
            .goto(&format!("{}/console/models/liver-seg", app.base))
            .await
            .unwrap();
        let diff = b.text("pre.diff").await;
        assert!(
            diff.contains("- fdr_q = 0.05") && diff.contains("+ fdr_q = 0.01"),
            "{diff}"
        );
        assert!(b.text("main").await.contains("freeze:first_days=28"));
        let loaded = b.client.execute(
            "const i = document.querySelector('figure img'); return i.complete && i.naturalWidth;", vec![])
            .await.unwrap();
        assert_eq!(
            loaded.as_u64(),
            Some(800),
            "the findings chart is served and drawn"
        );
        for w in [1280, 800] {
            b.shoot(&dir, "model", w).await;
            assert!(b.fits_width().await, "model page overflows at {w} px");
        }
        incident_and_shadow_pages(&b, &app, &dir, (&db, blob_dir.path())).await;

        b.submit(".who button").await;
        assert_eq!(
            b.client.current_url().await.unwrap().path(),
            "/console/login"
        );
        b.client.goto(&link).await.unwrap();
        sign_in(&b, &app.ml).await;
        let main = b.text("main").await;
        assert!(main.contains("forbidden"), "ml may not open alerts: {main}");
        let labels = walk_navigation(&b, &app.base, &dir, "ml").await;
        assert_eq!(
            labels,
            ["Fleet", "Models", "Shadow runs"],
            "ml sees no alerts, incidents, audit or admin"
        );

        b.submit(".who button").await;
        sign_in(&b, &app.admin).await;
        let labels = walk_navigation(&b, &app.base, &dir, "admin").await;
        assert_eq!(
            labels,
            [
                "Fleet",
                "Alerts",
                "Incidents",
                "Reports",
                "Models",
                "Shadow runs",
                "Audit log",
                "Sites & users"
            ]
        );
        b.client.clone().close().await.unwrap();
    }
}
