//! The text rule wherever text arrives, on SQLite and PostgreSQL alike: a string one
//! character over its cap is refused with 422 naming the field (detail code `too_long`),
//! a line break in a one-line field is refused naming it in JSON bodies, the JSON parts of
//! multipart uploads and the console's forms, and nothing is stored. The batch size the
//! document states is the configured one, and the server holds to it.

use serde_json::{Value, json};
use vigil::domain::Role;
use vigil::domain::text_rule::{FREE_TEXT_MAX_CHARS, ONE_LINE_MAX_CHARS};
use vigil::service::admin::{Actor, add_user};

use crate::console_pages::Session;
use crate::support::{TestApp, databases, event, settings_for, spawn_app, spawn_app_with};

fn regulatory(app: &TestApp) -> String {
    let now = crate::support::test_now();
    add_user(
        &*app.store,
        &Actor("cli:test".into()),
        "ra1",
        Role::Regulatory,
        now,
    )
    .expect("regulatory user")
    .1
}

async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let res = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `(status, code, first detail's path, first detail's code)` of an answer.
fn refusal(status: u16, body: &Value) -> (u16, String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let d = &body["details"][0];
    (status, s(&body["code"]), s(&d["path"]), s(&d["code"]))
}

fn too_long(path: &str) -> (u16, String, String, String) {
    (
        422,
        "validation_failed".into(),
        path.into(),
        "too_long".into(),
    )
}

async fn incidents_stored(app: &TestApp) -> usize {
    let (s, list) = app.get("/api/v1/incidents", &app.quality).await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .or_else(|| list["items"].as_array())
        .map_or(0, Vec::len)
}

#[actix_web::test]
async fn text_one_character_over_its_cap_is_refused_naming_the_field() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let ra = regulatory(&app);
        let incident =
            json!({"model_id": "liver-seg@2.3.0", "title": "Drift", "description": "Dice fell."});
        for (field, cap) in [
            ("title", ONE_LINE_MAX_CHARS),
            ("description", FREE_TEXT_MAX_CHARS),
        ] {
            let mut body = incident.clone();
            // Characters, not bytes: `é` is two bytes in UTF-8.
            body[field] = json!("é".repeat(cap + 1));
            let (s, b) = app.post("/api/v1/incidents", &app.quality, &body).await;
            assert_eq!(refusal(s, &b), too_long(field), "{}: {b}", db.label);
        }
        assert_eq!(
            incidents_stored(&app).await,
            0,
            "{}: nothing stored",
            db.label
        );

        let some_id = "5f0c2a53-8d1e-4c55-9a55-0d5c2b8f1e11";
        let stage = json!({"stage": "initial", "fields": {
            "nca_name": "BfArM", "root_causes": "x".repeat(FREE_TEXT_MAX_CHARS + 1)}});
        let path = format!("/api/v1/incidents/{some_id}/reports");
        let (s, b) = app.post(&path, &ra, &stage).await;
        assert_eq!(
            refusal(s, &b),
            too_long("fields.root_causes"),
            "{}: {b}",
            db.label
        );

        let submission = json!({"submitted_on": "2026-12-01", "authority": "B".repeat(201),
            "reference": "DE-2026-4711"});
        let path = format!("/api/v1/incidents/{some_id}/reports/1/submission");
        let (s, b) = app.post(&path, &ra, &submission).await;
        assert_eq!(s, 422, "{}: {b}", db.label);
        assert_eq!(b["details"][0]["path"], "authority", "{}: {b}", db.label);

        let narratives = "/api/v1/reports/narratives/++EVIGILLIVERSEG01/psur/2026-01-01/2026-06-30";
        let long = json!({"fields": {"summary": "p\n".repeat(FREE_TEXT_MAX_CHARS / 2) + "x"}});
        let (s, b) = send(&app, "PUT", narratives, &ra, &long).await;
        assert_eq!(
            refusal(s, &b),
            too_long("fields.summary"),
            "{}: {b}",
            db.label
        );
    }
}

