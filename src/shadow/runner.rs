//! The `ModelRunner` port: run one batch of patches through a network. The sliding window and
//! the shadow run depend on this trait only; the ONNX Runtime implementation lives in
//! `ort_runner`, and tests drive the window with plain Rust runners.
//!
//! Also the pure check of a model's declared inputs and outputs against its spec, so that the
//! upload refusal (`spec_mismatch`) is decided here, not in the adapter.

use super::error::ShadowError;
use super::spec::{ElementType, InferenceSpec};

/// Output of one batch: `[n, channels, d, h, w]` in C order, and the time ONNX Runtime (or
/// whatever computes) spent inside the call, in nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    pub data: Vec<f32>,
    pub channels: usize,
    pub compute_ns: u64,
}

/// Receives a batch's output lent by `ModelRunner::run_lending`: the `[n, k, d, h, w]` data
/// and k.
pub type OutputSink<'a> = dyn FnMut(&[f32], usize) -> Result<(), ShadowError> + 'a;

/// A loaded network that maps `[n, 1, d, h, w]` float32 input to `[n, k, d, h, w]` output.
/// `Send`, so that a shadow run can work the baseline on another thread (profile
/// `concurrency`).
pub trait ModelRunner: Send {
    /// Run one batch; `shape` is `[n, c, d, h, w]` and `input` its C-order data.
    fn run(&mut self, input: &[f32], shape: [usize; 5]) -> Result<RunOutput, ShadowError>;

    /// Run one batch and lend its output to `take` (the `[n, k, d, h, w]` data and k) instead
    /// of returning a copy; returns the compute time in nanoseconds. The sliding window calls
    /// this: a runner that owns its output buffer (ONNX Runtime's tensor) overrides it, so the
    /// window blends straight from that buffer with no volume-sized copy per batch.
    fn run_lending(
        &mut self,
        input: &[f32],
        shape: [usize; 5],
        take: &mut OutputSink<'_>,
    ) -> Result<u64, ShadowError> {
        let out = self.run(input, shape)?;
        take(&out.data, out.channels)?;
        Ok(out.compute_ns)
    }
}

/// One tensor as the model file declares it: name, element type (ONNX's name, such as
/// "float32"), and shape with -1 for dynamic dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredTensor {
    pub name: String,
    pub element_type: String,
    pub shape: Vec<i64>,
}

fn type_name(t: ElementType) -> &'static str {
    match t {
        ElementType::Float32 => "float32",
    }
}

/// Check the model's declared tensors against the spec: the named input and output exist,
/// have rank 5 (N, C, D, H, W), the spec's element type, one input channel, and, where the
/// model fixes them, the spec's output channels and spatial sizes that accept the patch.
pub fn check_declared(
    spec: &InferenceSpec,
    inputs: &[DeclaredTensor],
    outputs: &[DeclaredTensor],
) -> Result<(), ShadowError> {
    let find = |list: &[DeclaredTensor], name: &str, what: &str| {
        list.iter()
            .find(|t| t.name == name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
                ShadowError::SpecMismatch(format!(
                    "{what} `{name}` not in the model (it has {names:?})"
                ))
            })
    };
    let input = find(inputs, &spec.input.name, "input")?;
    let output = find(outputs, &spec.output.name, "output")?;
    for (t, want, what) in [
        (&input, spec.input.element_type, "input"),
        (&output, spec.output.element_type, "output"),
    ] {
        if t.shape.len() != 5 {
            return Err(ShadowError::SpecMismatch(format!(
                "{what} `{}` has rank {}, the spec's layout NCDHW needs 5",
                t.name,
                t.shape.len()
            )));
        }
        if t.element_type != type_name(want) {
            return Err(ShadowError::SpecMismatch(format!(
                "{what} `{}` is {}, the spec says {}",
                t.name,
                t.element_type,
                type_name(want)
            )));
        }
    }
    let fixed = |d: i64, want: usize| d < 0 || d as usize == want;
    if !fixed(input.shape[1], 1) {
        return Err(ShadowError::SpecMismatch(format!(
            "input `{}` has {} channels; one image channel is supported",
            input.name, input.shape[1]
        )));
    }
    if !fixed(output.shape[1], spec.output_channels()) {
        return Err(ShadowError::SpecMismatch(format!(
            "output `{}` has {} channels, the spec's labels need {}",
            output.name,
            output.shape[1],
            spec.output_channels()
        )));
    }
    for (axis, &p) in spec.patch_size.iter().enumerate() {
        if !fixed(input.shape[axis + 2], p) {
            return Err(ShadowError::SpecMismatch(format!(
                "input `{}` fixes spatial axis {axis} to {}, the spec's patch is {p}",
                input.name,
                input.shape[axis + 2]
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> InferenceSpec {
        let text = include_str!("../../tests/fixtures/shadow/spec.json");
        InferenceSpec::from_json(text.as_bytes()).unwrap()
    }

    fn t(name: &str, ty: &str, shape: &[i64]) -> DeclaredTensor {
        DeclaredTensor {
            name: name.into(),
            element_type: ty.into(),
            shape: shape.to_vec(),
        }
    }

    #[test]
    fn dynamic_and_matching_shapes_pass_mismatches_are_named() {
        let s = spec();
        let input = [t("image", "float32", &[-1, 1, -1, -1, -1])];
        let output = [t("probs", "float32", &[-1, 3, -1, -1, -1])];
        check_declared(&s, &input, &output).unwrap();
        let wrong_name = [t("logits", "float32", &[-1, 3, -1, -1, -1])];
        let e = check_declared(&s, &input, &wrong_name).unwrap_err();
        assert!(
            e.to_string().contains("output `probs` not in the model"),
            "{e}"
        );
        let two_labels = [t("probs", "float32", &[-1, 2, -1, -1, -1])];
        let e = check_declared(&s, &input, &two_labels).unwrap_err();
        assert!(e.to_string().contains("3"), "{e}");
        let rank4 = [t("image", "float32", &[-1, 1, -1, -1])];
        assert_eq!(
            check_declared(&s, &rank4, &output).unwrap_err().code(),
            "spec_mismatch"
        );
        let half = [t("image", "float16", &[-1, 1, -1, -1, -1])];
        assert!(
            check_declared(&s, &half, &output)
                .unwrap_err()
                .to_string()
                .contains("float16")
        );
        let fixed_patch = [t("image", "float32", &[1, 1, 32, 24, 24])];
        assert!(check_declared(&s, &fixed_patch, &output).is_err());
    }
}
