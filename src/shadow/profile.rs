//! Hardware profiles: the product's target machine as the ML team declares it (threads,
//! memory limit, latency budget per case, graph optimisation level, execution provider).
//! Sessions are built from a profile, and the patch batch of the sliding window is sized so
//! that Vigil's buffers plus a batch stay inside the memory limit.
//!
//! Threads: `intra_op_threads` is what ONNX Runtime's intra-op pool of each session gets, as on
//! the product (the latency budget is judged against it). `concurrency` is how many model runs
//! a shadow run works on at once: 1 runs the baseline after the candidate, 2 runs the two
//! models of a case at the same time on two threads, each session with its own
//! `intra_op_threads`. A shadow run therefore uses `concurrency x intra_op_threads` cores, and
//! the memory limit covers everything that runs at once (`MemoryPlan`).

use serde::{Deserialize, Serialize};

use super::error::ShadowError;

/// ONNX Runtime's graph optimisation levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphOptimization {
    Disable,
    Basic,
    Extended,
    #[default]
    All,
}

/// Where the session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionProvider {
    #[default]
    Cpu,
    Cuda,
}

/// One declared target machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareProfile {
    pub name: String,
    #[serde(default = "one")]
    pub intra_op_threads: usize,
    pub memory_limit_mib: u64,
    /// Wall time allowed per case, in milliseconds.
    pub latency_budget_ms: f64,
    #[serde(default)]
    pub graph_optimization: GraphOptimization,
    #[serde(default)]
    pub execution_provider: ExecutionProvider,
    /// Upper bound on patches per ONNX Runtime call (the memory limit may lower it).
    #[serde(default = "default_batch")]
    pub max_patch_batch: usize,
    /// Model runs at once in a shadow run (1: one after the other; 2: candidate and baseline
    /// of a case together). Cores used: `concurrency x intra_op_threads`.
    #[serde(default = "one")]
    pub concurrency: usize,
}

fn one() -> usize {
    1
}

fn default_batch() -> usize {
    4
}

fn invalid(field: &str, message: &str) -> ShadowError {
    ShadowError::InvalidProfile {
        field: field.to_string(),
        message: message.to_string(),
    }
}

impl HardwareProfile {
    /// Parse and validate a JSON profile.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ShadowError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let p: Self = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            ShadowError::InvalidProfile {
                field: path,
                message: e.into_inner().to_string(),
            }
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Ranges serde cannot check.
    pub fn validate(&self) -> Result<(), ShadowError> {
        if self.name.is_empty() || self.name.len() > 64 {
            return Err(invalid("name", "must have 1 to 64 characters"));
        }
        if !(1..=256).contains(&self.intra_op_threads) {
            return Err(invalid("intra_op_threads", "must be 1..=256"));
        }
        if !(1..=1 << 24).contains(&self.memory_limit_mib) {
            return Err(invalid("memory_limit_mib", "must be 1..=16777216"));
        }
        if !(self.latency_budget_ms.is_finite() && self.latency_budget_ms > 0.0) {
            return Err(invalid("latency_budget_ms", "must be finite and > 0"));
        }
        if !(1..=1024).contains(&self.max_patch_batch) {
            return Err(invalid("max_patch_batch", "must be 1..=1024"));
        }
        if !(1..=2).contains(&self.concurrency) {
            return Err(invalid(
                "concurrency",
                "must be 1 (models one after the other) or 2 (candidate and baseline at once)",
            ));
        }
        Ok(())
    }

    /// Memory limit in bytes.
    pub fn memory_limit_bytes(&self) -> u64 {
        self.memory_limit_mib * 1024 * 1024
    }

    /// Cores a shadow run under this profile keeps busy: `concurrency x intra_op_threads`.
    pub fn cores(&self) -> usize {
        self.concurrency * self.intra_op_threads
    }
}

/// Vigil's own buffers for one volume and the patch batch that fits beside them, for every
/// model run the profile's `concurrency` lets run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemoryPlan {
    /// Input volume, blended output (channels x voxels), weight sum and labels of one run, in
    /// bytes.
    pub volume_bytes: u64,
    /// Input and output of one patch, in bytes.
    pub patch_bytes: u64,
    /// Patches per ONNX Runtime call.
    pub batch: usize,
    /// Model runs at once (the profile's `concurrency`), each with its own buffers and batch.
    pub runs: usize,
}

