//! `vigil archive add|list|erase`, `vigil model upload` and `vigil shadow run|show`: the
//! shadow-evaluation use cases on the configured database and blob store, as the API runs
//! them (same checks, same audit entries). `shadow run` queues the job and works it in this
//! process with a progress bar.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::open_store;
use crate::blobs::{BlobKey, BlobStore, DirBlobStore};
use crate::config::Settings;
use crate::service::SystemClock;
use crate::service::shadow_archive::{self as svc, CaseMetadata};
use crate::service::shadow_job::{RunRequest, enqueue_run, plan_run};
use crate::service::shadow_selection::CaseSelection;
use crate::shadow::labels::Metric;
use crate::shadow::ort_runner::OrtRuntime;
use crate::shadow::profile::HardwareProfile;
use crate::shadow::spec::InferenceSpec;
use crate::storage::Store;

/// `vigil archive ...`
#[derive(Debug, clap::Subcommand)]
pub enum ArchiveCommand {
    /// Archive a reviewed case: de-identified volume, reference mask, JSON metadata.
    Add {
        /// The de-identified image volume (NIfTI-1).
        #[arg(long)]
        image: PathBuf,
        /// The reference mask (NIfTI-1), same shape and affine.
        #[arg(long)]
        mask: PathBuf,
        /// {"case_ref", "modality", "scanner", "stratum"?, "labels_present", "review_id"?}
        #[arg(long)]
        metadata: PathBuf,
    },
    /// Archived cases (metadata only), optionally of one stratum.
    List {
        /// Only this stratum.
        #[arg(long)]
        stratum: Option<String>,
    },
    /// Erase a case by case_ref (audited); blobs nothing else uses are deleted.
    Erase {
        /// The case's pseudonymous case_ref.
        case_ref: String,
    },
}

type Outcome = Result<(), String>;

