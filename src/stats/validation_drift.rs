//! Reference cases of the drift families (PSI, JS, Wasserstein, CUSUM/EWMA) as requests.

use serde_json::Value;

use super::validation::ValidationCase;

/// Cases of `family` (a fixture file name) if it is a drift family; `None` otherwise.
pub fn cases(family: &str, fixture: &Value) -> Option<Vec<ValidationCase>> {
    let _ = (family, fixture);
    None
}
