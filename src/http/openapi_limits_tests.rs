use super::*;
use crate::domain::text_rule::{FREE_TEXT_MAX_CHARS, ONE_LINE_MAX_CHARS};
use crate::http::openapi_walk_tests::request_schema_nodes;

/// Whether a pattern admits only strings of bounded length (no `*`, `+` or open `{n,}`).
fn bounded_pattern(p: &str) -> bool {
    !(p.contains('*') || p.contains('+') || p.contains(",}"))
}

/// Every string schema a request carries (JSON bodies and the multipart forms), as
/// `"<method> <route> <path>"` with the schema.
fn request_strings(doc: &Value) -> Vec<(String, Value)> {
    // A multipart body declared as one opaque string (archive cases, model artefacts) is
    // binary files plus a JSON part the handler checks; its fields are the properties of a
    // declared form (the mask upload's).
    let admit = |media: &str, schema: &Value| {
        media == "application/json"
            || (media == "multipart/form-data" && !schema["properties"].is_null())
    };
    request_schema_nodes(doc, admit)
        .into_iter()
        .filter(|(_, s)| {
            let ty = &s["type"];
            ty == "string" || ty.as_array().is_some_and(|t| t.contains(&json!("string")))
        })
        .collect()
}

#[test]
fn every_request_string_states_how_long_it_may_be() {
    let doc = crate::http::openapi::document();
    let strings = request_strings(&doc);
    assert!(strings.len() > 50, "{}", strings.len());
    let unbounded: Vec<&String> = strings
        .iter()
        .filter(|(_, s)| {
            let format = s["format"].as_str().unwrap_or_default();
            s["maxLength"].is_null()
                && s["enum"].is_null()
                && s["const"].is_null()
                && !matches!(format, "uuid" | "date" | "date-time" | "binary")
                && !s["pattern"].as_str().is_some_and(bounded_pattern)
        })
        .map(|(at, _)| at)
        .collect();
    assert!(
        unbounded.is_empty(),
        "request strings without maxLength: {unbounded:?}"
    );
}

#[test]
fn caps_come_from_the_types_and_the_text_rule() {
    let doc = crate::http::openapi::document();
    let schema = |name: &str| doc["components"]["schemas"][name]["properties"].clone();
    let stage = schema("StageFields");
    assert_eq!(
        stage["nca_name"]["maxLength"], 200,
        "MIR ncaName string200T"
    );
    assert_eq!(
        stage["nca_report_no"]["maxLength"], 50,
        "MIR ncaReportNo string50T"
    );
    assert_eq!(stage["risk_assessment_results"]["maxLength"], 4000);
    assert_eq!(stage["root_causes"]["maxLength"], FREE_TEXT_MAX_CHARS);
    let incident = schema("NewIncident");
    assert_eq!(incident["description"]["maxLength"], FREE_TEXT_MAX_CHARS);
    assert_eq!(incident["title"]["maxLength"], ONE_LINE_MAX_CHARS);
    assert_eq!(
        schema("SiteRequest")["name"]["maxLength"],
        200,
        "the service's own"
    );
    assert_eq!(schema("Scanner")["model"]["maxLength"], 64);
    let narrative = &schema("NarrativeBody")["fields"]["additionalProperties"];
    assert_eq!(narrative["maxLength"], MAX_NARRATIVE_CHARS);
}

#[test]
fn batch_sizes_follow_the_configuration() {
    let settings = crate::config::Settings {
        max_batch_items: 7,
        ..Default::default()
    };
    let doc = crate::http::openapi::document_for(&settings);
    for (schema, property) in [("EventBatch", "events"), ("ReviewBatch", "reviews")] {
        let batch = &doc["components"]["schemas"][schema]["properties"][property];
        assert_eq!(batch["maxItems"], 7, "{schema}");
        assert_eq!(batch["minItems"], 1, "{schema}");
    }
}
