//! PSUR device groups on both backends: a regulatory user groups a second device under a
//! leading one (refusals name the field; a device in one group cannot join or lead another);
//! a PSUR requested for the member is refused pointing to the leading device; the leading
//! device's PSUR covers both: section 3 per Basic UDI-DI, section 4 with the leading device,
//! the members, the justification and the changes (checked in the PDF with pdftotext), Table 1
//! over both devices' model versions and Table 1b per device.

use serde_json::{Value, json};

use crate::incidents::device;
use crate::reports::{Rapp, pdf_text};
use crate::support::event;

const LEAD: &str = "++EVIGILLIVERSEG01";
const MEMBER: &str = "++EVIGILLIVERSEG02";
const WHY: &str = "Same intended purpose and algorithm family; one technical documentation.";

async fn register(app: &Rapp, basic: &str, trade: &str, model: &str) {
    let mut d = device();
    d["basic_udi_di"] = json!(basic);
    d["trade_name"] = json!(trade);
    d["mdr_class"] = json!("IIb");
    d["first_available"] = json!("2025-11-20");
    let (s, b) = app
        .call("POST", "/api/v1/devices", &app.regulatory, Some(&d))
        .await;
    assert_eq!(s, 201, "{b}");
    let sw = json!({"model_id": model, "from": "2025-11-20"});
    let path = format!("/api/v1/devices/{basic}/software");
    let (s, b) = app.call("POST", &path, &app.regulatory, Some(&sw)).await;
    assert_eq!(s, 201, "{b}");
}

/// Leading device: liver-seg 2.3.0, 12 studies in DE; member: 2.4.0, 3 studies in the US.
async fn seed(app: &Rapp) {
    register(app, LEAD, "LiverSeg AI", "liver-seg@2.3.0").await;
    register(app, MEMBER, "LiverSeg AI Pro", "liver-seg@2.4.0").await;
    let lead: Vec<Value> = (1..=12).map(event).collect();
    let member: Vec<Value> = (13..=15)
        .map(|n| {
            let mut e = event(n);
            e["model_version"] = json!("2.4.0");
            e
        })
        .collect();
    for (key, events) in [(&app.site_a, lead), (&app.site_b, member)] {
        let body = json!({"events": events});
        let (s, b) = app.call("POST", "/api/v1/events", key, Some(&body)).await;
        assert_eq!(s, 200, "{b}");
    }
}

async fn put_group(app: &Rapp, leading: &str, token: &str, body: &Value) -> (u16, Value) {
    let path = format!("/api/v1/device-groups/{leading}");
    app.call("PUT", &path, token, Some(body)).await
}

