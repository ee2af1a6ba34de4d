//! Credentials and roles: 401 without a valid credential, 403 for the wrong principal or role,
//! disabled and rotated credentials refused, and per-credential rate limiting with Retry-After.

use serde_json::json;
use vigil::service::admin::{Actor, rotate_site_key, set_site_disabled};

use crate::support::{databases, event, settings_for, spawn_app, spawn_app_with, sqlite_db};

#[actix_web::test]
async fn missing_or_unknown_credentials_get_401() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let batch = json!({"events": [event(1)]});
        let res = app
            .client
            .post(format!("{}/api/v1/events", app.base))
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated");
        assert!(body["request_id"].is_string());
        let (status, _) = app.post("/api/v1/events", "vsk_0000", &batch).await;
        assert_eq!(status, 401);
    }
}

#[actix_web::test]
async fn roles_are_enforced() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let batch = json!({"events": [event(1)]});
        let (status, _) = app.post("/api/v1/events", &app.admin, &batch).await;
        assert_eq!(status, 403, "users cannot ingest");
        assert_eq!(
            app.get("/api/v1/sites", &app.site_key).await.0,
            403,
            "sites cannot read"
        );
        assert_eq!(
            app.get("/api/v1/sites", &app.ml).await.0,
            403,
            "ml may not list sites"
        );
        assert_eq!(app.get("/api/v1/sites", &app.quality).await.0, 200);
        assert_eq!(app.get("/api/v1/models", &app.ml).await.0, 200);
        let model = json!({"name": "kidney-seg", "version": "1.0.0", "feature_schema": {"features": [
            {"name": "hu_mean", "kind": "input", "min": -1024.0, "max": 3071.0}]}});
        assert_eq!(
            app.post("/api/v1/models", &app.quality, &model).await.0,
            403
        );
        let (status, body) = app.post("/api/v1/models", &app.ml, &model).await;
        assert_eq!(
            (status, body["id"].clone()),
            (201, json!("kidney-seg@1.0.0")),
            "{body}"
        );
        assert_eq!(
            app.post("/api/v1/models", &app.ml, &model).await.0,
            409,
            "registered twice"
        );
        assert_eq!(
            app.post("/api/v1/models", &app.admin, &model).await.0,
            403,
            "segregation of duties: admin does not register models"
        );
    }
}

#[actix_web::test]
async fn disabled_site_and_rotated_key_are_refused() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let batch = json!({"events": [event(1)]});
        let actor = Actor("cli:test".into());
        let new_key =
            rotate_site_key(&*app.store, &actor, "site-a", crate::support::test_now()).unwrap();
        assert_eq!(
            app.post("/api/v1/events", &app.site_key, &batch).await.0,
            401,
            "old key"
        );
        assert_eq!(
            app.post("/api/v1/events", &new_key, &batch).await.0,
            200,
            "new key"
        );
        set_site_disabled(&*app.store, &actor, "site-a", true).unwrap();
        assert_eq!(
            app.post("/api/v1/events", &new_key, &batch).await.0,
            401,
            "disabled"
        );
        let entries = app.store.audit_entries().unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert!(
            actions.ends_with(&["site.rotate_key", "site.disable"]),
            "{actions:?}"
        );
        assert_eq!(
            vigil::domain::audit::verify_chain(&entries),
            Ok(entries.len())
        );
    }
}

#[actix_web::test]
async fn rate_limit_answers_429_with_retry_after() {
    let db = sqlite_db();
    let mut settings = settings_for(&db);
    settings.rate_limit_per_second = 1;
    settings.rate_limit_burst = 2;
    let app = spawn_app_with(&db, settings).await;
    let url = format!("{}/api/v1/models", app.base);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let res = app
            .client
            .get(&url)
            .bearer_auth(&app.ml)
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status().as_u16() == 429 {
            retry_after = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
        }
    }
    assert_eq!(&statuses[..2], &[200, 200]);
    assert_eq!(statuses[3], 429, "{statuses:?}");
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
    // Another credential has its own budget.
    assert_eq!(app.get("/api/v1/models", &app.quality).await.0, 200);
}
