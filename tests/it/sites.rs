//! Sites over the API (admin only): registration with the key shown once, key rotation;
//! both audited like the CLI.

use serde_json::json;

use crate::support::{databases, event, spawn_app};

#[actix_web::test]
async fn admins_register_sites_and_rotate_their_keys() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let body = json!({"id": "site-nl-001", "name": "Ziekenhuis Oost", "country": "NL"});
        for token in [&app.quality, &app.ml, &app.site_key] {
            assert_eq!(app.post("/api/v1/sites", token, &body).await.0, 403);
        }
        let (status, created) = app.post("/api/v1/sites", &app.admin, &body).await;
        assert_eq!(status, 201, "{}: {created}", app.label);
        assert_eq!(created["site"]["id"], "site-nl-001");
        assert_eq!(created["site"]["country"], "NL");
        let key = created["api_key"].as_str().unwrap().to_string();
        assert!(key.starts_with("vsk_"));
        let batch = json!({"events": [event(1)]});
        assert_eq!(app.post("/api/v1/events", &key, &batch).await.0, 200);

        let (status, again) = app.post("/api/v1/sites", &app.admin, &body).await;
        assert_eq!((status, again["code"].as_str()), (409, Some("conflict")));

        let (status, rotated) = app
            .post("/api/v1/sites/site-nl-001/key", &app.admin, &json!({}))
            .await;
        assert_eq!(status, 200, "{rotated}");
        assert_eq!(rotated["site_id"], "site-nl-001");
        let new_key = rotated["api_key"].as_str().unwrap();
        assert_ne!(new_key, key);
        assert_eq!(app.post("/api/v1/events", &key, &batch).await.0, 401);
        assert_eq!(app.post("/api/v1/events", new_key, &batch).await.0, 200);
        let (status, _) = app
            .post("/api/v1/sites/site-xx-999/key", &app.admin, &json!({}))
            .await;
        assert_eq!(status, 404);
        assert_eq!(
            app.post("/api/v1/sites/site-nl-001/key", &app.quality, &json!({}))
                .await
                .0,
            403
        );

        let entries = app.store.audit_entries().unwrap();
        let mine: Vec<(&str, &str, &str)> = entries
            .iter()
            .filter(|e| e.target == "site-nl-001")
            .map(|e| (e.actor.as_str(), e.action.as_str(), e.target.as_str()))
            .collect();
        assert_eq!(
            mine,
            [
                ("user:admin1", "site.add", "site-nl-001"),
                ("user:admin1", "site.rotate_key", "site-nl-001")
            ]
        );
    }
}

#[actix_web::test]
async fn a_site_without_an_id_gets_one_and_bad_input_is_refused() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let (status, created) = app
            .post(
                "/api/v1/sites",
                &app.admin,
                &json!({"name": "Hospital", "country": "FR"}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["site"]["id"].as_str().unwrap();
        assert!(id.starts_with("site-fr-") && id.len() == 16, "{id}");
        for bad in [
            json!({"id": "Bad Id", "name": "X", "country": "DE"}),
            json!({"id": "site-x", "name": "X", "country": "de"}),
            json!({"id": "site-x", "name": " ", "country": "DE"}),
            json!({"id": "site-x", "name": "X", "country": "DE", "key": "vsk_x"}),
        ] {
            let (status, body) = app.post("/api/v1/sites", &app.admin, &bad).await;
            assert_eq!(status, 422, "{bad}: {body}");
        }
    }
}
