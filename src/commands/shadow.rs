//! `vigil shadow check-model|evaluate`: shadow evaluation on local files, without a server.
//! `check-model` opens an ONNX file with ONNX Runtime and checks it against its spec (what an
//! upload will do); `evaluate` runs a candidate and a baseline model over a list of cases and
//! writes the dossier (JSON, its SHA-256) and the PNG chart, with a progress bar.
//! Errors print their stable code; exit 1 for runtime failures, 2 for bad input.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

use crate::segmentation::{DecodeLimits, decode_nifti_path};
use crate::shadow::ShadowError;
use crate::shadow::compare::{Settings, compare};
use crate::shadow::dossier::{Dossier, Provenance, case_list_hash, sha256_hex};
use crate::shadow::labels::Metric;
use crate::shadow::meter::ProcessMeter;
use crate::shadow::ort_runner::OrtRuntime;
use crate::shadow::profile::HardwareProfile;
use crate::shadow::run::{CaseInput, Models, run_case};
use crate::shadow::spec::InferenceSpec;

/// Arguments of `vigil shadow`.
#[derive(Debug, clap::Args)]
pub struct ShadowArgs {
    #[command(subcommand)]
    pub command: ShadowCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ShadowCommand {
    /// Open an ONNX model with ONNX Runtime and check names, ranks and types against a spec.
    CheckModel(CheckArgs),
    /// Shadow-evaluate a candidate against a baseline on local cases; write the dossier.
    Evaluate(EvaluateArgs),
    /// Queue a shadow run of an uploaded candidate on the archive and work it here.
    Run(super::archive::RunArgs),
    /// A shadow run's state, verdict and dossier hash.
    Show {
        /// The shadow run (job) id.
        id: String,
    },
}

impl ShadowArgs {
    /// True for the subcommands that work on local files only (no configuration needed).
    pub fn is_local(&self) -> bool {
        matches!(
            self.command,
            ShadowCommand::CheckModel(_) | ShadowCommand::Evaluate(_)
        )
    }
}

/// Run `vigil shadow run|show` on the configured database and blob store.
pub fn run_with(settings: &crate::config::Settings, args: &ShadowArgs) -> i32 {
    match &args.command {
        ShadowCommand::Run(a) => super::archive::shadow_run(settings, a),
        ShadowCommand::Show { id } => super::archive::shadow_show(settings, id),
        _ => run(args),
    }
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The ONNX file.
    #[arg(long)]
    pub onnx: PathBuf,
    /// The inference spec (JSON).
    #[arg(long)]
    pub spec: PathBuf,
    /// Hardware profile (JSON); a one-thread CPU profile when omitted.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// The candidate ONNX file.
    #[arg(long)]
    pub candidate: PathBuf,
    /// The baseline (deployed) ONNX file.
    #[arg(long)]
    pub baseline: PathBuf,
    /// The inference spec both models share (JSON).
    #[arg(long)]
    pub spec: PathBuf,
    /// Hardware profile (JSON): threads, memory limit, latency budget.
    #[arg(long)]
    pub profile: PathBuf,
    /// JSON list of cases: `[{"case_ref", "stratum", "image", "mask"}]`, paths relative to it.
    #[arg(long)]
    pub cases: PathBuf,
    /// dice, hd95 or nsd.
    #[arg(long, default_value = "dice")]
    pub metric: String,
    /// NSD tolerance in mm (with --metric nsd).
    #[arg(long, default_value_t = 1.0)]
    pub nsd_tolerance: f64,
    /// Non-inferiority margin on the metric (e.g. 0.05 Dice).
    #[arg(long, default_value_t = 0.05)]
    pub margin: f64,
    /// One-sided significance level.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Bootstrap resamples of the mean difference.
    #[arg(long, default_value_t = 10_000)]
    pub bootstrap_resamples: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 14)]
    pub seed: u64,
    /// The retraining request the candidate came from, for the provenance.
    #[arg(long)]
    pub retraining_request: Option<String>,
    /// Directory for dossier.json and dossier.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Refuse volumes with more voxels than this.
    #[arg(long, default_value_t = DecodeLimits::default().max_voxels)]
    pub max_voxels: u64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// One entry of the cases file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEntry {
    case_ref: String,
    stratum: String,
    image: PathBuf,
    mask: PathBuf,
}

/// Why the command failed, and its exit code.
struct Failure(i32, String);

impl From<ShadowError> for Failure {
    fn from(e: ShadowError) -> Self {
        let exit = match e {
            ShadowError::RuntimeUnavailable(_) | ShadowError::InferenceFailed(_) => 1,
            _ => 2,
        };
        Failure(exit, format!("{}: {e}", e.code()))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure(
            2,
            format!("bad_request: cannot read {}: {e}", path.display()),
        )
    })
}

fn default_profile() -> HardwareProfile {
    HardwareProfile {
        name: "cpu-1".into(),
        intra_op_threads: 1,
        memory_limit_mib: 4096,
        latency_budget_ms: 60_000.0,
        graph_optimization: Default::default(),
        execution_provider: Default::default(),
        max_patch_batch: 4,
        concurrency: 1,
    }
}

