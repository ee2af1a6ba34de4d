//! JSON shapes of the results: labels as integers when they are whole numbers, and NSD as an
//! object keyed by the tolerance written the shortest way ("1", "1.5").

use serde::Serializer;
use serde::ser::SerializeMap;

/// A label value: `3` rather than `3.0` for whole numbers, so clients can match integer ids.
pub(crate) fn label<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => s.serialize_i64(*v as i64),
        Some(v) => s.serialize_f64(*v),
        None => s.serialize_none(),
    }
}

/// The key of a tolerance: Rust's shortest round-trip formatting, so 1.0 -> "1", 1.5 -> "1.5".
pub fn tolerance_key(t: f64) -> String {
    format!("{t}")
}

/// NSD values as `{"1": 0.93, "2": 0.98}` in the order the tolerances were requested.
pub(crate) fn nsd<S: Serializer>(values: &[(f64, f64)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(values.len()))?;
    for (t, v) in values {
        map.serialize_entry(&tolerance_key(*t), v)?;
    }
    map.end()
}
