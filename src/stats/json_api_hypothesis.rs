//! `vigil stats` handlers of the hypothesis-test and interval family: each parses its
//! request strictly (see `json_api::check_keys`), calls the library function and encodes the
//! result with scipy's field names.

use serde_json::{Value, json};

use super::StatsError;
use super::bootstrap::{BootMethod, BootStatistic, bootstrap_ci};
use super::counts::{binomtest, garwood_interval, poisson_2indep, poisson_test};
use super::intervals::{ProportionMethod, proportion_confint};
use super::json_api::{
    alternative, check_keys, count, opt_bool, opt_count, opt_f64, opt_str, opt_vec, vec,
};
use super::json_num::{field_f64, to_json};
use super::mannwhitneyu::{MwuMethod, mannwhitneyu};
use super::multiplicity::{FdrMethod, fdr_adjust};
use super::noninferiority::noninferiority;
use super::ttest::{t_interval, ttest_rel};
use super::wilcoxon::{WilcoxonMethod, ZeroMethod, wilcoxon};

type Handler = fn(&Value) -> Result<Value, StatsError>;

/// Run `name` if it belongs to this family; `None` for names it does not know.
pub fn dispatch(name: &str, req: &Value) -> Option<Result<Value, StatsError>> {
    let handler: Handler = match name {
        "mannwhitneyu" => mwu,
        "wilcoxon" => wilcoxon_req,
        "ttest_rel" => ttest_rel_req,
        "t_interval" => t_interval_req,
        "noninferiority" => noninferiority_req,
        "proportion_confint" => proportion_req,
        "binomtest" => binomtest_req,
        "poisson_test" => poisson_req,
        "poisson_2indep" => poisson_2indep_req,
        "garwood_interval" => garwood_req,
        "false_discovery_control" => fdr_req,
        "bootstrap_ci" => bootstrap_req,
        _ => return None,
    };
    Some(handler(req))
}

fn unknown(field: &str, value: &str) -> StatsError {
    StatsError::invalid(format!("unknown {field} {value:?}"))
}

fn mwu(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["x", "y", "use_continuity", "alternative", "method"])?;
    let method = match opt_str(req, "method", "auto")? {
        "exact" => MwuMethod::Exact,
        "asymptotic" => MwuMethod::Asymptotic,
        "auto" => MwuMethod::Auto,
        other => return Err(unknown("method", other)),
    };
    let (x, y) = (vec(req, "x")?, vec(req, "y")?);
    let cont = opt_bool(req, "use_continuity", true)?;
    let r = mannwhitneyu(&x, &y, cont, alternative(req, false)?, method)?;
    Ok(json!({"statistic": to_json(r.statistic), "pvalue": to_json(r.pvalue)}))
}

fn wilcoxon_req(req: &Value) -> Result<Value, StatsError> {
    let keys = [
        "x",
        "y",
        "zero_method",
        "correction",
        "alternative",
        "method",
    ];
    check_keys(req, &keys)?;
    let zero = match opt_str(req, "zero_method", "wilcox")? {
        "wilcox" => ZeroMethod::Wilcox,
        "pratt" => ZeroMethod::Pratt,
        "zsplit" => ZeroMethod::Zsplit,
        other => return Err(unknown("zero_method", other)),
    };
    let method = match opt_str(req, "method", "auto")? {
        "exact" => WilcoxonMethod::Exact,
        "asymptotic" => WilcoxonMethod::Asymptotic,
        "auto" => WilcoxonMethod::Auto,
        other => return Err(unknown("method", other)),
    };
    let x = vec(req, "x")?;
    let y = opt_vec(req, "y")?;
    let corr = opt_bool(req, "correction", false)?;
    let r = wilcoxon(
        &x,
        y.as_deref(),
        zero,
        corr,
        alternative(req, false)?,
        method,
    )?;
    let mut out = json!({"statistic": to_json(r.statistic), "pvalue": to_json(r.pvalue)});
    if let Some(z) = r.zstatistic {
        out["zstatistic"] = to_json(z);
    }
    Ok(out)
}

fn ttest_rel_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["a", "b", "alternative", "confidence_level"])?;
    let level = opt_f64(req, "confidence_level", 0.95)?;
    let r = ttest_rel(
        &vec(req, "a")?,
        &vec(req, "b")?,
        alternative(req, false)?,
        level,
    )?;
    Ok(json!({
        "statistic": to_json(r.statistic), "pvalue": to_json(r.pvalue), "df": to_json(r.df),
        "ci_low": to_json(r.ci_low), "ci_high": to_json(r.ci_high),
    }))
}

