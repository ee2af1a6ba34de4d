//! Shadow runs as a job kind (`shadow_run`): both models over the frozen case list, one case
//! at a time. After every case the scored cases so far go into the job's checkpoint, so a run
//! taken over after a crash starts where it stopped; between cases a cancel request stops it.
//! At the end the dossier (JSON) and its chart (PNG) go into the blob store; the job's result
//! records their SHA-256 keys and the verdict.

use serde::{Deserialize, Serialize};

use crate::blobs::{BlobKey, BlobStore};
use crate::jobs::{JobContext, JobFailure, JobHandler, JobOutput};
use crate::segmentation::{DecodeLimits, decode_nifti_bytes};
use crate::service::shadow_archive::ShadowUseError;
use crate::service::shadow_selection::{CaseSelection, select_cases};
use crate::shadow::ShadowError;
use crate::shadow::compare::{PairedCase, Settings, compare};
use crate::shadow::dossier::{Dossier, Provenance, case_list_hash};
use crate::shadow::labels::Metric;
use crate::shadow::meter::ProcessMeter;
use crate::shadow::ort_runner::OrtRuntime;
use crate::shadow::profile::HardwareProfile;
use crate::shadow::run::{CaseInput, Models, run_case};
use crate::shadow::spec::InferenceSpec;
use crate::storage::Store;

/// The job kind's name.
pub const KIND: &str = "shadow_run";

/// What `POST /api/v1/shadow-runs` resolved and froze.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShadowRunPayload {
    pub candidate: String,
    pub baseline: String,
    pub case_refs: Vec<String>,
    pub metric: Metric,
    pub margin: f64,
    pub alpha: f64,
    pub seed: u64,
    pub profile: HardwareProfile,
    pub retraining_request: Option<String>,
    pub max_voxels: u64,
}

/// A run as requested, with model versions already resolved to ids.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub candidate: String,
    pub model_name: String,
    pub baseline: Option<String>,
    pub selection: CaseSelection,
    pub metric: Metric,
    pub margin: f64,
    pub alpha: f64,
    pub seed: u64,
    pub profile: HardwareProfile,
    pub retraining_request: Option<String>,
    pub max_voxels: u64,
}

fn refused(message: &str) -> ShadowUseError {
    ShadowUseError::Refused {
        code: "validation_failed",
        message: message.into(),
    }
}

/// Check a request and freeze it: both models have artefacts (the baseline defaults to the
/// deployed version of the candidate's model), the case selection (`shadow_selection.rs`)
/// has two cases or more.
pub fn plan_run(store: &dyn Store, r: RunRequest) -> Result<ShadowRunPayload, ShadowUseError> {
    if !(r.margin.is_finite() && r.margin > 0.0) {
        return Err(refused("margin must be finite and > 0"));
    }
    if !(r.alpha > 0.0 && r.alpha < 0.5) {
        return Err(refused("alpha must lie in (0, 0.5)"));
    }
    r.profile.validate()?;
    OrtRuntime::get(None)?;
    store
        .artifact(&r.candidate)?
        .ok_or_else(|| refused("candidate: the version has no uploaded artefact"))?;
    let baseline = match r.baseline {
        Some(b) => b,
        None => {
            store
                .deployed_artifact(&r.model_name)?
                .ok_or_else(|| refused("baseline: no deployed version of this model; name one"))?
                .model_id
        }
    };
    store
        .artifact(&baseline)?
        .ok_or_else(|| refused("baseline: the version has no uploaded artefact"))?;
    let case_refs = select_cases(store, &r.selection)?;
    if case_refs.len() < 2 {
        return Err(refused(
            "case selection: it holds fewer than two archived cases",
        ));
    }
    Ok(ShadowRunPayload {
        candidate: r.candidate,
        baseline,
        case_refs,
        metric: r.metric,
        margin: r.margin,
        alpha: r.alpha,
        seed: r.seed,
        profile: r.profile,
        retraining_request: r.retraining_request,
        max_voxels: r.max_voxels,
    })
}

/// Queue a planned run as a `shadow_run` job whose subject is the candidate.
pub fn enqueue_run(
    store: &dyn Store,
    registry: &crate::jobs::Registry,
    payload: &ShadowRunPayload,
    (actor, now): (&str, chrono::DateTime<chrono::Utc>),
) -> Result<crate::storage::jobs::Job, ShadowUseError> {
    let value = serde_json::to_value(payload).map_err(|e| ShadowUseError::Blob(e.to_string()))?;
    let mut new = registry
        .new_job(KIND, value, actor, now)
        .ok_or_else(|| ShadowUseError::Conflict("the shadow_run kind is not registered".into()))?;
    new.subject = Some(payload.candidate.clone());
    Ok(store.enqueue_job(&new)?)
}

/// The handler; holds the store to read artefacts and cases.
pub struct ShadowRunHandler {
    pub store: std::sync::Arc<dyn Store>,
}

fn fatal(e: impl std::fmt::Display) -> JobFailure {
    JobFailure::Fatal(e.to_string())
}

fn shadow_failure(e: ShadowError) -> JobFailure {
    match e {
        // The library may appear (a redeploy); inference may hit a transient resource limit.
        ShadowError::RuntimeUnavailable(_) => JobFailure::Retryable(e.to_string()),
        other => fatal(format!("{}: {other}", other.code())),
    }
}