/// Run `vigil shadow ...` and return the exit code.
pub fn run(args: &ShadowArgs) -> i32 {
    let outcome = match &args.command {
        ShadowCommand::CheckModel(a) => check(a),
        ShadowCommand::Evaluate(a) => evaluate(a),
        ShadowCommand::Run(_) | ShadowCommand::Show { .. } => {
            Err(Failure(2, "bad_request: needs the configuration".into()))
        }
    };
    match outcome {
        Ok(()) => 0,
        Err(Failure(code, message)) => {
            eprintln!("{message}");
            code
        }
    }
}

fn check(a: &CheckArgs) -> Result<(), Failure> {
    let spec = InferenceSpec::from_json(&read(&a.spec)?)?;
    let profile = match &a.profile {
        Some(p) => HardwareProfile::from_json(&read(p)?)?,
        None => default_profile(),
    };
    let rt = OrtRuntime::get(None)?;
    rt.session(&read(&a.onnx)?, &spec, &profile)?;
    println!(
        "ok: {} matches its spec (ONNX Runtime {})",
        a.onnx.display(),
        rt.version()
    );
    Ok(())
}

fn metric_of(a: &EvaluateArgs) -> Result<Metric, Failure> {
    match a.metric.as_str() {
        "dice" => Ok(Metric::Dice),
        "hd95" => Ok(Metric::Hd95),
        "nsd" => Ok(Metric::Nsd {
            tolerance_mm: a.nsd_tolerance,
        }),
        other => Err(Failure(
            2,
            format!("bad_request: --metric {other:?}: use dice, hd95 or nsd"),
        )),
    }
}

fn evaluate(a: &EvaluateArgs) -> Result<(), Failure> {
    let spec = InferenceSpec::from_json(&read(&a.spec)?)?;
    let profile = HardwareProfile::from_json(&read(&a.profile)?)?;
    let metric = metric_of(a)?;
    let entries: Vec<CaseEntry> = serde_json::from_slice(&read(&a.cases)?)
        .map_err(|e| Failure(2, format!("bad_request: --cases: {e}")))?;
    let base_dir = a.cases.parent().unwrap_or(Path::new("."));
    let (cand_bytes, base_bytes) = (read(&a.candidate)?, read(&a.baseline)?);
    let rt = OrtRuntime::get(None)?;
    let mut cand = rt.session(&cand_bytes, &spec, &profile)?;
    let mut base = rt.session(&base_bytes, &spec, &profile)?;
    let mut models = Models {
        candidate: &mut cand,
        baseline: &mut base,
        spec: &spec,
        baseline_spec: &spec,
        profile: &profile,
        metric,
        max_voxels: a.max_voxels,
        caches: Default::default(),
    };
    let bar = progress(entries.len(), a.quiet);
    let mut paired = Vec::with_capacity(entries.len());
    let mut meter = ProcessMeter::default();
    for e in &entries {
        let image = read(&base_dir.join(&e.image))?;
        let limits = DecodeLimits {
            max_voxels: a.max_voxels,
        };
        let mask = decode_nifti_path(&base_dir.join(&e.mask), &limits)
            .map_err(|err| Failure(2, format!("{}: case {}: {err}", err.code(), e.case_ref)))?;
        let input = CaseInput {
            case_ref: &e.case_ref,
            stratum: &e.stratum,
            image: &image,
            reference: &mask,
        };
        paired.push(run_case(&mut models, input, &mut meter)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let settings = Settings {
        metric,
        margin: a.margin,
        alpha: a.alpha,
        bootstrap_resamples: a.bootstrap_resamples,
        seed: a.seed,
    };
    let comparison = compare(paired, settings, &profile)?;
    let refs: Vec<String> = entries.iter().map(|e| e.case_ref.clone()).collect();
    let provenance = Provenance {
        candidate_sha256: sha256_hex(&cand_bytes),
        baseline_sha256: sha256_hex(&base_bytes),
        spec,
        profile,
        case_list_sha256: case_list_hash(&refs),
        onnxruntime: rt.version().to_string(),
        retraining_request: a.retraining_request.clone(),
        vigil_version: env!("CARGO_PKG_VERSION"),
    };
    write_out(a, &Dossier::new(provenance, comparison))
}

fn progress(n: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn write_out(a: &EvaluateArgs, dossier: &Dossier) -> Result<(), Failure> {
    let (json, hash) = dossier.to_json()?;
    let png = dossier.chart_png()?;
    let io = |e: std::io::Error| {
        Failure(
            1,
            format!("internal_error: writing {}: {e}", a.out.display()),
        )
    };
    std::fs::create_dir_all(&a.out).map_err(io)?;
    std::fs::write(a.out.join("dossier.json"), &json).map_err(io)?;
    std::fs::write(a.out.join("dossier.png"), &png).map_err(io)?;
    let c = &dossier.comparison;
    println!(
        "{}: mean difference {:.4}, lower bound {:.4} (margin {}), {} case(s); dossier sha256 {hash}",
        if c.passed { "PASSED" } else { "NOT PASSED" },
        c.overall.mean_difference,
        c.overall.t_ci_low,
        c.settings.margin,
        c.overall.n
    );
    for r in &c.reasons {
        println!("  - {r}");
    }
    Ok(())
}
