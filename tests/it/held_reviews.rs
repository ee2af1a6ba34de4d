//! Out-of-order delivery: a review that arrives before its event is held, joins the event
//! when it arrives (counted once, in counts, rollups and metrics), is a duplicate when sent
//! again, expires after `held_review_ttl_hours` with a counted, listed drop, never joins
//! another site's event, and a batch mixing stored, held and refused items loses nothing.

use std::net::TcpListener;
use std::sync::Arc;

use chrono::Duration;
use serde_json::{Value, json};
use vigil::app::Application;
use vigil::config::Settings;
use vigil::http::AppState;
use vigil::http::held_reviews::sweep_round;
use vigil::service::admin::{Actor, add_model, add_site, add_user};
use vigil::service::{Clock, FixedClock};

use crate::support::{
    TestDb, databases, event, get_json, liver_schema, post_json, review, settings_for, test_now,
};

/// A running server whose clock the test moves, with its state (for the sweep).
struct Held {
    base: String,
    client: reqwest::Client,
    state: AppState,
    clock: Arc<FixedClock>,
    site_a: String,
    site_b: String,
    quality: String,
    label: &'static str,
}

async fn spawn(db: &TestDb, settings: Settings) -> Held {
    let clock = Arc::new(FixedClock::at(test_now()));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build_with(settings, listener, clock.clone() as Arc<dyn Clock>)
        .expect("app builds");
    let state = app.state.clone();
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.server);
    let (store, actor, now) = (&*state.store, Actor("cli:test".into()), test_now());
    let (_, site_a) = add_site(store, &actor, "site-a", "Site A", "DE", now).expect("site");
    let (_, site_b) = add_site(store, &actor, "site-b", "Site B", "FR", now).expect("site");
    let (_, quality) = add_user(store, &actor, "qm1", vigil::domain::Role::Quality, now).unwrap();
    add_model(store, &actor, "liver-seg", "2.3.0", liver_schema(), now).expect("model");
    Held {
        base,
        client: reqwest::Client::new(),
        state,
        clock,
        site_a,
        site_b,
        quality,
        label: db.label,
    }
}

impl Held {
    async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        post_json(&self.client, format!("{}{path}", self.base), token, body).await
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        get_json(&self.client, format!("{}{path}", self.base), token).await
    }

    /// Reviews counted by the daily rollups (the public counts endpoint).
    async fn counted_reviews(&self) -> i64 {
        let (status, body) = self.get("/api/v1/counts", &self.quality).await;
        assert_eq!(status, 200, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["reviews"].as_i64().unwrap())
            .sum()
    }

    async fn held_list(&self, key: &str) -> Vec<Value> {
        let (status, body) = self.get("/api/v1/ingest/held", key).await;
        assert_eq!(status, 200, "{}: {body}", self.label);
        body.as_array().unwrap().clone()
    }

    async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .bearer_auth("metrics-secret")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    fn sweep(&self) -> vigil::storage::held_reviews::SweepOutcome {
        sweep_round(&self.state).expect("sweep")
    }
}

