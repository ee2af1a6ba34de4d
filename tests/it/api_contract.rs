//! The OpenAPI document as a contract, checked with the tools integrators run: it passes
//! openapi-spec-validator, and schemathesis, fuzzing the live server on SQLite and PostgreSQL
//! with a valid credential and a bounded example budget, finds no 5xx, no undocumented
//! status and no response that does not match its schema. Both tools come from the test
//! venv (`VIGIL_TEST_PYTHON`, installed by `scripts/test`).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{TestApp, databases, spawn_app_with, settings_for};

/// The venv's `bin` folder, from `VIGIL_TEST_PYTHON`.
fn venv_bin() -> PathBuf {
    let python = std::env::var("VIGIL_TEST_PYTHON")
        .expect("VIGIL_TEST_PYTHON names the test venv's python (scripts/test sets it)");
    PathBuf::from(python)
        .parent()
        .expect("python's folder")
        .to_path_buf()
}

/// Run a command off the async workers, so the server keeps answering.
async fn run(mut cmd: Command) -> Output {
    actix_web::rt::task::spawn_blocking(move || cmd.output())
        .await
        .expect("joined")
        .expect("tool runs (scripts/test installs schemathesis and openapi-spec-validator)")
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn document(app: &TestApp) -> Value {
    app.client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json")
}

#[actix_web::test]
async fn openapi_document_passes_openapi_spec_validator() {
    let db = crate::support::sqlite_db();
    let app = spawn_app_with(&db, settings_for(&db)).await;
    let doc = document(&app).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let mut cmd = Command::new(venv_bin().join("openapi-spec-validator"));
    cmd.arg(&file);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    let counts = &doc["paths"]["/api/v1/counts"]["get"];
    assert!(
        counts["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .all(|p| p["in"] == "query"),
        "{counts}"
    );
    assert!(doc["paths"]["/api/v1/reviews/{review_id}/masks"]["post"]["requestBody"]["content"]
        ["multipart/form-data"]
        .is_object());
}

#[actix_web::test]
async fn schemathesis_finds_the_live_api_true_to_its_document() {
    for db in databases() {
        let mut settings = settings_for(&db);
        settings.rate_limit_per_second = 10_000;
        settings.rate_limit_burst = 10_000;
        let app = spawn_app_with(&db, settings).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(venv_bin().join("st"));
        cmd.current_dir(dir.path())
            .args(["run", &format!("{}/api/v1/openapi.json", app.base)])
            .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", "8", "--seed", "7", "--workers", "2"])
            .args(["--generation-database", "none", "--no-color", "--no-shrink"])
            .args(["--header", &format!("Authorization: Bearer {}", app.admin)]);
        let out = run(cmd).await;
        assert!(out.status.success(), "{}: {}", db.label, text(&out));
    }
}
