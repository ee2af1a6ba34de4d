//! The verification suite behind `vigil validate` and the fixture tests: every reference case
//! becomes a `vigil stats` request plus the expected result and its tolerance. Reference
//! entries that ask for a quantity `vigil stats` does not expose are listed as skipped with
//! their reason, never dropped silently.

use std::path::Path;

use serde_json::{Value, json};

use super::json_api::dispatch;
use super::json_num::from_json;

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

/// A reference entry (or one field of it) that is not checked, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedEntry {
    pub id: String,
    pub family: String,
    pub call: String,
    pub reason: String,
}

/// All cases of a set of fixture files.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    pub cases: Vec<ValidationCase>,
    pub skipped: Vec<SkippedEntry>,
}

/// Outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub id: String,
    pub family: String,
    pub function: String,
    pub expected: Value,
    /// The result, or `{"error": {code, message}}` when the request was refused.
    pub obtained: Value,
    pub rel_tol: f64,
    pub abs_tol: f64,
    pub pass: bool,
    /// Why the case failed (empty when it passed).
    pub detail: String,
}

/// The fixture files compiled into the binary, so `vigil validate` needs no files on disk.
pub const FIXTURES: &[(&str, &str)] = &[
    (
        "bh_fdr.json",
        include_str!("../../tests/fixtures/stats/bh_fdr.json"),
    ),
    (
        "binomtest.json",
        include_str!("../../tests/fixtures/stats/binomtest.json"),
    ),
    (
        "chi2_homogeneity.json",
        include_str!("../../tests/fixtures/stats/chi2_homogeneity.json"),
    ),
    (
        "jensenshannon.json",
        include_str!("../../tests/fixtures/stats/jensenshannon.json"),
    ),
    (
        "ks_2samp.json",
        include_str!("../../tests/fixtures/stats/ks_2samp.json"),
    ),
    (
        "mannwhitneyu.json",
        include_str!("../../tests/fixtures/stats/mannwhitneyu.json"),
    ),
    (
        "mean_t_ci.json",
        include_str!("../../tests/fixtures/stats/mean_t_ci.json"),
    ),
    (
        "poisson.json",
        include_str!("../../tests/fixtures/stats/poisson.json"),
    ),
    (
        "proportion_ci.json",
        include_str!("../../tests/fixtures/stats/proportion_ci.json"),
    ),
    (
        "psi_evidently.json",
        include_str!("../../tests/fixtures/stats/psi_evidently.json"),
    ),
    (
        "spc_cusum_ewma.json",
        include_str!("../../tests/fixtures/stats/spc_cusum_ewma.json"),
    ),
    (
        "ttest_rel.json",
        include_str!("../../tests/fixtures/stats/ttest_rel.json"),
    ),
    (
        "wasserstein.json",
        include_str!("../../tests/fixtures/stats/wasserstein.json"),
    ),
    (
        "wilcoxon.json",
        include_str!("../../tests/fixtures/stats/wilcoxon.json"),
    ),
];

/// Cases of the compiled-in fixtures.
pub fn all_cases() -> Result<Suite, String> {
    let mut files = Vec::new();
    for (name, text) in FIXTURES {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        files.push((name.to_string(), v));
    }
    suite_from_files(&files)
}

/// Cases of every family file (`*.json` except `index.json`) in `dir`, in name order.
pub fn cases_from_dir(dir: &Path) -> Result<Suite, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|n| n.ends_with(".json") && n != "index.json")
        .collect();
    names.sort();
    let mut files = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        files.push((name, v));
    }
    suite_from_files(&files)
}

/// Cases of already parsed family files `(file name, content)`. A family nobody handles is
/// reported as skipped as a whole.
pub fn suite_from_files(files: &[(String, Value)]) -> Result<Suite, String> {
    let mut suite = Suite::default();
    for (name, fixture) in files {
        if let Some(family) = super::validation_cases::family_suite(name, fixture)? {
            suite.cases.extend(family.cases);
            suite.skipped.extend(family.skipped);
        } else if let Some(cases) = super::validation_drift::cases(name, fixture) {
            suite.cases.extend(cases);
        } else {
            suite.skipped.push(SkippedEntry {
                id: "*".into(),
                family: name.clone(),
                call: "(whole family)".into(),
                reason: "no implementation of this family in this build".into(),
            });
        }
    }
    Ok(suite)
}

/// Run one case through the dispatcher and compare every expected field.
pub fn run_case(case: &ValidationCase) -> CaseRecord {
    let function = case
        .request
        .get("function")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (obtained, pass, detail) = match (dispatch(&case.request), case.expect_error) {
        (Ok(v), false) => match compare(&case.expected, &v, case.rel_tol, case.abs_tol, "") {
            Ok(()) => (v, true, String::new()),
            Err(e) => (v, false, e),
        },
        (Ok(v), true) => (v, false, "expected the request to be refused".to_string()),
        (Err(e), expect) => {
            let detail = if expect { String::new() } else { e.to_string() };
            (
                json!({"error": {"code": e.code, "message": e.message}}),
                expect,
                detail,
            )
        }
    };
    CaseRecord {
        id: case.id.clone(),
        family: case.family.clone(),
        function: function.to_string(),
        expected: case.expected.clone(),
        obtained,
        rel_tol: case.rel_tol,
        abs_tol: case.abs_tol,
        pass,
        detail,
    }
}

