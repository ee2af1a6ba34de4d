//! The console's rules over plain HTTP: role checks on pages and actions, forged forms without
//! the CSRF token are refused and change nothing, sign-out ends the session, escalation keeps
//! its awareness date, admins see a new key once. Sessions are in `console_session.rs`, the
//! browser walk in `console_browser.rs`.

use vigil::alerting::rules::AlertState;

use crate::console_support::{alert_with_findings, no_redirects, sign_in};
use crate::support::{databases, spawn_app};

#[actix_web::test]
async fn forged_forms_and_wrong_roles_change_nothing() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let alert = alert_with_findings(&*app.store);
        let http = no_redirects();
        let (qm, qm_csrf) = sign_in(&app, &app.quality).await;
        let url = format!("{}/console/alerts/{}/acknowledge", app.base, alert.id);
        for forged in [
            vec![("note", "x")],
            vec![("note", "x"), ("csrf", "0".repeat(64).leak() as &str)],
        ] {
            let res = http
                .post(&url)
                .header("Cookie", format!("vigil_session={qm}"))
                .form(&forged)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 403, "{}", db.label);
            assert!(res.text().await.unwrap().contains("csrf_refused"));
        }
        let (ml, ml_csrf) = sign_in(&app, &app.ml).await;
        let res = http
            .post(&url)
            .header("Cookie", format!("vigil_session={ml}"))
            .form(&[("csrf", ml_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403, "ml may not act on alerts");
        for path in ["/console/alerts", "/console/audit", "/console/admin"] {
            let res = http
                .get(format!("{}{path}", app.base))
                .header("Cookie", format!("vigil_session={ml}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 403, "ml on {path}");
        }
        assert_eq!(
            app.store.alert(&alert.id).unwrap().unwrap().state,
            AlertState::Open
        );
        // With the token the same form goes through, and the move is audited.
        let res = http
            .post(&url)
            .header("Cookie", format!("vigil_session={qm}"))
            .form(&[("csrf", qm_csrf.as_str()), ("note", "looking into it")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{}", db.label);
        let moved = app.store.alert(&alert.id).unwrap().unwrap();
        assert_eq!(
            (moved.state, moved.note.as_deref()),
            (AlertState::Acknowledged, Some("looking into it"))
        );
        assert_eq!(moved.handled_by.as_deref(), Some("user:qm1"));
        let audit = app.store.audit_entries().unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "alert.acknowledged" && e.actor == "user:qm1")
        );
        assert!(
            audit
                .iter()
                .any(|e| e.action == "console.sign_in" && e.target == "ml1")
        );
        // Sign-out deletes the session: the same cookie no longer opens a page.
        let res = http
            .post(format!("{}/console/logout", app.base))
            .header("Cookie", format!("vigil_session={qm}"))
            .form(&[("csrf", qm_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let res = http
            .get(format!("{}/console", app.base))
            .header("Cookie", format!("vigil_session={qm}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{}: session ended", db.label);
    }
}

#[actix_web::test]
async fn admin_registers_a_site_and_sees_its_key_once() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let http = no_redirects();
        let (admin, csrf) = sign_in(&app, &app.admin).await;
        let res = http
            .post(format!("{}/console/admin/sites", app.base))
            .header("Cookie", format!("vigil_session={admin}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("id", "site-de-014"),
                ("name", "Klinikum Nord"),
                ("country", "de"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{}", db.label);
        let html = res.text().await.unwrap();
        let key = html
            .split("id=\"secret\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        assert!(key.starts_with("vsk_"), "{key}");
        let (status, _) = app
            .post("/api/v1/events", key, &serde_json::json!({"events": []}))
            .await;
        assert_ne!(status, 401, "the key shown works");
        let page = http
            .get(format!("{}/console/admin", app.base))
            .header("Cookie", format!("vigil_session={admin}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Klinikum Nord") && !page.contains(key),
            "key shown only once"
        );
        let res = http
            .post(format!("{}/console/admin/sites", app.base))
            .header("Cookie", format!("vigil_session={admin}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("id", "Bad Id"),
                ("name", "x"),
                ("country", "DE"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.unwrap().contains("site id must be"));
    }
}

/// A later evaluation refreshes the alert with its evidence of that day: the alert's history
/// then holds the opening (no evidence) and this entry.
fn refresh_with_evidence(store: &dyn vigil::storage::Store) {
    use vigil::monitoring::explain::Evidence;
    let evidence = Evidence {
        rule: "mean_dice:liver".into(),
        stratum: "site=site-a".into(),
        trigger: "chart".into(),
        unit: "Dice".into(),
        baseline: Some(0.935),
        current: Some(0.8812),
        acceptance_limit: Some(0.9),
        chart: Some("cusum".into()),
        chart_statistic: Some(6.4321),
        chart_limit: Some(4.3876),
        first_evidence: crate::support::test_now()
            .date_naive()
            .checked_sub_days(chrono::Days::new(6)),
        n: 20,
        ..Evidence::default()
    };
    let report = vigil::service::alerts::SignalReport {
        model: crate::console_support::MODEL_ID.into(),
        rule: "mean_dice:liver".into(),
        stratum: "site=site-a".into(),
        title: "Mean Dice of liver shifted down (CUSUM) (site=site-a)".into(),
        summary: "refreshed".into(),
        evidence: Some(evidence),
        signal: vigil::alerting::rules::Signal {
            crossing: true,
            severity: vigil::monitoring::plan::Severity::High,
            at: crate::support::test_now() + chrono::Duration::days(1),
        },
    };
    let policy = vigil::monitoring::plan::AlertPolicy::default();
    vigil::service::alerts::apply_signal(store, &report, &policy).unwrap();
}

#[actix_web::test]
async fn regulatory_reads_the_alert_page_without_its_actions() {
    for db in databases() {
        regulatory_reads_the_alert_page_on(&db).await;
    }
}

async fn regulatory_reads_the_alert_page_on(db: &crate::support::TestDb) {
    let app = spawn_app(db).await;
    let alert = alert_with_findings(&*app.store);
    refresh_with_evidence(&*app.store);
    let actor = vigil::service::admin::Actor("cli:test".into());
    let (_, token) = vigil::service::admin::add_user(
        &*app.store,
        &actor,
        "ra1",
        vigil::domain::Role::Regulatory,
        crate::support::test_now(),
    )
    .unwrap();
    let http = no_redirects();
    let (ra, csrf) = sign_in(&app, &token).await;
    let page = http
        .get(format!("{}/console/alerts/{}", app.base, alert.id))
        .header("Cookie", format!("vigil_session={ra}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Only quality managers") && !html.contains("act-acknowledge"));
    // The alert's history, each entry with the evidence it stood on.
    assert!(html.contains("History of this alert"), "{html}");
    let row = |seq: i64| {
        let start = html
            .find(&format!("id=\"history-{seq}\""))
            .unwrap_or_else(|| panic!("{}: history entry {seq}: {html}", db.label));
        let end = html[start..].find("</tr>").unwrap() + start;
        html[start..end].to_string()
    };
    assert!(row(0).contains("opened"), "{}", row(0));
    let refreshed = row(1);
    for text in [
        "refreshed",
        "0.8812 Dice",
        "baseline 0.9350",
        "limit 0.9000",
        "6.4321",
        "h 4.3876",
    ] {
        assert!(
            refreshed.contains(text),
            "{}: {text}: {refreshed}",
            db.label
        );
    }
    // The chart is the e-mail's (800 x 520, two panels), drawn with that evidence.
    assert!(html.contains("height=\"520\""), "{html}");
    let png = http
        .get(format!(
            "{}/console/alerts/{}/chart.png",
            app.base, alert.id
        ))
        .header("Cookie", format!("vigil_session={ra}"))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status().as_u16(), 200);
    let bytes = png.bytes().await.unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let info = decoder.read_info().unwrap();
    assert_eq!(
        (info.info().width, info.info().height),
        (800, 520),
        "{}",
        db.label
    );
    let res = http
        .post(format!("{}/console/alerts/{}/escalate", app.base, alert.id))
        .header("Cookie", format!("vigil_session={ra}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(
        app.store.alert(&alert.id).unwrap().unwrap().state,
        AlertState::Open
    );
}

#[actix_web::test]
async fn escalation_records_the_awareness_date_and_bad_dates_are_refused() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let alert = alert_with_findings(&*app.store);
        let http = no_redirects();
        let (qm, csrf) = sign_in(&app, &app.quality).await;
        let url = format!("{}/console/alerts/{}/escalate", app.base, alert.id);
        let post = |awareness: &'static str| {
            http.post(&url)
                .header("Cookie", format!("vigil_session={qm}"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("note", "possible serious incident"),
                    ("awareness_at", awareness),
                ])
                .send()
        };
        let res = post("19/11/2026").await.unwrap();
        assert_eq!(res.status().as_u16(), 422, "{}", db.label);
        assert!(res.text().await.unwrap().contains("awareness_at"));
        assert_eq!(
            app.store.alert(&alert.id).unwrap().unwrap().state,
            AlertState::Open
        );
        // Not before the alert's first evidence (it opened at the test clock's now), not later
        // than now.
        let res = post("2026-11-20T12:00").await.unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let a = app.store.alert(&alert.id).unwrap().unwrap();
        assert_eq!(a.state, AlertState::Escalated);
        assert_eq!(
            a.awareness_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-20T12:00:00+00:00")
        );
        assert_eq!(a.note.as_deref(), Some("possible serious incident"));
    }
}
