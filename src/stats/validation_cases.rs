//! Turns the reference entries of the hypothesis-test and interval families into validation
//! cases. Each entry's `call` (the exact Python call) supplies the options; its expected
//! fields are split by tolerance class (STATS.md): closed-form values at 1e-12 relative,
//! values that go through special functions at 1e-9 relative (1e-300 absolute).

use regex::Regex;
use serde_json::{Map, Value, json};

use super::fixture_sample::decode_sample;
use super::validation::{SkippedEntry, Suite, ValidationCase};

const CLOSED: (f64, f64) = (1e-12, 0.0);
const SPECIAL: (f64, f64) = (1e-9, 1e-300);

/// Cases of `family` if it is one of this half's families; `None` otherwise.
pub fn family_suite(family: &str, fixture: &Value) -> Result<Option<Suite>, String> {
    let build: fn(&mut Builder, &Value) -> Result<(), String> = match family {
        "mannwhitneyu.json" => mannwhitneyu,
        "wilcoxon.json" => wilcoxon,
        "ttest_rel.json" => ttest_rel,
        "proportion_ci.json" => proportion_ci,
        "mean_t_ci.json" => mean_t_ci,
        "poisson.json" => poisson,
        "binomtest.json" => binomtest,
        "bh_fdr.json" => bh_fdr,
        _ => return Ok(None),
    };
    let mut b = Builder {
        family: family.to_string(),
        suite: Suite::default(),
        kwarg: Regex::new(r#"(\w+)=('([^']*)'|True|False|[-+0-9.eE]+)"#)
            .map_err(|e| e.to_string())?,
    };
    let cases = fixture
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("no cases")?;
    for case in cases {
        build(&mut b, case).map_err(|e| format!("{family}: {}: {e}", id_of(case)))?;
    }
    Ok(Some(b.suite))
}

fn id_of(case: &Value) -> String {
    case.get("id")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string()
}

struct Builder {
    family: String,
    suite: Suite,
    kwarg: Regex,
}

/// One reference entry being translated: its id, call text and expected object.
struct Entry<'a> {
    id: String,
    call: &'a str,
    expected: Option<&'a Map<String, Value>>,
}

impl Builder {
    fn entries<'a>(&self, case: &'a Value) -> Result<Vec<Entry<'a>>, String> {
        let results = case
            .get("results")
            .and_then(Value::as_array)
            .ok_or("no results")?;
        Ok(results
            .iter()
            .enumerate()
            .map(|(i, r)| Entry {
                id: format!("{}[{i}]", id_of(case)),
                call: r.get("call").and_then(Value::as_str).unwrap_or(""),
                expected: r.get("expected").and_then(Value::as_object),
            })
            .collect())
    }

    /// Keyword arguments of a Python call: strings unquoted, True/False as booleans. Indexing
    /// a missing name gives `null`, which `push` drops so the option takes its default.
    fn kwargs(&self, call: &str) -> Value {
        let mut out = Map::new();
        for c in self.kwarg.captures_iter(call) {
            let value = match (&c[2], c.get(3)) {
                (_, Some(s)) => json!(s.as_str()),
                ("True", _) => json!(true),
                ("False", _) => json!(false),
                (num, _) => num.parse::<f64>().map_or(Value::Null, |v| json!(v)),
            };
            out.insert(c[1].to_string(), value);
        }
        Value::Object(out)
    }

    /// Add the entry as up to two cases: closed-form fields and special-function fields.
    /// An entry without `expected` (the reference raised) must be refused.
    fn add(
        &mut self,
        e: &Entry,
        request: Value,
        closed: Map<String, Value>,
        special: Map<String, Value>,
    ) {
        if e.expected.is_none() {
            self.push(e.id.clone(), request, Map::new(), (0.0, 0.0), true);
            return;
        }
        if !closed.is_empty() {
            self.push(e.id.clone(), request.clone(), closed, CLOSED, false);
        }
        if !special.is_empty() {
            self.push(format!("{}.p", e.id), request, special, SPECIAL, false);
        }
    }

    fn push(
        &mut self,
        id: String,
        mut request: Value,
        expected: Map<String, Value>,
        tol: (f64, f64),
        err: bool,
    ) {
        if let Some(obj) = request.as_object_mut() {
            obj.retain(|_, v| !v.is_null());
        }
        self.suite.cases.push(ValidationCase {
            id,
            family: self.family.clone(),
            request,
            expected: Value::Object(expected),
            rel_tol: tol.0,
            abs_tol: tol.1,
            expect_error: err,
        });
    }

    fn push_tol(&mut self, id: String, request: Value, expected: Value, tol: (f64, f64)) {
        let map = expected.as_object().cloned().unwrap_or_default();
        self.push(id, request, map, tol, false);
    }

    fn skip(&mut self, id: &str, call: &str, reason: &str) {
        self.suite.skipped.push(SkippedEntry {
            id: id.to_string(),
            family: self.family.clone(),
            call: call.to_string(),
            reason: reason.to_string(),
        });
    }
}

