use super::*;
use crate::http::openapi_walk_tests::request_schema_nodes;

/// Every object schema a JSON request body holds, with where it was found.
fn request_objects(doc: &Value) -> Vec<(String, Value)> {
    request_schema_nodes(doc, |media, _| media == "application/json")
        .into_iter()
        .filter(|(_, s)| s.get("properties").is_some())
        .collect()
}

#[test]
fn every_request_object_states_additional_properties_and_every_id_a_pattern() {
    let doc = crate::http::openapi::document();
    let objects = request_objects(&doc);
    assert!(objects.len() > 20, "{}", objects.len());
    let open: Vec<&String> = objects
        .iter()
        .filter(|(_, s)| s.get("additionalProperties").is_none())
        .map(|(at, _)| at)
        .collect();
    assert!(
        open.is_empty(),
        "request objects without additionalProperties: {open:?}"
    );
    let mut unshaped = Vec::new();
    for (route, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or_default();
                let is_id = name == "id" || name.ends_with("_id") || name == "basic_udi_di";
                if is_id && p["schema"]["pattern"].as_str().is_none() {
                    unshaped.push(format!("{method} {route} {name}"));
                }
                let string = p["schema"]["type"] == "string"
                    || p["schema"]["type"]
                        .as_array()
                        .is_some_and(|t| t.contains(&json!("string")));
                if string
                    && p["schema"]["pattern"].is_null()
                    && p["schema"]["enum"].is_null()
                    && p["schema"]["format"].is_null()
                {
                    unshaped.push(format!("{method} {route} {name} (no text rule)"));
                }
            }
        }
    }
    assert!(
        unshaped.is_empty(),
        "parameters without a pattern: {unshaped:?}"
    );
}

#[test]
fn strings_state_the_text_rule_and_the_services_checks() {
    let doc = crate::http::openapi::document();
    let site = &doc["components"]["schemas"]["SiteRequest"]["properties"];
    assert_eq!(site["id"]["pattern"], IDENTIFIER);
    assert_eq!(site["name"]["maxLength"], 200);
    assert_eq!(
        doc["components"]["schemas"]["EventItem"]["properties"]["case_ref"]["pattern"],
        HEX64
    );
    let scanner = &doc["components"]["schemas"]["Scanner"]["properties"];
    assert_eq!(scanner["manufacturer"]["pattern"], ONE_LINE);
    let device = &doc["components"]["schemas"]["DeviceRequest"]["properties"];
    assert_eq!(device["intended_purpose"]["pattern"], LINES);
    assert_eq!(
        device["mdr_class"]["enum"],
        json!(["I", "IIa", "IIb", "III"])
    );
    let narrative = &doc["components"]["schemas"]["NarrativeBody"]["properties"]["fields"];
    assert_eq!(narrative["additionalProperties"]["pattern"], LINES);
    let id = &doc["paths"]["/api/v1/alerts/{id}"]["get"]["parameters"][0];
    assert_eq!(id["schema"]["pattern"], UUID);
}

/// The patterns mean what `text_guard` enforces, checked with the regex engine the
/// fuzzers use for ECMA 262 (`regex` crate syntax is the same for these classes).
#[test]
fn patterns_match_the_text_guard() {
    let one = regex::Regex::new(ONE_LINE).expect("regex");
    let lines = regex::Regex::new(LINES).expect("regex");
    let blank = regex::Regex::new(NOT_BLANK).expect("regex");
    for ok in ["Klinik Nord", "café", ""] {
        assert!(one.is_match(ok), "{ok:?}");
    }
    for bad in ["a\nb", "a\tb", "a\u{0}b", "a\u{85}b", "a\u{7f}"] {
        assert!(!one.is_match(bad), "{bad:?}");
    }
    assert!(lines.is_match("a\nb\r\n\tc"));
    assert!(!lines.is_match("a\u{0}b") && !lines.is_match("a\u{b}b"));
    assert!(blank.is_match(" x ") && !blank.is_match("   ") && !blank.is_match(""));
}
