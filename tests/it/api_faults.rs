//! The API under faults, on SQLite and PostgreSQL alike: control characters refused before
//! any database call; concurrent SQLite writers that never fail on the lock; a hung
//! PostgreSQL answered with 503 within the configured waits and recovered from without a
//! restart; `/readyz` not ready while the database refuses writes.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};
use vigil::app::Application;
use vigil::config::Secret;

use crate::support::{databases, event, settings_for, spawn_app, spawn_app_with, sqlite_db};
use crate::tcp_pause::PausableForwarder;

async fn get_status(app: &crate::support::TestApp, path: &str) -> (u16, Value) {
    app.get(path, &app.admin).await
}

fn first_path(body: &Value) -> &str {
    body["details"][0]["path"].as_str().unwrap_or("")
}

#[actix_web::test]
async fn control_characters_are_refused_alike_on_both_backends() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let (s, body) = get_status(&app, "/api/v1/counts?site=site%00a").await;
        assert_eq!(
            (s, first_path(&body)),
            (422, "site"),
            "{}: {body}",
            db.label
        );
        let (s, body) = get_status(&app, "/api/v1/alerts/ab%00cd").await;
        assert!(s == 422 || s == 404, "{}: path id: {s} {body}", db.label);
        assert!(body["code"].as_str().is_some(), "an error body: {body}");
        let (s, body) = get_status(&app, "/api/v1/evaluations/not-an-id").await;
        assert_eq!(s, 404, "{}: malformed id: {body}", db.label);
        let site = json!({"id": "site-x", "name": "Klinik\u{0}Nord", "country": "DE"});
        let (s, body) = app.post("/api/v1/sites", &app.admin, &site).await;
        assert_eq!(
            (s, first_path(&body)),
            (422, "name"),
            "{}: {body}",
            db.label
        );
        let mut bad = event(7);
        bad["scanner"]["manufacturer"] = json!("SIE\u{0}MENS");
        let (s, body) = app
            .post(
                "/api/v1/events",
                &app.site_key,
                &json!({"events": [event(6), bad]}),
            )
            .await;
        assert_eq!(s, 422, "{}: {body}", db.label);
        assert_eq!(first_path(&body), "events[1].scanner.manufacturer");
        assert_eq!(body["details"][0]["index"], 1);
        assert_eq!(app.stored_events().await, 0, "{}: nothing stored", db.label);
        // A name is one line: a line break or a tab in it is refused, naming it.
        for name in ["Klinik Nord\nHaus 2", "Klinik\tNord", "Klinik Nord\r"] {
            let site = json!({"id": "site-y", "name": name, "country": "DE"});
            let (s, body) = app.post("/api/v1/sites", &app.admin, &site).await;
            assert_eq!(
                (s, first_path(&body), body["details"][0]["code"].as_str()),
                (422, "name", Some("control_character")),
                "{}: {name:?}: {body}",
                db.label
            );
        }
    }
}

/// Free text with lines (an intended purpose, a retirement reason) keeps its line breaks
/// and tabs; a one-line field of the same body (a trade name, a manufacturer's city, a
/// UDI-DI in a list) refuses them with 422 naming the field, and nothing is stored.
#[actix_web::test]
async fn line_breaks_are_text_only_in_free_text_fields() {
    for db in databases() {
        let v = crate::incidents::Vapp::spawn(&db).await;
        let reg = v.regulatory.clone();
        for (field, value) in [
            ("/trade_name", json!("LiverSeg\nAI")),
            ("/manufacturer/city", json!("Berlin\tMitte")),
            ("/udi_dis", json!(["0401234500\n0017"])),
        ] {
            let mut d = crate::incidents::device();
            *d.pointer_mut(field).expect("field") = value;
            let (s, body) = v.call("POST", "/api/v1/devices", &reg, Some(&d)).await;
            let want = field.trim_start_matches('/').replace('/', ".");
            let want = if want == "udi_dis" {
                "udi_dis[0]".into()
            } else {
                want
            };
            assert_eq!(
                (s, first_path(&body)),
                (422, want.as_str()),
                "{}: {body}",
                db.label
            );
        }
        let mut d = crate::incidents::device();
        d["intended_purpose"] = json!("Liver segmentation on CT.\n\n\tFor volumetry.");
        let (s, body) = v.call("POST", "/api/v1/devices", &reg, Some(&d)).await;
        assert_eq!(s, 201, "{}: {body}", db.label);
        let (s, body) = v
            .call("GET", "/api/v1/devices/++EVIGILLIVERSEG01", &reg, None)
            .await;
        assert_eq!(s, 200, "{}: {body}", db.label);
        assert_eq!(
            body.get("device").unwrap_or(&body)["intended_purpose"],
            "Liver segmentation on CT.\n\n\tFor volumetry.",
            "{}",
            db.label
        );
        let retire = json!({"reason": "Superseded by v3.\nField notice FN-12."});
        let (s, body) = v
            .call(
                "POST",
                "/api/v1/devices/++EVIGILLIVERSEG01/retire",
                &reg,
                Some(&retire),
            )
            .await;
        assert_eq!(s, 200, "{}: {body}", db.label);
    }
}

