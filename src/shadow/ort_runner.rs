//! The ONNX Runtime adapter: the only file that imports `ort`. The library is loaded at run
//! time (`load-dynamic`) from `ORT_DYLIB_PATH` or an explicit path, once per process; when it
//! is missing or too old every call answers `runtime_unavailable` instead of letting `ort`
//! panic on its first use. Sessions are built from a hardware profile; `run` times the
//! `Session::run` call so the dossier can separate ONNX Runtime's compute from Vigil's work.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::{TensorRef, ValueType};

use super::error::ShadowError;
use super::profile::{ExecutionProvider, GraphOptimization, HardwareProfile};
use super::runner::{DeclaredTensor, ModelRunner, RunOutput, check_declared};
use super::spec::InferenceSpec;

/// The loaded library and its environment, or why it could not be loaded.
static RUNTIME: OnceLock<Result<OrtRuntime, String>> = OnceLock::new();

/// A loaded ONNX Runtime.
pub struct OrtRuntime {
    env: Environment,
    version: String,
}

impl std::fmt::Debug for OrtRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OrtRuntime({})", self.version)
    }
}

fn load(path: Option<PathBuf>) -> Result<OrtRuntime, String> {
    let path = path
        .or_else(|| std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from))
        .ok_or("ORT_DYLIB_PATH is not set")?;
    let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
    let env = builder
        .with_name("vigil")
        .build()
        .map_err(|e| e.to_string())?;
    // The build string names the release branch, e.g. "git-branch=rel-1.32.0".
    let info = ort::info();
    let version = info
        .split([',', ' '])
        .find_map(|p| p.strip_prefix("git-branch=rel-"))
        .unwrap_or("unknown")
        .to_string();
    Ok(OrtRuntime { env, version })
}

impl OrtRuntime {
    /// The process-wide runtime, loading it on first use from `path` or `ORT_DYLIB_PATH`.
    /// Later calls return the first outcome: ONNX Runtime cannot be loaded twice.
    pub fn get(path: Option<PathBuf>) -> Result<&'static OrtRuntime, ShadowError> {
        RUNTIME
            .get_or_init(|| load(path))
            .as_ref()
            .map_err(|e| ShadowError::RuntimeUnavailable(e.clone()))
    }

    /// ONNX Runtime's version, for the dossier's provenance.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Open a model under a profile and check it against its spec.
    pub fn session(
        &self,
        model: &[u8],
        spec: &InferenceSpec,
        profile: &HardwareProfile,
    ) -> Result<OrtRunner, ShadowError> {
        let invalid = |e: ort::Error| ShadowError::InvalidModel(e.message().to_string());
        let level = match profile.graph_optimization {
            GraphOptimization::Disable => GraphOptimizationLevel::Disable,
            GraphOptimization::Basic => GraphOptimizationLevel::Level1,
            GraphOptimization::Extended => GraphOptimizationLevel::Level2,
            GraphOptimization::All => GraphOptimizationLevel::All,
        };
        if profile.execution_provider == ExecutionProvider::Cuda {
            return Err(ShadowError::RuntimeUnavailable(
                "this build registers only the CPU execution provider".into(),
            ));
        }
        let session = Session::builder(&self.env)
            .map_err(invalid)?
            .with_intra_threads(profile.intra_op_threads)
            .map_err(|e| invalid(e.into()))?
            .with_optimization_level(level)
            .map_err(|e| invalid(e.into()))?
            .commit_from_memory(model)
            .map_err(invalid)?;
        let inputs: Vec<DeclaredTensor> = session
            .inputs()
            .iter()
            .map(|o| declared(o.name(), o.dtype()))
            .collect();
        let outputs: Vec<DeclaredTensor> = session
            .outputs()
            .iter()
            .map(|o| declared(o.name(), o.dtype()))
            .collect();
        check_declared(spec, &inputs, &outputs)?;
        Ok(OrtRunner {
            session,
            input: spec.input.name.clone(),
            output: spec.output.name.clone(),
        })
    }
}

/// A tensor's name, element type and shape as ONNX Runtime reports them.
fn declared(name: &str, dtype: &ValueType) -> DeclaredTensor {
    let element_type = match dtype.tensor_type() {
        Some(t) => format!("{t:?}").to_lowercase(),
        None => "not a tensor".to_string(),
    };
    let shape = dtype
        .tensor_shape()
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    DeclaredTensor {
        name: name.to_string(),
        element_type,
        shape,
    }
}

/// One open session.
pub struct OrtRunner {
    session: Session,
    input: String,
    output: String,
}

impl ModelRunner for OrtRunner {
    fn run(&mut self, input: &[f32], shape: [usize; 5]) -> Result<RunOutput, ShadowError> {
        let failed = |e: ort::Error| ShadowError::InferenceFailed(e.message().to_string());
        let tensor = TensorRef::from_array_view((shape, input)).map_err(failed)?;
        let started = Instant::now();
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => tensor])
            .map_err(failed)?;
        let compute_ns = started.elapsed().as_nanos() as u64;
        let (out_shape, data) = outputs[self.output.as_str()]
            .try_extract_tensor::<f32>()
            .map_err(failed)?;
        let channels = out_shape.get(1).copied().unwrap_or(0).max(0) as usize;
        Ok(RunOutput {
            data: data.to_vec(),
            channels,
            compute_ns,
        })
    }
}
