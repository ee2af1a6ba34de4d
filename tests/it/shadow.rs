//! Shadow evaluation against its peers: the ort runner's output against Python onnxruntime's,
//! the sliding window against MONAI's `sliding_window_inference(mode="gaussian")`, per-case
//! Dice against the Python pipeline, and the dossier verdicts the fixture models were designed
//! to produce (tests/fixtures/shadow/make_fixtures.py).
//!
//! These tests need ONNX Runtime: `ORT_DYLIB_PATH` pointing at the onnxruntime wheel's
//! `libonnxruntime.so.*` (`.ci/run` sets it). Without it they print why and return.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil::segmentation::{DecodeLimits, decode_nifti_path};
use vigil::shadow::case::{score_case, segment};
use vigil::shadow::compare::{PairedCase, Settings, compare};
use vigil::shadow::image::{decode_image, preprocess};
use vigil::shadow::labels::Metric;
use vigil::shadow::ort_runner::{OrtRunner, OrtRuntime};
use vigil::shadow::profile::HardwareProfile;
use vigil::shadow::runner::ModelRunner;
use vigil::shadow::spec::InferenceSpec;
use vigil::shadow::window::{Volume, sliding_window};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shadow")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("fixtures.json")).unwrap()).unwrap()
}

fn spec() -> InferenceSpec {
    InferenceSpec::from_json(&std::fs::read(dir().join("spec.json")).unwrap()).unwrap()
}

fn profile(memory_mib: u64, latency_ms: f64) -> HardwareProfile {
    let text = format!(
        r#"{{"name": "test-cpu", "intra_op_threads": 1, "memory_limit_mib": {memory_mib},
        "latency_budget_ms": {latency_ms}, "max_patch_batch": 4}}"#
    );
    HardwareProfile::from_json(text.as_bytes()).unwrap()
}

fn f32_gz(rel: &str) -> Vec<f32> {
    let file = std::fs::File::open(dir().join(rel)).unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The runtime, or None (with a note) when this machine has no ONNX Runtime library.
fn runtime() -> Option<&'static OrtRuntime> {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("ORT_DYLIB_PATH is not set: skipping (see .ci/run)");
        return None;
    }
    Some(OrtRuntime::get(None).expect("ONNX Runtime loads from ORT_DYLIB_PATH"))
}

fn runner(rt: &OrtRuntime, model: &str) -> OrtRunner {
    let bytes = std::fs::read(dir().join(format!("models/{model}.onnx"))).unwrap();
    rt.session(&bytes, &spec(), &profile(4096, 60_000.0))
        .unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn ort_runner_output_equals_python_onnxruntime() {
    let Some(rt) = runtime() else { return };
    let input = f32_gz("reference/patch_input.f32.gz");
    let expected = f32_gz("reference/patch_deployed_probs.f32.gz");
    let out = runner(rt, "deployed")
        .run(&input, [1, 1, 24, 24, 24])
        .unwrap();
    assert_eq!(out.channels, 3);
    let diff = max_abs_diff(&out.data, &expected);
    eprintln!(
        "max |Rust ort - Python onnxruntime| = {diff:e} over {} values",
        expected.len()
    );
    assert!(diff <= 1e-6, "{diff}");
    assert!(rt.version().starts_with("1."), "{}", rt.version());
}

#[test]
fn sliding_window_equals_monai_gaussian() {
    let Some(rt) = runtime() else { return };
    let m = manifest();
    let case0 = m["cases"][0]["image"].as_str().unwrap();
    let mut image = decode_image(&std::fs::read(dir().join(case0)).unwrap(), 1 << 28).unwrap();
    preprocess(&mut image.volume, &spec().preprocessing);
    let out = sliding_window(&mut runner(rt, "deployed"), &image.volume, [24; 3], 0.5, 4).unwrap();
    let diff = max_abs_diff(&out.data, &f32_gz("reference/window_case0_deployed.f32.gz"));
    eprintln!("case 0, overlap 0.5, batch 4: max |Vigil - MONAI| = {diff:e}");
    assert!(diff <= 1e-5, "{diff}");
    // A volume shorter than the patch on one axis: padding, overlap 0.25, batch 3.
    let small = Volume {
        shape: [30, 26, 20],
        data: f32_gz("reference/window_small_input.f32.gz"),
    };
    let out = sliding_window(
        &mut runner(rt, "candidate_better"),
        &small,
        [24; 3],
        0.25,
        3,
    )
    .unwrap();
    let diff = max_abs_diff(&out.data, &f32_gz("reference/window_small_better.f32.gz"));
    eprintln!("padded volume, overlap 0.25, batch 3: max |Vigil - MONAI| = {diff:e}");
    assert!(diff <= 1e-5, "{diff}");
}

/// Mean Dice per case of one model over the fixture cases.
fn dice_scores(rt: &OrtRuntime, model: &str) -> Vec<f64> {
    let (m, spec, profile) = (manifest(), spec(), profile(4096, 60_000.0));
    let mut run = runner(rt, model);
    m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let bytes = std::fs::read(dir().join(c["image"].as_str().unwrap())).unwrap();
            let image = decode_image(&bytes, 1 << 28).unwrap();
            let seg = segment(&mut run, &image, &spec, &profile).unwrap();
            let mask = decode_nifti_path(
                &dir().join(c["mask"].as_str().unwrap()),
                &DecodeLimits::default(),
            )
            .unwrap();
            score_case(&seg, &mask, Metric::Dice).unwrap()
        })
        .collect()
}

