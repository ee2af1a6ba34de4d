//! Alerts: signals applied through the rules open one alert per incident-worthy signal
//! (deduplicated, cool-down, hysteresis) and quality managers move them through their
//! lifecycle over the API, audited; escalation records the awareness date.

use chrono::Duration;
use serde_json::json;
use vigil::alerting::rules::{Decision, Signal};
use vigil::monitoring::plan::{AlertPolicy, Severity};
use vigil::service::alerts::{SignalReport, apply_signal};

use crate::support::{databases, spawn_app, test_now};

fn report(crossing: bool, day: i64, severity: Severity) -> SignalReport {
    SignalReport {
        model: "liver-seg@2.3.0".into(),
        rule: "quality:mean_dice:liver".into(),
        stratum: "site=site-a".into(),
        title: "Mean Dice below the acceptance limit".into(),
        summary: format!("day {day}"),
        evidence: None,
        signal: Signal {
            crossing,
            severity,
            at: test_now() + Duration::days(day),
        },
    }
}

#[actix_web::test]
async fn signals_open_one_alert_and_people_move_it() {
    let policy = AlertPolicy {
        cooldown_hours: 24,
        clear_after: 2,
        daily_digest: false,
        silent_after_days: 3,
        recipients: vec![],
    };
    for db in databases() {
        let app = spawn_app(&db).await;
        let store = &*app.store;
        let decisions: Vec<Decision> = [
            (true, 0),
            (true, 1),
            (false, 2),
            (true, 3),
            (false, 4),
            (false, 5),
        ]
        .into_iter()
        .map(|(c, d)| {
            apply_signal(store, &report(c, d, Severity::High), &policy)
                .unwrap()
                .0
        })
        .collect();
        assert_eq!(decisions[0], Decision::Open);
        assert_eq!(decisions[5], Decision::AutoResolve, "{decisions:?}");
        let (_, all) = app.get("/api/v1/alerts", &app.quality).await;
        assert_eq!(
            all["items"].as_array().unwrap().len(),
            1,
            "{}: one alert for the whole episode",
            app.label
        );
        assert_eq!(all["items"][0]["state"], "resolved");
        // Re-crossing within the cool-down is suppressed; after it, a new alert opens.
        assert_eq!(
            apply_signal(store, &report(true, 5, Severity::High), &policy)
                .unwrap()
                .0,
            Decision::Suppressed
        );
        let (d, alert) = apply_signal(store, &report(true, 7, Severity::Medium), &policy).unwrap();
        assert_eq!(d, Decision::Open);
        let id = alert.unwrap().id;
        let (d, _) = apply_signal(store, &report(true, 8, Severity::Critical), &policy).unwrap();
        assert_eq!(
            d,
            Decision::Refresh {
                raised_to: Some(Severity::Critical)
            }
        );
        let path = |a: &str| format!("/api/v1/alerts/{id}/{a}");
        assert_eq!(
            app.post(&path("acknowledge"), &app.ml, &json!({})).await.0,
            403
        );
        let (status, body) = app
            .post(
                &path("acknowledge"),
                &app.quality,
                &json!({"note": "looking"}),
            )
            .await;
        assert_eq!(
            (status, body["state"].clone()),
            (200, json!("acknowledged")),
            "{body}"
        );
        assert_eq!(
            app.post(&path("acknowledge"), &app.quality, &json!({}))
                .await
                .0,
            409
        );
        let (status, body) = app.post(&path("escalate"), &app.quality, &json!({})).await;
        assert_eq!(status, 200, "{body}");
        // No awareness date given: the request time (the test clock) is recorded.
        assert_eq!(
            (body["state"].clone(), body["awareness_at"].clone()),
            (json!("escalated"), json!("2026-11-20T12:00:00Z"))
        );
        assert_eq!(body["severity"], "critical");
        // Escalated alerts absorb clear evaluations: only a person closes them.
        assert_eq!(
            apply_signal(store, &report(false, 9, Severity::High), &policy)
                .unwrap()
                .0,
            Decision::Nothing
        );
        let (_, open) = app.get("/api/v1/alerts?state=escalated", &app.admin).await;
        assert_eq!(open["items"].as_array().unwrap().len(), 1);
        let actions: Vec<String> = store
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            actions.ends_with(&[
                "alert.acknowledged".to_string(),
                "alert.escalated".to_string(),
                "incident.create".to_string()
            ]),
            "{actions:?}"
        );
        assert_eq!(app.get("/api/v1/alerts/nope", &app.quality).await.0, 404);
    }
}