/// Copy `fields` of `expected` (renamed `from -> to`) that are present.
fn pick(expected: Option<&Map<String, Value>>, fields: &[(&str, &str)]) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(exp) = expected {
        for (from, to) in fields {
            if let Some(v) = exp.get(*from) {
                out.insert(to.to_string(), v.clone());
            }
        }
    }
    out
}

fn sample(case: &Value, name: &str) -> Result<Value, String> {
    let v = case["inputs"]
        .get(name)
        .ok_or(format!("missing input {name}"))?;
    let decoded = decode_sample(v).map_err(|e| e.to_string())?;
    let values = decoded
        .as_f64()
        .ok_or(format!("input {name} is not numeric"))?;
    Ok(json!(values))
}

fn input(case: &Value, name: &str) -> Result<Value, String> {
    case["inputs"]
        .get(name)
        .cloned()
        .ok_or(format!("missing input {name}"))
}

fn mannwhitneyu(b: &mut Builder, case: &Value) -> Result<(), String> {
    let (x, y) = (sample(case, "x")?, sample(case, "y")?);
    for e in b.entries(case)? {
        let kw = b.kwargs(e.call);
        let req = json!({"function": "mannwhitneyu", "x": x, "y": y,
            "use_continuity": kw["use_continuity"], "alternative": kw["alternative"],
            "method": kw["method"]});
        let closed = pick(e.expected, &[("statistic_U1", "statistic")]);
        b.add(&e, req, closed, pick(e.expected, &[("pvalue", "pvalue")]));
    }
    Ok(())
}

fn wilcoxon(b: &mut Builder, case: &Value) -> Result<(), String> {
    let x = sample(case, "x")?;
    let y = if case["inputs"].get("y").is_some() {
        Some(sample(case, "y")?)
    } else {
        None
    };
    for e in b.entries(case)? {
        let kw = b.kwargs(e.call);
        let mut req = json!({"function": "wilcoxon", "x": x, "zero_method": kw["zero_method"],
            "correction": kw["correction"], "alternative": kw["alternative"],
            "method": kw["method"]});
        if let Some(y) = &y {
            req["y"] = y.clone();
        }
        let closed = pick(
            e.expected,
            &[("statistic", "statistic"), ("zstatistic", "zstatistic")],
        );
        b.add(&e, req, closed, pick(e.expected, &[("pvalue", "pvalue")]));
    }
    Ok(())
}

fn ttest_rel(b: &mut Builder, case: &Value) -> Result<(), String> {
    let (a, bb) = (sample(case, "a")?, sample(case, "b")?);
    for e in b.entries(case)? {
        let kw = b.kwargs(e.call);
        let req = json!({"function": "ttest_rel", "a": a, "b": bb,
            "alternative": kw["alternative"], "confidence_level": 0.95});
        let closed = pick(e.expected, &[("statistic", "statistic"), ("df", "df")]);
        let mut special = pick(e.expected, &[("pvalue", "pvalue")]);
        if let Some(ci) = e.expected.and_then(|x| x.get("ci95_mean_diff")) {
            special.insert("ci_low".into(), ci[0].clone());
            special.insert("ci_high".into(), ci[1].clone());
        }
        b.add(&e, req, closed, special);
    }
    Ok(())
}

