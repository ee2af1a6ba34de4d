//! Vigilance end to end through HTTP on every backend: a drift alert is escalated and opened as
//! an incident, classified and re-classified (the due date rolls over Christmas and a weekend in
//! DE), the due-soon and overdue warnings are queued once each through the outbox, bad input is
//! refused with stable codes and nothing written, and every report stage's MIR XML validates
//! against the official MIR 7.2.1 XSD with xmllint.

use std::net::TcpListener;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use vigil::alerting::alert::Alert;
use vigil::alerting::rules::AlertState;
use vigil::app::Application;
use vigil::domain::Role;
use vigil::http::AppState;
use vigil::monitoring::plan::Severity;
use vigil::service::admin::{Actor, add_model, add_site, add_user};
use vigil::service::deadline_warnings::{WarningPolicy, queue_deadline_warnings};
use vigil::service::{Clock, FixedClock};

use crate::support::{TestDb, databases, event, liver_schema, settings_for, test_now};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub struct Vapp {
    pub state: AppState,
    pub handle: actix_web::dev::ServerHandle,
    pub clock: Arc<FixedClock>,
    pub base: String,
    pub client: reqwest::Client,
    pub site_key: String,
    pub quality: String,
    pub regulatory: String,
}

impl Vapp {
    pub async fn spawn(db: &TestDb) -> Self {
        let clock = Arc::new(FixedClock::at(test_now()));
        let mut settings = settings_for(db);
        settings.vigilance_recipients = "qm@example.org".into();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let app =
            Application::build_with(settings, listener, clock.clone() as Arc<dyn Clock>).unwrap();
        let store = app.state.store.clone();
        actix_web::rt::spawn(app.server);
        let (actor, now) = (Actor("cli:test".into()), test_now());
        let (_, site_key) = add_site(&*store, &actor, "site-a", "Site A", "DE", now).unwrap();
        add_site(&*store, &actor, "site-b", "Site B", "FR", now).unwrap();
        let quality = add_user(&*store, &actor, "qm1", Role::Quality, now)
            .unwrap()
            .1;
        let regulatory = add_user(&*store, &actor, "ra1", Role::Regulatory, now)
            .unwrap()
            .1;
        add_model(&*store, &actor, "liver-seg", "2.3.0", liver_schema(), now).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port);
        Self {
            state: app.state,
            handle: app.handle,
            clock,
            base,
            client: reqwest::Client::new(),
            site_key,
            quality,
            regulatory,
        }
    }

    pub fn set_now(&self, s: &str) {
        *self.clock.0.lock().unwrap() = t(s);
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = self.client.request(method, url);
        let req = req.bearer_auth(token);
        let req = match body {
            Some(b) => req.json(b),
            None => req,
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The `/metrics` text (with the test settings' metrics token).
    pub async fn text_metrics(&self) -> (u16, String) {
        self.text("/metrics", "metrics-secret").await
    }

    pub async fn text(&self, path: &str, token: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub fn policy(&self) -> WarningPolicy<'static> {
        WarningPolicy {
            days_before: 2,
            recipients: vec!["qm@example.org".into()],
            webhook_url: "",
        }
    }
}

pub fn drift_alert(id: &str) -> Alert {
    let at = t("2026-12-15T06:00:00Z");
    Alert {
        id: id.into(),
        model: "liver-seg@2.3.0".into(),
        rule: "drift:hu_mean".into(),
        stratum: "site=site-a".into(),
        severity: Severity::High,
        state: AlertState::Open,
        title: "Input drift in hu_mean at site-a".into(),
        summary: "KS test rejected the reference distribution".into(),
        opened_at: at,
        updated_at: at,
        last_signal_at: at,
        clear_streak: 0,
        closed_at: None,
        handled_by: None,
        note: None,
        awareness_at: None,
    }
}

pub fn device() -> Value {
    json!({
        "basic_udi_di": "++EVIGILLIVERSEG01",
        "udi_dis": ["04012345000017"],
        "trade_name": "LiverSeg AI",
        "mdr_class": "IIa",
        "emdn_code": "Z12040192",
        "intended_purpose": "Automatic segmentation of the liver on abdominal CT to support volumetry",
        "notified_body": "0123",
        "certificate": "CERT-2025-001",
        "first_available": "2025-03-01",
        "manufacturer": {
            "name": "Vigil Test Devices GmbH", "contact_first_name": "Quality", "contact_last_name": "Office",
            "street": "Hauptstrasse 1", "city": "Berlin", "postcode": "10115", "country": "DE",
            "phone": "+49 30 0000000", "email": "vigilance@example.org"
        }
    })
}

/// Validate `xml` against the stage's official XSD with xmllint; panics with its output.
pub fn xmllint(xml: &str, xsd: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mir.xml");
    std::fs::write(&file, xml).unwrap();
    let schema = format!(
        "{}/tests/fixtures/mir/incident-{xsd}-v7.2.1.xsd",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &schema])
        .arg(&file)
        .output()
        .expect("xmllint installed (apt package libxml2-utils)");
    assert!(
        out.status.success(),
        "{xsd}: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn initial_fields() -> Value {
    json!({
        "nca_name": "BfArM",
        "report_next_date": "2027-01-15",
        "device_problem_codes": ["A0908"],
        "health_impact_codes": ["F13"],
        "preliminary_analysis": "Input intensity drift after a scanner software update at one site; segmentation quality under review."
    })
}

#[actix_web::test]
async fn an_escalated_drift_alert_becomes_an_incident_with_its_clock_and_valid_mirs() {
    for db in databases() {
        let v = Vapp::spawn(&db).await;
        run_flow(&v, db.label).await;
        v.handle.stop(false).await;
    }
}

async fn run_flow(v: &Vapp, label: &str) {
    // Studies from a DE site: the exposure and similar-incidents denominators.
    let batch = json!({"events": (0..3).map(event).collect::<Vec<_>>()});
    let (status, body) = v
        .call("POST", "/api/v1/events", &v.site_key, Some(&batch))
        .await;
    assert_eq!(status, 200, "{label}: {body}");
    v.set_now("2026-12-21T09:00:00Z");
    v.state.store.insert_alert(&drift_alert("al-1")).unwrap();
    let esc =
        json!({"note": "possible performance incident", "awareness_at": "2026-12-16T10:00:00Z"});
    let (status, body) = v
        .call(
            "POST",
            "/api/v1/alerts/al-1/escalate",
            &v.quality,
            Some(&esc),
        )
        .await;
    assert_eq!(status, 200, "{label}: {body}");
    // The escalation itself opened the incident, linked both ways.
    assert_eq!(body["state"], "escalated", "{label}: {body}");
    let inc = body["incident"].clone();
    let id = inc["id"].as_str().unwrap().to_string();
    assert_eq!(inc["alert_id"], "al-1");
    assert_eq!(inc["description"], "possible performance incident");
    assert_eq!(inc["awareness_date"], "2026-12-16");
    assert_eq!(inc["reporting_country"], "DE");
    assert_eq!(inc["clock"]["state"], "awaiting_classification");
    let (_, alert) = v.call("GET", "/api/v1/alerts/al-1", &v.quality, None).await;
    assert_eq!(alert["incident_id"], id.as_str(), "{label}: {alert}");
    let open = json!({"alert_id": "al-1", "description": "Mean HU drift at one site after a scanner update; liver volumes possibly under-estimated."});
    let (status, _) = v
        .call("POST", "/api/v1/incidents", &v.quality, Some(&open))
        .await;
    assert_eq!(status, 409, "{label}: one incident per alert");
    let (_, listed) = v
        .call("GET", "/api/v1/incidents?alert_id=al-1", &v.quality, None)
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // Wed 16 Dec + 15 = Thu 31 Dec 2026 (a working day in DE).
    let classify =
        |class: &str| json!({"class": class, "reason": "performance drop could delay diagnosis"});
    let path = format!("/api/v1/incidents/{id}/classify");
    let (status, c) = v
        .call(
            "POST",
            &path,
            &v.quality,
            Some(&classify("other_reportable")),
        )
        .await;
    assert_eq!(status, 200, "{label}: {c}");
    assert_eq!(c["clock"]["due"], "2026-12-31");
    // Re-classified to 10 days: Sat 26 Dec (Second Christmas Day) -> Sun -> Mon 28 Dec.
    let (_, c) = v
        .call(
            "POST",
            &path,
            &v.quality,
            Some(&classify("unanticipated_serious_deterioration")),
        )
        .await;
    assert_eq!(c["clock"]["due"], "2026-12-28", "{label}: {c}");
    assert_eq!(c["clock"]["days_left"], 7);
    assert_eq!(c["clock_history"].as_array().unwrap().len(), 2);
    warnings(v, &id, label);
    crate::incident_stages::reports_flow(v, &id, label).await;
}

fn warnings(v: &Vapp, id: &str, label: &str) {
    let store = &*v.state.store;
    let vig = &v.state.vigilance;
    v.set_now("2026-12-23T08:00:00Z");
    assert_eq!(
        queue_deadline_warnings(store, vig, &v.policy(), v.clock.now()).unwrap(),
        0,
        "{label}: 5 days left"
    );
    v.set_now("2026-12-26T08:00:00Z");
    assert_eq!(
        queue_deadline_warnings(store, vig, &v.policy(), v.clock.now()).unwrap(),
        1,
        "{label}"
    );
    assert_eq!(
        queue_deadline_warnings(store, vig, &v.policy(), v.clock.now()).unwrap(),
        0,
        "{label}: once"
    );
    v.set_now("2026-12-29T08:00:00Z");
    assert_eq!(
        queue_deadline_warnings(store, vig, &v.policy(), v.clock.now()).unwrap(),
        1,
        "{label}: overdue"
    );
    let msgs = store.outbox_messages().unwrap();
    let mine: Vec<_> = msgs
        .iter()
        .filter(|m| m.dedup_key.starts_with(&format!("incident:{id}")))
        .collect();
    assert_eq!(mine.len(), 2, "{label}");
    assert!(
        mine.iter()
            .any(|m| m.subject.contains("due 2026-12-28 (2 days left)")),
        "{label}"
    );
    assert!(
        mine.iter().any(|m| m.subject.contains("OVERDUE")),
        "{label}"
    );
    assert_eq!(mine[0].recipients, ["qm@example.org"]);
}

#[actix_web::test]
async fn the_openapi_document_lists_the_vigilance_routes() {
    let db = crate::support::sqlite_db();
    let app = crate::support::spawn_app(&db).await;
    let (_, doc) = app.get("/api/v1/openapi.json", &app.quality).await;
    for path in [
        "/api/v1/devices",
        "/api/v1/devices/{basic_udi_di}/software",
        "/api/v1/devices/{basic_udi_di}/exposure",
        "/api/v1/incidents",
        "/api/v1/incidents/{id}/classify",
        "/api/v1/incidents/{id}/reports",
        "/api/v1/incidents/{id}/reports/{seq}/mir.xml",
        "/api/v1/incidents/{id}/reports/{seq}/eudamed.xml",
        "/api/v1/incidents/{id}/reports/{seq}/submission",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "IncidentView",
        "ClockView",
        "StageFields",
        "NewIncident",
        "DeviceRequest",
    ] {
        assert!(schemas[name].is_object(), "missing schema {name}");
    }
}
