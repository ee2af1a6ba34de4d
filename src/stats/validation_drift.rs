//! Reference cases of the drift families (KS, chi-square homogeneity, PSI and Jensen-Shannon on
//! Evidently's binning, Wasserstein, CUSUM/EWMA) turned into `vigil stats` requests with the
//! tolerances of STATS.md: relative 1e-12 for closed-form statistics, 1e-9 (absolute 1e-300) for
//! p-values from special functions. A case whose statistic and p-value need different
//! tolerances becomes two cases (`.../stat` and `.../p`) on the same request.
//!
//! Documented exception: `js_vec_tiny_diff`, where scipy returns NaN from the square root of a
//! sum that rounds below zero; Vigil clamps at 0 and the case accepts 0 or the mathematical
//! ~1e-9 with absolute tolerance 1e-8.

use serde_json::{Map, Value, json};

use super::validation::ValidationCase;

const REL_CLOSED: f64 = 1e-12;
const REL_SPECIAL: f64 = 1e-9;
const ABS_SPECIAL: f64 = 1e-300;

/// Cases of `family` (a fixture file name, with or without `.json`) if it is a drift family.
pub fn cases(family: &str, fixture: &Value) -> Option<Vec<ValidationCase>> {
    let name = family.trim_end_matches(".json");
    let file = format!("{name}.json");
    let list = fixture.get("cases").and_then(Value::as_array)?;
    let build: fn(&str, &Value, &mut Vec<ValidationCase>) = match name {
        "ks_2samp" => ks_cases,
        "chi2_homogeneity" => chi2_cases,
        "psi_evidently" => psi_cases,
        "jensenshannon" => js_cases,
        "wasserstein" => wasserstein_cases,
        "spc_cusum_ewma" => spc_cases,
        _ => return None,
    };
    let mut out = Vec::new();
    for case in list {
        build(&file, case, &mut out);
    }
    Some(out)
}

fn id_of(case: &Value) -> &str {
    case.get("id").and_then(Value::as_str).unwrap_or("?")
}

/// The sample inside `{"data": ..., "check": ...}`, passed on in its compact encoding.
fn data(v: Option<&Value>) -> Value {
    v.and_then(|s| s.get("data"))
        .cloned()
        .unwrap_or(Value::Null)
}

fn pick(expected: &Value, keys: &[&str]) -> Value {
    let mut m = Map::new();
    for k in keys {
        if let Some(v) = expected.get(*k) {
            m.insert((*k).to_owned(), v.clone());
        }
    }
    Value::Object(m)
}

fn push(
    out: &mut Vec<ValidationCase>,
    file: &str,
    id: String,
    request: &Value,
    expected: Value,
    tol: (f64, f64),
) {
    out.push(ValidationCase {
        id,
        family: file.to_owned(),
        request: request.clone(),
        expected,
        rel_tol: tol.0,
        abs_tol: tol.1,
        expect_error: false,
    });
}

fn push_error(out: &mut Vec<ValidationCase>, file: &str, id: String, request: Value) {
    out.push(ValidationCase {
        id,
        family: file.to_owned(),
        request,
        expected: Value::Null,
        rel_tol: 0.0,
        abs_tol: 0.0,
        expect_error: true,
    });
}

/// Value of `key='...'` (or `key=...`) in a reference call string.
fn call_arg<'a>(call: &'a str, key: &str) -> Option<&'a str> {
    let start = call.find(&format!("{key}="))? + key.len() + 1;
    let rest = &call[start..];
    let end = rest.find([',', ')']).unwrap_or(rest.len());
    Some(rest[..end].trim().trim_matches('\''))
}

