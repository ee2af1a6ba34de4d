//! Request schemas that state what the server enforces, so that the schema and the server
//! agree both ways: what a request schema allows, the server accepts (or refuses only for a
//! state reason: 404, 409); what the server refuses with 422, the schema forbids.
//!
//! Applied to the generated document after `openapi_contract::complete`:
//! - every string a request carries (body field, path or query parameter) states the text
//!   rule of `text_guard` as a `pattern`: no control character, except tab and line breaks
//!   in free-text fields (`text_guard::MULTILINE_FIELDS`, `MULTILINE_UNDER`);
//! - ids: `{id}`-style path parameters and `*_id` parameters are UUIDs (a site's id is an
//!   identifier), `format: uuid` fields carry the UUID pattern;
//! - [`FIELD_RULES`]: the lengths, patterns and closed sets the services check (site and
//!   model names, semantic versions, hashed case references, device and manufacturer caps);
//! - every object a request body holds states `additionalProperties`: utoipa writes `false`
//!   for `#[serde(deny_unknown_fields)]`, which every request type carries, and a map (of
//!   features, of narrative sections) states its value schema; the test below keeps it so.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::text_guard;

/// One line of text: no C0 control, DEL or C1 control (`char::is_control`).
pub const ONE_LINE: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";
/// Free text with lines: tab, line feed and carriage return allowed.
pub const LINES: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";
/// One line holding something besides white space (`trim().is_empty()` is refused).
const NOT_BLANK: &str =
    "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$";
/// Free text with lines holding something besides white space.
const LINES_NOT_BLANK: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";
/// A UUID as the server writes it (lower-case, hyphenated).
pub const UUID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
/// A UUID as the wire protocol accepts it (either case).
const UUID_ANY_CASE: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// `domain::site::check_identifier`: 1-64 of `[a-z0-9._-]`, starting alphanumeric.
const IDENTIFIER: &str = "^[a-z0-9][a-z0-9._-]{0,63}$";
/// `domain::model::check_version`.
const SEMVER: &str = "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}([-+][0-9A-Za-z.+-]*)?$";
/// `domain::model::model_id`: `name@version`.
const MODEL_ID: &str =
    "^[a-z0-9][a-z0-9._-]{0,63}@[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}([-+][0-9A-Za-z.+-]*)?$";
/// `privacy::check_case_ref`: an HMAC-SHA-256 in lower-case hex.
const HEX64: &str = "^[0-9a-f]{64}$";
/// ISO 3166-1 alpha-2.
const COUNTRY: &str = "^[A-Z]{2}$";
/// `vigilance::device::udi_ok`: 1-50 printable ASCII characters.
const UDI: &str = "^[!-~]{1,50}$";

/// Keywords of a [`FIELD_RULES`] entry.
fn rule(pattern: &str, min: Option<u64>, max: Option<u64>) -> Value {
    let mut v = json!({"pattern": pattern});
    if let Some(n) = min {
        v["minLength"] = json!(n);
    }
    if let Some(n) = max {
        v["maxLength"] = json!(n);
    }
    v
}

