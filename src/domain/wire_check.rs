//! Field-by-field checks of a JSON body against its wire shape, run before serde parses it, so
//! a refused item names *every* problem (serde stops at the first) with the path of the field
//! itself: a missing `scanner.model` is reported at `events[0].scanner.model`, an unknown key at
//! its own path. Messages say what was expected and never echo the value. The shapes are
//! declared next to the wire types they describe; tests keep the two in step.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

use super::FieldIssue;

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Uuid,
    Text,
    /// RFC 3339 with a UTC offset.
    Time,
    /// A finite JSON number.
    Number,
    Bool,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An object of finite numbers under any keys (declared features).
    NumberMap,
    /// A nested object with these fields.
    Object(&'static [Field]),
    /// An object whose every value is an object with these fields (per-label metrics).
    ObjectMap(&'static [Field]),
}

/// One field of a wire object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub kind: Kind,
}

impl Field {
    pub const fn req(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            required: true,
            kind,
        }
    }

    pub const fn opt(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            required: false,
            kind,
        }
    }
}

/// Check `value` as an object with `fields`; `at` is its path (`events[3]`, or empty for a
/// whole body). Returns every problem found, in field order.
pub fn check_object(
    value: &Value,
    fields: &[Field],
    at: &str,
    index: Option<usize>,
) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    let mut cx = Cx {
        index,
        out: &mut out,
    };
    cx.object(value, fields, at);
    out
}

/// Join a path and a key: `events[0]` + `modality`, or just `modality` at the root.
pub fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// The name a message uses for a path: its last segment.
fn leaf(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

struct Cx<'a> {
    index: Option<usize>,
    out: &'a mut Vec<FieldIssue>,
}

impl Cx<'_> {
    fn push(&mut self, path: String, code: &str, message: String) {
        self.out.push(FieldIssue {
            index: self.index,
            path,
            code: code.into(),
            message,
        });
    }

    fn object(&mut self, value: &Value, fields: &[Field], at: &str) {
        let Value::Object(map) = value else {
            let what = if at.is_empty() { "the body" } else { leaf(at) };
            self.push(
                at.to_string(),
                "invalid_value",
                format!("{what} must be a JSON object"),
            );
            return;
        };
        for key in map.keys() {
            if !fields.iter().any(|f| f.name == key) {
                // Keys of site items were screened for personal data before this runs.
                self.push(
                    join(at, key),
                    "unknown_field",
                    format!("unknown field {key:?}; the protocol refuses unknown fields"),
                );
            }
        }
        for f in fields {
            self.field(map, f, at);
        }
    }

    fn field(&mut self, map: &Map<String, Value>, f: &Field, at: &str) {
        let path = join(at, f.name);
        match map.get(f.name) {
            None if f.required => {
                let msg = format!("{} is required", f.name);
                self.push(path, "missing_field", msg);
            }
            None => {}
            Some(Value::Null) if !f.required => {}
            Some(v) => self.value(v, f.kind, &path),
        }
    }

    fn value(&mut self, v: &Value, kind: Kind, path: &str) {
        let name = leaf(path);
        let problem = match kind {
            Kind::Uuid => v
                .as_str()
                .is_none_or(|s| uuid::Uuid::parse_str(s).is_err())
                .then(|| format!("{name} must be a UUID")),
            Kind::Text => (!v.is_string()).then(|| format!("{name} must be a string")),
            Kind::Time => time_problem(v, name),
            Kind::Number => (!v.is_number()).then(|| format!("{name} must be a number")),
            Kind::Bool => (!v.is_boolean()).then(|| format!("{name} must be true or false")),
            Kind::OneOf(options) => (!v.as_str().is_some_and(|s| options.contains(&s)))
                .then(|| format!("{name} must be one of {}", options.join(", "))),
            Kind::NumberMap => {
                return self.map_of(v, path, |cx, v, p| cx.value(v, Kind::Number, p));
            }
            Kind::Object(fields) => return self.object(v, fields, path),
            Kind::ObjectMap(fields) => {
                return self.map_of(v, path, |cx, v, p| cx.object(v, fields, p));
            }
        };
        if let Some(message) = problem {
            self.push(path.to_string(), "invalid_value", message);
        }
    }

    fn map_of(&mut self, v: &Value, path: &str, each: impl Fn(&mut Self, &Value, &str)) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    each(self, v, &join(path, k));
                }
            }
            _ => {
                let msg = format!("{} must be a JSON object", leaf(path));
                self.push(path.to_string(), "invalid_value", msg);
            }
        }
    }
}

/// What is wrong with a timestamp, said so that the sender can fix it.
fn time_problem(v: &Value, name: &str) -> Option<String> {
    let s = match v.as_str() {
        Some(s) => s,
        None => return Some(format!("{name} must be an RFC 3339 time string")),
    };
    if DateTime::parse_from_rfc3339(s).is_ok() {
        return None;
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").is_ok();
    if local {
        return Some(format!(
            "{name} needs a UTC offset, e.g. 2026-11-19T08:30:00Z"
        ));
    }
    if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return Some(format!(
            "{name} needs a time of day and a UTC offset, e.g. 2026-11-19T08:30:00Z"
        ));
    }
    Some(format!(
        "{name} must be an RFC 3339 time with a UTC offset, e.g. 2026-11-19T08:30:00Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INNER: &[Field] = &[
        Field::req("manufacturer", Kind::Text),
        Field::req("model", Kind::Text),
    ];
    const SHAPE: &[Field] = &[
        Field::req("id", Kind::Uuid),
        Field::req("at", Kind::Time),
        Field::req("scanner", Kind::Object(INNER)),
        Field::opt("kind", Kind::OneOf(&["CT", "MR"])),
        Field::opt("features", Kind::NumberMap),
    ];

    fn paths(v: Value) -> Vec<(String, String, String)> {
        check_object(&v, SHAPE, "events[0]", Some(0))
            .into_iter()
            .map(|i| (i.path, i.code, i.message))
            .collect()
    }

    #[test]
    fn every_problem_is_named_at_the_field_itself() {
        let got = paths(json!({
            "id": "nope", "at": "2026-11-19T08:30:00", "scanner": {"manufacturer": 3},
            "kind": "PET", "features": {"a": "x"}, "serial": 1
        }));
        let want = [
            ("events[0].serial", "unknown_field"),
            ("events[0].id", "invalid_value"),
            ("events[0].at", "invalid_value"),
            ("events[0].scanner.manufacturer", "invalid_value"),
            ("events[0].scanner.model", "missing_field"),
            ("events[0].kind", "invalid_value"),
            ("events[0].features.a", "invalid_value"),
        ];
        let short: Vec<(&str, &str)> = got
            .iter()
            .map(|(p, c, _)| (p.as_str(), c.as_str()))
            .collect();
        assert_eq!(short, want, "{got:?}");
        assert_eq!(got[1].2, "id must be a UUID");
        assert_eq!(got[2].2, "at needs a UTC offset, e.g. 2026-11-19T08:30:00Z");
        assert_eq!(got[5].2, "kind must be one of CT, MR");
    }

    #[test]
    fn a_valid_object_passes_and_values_are_never_echoed() {
        let ok = json!({"id": "3f2b8c1e-0000-4000-8000-000000000001",
            "at": "2026-11-19T09:30:00+01:00", "scanner": {"manufacturer": "GE", "model": "X"},
            "kind": null});
        assert!(paths(ok).is_empty());
        let bad = paths(json!({"id": "SECRET", "at": "SECRET", "scanner": "SECRET"}));
        assert!(bad.iter().all(|(_, _, m)| !m.contains("SECRET")), "{bad:?}");
    }
}
