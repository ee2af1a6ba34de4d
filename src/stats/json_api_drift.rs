//! `vigil stats` functions of the drift family: two-sample tests (KS, chi-square/G), distances
//! (PSI, Jensen-Shannon, Wasserstein) with Evidently's or Vigil's frozen binning, and the
//! sequential charts (CUSUM, EWMA, CUSUM design by ARL). Requests use scipy's keyword names;
//! unknown keys are refused so that a typo never silently falls back to a default.
//!
//! Samples may be plain JSON lists or the fixtures' compact encodings (`repeat`, `modseq`),
//! so a million-row reference case travels as a few hundred bytes.

use serde_json::{Value, json};

use super::StatsError;
use super::chi2::{Lambda, chi2_contingency};
use super::fixture_sample::{Sample, decode_sample};
use super::json_api_drift_dist as dist;
use super::json_num::{field_f64, field_vec, from_json, to_json};
use super::ks::{Alternative, KsMethod, ks_2samp};

/// Run `name` if it belongs to the drift family; `None` lets the caller try other families.
pub fn dispatch(name: &str, req: &Value) -> Option<Result<Value, StatsError>> {
    let result = match name {
        "ks_2samp" => ks(req),
        "chi2_contingency" => chi2(req),
        "wasserstein_distance" => dist::wasserstein(req),
        "jensenshannon" => dist::jensenshannon(req),
        "psi" => dist::psi(req),
        "js_drift" => dist::js_drift(req),
        "cusum" => dist::cusum(req),
        "ewma" => dist::ewma(req),
        "cusum_design" => dist::cusum_design(req),
        "cusum_arl" => dist::cusum_arl(req),
        _ => return None,
    };
    Some(result)
}

/// Refuse keys outside `allowed` (plus "function").
pub fn check_keys(req: &Value, allowed: &[&str]) -> Result<(), StatsError> {
    let obj = req
        .as_object()
        .ok_or_else(|| StatsError::invalid("request must be a JSON object"))?;
    for k in obj.keys() {
        if k != "function" && !allowed.contains(&k.as_str()) {
            return Err(StatsError::invalid(format!("unknown key {k:?}")));
        }
    }
    Ok(())
}

/// Optional string field with a default.
pub fn opt_str<'a>(req: &'a Value, name: &str, default: &'a str) -> Result<&'a str, StatsError> {
    match req.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_str()
            .ok_or_else(|| StatsError::invalid(format!("field {name:?} must be a string"))),
    }
}

/// Optional boolean field with a default.
pub fn opt_bool(req: &Value, name: &str, default: bool) -> Result<bool, StatsError> {
    match req.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| StatsError::invalid(format!("field {name:?} must be a boolean"))),
    }
}

/// Optional number field (`None` when absent or null).
pub fn opt_f64(req: &Value, name: &str) -> Result<Option<f64>, StatsError> {
    match req.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => field_f64(req, name).map(Some),
    }
}

/// A sample field: list or compact encoding.
pub fn field_sample(req: &Value, name: &str) -> Result<Sample, StatsError> {
    let v = req
        .get(name)
        .ok_or_else(|| StatsError::invalid(format!("missing field {name:?}")))?;
    decode_sample(v)
}

/// A numeric sample field (list of numbers or compact encoding).
pub fn field_numeric(req: &Value, name: &str) -> Result<Vec<f64>, StatsError> {
    if req.get(name).is_some_and(Value::is_array) {
        return field_vec(req, name);
    }
    match field_sample(req, name)? {
        Sample::Numeric(v) | Sample::Integer(v) => Ok(v),
        Sample::Categorical(_) => Err(StatsError::invalid(format!(
            "field {name:?} must be numeric"
        ))),
    }
}

/// A sample under scipy's keyword `name`, or under the short `alias` earlier versions of
/// `vigil stats` took (`x`/`y` for `ks_2samp`'s `data1`/`data2`); both at once is refused.
fn field_numeric_alias(req: &Value, name: &str, alias: &str) -> Result<Vec<f64>, StatsError> {
    match (req.get(name).is_some(), req.get(alias).is_some()) {
        (true, true) => Err(StatsError::invalid(format!(
            "give {name:?} or {alias:?}, not both"
        ))),
        (false, true) => field_numeric(req, alias),
        _ => field_numeric(req, name),
    }
}

fn ks(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["data1", "data2", "x", "y", "alternative", "method"])?;
    let x = field_numeric_alias(req, "data1", "x")?;
    let y = field_numeric_alias(req, "data2", "y")?;
    let alternative = match opt_str(req, "alternative", "two-sided")? {
        "two-sided" => Alternative::TwoSided,
        "less" => Alternative::Less,
        "greater" => Alternative::Greater,
        other => {
            return Err(StatsError::invalid(format!(
                "unknown alternative {other:?}"
            )));
        }
    };
    let method = match opt_str(req, "method", "auto")? {
        "auto" => KsMethod::Auto,
        "exact" => KsMethod::Exact,
        "asymp" => KsMethod::Asymp,
        other => return Err(StatsError::invalid(format!("unknown method {other:?}"))),
    };
    let r = ks_2samp(&x, &y, alternative, method)?;
    let mut out = json!({
        "statistic": to_json(r.statistic),
        "pvalue": to_json(r.pvalue),
        "statistic_location": to_json(r.statistic_location),
        "statistic_sign": r.statistic_sign,
        "method_used": if r.method_used == KsMethod::Exact { "exact" } else { "asymp" },
    });
    if !r.warnings.is_empty() {
        out["warnings"] = json!(r.warnings);
    }
    Ok(out)
}

fn chi2(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["observed", "correction", "lambda_"])?;
    let rows = req
        .get("observed")
        .and_then(Value::as_array)
        .ok_or_else(|| StatsError::invalid("\"observed\" must be a 2-D array"))?;
    let table = rows
        .iter()
        .map(|row| {
            row.as_array()
                .ok_or_else(|| StatsError::invalid("\"observed\" rows must be arrays"))?
                .iter()
                .map(|v| {
                    from_json(v)
                        .ok_or_else(|| StatsError::invalid("\"observed\" must hold numbers"))
                })
                .collect::<Result<Vec<f64>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let correction = opt_bool(req, "correction", true)?;
    let lambda = match opt_str(req, "lambda_", "pearson")? {
        "pearson" => Lambda::Pearson,
        "log-likelihood" => Lambda::LogLikelihood,
        other => {
            return Err(StatsError::invalid(format!(
                "unsupported lambda_ {other:?}"
            )));
        }
    };
    let r = chi2_contingency(&table, correction, lambda)?;
    let expected: Vec<Value> = r
        .expected_freq
        .iter()
        .map(|row| Value::from(row.iter().map(|&v| to_json(v)).collect::<Vec<_>>()))
        .collect();
    Ok(json!({
        "statistic": to_json(r.statistic),
        "pvalue": to_json(r.pvalue),
        "dof": r.dof,
        "expected_freq": expected,
        "log_pvalue": to_json(r.log_pvalue),
    }))
}
