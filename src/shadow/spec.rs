//! The inference spec uploaded with an ONNX model: tensor names and element types, layout,
//! patch size and overlap, expected voxel spacing, intensity preprocessing, output activation
//! and how labels are derived, label names to numbers. Parsed strictly: unknown keys and
//! out-of-range values are refused with the JSON path of the field, so a spec that parses is
//! one the sliding window can run.
//!
//! Axis convention: the volume as nibabel returns it (`[x, y, z]`, NIfTI dims 1-3) is the
//! tensor's `(D, H, W)`, which is what MONAI sees when it loads a NIfTI file channel-first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ShadowError;

/// Largest patch edge accepted: well above the 96-160 voxel patches of 3D networks.
const MAX_PATCH: usize = 1024;

/// Element types a tensor may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementType {
    Float32,
}

/// One named tensor of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    pub name: String,
    pub element_type: ElementType,
}

/// Tensor layout; only batch, channel, then the three spatial axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    #[serde(rename = "NCDHW")]
    Ncdhw,
}

/// Intensity preprocessing applied to the whole volume before windows are cut.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Preprocessing {
    /// Clip to `[min, max]`, then scale linearly to `[0, 1]`.
    ClipScale { min: f64, max: f64 },
    /// Subtract the volume's mean and divide by its standard deviation (population).
    Zscore,
}

/// What the network's output is turned into before labels are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Softmax,
    Sigmoid,
    None,
}

/// How labels come from the (activated) output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LabelRule {
    /// Channel k of the argmax is the label numbered k (first maximum wins, as numpy).
    Argmax,
    /// Channel k (0-based) above the threshold sets the k-th foreground label (label
    /// numbers in increasing order); the highest such label wins.
    Threshold(f64),
}

/// The full spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceSpec {
    pub input: TensorSpec,
    pub output: TensorSpec,
    pub layout: Layout,
    pub patch_size: [usize; 3],
    /// Fraction of a patch that neighbouring windows share, in [0, 1) (MONAI's `overlap`).
    #[serde(default = "default_overlap")]
    pub overlap: f64,
    pub spacing_mm: [f64; 3],
    /// Relative difference allowed between a volume's spacing and `spacing_mm`.
    #[serde(default = "default_spacing_tolerance")]
    pub spacing_tolerance: f64,
    pub preprocessing: Preprocessing,
    pub activation: Activation,
    pub labels_from: LabelRule,
    pub labels: BTreeMap<String, u8>,
}

fn default_overlap() -> f64 {
    0.25
}

fn default_spacing_tolerance() -> f64 {
    0.01
}

fn invalid(field: &str, message: impl Into<String>) -> ShadowError {
    ShadowError::InvalidSpec {
        field: field.to_string(),
        message: message.into(),
    }
}

