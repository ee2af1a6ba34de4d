//! Drift family of the statistics engine against the scipy/Evidently reference vectors: every
//! case of `validation_drift::cases` runs through `json_api_drift::dispatch` and is compared
//! within its tolerance; plus the edge cases STATS.md lists (tiny and constant samples, new and
//! missing categories, huge n, underflowing p, the exact CUSUM boundary) and a seeded
//! Monte-Carlo check of the CUSUM ARL computation.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use vigil::stats::json_api_drift::dispatch;
use vigil::stats::json_num::from_json;
use vigil::stats::validation_drift::cases;

const FAMILIES: [(&str, usize); 6] = [
    ("ks_2samp", 9),
    ("chi2_homogeneity", 6),
    ("psi_evidently", 8),
    ("jensenshannon", 10),
    ("wasserstein", 5),
    ("spc_cusum_ewma", 7),
];

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/stats/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// Compare `got` with `want` recursively: numbers within tolerance (NaN equals NaN), everything
/// else exactly. Returns the path of the first mismatch.
fn compare(got: &Value, want: &Value, rel: f64, abs: f64, path: &str) -> Result<(), String> {
    if let (Some(g), Some(w)) = (from_json(got), from_json(want)) {
        let ok = (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= abs.max(rel * w.abs());
        return if ok {
            Ok(())
        } else {
            Err(format!("{path}: got {g:e}, want {w:e}"))
        };
    }
    match (got, want) {
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                return Err(format!("{path}: length {} vs {}", g.len(), w.len()));
            }
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                compare(a, b, rel, abs, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Object(_), Value::Object(w)) => {
            for (k, b) in w {
                let a = got.get(k).ok_or_else(|| format!("{path}.{k}: missing"))?;
                compare(a, b, rel, abs, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        _ if got == want => Ok(()),
        _ => Err(format!("{path}: got {got}, want {want}")),
    }
}

fn run_family(name: &str) -> (usize, Vec<String>) {
    let fx = fixture(name);
    let list = cases(name, &fx).expect("drift family");
    let mut failures = Vec::new();
    for c in &list {
        let f = c.request["function"].as_str().expect("function name");
        let res = dispatch(f, &c.request).expect("drift function");
        match (res, c.expect_error) {
            (Ok(v), false) => {
                if let Err(e) = compare(&v, &c.expected, c.rel_tol, c.abs_tol, "") {
                    failures.push(format!("{}: {e}", c.id));
                }
            }
            (Err(_), true) => {}
            (Ok(v), true) => failures.push(format!("{}: expected an error, got {v}", c.id)),
            (Err(e), false) => failures.push(format!("{}: error {e}", c.id)),
        }
    }
    (list.len(), failures)
}

#[test]
fn every_drift_fixture_case_matches_its_reference() {
    let mut all = Vec::new();
    for (name, n_cases) in FAMILIES {
        let fx = fixture(name);
        assert_eq!(
            fx["cases"].as_array().map(Vec::len),
            Some(n_cases),
            "{name} case count"
        );
        let (count, failures) = run_family(name);
        assert!(count >= n_cases, "{name}: only {count} validation cases");
        all.extend(failures);
    }
    assert!(
        all.is_empty(),
        "{} mismatches:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn the_comparison_catches_a_wrong_value() {
    let fx = fixture("ks_2samp");
    let list = cases("ks_2samp", &fx).expect("drift family");
    let c = list
        .iter()
        .find(|c| c.id == "ks_norm_300_700_extreme/asymp/p")
        .expect("case");
    let got = dispatch("ks_2samp", &c.request)
        .expect("drift")
        .expect("ok");
    eprintln!("{got} vs {}", c.expected);
    assert!(compare(&got, &c.expected, c.rel_tol, c.abs_tol, "").is_ok());
    let mut wrong = c.expected.clone();
    let p = from_json(&wrong["pvalue"]).expect("number");
    wrong["pvalue"] = json!(p * (1.0 + 1e-8));
    assert!(compare(&got, &wrong, c.rel_tol, c.abs_tol, "").is_err());
}

/// Run one request and return the result object.
fn call(req: Value) -> Value {
    let f = req["function"].as_str().expect("function").to_owned();
    dispatch(&f, &req)
        .expect("drift function")
        .expect("request accepted")
}

fn num(v: &Value) -> f64 {
    from_json(v).expect("number")
}

fn assert_rel(got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs() || got == want,
        "got {got:e}, want {want:e}"
    );
}

// Reference values in the edge-case tests below were computed with scipy 1.17.1 / numpy 2.4.6.

#[test]
fn ks_tiny_constant_and_one_sided_samples() {
    let cases = [
        (
            json!([0.3]),
            json!([0.1, 0.2, 0.4, 0.5, 0.6]),
            "exact",
            0.6,
            1.0,
            0.3,
        ),
        (
            json!([0.3]),
            json!([0.1, 0.2, 0.4, 0.5, 0.6]),
            "asymp",
            0.6,
            0.8,
            0.3,
        ),
        (
            json!([1, 2, 3, 4, 5]),
            json!([6, 7, 8, 9, 10]),
            "exact",
            1.0,
            0.007936507936507936,
            5.0,
        ),
        (
            json!([1, 2, 3, 4, 5]),
            json!([6, 7, 8, 9, 10]),
            "asymp",
            1.0,
            0.0,
            5.0,
        ),
        (
            json!([1.0, 1.0, 1.0]),
            json!([2.0, 2.0, 2.0, 2.0]),
            "exact",
            1.0,
            0.05714285714285715,
            1.0,
        ),
    ];
    for (x, y, method, d, p, loc) in cases {
        let r = call(json!({"function": "ks_2samp", "x": x, "y": y, "method": method}));
        assert_rel(num(&r["statistic"]), d, 1e-12);
        assert_rel(num(&r["pvalue"]), p, 1e-9);
        assert_eq!(num(&r["statistic_location"]), loc);
    }
    let (x, y) = (json!([1, 2, 3, 4, 5.5]), json!([0.5, 2.5, 3.5, 6, 7, 8]));
    let r = call(
        json!({"function": "ks_2samp", "x": x, "y": y, "alternative": "less", "method": "exact"}),
    );
    assert_rel(num(&r["pvalue"]), 0.8051948051948052, 1e-9);
    assert_eq!(r["statistic_sign"], json!(-1));
    let r = call(
        json!({"function": "ks_2samp", "x": x, "y": y, "alternative": "greater", "method": "exact"}),
    );
    assert_rel(num(&r["pvalue"]), 0.17965367965367965, 1e-9);
    let r = call(
        json!({"function": "ks_2samp", "x": x, "y": y, "alternative": "less", "method": "asymp"}),
    );
    assert_rel(num(&r["pvalue"]), 0.731153896157336, 1e-12);
    let y5 = json!([0.5, 2.5, 3.5, 6, 7]);
    let r = call(
        json!({"function": "ks_2samp", "x": x, "y": y5, "alternative": "less", "method": "exact"}),
    );
    assert_rel(num(&r["pvalue"]), 0.8333333333333334, 1e-12);
}

#[test]
fn ks_huge_samples_use_the_finite_n_distribution() {
    let x = json!({"modseq": {"n": 1_000_000, "a": 7919, "c": 13, "m": 1_000_003, "scale": 1.0, "offset": 0.0}});
    for (offset, d, p) in [
        (0.002, 0.002003000000000088, 0.036145426574682005),
        (0.0005, 0.0005030000000000312, 0.9995850361202291),
    ] {
        let y = json!({"modseq": {"n": 1_000_000, "a": 104729, "c": 7, "m": 999_983, "scale": 1.0, "offset": offset}});
        let r = call(json!({"function": "ks_2samp", "x": x, "y": y, "method": "auto"}));
        assert_rel(num(&r["statistic"]), d, 1e-12);
        assert_rel(num(&r["pvalue"]), p, 1e-9);
        assert_eq!(r["method_used"], json!("asymp"));
    }
    use vigil::stats::kstwo::kstwo_sf;
    for (d, n, p) in [
        (0.003, 500000.0, 0.00024632301239186754),
        (0.0015, 500000.0, 0.21034190155828947),
        (0.01, 500000.0, 7.374635645083527e-44),
        (0.02, 100.0, 0.999999999978262),
        (0.3, 100.0, 1.7719869892662917e-08),
        (0.05, 1000.0, 0.013012074781090332),
        (0.2, 1000.0, 1.5528629204250538e-35),
    ] {
        assert_rel(kstwo_sf(d, n), p, 1e-9);
    }
}

#[test]
fn chi2_new_missing_and_single_categories() {
    let r = call(json!({"function": "chi2_contingency", "observed": [[10, 20, 0], [10, 15, 5]]}));
    assert_rel(num(&r["statistic"]), 5.714285714285714, 1e-12);
    assert_rel(num(&r["pvalue"]), 0.057432619267617335, 1e-9);
    let r = call(json!({"function": "chi2_contingency", "observed": [[50], [60]]}));
    assert_eq!(
        (num(&r["statistic"]), num(&r["pvalue"]), r["dof"].clone()),
        (0.0, 1.0, json!(0))
    );
    // p underflows to 0; its logarithm stays finite (scipy's logsf gives -inf here).
    let r = call(
        json!({"function": "chi2_contingency", "observed": [[100000, 100000], [150000, 50000]]}),
    );
    assert_rel(num(&r["statistic"]), 26665.60001066667, 1e-12);
    assert_eq!(num(&r["pvalue"]), 0.0);
    let lp = num(&r["log_pvalue"]);
    assert!(lp.is_finite() && lp < -13000.0, "{lp}");
    let e = dispatch(
        "chi2_contingency",
        &json!({"observed": [[1, 0], [2, 0]], "lambda_": "pearson"}),
    );
    assert!(matches!(e, Some(Err(_))));
}

#[test]
fn psi_and_js_handle_new_and_missing_categories_in_both_binnings() {
    let r = vec!["a"; 60]
        .into_iter()
        .chain(vec!["b"; 40])
        .collect::<Vec<_>>();
    let c = vec!["a"; 50]
        .into_iter()
        .chain(vec!["c"; 50])
        .collect::<Vec<_>>();
    for binning in ["evidently", "reference_quantiles"] {
        let req = json!({"function": "psi", "reference": r, "current": c, "column_type": "cat", "binning": binning});
        let psi = num(&call(req)["psi"]);
        // Shares: a .6/.5, b .4/(1e-4 smoothed), c (1e-4)/.5.
        let want = (0.6 - 0.5) * (0.6f64 / 0.5).ln()
            + (0.4 - 1e-4) * (0.4f64 / 1e-4).ln()
            + (1e-4 - 0.5) * (1e-4f64 / 0.5).ln();
        assert_rel(psi, want, 1e-12);
        let req = json!({"function": "js_drift", "reference": r, "current": c, "column_type": "cat", "binning": binning, "base": 2.0});
        let js = num(&call(req)["distance"]);
        assert!(js > 0.5 && js < 1.0, "{js}");
    }
    let bad = dispatch(
        "psi",
        &json!({"reference": [1.0], "current": [2.0], "colour": "blue"}),
    );
    assert!(matches!(bad, Some(Err(e)) if e.code == "invalid_request"));
}

#[test]
fn frozen_quantile_bins_keep_values_comparable_over_time() {
    let reference: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
    let same = call(
        json!({"function": "psi", "reference": reference, "current": reference, "binning": "reference_quantiles", "bins": 10}),
    );
    assert_eq!(num(&same["psi"]), 0.0);
    assert_eq!(same["n_bins"], json!(10));
    // Values far outside the reference land in the open outer bins, not outside the histogram.
    let far: Vec<f64> = (0..100).map(|i| 10.0 + f64::from(i)).collect();
    let r = call(
        json!({"function": "psi", "reference": reference, "current": far, "binning": "reference_quantiles"}),
    );
    assert!(num(&r["psi"]) > 5.0);
}

#[test]
fn wasserstein_identical_and_constant_samples() {
    let r = call(
        json!({"function": "wasserstein_distance", "u_values": [1, 2, 3], "v_values": [1, 2, 3]}),
    );
    assert_eq!(num(&r["distance"]), 0.0);
    let r = call(
        json!({"function": "wasserstein_distance", "u_values": [2.0, 2.0], "v_values": [3.0]}),
    );
    assert_eq!(
        (num(&r["distance"]), num(&r["normed_distance"])),
        (1.0, 1000.0)
    );
}

#[test]
fn cusum_boundary_equal_to_h_does_not_alarm_through_the_api() {
    let r = call(
        json!({"function": "cusum", "x": [1.0, 1.0, 1.0, 1.0], "mu0": 0.0, "sigma": 1.0, "k": 0.0, "h": 4.0,
                        "headstart": 0.0, "reset_after_alarm": false}),
    );
    assert_eq!(r["c_plus"], json!([1.0, 2.0, 3.0, 4.0]));
    assert_eq!(r["alarms_upper"], json!([]));
    let r = call(
        json!({"function": "cusum", "x": [1.0, 1.0, 1.0, 1.0, 0.1], "mu0": 0.0, "sigma": 1.0, "k": 0.0, "h": 4.0}),
    );
    assert_eq!(r["alarms_upper"], json!([4]));
}

/// Standard normal deviates by Box-Muller from a seeded ChaCha stream (reproducible).
fn normals(rng: &mut ChaCha8Rng) -> impl FnMut() -> f64 + '_ {
    move || {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Mean and standard error of the run length of a two-sided CUSUM over `runs` simulations.
fn simulate_arl(k: f64, h: f64, shift: f64, runs: usize, seed: u64) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut next = normals(&mut rng);
    let mut lengths = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (mut cp, mut cm, mut t) = (0.0f64, 0.0f64, 0u64);
        loop {
            t += 1;
            let x = next() + shift;
            cp = (cp + x - k).max(0.0);
            cm = (cm - x - k).max(0.0);
            if cp > h || cm > h {
                break;
            }
        }
        lengths.push(t as f64);
    }
    let n = runs as f64;
    let mean = lengths.iter().sum::<f64>() / n;
    let var = lengths.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn cusum_arl_design_agrees_with_a_seeded_monte_carlo_simulation() {
    let d = call(json!({"function": "cusum_design", "k": 0.5, "arl0": 200.0, "shift": 1.0}));
    let (h, arl0, arl1) = (num(&d["h"]), num(&d["arl0"]), num(&d["arl1"]));
    assert_rel(arl0, 200.0, 1e-6);
    let (mc0, se0) = simulate_arl(0.5, h, 0.0, 4000, 20_240_611);
    assert!(
        (mc0 - arl0).abs() < 4.0 * se0,
        "ARL0 {arl0} vs simulated {mc0} ± {se0}"
    );
    let (mc1, se1) = simulate_arl(0.5, h, 1.0, 4000, 7);
    assert!(
        (mc1 - arl1).abs() < 4.0 * se1,
        "ARL1 {arl1} vs simulated {mc1} ± {se1}"
    );
    // Siegmund's approximation is close but not exact.
    assert!((num(&d["arl0_siegmund"]) - arl0).abs() / arl0 < 0.1);
}

mod column_drift {
    use super::*;
    use vigil::stats::column_drift::{
        CategoricalMethod, ColumnValues, DriftConfig, FrozenReference, NumericMethod,
        ReferenceInput, check_drift,
    };
    use vigil::stats::ks::{Alternative, KsMethod, ks_2samp};

    fn sample(rng: &mut ChaCha8Rng, n: usize, shift: f64) -> Vec<f64> {
        let mut next = normals(rng);
        (0..n).map(|_| next() + shift).collect()
    }

    fn labels(rng: &mut ChaCha8Rng, n: usize, probs: &[f64]) -> Vec<&'static str> {
        const L: [&str; 4] = ["a", "b", "c", "d"];
        (0..n)
            .map(|_| {
                let u: f64 = rng.random();
                let mut acc = 0.0;
                let i = probs.iter().position(|p| {
                    acc += p;
                    u < acc
                });
                L[i.unwrap_or(probs.len() - 1)]
            })
            .collect()
    }

    #[test]
    fn flags_the_shifted_columns_and_matches_the_standalone_tests() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = 3000;
        let (r0, c0) = (sample(&mut rng, n, 0.0), sample(&mut rng, n, 0.0));
        let (r1, c1) = (sample(&mut rng, n, 0.0), sample(&mut rng, n, 0.3));
        let rc = labels(&mut rng, n, &[0.5, 0.3, 0.2]);
        let mut cc = labels(&mut rng, n, &[0.2, 0.3, 0.5]);
        cc[0] = "new category";
        let frozen = FrozenReference::prepare(
            vec![
                ("same".into(), ReferenceInput::Numeric(r0.clone())),
                ("shifted".into(), ReferenceInput::Numeric(r1)),
                ("cat".into(), ReferenceInput::Categorical(&rc)),
            ],
            10,
        )
        .expect("prepare");
        // The frozen reference survives a JSON round trip (it is stored in the database).
        let text = serde_json::to_string(&frozen).expect("serialise");
        let back: FrozenReference = serde_json::from_str(&text).expect("deserialise");
        assert_eq!(back, frozen);
        let current = [
            ("same", ColumnValues::Numeric(&c0)),
            ("shifted", ColumnValues::Numeric(&c1)),
            ("cat", ColumnValues::Categorical(&cc)),
        ];
        let report = check_drift(&back, &current, &DriftConfig::default()).expect("check");
        let flags: Vec<(&str, bool)> = report
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.drifted))
            .collect();
        assert_eq!(
            flags,
            vec![("same", false), ("shifted", true), ("cat", true)]
        );
        let ks = ks_2samp(&r0, &c0, Alternative::TwoSided, KsMethod::Auto).expect("ks");
        assert_eq!(report.columns[0].statistic, ks.statistic);
        assert_eq!(report.columns[0].pvalue, Some(ks.pvalue));
        assert!(report.columns[0].p_adjusted >= report.columns[0].pvalue);
        assert_eq!(
            (report.columns[2].n_ref, report.columns[2].n_cur),
            (n as u64, n as u64)
        );

        let cfg = DriftConfig {
            numeric: NumericMethod::Psi,
            categorical: CategoricalMethod::JensenShannon,
            ..DriftConfig::default()
        };
        let report = check_drift(&frozen, &current, &cfg).expect("check");
        assert_eq!(report.columns[1].method, "psi");
        assert!(report.columns[1].statistic > report.columns[0].statistic);
        assert!(report.columns[2].pvalue.is_none());
        let missing = check_drift(&frozen, &current[..2], &DriftConfig::default());
        assert!(missing.is_err());
    }
}

#[test]
fn validation_case_counts_per_family() {
    // KS: 26 reference calls × {statistic, p}; chi2: 20 calls × {statistic, p} + 4 refusals;
    // JS: 8 binned × {ln, log2} + 2 plain vectors; CUSUM: 4 × {no reset, reset} + 1 × {no
    // reset, reset to zero, reset to the head start}; EWMA: 2.
    let want = [
        ("ks_2samp", 52),
        ("chi2_homogeneity", 44),
        ("psi_evidently", 8),
        ("jensenshannon", 18),
        ("wasserstein", 5),
        ("spc_cusum_ewma", 13),
    ];
    for (name, n) in want {
        let got = cases(name, &fixture(name)).map_or(0, |c| c.len());
        assert_eq!(got, n, "{name}");
    }
    assert!(cases("wilcoxon", &fixture("wilcoxon")).is_none());
}
