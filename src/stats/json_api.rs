//! `vigil stats` request dispatcher: `{"function": name, ...scipy kwargs}` -> result object.
//! Requests are strict: an unknown key is refused (`invalid_request`) rather than ignored, so
//! a misspelt option can never silently fall back to a default in a regulatory record.
//! Omitted options take scipy's (or statsmodels') defaults.

use serde_json::{Map, Value};

use super::StatsError;
use super::alternative::Alternative;
use super::json_num::{field_f64, field_vec};

/// Run one request. Functions of the drift family are delegated to `json_api_drift`.
pub fn dispatch(req: &Value) -> Result<Value, StatsError> {
    if !req.is_object() {
        return Err(StatsError::invalid("request must be a JSON object"));
    }
    let name = req
        .get("function")
        .and_then(Value::as_str)
        .ok_or_else(|| StatsError::invalid("missing string field \"function\""))?;
    if let Some(result) = super::json_api_drift::dispatch(name, req) {
        return result;
    }
    super::json_api_hypothesis::dispatch(name, req)
        .unwrap_or_else(|| Err(StatsError::unknown_function(name)))
}

/// Refuse any key of `req` other than `function` and `allowed`.
pub fn check_keys(req: &Value, allowed: &[&str]) -> Result<(), StatsError> {
    let obj: &Map<String, Value> = req
        .as_object()
        .ok_or_else(|| StatsError::invalid("request must be a JSON object"))?;
    for key in obj.keys() {
        if key != "function" && !allowed.contains(&key.as_str()) {
            return Err(StatsError::invalid(format!(
                "unknown key {key:?}; allowed: {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// Optional boolean field with a default.
pub fn opt_bool(req: &Value, name: &str, default: bool) -> Result<bool, StatsError> {
    match req.get(name) {
        None => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| StatsError::invalid(format!("field {name:?} must be a boolean"))),
    }
}

/// Optional string field with a default.
pub fn opt_str<'a>(req: &'a Value, name: &str, default: &'a str) -> Result<&'a str, StatsError> {
    match req.get(name) {
        None => Ok(default),
        Some(v) => v
            .as_str()
            .ok_or_else(|| StatsError::invalid(format!("field {name:?} must be a string"))),
    }
}

/// Optional numeric field with a default.
pub fn opt_f64(req: &Value, name: &str, default: f64) -> Result<f64, StatsError> {
    match req.get(name) {
        None => Ok(default),
        Some(_) => field_f64(req, name),
    }
}

/// Required non-negative whole number (a count), given as a JSON number.
pub fn count(req: &Value, name: &str) -> Result<u64, StatsError> {
    let v = field_f64(req, name)?;
    if !(v >= 0.0 && v.fract() == 0.0 && v < 9.0e15) {
        return Err(StatsError::invalid(format!(
            "field {name:?} must be a non-negative whole number"
        )));
    }
    Ok(v as u64)
}

/// Optional count with a default.
pub fn opt_count(req: &Value, name: &str, default: u64) -> Result<u64, StatsError> {
    match req.get(name) {
        None => Ok(default),
        Some(_) => count(req, name),
    }
}

/// Required numeric array.
pub fn vec(req: &Value, name: &str) -> Result<Vec<f64>, StatsError> {
    field_vec(req, name)
}

/// Optional numeric array (`null` counts as absent).
pub fn opt_vec(req: &Value, name: &str) -> Result<Option<Vec<f64>>, StatsError> {
    match req.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => field_vec(req, name).map(Some),
    }
}

/// The `alternative` field (default two-sided); statsmodels' names only where `allow_sm`.
pub fn alternative(req: &Value, allow_sm: bool) -> Result<Alternative, StatsError> {
    Alternative::parse(opt_str(req, "alternative", "two-sided")?, allow_sm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_key_is_refused_with_invalid_request() {
        let req = json!({"function": "binomtest", "k": 1, "n": 2, "pp": 0.5});
        let err = dispatch(&req).unwrap_err();
        assert_eq!(err.code, "invalid_request");
        assert!(err.message.contains("pp"));
    }

    #[test]
    fn unknown_function_and_non_object() {
        assert_eq!(
            dispatch(&json!({"function": "nope"})).unwrap_err().code,
            "unknown_function"
        );
        assert_eq!(
            dispatch(&json!([1, 2])).unwrap_err().code,
            "invalid_request"
        );
        assert_eq!(
            dispatch(&json!({"k": 1})).unwrap_err().code,
            "invalid_request"
        );
    }

    #[test]
    fn counts_must_be_whole() {
        let req = json!({"function": "binomtest", "k": 1.5, "n": 2});
        assert_eq!(dispatch(&req).unwrap_err().code, "invalid_request");
        let req = json!({"function": "binomtest", "k": -1, "n": 2});
        assert_eq!(dispatch(&req).unwrap_err().code, "invalid_request");
    }

    #[test]
    fn extra_functions_answer_with_their_documented_fields() {
        let a = [0.91, 0.88, 0.93, 0.90, 0.87, 0.92];
        let b = [0.90, 0.89, 0.92, 0.91, 0.88, 0.90];
        let ni = dispatch(&json!({"function": "noninferiority", "a": a, "b": b, "margin": 0.05}))
            .unwrap();
        for key in [
            "statistic",
            "pvalue",
            "df",
            "mean_diff",
            "ci_low",
            "noninferior",
        ] {
            assert!(ni.get(key).is_some(), "{key}");
        }
        assert_eq!(ni["noninferior"], json!(true));
        let boot = json!({"function": "bootstrap_ci", "x": a, "n_resamples": 500, "seed": 9});
        let first = dispatch(&boot).unwrap();
        assert_eq!(first, dispatch(&boot).unwrap());
        assert!(first["lower"].as_f64().unwrap() < first["upper"].as_f64().unwrap());
        let gw = dispatch(&json!({"function": "garwood_interval", "count": 0})).unwrap();
        assert_eq!(gw["lower"], json!(0.0));
        let missing = dispatch(&json!({"function": "noninferiority", "a": a, "b": b}));
        assert_eq!(missing.unwrap_err().code, "invalid_request");
    }

    #[test]
    fn non_finite_numbers_travel_as_strings() {
        let req = json!({"function": "ttest_rel", "a": [1.0, 2.0, 3.0, 4.0],
            "b": [0.5, 1.5, 2.5, 3.5], "alternative": "greater"});
        let out = dispatch(&req).unwrap();
        assert_eq!(out["statistic"], json!("Infinity"));
        assert_eq!(out["ci_high"], json!("NaN"));
        let req = json!({"function": "t_interval", "x": [1.0, "NaN"], "confidence": 0.9});
        assert_eq!(dispatch(&req).unwrap()["mean"], json!("NaN"));
    }
}
