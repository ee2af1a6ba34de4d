//! The promotion dossier as stored: provenance (both models' SHA-256, spec, profile, the
//! archive case list's hash, ONNX Runtime's version, the retraining request the candidate
//! came from) plus the comparison, serialised once to JSON whose SHA-256 is recorded, and a
//! PNG of the paired differences per case for e-mail and reports.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::compare::Comparison;
use super::error::ShadowError;
use super::profile::HardwareProfile;
use super::spec::InferenceSpec;
use crate::alerting::chart::{SignalSeries, render_png};

/// Where the numbers came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub candidate_sha256: String,
    pub baseline_sha256: String,
    pub spec: InferenceSpec,
    pub profile: HardwareProfile,
    /// SHA-256 over the sorted case references, one per line.
    pub case_list_sha256: String,
    pub onnxruntime: String,
    pub retraining_request: Option<String>,
    pub vigil_version: &'static str,
}

/// The whole dossier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dossier {
    pub format: &'static str,
    pub provenance: Provenance,
    #[serde(flatten)]
    pub comparison: Comparison,
}

impl Dossier {
    pub fn new(provenance: Provenance, comparison: Comparison) -> Self {
        Self {
            format: "vigil-shadow-dossier/1",
            provenance,
            comparison,
        }
    }

    /// The JSON bytes to store and their SHA-256 (hex).
    pub fn to_json(&self) -> Result<(Vec<u8>, String), ShadowError> {
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| ShadowError::Comparison(format!("dossier not serialisable: {e}")))?;
        let hash = sha256_hex(&bytes);
        Ok((bytes, hash))
    }

    /// PNG of the paired differences per case with the margin as the limit line.
    pub fn chart_png(&self) -> Result<Vec<u8>, ShadowError> {
        let c = &self.comparison;
        let series = SignalSeries {
            title: format!(
                "Paired {} differences per case (candidate better above 0)",
                metric_name(c)
            ),
            y_label: "difference".into(),
            points: c
                .cases
                .iter()
                .enumerate()
                .map(|(i, r)| (i as f64 + 1.0, r.difference))
                .collect(),
            limit: Some(-c.settings.margin),
        };
        render_png(&series).map_err(|e| ShadowError::Comparison(e.to_string()))
    }
}

fn metric_name(c: &Comparison) -> &'static str {
    match c.settings.metric {
        super::labels::Metric::Dice => "Dice",
        super::labels::Metric::Hd95 => "HD95",
        super::labels::Metric::Nsd { .. } => "NSD",
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Hash of a case list, independent of its order.
pub fn case_list_hash(case_refs: &[String]) -> String {
    let mut refs: Vec<&str> = case_refs.iter().map(String::as_str).collect();
    refs.sort_unstable();
    let mut text = refs.join("\n");
    text.push('\n');
    sha256_hex(text.as_bytes())
}
