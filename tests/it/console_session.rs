//! Console sessions over plain HTTP: no page without a session (the bare address and every
//! page redirect to sign-in), cookie attributes, site keys and unknown tokens refused, the
//! login form's own CSRF nonce, expiry on the injected clock, disabled users signed out.

use crate::console_support::{csrf_of, no_redirects, set_cookie, sign_in};
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
