//! Report stages through HTTP: bad input refused with stable codes and nothing written, then
//! every MIR report type generated from incidents that went through the API and validated with
//! xmllint against the official MIR 7.2.1 XSDs, and its EUDAMED `mir_2Type` rendering against
//! the EUDAMED DTX schema.

use serde_json::{Value, json};
use vigil::domain::text_rule::FREE_TEXT_MAX_CHARS;
use vigil::service::Clock;
use vigil::service::deadline_warnings::queue_deadline_warnings;
use vigil::vigilance::stage::NCA_NAME_MAX_CHARS;

use crate::eudamed_mir::xmllint_eudamed;
use crate::incidents::{Vapp, device, initial_fields, xmllint};

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
    let (status, eudamed) = v
        .text(
            &format!("/api/v1/incidents/{id}/reports/{seq}/eudamed.xml"),
            &v.regulatory,
        )
        .await;
    assert_eq!(status, 200, "{eudamed}");
    xmllint_eudamed(&eudamed);
    let stored_ref = format!("<mfrRef>{id}</mfrRef>");
    assert!(xml.contains(&stored_ref) && eudamed.contains(&format!("reference {id}.")));
}

pub async fn reports_flow(v: &Vapp, id: &str, label: &str) {
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
    follow_up_warnings(v, id, label);
    let mut follow = initial_fields();
    follow["report_next_date"] = json!("2027-02-15");
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

/// The initial report names its follow-up for 2027-01-15: warned two days before and once
/// overdue, each once (the clock itself stopped with the submitted initial report).
fn follow_up_warnings(v: &Vapp, id: &str, label: &str) {
    let (store, vig) = (&*v.state.store, &v.state.vigilance);
    let queue = || queue_deadline_warnings(store, vig, &v.policy(), v.clock.now()).unwrap();
    v.set_now("2027-01-12T08:00:00Z");
    assert_eq!(queue(), 0, "{label}: 3 days left");
    v.set_now("2027-01-13T08:00:00Z");
    assert_eq!(queue(), 1, "{label}: follow-up due in 2 days");
    assert_eq!(queue(), 0, "{label}: once");
    v.set_now("2027-01-16T08:00:00Z");
    assert_eq!(queue(), 1, "{label}: follow-up overdue");
    assert_eq!(queue(), 0, "{label}: once");
    let msgs = store.outbox_messages().unwrap();
    let subjects: Vec<&str> = msgs
        .iter()
        .filter(|m| m.dedup_key.starts_with(&format!("incident:{id}:follow_up")))
        .map(|m| m.subject.as_str())
        .collect();
    assert_eq!(subjects.len(), 2, "{label}: {subjects:?}");
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Follow-up incident report due 2027-01-15 (2 days left)"))
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Follow-up incident report OVERDUE since 2027-01-15"))
    );
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
    // One character over the MIR XSD's cap (ncaName is string200T), or over the free-text cap.
    let mut f = initial_fields();
    f["nca_name"] = json!("B".repeat(NCA_NAME_MAX_CHARS + 1));
    let (status, body) = stage(v, id, "initial", f).await;
    assert_eq!(
        (
            status,
            &body["details"][0]["path"],
            &body["details"][0]["code"]
        ),
        (422, &json!("nca_name"), &json!("too_long")),
        "{label}: {body}"
    );
    let mut f = initial_fields();
    f["preliminary_analysis"] = json!("x".repeat(FREE_TEXT_MAX_CHARS + 1));
    let (status, body) = stage(v, id, "initial", f).await;
    assert_eq!(
        (
            status,
            &body["details"][0]["path"],
            &body["details"][0]["code"]
        ),
        (
            422,
            &json!("fields.preliminary_analysis"),
            &json!("too_long")
        ),
        "{label}: {body}"
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
