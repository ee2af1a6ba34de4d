//! Every reference fixture of METRICS.md section 5 through the library: Dice and IoU exact,
//! distances and NSD to 1e-9 relative against the `expected` block of vectors.json, and the
//! surface areas against surface-distance's.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil::segmentation::{
    DecodeLimits, LabelMetrics, MetricOptions, Status, compute_metrics, decode_nifti_path,
};

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics")
}

pub fn vectors() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("vectors.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A number from vectors.json, where non-finite values are strings.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.parse().unwrap()),
        other => Some(other.as_f64().unwrap()),
    }
}

pub fn assert_close(name: &str, field: &str, got: Option<f64>, want: Option<f64>, rel: f64) {
    match (got, want) {
        (Some(g), Some(w)) => {
            let ok = g == w || (g - w).abs() <= rel * w.abs().max(g.abs());
            assert!(ok, "{name}.{field}: got {g:.17}, want {w:.17}");
        }
        (g, w) => assert_eq!(g, w, "{name}.{field}"),
    }
}

fn metrics_of(case: &Value) -> LabelMetrics {
    let dir = fixture_dir();
    let load = |key: &str| {
        let path = dir.join(case[key].as_str().unwrap());
        decode_nifti_path(&path, &DecodeLimits::default()).unwrap()
    };
    let (reference, pred) = (load("ref_file"), load("pred_file"));
    let spacing: Vec<f64> = case["spacing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(
        reference.spacing().to_vec(),
        spacing,
        "spacing read from the header"
    );
    let mut out = compute_metrics(&pred, &reference, &MetricOptions::default()).unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0)
}

/// The checks shared by the library and CLI tests, on the JSON form of one result.
pub fn check_expected(name: &str, got: &Value, case: &Value) {
    let exp = &case["expected"];
    assert_eq!(got["status"], exp["status"], "{name}.status");
    for field in ["dice", "iou"] {
        assert_close(name, field, number(&got[field]), number(&exp[field]), 1e-12);
    }
    for field in [
        "hd",
        "hd95",
        "hd95_ref_to_pred",
        "hd95_pred_to_ref",
        "masd",
        "assd_pooled",
        "asd_ref_to_pred",
        "asd_pred_to_ref",
    ] {
        assert_close(name, field, number(&got[field]), number(&exp[field]), 1e-9);
    }
    assert_close(
        name,
        "nsd_1mm",
        number(&got["nsd"]["1"]),
        number(&exp["nsd_1mm"]),
        1e-9,
    );
    assert_close(
        name,
        "nsd_2mm",
        number(&got["nsd"]["2"]),
        number(&exp["nsd_2mm"]),
        1e-9,
    );
    for (ours, theirs) in [
        ("ref_surface_mm2", "surface_area_ref_mm2"),
        ("pred_surface_mm2", "surface_area_pred_mm2"),
    ] {
        assert_close(name, ours, number(&got[ours]), number(&exp[theirs]), 1e-9);
    }
    let counts = &case["counts"];
    assert_eq!(got["ref_voxels"], counts["ref_voxels"], "{name}.ref_voxels");
    assert_eq!(
        got["pred_voxels"], counts["pred_voxels"],
        "{name}.pred_voxels"
    );
}

#[test]
fn every_fixture_matches_the_expected_block() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let m = metrics_of(case);
        check_expected(name, &serde_json::to_value(&m).unwrap(), case);
    }
}

#[test]
fn surfel_counts_match_surface_distance() {
    // Areas depend on every surfel; a wrong corner grid shows up here first.
    let vectors = vectors();
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let m = metrics_of(case);
        let sd = &case["surface_distance"];
        if m.status == Status::Ok {
            assert_close(
                name,
                "area_ref",
                Some(m.ref_surface_mm2),
                number(&sd["surface_area_gt_mm2"]),
                1e-12,
            );
        }
    }
}
