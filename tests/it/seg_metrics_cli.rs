//! `vigil seg-metrics` through the real binary: every fixture against the expected block,
//! the JSON error contract (exit 2), label selection and Dice-only output.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use super::seg_fixtures::{check_expected, fixture_dir, vectors};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("seg-metrics")
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn case_path(file: &str) -> String {
    fixture_dir().join(file).to_string_lossy().into_owned()
}

#[test]
fn every_fixture_through_the_binary() {
    let vectors = vectors();
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let pred = case_path(case["pred_file"].as_str().unwrap());
        let reference = case_path(case["ref_file"].as_str().unwrap());
        let out = vigil(&["--pred", &pred, "--ref", &reference, "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check_expected(name, &json_of(&out), case);
    }
}

#[test]
fn json_has_every_documented_field_and_nulls_for_undefined() {
    let sphere = case_path("cases/identical_sphere_iso_ref.nii.gz");
    let empty = case_path("cases/both_empty_ref.nii.gz");
    // both_empty is 16^3 and the sphere 32^3: a shape mismatch, reported as such.
    let out = vigil(&["--pred", &empty, "--ref", &sphere, "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_of(&out)["error"]["code"], "shape_mismatch");

    let out = vigil(&[
        "--pred",
        &sphere,
        "--ref",
        &sphere,
        "--json",
        "--nsd-tolerance",
        "1.5,2",
    ]);
    let v = json_of(&out);
    for field in [
        "status",
        "dice",
        "iou",
        "hd",
        "hd95",
        "hd95_ref_to_pred",
        "hd95_pred_to_ref",
        "masd",
        "assd_pooled",
        "asd_ref_to_pred",
        "asd_pred_to_ref",
        "nsd",
        "ref_voxels",
        "pred_voxels",
        "ref_surface_mm2",
        "pred_surface_mm2",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    assert_eq!(v["nsd"]["1.5"], 1.0);
    assert_eq!(v["hd"], 0.0);
    assert!(v.get("label").is_none());
}

#[test]
fn bad_input_exits_2_with_a_coded_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.nii");
    std::fs::write(&garbage, b"definitely not a nifti file, far too short").unwrap();
    let truncated = dir.path().join("truncated.nii.gz");
    let bytes = std::fs::read(fixture_dir().join("cases/random_blobs_64_ref.nii.gz")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let good = case_path("cases/random_blobs_64_pred.nii.gz");
    for (file, code) in [(&garbage, "truncated"), (&truncated, "truncated")] {
        let out = vigil(&["--pred", &good, "--ref", file.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(json_of(&out)["error"]["code"], code, "{}", file.display());
    }
    let out = vigil(&[
        "--pred",
        &good,
        "--ref",
        &good,
        "--json",
        "--max-voxels",
        "1000",
    ]);
    assert_eq!(json_of(&out)["error"]["code"], "too_large");
    let out = vigil(&[
        "--pred",
        &good,
        "--ref",
        &good,
        "--json",
        "--nsd-tolerance=-1",
    ]);
    assert_eq!(json_of(&out)["error"]["code"], "invalid_option");
    let out = vigil(&["--pred", &good, "--ref", &good]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dice 1.000000"));
}

#[test]
fn labels_and_dice_only() {
    let pred = case_path("cases/dilated_pred_ct_pred.nii.gz");
    let reference = case_path("cases/dilated_pred_ct_ref.nii.gz");
    let all = json_of(&vigil(&[
        "--pred",
        &pred,
        "--ref",
        &reference,
        "--json",
        "--all-labels",
    ]));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["label"], 1);
    let one = json_of(&vigil(&[
        "--pred", &pred, "--ref", &reference, "--json", "--label", "1",
    ]));
    assert_eq!(one["label"], 1);
    assert_eq!(one["hd"], all[0]["hd"]);
    let absent = json_of(&vigil(&[
        "--pred", &pred, "--ref", &reference, "--json", "--label", "7",
    ]));
    assert_eq!(absent["status"], "both_empty");
    let dice = json_of(&vigil(&[
        "--pred",
        &pred,
        "--ref",
        &reference,
        "--json",
        "--dice-only",
    ]));
    assert_eq!(dice["dice"], one["dice"]);
    assert!(dice.get("hd").is_none());
    assert!(Path::new(&pred).exists());
}
