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

struct Vapp {
    state: AppState,
    handle: actix_web::dev::ServerHandle,
    clock: Arc<FixedClock>,
    base: String,
    client: reqwest::Client,
    site_key: String,
    quality: String,
    regulatory: String,
}

impl Vapp {
    async fn spawn(db: &TestDb) -> Self {
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

    fn set_now(&self, s: &str) {
        *self.clock.0.lock().unwrap() = t(s);
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url),
        };
        let req = req.bearer_auth(token);
        let req = match body {
            Some(b) => req.json(b),
            None => req,
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn text(&self, path: &str, token: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    fn policy(&self) -> WarningPolicy<'static> {
        WarningPolicy {
            days_before: 2,
            recipients: vec!["qm@example.org".into()],
            webhook_url: "",
        }
    }
}

fn drift_alert(id: &str) -> Alert {
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

fn final_fields() -> Value {
    json!({
        "nca_name": "BfArM",
        "nca_report_no": "DE-2026-4711",
        "device_problem_codes": ["A0908"],
        "investigation_type_codes": ["B12"],
        "investigation_finding_codes": ["C1010"],
        "investigation_conclusion_codes": ["D19"],
        "root_causes": "Training data under-represented the new reconstruction kernel.",
        "root_cause_confirmed": true,
        "risk_assessment_reviewed": true,
        "risk_assessment_adequate": true,
        "corrective_action": "Model retrained and validated; site informed."
    })
}

async fn stage(v: &Vapp, id: &str, stage: &str, fields: Value) -> (u16, Value) {
    let body = json!({"stage": stage, "fields": fields});
    v.call(
        "POST",
        &format!("/api/v1/incidents/{id}/reports"),
        &v.regulatory,
        Some(&body),
    )
    .await
}

async fn check_mir(v: &Vapp, id: &str, seq: i64, xsd: &str) {
    let (status, xml) = v
        .text(
            &format!("/api/v1/incidents/{id}/reports/{seq}/mir.xml"),
            &v.quality,
        )
        .await;
    assert_eq!(status, 200, "{xml}");
    xmllint(&xml, xsd);
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
    let open = json!({"alert_id": "al-1", "description": "Mean HU drift at one site after a scanner update; liver volumes possibly under-estimated."});
    let (status, inc) = v
        .call("POST", "/api/v1/incidents", &v.quality, Some(&open))
        .await;
    assert_eq!(status, 201, "{label}: {inc}");
    let id = inc["id"].as_str().unwrap().to_string();
    assert_eq!(inc["awareness_date"], "2026-12-16");
    assert_eq!(inc["reporting_country"], "DE");
    assert_eq!(inc["clock"]["state"], "awaiting_classification");
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
    reports_flow(v, &id, label).await;
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

async fn reports_flow(v: &Vapp, id: &str, label: &str) {
    // No device yet: the report is refused, nothing stored.
    let (status, body) = stage(v, id, "initial", initial_fields()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("device_not_registered")),
        "{label}: {body}"
    );
    let (status, body) = v
        .call("POST", "/api/v1/devices", &v.regulatory, Some(&device()))
        .await;
    assert_eq!(status, 201, "{label}: {body}");
    let sw = json!({"model_id": "liver-seg@2.3.0", "from": "2025-03-01"});
    let (status, body) = v
        .call(
            "POST",
            "/api/v1/devices/++EVIGILLIVERSEG01/software",
            &v.regulatory,
            Some(&sw),
        )
        .await;
    assert_eq!(status, 201, "{label}: {body}");
    let (status, e) = v
        .call(
            "GET",
            "/api/v1/devices/++EVIGILLIVERSEG01/exposure?from=2026-01-01&to=2026-12-31",
            &v.quality,
            None,
        )
        .await;
    assert_eq!(status, 200, "{label}: {e}");
    assert_eq!(
        (
            e["worldwide"]["active_sites"].as_u64(),
            e["eea_ch_tr"]["studies"].as_i64()
        ),
        (Some(1), Some(3))
    );
    bad_input(v, id, label).await;
    let (status, r) = stage(v, id, "initial", initial_fields()).await;
    assert_eq!(status, 201, "{label}: {r}");
    assert_eq!(
        (r["seq"].as_i64(), r["imdrf_release"].as_str()),
        (Some(1), Some("imdrf-aet-2023"))
    );
    check_mir(v, id, 1, "Initial").await;
    let sub =
        json!({"submitted_on": "2026-12-28", "authority": "BfArM", "reference": "DE-2026-4711"});
    let path = format!("/api/v1/incidents/{id}/reports/1/submission");
    let (status, view) = v.call("POST", &path, &v.regulatory, Some(&sub)).await;
    assert_eq!(status, 200, "{label}: {view}");
    assert_eq!(view["clock"]["state"], "reported");
    let (status, _) = v.call("POST", &path, &v.regulatory, Some(&sub)).await;
    assert_eq!(status, 409, "{label}: a submission is recorded once");
    let mut follow = initial_fields();
    follow["nca_report_no"] = json!("DE-2026-4711");
    follow["initial_corrective_action"] = json!("Site asked to review volumes manually.");
    follow["further_investigations"] = json!("Retrospective analysis of the affected studies.");
    let (status, body) = stage(v, id, "follow_up", follow).await;
    assert_eq!(status, 201, "{label}: {body}");
    check_mir(v, id, 2, "Followup").await;
    let (status, body) = stage(v, id, "final_reportable", final_fields()).await;
    assert_eq!(status, 201, "{label}: {body}");
    check_mir(v, id, 3, "FinalRep").await;
    let (status, body) = stage(v, id, "follow_up", initial_fields()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("report_stage_out_of_order")),
        "{label}"
    );
    other_stages(v, label).await;
}

async fn bad_input(v: &Vapp, id: &str, label: &str) {
    let (status, body) = stage(v, id, "final_reportable", final_fields()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("report_stage_out_of_order")),
        "{label}: {body}"
    );
    let mut f = initial_fields();
    f["device_problem_codes"] = json!(["A999999"]);
    let (status, body) = stage(v, id, "initial", f).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_imdrf_code")),
        "{label}: {body}"
    );
    assert!(
        body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("imdrf-aet-2023")
    );
    let mut f = initial_fields();
    f["preliminary_analysis"] =
        json!("Study 1.2.840.113619.2.55.3.604688119.971.1067249426.95 was affected");
    let (status, body) = stage(v, id, "initial", f).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("personal_data_refused")),
        "{label}: {body}"
    );
    assert_eq!(body["details"][0]["path"], "preliminary_analysis");
    assert!(
        !body.to_string().contains("113619"),
        "the value is never echoed"
    );
    let (_, view) = v
        .call("GET", &format!("/api/v1/incidents/{id}"), &v.quality, None)
        .await;
    assert_eq!(
        view["reports"].as_array().unwrap().len(),
        0,
        "{label}: nothing half-written"
    );
}