/// Eight clients posting 100-event batches at once: every batch is stored. A short busy
/// timeout makes lock contention between this process's writers fail fast if it happens.
#[actix_web::test]
async fn concurrent_ingest_never_fails_on_the_database_lock() {
    for db in databases() {
        let mut settings = settings_for(&db);
        settings.sqlite_busy_timeout_ms = 50;
        settings.pool_size = 8;
        settings.rate_limit_per_second = 10_000;
        settings.rate_limit_burst = 10_000;
        let app = spawn_app_with(&db, settings).await;
        let mut clients = Vec::new();
        for client in 0..8u32 {
            let (base, key) = (app.base.clone(), app.site_key.clone());
            clients.push(actix_web::rt::spawn(async move {
                let http = reqwest::Client::new();
                let mut statuses = Vec::new();
                for batch in 0..5u32 {
                    let first = (client * 5 + batch) * 100;
                    let events: Vec<Value> = (first..first + 100).map(event).collect();
                    let res = http
                        .post(format!("{base}/api/v1/events"))
                        .bearer_auth(&key)
                        .json(&json!({ "events": events }))
                        .send()
                        .await
                        .expect("request");
                    statuses.push(res.status().as_u16());
                }
                statuses
            }));
        }
        for c in clients {
            let statuses = c.await.expect("client");
            assert!(
                statuses.iter().all(|s| *s == 200),
                "{}: {statuses:?}",
                db.label
            );
        }
        assert_eq!(app.stored_events().await, 4000, "{}", db.label);
    }
}

/// `postgres://user@host:port/db?query` with host and port replaced by the forwarder's.
fn through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let (authority, tail) = rest.split_once('/').expect("path");
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!(
        "{scheme}://{}127.0.0.1:{port}/{tail}",
        user.unwrap_or_default()
    )
}

fn target_of(url: &str) -> String {
    let rest = url.split_once("://").expect("scheme").1;
    let authority = rest.split('/').next().expect("authority");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

#[actix_web::test]
async fn a_hung_postgres_gives_503_within_the_waits_and_recovers_without_restart() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL unset: the hung-database test needs PostgreSQL");
        return;
    };
    let db = crate::support::postgres_db(&base);
    let forwarder = PausableForwarder::start(&target_of(&base));
    let mut settings = settings_for(&db);
    settings.database_url = Secret::new(through(&db.url, forwarder.port));
    settings.db_connect_timeout_s = 2;
    settings.db_statement_timeout_ms = 1_000;
    settings.db_pool_timeout_ms = 1_000;
    settings.pool_size = 2;
    let app = spawn_app_with(&db, settings).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let status = |path: &'static str| {
        let (client, url, token) = (
            client.clone(),
            format!("{}{path}", app.base),
            app.admin.clone(),
        );
        async move {
            let res = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("answered");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(status("/readyz").await.0, 200);
    forwarder.pause();
    for path in ["/readyz", "/api/v1/sites", "/readyz"] {
        let (s, body) = status(path).await;
        assert_eq!(s, 503, "{path} while the database hangs: {body}");
        assert_eq!(body["code"], "service_unavailable", "{path}: {body}");
    }
    forwarder.resume();
    let mut ready = 0;
    for _ in 0..60 {
        ready = status("/readyz").await.0;
        if ready == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(ready, 200, "ready again once the database answers");
    assert_eq!(status("/api/v1/sites").await.0, 200);
}

/// Drop every session of `database` but the caller's, so the pool reconnects.
fn end_sessions(admin: &mut PgConnection, database: &str) {
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        ))
        .expect("terminate sessions");
}

async fn readyz_after_reconnect(app: &crate::support::TestApp) -> u16 {
    // The first checkouts meet the ended sessions; reads reconnect the pool.
    for _ in 0..5 {
        if get_status(app, "/api/v1/sites").await.0 == 200 {
            break;
        }
    }
    app.client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz")
        .status()
        .as_u16()
}

#[actix_web::test]
async fn readyz_is_not_ready_while_postgres_refuses_writes() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL unset: the read-only PostgreSQL test needs it");
        return;
    };
    let name = format!("vigil_ro_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&base).expect("server");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let (head, _) = base.split_once('?').unwrap_or((&base, ""));
    let url = format!("{}/{name}", head.rsplit_once('/').expect("db name").0);
    let db = crate::support::external_db(url, "postgres");
    let app = spawn_app(&db).await;
    assert_eq!(readyz_after_reconnect(&app).await, 200);
    let set = |on: &str| format!("ALTER DATABASE {name} SET default_transaction_read_only = {on}");
    admin.batch_execute(&set("on")).expect("read-only");
    end_sessions(&mut admin, &name);
    assert_eq!(
        readyz_after_reconnect(&app).await,
        503,
        "read-only is not ready"
    );
    admin.batch_execute(&set("off")).expect("writable");
    end_sessions(&mut admin, &name);
    assert_eq!(readyz_after_reconnect(&app).await, 200, "writable again");
    drop(app);
    let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
}

#[actix_web::test]
async fn readyz_is_not_ready_on_a_read_only_sqlite_file() {
    let db = sqlite_db();
    let writable = spawn_app(&db).await;
    assert_eq!(get_status(&writable, "/readyz").await.0, 200);
    let path = db.url.trim_start_matches("sqlite://");
    let mut settings = settings_for(&db);
    settings.database_url = Secret::new(format!("sqlite://file:{path}?mode=ro"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let clock = std::sync::Arc::new(vigil::service::FixedClock::at(crate::support::test_now()));
    let app = Application::build_with(settings, listener, clock).expect("read-only app starts");
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.server);
    let res = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("service_unavailable")),
        "{body}"
    );
    app.handle.stop(false).await;
}
