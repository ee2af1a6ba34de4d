//! Test support: a fresh database per test (temp SQLite file, or a fresh PostgreSQL schema when
//! `TEST_DATABASE_URL` is set), the real server spawned on port 0, seeded principals, and a
//! builder for valid wire items.

use std::net::TcpListener;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};
use vigil::app::Application;
use vigil::config::{Secret, Settings};
use vigil::domain::Role;
use vigil::domain::model::{FeatureKind, FeatureSchema, FeatureSpec};
use vigil::service::admin::{Actor, add_model, add_site, add_user};
use vigil::service::{Clock, FixedClock};
use vigil::storage::Store;

/// A database that lives as long as the value.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL only: the server URL and the schema this test created, dropped on drop.
    pg_schema: Option<(String, String)>,
}

impl Drop for TestDb {
    /// Drop the test's PostgreSQL schema so that test runs leave nothing behind. Best effort:
    /// a lock held by a connection the server has not closed yet must not hang the test, so
    /// the drop waits at most a few seconds and a failure is only reported.
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg_schema.take() else {
            return;
        };
        let dropped = PgConnection::establish(&base).map(|mut conn| {
            conn.batch_execute(&format!(
                "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {schema} CASCADE"
            ))
        });
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {schema}: {dropped:?}");
        }
    }
}

/// SQLite always; PostgreSQL too when `TEST_DATABASE_URL` is set (CI sets it).
pub fn databases() -> Vec<TestDb> {
    let mut out = vec![sqlite_db()];
    if let Ok(base) = std::env::var("TEST_DATABASE_URL") {
        out.push(postgres_db(&base));
    }
    out
}

/// A database the test made itself (and drops itself), under `label`.
pub fn external_db(url: String, label: &'static str) -> TestDb {
    TestDb {
        url,
        label,
        _dir: None,
        pg_schema: None,
    }
}

pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("vigil.db").display());
    TestDb {
        url,
        label: "sqlite",
        _dir: Some(dir),
        pg_schema: None,
    }
}

/// A fresh schema on the test server, selected through libpq's `options` search_path.
pub fn postgres_db(base: &str) -> TestDb {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::establish(base).expect("TEST_DATABASE_URL reachable");
    conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    TestDb {
        url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
        label: "postgres",
        _dir: None,
        pg_schema: Some((base.to_string(), schema)),
    }
}

/// Fixed test time: all wire items are dated just before it.
pub fn test_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

pub fn settings_for(db: &TestDb) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        database_url: Secret::new(db.url.clone()),
        pool_size: 4,
        workers: 2,
        metrics_token: Secret::new("metrics-secret"),
        ..Settings::default()
    }
}

/// A running server with seeded principals.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub site_key: String,
    pub other_site_key: String,
    pub admin: String,
    pub quality: String,
    pub ml: String,
    pub label: &'static str,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with(db, settings_for(db)).await
}

pub async fn spawn_app_with(db: &TestDb, settings: Settings) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let clock = Arc::new(FixedClock::at(test_now()));
    let app =
        Application::build_with(settings, listener, clock as Arc<dyn Clock>).expect("app builds");
    let store = app.state.store.clone();
    actix_web::rt::spawn(app.server);
    let actor = Actor("cli:test".into());
    let now = test_now();
    let (_, site_key) = add_site(&*store, &actor, "site-a", "Site A", "DE", now).expect("site");
    let (_, other_site_key) =
        add_site(&*store, &actor, "site-b", "Site B", "FR", now).expect("site");
    let token = |name: &str, role| add_user(&*store, &actor, name, role, now).expect("user").1;
    let (admin, quality, ml) = (
        token("admin1", Role::Admin),
        token("qm1", Role::Quality),
        token("ml1", Role::Ml),
    );
    add_model(&*store, &actor, "liver-seg", "2.3.0", liver_schema(), now).expect("model");
    TestApp {
        base: format!("http://127.0.0.1:{}", app.port),
        client: reqwest::Client::new(),
        store,
        site_key,
        other_site_key,
        admin,
        quality,
        ml,
        label: db.label,
        handle: app.handle,
    }
}

pub fn liver_schema() -> FeatureSchema {
    let f = |name: &str, kind, min, max| FeatureSpec {
        name: name.into(),
        kind,
        min,
        max,
        unit: None,
    };
    FeatureSchema {
        features: vec![
            f("hu_mean", FeatureKind::Input, -1024.0, 3071.0),
            f("snr_db", FeatureKind::Input, -20.0, 100.0),
            f("vol_ml", FeatureKind::Output, 0.0, 10_000.0),
            f("confidence", FeatureKind::Output, 0.0, 1.0),
        ],
    }
}

/// A valid event; `n` varies its id and values.
pub fn event(n: u32) -> Value {
    json!({
        "event_id": format!("00000000-0000-4000-8000-{n:012}"),
        "model": "liver-seg",
        "model_version": "2.3.0",
        "occurred_at": "2026-11-19T08:30:00Z",
        "case_ref": format!("{n:064x}"),
        "modality": "CT",
        "scanner": {"manufacturer": "SIEMENS", "model": "SOMATOM Force"},
        "acquisition": {"slice_thickness_mm": 1.0, "pixel_spacing_mm": 0.7, "kvp": 120.0, "contrast": true},
        "demographics": {"age_band": "60-69", "sex": "F"},
        "input_features": {"hu_mean": 40.0 + f64::from(n % 17), "snr_db": 21.5},
        "output": {"status": "ok", "latency_ms": 850.0, "features": {"vol_ml": 1500.0, "confidence": 0.93}}
    })
}

/// A valid review of `event(n)`.
pub fn review(n: u32, event_n: u32) -> Value {
    json!({
        "review_id": format!("10000000-0000-4000-8000-{n:012}"),
        "event_id": format!("00000000-0000-4000-8000-{event_n:012}"),
        "reviewed_at": "2026-11-19T10:00:00Z",
        "outcome": "edited",
        "severity": "minor",
        "metrics": {"liver": {"dice": 0.94, "hd95_mm": 3.1}}
    })
}

/// POST `body` as JSON to `url` with a bearer token: the status and the JSON answer
/// (null when the answer is not JSON).
pub async fn post_json(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    let res = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// GET `url` with a bearer token: the status and the JSON answer (null when not JSON).
pub async fn get_json(client: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let res = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

impl TestApp {
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        post_json(&self.client, format!("{}{path}", self.base), token, body).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        get_json(&self.client, format!("{}{path}", self.base), token).await
    }

    /// Total events stored for all sites, through the public counts endpoint.
    pub async fn stored_events(&self) -> i64 {
        let (status, body) = self.get("/api/v1/counts", &self.quality).await;
        assert_eq!(status, 200, "{body}");
        body.as_array()
            .expect("array")
            .iter()
            .map(|r| r["events"].as_i64().unwrap_or(0))
            .sum()
    }

    pub async fn stored_reviews(&self) -> i64 {
        let (_, body) = self.get("/api/v1/counts", &self.quality).await;
        body.as_array()
            .expect("array")
            .iter()
            .map(|r| r["reviews"].as_i64().unwrap_or(0))
            .sum()
    }
}