/// Run every case of a suite.
pub fn run_suite(suite: &Suite) -> Vec<CaseRecord> {
    suite.cases.iter().map(run_case).collect()
}

/// Whether `obtained` matches `expected` within tolerance; every field of `expected`
/// (recursively) must be present. NaN matches NaN and infinities must match exactly.
pub fn compare(
    expected: &Value,
    obtained: &Value,
    rel: f64,
    abs: f64,
    path: &str,
) -> Result<(), String> {
    match expected {
        Value::Object(map) => {
            for (key, want) in map {
                let sub = format!("{path}.{key}");
                let got = obtained.get(key).ok_or_else(|| format!("{sub}: missing"))?;
                compare(want, got, rel, abs, &sub)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let got = obtained
                .as_array()
                .ok_or_else(|| format!("{path}: not an array"))?;
            if got.len() != items.len() {
                return Err(format!("{path}: length {} != {}", got.len(), items.len()));
            }
            for (i, (w, g)) in items.iter().zip(got).enumerate() {
                compare(w, g, rel, abs, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ => match (from_json(expected), from_json(obtained)) {
            (Some(w), Some(g)) if numbers_match(w, g, rel, abs) => Ok(()),
            (Some(w), Some(g)) => Err(format!("{path}: expected {w:e}, obtained {g:e}")),
            _ if expected == obtained => Ok(()),
            _ => Err(format!("{path}: expected {expected}, obtained {obtained}")),
        },
    }
}

fn numbers_match(want: f64, got: f64, rel: f64, abs: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    (want - got).abs() <= (rel * want.abs()).max(abs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_respects_tolerances_and_non_finite_values() {
        let want = json!({"p": 0.5, "ci": ["-Infinity", 1.0], "n": "NaN"});
        let ok = json!({"p": 0.5 + 1e-13, "ci": ["-Infinity", 1.0], "n": "NaN", "extra": 1});
        assert!(compare(&want, &ok, 1e-12, 0.0, "").is_ok());
        let far = json!({"p": 0.5001, "ci": ["-Infinity", 1.0], "n": "NaN"});
        assert!(compare(&want, &far, 1e-12, 0.0, "").is_err());
        let nan = json!({"p": 0.5, "ci": ["-Infinity", 1.0], "n": 1.0});
        assert!(compare(&want, &nan, 1e-12, 0.0, "").is_err());
        assert!(compare(&json!({"a": 1}), &json!({}), 1.0, 1.0, "").is_err());
    }

    #[test]
    fn a_wrong_case_fails_and_a_refusal_passes_only_when_expected() {
        let case = ValidationCase {
            id: "t".into(),
            family: "binomtest.json".into(),
            request: json!({"function": "binomtest", "k": 3, "n": 10, "p": 0.5}),
            expected: json!({"statistic": 0.4}),
            rel_tol: 1e-12,
            abs_tol: 0.0,
            expect_error: false,
        };
        assert!(!run_case(&case).pass);
        let refused = ValidationCase {
            request: json!({"function": "binomtest", "k": 11, "n": 10}),
            expect_error: true,
            ..case
        };
        assert!(run_case(&refused).pass);
    }

    #[test]
    fn reference_errors_become_refusal_cases() {
        let fixture = json!({"cases": [{"id": "bad", "inputs": {"k": 5, "n": 3, "p": 0.5},
            "results": [{"call": "scipy.stats.binomtest(5, 3, p=0.5, alternative='less')",
                "error": "k must be <= n"}]}]});
        let suite = suite_from_files(&[("binomtest.json".into(), fixture)]).unwrap();
        assert_eq!(suite.cases.len(), 1);
        assert!(suite.cases[0].expect_error);
        assert!(run_case(&suite.cases[0]).pass);
    }

    #[test]
    fn unknown_family_is_listed_as_skipped() {
        let suite = suite_from_files(&[("mystery.json".into(), json!({"cases": []}))]).unwrap();
        assert!(suite.cases.is_empty());
        assert_eq!(suite.skipped.len(), 1);
        assert_eq!(suite.skipped[0].family, "mystery.json");
    }

    #[test]
    fn compiled_in_fixtures_cover_every_family_file() {
        let suite = all_cases().unwrap();
        // A case with nothing to compare would pass vacuously.
        for c in &suite.cases {
            let fields = c.expected.as_object().map_or(0, |m| m.len());
            assert!(c.expect_error || fields > 0, "{}", c.id);
        }
        assert!(suite.cases.len() > 300, "{}", suite.cases.len());
        for (name, _) in FIXTURES {
            let covered = suite.cases.iter().any(|c| c.family == *name)
                || suite.skipped.iter().any(|s| s.family == *name);
            assert!(covered, "{name}");
        }
    }
}