/// Combined initial and final; and initial then final (non-reportable).
async fn other_stages(v: &Vapp, label: &str) {
    let open = json!({"model_id": "liver-seg@2.3.0", "description": "Contour error reported by a site physicist.", "awareness_date": "2026-12-21", "site_ids": ["site-b"], "seriousness": "other_reportable", "reason": "possible misdiagnosis"});
    let (status, inc) = v
        .call("POST", "/api/v1/incidents", &v.quality, Some(&open))
        .await;
    assert_eq!(status, 201, "{label}: {inc}");
    // Mon 21 Dec + 15 = Tue 5 Jan 2027, a working day in FR.
    assert_eq!(inc["clock"]["due"], "2027-01-05");
    let id = inc["id"].as_str().unwrap();
    let (status, body) = stage(v, id, "combined_initial_final", final_fields()).await;
    assert_eq!(status, 201, "{label}: {body}");
    check_mir(v, id, 1, "InitialFinal").await;
    let open = json!({"model_id": "liver-seg@2.3.0", "description": "Slow inference reported.", "awareness_date": "2026-12-22", "countries": ["NL"]});
    let (_, inc) = v
        .call("POST", "/api/v1/incidents", &v.quality, Some(&open))
        .await;
    let id = inc["id"].as_str().unwrap();
    let (status, body) = stage(v, id, "initial", initial_fields()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("incident_not_classified")),
        "{label}"
    );
    let c =
        json!({"class": "other_reportable", "reason": "unclear impact, reported as a precaution"});
    v.call(
        "POST",
        &format!("/api/v1/incidents/{id}/classify"),
        &v.quality,
        Some(&c),
    )
    .await;
    let (status, body) = stage(v, id, "initial", initial_fields()).await;
    assert_eq!(status, 201, "{label}: {body}");
    let nr = json!({"nca_name": "IGJ", "nca_report_no": "NL-1", "device_problem_codes": ["A25"], "why_not_reportable": "Latency only; no effect on outputs."});
    let (status, body) = stage(v, id, "final_non_reportable", nr).await;
    assert_eq!(status, 201, "{label}: {body}");
    check_mir(v, id, 2, "FinalNonRep").await;
}
