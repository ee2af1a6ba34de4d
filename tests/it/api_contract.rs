//! The OpenAPI document as a contract, checked with the tools integrators run: it passes
//! openapi-spec-validator, and schemathesis, fuzzing the live server on SQLite and PostgreSQL
//! with a valid credential and a bounded example budget, finds no 5xx, no undocumented
//! status and no response that does not match its schema. Both tools come from the test
//! venv (`VIGIL_TEST_PYTHON`, installed by `scripts/test`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use vigil::domain::Role;
use vigil::http::roles::{ROUTES, Who};
use vigil::service::admin::{Actor, add_model, add_user};

use crate::support::{TestApp, databases, settings_for, spawn_app_with};

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

/// Whether schemathesis found nothing wrong with the API. Its exit status also counts errors
/// of its own: a "Runtime Error" raised by CPython 3.11's `ast.parse` inside Hypothesis ("AST
/// constructor recursion depth mismatch", a bug of the interpreter, not of the API) is not
/// held against the API; every other error (a schema no body satisfies, a check failure) is.
fn clean_run(out: &Output) -> Result<(), String> {
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    if out.status.success() {
        return Ok(());
    }
    if report.contains("= FAILURES =") {
        return Err(report);
    }
    let Some(errors) = report.split("= ERRORS =").nth(1) else {
        return Err(report);
    };
    let errors = errors.split("= WARNINGS =").next().unwrap_or(errors);
    let own_bug = "AST constructor recursion depth mismatch";
    let blocks: Vec<&str> = errors.split("\n___").skip(1).collect();
    if blocks.is_empty() || blocks.iter().any(|b| !b.contains(own_bug)) {
        return Err(report);
    }
    Ok(())
}

/// A route template without its parameter names (`/a/{}/b`): the document and the router
/// may name them differently.
fn shape(template: &str) -> String {
    template
        .split('/')
        .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// The credential each operation is fuzzed with: the role `src/http/roles.rs` lets call it
/// (admin where admin may, so reads are exercised once), so that no operation answers only
/// 403. Returns `(token, operation ids)` groups.
fn operations_by_credential(
    doc: &Value,
    app: &TestApp,
    regulatory: &str,
) -> Vec<(String, Vec<String>)> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let rule = ROUTES
                .iter()
                .find(|r| shape(r.path) == shape(path) && r.method.eq_ignore_ascii_case(method))
                .unwrap_or_else(|| panic!("{method} {path} has no row in roles.rs"));
            let token = match rule.who {
                Who::Anyone => app.admin.clone(),
                Who::Site => app.site_key.clone(),
                Who::Users(roles) if roles.contains(&Role::Admin) => app.admin.clone(),
                Who::Users(roles) => match roles[0] {
                    Role::Quality => app.quality.clone(),
                    Role::Ml => app.ml.clone(),
                    Role::Regulatory => regulatory.to_string(),
                    Role::Admin => app.admin.clone(),
                },
            };
            let id = op["operationId"].as_str().expect("operationId").to_string();
            groups.entry(token).or_default().push(id);
        }
    }
    groups.into_iter().collect()
}