fn review_id(n: u32) -> String {
    review(n, 0)["review_id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_review_before_its_event_is_held_then_joins_it_exactly_once() {
    for db in databases() {
        let h = spawn(&db, settings_for(&db)).await;
        let batch = json!({"reviews": [review(1, 1)]});
        let (status, body) = h.post("/api/v1/reviews", &h.site_a, &batch).await;
        let held =
            json!({"accepted": 0, "duplicates": 0, "held": 1, "held_review_ids": [review_id(1)]});
        assert_eq!((status, body), (200, held), "{}", h.label);
        assert_eq!(h.counted_reviews().await, 0, "{}", h.label);
        let list = h.held_list(&h.site_a).await;
        assert_eq!(list.len(), 1, "{}", h.label);
        assert_eq!(list[0]["status"], "held");
        assert_eq!(list[0]["review_id"], review_id(1));
        assert_eq!(
            list[0]["expires_at"], "2026-11-23T12:00:00Z",
            "72 h after it arrived"
        );
        // The same review again: a duplicate, still held.
        let (status, body) = h.post("/api/v1/reviews", &h.site_a, &batch).await;
        let again = json!({"accepted": 0, "duplicates": 1, "held_review_ids": [review_id(1)]});
        assert_eq!((status, body), (200, again), "{}", h.label);
        // Its id with other content: refused as for a stored review.
        let mut changed = review(1, 1);
        changed["outcome"] = json!("rejected");
        let (status, body) = h
            .post("/api/v1/reviews", &h.site_a, &json!({"reviews": [changed]}))
            .await;
        assert_eq!(status, 409, "{}: {body}", h.label);
        assert_eq!(body["details"][0]["path"], "reviews[0].review_id");
        // The event arrives: the review joins it in the same request.
        let events = json!({"events": [event(1), event(2)]});
        let (status, body) = h.post("/api/v1/events", &h.site_a, &events).await;
        let joined = json!({"accepted": 2, "duplicates": 0, "joined": 1});
        assert_eq!((status, body), (200, joined), "{}", h.label);
        assert_eq!(h.counted_reviews().await, 1, "{}", h.label);
        assert!(h.held_list(&h.site_a).await.is_empty(), "{}", h.label);
        // Now it is a stored review like any other: re-sent, a plain duplicate.
        let (_, body) = h.post("/api/v1/reviews", &h.site_a, &batch).await;
        assert_eq!(body, json!({"accepted": 0, "duplicates": 1}), "{}", h.label);
        let (_, body) = h.post("/api/v1/events", &h.site_a, &events).await;
        assert_eq!(body, json!({"accepted": 0, "duplicates": 2}), "{}", h.label);
        // A review that came in order counts beside it, once each.
        let (_, body) = h
            .post(
                "/api/v1/reviews",
                &h.site_a,
                &json!({"reviews": [review(2, 2)]}),
            )
            .await;
        assert_eq!(body, json!({"accepted": 1, "duplicates": 0}), "{}", h.label);
        assert_eq!(h.counted_reviews().await, 2, "{}", h.label);
        let (status, outcomes) = h
            .get(
                "/api/v1/counts?site=site-a&from=2026-11-19&to=2026-11-19",
                &h.quality,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(outcomes[0]["reviews"], 2, "{}: {outcomes}", h.label);
        let text = h.metrics().await;
        for want in [
            r#"vigil_ingest_items_total{kind="reviews",outcome="accepted",site="site-a"} 2"#,
            r#"vigil_ingest_items_total{kind="reviews",outcome="held",site="site-a"} 1"#,
        ] {
            assert!(text.contains(want), "{}: {want}\n{text}", h.label);
        }
        assert!(
            !text.contains(r#"vigil_ingest_held_reviews{site="site-a"}"#),
            "{}: nothing is held now\n{text}",
            h.label
        );
    }
}

#[actix_web::test]
async fn held_reviews_expire_after_the_ttl_counted_and_listed() {
    for db in databases() {
        let mut settings = settings_for(&db);
        settings.held_review_ttl_hours = 2;
        let h = spawn(&db, settings).await;
        let (status, body) = h
            .post(
                "/api/v1/reviews",
                &h.site_a,
                &json!({"reviews": [review(1, 1)]}),
            )
            .await;
        assert_eq!(
            (status, body["held"].clone()),
            (200, json!(1)),
            "{}",
            h.label
        );
        let text = h.metrics().await;
        assert!(
            text.contains(r#"vigil_ingest_held_reviews{site="site-a"} 1"#),
            "{}\n{text}",
            h.label
        );
        // Exactly at the TTL it is still held; a second later it expires, once.
        *h.clock.0.lock().unwrap() = test_now() + Duration::hours(2);
        assert!(h.sweep().expired.is_empty(), "{}", h.label);
        *h.clock.0.lock().unwrap() = test_now() + Duration::hours(2) + Duration::seconds(1);
        let swept = h.sweep();
        assert_eq!(
            swept.expired.into_iter().collect::<Vec<_>>(),
            [("site-a".to_string(), 1)],
            "{}",
            h.label
        );
        assert!(h.sweep().expired.is_empty(), "{}: dropped once", h.label);
        let text = h.metrics().await;
        assert!(
            text.contains(r#"vigil_ingest_held_reviews_expired_total{site="site-a"} 1"#),
            "{}\n{text}",
            h.label
        );
        assert!(!text.contains(r#"vigil_ingest_held_reviews{site="site-a"}"#));
        let list = h.held_list(&h.site_a).await;
        assert_eq!(list.len(), 1, "{}", h.label);
        assert_eq!(
            (
                &list[0]["status"],
                &list[0]["reason"],
                &list[0]["review_id"]
            ),
            (
                &json!("dropped"),
                &json!("event_never_arrived"),
                &json!(review_id(1))
            ),
            "{}",
            h.label
        );
        assert!(h.held_list(&h.site_b).await.is_empty(), "{}", h.label);
        // The event arriving now finds nothing to join.
        let (_, body) = h
            .post("/api/v1/events", &h.site_a, &json!({"events": [event(1)]}))
            .await;
        assert_eq!(body, json!({"accepted": 1, "duplicates": 0}), "{}", h.label);
        assert_eq!(h.counted_reviews().await, 0, "{}", h.label);
    }
}

#[actix_web::test]
async fn a_review_of_another_sites_event_is_held_and_never_joins_it() {
    for db in databases() {
        let h = spawn(&db, settings_for(&db)).await;
        h.post("/api/v1/events", &h.site_b, &json!({"events": [event(50)]}))
            .await;
        // To site A, site B's event is as unknown as one never sent: the same answer.
        let batch = json!({"reviews": [review(4, 50), review(5, 999)]});
        let (status, body) = h.post("/api/v1/reviews", &h.site_a, &batch).await;
        let held = json!({"accepted": 0, "duplicates": 0, "held": 2,
                          "held_review_ids": [review_id(4), review_id(5)]});
        assert_eq!((status, body), (200, held), "{}", h.label);
        let swept = h.sweep();
        assert_eq!(swept.join.joined_total(), 0, "{}", h.label);
        assert_eq!(h.counted_reviews().await, 0, "{}", h.label);
        assert_eq!(h.held_list(&h.site_a).await.len(), 2, "{}", h.label);
        assert!(h.held_list(&h.site_b).await.is_empty(), "{}", h.label);
        // Site B re-sending its event joins nothing of site A's.
        let (_, body) = h
            .post("/api/v1/events", &h.site_b, &json!({"events": [event(50)]}))
            .await;
        assert_eq!(body, json!({"accepted": 0, "duplicates": 1}), "{}", h.label);
        assert_eq!(h.counted_reviews().await, 0, "{}", h.label);
    }
}

#[actix_web::test]
async fn a_batch_mixing_stored_held_and_refused_items_loses_nothing() {
    for db in databases() {
        let h = spawn(&db, settings_for(&db)).await;
        h.post("/api/v1/events", &h.site_a, &json!({"events": [event(1)]}))
            .await;
        let mut bad = review(3, 3);
        bad["metrics"]["liver"]["dice"] = json!(1.2);
        let mixed = json!({"reviews": [review(1, 1), review(2, 2), bad]});
        let (status, body) = h.post("/api/v1/reviews", &h.site_a, &mixed).await;
        assert_eq!(status, 422, "{}: {body}", h.label);
        let paths: Vec<&str> = body["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["reviews[2].metrics.liver.dice"], "{}", h.label);
        assert_eq!(h.counted_reviews().await, 0, "{}: refused whole", h.label);
        assert!(h.held_list(&h.site_a).await.is_empty(), "{}", h.label);
        // Without the refused item: one stored, one held, both answered.
        let (early, fixed) = (review(4, 4), {
            let mut r = review(3, 3);
            r["reviewed_at"] = json!("2026-11-19T08:00:00Z");
            r
        });
        let good = json!({"reviews": [review(1, 1), review(2, 2), early, fixed]});
        let (status, body) = h.post("/api/v1/reviews", &h.site_a, &good).await;
        let want = json!({"accepted": 1, "duplicates": 0, "held": 3,
                          "held_review_ids": [review_id(2), review_id(4), review_id(3)]});
        assert_eq!((status, body), (200, want), "{}", h.label);
        // A conflicting held id beside a new stored review: nothing of the batch is stored.
        let mut changed = review(2, 2);
        changed["severity"] = json!("major");
        let conflict = json!({"reviews": [review(6, 1), changed]});
        let (status, body) = h.post("/api/v1/reviews", &h.site_a, &conflict).await;
        assert_eq!(status, 409, "{}: {body}", h.label);
        assert_eq!(body["details"][0]["path"], "reviews[1].review_id");
        assert_eq!(h.counted_reviews().await, 1, "{}", h.label);
        // The events arrive: review 2 and 4 join; review 3 is dated before its event (08:30).
        let events = json!({"events": [event(2), event(3), event(4)]});
        let (_, body) = h.post("/api/v1/events", &h.site_a, &events).await;
        assert_eq!(
            body,
            json!({"accepted": 3, "duplicates": 0, "joined": 2}),
            "{}",
            h.label
        );
        assert_eq!(h.counted_reviews().await, 3, "{}", h.label);
        let list = h.held_list(&h.site_a).await;
        assert_eq!(list.len(), 1, "{}: {list:?}", h.label);
        assert_eq!(
            (&list[0]["review_id"], &list[0]["reason"]),
            (&json!(review_id(3)), &json!("review_before_event")),
            "{}",
            h.label
        );
        let text = h.metrics().await;
        assert!(
            text.contains(r#"vigil_ingest_held_reviews_refused_total{site="site-a"} 1"#),
            "{}\n{text}",
            h.label
        );
    }
}
