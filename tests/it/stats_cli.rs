//! `vigil stats` and `vigil validate` end to end: every reference case through the library
//! and through the real binary (request on stdin), the error contract of bad requests, and
//! the validation record.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rayon::prelude::*;
use serde_json::{Value, json};
use vigil::stats::validation::{ValidationCase, all_cases, cases_from_dir, compare, run_suite};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stats")
}

/// Run `vigil stats` with `input` on stdin; returns (exit code, parsed stdout).
fn vigil_stats(input: &str) -> (i32, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("stats")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vigil");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write request");
    let out = child.wait_with_output().expect("wait vigil");
    let text = String::from_utf8(out.stdout).expect("utf8 stdout");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout {text:?}: {e}"));
    (out.status.code().expect("exit code"), value)
}

fn check_through_binary(case: &ValidationCase) -> Result<(), String> {
    let (code, out) = vigil_stats(&case.request.to_string());
    if case.expect_error {
        return match (code, out["error"]["code"].as_str()) {
            (2, Some(_)) => Ok(()),
            _ => Err(format!("{}: expected refusal, got {code} {out}", case.id)),
        };
    }
    if code != 0 {
        return Err(format!("{}: exit {code}: {out}", case.id));
    }
    compare(&case.expected, &out, case.rel_tol, case.abs_tol, "")
        .map_err(|e| format!("{}: {e}", case.id))
}

#[test]
fn every_fixture_case_passes_through_the_library() {
    let suite = all_cases().expect("fixtures parse");
    let failures: Vec<String> = run_suite(&suite)
        .into_iter()
        .filter(|r| !r.pass)
        .map(|r| format!("{}: {}", r.id, r.detail))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    // The hypothesis-test families alone hold 508 cases; drift families add theirs.
    assert!(suite.cases.len() >= 508, "{}", suite.cases.len());
}

#[test]
fn every_fixture_case_passes_through_the_binary() {
    let suite = cases_from_dir(&fixtures_dir()).expect("fixture dir");
    assert_eq!(
        suite.cases.len(),
        all_cases().expect("compiled-in").cases.len()
    );
    let failures: Vec<String> = suite
        .cases
        .par_iter()
        .filter_map(|c| check_through_binary(c).err())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn bad_requests_exit_2_with_the_error_shape() {
    let cases = [
        ("not json", "invalid_request"),
        ("[1, 2]", "invalid_request"),
        (r#"{"function": "nope"}"#, "unknown_function"),
        (
            r#"{"function": "binomtest", "k": 1, "n": 2, "typo": 1}"#,
            "invalid_request",
        ),
        (
            r#"{"function": "binomtest", "k": 3, "n": 2}"#,
            "invalid_input",
        ),
        (
            r#"{"function": "mannwhitneyu", "x": [1], "y": [2], "method": "fast"}"#,
            "invalid_request",
        ),
        (
            r#"{"function": "wilcoxon", "x": [1, 2], "y": [1]}"#,
            "invalid_input",
        ),
    ];
    for (input, code) in cases {
        let (rc, out) = vigil_stats(input);
        assert_eq!(rc, 2, "{input}");
        assert_eq!(out["error"]["code"], json!(code), "{input}: {out}");
        assert!(
            out["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[test]
fn input_file_option_and_non_finite_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("req.json");
    let req = json!({"function": "t_interval", "x": [3.0], "confidence": 0.95});
    std::fs::write(&path, req.to_string()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["stats", "--input"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v, json!({"lower": "NaN", "upper": "NaN", "mean": 3.0}));
}

#[test]
fn validate_passes_and_reports_version_and_commit() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["validate", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["failed"], json!(0));
    assert_eq!(v["version"], json!(env!("CARGO_PKG_VERSION")));
    assert!(v["commit"].as_str().is_some_and(|c| !c.is_empty()));
    let skipped = v["skipped"].as_array().expect("skipped list");
    assert!(
        skipped
            .iter()
            .all(|s| s["reason"].as_str().is_some_and(|r| !r.is_empty()))
    );
    let text = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("validate")
        .output()
        .expect("run");
    assert_eq!(text.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&text.stdout).contains("summary:"));
}

#[test]
fn validate_fails_on_a_doctored_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(fixtures_dir().join("binomtest.json")).expect("read");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v["cases"][0]["results"][0]["expected"]["pvalue"] = json!(0.9);
    std::fs::write(dir.path().join("binomtest.json"), v.to_string()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["validate", "--fixtures"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL binom_k0_n1_p0.5[0].p"));
}

/// scipy's own keyword names work (`ks_2samp(data1, data2)`), and `--help` shows a request
/// that works as written. Reference: scipy 1.17 `ks_2samp([0.1, 0.4, 0.7, 1.2],
/// [0.5, 0.9, 1.3, 1.8, 2.2])` = (statistic 0.6, pvalue 0.2857142857142857).
#[test]
fn scipy_keywords_and_the_help_example_work() {
    let request = r#"{"function": "ks_2samp", "data1": [0.1, 0.4, 0.7, 1.2], "data2": [0.5, 0.9, 1.3, 1.8, 2.2]}"#;
    let (code, out) = vigil_stats(request);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["statistic"], 0.6);
    assert_eq!(out["pvalue"], 0.2857142857142857);
    let short = request.replace("data1", "x").replace("data2", "y");
    assert_eq!(vigil_stats(&short), (0, out));
    let both = request.replace(r#""data2""#, r#""x""#);
    let (code, err) = vigil_stats(&both);
    assert_eq!(code, 2);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not both"),
        "{err}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["stats", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains(&format!("echo '{request}' | vigil stats")),
        "{help}"
    );
    assert!(
        help.contains(r#"{"method_used":"exact","pvalue":0.2857142857142857,"statistic":0.6,"#)
    );
}
