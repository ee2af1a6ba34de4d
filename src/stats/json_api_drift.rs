//! `vigil stats` functions of the drift family (distances, binning, sequential detectors).

use serde_json::Value;

use super::StatsError;

/// Run `name` if it belongs to the drift family; `None` lets the caller try other families.
pub fn dispatch(name: &str, req: &Value) -> Option<Result<Value, StatsError>> {
    let _ = (name, req);
    None
}