#[actix_web::test]
async fn the_document_states_the_configured_batch_size_and_the_server_holds_to_it() {
    for db in databases() {
        let mut settings = settings_for(&db);
        settings.max_batch_items = 7;
        let app = spawn_app_with(&db, settings).await;
        let (s, doc) = app.get("/api/v1/openapi.json", &app.admin).await;
        assert_eq!(s, 200);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["EventBatch"]["properties"]["events"]["maxItems"], 7);
        assert_eq!(
            schemas["ReviewBatch"]["properties"]["reviews"]["maxItems"],
            7
        );
        let eight: Vec<Value> = (0..8).map(event).collect();
        let (s, b) = app
            .post("/api/v1/events", &app.site_key, &json!({"events": eight}))
            .await;
        assert_eq!(
            refusal(s, &b),
            (
                422,
                "validation_failed".into(),
                "events".into(),
                "batch_size".into()
            ),
            "{}: {b}",
            db.label
        );
        let documented = &doc["paths"]["/api/v1/events"]["post"]["responses"]["422"];
        assert!(documented.is_object(), "422 is documented: {documented}");
        assert_eq!(app.stored_events().await, 0, "{}", db.label);
        let seven: Vec<Value> = (0..7).map(event).collect();
        let (s, b) = app
            .post("/api/v1/events", &app.site_key, &json!({"events": seven}))
            .await;
        assert_eq!(s, 200, "{}: {b}", db.label);
    }
}

async fn multipart(
    app: &TestApp,
    put: bool,
    path: &str,
    parts: Vec<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in parts {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        form = form.part(name.to_string(), part);
    }
    let url = format!("{}{path}", app.base);
    let req = if put {
        app.client.put(url)
    } else {
        app.client.post(url)
    };
    let res = req
        .bearer_auth(&app.ml)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn json_parts_of_uploads_follow_the_newline_rule() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let metadata = json!({"case_ref": "a".repeat(64), "modality": "CT",
            "scanner": "SOMATOM\nForce", "labels_present": [1]});
        let parts = vec![
            ("image", b"not read".to_vec()),
            ("mask", b"not read".to_vec()),
            ("metadata", metadata.to_string().into_bytes()),
        ];
        let (s, b) = multipart(&app, false, "/api/v1/archive/cases", parts).await;
        let want = (
            422,
            "validation_failed".to_string(),
            "metadata.scanner".to_string(),
            "control_character".to_string(),
        );
        assert_eq!(refusal(s, &b), want, "{}: {b}", db.label);
        let (_, cases) = app.get("/api/v1/archive/cases", &app.ml).await;
        let stored = cases
            .as_array()
            .or_else(|| cases["items"].as_array())
            .map_or(0, Vec::len);
        assert_eq!(stored, 0, "{}: nothing stored: {cases}", db.label);

        let spec = json!({"input": {"name": "image\tx"}});
        let parts = vec![
            ("model", b"not read".to_vec()),
            ("spec", spec.to_string().into_bytes()),
        ];
        let path = "/api/v1/models/liver-seg/versions/2.3.0/artifact";
        let (s, b) = multipart(&app, true, path, parts).await;
        assert_eq!(
            (s, b["details"][0]["path"].as_str()),
            (422, Some("spec.input.name")),
            "{}: {b}",
            db.label
        );
    }
}

#[actix_web::test]
async fn console_forms_refuse_a_line_break_in_a_one_line_field() {
    for db in databases() {
        let app = spawn_app(&db).await;
        let qm = Session::start(&app, &app.quality).await;
        let open = [
            ("model_id", "liver-seg@2.3.0"),
            ("title", "Liver under-segmented\nafter the update"),
            ("description", "Three studies.\r\nReported by site A."),
        ];
        let (s, page) = qm.post(&app, "/console/incidents", &open).await;
        assert_eq!(s, 422, "{}: {page}", db.label);
        assert!(
            page.contains("title") && page.contains("validation_failed"),
            "{page}"
        );
        assert!(
            page.contains("<html") || page.contains("<!DOCTYPE"),
            "an HTML page: {page}"
        );
        assert_eq!(
            incidents_stored(&app).await,
            0,
            "{}: nothing stored",
            db.label
        );
        let long = "x".repeat(FREE_TEXT_MAX_CHARS + 1);
        let open = [
            ("model_id", "liver-seg@2.3.0"),
            ("title", "Drift"),
            ("description", long.as_str()),
        ];
        let (s, page) = qm.post(&app, "/console/incidents", &open).await;
        assert_eq!(s, 422, "{}: {page}", db.label);
        assert!(
            page.contains("description") && page.contains("at most"),
            "{page}"
        );
        assert_eq!(
            incidents_stored(&app).await,
            0,
            "{}: nothing stored",
            db.label
        );
    }
}
