//! What the annotations leave out, completed on the generated document so that it holds as a
//! contract (openapi-spec-validator accepts it; schemathesis finds every status and body it
//! meets documented): parameters that are not in the path template are query parameters;
//! every operation lists each error status it can answer with the `ErrorBody` schema; the
//! mask upload declares its multipart form beside the JSON one; the plan upload declares
//! `text/plain` beside `application/toml` (the server takes both) with a valid plan as its
//! example, so that fuzzers, which have a text serializer, exercise it.
//!
//! Which errors an operation can answer follows from its shape, as the middleware and
//! extractors do: with a credential 401, 403 and 429; with a body 400, 413, 415 and 422;
//! with path or query parameters 400, 404 and 422 (control characters, malformed ids);
//! every route that reaches the database 503; writes 409.

use serde_json::{Map, Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Routes that touch no database (503 is not theirs to answer).
const NO_DATABASE: &[&str] = &["/healthz", "/api/v1/openapi.json"];

/// Complete the generated document in place.
pub fn complete(doc: &mut Value) {
    if let Some(upload) = doc.pointer_mut("/components/schemas/RleUpload") {
        merge_all_of(upload);
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                place_parameters(path, op);
                document_errors(path, method, op);
                if path == "/api/v1/reviews/{review_id}/masks" {
                    declare_multipart_masks(op);
                }
                if path == "/api/v1/models/{model}/plan" && method == "put" {
                    declare_plan_upload(op);
                }
                if path == "/api/v1/alerts/{id}/{action}" {
                    declare_moved_alert(op);
                }
            }
        }
    }
}

/// `{name}` in the template is a path parameter; every other parameter is a query one.
fn place_parameters(path: &str, op: &mut Map<String, Value>) {
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for p in params.iter_mut() {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        if p["in"] == "path" && !path.contains(&format!("{{{name}}}")) {
            p["in"] = json!("query");
        }
        if p["in"] == "path" {
            p["required"] = json!(true);
        }
    }
}

/// The error statuses an operation of this shape can answer.
fn error_statuses(path: &str, method: &str, op: &Map<String, Value>) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    let params = op.get("parameters").and_then(Value::as_array);
    let has = |place: &str| params.is_some_and(|ps| ps.iter().any(|p| p["in"] == place));
    let secured = op.get("security").is_some() || path == "/metrics";
    if op.contains_key("requestBody") {
        out.extend([
            (400, "malformed body"),
            (413, "body too large"),
            (415, "wrong content type"),
            (422, "the body was refused; details name the fields"),
        ]);
    }
    if has("query") {
        out.extend([
            (400, "malformed query"),
            (422, "a query parameter was refused"),
        ]);
    }
    if has("path") {
        out.extend([
            (404, "no such resource (or a malformed id)"),
            (422, "a path segment holds a control character"),
        ]);
    }
    if secured {
        out.push((401, "no valid credential"));
    }
    if op.get("security").is_some() {
        out.extend([
            (403, "the credential's role may not call this route"),
            (429, "rate limited; see Retry-After"),
        ]);
    }
    if matches!(method, "post" | "put") && op.contains_key("requestBody") {
        out.push((409, "conflicts with what is stored"));
    }
    if !NO_DATABASE.contains(&path) {
        out.push((503, "the database is unavailable or did not answer in time"));
    }
    out
}

fn document_errors(path: &str, method: &str, op: &mut Map<String, Value>) {
    let statuses = error_statuses(path, method, op);
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else { return };
    let error_body =
        json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}});
    for (status, description) in statuses {
        let entry = responses
            .entry(status.to_string())
            .or_insert_with(|| json!({"description": description}));
        if entry.get("content").is_none() {
            entry["content"] = error_body.clone();
        }
        if entry
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            entry["description"] = json!(description);
        }
    }
}

