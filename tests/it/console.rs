//! The console over plain HTTP: no page without a session, cookie attributes, a site key
//! cannot sign in, role checks on pages and actions, forged forms without the CSRF token are
//! refused and change nothing, sign-out ends the session. The browser walk is in
//! `console_browser.rs`.

use vigil::alerting::rules::AlertState;

use crate::console_support::{alert_with_findings, csrf_of, no_redirects, set_cookie, sign_in};
use crate::support::{databases, spawn_app};

const PAGES: [&str; 6] = [
    "/console",
    "/console/alerts",
    "/console/models",
    "/console/models/liver-seg",
    "/console/audit",
    "/console/admin",
];

#[actix_web::test]
async fn no_console_page_without_a_session() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let http = no_redirects();
    for path in PAGES.iter().chain(&["/console/alerts/x?state=open"]) {
        let res = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{path}");
        let to = res.headers()["location"].to_str().unwrap();
        assert!(
            to.starts_with("/console/login?next=/console"),
            "{path} -> {to}"
        );
    }
    let res = http.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(
        res.headers()["location"],
        "/console",
        "the bare address leads to the console"
    );
    // A bearer token is not a session: the console reads only its own cookie.
    let res = http
        .get(format!("{}/console", app.base))
        .bearer_auth(&app.quality)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let res = http
        .get(format!("{}/console", app.base))
        .header("Cookie", "vigil_session=0000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "unknown session id");
}

#[actix_web::test]
async fn session_cookie_is_http_only_strict_and_secure_under_tls() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let http = no_redirects();
    for (proto, secure) in [("http", false), ("https", true)] {
        let page = http
            .get(format!("{}/console/login", app.base))
            .header("X-Forwarded-Proto", proto)
            .send()
            .await
            .unwrap();
        let (nonce, _) = set_cookie(&page, "vigil_login").unwrap();
        let csrf = csrf_of(&page.text().await.unwrap());
        let res = http
            .post(format!("{}/console/login", app.base))
            .header("X-Forwarded-Proto", proto)
            .header("Cookie", format!("vigil_login={nonce}"))
            .form(&[
                ("token", app.quality.as_str()),
                ("csrf", &csrf),
                ("next", "https://evil.example/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(
            res.headers()["location"],
            "/console",
            "an outside next is ignored"
        );
        let (_, header) = set_cookie(&res, "vigil_session").unwrap();
        for attr in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/console",
            "Max-Age=36000",
        ] {
            assert!(header.contains(attr), "{attr} missing: {header}");
        }
        assert_eq!(header.contains("Secure"), secure, "{proto}: {header}");
    }
}

#[actix_web::test]
async fn site_keys_and_unknown_tokens_cannot_sign_in_and_login_needs_its_nonce() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let http = no_redirects();
    let page = http
        .get(format!("{}/console/login", app.base))
        .send()
        .await
        .unwrap();
    let (nonce, _) = set_cookie(&page, "vigil_login").unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    let post = |token: String, cookie: String, csrf: String| {
        http.post(format!("{}/console/login", app.base))
            .header("Cookie", cookie)
            .form(&[("token", token), ("csrf", csrf)])
            .send()
    };
    let res = post(
        app.site_key.clone(),
        format!("vigil_login={nonce}"),
        csrf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(set_cookie(&res, "vigil_session").is_none());
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("A site key cannot sign in")
    );
    let res = post(
        "vut_nope".into(),
        format!("vigil_login={nonce}"),
        csrf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = post(app.quality.clone(), String::new(), csrf)
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        403,
        "login form without its nonce cookie"
    );
    assert!(res.text().await.unwrap().contains("csrf_refused"));
}

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

#[actix_web::test]
async fn regulatory_reads_the_alert_page_without_its_actions() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let alert = alert_with_findings(&*app.store);
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
        let res = post("2026-11-19T08:30").await.unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let a = app.store.alert(&alert.id).unwrap().unwrap();
        assert_eq!(a.state, AlertState::Escalated);
        assert_eq!(
            a.awareness_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-19T08:30:00+00:00")
        );
        assert_eq!(a.note.as_deref(), Some("possible serious incident"));
    }
}

#[actix_web::test]
async fn expired_sessions_and_disabled_users_are_signed_out() {
    use vigil::storage::sessions::{ConsoleSession, SessionStore};
    for db in databases() {
        let app = spawn_app(&db).await;
        let http = no_redirects();
        let open = |cookie: String| {
            http.get(format!("{}/console", app.base))
                .header("Cookie", format!("vigil_session={cookie}"))
                .send()
        };
        // A session that expired a second before the (fixed) test time.
        let sessions = vigil::storage::diesel::DieselStore::open(&db.url, 1, 5_000).unwrap();
        let qm = app
            .store
            .list_users()
            .unwrap()
            .into_iter()
            .find(|u| u.name == "qm1")
            .unwrap();
        let id = vigil::console::session::random_token();
        let now = crate::support::test_now();
        sessions
            .insert_session(&ConsoleSession {
                id_hash: vigil::console::session::id_hash(&id),
                user_id: qm.id.clone(),
                csrf_token: "c".repeat(64),
                created_at: now - chrono::Duration::hours(10),
                expires_at: now - chrono::Duration::seconds(1),
            })
            .unwrap();
        assert_eq!(
            open(id).await.unwrap().status().as_u16(),
            303,
            "{}: expired",
            db.label
        );
        let (live, _) = sign_in(&app, &app.quality).await;
        assert_eq!(open(live.clone()).await.unwrap().status().as_u16(), 200);
        let actor = vigil::service::admin::Actor("cli:test".into());
        vigil::service::admin::set_user_disabled(&*app.store, &actor, "qm1", true).unwrap();
        assert_eq!(
            open(live).await.unwrap().status().as_u16(),
            303,
            "{}: disabled",
            db.label
        );
    }
}
