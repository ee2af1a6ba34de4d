//! JSON numbers with the fixtures' convention for non-finite values: NaN and the infinities are
//! written as the strings "NaN", "Infinity" and "-Infinity", in requests and results alike.

use serde_json::Value;

use super::StatsError;

/// Encode an f64 as JSON, non-finite values as their conventional strings.
pub fn to_json(x: f64) -> Value {
    if x.is_nan() {
        Value::from("NaN")
    } else if x == f64::INFINITY {
        Value::from("Infinity")
    } else if x == f64::NEG_INFINITY {
        Value::from("-Infinity")
    } else {
        Value::from(x)
    }
}

/// Decode a JSON number, or one of the conventional strings, as f64.
pub fn from_json(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// Read field `name` of a request object as f64, with a clear error when missing or wrong.
pub fn field_f64(req: &Value, name: &str) -> Result<f64, StatsError> {
    let v = req
        .get(name)
        .ok_or_else(|| StatsError::invalid(format!("missing field {name:?}")))?;
    from_json(v).ok_or_else(|| StatsError::invalid(format!("field {name:?} must be a number")))
}

/// Read field `name` as a vector of f64.
pub fn field_vec(req: &Value, name: &str) -> Result<Vec<f64>, StatsError> {
    let v = req
        .get(name)
        .ok_or_else(|| StatsError::invalid(format!("missing field {name:?}")))?;
    let arr = v
        .as_array()
        .ok_or_else(|| StatsError::invalid(format!("field {name:?} must be an array")))?;
    arr.iter()
        .map(|x| {
            from_json(x)
                .ok_or_else(|| StatsError::invalid(format!("field {name:?} must hold numbers")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_round_trip_as_strings() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.5] {
            let back = from_json(&to_json(x)).unwrap();
            assert!(back.to_bits() == x.to_bits() || (x.is_nan() && back.is_nan()));
        }
        assert_eq!(to_json(f64::INFINITY), Value::from("Infinity"));
        assert_eq!(from_json(&Value::from("inf")), None);
    }
}