fn open(settings: &Settings) -> Result<(Arc<dyn Store>, DirBlobStore), String> {
    let store = open_store(settings).map_err(|e| format!("database error: {e}"))?;
    Ok((Arc::new(store), DirBlobStore::new(&settings.blob_dir)))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn actor() -> String {
    crate::commands::admin::actor().0
}

fn exit(outcome: Outcome) -> i32 {
    match outcome {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

/// Run `vigil archive ...`.
pub fn run(settings: &Settings, cmd: ArchiveCommand) -> i32 {
    exit((|| {
        let (store, blobs) = open(settings)?;
        match cmd {
            ArchiveCommand::Add {
                image,
                mask,
                metadata,
            } => {
                let meta: CaseMetadata = serde_json::from_slice(&read(&metadata)?)
                    .map_err(|e| format!("validation_failed: metadata: {e}"))?;
                let (image, mask) = (read(&image)?, read(&mask)?);
                let case = svc::add_case(
                    &*store,
                    &blobs,
                    &actor(),
                    Utc::now(),
                    (&image, &mask, meta),
                    settings.max_mask_voxels,
                )
                .map_err(|e| e.to_string())?;
                println!("archived {} (stratum {})", case.case_ref, case.stratum);
            }
            ArchiveCommand::List { stratum } => {
                for c in store
                    .archive_cases(stratum.as_deref())
                    .map_err(|e| e.to_string())?
                {
                    println!(
                        "{}\t{}\t{}",
                        c.case_ref,
                        c.stratum,
                        c.created_at.to_rfc3339()
                    );
                }
            }
            ArchiveCommand::Erase { case_ref } => {
                let removed = svc::erase_case(&*store, &blobs, &actor(), &case_ref)
                    .map_err(|e| e.to_string())?;
                println!("erased {case_ref}; {} blob(s) removed", removed.len());
            }
        }
        Ok(())
    })())
}

fn model_id(store: &dyn Store, name: &str, version: &str) -> Result<String, String> {
    Ok(store
        .find_model(name, version)
        .map_err(|e| e.to_string())?
        .ok_or(format!("not_found: model {name} {version}"))?
        .id)
}

/// `vigil model upload M V --onnx FILE --spec FILE`.
pub fn model_upload(
    settings: &Settings,
    name: &str,
    version: &str,
    onnx: &Path,
    spec: &Path,
) -> i32 {
    exit((|| {
        let (store, blobs) = open(settings)?;
        let id = model_id(&*store, name, version)?;
        let spec_text =
            String::from_utf8(read(spec)?).map_err(|_| "spec must be UTF-8 JSON".to_string())?;
        let parsed = InferenceSpec::from_json(spec_text.as_bytes())
            .map_err(|e| format!("{}: {e}", e.code()))?;
        let profile = HardwareProfile::from_json(
            br#"{"name": "upload-check", "memory_limit_mib": 4096, "latency_budget_ms": 60000}"#,
        )
        .map_err(|e| e.to_string())?;
        let check = |bytes: &[u8]| {
            OrtRuntime::get(None)?
                .session(bytes, &parsed, &profile)
                .map(|_| ())
        };
        let a = svc::upload_artifact(
            &*store,
            &blobs,
            (&actor(), Utc::now()),
            &id,
            (&read(onnx)?, &spec_text),
            &check,
        )
        .map_err(|e| e.to_string())?;
        println!(
            "model {id}: artefact {} stored, role {}",
            a.onnx_sha256,
            a.role.as_str()
        );
        Ok(())
    })())
}

/// Arguments of `vigil shadow run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Model name.
    pub model: String,
    /// The candidate version.
    pub version: String,
    /// Baseline version (default: the deployed one).
    #[arg(long)]
    pub baseline: Option<String>,
    /// Only archived cases of this stratum.
    #[arg(long)]
    pub stratum: Option<String>,
    /// Only cases archived on or after this UTC day (YYYY-MM-DD).
    #[arg(long)]
    pub archived_from: Option<chrono::NaiveDate>,
    /// Only cases archived on or before this UTC day (YYYY-MM-DD).
    #[arg(long)]
    pub archived_to: Option<chrono::NaiveDate>,
    /// Only the archived cases listed in --retraining-request's manifest.
    #[arg(long, requires = "retraining_request")]
    pub only_retraining_cases: bool,
    /// Non-inferiority margin on the metric (e.g. 0.05 Dice).
    #[arg(long, default_value_t = 0.05)]
    pub margin: f64,
    /// One-sided significance level.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Hardware profile (JSON file).
    #[arg(long)]
    pub profile: PathBuf,
    /// The retraining request the candidate came from, for the provenance.
    #[arg(long)]
    pub retraining_request: Option<String>,
}

/// `vigil shadow run`: queue the run and work it here, with a progress bar.
pub fn shadow_run(settings: &Settings, a: &RunArgs) -> i32 {
    exit((|| {
        let (store, blobs) = open(settings)?;
        let profile = HardwareProfile::from_json(&read(&a.profile)?)
            .map_err(|e| format!("{}: {e}", e.code()))?;
        let baseline = a
            .baseline
            .as_deref()
            .map(|v| model_id(&*store, &a.model, v))
            .transpose()?;
        let request = RunRequest {
            candidate: model_id(&*store, &a.model, &a.version)?,
            model_name: a.model.clone(),
            baseline,
            selection: CaseSelection {
                stratum: a.stratum.clone(),
                archived_from: a.archived_from,
                archived_to: a.archived_to,
                retraining_request: a
                    .retraining_request
                    .clone()
                    .filter(|_| a.only_retraining_cases),
            },
            metric: Metric::Dice,
            margin: a.margin,
            alpha: a.alpha,
            seed: 0,
            profile,
            retraining_request: a.retraining_request.clone(),
            max_voxels: settings.max_mask_voxels,
        };
        let payload = plan_run(&*store, request).map_err(|e| e.to_string())?;
        let mut state = crate::http::AppState::new(
            store.clone(),
            Arc::new(settings.clone()),
            Arc::new(SystemClock),
        );
        state.blobs = Arc::new(blobs);
        state.jobs = Arc::new(crate::app::job_registry(&state));
        let job = enqueue_run(&*store, &state.jobs, &payload, (&actor(), Utc::now()))
            .map_err(|e| e.to_string())?;
        let worker = std::thread::spawn(move || state.runner("cli").run_until_idle());
        let bar = ProgressBar::new(payload.case_refs.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed}") {
            bar.set_style(style);
        }
        while !worker.is_finished() {
            if let Ok(Some(j)) = store.job(&job.id) {
                bar.set_position(j.progress.done.max(0) as u64);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bar.finish_and_clear();
        println!("shadow run {}", job.id);
        shadow_show(settings, &job.id)
            .eq(&0)
            .then_some(())
            .ok_or_else(|| "the run did not succeed".to_string())
    })())
}

/// `vigil shadow show ID`: the run's state and, when done, its verdict and dossier hash.
pub fn shadow_show(settings: &Settings, id: &str) -> i32 {
    exit((|| {
        let (store, blobs) = open(settings)?;
        let job = store
            .job(id)
            .map_err(|e| e.to_string())?
            .ok_or(format!("not_found: shadow run {id}"))?;
        println!(
            "state {} ({}/{} cases)",
            job.state.as_str(),
            job.progress.done,
            job.progress.total
        );
        if let Some(e) = &job.error {
            return Err(e.clone());
        }
        if let (Some(r), Some(k)) = (&job.result, &job.result_blob) {
            let bytes = blobs
                .get(&BlobKey::parse(k).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                if r["passed"] == true {
                    "PASSED"
                } else {
                    "NOT PASSED"
                }
            );
            for reason in r["reasons"].as_array().into_iter().flatten() {
                println!("  - {}", reason.as_str().unwrap_or_default());
            }
            println!(
                "dossier blob {k} ({} bytes), sha256 {}",
                bytes.len(),
                r["dossier_sha256"].as_str().unwrap_or_default()
            );
        }
        Ok(())
    })())
}