fn blob(blobs: &dyn BlobStore, key: &str) -> Result<Vec<u8>, JobFailure> {
    let k = BlobKey::parse(key).map_err(fatal)?;
    blobs
        .get(&k)
        .map_err(|e| JobFailure::Retryable(e.to_string()))
}

/// One model's bytes and parsed spec.
fn model(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    id: &str,
) -> Result<(Vec<u8>, InferenceSpec), JobFailure> {
    let a = store
        .artifact(id)?
        .ok_or_else(|| fatal(format!("model version {id} has no artefact")))?;
    let spec = InferenceSpec::from_json(a.spec.as_bytes()).map_err(shadow_failure)?;
    Ok((blob(blobs, &a.onnx_sha256)?, spec))
}

impl JobHandler for ShadowRunHandler {
    fn run(&self, ctx: &JobContext<'_>) -> Result<JobOutput, JobFailure> {
        let p: ShadowRunPayload = ctx.payload()?;
        let (store, blobs) = (&*self.store, ctx.blobs());
        let (cand_bytes, cand_spec) = model(store, blobs, &p.candidate)?;
        let (base_bytes, base_spec) = model(store, blobs, &p.baseline)?;
        let rt = OrtRuntime::get(None).map_err(shadow_failure)?;
        let mut cand = rt
            .session(&cand_bytes, &cand_spec, &p.profile)
            .map_err(shadow_failure)?;
        let mut base = rt
            .session(&base_bytes, &base_spec, &p.profile)
            .map_err(shadow_failure)?;
        let mut models = Models {
            candidate: &mut cand,
            baseline: &mut base,
            spec: &cand_spec,
            baseline_spec: &base_spec,
            profile: &p.profile,
            metric: p.metric,
            max_voxels: p.max_voxels,
            caches: Default::default(),
        };
        let mut done: Vec<PairedCase> = ctx
            .last_checkpoint()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let total = p.case_refs.len() as u64;
        let mut meter = ProcessMeter::default();
        for case_ref in &p.case_refs {
            if done.iter().any(|c| &c.case_ref == case_ref) {
                continue;
            }
            if ctx.is_cancelled() {
                return Err(JobFailure::Stopped);
            }
            let case = store.archive_case(case_ref)?.ok_or_else(|| {
                fatal(format!("archive case {case_ref} was erased during the run"))
            })?;
            let image = blob(blobs, &case.image_sha256)?;
            let limits = DecodeLimits {
                max_voxels: p.max_voxels,
            };
            let mask =
                decode_nifti_bytes(&blob(blobs, &case.mask_sha256)?, &limits).map_err(fatal)?;
            let input = CaseInput {
                case_ref,
                stratum: &case.stratum,
                image: &image,
                reference: &mask,
            };
            done.push(run_case(&mut models, input, &mut meter).map_err(shadow_failure)?);
            ctx.checkpoint(serde_json::to_value(&done).map_err(fatal)?)?;
            ctx.progress(done.len() as u64, total, "cases")?;
        }
        finish(
            ctx,
            &p,
            done,
            (rt.version(), &cand_bytes, &base_bytes),
            cand_spec,
        )
    }
}

/// Compare, assemble the dossier, store it and its chart.
fn finish(
    ctx: &JobContext<'_>,
    p: &ShadowRunPayload,
    done: Vec<PairedCase>,
    (ort_version, cand, base): (&str, &[u8], &[u8]),
    spec: InferenceSpec,
) -> Result<JobOutput, JobFailure> {
    let settings = Settings {
        metric: p.metric,
        margin: p.margin,
        alpha: p.alpha,
        bootstrap_resamples: 10_000,
        seed: p.seed,
    };
    let comparison = compare(done, settings, &p.profile).map_err(shadow_failure)?;
    let provenance = Provenance {
        candidate_sha256: crate::shadow::dossier::sha256_hex(cand),
        baseline_sha256: crate::shadow::dossier::sha256_hex(base),
        spec,
        profile: p.profile.clone(),
        case_list_sha256: case_list_hash(&p.case_refs),
        onnxruntime: ort_version.to_string(),
        retraining_request: p.retraining_request.clone(),
        vigil_version: env!("CARGO_PKG_VERSION"),
    };
    let dossier = Dossier::new(provenance, comparison);
    let (json, hash) = dossier.to_json().map_err(shadow_failure)?;
    let png = dossier.chart_png().map_err(shadow_failure)?;
    let stored = ctx
        .blobs()
        .put_bytes(&json)
        .map_err(|e| JobFailure::Retryable(e.to_string()))?;
    let chart = ctx
        .blobs()
        .put_bytes(&png)
        .map_err(|e| JobFailure::Retryable(e.to_string()))?;
    let c = &dossier.comparison;
    Ok(JobOutput {
        result: Some(serde_json::json!({
            "passed": c.passed,
            "reasons": c.reasons,
            "mean_difference": c.overall.mean_difference,
            "noninferior": c.overall.noninferior,
            "dossier_sha256": hash,
            "chart_sha256": chart.key.to_string(),
            "candidate": p.candidate,
            "baseline": p.baseline,
        })),
        result_blob: Some(stored.key.to_string()),
    })
}