/// Resources some operations need to exist (and be in the right state) before a generated
/// request can succeed, created through the API, and their identifiers by route template
/// for the hooks (`schemathesis_hooks.py`, `VIGIL_SCHEMATHESIS_KNOWN`): an open alert for the
/// state moves; an incident for classification; an incident with an initial report stage of
/// a registered device for the submission (and for incident creation, the alert it may be
/// opened from is not needed: the model is known); a model with a trend plan.
async fn known_resources(app: &TestApp, regulatory: &str) -> Value {
    let alert = crate::console_support::alert_with_findings(&*app.store);
    let (s, body) = app
        .post("/api/v1/devices", regulatory, &crate::incidents::device())
        .await;
    assert_eq!(s, 201, "{body}");
    let software = serde_json::json!({"model_id": "liver-seg@2.3.0", "from": "2025-03-01"});
    let (s, body) = app
        .post(
            "/api/v1/devices/++EVIGILLIVERSEG01/software",
            regulatory,
            &software,
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let incident = serde_json::json!({"model_id": "liver-seg@2.3.0", "title": "Under-segmentation",
        "description": "Mean Dice fell after a scanner update.", "site_ids": ["site-a"],
        "seriousness": "other_reportable", "reason": "segmentation quality could delay diagnosis",
        "awareness_date": crate::support::test_now().date_naive().to_string()});
    let (s, opened) = app.post("/api/v1/incidents", &app.quality, &incident).await;
    assert_eq!(s, 201, "{opened}");
    let id = opened["id"].as_str().expect("incident id").to_string();
    let stage =
        serde_json::json!({"stage": "initial", "fields": crate::incidents::initial_fields()});
    let (s, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/reports"),
            regulatory,
            &stage,
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let trend_model = "liver-trend";
    add_model(
        &*app.store,
        &Actor("cli:test".into()),
        trend_model,
        "1.0.0",
        crate::support::liver_schema(),
        crate::support::test_now(),
    )
    .expect("trend model");
    let plan = include_str!("../../deploy/plans/reference.toml").replace(
        "model = \"liver-seg\"",
        &format!("model = \"{trend_model}\""),
    );
    let res = app
        .client
        .put(format!("{}/api/v1/models/{trend_model}/plan", app.base))
        .bearer_auth(&app.quality)
        .header("Content-Type", "application/toml")
        .body(plan)
        .send()
        .await
        .expect("plan upload");
    assert!(
        res.status().is_success(),
        "{}",
        res.text().await.unwrap_or_default()
    );
    serde_json::json!({
        "/api/v1/alerts/{id}/{action}": {
            "path": {"id": alert.id},
            "body_only_for": {
                "reporting_country": ["action", ["escalate"]],
                "awareness_at": ["action", ["escalate"]]
            }
        },
        // An incident names a registered model version, a day 0 and a reporting country
        // whose holidays the calendar covers; the alert and sites it may name must exist.
        "/api/v1/incidents": {
            "body": {"model_id": "liver-seg@2.3.0", "awareness_date": "2026-11-20",
                "reporting_country": "DE"},
            "drop": ["alert_id", "site_ids", "countries"]
        },
        "/api/v1/incidents/{id}/classify": {"path": {"id": id}},
        "/api/v1/incidents/{id}/reports/{seq}/submission": {"path": {"id": id, "seq": 1}},
        "/api/v1/models/{model}/trend-evaluations": {"path": {"model": trend_model}}
    })
}

/// schemathesis against the live server, once per credential (site key for ingest and masks,
/// quality for plans and alerts, ml for models and shadow runs, regulatory for devices and
/// reports, admin for sites and reads), so that every operation is exercised past its role
/// check; the TOML plan upload goes as text (its example is a valid plan). A bounded budget:
/// a few examples per operation, a fixed seed.
#[actix_web::test]
async fn schemathesis_finds_the_live_api_true_to_its_document() {
    let hooks =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/schemathesis_hooks.py");
    let mut failures = Vec::new();
    for db in databases() {
        let mut settings = settings_for(&db);
        settings.rate_limit_per_second = 10_000;
        settings.rate_limit_burst = 10_000;
        let app = spawn_app_with(&db, settings).await;
        let (_, regulatory) = add_user(
            &*app.store,
            &Actor("cli:test".into()),
            "ra1",
            Role::Regulatory,
            crate::support::test_now(),
        )
        .expect("regulatory user");
        let known = known_resources(&app, &regulatory).await;
        let doc = document(&app).await;
        let groups = operations_by_credential(&doc, &app, &regulatory);
        assert!(
            groups.len() >= 5,
            "site, admin, quality, ml, regulatory: {}",
            groups.len()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        for (token, operations) in groups {
            let mut cmd = Command::new(venv_bin().join("st"));
            cmd.current_dir(dir.path())
                .env("SCHEMATHESIS_HOOKS", &hooks)
                .env("VIGIL_SCHEMATHESIS_KNOWN", known.to_string())
                .args(["run", &format!("{}/api/v1/openapi.json", app.base)])
                .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
                .args(["--phases", "examples,coverage,fuzzing"])
                .args(["--max-examples", "5", "--seed", "7", "--workers", "2"])
                .args(["--generation-database", "none", "--no-color", "--no-shrink"])
                .args(["--header", &format!("Authorization: Bearer {token}")]);
            for id in &operations {
                cmd.args(["--include-operation-id", id]);
            }
            let started = std::time::Instant::now();
            let out = run(cmd).await;
            eprintln!(
                "{}: {} operations in {:?}",
                db.label,
                operations.len(),
                started.elapsed()
            );
            // schemathesis' warnings (operations that refused every generated request, ...)
            // do not fail the run; they are shown so that they can be read and acted on.
            let report = String::from_utf8_lossy(&out.stdout);
            if let Some(warnings) = report.split("= WARNINGS =").nth(1) {
                eprintln!(
                    "{}: warnings:\n{}",
                    db.label,
                    warnings.split("= SUMMARY =").next().unwrap_or(warnings)
                );
            }
            if let Err(report) = clean_run(&out) {
                failures.push(format!(
                    "{} {operations:?}: {report}\n{}",
                    db.label,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