/// `(component schema, property, keywords)`: what the services check beyond the text rule.
fn field_rules() -> Vec<(&'static str, &'static str, Value)> {
    let text = |min, max| rule(NOT_BLANK, Some(min), Some(max));
    let mut out = vec![
        ("SiteRequest", "id", rule(IDENTIFIER, Some(1), Some(64))),
        ("SiteRequest", "name", text(1, 200)),
        ("SiteRequest", "country", rule(COUNTRY, None, None)),
        ("ModelRequest", "name", rule(IDENTIFIER, Some(1), Some(64))),
        ("ModelRequest", "version", rule(SEMVER, Some(5), Some(64))),
        ("EventItem", "case_ref", rule(HEX64, None, None)),
        ("DeviceRequest", "basic_udi_di", rule(UDI, None, None)),
        ("DeviceRequest", "trade_name", text(1, 300)),
        ("DeviceEdit", "trade_name", text(1, 300)),
        (
            "DeviceRequest",
            "emdn_code",
            rule("^[A-Z][0-9]{0,12}$", None, None),
        ),
        (
            "DeviceEdit",
            "emdn_code",
            rule("^[A-Z][0-9]{0,12}$", None, None),
        ),
        (
            "DeviceRequest",
            "notified_body",
            rule("^[0-9]{4}$", None, None),
        ),
        (
            "DeviceEdit",
            "notified_body",
            rule("^[0-9]{4}$", None, None),
        ),
        ("Manufacturer", "name", text(1, 200)),
        ("Manufacturer", "contact_first_name", text(1, 50)),
        ("Manufacturer", "contact_last_name", text(1, 50)),
        ("Manufacturer", "city", text(1, 50)),
        ("Manufacturer", "postcode", text(1, 50)),
        ("Manufacturer", "phone", text(1, 50)),
        ("Manufacturer", "email", text(1, 255)),
        ("Manufacturer", "country", rule(COUNTRY, None, None)),
    ];
    // `service::incidents::decide`: a seriousness class or `not_reportable`, and a reason.
    out.push((
        "Classification",
        "class",
        json!({"enum": CLASSIFICATION_CLASSES}),
    ));
    out.push((
        "Classification",
        "reason",
        rule(LINES_NOT_BLANK, Some(1), None),
    ));
    // `service::incident_reports::record_submission`: both present.
    for property in ["authority", "reference"] {
        out.push((
            "SubmissionRequest",
            property,
            rule(NOT_BLANK, Some(1), None),
        ));
    }
    out.push((
        "NewIncident",
        "description",
        rule(LINES_NOT_BLANK, Some(1), None),
    ));
    for schema in ["DeviceRequest", "DeviceEdit"] {
        out.push((
            schema,
            "mdr_class",
            json!({"enum": ["I", "IIa", "IIb", "III"]}),
        ));
        out.push((schema, "udi_dis", json!({"items": {"pattern": UDI}})));
    }
    out
}

/// What a classification's `class` takes (`Seriousness` and `not_reportable`).
const CLASSIFICATION_CLASSES: [&str; 5] = [
    "serious_public_health_threat",
    "death",
    "unanticipated_serious_deterioration",
    "other_reportable",
    "not_reportable",
];

/// Path and query parameters with a closed set or a shape of their own.
fn parameter_rule(path: &str, name: &str) -> Option<Value> {
    match (path, name) {
        ("/api/v1/sites/{id}/key", "id") => Some(json!({"pattern": IDENTIFIER})),
        ("/api/v1/alerts/{id}/{action}", "action") => {
            Some(json!({"enum": ["acknowledge", "resolve", "escalate"]}))
        }
        (_, "basic_udi_di") => Some(json!({"pattern": UDI})),
        (_, "model_id") => Some(json!({"pattern": MODEL_ID})),
        (_, "id" | "review_id" | "event_id") => Some(json!({"pattern": UUID})),
        (_, n) if n.ends_with("_id") => Some(json!({"pattern": UUID})),
        _ => None,
    }
}

/// Tighten the request schemas of the completed document in place.
pub fn tighten(doc: &mut Value) {
    let mut edits: BTreeMap<String, Value> = BTreeMap::new();
    for (schema, property, keywords) in field_rules() {
        let ptr = format!("/components/schemas/{schema}/properties/{property}");
        if doc.pointer(&ptr).is_some() {
            edits.insert(ptr, keywords);
        }
    }
    let mut text: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut lengths: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (route, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Some(content) = op
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                else {
                    continue;
                };
                if let Some(schema) = content
                    .get("application/json")
                    .and_then(|c| c.get("schema"))
                {
                    let at = format!(
                        "/paths/{}/{method}/requestBody/content/application~1json/schema",
                        escape(route)
                    );
                    let mut walk = Walk {
                        doc,
                        route,
                        text: &mut text,
                        lengths: &mut lengths,
                        depth: 0,
                    };
                    walk.schema(schema, &at, "");
                }
            }
        }
    }
    for (ptr, pattern) in text {
        edits
            .entry(ptr)
            .or_insert_with(|| json!({"pattern": pattern}));
    }
    for (ptr, keywords) in edits {
        if let Some(target) = doc.pointer_mut(&ptr).and_then(Value::as_object_mut) {
            merge(target, &keywords);
        }
    }
    for name in EXTERNALLY_TAGGED {
        let ptr = format!("/components/schemas/{name}/oneOf");
        for variant in doc
            .pointer_mut(&ptr)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if variant.get("properties").is_some() {
                variant["additionalProperties"] = json!(false);
            }
        }
    }
    tighten_parameters(doc);
    super::openapi_limits::state_caps(doc, lengths);
}

