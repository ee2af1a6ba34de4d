//! PMS plans through the API and the CLI: validated, versioned, never edited in place, audited.

use serde_json::Value;

use crate::support::{databases, spawn_app};

const PLAN: &str = r#"model = "liver-seg"
[windows]
strata = ["site", "scanner"]
[[features]]
name = "hu_mean"
[[features]]
name = "vol_ml"
test = "psi"
threshold = 0.2
[[quality]]
indicator = "mean_dice"
label = "liver"
limit = 0.9
[[alerts.recipients]]
severity = "high"
emails = ["qm@example.org"]
"#;

async fn put(app: &crate::support::TestApp, token: &str, model: &str, body: &str) -> (u16, Value) {
    let res = app
        .client
        .put(format!("{}/api/v1/models/{model}/plan", app.base))
        .bearer_auth(token)
        .header("content-type", "application/toml")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[actix_web::test]
async fn plans_are_versioned_validated_and_audited() {
    for db in databases() {
        let app = spawn_app(&db).await;
        assert_eq!(
            put(&app, &app.ml, "liver-seg", PLAN).await.0,
            403,
            "ml may not set the PMS plan"
        );
        let (status, body) = put(&app, &app.quality, "liver-seg", PLAN).await;
        assert_eq!(status, 201, "{}: {body}", app.label);
        assert_eq!(body["plan"]["version"], 1);
        assert_eq!(body["parsed"]["features"][1]["test"], "psi");
        let second = PLAN.replace("limit = 0.9", "limit = 0.92");
        assert_eq!(
            put(&app, &app.quality, "liver-seg", &second).await.1["plan"]["version"],
            2
        );
        let undeclared = PLAN.replace("name = \"hu_mean\"", "name = \"hu_max\"");
        let (status, body) = put(&app, &app.quality, "liver-seg", &undeclared).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("features[0]"),
            "{body}"
        );
        assert_eq!(put(&app, &app.quality, "kidney-seg", PLAN).await.0, 404);
        let (_, current) = app.get("/api/v1/models/liver-seg/plan", &app.ml).await;
        assert_eq!(
            (
                current["plan"]["version"].clone(),
                current["parsed"]["quality"][0]["limit"].clone()
            ),
            (2.into(), 0.92.into())
        );
        let (_, first) = app
            .get("/api/v1/models/liver-seg/plan?version=1", &app.ml)
            .await;
        assert_eq!(first["plan"]["body"], PLAN, "stored exactly as uploaded");
        let (_, history) = app
            .get("/api/v1/models/liver-seg/plan/history", &app.ml)
            .await;
        assert_eq!(history.as_array().unwrap().len(), 2);
        let actions: Vec<String> = app
            .store
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions.iter().filter(|a| *a == "plan.set").count(), 2);
    }
}

#[test]
fn plan_cli_sets_and_shows() {
    let db = crate::support::sqlite_db();
    let model = crate::cli::vigil(
        &db,
        &[
            "model",
            "add",
            "liver-seg",
            "2.3.0",
            "--feature",
            "hu_mean:input:-1024:3071",
            "--feature",
            "vol_ml:output:0:10000",
        ],
    );
    assert!(model.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.toml");
    std::fs::write(&file, PLAN).unwrap();
    let set = crate::cli::vigil(&db, &["plan", "set", "liver-seg", file.to_str().unwrap()]);
    assert!(
        crate::cli::stdout(&set).contains("plan version 1 of liver-seg"),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    assert_eq!(
        crate::cli::stdout(&crate::cli::vigil(&db, &["plan", "show", "liver-seg"])),
        PLAN
    );
    std::fs::write(&file, PLAN.replace("threshold = 0.2", "threshold = -1")).unwrap();
    assert_eq!(
        crate::cli::vigil(&db, &["plan", "set", "liver-seg", file.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[actix_web::test]
async fn head_start_and_restart_are_stored_and_bad_ones_refused_by_name() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let fir = format!("{PLAN}[sequential]\nhead_start = 0.5\nreset_to = \"head_start\"\n");
        let (status, body) = put(&app, &app.quality, "liver-seg", &fir).await;
        assert_eq!(status, 201, "{}: {body}", app.label);
        assert_eq!(body["parsed"]["sequential"]["head_start"], 0.5);
        assert_eq!(body["parsed"]["sequential"]["reset_to"], "head_start");
        let (status, body) = put(&app, &app.quality, "liver-seg", PLAN).await;
        assert_eq!(status, 201, "{}: {body}", app.label);
        assert_eq!(
            (
                body["parsed"]["sequential"]["head_start"].clone(),
                body["parsed"]["sequential"]["reset_to"].clone()
            ),
            (0.0.into(), "zero".into()),
            "the defaults"
        );
        for (extra, field) in [
            ("head_start = 1.5\n", "sequential.head_start"),
            ("reset_to = \"head_start\"\n", "sequential.reset_to"),
            (
                "chart = \"ewma\"\nhead_start = 0.5\n",
                "sequential.head_start",
            ),
        ] {
            let text = format!("{PLAN}[sequential]\n{extra}");
            let (status, body) = put(&app, &app.quality, "liver-seg", &text).await;
            assert_eq!(status, 422, "{}: {extra}: {body}", app.label);
            assert_eq!(body["code"], "validation_failed", "{body}");
            assert_eq!(body["details"][0]["path"], field, "{body}");
            assert!(body["message"].as_str().unwrap().contains(field), "{body}");
        }
        // Nothing refused was stored: the defaults' version is still the one in force.
        let (_, current) = app.get("/api/v1/models/liver-seg/plan", &app.ml).await;
        assert_eq!(current["plan"]["version"], 2, "{}", app.label);
    }
}