fn proportion_ci(b: &mut Builder, case: &Value) -> Result<(), String> {
    let (k, n, alpha) = (
        input(case, "successes")?,
        input(case, "trials")?,
        input(case, "alpha")?,
    );
    for e in b.entries(case)? {
        let kw = b.kwargs(e.call);
        let scipy = e.call.starts_with("scipy");
        let (method, tol) = match kw.get("method").and_then(Value::as_str) {
            // statsmodels' Wilson lower bound at k = 0 is ~2e-19, not 0 (STATS.md).
            Some("wilson") => ("wilson", (CLOSED.0, 1e-15)),
            Some("wilsoncc") => ("wilsoncc", (CLOSED.0, 1e-15)),
            Some("beta") => ("beta", SPECIAL),
            // scipy's root finder stops at an absolute xtol: ~1e-7 relative at tiny
            // proportions (STATS.md), so the exact interval is held to 1e-6 against scipy.
            Some("exact") if scipy => ("beta", (1e-6, 1e-300)),
            _ => {
                b.skip(&e.id, e.call, "unrecognised proportion interval method");
                continue;
            }
        };
        let req = json!({"function": "proportion_confint", "count": k, "nobs": n,
            "alpha": alpha, "method": method});
        if e.expected.is_none() {
            b.push(e.id.clone(), req, Map::new(), (0.0, 0.0), true);
            continue;
        }
        let exp = pick(e.expected, &[("lower", "lower"), ("upper", "upper")]);
        b.push_tol(e.id.clone(), req, Value::Object(exp), tol);
    }
    Ok(())
}

fn mean_t_ci(b: &mut Builder, case: &Value) -> Result<(), String> {
    let (x, conf) = (sample(case, "x")?, input(case, "confidence")?);
    for e in b.entries(case)? {
        let req = json!({"function": "t_interval", "x": x, "confidence": conf});
        let closed = pick(e.expected, &[("mean", "mean")]);
        let special = pick(e.expected, &[("lower", "lower"), ("upper", "upper")]);
        for field in ["sd_ddof1", "t_quantile"] {
            if e.expected.is_some_and(|x| x.contains_key(field)) {
                let reason = "intermediate of the direct formula; t_interval returns only the \
                              bounds and the mean";
                b.skip(&format!("{}.{field}", e.id), e.call, reason);
            }
        }
        b.add(&e, req, closed, special);
    }
    Ok(())
}

fn poisson(b: &mut Builder, case: &Value) -> Result<(), String> {
    for e in b.entries(case)? {
        let kw = b.kwargs(e.call);
        if e.call.starts_with("scipy.stats.poisson.sf") {
            poisson_tails(b, case, &e)?;
        } else if e
            .call
            .starts_with("statsmodels.stats.rates.test_poisson_2indep")
        {
            let req = json!({"function": "poisson_2indep", "count1": input(case, "k1")?,
                "exposure1": input(case, "t1")?, "count2": input(case, "k2")?,
                "exposure2": input(case, "t2")?, "alternative": kw["alternative"]});
            b.add(
                &e,
                req,
                Map::new(),
                pick(e.expected, &[("pvalue", "pvalue")]),
            );
        } else if e.call.starts_with("statsmodels.stats.rates.test_poisson(") {
            let req = json!({"function": "poisson_test", "count": input(case, "k")?,
                "exposure": 1.0, "value": input(case, "mu")?, "alternative": kw["alternative"]});
            b.add(
                &e,
                req,
                Map::new(),
                pick(e.expected, &[("pvalue", "pvalue")]),
            );
        } else if e.call.starts_with("scipy.stats.binomtest(") {
            let (k1, k2) = (count_of(case, "k1")?, count_of(case, "k2")?);
            let (t1, t2) = (real_of(case, "t1")?, real_of(case, "t2")?);
            let req = json!({"function": "binomtest", "k": k1, "n": k1 + k2,
                "p": t1 / (t1 + t2), "alternative": kw["alternative"]});
            b.add(
                &e,
                req,
                Map::new(),
                pick(e.expected, &[("pvalue", "pvalue")]),
            );
        } else if e.call.starts_with("scipy.stats.poisson_means_test") {
            b.skip(
                &e.id,
                e.call,
                "the E-test (poisson_means_test) is not exposed; the \
                conditional exact test (poisson_2indep) is used for two rates",
            );
        } else {
            b.skip(&e.id, e.call, "unrecognised reference call");
        }
    }
    Ok(())
}

