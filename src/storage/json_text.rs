//! JSON kept as text (hashed or signed exactly as written) but answered as JSON: a field with
//! `#[serde(serialize_with = "json_text::as_json")]` reaches clients as the object it holds,
//! never as JSON encoded in a string.

use serde::{Serialize, Serializer};

/// Serialize stored JSON text as the JSON value it holds; text that is not JSON (which the
/// writers never store) stays a string rather than failing the whole answer.
pub fn as_json<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v.serialize(s),
        Err(_) => s.serialize_str(text),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Held {
        #[serde(serialize_with = "super::as_json")]
        body: String,
    }

    #[test]
    fn json_text_is_answered_as_json() {
        let held = Held {
            body: r#"{"cases":[1,2],"model":"m"}"#.into(),
        };
        let v = serde_json::to_value(&held).unwrap();
        assert_eq!(v["body"]["cases"][1], 2);
        let odd = Held {
            body: "not json".into(),
        };
        assert_eq!(serde_json::to_value(&odd).unwrap()["body"], "not json");
    }
}
