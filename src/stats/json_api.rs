//! `vigil stats` request dispatcher: `{"function": name, ...scipy kwargs}` -> result object.

use serde_json::Value;

use super::StatsError;

/// Run one request. Functions of the drift family are delegated to `json_api_drift`.
pub fn dispatch(req: &Value) -> Result<Value, StatsError> {
    let name = req
        .get("function")
        .and_then(Value::as_str)
        .ok_or_else(|| StatsError::invalid("missing string field \"function\""))?;
    if let Some(result) = super::json_api_drift::dispatch(name, req) {
        return result;
    }
    Err(StatsError::unknown_function(name))
}
