//! Escalating an alert opens its incident through HTTP on every backend: the incident takes the
//! escalation's awareness date and names the alert, the alert names the incident; an alert
//! that names no site needs a reporting country, and without one nothing moves (the alert stays
//! open, no incident is written); acknowledging takes no reporting country.

use serde_json::json;

use crate::incidents::{Vapp, drift_alert};
use crate::support::databases;

#[actix_web::test]
async fn escalating_opens_the_incident_or_changes_nothing() {
    for db in databases() {
        let v = Vapp::spawn(&db).await;
        let label = db.label;
        v.set_now("2026-12-21T09:00:00Z");
        let mut fleet = drift_alert("al-fleet");
        fleet.stratum = "all".into();
        v.state.store.insert_alert(&fleet).unwrap();
        let path = "/api/v1/alerts/al-fleet/escalate";
        let (status, body) = v.call("POST", path, &v.quality, Some(&json!({}))).await;
        assert_eq!(status, 422, "{label}: {body}");
        assert_eq!(body["details"][0]["path"], "reporting_country", "{body}");
        let (_, alert) = v
            .call("GET", "/api/v1/alerts/al-fleet", &v.quality, None)
            .await;
        assert_eq!(alert["state"], "open", "{label}: nothing moved: {alert}");
        assert!(alert["incident_id"].is_null(), "{alert}");
        let (_, listed) = v.call("GET", "/api/v1/incidents", &v.quality, None).await;
        assert_eq!(listed.as_array().unwrap().len(), 0, "{label}: {listed}");
        let ack = "/api/v1/alerts/al-fleet/acknowledge";
        let (status, body) = v
            .call(
                "POST",
                ack,
                &v.quality,
                Some(&json!({"reporting_country": "NL"})),
            )
            .await;
        assert_eq!(status, 422, "{label}: {body}");
        assert_eq!(body["details"][0]["path"], "reporting_country");
        let esc = json!({"reporting_country": "NL", "awareness_at": "2026-12-16T10:00:00Z"});
        let (status, body) = v.call("POST", path, &v.quality, Some(&esc)).await;
        assert_eq!(status, 200, "{label}: {body}");
        assert_eq!(body["state"], "escalated");
        assert_eq!(body["incident"]["reporting_country"], "NL");
        assert_eq!(body["incident"]["awareness_date"], "2026-12-16");
        assert_eq!(body["incident"]["alert_id"], "al-fleet");
        let id = body["incident"]["id"].as_str().unwrap();
        let (_, alert) = v
            .call("GET", "/api/v1/alerts/al-fleet", &v.quality, None)
            .await;
        assert_eq!(alert["incident_id"], id, "{label}");
        let (_, inc) = v
            .call("GET", &format!("/api/v1/incidents/{id}"), &v.quality, None)
            .await;
        assert_eq!(inc["alert_id"], "al-fleet", "{label}: {inc}");
        deadline_metric(&v, id, label).await;
        let entries = v.state.store.audit_entries().unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"alert.escalated"), "{actions:?}");
        assert!(actions.contains(&"incident.create"), "{actions:?}");
        v.handle.stop(false).await;
    }
}

/// Once classified, the incident's clock is exported as the end of its due day, labelled by
/// report kind and device (never the incident id).
async fn deadline_metric(v: &Vapp, id: &str, label: &str) {
    let classify =
        json!({"class": "other_reportable", "reason": "performance drop could delay diagnosis"});
    let path = format!("/api/v1/incidents/{id}/classify");
    let (status, c) = v.call("POST", &path, &v.quality, Some(&classify)).await;
    assert_eq!(status, 200, "{label}: {c}");
    let due: chrono::NaiveDate = c["clock"]["due"].as_str().unwrap().parse().unwrap();
    let end = (due + chrono::Duration::days(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp();
    let (_, text) = v.text_metrics().await;
    let line = text
        .lines()
        .find(|l| l.starts_with("vigil_vigilance_deadline_timestamp_seconds{"))
        .unwrap_or_else(|| panic!("{label}: no deadline metric in\n{text}"));
    assert!(line.contains(r#"kind="initial""#), "{line}");
    assert!(line.contains(r#"device="unregistered""#), "{line}");
    assert!(!line.contains(id), "no incident id in labels: {line}");
    let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(value as i64, end, "{label}: {line}");
}