#[actix_web::test]
async fn the_daily_digest_lists_new_and_active_alerts_once_a_day() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store = &*app.store;
        let plan = crate::monitoring_support::PLAN
            .replace("clear_after = 3", "clear_after = 3\ndaily_digest = true");
        vigil::service::plans::set_plan(
            store,
            &vigil::service::admin::Actor("t".into()),
            "liver-seg",
            &plan,
            test_now(),
        )
        .unwrap();
        let mut r = report(true, 0, Severity::High);
        r.model = "liver-seg@2.3.0".into();
        apply_signal(store, &r, &AlertPolicy::default()).unwrap();
        let next_day = test_now() + Duration::days(1);
        let queued =
            vigil::service::evaluation::enqueue_digests(store, "http://vigil", next_day).unwrap();
        assert_eq!(queued, 1, "{}", db.label);
        assert_eq!(
            vigil::service::evaluation::enqueue_digests(store, "http://vigil", next_day).unwrap(),
            0
        );
        let m = store.outbox_messages().unwrap().pop().unwrap();
        assert_eq!(m.recipients, ["qm@example.org"]);
        assert!(m.subject.contains("1 new, 1 active"), "{}", m.subject);
        assert!(
            m.body_text.contains("http://vigil/console/alerts/"),
            "{}",
            m.body_text
        );
        assert!(
            m.body_html
                .contains("<a href=\"http://vigil/console/alerts/"),
            "{}",
            m.body_html
        );
        // The day after, the alert is no longer new but still active.
        let later = vigil::service::evaluation::enqueue_digests(
            store,
            "http://vigil",
            next_day + Duration::days(1),
        )
        .unwrap();
        assert_eq!(later, 1);
        let m = store.outbox_messages().unwrap().pop().unwrap();
        assert!(m.subject.contains("0 new, 1 active"), "{}", m.subject);
    }
}

/// POST a raw body with an optional content type.
async fn post_raw(
    app: &crate::support::TestApp,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&app.quality)
        .body(body.to_string());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

