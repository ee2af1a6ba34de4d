//! `vigil device` and `vigil incident` as an operator runs them: the real binary against a real
//! database on every backend, ending in a MIR file that xmllint accepts.

use serde_json::{Value, json};
use vigil::service::admin::{Actor, add_model};
use vigil::storage::diesel::DieselStore;

use crate::cli::{stdout, vigil};
use crate::eudamed_mir::xmllint_eudamed;
use crate::incidents::{device, initial_fields, xmllint};
use crate::support::{databases, liver_schema, test_now};

#[test]
fn device_and_incident_commands_write_a_valid_mir() {
    for db in databases() {
        let store = DieselStore::open(&db.url, 2, 5_000).unwrap();
        store.run_migrations().unwrap();
        add_model(
            &store,
            &Actor("cli:test".into()),
            "liver-seg",
            "2.3.0",
            liver_schema(),
            test_now(),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, v: &Value| {
            let p = dir.path().join(name);
            std::fs::write(&p, v.to_string()).unwrap();
            p.display().to_string()
        };
        let ok = |args: &[&str]| {
            let out = vigil(&db, args);
            assert!(
                out.status.success(),
                "{}: {args:?}: {}",
                db.label,
                String::from_utf8_lossy(&out.stderr)
            );
            stdout(&out)
        };
        ok(&["device", "add", "--file", &write("device.json", &device())]);
        ok(&[
            "device",
            "software",
            "++EVIGILLIVERSEG01",
            "--model",
            "liver-seg@2.3.0",
            "--from",
            "2025-03-01",
        ]);
        assert!(ok(&["device", "list"]).contains("LiverSeg AI"));
        let open = json!({"model_id": "liver-seg@2.3.0", "description": "Segmentation failures after an update.", "awareness_date": "2026-12-18", "countries": ["DE"], "seriousness": "serious_public_health_threat", "reason": "many sites affected"});
        let created: Value = serde_json::from_str(&ok(&[
            "incident",
            "create",
            "--file",
            &write("incident.json", &open),
        ]))
        .unwrap();
        // Fri 18 Dec + 2 = Sun 20 -> Mon 21, one working day in the period -> Tue 22 Dec 2026.
        assert_eq!(created["clock"]["due"], "2026-12-22", "{}", db.label);
        let id = created["id"].as_str().unwrap();
        let out = dir.path().join("initial.xml");
        let eudamed = dir.path().join("initial-eudamed.xml");
        let fields = write("initial.json", &initial_fields());
        ok(&[
            "incident",
            "report",
            id,
            "--stage",
            "initial",
            "--fields",
            &fields,
            "--out",
            &out.display().to_string(),
            "--eudamed-out",
            &eudamed.display().to_string(),
        ]);
        xmllint(&std::fs::read_to_string(&out).unwrap(), "Initial");
        xmllint_eudamed(&std::fs::read_to_string(&eudamed).unwrap());
        let bad = vigil(
            &db,
            &[
                "incident",
                "report",
                id,
                "--stage",
                "final_reportable",
                "--fields",
                &fields,
                "--out",
                "unused.xml",
            ],
        );
        assert_eq!(bad.status.code(), Some(2), "{}", db.label);
        assert!(String::from_utf8_lossy(&bad.stderr).contains("nca_report_no"));
        assert!(ok(&["incident", "show", id]).contains("\"seq\": 1"));
    }
}
