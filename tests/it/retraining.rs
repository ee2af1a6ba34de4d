//! Retraining requests: criteria resolve into a manifest of the matching reviewed cases, the
//! manifest is delivered to a real webhook receiver with a verifiable HMAC signature, and the
//! pipeline's status callbacks are recorded.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use vigil::service::retraining::sign;

use crate::support::{databases, event, review, settings_for, spawn_app_with};

pub type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A training-pipeline stand-in: records each POSTed body with its signature header.
pub fn start_receiver() -> (String, Received) {
    start_receiver_on(0)
}

/// The same stand-in on a given port (0: any).
pub fn start_receiver_on(port: u16) -> (String, Received) {
    let received: Received = Arc::default();
    let r = received.clone();
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let r = r.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: String| {
                let r = r.clone();
                async move {
                    let sig = req
                        .headers()
                        .get("x-vigil-signature")
                        .map(|v| v.to_str().unwrap().to_string())
                        .unwrap_or_default();
                    r.lock().unwrap().push((body, sig));
                    HttpResponse::Accepted().finish()
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), received)
}

fn reviewed(n: u32, dice: f64, outcome: &str) -> Value {
    let mut r = review(n, n);
    r["metrics"]["liver"]["dice"] = json!(dice);
    r["outcome"] = json!(outcome);
    r
}

#[actix_web::test]
async fn manifest_lists_the_matching_cases_and_reaches_the_pipeline_signed() {
    for db in databases() {
        let (url, received) = start_receiver();
        let mut settings = settings_for(&db);
        settings.training_webhook_url = url;
        settings.webhook_secret = vigil::config::Secret::new("pipeline-secret");
        let app = spawn_app_with(&db, settings).await;
        app.post(
            "/api/v1/events",
            &app.site_key,
            &json!({"events": (1..=4).map(event).collect::<Vec<_>>()}),
        )
        .await;
        let reviews = json!({"reviews": [reviewed(1, 0.95, "accepted"), reviewed(2, 0.72, "edited"), reviewed(3, 0.81, "edited"), reviewed(4, 0.40, "rejected")]});
        assert_eq!(
            app.post("/api/v1/reviews", &app.site_key, &reviews).await.0,
            200
        );
        let criteria = json!({"model": "liver-seg", "from": "2026-11-01T00:00:00Z", "to": "2026-11-21T00:00:00Z",
            "label": "liver", "dice_below": 0.85, "outcomes": ["edited"], "drifted_features": ["hu_mean"], "reason": "Dice drop at site-a"});
        assert_eq!(
            app.post("/api/v1/retraining-requests", &app.quality, &criteria)
                .await
                .0,
            403
        );
        let (status, body) = app
            .post("/api/v1/retraining-requests", &app.ml, &criteria)
            .await;
        assert_eq!(status, 201, "{}: {body}", app.label);
        assert_eq!(
            (body["case_count"].clone(), body["status"].clone()),
            (json!(2), json!("delivered")),
            "{body}"
        );
        // The manifest and criteria are answered as JSON objects, not JSON in a string.
        assert!(body["criteria"].is_object(), "{body}");
        assert_eq!(body["criteria"]["dice_below"], 0.85, "{body}");
        let manifest = body["manifest"].clone();
        assert!(manifest.is_object(), "{body}");
        let dice: Vec<f64> = manifest["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["metrics"]["liver"]["dice"].as_f64().unwrap())
            .collect();
        assert_eq!(dice, [0.72, 0.81]);
        assert_eq!(manifest["criteria"]["drifted_features"], json!(["hu_mean"]));
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        let sent: Value = serde_json::from_str(&got[0].0).unwrap();
        assert_eq!(sent, manifest, "the stored manifest is what was sent");
        let sent_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(got[0].0.as_bytes()));
        assert_eq!(
            body["manifest_sha256"],
            sent_sha.as_str(),
            "hash of the bytes sent"
        );
        assert_eq!(got[0].1, sign("pipeline-secret", got[0].0.as_bytes()));
        let id = body["id"].as_str().unwrap();
        let path = format!("/api/v1/retraining-requests/{id}/status");
        assert_eq!(
            app.post(
                &path,
                &app.ml,
                &json!({"status": "training", "detail": "job 42"})
            )
            .await
            .0,
            204
        );
        assert_eq!(
            app.post(&path, &app.ml, &json!({"status": "bogus"}))
                .await
                .0,
            422
        );
        let (_, now) = app
            .get(&format!("/api/v1/retraining-requests/{id}"), &app.quality)
            .await;
        assert_eq!(
            (now["status"].clone(), now["status_detail"].clone()),
            (json!("training"), json!("job 42"))
        );
        let bad = json!({"model": "liver-seg", "from": "2026-11-21T00:00:00Z", "to": "2026-11-01T00:00:00Z"});
        assert_eq!(
            app.post("/api/v1/retraining-requests", &app.ml, &bad)
                .await
                .0,
            422
        );
        let actions: Vec<String> = app
            .store
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            actions.contains(&"retraining.request".into())
                && actions.contains(&"retraining.training".into()),
            "{actions:?}"
        );
    }
}