impl MemoryPlan {
    /// Size the batch for a volume of `voxels` and a network of `channels` outputs, so that
    /// `runs x (volume buffers + batch x patch)` fits the limit. ONNX Runtime's intermediate
    /// tensors scale with the batch too; a factor of 4 on the patch input and output covers
    /// the small 3D networks measured (their peak was below 3x).
    pub fn new(
        profile: &HardwareProfile,
        voxels: u64,
        patch_voxels: u64,
        channels: u64,
    ) -> Result<Self, ShadowError> {
        let volume_bytes = voxels * (4 + 4 * channels + 4 + 1);
        let patch_bytes = patch_voxels * 4 * (1 + channels) * 4;
        let runs = profile.concurrency.max(1);
        let limit = profile.memory_limit_bytes() / runs as u64;
        let room = limit.saturating_sub(volume_bytes);
        let fits = (room / patch_bytes.max(1)) as usize;
        if fits == 0 {
            return Err(ShadowError::OverMemoryBudget(format!(
                "{runs} x (the volume's buffers ({} MiB) and one patch ({} MiB)) exceed the profile's {} MiB",
                volume_bytes >> 20,
                patch_bytes >> 20,
                profile.memory_limit_mib
            )));
        }
        Ok(Self {
            volume_bytes,
            patch_bytes,
            batch: fits.min(profile.max_patch_batch),
            runs,
        })
    }

    /// Everything planned at once, in bytes: every run's buffers and batch.
    pub fn total_bytes(&self) -> u64 {
        self.runs as u64 * (self.volume_bytes + self.batch as u64 * self.patch_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPU: &str = r#"{"name": "edge-cpu", "intra_op_threads": 2, "memory_limit_mib": 2048,
        "latency_budget_ms": 5000, "graph_optimization": "extended"}"#;

    #[test]
    fn parses_with_defaults_and_names_bad_fields() {
        let p = HardwareProfile::from_json(CPU.as_bytes()).unwrap();
        assert_eq!(p.execution_provider, ExecutionProvider::Cpu);
        assert_eq!(p.max_patch_batch, 4);
        let bad = CPU.replace("\"intra_op_threads\": 2", "\"intra_op_threads\": 0");
        match HardwareProfile::from_json(bad.as_bytes()) {
            Err(ShadowError::InvalidProfile { field, .. }) => assert_eq!(field, "intra_op_threads"),
            other => panic!("{other:?}"),
        }
        let typo = CPU.replace(
            "\"graph_optimization\": \"extended\"",
            "\"graph_optimization\": \"max\"",
        );
        match HardwareProfile::from_json(typo.as_bytes()) {
            Err(ShadowError::InvalidProfile { field, .. }) => {
                assert_eq!(field, "graph_optimization")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn batch_shrinks_to_fit_the_limit_and_refuses_below_one_patch() {
        let mut p = HardwareProfile::from_json(CPU.as_bytes()).unwrap();
        // 512x512x300 CT, 96^3 patches, 3 output channels: 1.25 GiB of volume buffers.
        let voxels = 512 * 512 * 300;
        let patch = 96 * 96 * 96;
        let plan = MemoryPlan::new(&p, voxels, patch, 3).unwrap();
        assert_eq!(plan.volume_bytes, voxels * 21);
        assert_eq!(plan.batch, 4);
        p.memory_limit_mib = 1700;
        let tight = MemoryPlan::new(&p, voxels, patch, 3).unwrap();
        assert!(tight.batch < 4 && tight.batch >= 1, "{tight:?}");
        assert!(
            tight.volume_bytes + tight.batch as u64 * tight.patch_bytes <= p.memory_limit_bytes()
        );
        p.memory_limit_mib = 1000;
        let err = MemoryPlan::new(&p, voxels, patch, 3).unwrap_err();
        assert_eq!(err.code(), "over_memory_budget");
    }

    #[test]
    fn concurrency_doubles_the_plan_and_keeps_the_threads_per_session() {
        let mut p = HardwareProfile::from_json(CPU.as_bytes()).unwrap();
        assert_eq!((p.concurrency, p.cores()), (1, 2));
        let (voxels, patch) = (512 * 512 * 300, 96 * 96 * 96);
        let one = MemoryPlan::new(&p, voxels, patch, 3).unwrap();
        assert_eq!(one.total_bytes(), one.volume_bytes + 4 * one.patch_bytes);
        // Two runs at once: 2 x 1.54 GiB does not fit 2 GiB, 4 GiB holds both with a batch.
        p.concurrency = 2;
        assert_eq!((p.intra_op_threads, p.cores()), (2, 4));
        let err = MemoryPlan::new(&p, voxels, patch, 3).unwrap_err();
        assert_eq!(err.code(), "over_memory_budget");
        assert!(err.to_string().contains("2 x"), "{err}");
        p.memory_limit_mib = 4096;
        let two = MemoryPlan::new(&p, voxels, patch, 3).unwrap();
        assert_eq!((two.runs, two.volume_bytes), (2, one.volume_bytes));
        assert!(two.total_bytes() <= p.memory_limit_bytes(), "{two:?}");
        assert!(two.total_bytes() >= 2 * (two.volume_bytes + two.patch_bytes));
        let bad = CPU.replace(
            "\"graph_optimization\"",
            "\"concurrency\": 3, \"graph_optimization\"",
        );
        match HardwareProfile::from_json(bad.as_bytes()) {
            Err(ShadowError::InvalidProfile { field, .. }) => assert_eq!(field, "concurrency"),
            other => panic!("{other:?}"),
        }
    }
}