#[test]
fn per_case_dice_equals_the_python_pipeline() {
    let Some(rt) = runtime() else { return };
    let m = manifest();
    for model in [
        "deployed",
        "candidate_better",
        "candidate_worse_c",
        "candidate_int8",
    ] {
        let ours = dice_scores(rt, model);
        let theirs: Vec<f64> = m["expected_mean_dice"][model]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-9, "{model}: {worst} ({ours:?} vs {theirs:?})");
    }
}

/// Paired cases of a candidate against the deployed model, with the given cost per case.
fn paired(rt: &OrtRuntime, candidate: &str, wall_ms: f64, peak_mib: f64) -> Vec<PairedCase> {
    let m = manifest();
    let base = dice_scores(rt, "deployed");
    let cand = dice_scores(rt, candidate);
    m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, c)| PairedCase {
            case_ref: c["case_ref"].as_str().unwrap().to_string(),
            stratum: c["scanner"].as_str().unwrap().to_string(),
            candidate: cand[i],
            baseline: base[i],
            wall_ms,
            compute_ms: wall_ms / 2.0,
            peak_mib,
        })
        .collect()
}

fn settings() -> Settings {
    Settings {
        metric: Metric::Dice,
        margin: 0.05,
        alpha: 0.05,
        bootstrap_resamples: 2000,
        seed: 14,
    }
}

#[test]
fn dossier_verdicts_come_out_as_designed() {
    let Some(rt) = runtime() else { return };
    let roomy = profile(512, 1000.0);
    let better = compare(
        paired(rt, "candidate_better", 100.0, 50.0),
        settings(),
        &roomy,
    )
    .unwrap();
    assert!(better.passed, "{:?}", better.reasons);
    assert!(better.overall.t_ci_low > 0.0 && better.overall.bootstrap_ci_low > 0.0);
    assert!(better.strata.iter().all(|s| !s.flagged));

    let int8 = compare(
        paired(rt, "candidate_int8", 100.0, 50.0),
        settings(),
        &roomy,
    )
    .unwrap();
    assert!(int8.passed, "{:?}", int8.reasons);

    // Non-inferior on the whole, clearly worse on scanner C only: flagged, so not passed.
    let worse = compare(
        paired(rt, "candidate_worse_c", 100.0, 50.0),
        settings(),
        &roomy,
    )
    .unwrap();
    assert!(worse.overall.noninferior, "{:?}", worse.overall);
    let flagged: Vec<&str> = worse
        .strata
        .iter()
        .filter(|s| s.flagged)
        .map(|s| s.stratum.as_str())
        .collect();
    assert_eq!(flagged, ["scanner-c"]);
    assert!(!worse.passed);
    assert!(
        worse.reasons.iter().any(|r| r.contains("scanner-c")),
        "{:?}",
        worse.reasons
    );

    // The better candidate over the latency and memory budget fails those lines only.
    let tight = profile(40, 80.0);
    let slow = compare(
        paired(rt, "candidate_better", 100.0, 50.0),
        settings(),
        &tight,
    )
    .unwrap();
    assert!(slow.overall.noninferior && !slow.passed);
    let failed: Vec<&str> = slow
        .budget
        .iter()
        .filter(|b| !b.pass)
        .map(|b| b.line)
        .collect();
    assert_eq!(
        failed,
        ["latency_p50_ms", "latency_p95_ms", "peak_memory_mib"]
    );
}

#[test]
fn spec_mismatch_and_invalid_model_are_refused_with_the_runtime_reason() {
    let Some(rt) = runtime() else { return };
    let model = std::fs::read(dir().join("models/deployed.onnx")).unwrap();
    let text = std::fs::read_to_string(dir().join("spec.json")).unwrap();
    let wrong =
        InferenceSpec::from_json(text.replace("\"probs\"", "\"logits\"").as_bytes()).unwrap();
    let err = rt
        .session(&model, &wrong, &profile(512, 1000.0))
        .err()
        .unwrap();
    assert_eq!(err.code(), "spec_mismatch");
    assert!(err.to_string().contains("logits"), "{err}");
    let err = rt
        .session(b"not an onnx file", &spec(), &profile(512, 1000.0))
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_model");
    assert!(
        err.to_string().len() > "not a usable ONNX model: ".len(),
        "{err}"
    );
}

/// nextest runs each test in its own process, so this one loads the library first: a path
/// that does not exist gives `runtime_unavailable`, not a panic.
#[test]
fn a_missing_library_is_runtime_unavailable() {
    let err = OrtRuntime::get(Some("/nonexistent/libonnxruntime.so.1".into())).unwrap_err();
    assert_eq!(err.code(), "runtime_unavailable");
}