/// Request enums serde reads externally tagged (`{"first_days": 30}`): each variant is an
/// object of exactly its one key, which utoipa leaves open.
const EXTERNALLY_TAGGED: &[&str] = &["FreezeSpec"];

/// Merge `keywords` into `target`, recursing into `items`.
fn merge(target: &mut Map<String, Value>, keywords: &Value) {
    for (k, v) in keywords.as_object().into_iter().flatten() {
        match (k.as_str(), target.get_mut(k)) {
            ("items", Some(Value::Object(items))) => merge(items, v),
            _ => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    if target.contains_key("enum") {
        target.remove("pattern");
    }
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// A walk through one request body's schema, collecting the text pattern of every string
/// (by JSON pointer).
struct Walk<'a> {
    doc: &'a Value,
    route: &'a str,
    text: &'a mut BTreeMap<String, &'static str>,
    /// The text rule's length cap of every string, by pointer.
    lengths: &'a mut BTreeMap<String, usize>,
    depth: usize,
}

impl Walk<'_> {
    /// `schema` found at pointer `at`, for the body field at `path` (text_guard's spelling).
    fn schema(&mut self, schema: &Value, at: &str, path: &str) {
        if self.depth > 24 {
            return;
        }
        self.depth += 1;
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let ptr = r.trim_start_matches('#').to_string();
            if let Some(target) = self.doc.pointer(&ptr) {
                self.schema(target, &ptr, path);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for (i, part) in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.schema(part, &format!("{at}/{key}/{i}"), path);
            }
        }
        let ty = schema.get("type");
        let is = |t: &str| {
            ty == Some(&json!(t))
                || ty
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.contains(&json!(t)))
        };
        let format = schema.get("format").and_then(Value::as_str);
        let unbounded = !matches!(format, Some("uuid" | "date" | "date-time" | "binary"));
        if is("string") && schema.get("enum").is_none() && unbounded {
            let cap = crate::domain::text_rule::max_chars(self.route, path);
            self.lengths.entry(at.to_string()).or_insert(cap);
        }
        if is("string") && schema.get("enum").is_none() && schema.get("pattern").is_none() {
            let pattern = match schema.get("format").and_then(Value::as_str) {
                Some("uuid") => Some(UUID_ANY_CASE),
                Some("date" | "date-time" | "binary" | "byte") => None,
                _ if text_guard::allows_lines(self.route, path) => Some(LINES),
                _ => Some(ONE_LINE),
            };
            if let Some(p) = pattern {
                self.text.entry(at.to_string()).or_insert(p);
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                self.schema(v, &format!("{at}/properties/{}", escape(k)), &child);
            }
        }
        if let Some(items) = schema.get("items") {
            self.schema(items, &format!("{at}/items"), &format!("{path}[0]"));
        }
        if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let child = if path.is_empty() {
                "key".to_string()
            } else {
                format!("{path}.key")
            };
            self.schema(extra, &format!("{at}/additionalProperties"), &child);
        }
        self.depth -= 1;
    }
}

/// Whether a schema is a string, or an optional one (`["string", "null"]`).
fn is_string(schema: &Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// Path and query parameters: ids get their shape, closed sets their enum, every other
/// string the one-line rule (`text_guard` refuses control characters there).
fn tighten_parameters(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (route, item) in paths.iter_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            for p in op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) else {
                    continue;
                };
                if !is_string(schema) {
                    continue;
                }
                if let Some(keywords) = parameter_rule(route, &name) {
                    merge(schema, &keywords);
                } else if !schema.contains_key("format") && !schema.contains_key("enum") {
                    schema.entry("pattern").or_insert(json!(ONE_LINE));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "openapi_strict_tests.rs"]
mod tests;
