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
        model: "liver-seg".into(),
        rule: "quality:mean_dice:liver".into(),
        stratum: "site=site-a".into(),
        title: "Mean Dice below the acceptance limit".into(),
        summary: format!("day {day}"),
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
            all.as_array().unwrap().len(),
            1,
            "{}: one alert for the whole episode",
            app.label
        );
        assert_eq!(all[0]["state"], "resolved");
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
        let (status, body) = app
            .post(
                &path("escalate"),
                &app.quality,
                &json!({"awareness_at": "2026-11-28T09:00:00Z"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["state"].clone(), body["awareness_at"].clone()),
            (json!("escalated"), json!("2026-11-28T09:00:00Z"))
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
        assert_eq!(open.as_array().unwrap().len(), 1);
        let actions: Vec<String> = store
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            actions.ends_with(&[
                "alert.acknowledged".to_string(),
                "alert.escalated".to_string()
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
