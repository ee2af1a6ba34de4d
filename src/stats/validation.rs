//! The verification suite behind `vigil validate` and the fixture tests: every reference case
//! becomes a `vigil stats` request plus the expected result and its tolerance.

use serde_json::Value;

/// One reference case turned into a request for `json_api::dispatch`.
#[derive(Debug, Clone)]
pub struct ValidationCase {
    /// Case id from the fixture file (unique across files), plus a suffix per variant.
    pub id: String,
    /// Fixture family file, e.g. `ks_2samp.json`.
    pub family: String,
    /// The `vigil stats` request.
    pub request: Value,
    /// Expected fields of the result (scipy's names); only these are compared.
    pub expected: Value,
    /// Relative tolerance.
    pub rel_tol: f64,
    /// Absolute tolerance (for values near zero).
    pub abs_tol: f64,
    /// The request is expected to be refused (the reference raised an error).
    pub expect_error: bool,
}
