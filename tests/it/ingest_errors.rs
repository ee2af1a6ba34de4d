//! Refused ingest batches explain themselves: every problem of an item at the field's own path,
//! what was expected, plausible dates with their own codes, and conflicts that say whether the
//! id repeats inside the batch, was used by this site or by another one.

use serde_json::{Value, json};

use crate::support::{TestApp, databases, event, review, settings_for, spawn_app, spawn_app_with};

fn details(body: &Value) -> Vec<(String, String, String)> {
    body["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
                    (s("path"), s("code"), s("message"))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn post_raw(app: &TestApp, body: &str) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .bearer_auth(&app.site_key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn every_problem_of_an_item_is_named_at_its_own_field() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let mut e = event(1);
    let obj = e.as_object_mut().unwrap();
    obj.remove("modality");
    obj.insert("colour".into(), json!("blue"));
    e["scanner"].as_object_mut().unwrap().remove("model");
    e["event_id"] = json!("nope");
    e["occurred_at"] = json!("2026-11-19T08:30:00");
    let (status, body) = app
        .post("/api/v1/events", &app.site_key, &json!({"events": [e]}))
        .await;
    assert_eq!(status, 422, "{body}");
    let got = details(&body);
    let find = |path: &str| got.iter().find(|(p, _, _)| p == path).cloned();
    let (_, code, _) = find("events[0].modality").expect("modality named");
    assert_eq!(code, "missing_field");
    let (_, code, _) = find("events[0].scanner.model").expect("scanner.model named");
    assert_eq!(code, "missing_field");
    assert_eq!(
        find("events[0].colour").expect("key named").1,
        "unknown_field"
    );
    assert_eq!(
        find("events[0].event_id").unwrap().2,
        "event_id must be a UUID"
    );
    let (_, _, msg) = find("events[0].occurred_at").unwrap();
    assert!(msg.starts_with("occurred_at needs a UTC offset"), "{msg}");
    assert_eq!(got.len(), 5, "{got:?}");
    // A number no double holds is a refused value at its path, not malformed JSON.
    let raw = json!({"events": [event(2)]})
        .to_string()
        .replace("21.5", "1e400");
    let (status, body) = post_raw(&app, &raw).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["details"][0]["path"],
        "events[0].input_features.snr_db"
    );
    assert_eq!(body["details"][0]["index"], 0);
    // An unknown envelope key is named.
    let (status, body) = post_raw(&app, r#"{"events": [], "sites": 1}"#).await;
    assert_eq!(
        (status, body["details"][0]["path"].clone()),
        (422, json!("sites"))
    );
    assert_eq!(app.stored_events().await, 0);
}

#[actix_web::test]
async fn conflicts_say_where_the_id_was_used() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let (s, _) = app
            .post(
                "/api/v1/events",
                &app.site_key,
                &json!({"events": [event(1)]}),
            )
            .await;
        assert_eq!(s, 200);
        let mut changed = event(1);
        changed["output"]["latency_ms"] = json!(1.0);
        let mut twin = event(3);
        twin["output"]["latency_ms"] = json!(2.0);
        let cases = [
            (
                &app.site_key,
                json!([event(2), changed]),
                "already stored by this site",
            ),
            (
                &app.other_site_key,
                json!([event(1)]),
                "already used by another site",
            ),
            (
                &app.site_key,
                json!([event(3), event(4), twin]),
                "repeats the one of events[0]",
            ),
        ];
        for (key, items, says) in cases {
            let (status, body) = app
                .post("/api/v1/events", key, &json!({"events": items}))
                .await;
            assert_eq!(status, 409, "{}: {body}", app.label);
            let msg = body["details"][0]["message"].as_str().unwrap_or_default();
            assert!(msg.contains(says), "{}: {says}: {body}", app.label);
            assert!(!msg.contains("site-a"), "never names the other site: {msg}");
        }
        assert_eq!(app.stored_events().await, 1);
    }
}

#[actix_web::test]
async fn implausible_dates_are_refused_with_their_own_codes() {
    for db in databases() {
        let mut settings = settings_for(&db);
        settings.earliest_event_date = "2026-01-01".into();
        let app = spawn_app_with(&db, settings).await;
        // The test clock stands at 2026-11-20T12:00:00Z; the default skew is 10 minutes.
        let dated = |n: u32, at: &str| {
            let mut e = event(n);
            e["occurred_at"] = json!(at);
            e
        };
        let batch = json!({"events": [
            dated(1, "2026-11-20T12:09:00Z"),
            dated(2, "2026-11-20T13:00:00Z"),
            dated(3, "2025-12-31T23:59:59Z"),
        ]});
        let (status, body) = app.post("/api/v1/events", &app.site_key, &batch).await;
        assert_eq!(status, 422, "{}: {body}", app.label);
        let got: Vec<(String, String)> =
            details(&body).into_iter().map(|(p, c, _)| (p, c)).collect();
        let want = [
            ("events[1].occurred_at", "in_future"),
            ("events[2].occurred_at", "before_earliest"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, want, "{}", app.label);
        let ok = json!({"events": [dated(1, "2026-11-20T12:09:00Z"), event(5)]});
        assert_eq!(app.post("/api/v1/events", &app.site_key, &ok).await.0, 200);
        // A review dated before its event is refused.
        let mut early = review(1, 5);
        early["reviewed_at"] = json!("2026-11-19T08:00:00Z");
        let (status, body) = app
            .post(
                "/api/v1/reviews",
                &app.site_key,
                &json!({"reviews": [early, review(2, 5)]}),
            )
            .await;
        assert_eq!(status, 422, "{}: {body}", app.label);
        let got = details(&body);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].0.as_str(), got[0].1.as_str()),
            ("reviews[0].reviewed_at", "review_before_event")
        );
        assert_eq!(app.stored_reviews().await, 0);
    }
}

#[actix_web::test]
async fn not_found_messages_name_the_resource_and_its_id() {
    let db = crate::support::sqlite_db();
    let app = spawn_app(&db).await;
    let (status, body) = app.get("/api/v1/alerts/a-missing-id", &app.quality).await;
    assert_eq!(status, 404);
    let msg = body["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("alert") && msg.contains("a-missing-id"),
        "{msg}"
    );
    for (path, what) in [
        ("/api/v1/evaluations/e-missing", "evaluation"),
        (
            "/api/v1/retraining-requests/r-missing",
            "retraining request",
        ),
    ] {
        let (status, body) = app.get(path, &app.ml).await;
        let msg = body["message"].as_str().unwrap_or_default();
        assert_eq!(status, 404);
        assert!(msg.contains(what) && msg.contains("-missing"), "{msg}");
    }
}