impl InferenceSpec {
    /// Parse and validate a JSON spec.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ShadowError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let spec: Self = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            invalid(&path, e.into_inner().to_string())
        })?;
        spec.validate()?;
        Ok(spec)
    }

    /// Check the values serde cannot: ranges, names, label numbering.
    pub fn validate(&self) -> Result<(), ShadowError> {
        for (field, name) in [
            ("input.name", &self.input.name),
            ("output.name", &self.output.name),
        ] {
            if name.is_empty() || name.len() > 256 {
                return Err(invalid(field, "must have 1 to 256 characters"));
            }
        }
        if self.patch_size.iter().any(|&p| p == 0 || p > MAX_PATCH) {
            return Err(invalid(
                "patch_size",
                format!("each edge must be 1..={MAX_PATCH}"),
            ));
        }
        if !(0.0..1.0).contains(&self.overlap) {
            return Err(invalid("overlap", "must lie in [0, 1)"));
        }
        if self.spacing_mm.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(invalid("spacing_mm", "each spacing must be finite and > 0"));
        }
        if !(self.spacing_tolerance.is_finite() && (0.0..1.0).contains(&self.spacing_tolerance)) {
            return Err(invalid("spacing_tolerance", "must lie in [0, 1)"));
        }
        if let Preprocessing::ClipScale { min, max } = self.preprocessing
            && !(min.is_finite() && max.is_finite() && min < max)
        {
            return Err(invalid(
                "preprocessing.clip_scale",
                "needs finite min < max",
            ));
        }
        self.validate_labels()
    }

    fn validate_labels(&self) -> Result<(), ShadowError> {
        if self.labels.is_empty() {
            return Err(invalid("labels", "must name at least one label"));
        }
        let mut numbers: Vec<u8> = self.labels.values().copied().collect();
        numbers.sort_unstable();
        if numbers.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid("labels", "label numbers must be distinct"));
        }
        if let Some(name) = self.labels.keys().find(|n| n.is_empty() || n.len() > 64) {
            return Err(invalid(
                &format!("labels.{name}"),
                "names have 1 to 64 characters",
            ));
        }
        match self.labels_from {
            LabelRule::Argmax => {
                let expected: Vec<u8> = (0..numbers.len()).map(|i| i as u8).collect();
                if numbers != expected {
                    return Err(invalid(
                        "labels",
                        "with argmax the labels must be numbered 0..k-1 (channel k = label k)",
                    ));
                }
            }
            LabelRule::Threshold(t) => {
                // Probabilities (softmax/sigmoid) need a threshold inside (0, 1); raw outputs
                // only a finite one.
                let bounded = self.activation != Activation::None;
                if !t.is_finite() || (bounded && !(t > 0.0 && t < 1.0)) {
                    return Err(invalid(
                        "labels_from.threshold",
                        "must be finite, in (0, 1) after an activation",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Number of output channels the spec implies.
    pub fn output_channels(&self) -> usize {
        match self.labels_from {
            LabelRule::Argmax => self.labels.len(),
            LabelRule::Threshold(_) => self.labels.values().filter(|v| **v != 0).count(),
        }
    }

    /// Label number of each output channel (threshold rule) in channel order.
    pub fn foreground_labels(&self) -> Vec<u8> {
        let mut v: Vec<u8> = self.labels.values().copied().filter(|v| *v != 0).collect();
        v.sort_unstable();
        v
    }

    /// True when `spacing` matches `spacing_mm` within the relative tolerance.
    pub fn spacing_matches(&self, spacing: [f64; 3]) -> bool {
        self.spacing_mm
            .iter()
            .zip(spacing)
            .all(|(want, got)| (want - got).abs() <= self.spacing_tolerance * want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"input": {"name": "image", "element_type": "float32"},
        "output": {"name": "probs", "element_type": "float32"}, "layout": "NCDHW",
        "patch_size": [24, 24, 24], "overlap": 0.5, "spacing_mm": [0.8, 0.8, 1.5],
        "preprocessing": {"clip_scale": {"min": -200, "max": 300}},
        "activation": "none", "labels_from": "argmax",
        "labels": {"background": 0, "organ": 1, "lesion": 2}}"#;

    fn field_of(json: &str) -> String {
        match InferenceSpec::from_json(json.as_bytes()) {
            Err(ShadowError::InvalidSpec { field, .. }) => field,
            other => panic!("expected invalid_spec, got {other:?}"),
        }
    }

    #[test]
    fn fixture_spec_parses() {
        let s = InferenceSpec::from_json(GOOD.as_bytes()).unwrap();
        assert_eq!(s.output_channels(), 3);
        assert!(s.spacing_matches([0.8, 0.8, 1.5]));
        assert!(!s.spacing_matches([0.8, 0.8, 3.0]));
        let committed = include_str!("../../tests/fixtures/shadow/spec.json");
        assert_eq!(InferenceSpec::from_json(committed.as_bytes()).unwrap(), s);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(&GOOD.replace("\"NCDHW\"", "\"NHWC\"")), "layout");
        assert_eq!(
            field_of(&GOOD.replace("[24, 24, 24]", "[24, 0, 24]")),
            "patch_size"
        );
        assert_eq!(
            field_of(&GOOD.replace("\"overlap\": 0.5", "\"overlap\": 1.0")),
            "overlap"
        );
        assert_eq!(
            field_of(&GOOD.replace("\"max\": 300", "\"max\": -300")),
            "preprocessing.clip_scale"
        );
        assert_eq!(
            field_of(&GOOD.replace("\"lesion\": 2", "\"lesion\": 3")),
            "labels"
        );
        assert_eq!(
            field_of(&GOOD.replace("\"layout\"", "\"colour\": 1, \"layout\"")),
            "colour"
        );
        assert_eq!(
            field_of(&GOOD.replace(
                "\"element_type\": \"float32\"}",
                "\"element_type\": \"f64\"}"
            )),
            "input.element_type"
        );
    }
}
