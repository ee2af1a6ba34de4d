//! `vigil shadow check-model|evaluate` through the real binary: the dossier and chart it
//! writes, the hash it prints, and `runtime_unavailable` (exit 1, no panic) without ONNX
//! Runtime.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shadow")
}

fn fixture(rel: &str) -> String {
    dir().join(rel).to_string_lossy().into_owned()
}

fn vigil(args: &[&str], with_ort: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.arg("shadow").args(args);
    if !with_ort {
        cmd.env_remove("ORT_DYLIB_PATH");
    }
    cmd.output().unwrap()
}

#[test]
fn evaluate_writes_the_dossier_its_hash_and_the_chart() {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("ORT_DYLIB_PATH is not set: skipping (see .ci/run)");
        return;
    }
    let out_dir = tempfile::tempdir().unwrap();
    let out_path = out_dir.path().to_string_lossy().into_owned();
    let args = [
        "evaluate",
        "--candidate",
        &fixture("models/candidate_int8.onnx"),
        "--baseline",
        &fixture("models/deployed.onnx"),
        "--spec",
        &fixture("spec.json"),
        "--profile",
        &fixture("profile.json"),
        "--cases",
        &fixture("cases.json"),
        "--retraining-request",
        "rr-0001",
        "--out",
        &out_path,
        "--quiet",
    ];
    let out = vigil(&args, true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = std::fs::read(out_dir.path().join("dossier.json")).unwrap();
    assert!(stdout.starts_with("PASSED"), "{stdout}");
    assert!(
        stdout.contains(&hex::encode(Sha256::digest(&json))),
        "{stdout}"
    );
    let d: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(d["passed"], true);
    assert_eq!(d["cases"].as_array().unwrap().len(), 12);
    assert_eq!(d["provenance"]["retraining_request"], "rr-0001");
    let model = std::fs::read(dir().join("models/candidate_int8.onnx")).unwrap();
    assert_eq!(
        d["provenance"]["candidate_sha256"],
        hex::encode(Sha256::digest(&model))
    );
    assert!(
        d["provenance"]["onnxruntime"]
            .as_str()
            .unwrap()
            .starts_with("1.")
    );
    for line in d["budget"].as_array().unwrap() {
        assert_eq!(line["pass"], true, "{line}");
        assert!(line["measured"].as_f64().unwrap() > 0.0, "{line}");
    }
    let png = std::fs::read(out_dir.path().join("dossier.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

#[test]
fn without_onnx_runtime_the_answer_is_runtime_unavailable() {
    let args = [
        "check-model",
        "--onnx",
        &fixture("models/deployed.onnx"),
        "--spec",
        &fixture("spec.json"),
    ];
    let out = vigil(&args, false);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("runtime_unavailable:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_bad_spec_names_its_field() {
    let bad = tempfile::NamedTempFile::new().unwrap();
    let text = std::fs::read_to_string(dir().join("spec.json")).unwrap();
    std::fs::write(
        bad.path(),
        text.replace("\"overlap\": 0.5", "\"overlap\": 2"),
    )
    .unwrap();
    let args = [
        "check-model",
        "--onnx",
        &fixture("models/deployed.onnx"),
        "--spec",
        bad.path().to_str().unwrap(),
    ];
    let out = vigil(&args, false);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("invalid_spec: inference spec field `overlap`"),
        "{stderr}"
    );
}
