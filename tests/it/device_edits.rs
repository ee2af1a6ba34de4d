//! Editing and retiring a registered device through HTTP on every backend: only the named
//! fields change and the whole device is checked again, every change is audited with the
//! fields it touched, a retirement needs a reason and a plausible day, and a retired device
//! takes no further change.

use serde_json::json;

use crate::incidents::{Vapp, device};
use crate::support::databases;

const PATH: &str = "/api/v1/devices/++EVIGILLIVERSEG01";

#[actix_web::test]
async fn a_device_is_edited_then_retired_and_then_left_alone() {
    for db in databases() {
        let v = Vapp::spawn(&db).await;
        let label = db.label;
        let (status, body) = v
            .call("POST", "/api/v1/devices", &v.regulatory, Some(&device()))
            .await;
        assert_eq!(status, 201, "{label}: {body}");
        let edit = json!({"certificate": "CERT-2026-002", "trade_name": "LiverSeg AI 2"});
        let (status, _) = v.call("PATCH", PATH, &v.quality, Some(&edit)).await;
        assert_eq!(status, 403, "{label}: only regulatory edits devices");
        let (status, body) = v.call("PATCH", PATH, &v.regulatory, Some(&edit)).await;
        assert_eq!(status, 200, "{label}: {body}");
        assert_eq!(body["certificate"], "CERT-2026-002");
        assert_eq!(body["trade_name"], "LiverSeg AI 2");
        assert_eq!(body["emdn_code"], "Z12040192", "untouched fields stay");
        let bad = json!({"mdr_class": "IV"});
        let (status, body) = v.call("PATCH", PATH, &v.regulatory, Some(&bad)).await;
        assert_eq!(status, 422, "{label}: {body}");
        assert_eq!(body["details"][0]["path"], "mdr_class", "{body}");
        let (_, shown) = v.call("GET", PATH, &v.quality, None).await;
        assert_eq!(
            shown["device"]["mdr_class"], "IIa",
            "{label}: nothing half-written"
        );
        let retire = format!("{PATH}/retire");
        let future = json!({"retired_on": "2027-01-01", "reason": "Replaced by LiverSeg AI 3"});
        let (status, body) = v.call("POST", &retire, &v.regulatory, Some(&future)).await;
        assert_eq!(status, 422, "{label}: {body}");
        assert_eq!(body["details"][0]["path"], "retired_on");
        let ok = json!({"retired_on": "2026-11-19", "reason": "Replaced by LiverSeg AI 3"});
        let (status, body) = v.call("POST", &retire, &v.regulatory, Some(&ok)).await;
        assert_eq!(status, 200, "{label}: {body}");
        assert_eq!(body["retired_on"], "2026-11-19");
        let (status, body) = v.call("PATCH", PATH, &v.regulatory, Some(&edit)).await;
        assert_eq!(status, 409, "{label}: {body}");
        let (status, _) = v.call("POST", &retire, &v.regulatory, Some(&ok)).await;
        assert_eq!(status, 409, "{label}: retired once");
        let (_, shown) = v.call("GET", PATH, &v.quality, None).await;
        assert_eq!(shown["device"]["retired_on"], "2026-11-19", "{label}");
        assert_eq!(shown["device"]["certificate"], "CERT-2026-002");
        let entries = v.state.store.audit_entries().unwrap();
        let edits: Vec<_> = entries
            .iter()
            .filter(|e| e.action.starts_with("device."))
            .map(|e| (e.action.as_str(), e.details.clone()))
            .collect();
        assert_eq!(edits.len(), 3, "{label}: add, edit, retire: {edits:?}");
        assert_eq!(edits[1].0, "device.edit");
        assert!(edits[1].1.contains("certificate"), "{edits:?}");
        assert_eq!(edits[2].0, "device.retire");
        v.handle.stop(false).await;
    }
}
