//! Operations endpoints and the OpenAPI document.

use serde_json::json;

use crate::support::{databases, event, spawn_app};

#[actix_web::test]
async fn health_readiness_and_protected_metrics() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
        assert_eq!(get("/healthz").await.unwrap().status().as_u16(), 200);
        let ready: serde_json::Value = get("/readyz").await.unwrap().json().await.unwrap();
        assert_eq!(ready["database"], app.label);
        assert_eq!(get("/metrics").await.unwrap().status().as_u16(), 401);
        app.post(
            "/api/v1/events",
            &app.site_key,
            &json!({"events": [event(1), event(2)]}),
        )
        .await;
        let res = app
            .client
            .get(format!("{}/metrics", app.base))
            .bearer_auth("metrics-secret")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let text = res.text().await.unwrap();
        assert!(
            text.contains(
                "vigil_ingest_items_total{kind=\"events\",outcome=\"accepted\",site=\"site-a\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("route=\"/api/v1/events\""),
            "route template label: {text}"
        );
        assert!(text.contains("vigil_db_pool_max_connections 4"), "{text}");
        assert!(
            !text.contains("00000000-0000-4000-8000"),
            "no ids in labels"
        );
    }
}

#[actix_web::test]
async fn openapi_document_describes_the_wire_protocol() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let doc: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/events",
        "/api/v1/reviews",
        "/api/v1/models",
        "/api/v1/counts",
        "/api/v1/sites",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    let schemas = &doc["components"]["schemas"];
    let event = &schemas["EventItem"];
    let required: Vec<&str> = event["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "event_id",
        "model",
        "model_version",
        "occurred_at",
        "case_ref",
        "modality",
        "scanner",
        "acquisition",
        "input_features",
        "output",
    ] {
        assert!(
            required.contains(&field),
            "EventItem.{field} not required: {required:?}"
        );
    }
    assert_eq!(
        event["additionalProperties"],
        json!(false),
        "unknown fields refused in the schema too"
    );
    assert!(schemas["ReviewItem"].is_object() && schemas["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[actix_web::test]
async fn counts_are_grouped_and_filtered() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let mut later = event(3);
        later["occurred_at"] = json!("2026-11-20T01:00:00Z");
        app.post(
            "/api/v1/events",
            &app.site_key,
            &json!({"events": [event(1), event(2), later]}),
        )
        .await;
        app.post(
            "/api/v1/events",
            &app.other_site_key,
            &json!({"events": [event(9)]}),
        )
        .await;
        app.post(
            "/api/v1/reviews",
            &app.site_key,
            &json!({"reviews": [crate::support::review(1, 1)]}),
        )
        .await;
        let (status, body) = app.get("/api/v1/counts?site=site-a", &app.ml).await;
        assert_eq!(status, 200);
        let want = json!([
            {"site_id": "site-a", "model_id": "liver-seg@2.3.0", "day": "2026-11-19", "events": 2, "reviews": 1},
            {"site_id": "site-a", "model_id": "liver-seg@2.3.0", "day": "2026-11-20", "events": 1, "reviews": 0}
        ]);
        assert_eq!(body, want, "{}", app.label);
        let (_, body) = app.get("/api/v1/counts?from=2026-11-20", &app.ml).await;
        assert_eq!(body.as_array().unwrap().len(), 1);
        assert_eq!(app.get("/api/v1/counts?bogus=1", &app.ml).await.0, 400);
    }
}
