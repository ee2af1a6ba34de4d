//! The ONNX Runtime adapter: the only file that imports `ort`. The library is loaded at run
//! time (`load-dynamic`) from `ORT_DYLIB_PATH` or an explicit path, once per process; when it
//! is missing or too old every call answers `runtime_unavailable` instead of letting `ort`
//! panic on its first use. Sessions are built from a hardware profile; `run` times the
//! `Session::run` call so the dossier can separate ONNX Runtime's compute from Vigil's work.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::{TensorRef, ValueType};
use sha2::{Digest, Sha256};

use super::error::ShadowError;
use super::profile::{ExecutionProvider, GraphOptimization, HardwareProfile};
use super::runner::{DeclaredTensor, ModelRunner, OutputSink, RunOutput, check_declared};
use super::spec::InferenceSpec;

/// The loaded library and its environment, or why it could not be loaded.
static RUNTIME: OnceLock<Result<OrtRuntime, String>> = OnceLock::new();

/// A loaded ONNX Runtime.
pub struct OrtRuntime {
    env: Environment,
    version: String,
    path: PathBuf,
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
    Ok(OrtRuntime {
        version: library_version(&path),
        env,
        path,
    })
}

/// The version and SHA-256 of the library file. ONNX Runtime's build string does not carry the
/// version and asking the library would need unsafe FFI, so the version comes from the file
/// name the wheel ships (`libonnxruntime.so.1.32.0`, symlinks resolved), and the hash pins the
/// exact binary for the dossier's provenance.
fn library_version(path: &Path) -> String {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = real
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let version = name
        .split_once(".so.")
        .map(|(_, v)| v)
        .or_else(|| {
            name.strip_suffix(".dylib")
                .and_then(|n| n.split_once('.').map(|(_, v)| v))
        })
        .unwrap_or("unknown");
    let hash = std::fs::read(&real)
        .map(|b| hex::encode(Sha256::digest(&b)))
        .unwrap_or_else(|_| "unreadable".into());
    format!("{version} (sha256 {hash})")
}

impl OrtRuntime {
    /// The process-wide runtime, loading it on first use from `path` or `ORT_DYLIB_PATH`.
    /// Later calls return the first outcome: ONNX Runtime cannot be loaded twice, so asking
    /// for another library than the loaded one is refused too.
    pub fn get(path: Option<PathBuf>) -> Result<&'static OrtRuntime, ShadowError> {
        let rt = RUNTIME
            .get_or_init(|| load(path.clone()))
            .as_ref()
            .map_err(|e| ShadowError::RuntimeUnavailable(e.clone()))?;
        match path {
            Some(p) if p != rt.path => Err(ShadowError::RuntimeUnavailable(format!(
                "ONNX Runtime is already loaded from another library than {}",
                p.display()
            ))),
            _ => Ok(rt),
        }
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
        let (mut data, mut channels) = (Vec::new(), 0);
        let compute_ns = self.run_lending(input, shape, &mut |out, k| {
            data = out.to_vec();
            channels = k;
            Ok(())
        })?;
        Ok(RunOutput {
            data,
            channels,
            compute_ns,
        })
    }

    /// Lends ONNX Runtime's own output tensor: no copy out of it.
    fn run_lending(
        &mut self,
        input: &[f32],
        shape: [usize; 5],
        take: &mut OutputSink<'_>,
    ) -> Result<u64, ShadowError> {
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
        take(data, channels)?;
        Ok(compute_ns)
    }
}
