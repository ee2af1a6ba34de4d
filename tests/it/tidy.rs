//! Architecture invariants that must not erode quietly: the pure modules import no web
//! framework, database, async runtime, mail or inference crate, and source files stay small.

use std::path::{Path, PathBuf};

const PURE: &[&str] = &[
    "src/domain",
    "src/stats",
    "src/segmentation",
    "src/privacy",
    "src/monitoring",
    "src/simulator",
    "src/vigilance",
    "src/console",
    "src/alerting/rules.rs",
    "src/alerting/alert.rs",
    "src/alerting/email.rs",
    "src/alerting/outbox.rs",
    "src/alerting/chart.rs",
    "src/alerting/digest.rs",
    "src/shadow/case.rs",
    "src/shadow/compare.rs",
    "src/shadow/dossier.rs",
    "src/shadow/error.rs",
    "src/shadow/image.rs",
    "src/shadow/labels.rs",
    "src/shadow/mod.rs",
    "src/shadow/profile.rs",
    "src/shadow/run.rs",
    "src/shadow/runner.rs",
    "src/shadow/spec.rs",
    "src/shadow/window.rs",
    "src/jobs/mod.rs",
    "src/jobs/context.rs",
    "src/jobs/runner.rs",
    "src/jobs/worker.rs",
    "src/blobs",
    "src/reports",
];
const FORBIDDEN: &[&str] = &[
    "actix", "diesel", "tokio", "lettre", "ort::", "reqwest", "typst",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn pure_modules_import_no_framework_crates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for p in PURE {
        rust_files(&root.join(p), &mut files);
    }
    assert!(files.len() > 30, "found only {} files", files.len());
    let mut offences = Vec::new();
    for f in &files {
        for (n, line) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.starts_with("use ") || code.contains("::") {
                for bad in FORBIDDEN {
                    if code.contains(&format!("{bad}::")) || code.starts_with(&format!("use {bad}"))
                    {
                        offences.push(format!("{}:{}: {}", f.display(), n + 1, code));
                    }
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "pure modules import framework crates:\n{}",
        offences.join("\n")
    );
}

#[test]
fn source_files_stay_small() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let big: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 600).then(|| format!("{} has {n} lines", f.display()))
        })
        .collect();
    assert!(big.is_empty(), "{big:?}");
}

#[test]
fn only_the_ort_runner_imports_ort() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let importers: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f).unwrap().lines().any(|l| {
                let code = l.trim_start();
                code.starts_with("use ort::") || code.contains(" ort::")
            })
        })
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert_eq!(importers, ["src/shadow/ort_runner.rs"]);
}