fn results(case: &Value) -> &[Value] {
    case.get("results")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn ks_cases(file: &str, case: &Value, out: &mut Vec<ValidationCase>) {
    let id = id_of(case);
    let inputs = &case["inputs"];
    for r in results(case) {
        let call = r["call"].as_str().unwrap_or_default();
        let method = call_arg(call, "method").unwrap_or("auto");
        let alternative = call_arg(call, "alternative").unwrap_or("two-sided");
        let req = json!({"function": "ks_2samp", "x": data(inputs.get("x")), "y": data(inputs.get("y")),
                         "alternative": alternative, "method": method});
        let exp = &r["expected"];
        let mut stat = pick(exp, &["statistic", "statistic_location", "statistic_sign"]);
        if let Some(w) = r.get("warnings").and_then(Value::as_array) {
            let fallback: Vec<&Value> = w
                .iter()
                .filter(|m| {
                    m.as_str()
                        .is_some_and(|s| s.contains("Switching to 'asymp'"))
                })
                .collect();
            if !fallback.is_empty() {
                stat["warnings"] = json!(fallback);
            }
        }
        push(
            out,
            file,
            format!("{id}/{method}/stat"),
            &req,
            stat,
            (REL_CLOSED, 0.0),
        );
        push(
            out,
            file,
            format!("{id}/{method}/p"),
            &req,
            pick(exp, &["pvalue"]),
            (REL_SPECIAL, ABS_SPECIAL),
        );
    }
}

fn chi2_cases(file: &str, case: &Value, out: &mut Vec<ValidationCase>) {
    let id = id_of(case);
    let table = case["inputs"]["table"].clone();
    for r in results(case) {
        let call = r["call"].as_str().unwrap_or_default();
        let correction = call_arg(call, "correction") != Some("False");
        let lambda = call_arg(call, "lambda_").unwrap_or("pearson");
        let suffix = format!("{}/{}", if correction { "yates" } else { "nocorr" }, lambda);
        let req = json!({"function": "chi2_contingency", "observed": table, "correction": correction, "lambda_": lambda});
        if r.get("error").is_some() {
            push_error(out, file, format!("{id}/{suffix}"), req);
            continue;
        }
        let exp = &r["expected"];
        push(
            out,
            file,
            format!("{id}/{suffix}/stat"),
            &req,
            pick(exp, &["statistic", "dof", "expected_freq"]),
            (REL_CLOSED, 0.0),
        );
        push(
            out,
            file,
            format!("{id}/{suffix}/p"),
            &req,
            pick(exp, &["pvalue", "log_pvalue"]),
            (REL_SPECIAL, ABS_SPECIAL),
        );
    }
}

/// Column type and request for a case binned the Evidently way.
fn binned_request(function: &str, case: &Value) -> Value {
    let inputs = &case["inputs"];
    let cat = inputs["column_type"].as_str() == Some("categorical");
    json!({"function": function, "reference": data(inputs.get("reference")), "current": data(inputs.get("current")),
           "column_type": if cat { "cat" } else { "num" }, "binning": "evidently"})
}

fn n_bins(case: &Value) -> Option<usize> {
    let im = case.get("intermediate")?;
    im.get("n_bins")
        .and_then(Value::as_u64)
        .map(|n| n as usize)
        .or_else(|| im.get("keys").and_then(Value::as_array).map(Vec::len))
}

fn psi_cases(file: &str, case: &Value, out: &mut Vec<ValidationCase>) {
    let req = binned_request("psi", case);
    let mut exp = json!({"psi": case["expected"]["psi"]});
    if let Some(n) = n_bins(case) {
        exp["n_bins"] = json!(n);
    }
    push(
        out,
        file,
        id_of(case).to_owned(),
        &req,
        exp,
        (REL_CLOSED, 0.0),
    );
}

fn js_cases(file: &str, case: &Value, out: &mut Vec<ValidationCase>) {
    let id = id_of(case);
    let inputs = &case["inputs"];
    let exp = &case["expected"];
    if inputs.get("p").is_some() {
        let req = json!({"function": "jensenshannon", "p": inputs["p"], "q": inputs["q"], "base": inputs["base"]});
        if id == "js_vec_tiny_diff" {
            // scipy: NaN; the mathematical value is ~1e-9; Vigil clamps and gives 0 or ~1e-9.
            push(
                out,
                file,
                id.to_owned(),
                &req,
                json!({"distance": 1e-9}),
                (0.0, 1e-8),
            );
        } else {
            push(
                out,
                file,
                id.to_owned(),
                &req,
                json!({"distance": exp["js_distance"]}),
                (REL_CLOSED, 0.0),
            );
        }
        return;
    }
    let mut req = binned_request("js_drift", case);
    let mut e = json!({"distance": exp["js_distance"]});
    if let Some(n) = n_bins(case) {
        e["n_bins"] = json!(n);
    }
    push(out, file, id.to_owned(), &req, e, (REL_CLOSED, 1e-15));
    if let Some(b2) = exp.get("js_distance_base2") {
        req["base"] = json!(2.0);
        push(
            out,
            file,
            format!("{id}/base2"),
            &req,
            json!({"distance": b2}),
            (REL_CLOSED, 1e-15),
        );
    }
}

fn wasserstein_cases(file: &str, case: &Value, out: &mut Vec<ValidationCase>) {
    let inputs = &case["inputs"];
    let mut req = json!({"function": "wasserstein_distance", "u_values": data(inputs.get("u")),
                         "v_values": data(inputs.get("v"))});
    for k in ["u_weights", "v_weights"] {
        if let Some(w) = inputs.get(k) {
            req[k] = w.clone();
        }
    }
    let mut exp = Map::new();
    for r in results(case) {
        for k in ["distance", "normed_distance"] {
            if let Some(v) = r["expected"].get(k) {
                exp.insert(k.to_owned(), v.clone());
            }
        }
    }
    push(
        out,
        file,
        id_of(case).to_owned(),
        &req,
        Value::Object(exp),
        (REL_CLOSED, 0.0),
    );
}

fn spc_cases(file: &str, case: &Value, out: &mut Vec<ValidationCase>) {
    let id = id_of(case);
    let inp = &case["inputs"];
    let exp = &case["expected"];
    if case["chart"].as_str() == Some("ewma") {
        let req = json!({"function": "ewma", "x": inp["x"], "mu0": inp["mu0"], "sigma": inp["sigma"],
                         "lambda": inp["lambda"], "L": inp["L"]});
        let e = pick(
            exp,
            &[
                "z",
                "ucl",
                "lcl",
                "alarms",
                "first_alarm",
                "ucl_asymptotic",
                "lcl_asymptotic",
                "alarms_asymptotic_limits",
            ],
        );
        push(out, file, id.to_owned(), &req, e, (REL_CLOSED, 1e-15));
        return;
    }
    let blocks = [
        ("no_reset", false, "zero"),
        ("reset_after_alarm", true, "zero"),
        ("reset_to_head_start", true, "head_start"),
    ];
    for (block, reset, reset_to) in blocks {
        let b = &exp[block];
        if b.is_null() {
            // Only some cases carry the head-start restart.
            continue;
        }
        let req = json!({"function": "cusum", "x": inp["x"], "mu0": inp["mu0"], "sigma": inp["sigma"], "k": inp["k"],
                         "h": inp["h"], "headstart": inp["headstart_fraction_of_H"], "reset_after_alarm": reset,
                         "reset_to": reset_to});
        let e = json!({"c_plus": b["C_plus"], "c_minus": b["C_minus"], "n_plus": b["N_plus"], "n_minus": b["N_minus"],
                       "alarms_upper": b["alarms_upper"], "alarms_lower": b["alarms_lower"],
                       "first_alarm_upper": b["first_alarm_upper"], "first_alarm_lower": b["first_alarm_lower"]});
        push(
            out,
            file,
            format!("{id}/{block}"),
            &req,
            e,
            (REL_CLOSED, 1e-15),
        );
    }
}