#[actix_web::test]
async fn alert_moves_parse_their_body_strictly_and_keep_awareness_and_note() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let store = &*app.store;
        let (_, alert) = apply_signal(
            store,
            &report(true, -3, Severity::High),
            &AlertPolicy::default(),
        )
        .unwrap();
        let id = alert.unwrap().id;
        let esc = format!("/api/v1/alerts/{id}/escalate");
        let json = Some("application/json");
        let refused: [(Option<&str>, &str, u16, &str); 8] = [
            (json, "{\"note\": ", 400, ""),
            (Some("text/plain"), "{}", 415, ""),
            (json, r#"{"reason": "x"}"#, 422, "reason"),
            (
                json,
                r#"{"awareness_at": "2026-11-18"}"#,
                422,
                "awareness_at",
            ),
            (
                json,
                r#"{"awareness_at": "2026-11-18T09:00:00"}"#,
                422,
                "awareness_at",
            ),
            (
                json,
                r#"{"awareness_at": "2026-11-21T00:00:00Z"}"#,
                422,
                "awareness_at",
            ),
            (
                json,
                r#"{"awareness_at": "2026-11-16T00:00:00Z"}"#,
                422,
                "awareness_at",
            ),
            (json, r#"{"note": 7}"#, 422, "note"),
        ];
        for (ct, body, status, field) in refused {
            let (got, err) = post_raw(&app, &esc, ct, body).await;
            assert_eq!(got, status, "{}: {body}: {err}", app.label);
            if !field.is_empty() {
                assert_eq!(err["details"][0]["path"], field, "{body}: {err}");
            }
        }
        // awareness_at belongs to an escalation only.
        let ack = format!("/api/v1/alerts/{id}/acknowledge");
        let body = r#"{"awareness_at": "2026-11-18T09:00:00Z"}"#;
        assert_eq!(post_raw(&app, &ack, json, body).await.0, 422);
        // Nothing moved.
        let (_, now) = app.get(&format!("/api/v1/alerts/{id}"), &app.quality).await;
        assert_eq!(now["state"], "open", "{}: {now}", app.label);
        // An empty body still acknowledges; the escalation keeps its date and note.
        assert_eq!(post_raw(&app, &ack, None, "").await.0, 200);
        let body =
            r#"{"note": "dice drop at site A", "awareness_at": "2026-11-18T09:00:00+01:00"}"#;
        let (status, moved) = post_raw(&app, &esc, json, body).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["awareness_at"], "2026-11-18T08:00:00Z");
        assert_eq!(moved["note"], "dice drop at site A");
        let (_, stored) = app.get(&format!("/api/v1/alerts/{id}"), &app.quality).await;
        assert_eq!(stored["awareness_at"], "2026-11-18T08:00:00Z", "{stored}");
        assert_eq!(stored["note"], "dice drop at site A");
        let mut entries = store.audit_entries().unwrap();
        assert_eq!(entries.pop().unwrap().action, "incident.create");
        let entry = entries.pop().unwrap();
        let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
        assert_eq!(entry.action, "alert.escalated");
        assert_eq!(details["note"], "dice drop at site A", "{details}");
        assert_eq!(details["awareness_at"], "2026-11-18T08:00:00Z", "{details}");
    }
}

/// What opened an alert stays on it; each later crossing and the automatic resolution are
/// appended to its history with their own evidence, and the API shows both.
#[actix_web::test]
async fn an_alert_keeps_what_opened_it_and_appends_refreshes_as_history() {
    use vigil::monitoring::explain::Evidence;
    let policy = AlertPolicy::default();
    for db in databases() {
        let app = spawn_app(&db).await;
        let store = &*app.store;
        let with_evidence = |crossing: bool, day: i64, current: f64| {
            let mut r = report(crossing, day, Severity::High);
            r.evidence = Some(Evidence {
                rule: r.rule.clone(),
                current: Some(current),
                n: 30 + day as u64,
                plan_version: Some(2),
                ..Evidence::default()
            });
            r
        };
        let (_, opened) = apply_signal(store, &with_evidence(true, 0, 0.88), &policy).unwrap();
        let id = opened.unwrap().id;
        apply_signal(store, &with_evidence(true, 1, 0.87), &policy).unwrap();
        apply_signal(store, &with_evidence(false, 2, 0.93), &policy).unwrap();
        apply_signal(store, &with_evidence(false, 3, 0.93), &policy).unwrap();
        let alert = store.alert(&id).unwrap().unwrap();
        assert_eq!(alert.summary, "day 0", "{}: the opening is kept", app.label);
        let events = store.alert_events(&id).unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(kinds, ["opened", "refreshed", "resolved"], "{}", app.label);
        assert_eq!(events[1].summary, "day 1");
        assert_eq!(events[1].evidence.as_ref().unwrap().current, Some(0.87));
        let (status, body) = app.get(&format!("/api/v1/alerts/{id}"), &app.quality).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["summary"], "day 0");
        assert_eq!(body["history"][0]["event"], "opened");
        assert_eq!(body["history"][0]["evidence"]["current"], 0.88);
        assert_eq!(body["history"][0]["evidence"]["plan_version"], 2);
        assert_eq!(body["history"][2]["event"], "resolved");
    }
}
