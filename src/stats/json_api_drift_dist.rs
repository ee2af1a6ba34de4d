//! `vigil stats` functions for distances and sequential charts (split from `json_api_drift.rs`):
//! `wasserstein_distance`, `jensenshannon`, `psi`, `js_drift`, `cusum`, `ewma`, `cusum_design`
//! and `cusum_arl`.

use serde_json::{Value, json};

use super::StatsError;
use super::arl::{
    arl_one_sided, arl_siegmund_one_sided, arl_siegmund_two_sided, arl_two_sided, design_cusum,
};
use super::binning::{
    Binned, evidently_binning, reference_category_binning, reference_quantile_binning, smooth_zeros,
};
use super::distance::{
    jensenshannon as js, np_std, psi as psi_value, wasserstein as w1, wasserstein_normed,
};
use super::fixture_sample::Sample;
use super::json_api_drift::{check_keys, field_numeric, field_sample, opt_bool, opt_f64, opt_str};
use super::json_num::{field_f64, field_vec, to_json};
use super::sequential::{CusumParams, CusumRestart, cusum as run_cusum, ewma as run_ewma};

fn nums(v: &[f64]) -> Value {
    Value::from(v.iter().map(|&x| to_json(x)).collect::<Vec<_>>())
}

pub fn wasserstein(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["u_values", "v_values", "u_weights", "v_weights"])?;
    let u = field_numeric(req, "u_values")?;
    let v = field_numeric(req, "v_values")?;
    let uw = opt_vec(req, "u_weights")?;
    let vw = opt_vec(req, "v_weights")?;
    let d = w1(&u, &v, uw.as_deref(), vw.as_deref())?;
    Ok(
        json!({"distance": to_json(d), "normed_distance": to_json(wasserstein_normed(d, np_std(&u)))}),
    )
}

fn opt_vec(req: &Value, name: &str) -> Result<Option<Vec<f64>>, StatsError> {
    match req.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => field_vec(req, name).map(Some),
    }
}

pub fn jensenshannon(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["p", "q", "base"])?;
    let d = js(
        &field_vec(req, "p")?,
        &field_vec(req, "q")?,
        opt_f64(req, "base")?,
    )?;
    Ok(json!({"distance": to_json(d)}))
}

/// Bin reference and current per the request's `binning` and `column_type`.
fn binned(req: &Value) -> Result<Binned, StatsError> {
    let reference = field_sample(req, "reference")?;
    let current = field_sample(req, "current")?;
    // Without an explicit type, strings mean a categorical column (the fixtures' dtype rule).
    let inferred = if matches!(reference, Sample::Categorical(_)) {
        "cat"
    } else {
        "num"
    };
    let column_type = opt_str(req, "column_type", inferred)?;
    let (reference, current) = match column_type {
        "num" | "numerical" => {
            if reference.as_f64().is_none() || current.as_f64().is_none() {
                return Err(StatsError::invalid(
                    "column_type \"num\" needs numeric samples",
                ));
            }
            (reference, current)
        }
        "cat" | "categorical" => (as_categorical(reference), as_categorical(current)),
        other => {
            return Err(StatsError::invalid(format!(
                "unknown column_type {other:?}"
            )));
        }
    };
    match opt_str(req, "binning", "evidently")? {
        "evidently" => evidently_binning(&reference, &current),
        "reference_quantiles" => {
            let bins = match opt_f64(req, "bins")? {
                None => 10,
                Some(b) if b >= 1.0 && b.fract() == 0.0 && b <= 10_000.0 => b as usize,
                Some(_) => return Err(StatsError::invalid("bins must be an integer in 1..=10000")),
            };
            match (&reference, &current) {
                (Sample::Categorical(r), Sample::Categorical(c)) => {
                    Ok(reference_category_binning(r, c))
                }
                _ => Ok(reference_quantile_binning(
                    reference.as_f64().unwrap_or_default(),
                    current.as_f64().unwrap_or_default(),
                    bins,
                )),
            }
        }
        other => Err(StatsError::invalid(format!("unknown binning {other:?}"))),
    }
}

fn as_categorical(s: Sample) -> Sample {
    match s {
        Sample::Categorical(_) => s,
        Sample::Numeric(v) | Sample::Integer(v) => Sample::Categorical(
            v.iter()
                .filter(|x| !x.is_nan())
                .map(|x| format!("{x:?}"))
                .collect(),
        ),
    }
}

