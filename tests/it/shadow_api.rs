//! Shadow evaluation end to end through HTTP on every backend: artefact upload (refusals with
//! ONNX Runtime's reason), the reviewed-case archive (header checks, erasure removing blobs),
//! a shadow run as a job with its dossier, and promotion (refused without a passing run,
//! audited with one or with an admin override). Needs `ORT_DYLIB_PATH` (see .ci/run).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use vigil::blobs::{BlobKey, BlobStore, DirBlobStore};
use vigil::http::AppState;
use vigil::service::admin::{Actor, add_model};
use vigil::service::{Clock, FixedClock};
use vigil::storage::shadow::ModelRole;

use crate::support::{TestApp, databases, liver_schema, settings_for, spawn_app_with, test_now};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shadow")
}

pub fn file(rel: &str) -> Vec<u8> {
    std::fs::read(dir().join(rel)).unwrap()
}

async fn multipart(
    app: &TestApp,
    put: bool,
    path: &str,
    token: &str,
    parts: Vec<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in parts {
        form = form.part(
            name.to_string(),
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    let url = format!("{}{path}", app.base);
    let req = if put {
        app.client.put(url)
    } else {
        app.client.post(url)
    };
    let resp = req.bearer_auth(token).multipart(form).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let resp = app
        .client
        .delete(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn cases() -> Vec<Value> {
    serde_json::from_slice(&file("cases.json")).unwrap()
}

fn metadata(case: &Value) -> Vec<u8> {
    let stratum = case["stratum"].as_str().unwrap();
    json!({"case_ref": case["case_ref"], "modality": "CT", "scanner": stratum, "labels_present": [1, 2]})
        .to_string()
        .into_bytes()
}

const ARTIFACT: &str = "/api/v1/models/liver-seg/versions/{v}/artifact";

pub async fn upload(app: &TestApp, version: &str, model: &str, spec: Vec<u8>) -> (u16, Value) {
    let path = ARTIFACT.replace("{v}", version);
    multipart(
        app,
        true,
        &path,
        &app.ml,
        vec![("model", file(model)), ("spec", spec)],
    )
    .await
}

pub async fn archive_everything(app: &TestApp) {
    for case in cases() {
        let parts = vec![
            ("image", file(case["image"].as_str().unwrap())),
            ("mask", file(case["mask"].as_str().unwrap())),
            ("metadata", metadata(&case)),
        ];
        let (s, body) = multipart(app, false, "/api/v1/archive/cases", &app.ml, parts).await;
        assert_eq!(s, 201, "{body}");
    }
}

async fn refused_archive_uploads(app: &TestApp) {
    let case = &cases()[0];
    let mut image = gunzip(&file(case["image"].as_str().unwrap()));
    image[148] = b'x'; // descrip, NIfTI-1 offset 148
    let mask = file(case["mask"].as_str().unwrap());
    let parts = vec![
        ("image", image),
        ("mask", mask.clone()),
        ("metadata", metadata(case)),
    ];
    let (s, body) = multipart(app, false, "/api/v1/archive/cases", &app.ml, parts).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (422, Some("free_text_in_header")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("descrip"),
        "{body}"
    );
    let mut short = gunzip(&mask);
    short[42] = 39; // dim[1]: 40 -> 39
    let image = file(case["image"].as_str().unwrap());
    let parts = vec![
        ("image", image),
        ("mask", short),
        ("metadata", metadata(case)),
    ];
    let (s, body) = multipart(app, false, "/api/v1/archive/cases", &app.ml, parts).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (422, Some("shape_mismatch")),
        "{body}"
    );
}

/// Run queued jobs on a blocking thread of this process, as a worker would; the server keeps
/// answering meanwhile.
pub async fn run_jobs(app: &TestApp, blob_dir: &Path, db: &crate::support::TestDb) {
    let mut settings = settings_for(db);
    settings.blob_dir = blob_dir.to_string_lossy().into_owned();
    let clock = Arc::new(FixedClock::at(test_now())) as Arc<dyn Clock>;
    let mut state = AppState::new(app.store.clone(), Arc::new(settings), clock);
    state.jobs = Arc::new(vigil::app::job_registry(&state));
    let ran = actix_web::rt::task::spawn_blocking(move || {
        state.runner("test-runner").run_until_idle().unwrap()
    });
    assert!(ran.await.unwrap() >= 1);
}

#[actix_web::test]
async fn a_candidate_is_shadow_evaluated_promoted_and_a_case_erased() {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("ORT_DYLIB_PATH is not set: skipping (see .ci/run)");
        return;
    }
    for db in databases() {
        let blob_dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.blob_dir = blob_dir.path().to_string_lossy().into_owned();
        let app = spawn_app_with(&db, settings).await;
        add_model(
            &*app.store,
            &Actor("cli:test".into()),
            "liver-seg",
            "2.4.0",
            liver_schema(),
            test_now(),
        )
        .unwrap();
        let spec = file("spec.json");

        let (s, body) = upload(&app, "2.3.0", "models/deployed.onnx", spec.clone()).await;
        assert_eq!(s, 200, "{}: {body}", db.label);
        let (s, body) = upload(&app, "2.4.0", "cases.json", spec.clone()).await;
        assert_eq!(
            (s, body["code"].as_str()),
            (422, Some("invalid_model")),
            "{body}"
        );
        let wrong = String::from_utf8(spec.clone())
            .unwrap()
            .replace("\"probs\"", "\"logits\"");
        let (s, body) = upload(
            &app,
            "2.4.0",
            "models/candidate_better.onnx",
            wrong.into_bytes(),
        )
        .await;
        assert_eq!(
            (s, body["code"].as_str()),
            (422, Some("spec_mismatch")),
            "{body}"
        );
        let (s, body) = upload(&app, "2.4.0", "models/candidate_better.onnx", spec.clone()).await;
        assert_eq!(s, 200, "{body}");

        // The first deployment: no run can justify it, an admin override with a reason does.
        let promote = |v: &str| format!("/api/v1/models/liver-seg/versions/{v}/promote");
        let (s, body) = app.post(&promote("2.3.0"), &app.ml, &json!({})).await;
        assert_eq!(
            (s, body["code"].as_str()),
            (422, Some("no_passing_shadow_run")),
            "{body}"
        );
        let reason =
            json!({"override_reason": "first deployment, validated in the clinical study"});
        let (s, body) = app.post(&promote("2.3.0"), &app.admin, &reason).await;
        assert_eq!(s, 200, "{body}");

        refused_archive_uploads(&app).await;
        archive_everything(&app).await;
        let (s, list) = app
            .get("/api/v1/archive/cases?stratum=scanner-c", &app.quality)
            .await;
        assert_eq!((s, list.as_array().unwrap().len()), (200, 4), "{list}");

        let profile = json!({"name": "edge", "memory_limit_mib": 512, "latency_budget_ms": 5000});
        let req = json!({"candidate": {"model": "liver-seg", "version": "2.4.0"}, "margin": 0.05, "profile": profile});
        let (s, job) = app.post("/api/v1/shadow-runs", &app.ml, &req).await;
        assert_eq!(s, 202, "{job}");
        let run_path = format!("/api/v1/shadow-runs/{}", job["id"].as_str().unwrap());
        let (_, queued) = app.get(&run_path, &app.ml).await;
        assert_eq!(queued["run"]["state"], "queued");
        run_jobs(&app, blob_dir.path(), &db).await;
        let (s, done) = app.get(&run_path, &app.ml).await;
        assert_eq!(
            (s, done["run"]["state"].as_str()),
            (200, Some("succeeded")),
            "{done}"
        );
        assert_eq!(done["run"]["progress"]["done"], 12);
        let dossier = &done["dossier"];
        assert_eq!(dossier["passed"], true, "{dossier}");
        assert_eq!(dossier["cases"].as_array().unwrap().len(), 12);
        assert_eq!(done["run"]["result"]["passed"], true);
        let key = BlobKey::parse(done["run"]["result_blob"].as_str().unwrap()).unwrap();
        let blobs = DirBlobStore::new(blob_dir.path().to_str().unwrap());
        assert!(blobs.exists(&key).unwrap());

        let (s, body) = app.post(&promote("2.4.0"), &app.ml, &json!({})).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["justification"]["shadow_run"], job["id"]);
        let old = app
            .store
            .artifact(
                &app.store
                    .find_model("liver-seg", "2.3.0")
                    .unwrap()
                    .unwrap()
                    .id,
            )
            .unwrap()
            .unwrap();
        assert_eq!(old.role, ModelRole::Retired);
        let actions: Vec<String> = app
            .store
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions.iter().filter(|a| *a == "model.promote").count(),
            2,
            "{actions:?}"
        );

        let case_ref = cases()[0]["case_ref"].as_str().unwrap().to_string();
        let stored = app.store.archive_case(&case_ref).unwrap().unwrap();
        let (s, body) = delete(&app, &format!("/api/v1/archive/cases/{case_ref}"), &app.ml).await;
        assert_eq!(
            (s, body["blobs_removed"].as_u64()),
            (200, Some(2)),
            "{body}"
        );
        assert!(
            !blobs
                .exists(&BlobKey::parse(&stored.image_sha256).unwrap())
                .unwrap()
        );
        let (s, _) = app
            .get(&format!("/api/v1/archive/cases/{case_ref}"), &app.ml)
            .await;
        assert_eq!(s, 404);
        let erased = app
            .store
            .audit_entries()
            .unwrap()
            .into_iter()
            .any(|e| e.action == "archive.erase" && e.target == case_ref);
        assert!(erased, "{}", db.label);
    }
}

