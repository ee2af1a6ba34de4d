//! Loader for the drift benchmark data exported by `benches/export_bench_data.py` from the
//! Python peers' `make_data()`: raw little-endian f64 files per numeric column and one label per
//! line per categorical column, described by `manifest.json`. Shared by `benches/drift.rs` and
//! `examples/drift_check.rs`.

use std::path::Path;

/// One side (reference or current) of the benchmark table. Labels borrow from `text`.
pub struct Side {
    pub numeric: Vec<(String, Vec<f64>)>,
    /// Column name and the whole file; split into labels with `labels()`.
    pub categorical_text: Vec<(String, String)>,
}

/// Category labels per categorical column, borrowed from the loaded text.
pub fn labels(text: &[(String, String)]) -> Vec<(String, Vec<&str>)> {
    text.iter()
        .map(|(n, t)| (n.clone(), t.lines().collect()))
        .collect()
}

fn names(manifest: &serde_json::Value, key: &str) -> Vec<String> {
    manifest[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Load `side` ("ref" or "cur") from `dir`.
pub fn load(dir: &Path, side: &str) -> std::io::Result<Side> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json"))?)
            .map_err(std::io::Error::other)?;
    let mut numeric = Vec::new();
    for name in names(&manifest, "numeric") {
        let bytes = std::fs::read(dir.join(format!("{side}_{name}.f64")))?;
        let v = bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        numeric.push((name, v));
    }
    let mut categorical_text = Vec::new();
    for name in names(&manifest, "categorical") {
        let text = std::fs::read_to_string(dir.join(format!("{side}_{name}.txt")))?;
        categorical_text.push((name, text));
    }
    Ok(Side {
        numeric,
        categorical_text,
    })
}