fn t_interval_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["x", "confidence"])?;
    let r = t_interval(&vec(req, "x")?, opt_f64(req, "confidence", 0.95)?)?;
    Ok(json!({"lower": to_json(r.lower), "upper": to_json(r.upper), "mean": to_json(r.mean)}))
}

fn noninferiority_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["a", "b", "margin", "confidence_level"])?;
    let level = opt_f64(req, "confidence_level", 0.95)?;
    let margin = field_f64(req, "margin")?;
    let r = noninferiority(&vec(req, "a")?, &vec(req, "b")?, margin, level)?;
    Ok(json!({
        "statistic": to_json(r.statistic), "pvalue": to_json(r.pvalue), "df": to_json(r.df),
        "mean_diff": to_json(r.mean_diff), "ci_low": to_json(r.ci_low),
        "noninferior": r.noninferior,
    }))
}

fn proportion_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["count", "nobs", "alpha", "method"])?;
    // statsmodels' default is the normal approximation; it is offered under its name.
    let method = match opt_str(req, "method", "normal")? {
        "wilson" => ProportionMethod::Wilson,
        "beta" => ProportionMethod::Beta,
        "wilsoncc" => ProportionMethod::WilsonCc,
        "normal" => ProportionMethod::Normal,
        other => return Err(unknown("method", other)),
    };
    let alpha = opt_f64(req, "alpha", 0.05)?;
    let r = proportion_confint(count(req, "count")?, count(req, "nobs")?, alpha, method)?;
    Ok(json!({"lower": to_json(r.lower), "upper": to_json(r.upper)}))
}

fn binomtest_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["k", "n", "p", "alternative"])?;
    let p = opt_f64(req, "p", 0.5)?;
    let r = binomtest(
        count(req, "k")?,
        count(req, "n")?,
        p,
        alternative(req, false)?,
    )?;
    Ok(json!({"statistic": to_json(r.statistic), "pvalue": to_json(r.pvalue)}))
}

fn poisson_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["count", "exposure", "value", "alternative"])?;
    let exposure = opt_f64(req, "exposure", 1.0)?;
    let value = field_f64(req, "value")?;
    let p = poisson_test(
        count(req, "count")?,
        exposure,
        value,
        alternative(req, true)?,
    )?;
    Ok(json!({"pvalue": to_json(p)}))
}

fn poisson_2indep_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(
        req,
        &["count1", "exposure1", "count2", "exposure2", "alternative"],
    )?;
    let p = poisson_2indep(
        count(req, "count1")?,
        field_f64(req, "exposure1")?,
        count(req, "count2")?,
        field_f64(req, "exposure2")?,
        alternative(req, true)?,
    )?;
    Ok(json!({"pvalue": to_json(p)}))
}

fn garwood_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["count", "confidence"])?;
    let r = garwood_interval(count(req, "count")?, opt_f64(req, "confidence", 0.95)?)?;
    Ok(json!({"lower": to_json(r.lower), "upper": to_json(r.upper)}))
}

fn fdr_req(req: &Value) -> Result<Value, StatsError> {
    check_keys(req, &["ps", "method"])?;
    let method = match opt_str(req, "method", "bh")? {
        "bh" => FdrMethod::Bh,
        "by" => FdrMethod::By,
        other => return Err(unknown("method", other)),
    };
    let adjusted = fdr_adjust(&vec(req, "ps")?, method)?;
    Ok(json!({"adjusted": adjusted.into_iter().map(to_json).collect::<Vec<_>>()}))
}

fn bootstrap_req(req: &Value) -> Result<Value, StatsError> {
    let keys = [
        "x",
        "statistic",
        "confidence_level",
        "n_resamples",
        "method",
        "seed",
    ];
    check_keys(req, &keys)?;
    let statistic = match opt_str(req, "statistic", "mean")? {
        "mean" => BootStatistic::Mean,
        "median" => BootStatistic::Median,
        other => return Err(unknown("statistic", other)),
    };
    let method = match opt_str(req, "method", "BCa")? {
        "BCa" | "bca" => BootMethod::Bca,
        "percentile" => BootMethod::Percentile,
        other => return Err(unknown("method", other)),
    };
    let level = opt_f64(req, "confidence_level", 0.95)?;
    let n_resamples = opt_count(req, "n_resamples", 9999)?;
    let seed = opt_count(req, "seed", 0)?;
    let x = vec(req, "x")?;
    let r = bootstrap_ci(&x, statistic, level, n_resamples as usize, method, seed)?;
    Ok(json!({
        "lower": to_json(r.lower), "upper": to_json(r.upper), "estimate": to_json(r.estimate),
        "n_resamples": n_resamples, "seed": seed,
    }))
}
