//! `vigil report psur` end to end on every backend: a device registered through the services,
//! the binary refuses an unaligned period with exit 2 naming `period.from`, then writes the
//! PDF and the JSON (ten sections) and names the missing narratives.

use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use vigil::service::admin::{Actor, add_model};

use crate::incidents::device;
use crate::support::{databases, liver_schema, settings_for, test_now};

#[test]
fn report_cli_writes_the_pdf_and_json_and_refuses_a_bad_period() {
    use vigil::service::devices::{add_device, assign_software};
    use vigil::service::vigilance::Vigilance;
    use vigil::vigilance::device::{Device, DeviceSoftware};
    for db in databases() {
        let settings = settings_for(&db);
        let store: Arc<dyn vigil::storage::Store> =
            Arc::new(vigil::app::open_store(&settings).unwrap());
        let (actor, now) = (Actor("cli:test".into()), test_now());
        add_model(&*store, &actor, "liver-seg", "2.3.0", liver_schema(), now).unwrap();
        let v = Vigilance::new(store.clone(), store.clone()).unwrap();
        let mut d = device();
        d["mdr_class"] = json!("IIb");
        d["first_available"] = json!("2025-11-20");
        d["created_at"] = json!(now);
        let d: Device = serde_json::from_value(d).unwrap();
        add_device(&v, &actor, d, now).unwrap();
        let sw = DeviceSoftware {
            basic_udi_di: "++EVIGILLIVERSEG01".into(),
            model_id: "liver-seg@2.3.0".into(),
            from: "2025-11-20".parse().unwrap(),
            until: None,
        };
        assign_software(&*store, &v, &actor, sw).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("psur.pdf");
        let run = |from: &str| {
            Command::new(env!("CARGO_BIN_EXE_vigil"))
                .args([
                    "--actor",
                    "tester",
                    "report",
                    "psur",
                    "--device",
                    "++EVIGILLIVERSEG01",
                    "--from",
                    from,
                    "--to",
                    "2026-11-19",
                    "--quiet",
                    "--out",
                ])
                .arg(&out)
                .env("DATABASE_URL", &db.url)
                .env("VIGIL_BLOB_DIR", dir.path().join("blobs"))
                .env_remove("VIGIL_CONFIG")
                .output()
                .unwrap()
        };
        let bad = run("2025-12-01");
        assert_eq!(
            bad.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&bad.stderr)
        );
        assert!(String::from_utf8_lossy(&bad.stderr).contains("period.from"));
        let ok = run("2025-11-20");
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF-"));
        let json: Value =
            serde_json::from_slice(&std::fs::read(out.with_extension("json")).unwrap()).unwrap();
        assert_eq!(json["sections"].as_array().unwrap().len(), 10);
        assert!(
            String::from_utf8_lossy(&ok.stdout).contains("missing narratives: executive_summary")
        );
    }
}