/// The first Poisson entry bundles tails, pmf, log-sf, the central p and the Garwood CI.
fn poisson_tails(b: &mut Builder, case: &Value, e: &Entry) -> Result<(), String> {
    let (k, mu) = (input(case, "k")?, input(case, "mu")?);
    let Some(exp) = e.expected else {
        // The reference refused these inputs: so must the one-sample test.
        let req = json!({"function": "poisson_test", "count": k, "exposure": 1.0, "value": mu});
        b.push(e.id.clone(), req, Map::new(), (0.0, 0.0), true);
        return Ok(());
    };
    for (field, alt) in [
        ("P_X_ge_k", "larger"),
        ("P_X_le_k", "smaller"),
        ("two_sided_central", "two-sided"),
    ] {
        let req = json!({"function": "poisson_test", "count": k, "exposure": 1.0, "value": mu,
            "alternative": alt});
        b.push_tol(
            format!("{}.{field}", e.id),
            req,
            json!({"pvalue": exp[field]}),
            SPECIAL,
        );
    }
    let ci = &exp["garwood_ci95_mean"];
    let req = json!({"function": "garwood_interval", "count": k, "confidence": 0.95});
    let want = json!({"lower": ci[0], "upper": ci[1]});
    b.push_tol(format!("{}.garwood_ci95_mean", e.id), req, want, SPECIAL);
    for field in ["pmf_k", "log_P_X_ge_k"] {
        let reason = "raw pmf / log-sf of the Poisson distribution is not a vigil stats output";
        b.skip(&format!("{}.{field}", e.id), e.call, reason);
    }
    Ok(())
}

fn count_of(case: &Value, name: &str) -> Result<u64, String> {
    case["inputs"]
        .get(name)
        .and_then(Value::as_u64)
        .ok_or(format!("input {name} not a count"))
}

fn real_of(case: &Value, name: &str) -> Result<f64, String> {
    case["inputs"]
        .get(name)
        .and_then(Value::as_f64)
        .ok_or(format!("input {name} not a number"))
}

fn binomtest(b: &mut Builder, case: &Value) -> Result<(), String> {
    let (k, n, p) = (input(case, "k")?, input(case, "n")?, input(case, "p")?);
    for e in b.entries(case)? {
        let kw = b.kwargs(e.call);
        let req = json!({"function": "binomtest", "k": k, "n": n, "p": p,
            "alternative": kw["alternative"]});
        let closed = pick(e.expected, &[("statistic", "statistic")]);
        b.add(&e, req, closed, pick(e.expected, &[("pvalue", "pvalue")]));
    }
    Ok(())
}

fn bh_fdr(b: &mut Builder, case: &Value) -> Result<(), String> {
    let ps = input(case, "ps")?;
    for e in b.entries(case)? {
        let kw = b.kwargs(e.call);
        let req = json!({"function": "false_discovery_control", "ps": ps, "method": kw["method"]});
        b.add(
            &e,
            req,
            pick(e.expected, &[("adjusted", "adjusted")]),
            Map::new(),
        );
    }
    Ok(())
}