#[actix_web::test]
async fn the_openapi_document_lists_the_shadow_routes() {
    let db = crate::support::sqlite_db();
    let app = crate::support::spawn_app(&db).await;
    let (_, doc) = app.get("/api/v1/openapi.json", &app.quality).await;
    for (path, method) in [
        ("/api/v1/models/{model}/versions/{version}/artifact", "put"),
        ("/api/v1/models/{model}/versions/{version}/promote", "post"),
        ("/api/v1/archive/cases", "post"),
        ("/api/v1/archive/cases", "get"),
        ("/api/v1/archive/cases/{case_ref}", "get"),
        ("/api/v1/archive/cases/{case_ref}", "delete"),
        ("/api/v1/shadow-runs", "post"),
        ("/api/v1/shadow-runs/{id}", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "missing {method} {path}"
        );
    }
    let upload = &doc["paths"]["/api/v1/archive/cases"]["post"]["requestBody"]["content"];
    assert!(upload["multipart/form-data"].is_object(), "{upload}");
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ShadowRunRequest",
        "ModelArtifact",
        "ArchiveCase",
        "PromoteRequest",
    ] {
        assert!(schemas[name].is_object(), "missing schema {name}");
    }
    let request = &schemas["ShadowRunRequest"]["properties"];
    for field in [
        "candidate",
        "archived_from",
        "only_retraining_cases",
        "profile",
    ] {
        assert!(request[field].is_object(), "missing {field} in {request}");
    }
}
