//! Test support for the OpenAPI document walks (`openapi_strict` and `openapi_limits` tests):
//! every schema node the request bodies hold, following `$ref`s.

use serde_json::Value;

/// Each schema node of the request bodies that `admit(media type, body schema)` lets in, with
/// where it was found (`"<method> <route>"`, then `.property`, `.items`,
/// `.additionalProperties`; a `$ref` or an `allOf`/`oneOf`/`anyOf` member keeps its parent's
/// place).
pub(crate) fn request_schema_nodes(
    doc: &Value,
    admit: impl Fn(&str, &Value) -> bool,
) -> Vec<(String, Value)> {
    fn walk(doc: &Value, s: &Value, at: &str, out: &mut Vec<(String, Value)>, depth: usize) {
        if depth > 24 {
            return;
        }
        out.push((at.to_string(), s.clone()));
        if let Some(r) = s.get("$ref").and_then(Value::as_str)
            && let Some(t) = doc.pointer(r.trim_start_matches('#'))
        {
            walk(doc, t, at, out, depth + 1);
        }
        for (k, v) in s["properties"].as_object().into_iter().flatten() {
            walk(doc, v, &format!("{at}.{k}"), out, depth + 1);
        }
        for key in ["items", "additionalProperties"] {
            if let Some(v) = s.get(key).filter(|v| v.is_object()) {
                walk(doc, v, &format!("{at}.{key}"), out, depth + 1);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for v in s[key].as_array().into_iter().flatten() {
                walk(doc, v, at, out, depth + 1);
            }
        }
    }
    let mut out = Vec::new();
    for (route, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for (media, c) in op
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if admit(media, &c["schema"]) {
                    walk(doc, &c["schema"], &format!("{method} {route}"), &mut out, 0);
                }
            }
        }
    }
    out
}