/// `#[serde(flatten)]` comes out as `allOf` of two closed objects, which no body satisfies
/// (each part refuses the other's keys): merge them into one closed object.
fn merge_all_of(schema: &mut Value) {
    let Some(parts) = schema.get("allOf").and_then(Value::as_array).cloned() else {
        return;
    };
    let (mut properties, mut required) = (Map::new(), Vec::new());
    for part in &parts {
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().cloned());
        }
    }
    let description = schema.get("description").cloned();
    *schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if let Some(d) = description {
        schema["description"] = d;
    }
}

/// The multipart form of the mask upload, beside the run-length JSON one.
fn declare_multipart_masks(op: &mut Map<String, Value>) {
    let Some(content) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    content.insert(
        "multipart/form-data".into(),
        json!({"schema": {
            "type": "object",
            "required": ["prediction", "reference"],
            "properties": {
                "prediction": {"type": "string", "format": "binary", "description": "NIfTI-1/2 (.nii or .nii.gz)"},
                "reference": {"type": "string", "format": "binary", "description": "NIfTI-1/2 (.nii or .nii.gz)"},
                "options": {
                    "type": "string",
                    "maxLength": crate::domain::text_rule::ONE_LINE_MAX_CHARS,
                    "description": "JSON {label?, nsd_tolerances_mm?}"
                }
            }
        }}),
    );
}

/// An alert move answers the moved alert; only an escalation adds the incident it opened.
fn declare_moved_alert(op: &mut Map<String, Value>) {
    if let Some(schema) = op
        .get_mut("responses")
        .and_then(|r| r.pointer_mut("/200/content/application~1json/schema"))
    {
        *schema = json!({"anyOf": [
            {"$ref": "#/components/schemas/Escalated"},
            {"$ref": "#/components/schemas/Alert"}
        ]});
    }
}

/// The smallest useful plan (for `liver-seg`), the upload's example.
const PLAN_EXAMPLE: &str = include_str!("../../deploy/plans/minimal.toml");

/// The plan upload as TOML under either media type the server takes, with an example.
fn declare_plan_upload(op: &mut Map<String, Value>) {
    let media = json!({"schema": {"type": "string", "minLength": 1}, "example": PLAN_EXAMPLE});
    if let Some(body) = op.get_mut("requestBody") {
        body["content"] = json!({"application/toml": media.clone(), "text/plain": media});
    }
    let params = op.get_mut("parameters").and_then(Value::as_array_mut);
    for p in params.into_iter().flatten() {
        if p["name"] == "model" {
            p["example"] = json!("liver-seg");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_outside_the_template_become_query_parameters() {
        let mut doc = json!({"paths": {"/a/{id}": {"get": {
            "parameters": [{"name": "id", "in": "path"}, {"name": "since", "in": "path"}],
            "security": [{"bearer": []}],
            "responses": {"200": {"description": "ok"}}
        }}}});
        complete(&mut doc);
        let op = &doc["paths"]["/a/{id}"]["get"];
        assert_eq!(op["parameters"][0]["in"], "path");
        assert_eq!(op["parameters"][1]["in"], "query");
        for status in ["400", "401", "403", "404", "422", "429", "503"] {
            assert!(op["responses"][status].is_object(), "{status} missing");
        }
        assert!(op["responses"]["413"].is_null(), "no body, no 413");
    }

    #[test]
    fn flattened_closed_objects_merge_into_one_satisfiable_object() {
        let mut doc = json!({"components": {"schemas": {"RleUpload": {"allOf": [
            {"type": "object", "properties": {"label": {}}, "additionalProperties": false},
            {"type": "object", "properties": {"prediction": {}}, "required": ["prediction"],
             "additionalProperties": false}
        ]}}}});
        complete(&mut doc);
        let merged = &doc["components"]["schemas"]["RleUpload"];
        assert!(merged["allOf"].is_null());
        assert!(merged["properties"]["label"].is_object());
        assert_eq!(merged["required"], json!(["prediction"]));
    }
}