pub fn psi(req: &Value) -> Result<Value, StatsError> {
    let keys = [
        "reference",
        "current",
        "column_type",
        "binning",
        "bins",
        "base",
    ];
    check_keys(req, &keys)?;
    let mut b = binned(req)?;
    smooth_zeros(&mut b.ref_shares);
    smooth_zeros(&mut b.cur_shares);
    let mut value = psi_value(&b.ref_shares, &b.cur_shares);
    // Natural log (Evidently) unless a base is given, as for Jensen-Shannon.
    if let Some(base) = opt_f64(req, "base")? {
        value /= base.ln();
    }
    Ok(json!({"psi": to_json(value), "n_bins": b.ref_shares.len()}))
}

pub fn js_drift(req: &Value) -> Result<Value, StatsError> {
    check_keys(
        req,
        &[
            "reference",
            "current",
            "column_type",
            "binning",
            "bins",
            "base",
        ],
    )?;
    let b = binned(req)?;
    let d = js(&b.ref_shares, &b.cur_shares, opt_f64(req, "base")?)?;
    Ok(json!({"distance": to_json(d), "n_bins": b.ref_shares.len()}))
}

pub fn cusum(req: &Value) -> Result<Value, StatsError> {
    check_keys(
        req,
        &[
            "x",
            "mu0",
            "sigma",
            "k",
            "h",
            "headstart",
            "reset_after_alarm",
            "reset_to",
        ],
    )?;
    let reset_to = match req.get("reset_to") {
        None | Some(Value::Null) => CusumRestart::Zero,
        Some(v) => v
            .as_str()
            .and_then(CusumRestart::parse)
            .ok_or_else(|| StatsError::input("reset_to must be \"zero\" or \"head_start\""))?,
    };
    let p = CusumParams {
        mu0: field_f64(req, "mu0")?,
        sigma: field_f64(req, "sigma")?,
        k: field_f64(req, "k")?,
        h: field_f64(req, "h")?,
        headstart: opt_f64(req, "headstart")?.unwrap_or(0.0),
        reset_after_alarm: opt_bool(req, "reset_after_alarm", false)?,
        reset_to,
    };
    let r = run_cusum(&field_vec(req, "x")?, &p)?;
    Ok(json!({
        "c_plus": nums(&r.c_plus),
        "c_minus": nums(&r.c_minus),
        "n_plus": r.n_plus,
        "n_minus": r.n_minus,
        "alarms_upper": r.alarms_upper,
        "alarms_lower": r.alarms_lower,
        "first_alarm_upper": r.alarms_upper.first(),
        "first_alarm_lower": r.alarms_lower.first(),
    }))
}

pub fn ewma(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["x", "mu0", "sigma", "lambda", "L"])?;
    let r = run_ewma(
        &field_vec(req, "x")?,
        field_f64(req, "mu0")?,
        field_f64(req, "sigma")?,
        field_f64(req, "lambda")?,
        field_f64(req, "L")?,
    )?;
    Ok(json!({
        "z": nums(&r.z),
        "lcl": nums(&r.lcl),
        "ucl": nums(&r.ucl),
        "alarms": r.alarms,
        "first_alarm": r.alarms.first(),
        "lcl_asymptotic": to_json(r.lcl_asymptotic),
        "ucl_asymptotic": to_json(r.ucl_asymptotic),
        "alarms_asymptotic_limits": r.alarms_asymptotic,
    }))
}

pub fn cusum_design(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["k", "arl0", "shift", "two_sided"])?;
    let d = design_cusum(
        field_f64(req, "k")?,
        field_f64(req, "arl0")?,
        opt_f64(req, "shift")?.unwrap_or(1.0),
        opt_bool(req, "two_sided", true)?,
    )?;
    Ok(json!({
        "k": d.k, "h": d.h, "arl0": d.arl0, "shift": d.shift, "arl1": d.arl1,
        "arl0_siegmund": d.arl0_siegmund, "arl1_siegmund": d.arl1_siegmund,
    }))
}

pub fn cusum_arl(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["k", "h", "shift", "headstart", "two_sided"])?;
    let (k, h) = (field_f64(req, "k")?, field_f64(req, "h")?);
    let shift = opt_f64(req, "shift")?.unwrap_or(0.0);
    let start = opt_f64(req, "headstart")?.unwrap_or(0.0);
    let (arl, sieg) = if opt_bool(req, "two_sided", true)? {
        (
            arl_two_sided(k, h, shift, start)?,
            arl_siegmund_two_sided(k, h, shift),
        )
    } else {
        (
            arl_one_sided(k, h, shift, start)?,
            arl_siegmund_one_sided(k, h, shift),
        )
    };
    Ok(json!({"arl": arl, "arl_siegmund": sieg}))
}