async fn declare(app: &Rapp) {
    let ok = json!({"members": [MEMBER], "justification": WHY});
    assert_eq!(put_group(app, LEAD, &app.quality, &ok).await.0, 403);
    for (body, field) in [
        (
            json!({"members": [LEAD], "justification": WHY}),
            "members[0]",
        ),
        (
            json!({"members": ["++ENOSUCHDEVICE"], "justification": WHY}),
            "members[0]",
        ),
        (
            json!({"members": [MEMBER, MEMBER], "justification": WHY}),
            "members[1]",
        ),
        (
            json!({"members": [MEMBER], "justification": "  "}),
            "justification",
        ),
        (json!({"members": [], "justification": WHY}), "members"),
    ] {
        let (s, b) = put_group(app, LEAD, &app.regulatory, &body).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (422, Some("validation_failed")),
            "{b}"
        );
        assert_eq!(b["details"][0]["path"], field, "{b}");
    }
    let personal = json!({"members": [MEMBER], "justification": "Ask dr.house@example.org"});
    let (s, b) = put_group(app, LEAD, &app.regulatory, &personal).await;
    assert_eq!(
        (s, b["details"][0]["path"].as_str()),
        (422, Some("justification")),
        "{b}"
    );
    let (s, v) = put_group(app, LEAD, &app.regulatory, &ok).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["version"].as_i64(), &v["members"]),
        (Some(1), &json!([MEMBER]))
    );
    // Unchanged: no new version.
    let (_, again) = put_group(app, LEAD, &app.regulatory, &ok).await;
    assert_eq!(again["version"], 1);
    // The member cannot lead a group of its own around the leading device.
    let back = json!({"members": [LEAD], "justification": WHY});
    let (s, b) = put_group(app, MEMBER, &app.regulatory, &back).await;
    assert_eq!(s, 409, "{b}");
    let (s, list) = app
        .call("GET", "/api/v1/device-groups", &app.quality, None)
        .await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)), "{list}");
    let (s, g) = app
        .call(
            "GET",
            &format!("/api/v1/device-groups/{LEAD}"),
            &app.quality,
            None,
        )
        .await;
    assert_eq!(
        (s, g["versions"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{g}"
    );
    let (s, _) = app
        .call(
            "GET",
            &format!("/api/v1/device-groups/{MEMBER}"),
            &app.quality,
            None,
        )
        .await;
    assert_eq!(s, 404);
}

fn psur(device: &str) -> Value {
    json!({"kind": "psur", "device": device, "period": {"from": "2025-11-20", "to": "2026-11-19"}})
}

async fn group_psur(app: &Rapp) {
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/reports",
            &app.regulatory,
            Some(&psur(MEMBER)),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str(), b["details"][0]["path"].as_str()),
        (422, Some("psur_for_leading_device_only"), Some("device")),
        "{b}"
    );
    assert!(b["message"].as_str().unwrap().contains(LEAD), "{b}");
    let (s, job) = app
        .call(
            "POST",
            "/api/v1/reports",
            &app.regulatory,
            Some(&psur(LEAD)),
        )
        .await;
    assert_eq!(s, 202, "{job}");
    app.run_jobs().await;
    let id = job["id"].as_str().unwrap();
    let (_, got) = app
        .call(
            "GET",
            &format!("/api/v1/reports/{id}"),
            &app.regulatory,
            None,
        )
        .await;
    assert_eq!(got["job"]["state"], "succeeded", "{got}");
    assert_eq!(got["report"]["reference"], format!("PSUR-{LEAD}"));
    let (_, json, _) = app.bytes(&format!("/api/v1/reports/{id}/json")).await;
    let doc: Value = serde_json::from_slice(&json).unwrap();
    let devices = doc["sections"][2]["subsections"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{}", doc["sections"][2]);
    let t1 = &doc["sections"][4]["blocks"][0];
    // Both devices' model versions: 12 studies in DE, 15 worldwide.
    assert_eq!(
        (&t1["rows"][0][2], &t1["rows"][1][2]),
        (&json!("12"), &json!("15")),
        "{t1}"
    );
    let t1b = &doc["sections"][4]["blocks"][1];
    assert_eq!(t1b["id"], "table-1b");
    assert_eq!(
        t1b["rows"][0],
        json!([LEAD, "LiverSeg AI", "12", "12", "0"]),
        "{t1b}"
    );
    assert_eq!(
        t1b["rows"][1],
        json!([MEMBER, "LiverSeg AI Pro", "0", "3", "0"]),
        "{t1b}"
    );
    let (_, pdf, _) = app.bytes(&format!("/api/v1/reports/{id}/pdf")).await;
    let text = pdf_text(&pdf);
    for needle in [
        "4 Grouping of devices",
        &format!("Leading device {LEAD} (LiverSeg AI)"),
        "Justification Same intended purpose and algorithm family",
        "Devices of the group",
        "LiverSeg AI Pro",
        "Changes of the group since 2025-11-20",
        &format!("group declared with members {MEMBER}"),
        &format!("3.1 {LEAD} (LiverSeg AI, leading device)"),
        &format!("3.2 {MEMBER} (LiverSeg AI Pro, member)"),
        "Table 1b: Studies processed and serious incidents per Basic UDI-DI",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[actix_web::test]
async fn a_group_psur_covers_its_members_under_the_leading_device() {
    for db in crate::support::databases() {
        let app = Rapp::spawn(&db).await;
        seed(&app).await;
        declare(&app).await;
        group_psur(&app).await;
    }
}
