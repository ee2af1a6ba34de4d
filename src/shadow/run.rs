//! One archived case through both models: the image is decoded once; the candidate (with
//! the decoding) is timed and its peak memory read by a `Meter` (the clock and the process
//! probe are injected, so this stays pure), then both segmentations are scored against the
//! reference mask.
//!
//! Under a profile with `concurrency` 2 the baseline runs on a second thread while the
//! candidate runs on this one (each session with the profile's `intra_op_threads`); the
//! candidate's wall time is still its own (decoding plus its run, with the baseline beside
//! it, as the cores are shared), and the peak memory is the case's, both runs included.

use super::case::{score_case, segment_cached};
use super::compare::PairedCase;
use super::error::ShadowError;
use super::image::{Image, decode_image};
use super::labels::Metric;
use super::profile::HardwareProfile;
use super::runner::ModelRunner;
use super::spec::InferenceSpec;
use super::window::WeightCache;
use crate::segmentation::LabelVolume;

/// What one measured span cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub wall_ms: f64,
    pub peak_mib: f64,
}

/// Measures wall time and peak memory of a span of work.
pub trait Meter {
    fn begin(&mut self);
    fn end(&mut self) -> Cost;
    /// The peak memory since `begin`, in MiB (read again after `end` while other work of the
    /// case still ran).
    fn peak_mib(&mut self) -> f64;
}

/// The inputs of one case.
#[derive(Debug, Clone, Copy)]
pub struct CaseInput<'a> {
    pub case_ref: &'a str,
    pub stratum: &'a str,
    pub image: &'a [u8],
    pub reference: &'a LabelVolume,
}

/// The models and settings a run applies to every case.
pub struct Models<'a> {
    pub candidate: &'a mut dyn ModelRunner,
    pub baseline: &'a mut dyn ModelRunner,
    /// Each model's own spec (their label rules and preprocessing may differ).
    pub spec: &'a InferenceSpec,
    pub baseline_spec: &'a InferenceSpec,
    pub profile: &'a HardwareProfile,
    pub metric: Metric,
    pub max_voxels: u64,
    /// Weight maps and working buffers kept from case to case: the candidate's, and the
    /// baseline's when it runs beside it (`concurrency` 2).
    pub caches: [WeightCache; 2],
}

/// Run and score one case with both models.
pub fn run_case(
    models: &mut Models<'_>,
    case: CaseInput<'_>,
    meter: &mut dyn Meter,
) -> Result<PairedCase, ShadowError> {
    meter.begin();
    let image = decode_image(case.image, models.max_voxels)?;
    let (metric, reference) = (models.metric, case.reference);
    let ((candidate, compute_ns), baseline, cost) = if models.profile.concurrency >= 2 {
        both_at_once(models, &image, (reference, meter))?
    } else {
        let cache = &mut models.caches[0];
        let cand = segment_cached(
            models.candidate,
            &image,
            (models.spec, models.profile),
            cache,
        )?;
        let cost = meter.end();
        let base = segment_cached(
            models.baseline,
            &image,
            (models.baseline_spec, models.profile),
            cache,
        )?;
        (
            (score_case(&cand, reference, metric)?, cand.compute_ns),
            score_case(&base, reference, metric)?,
            cost,
        )
    };
    Ok(PairedCase {
        case_ref: case.case_ref.to_string(),
        stratum: case.stratum.to_string(),
        candidate,
        baseline,
        wall_ms: cost.wall_ms,
        compute_ms: compute_ns as f64 / 1e6,
        peak_mib: cost.peak_mib,
    })
}

/// The candidate's score and compute time, the baseline's score and the candidate's cost.
type Scored = ((f64, u64), f64, Cost);

/// The baseline on a scoped second thread, the candidate on this one, each segmented and
/// scored with its own weight maps and buffers (each run holds them at once anyway, see
/// `profile::MemoryPlan`).
fn both_at_once(
    models: &mut Models<'_>,
    image: &Image,
    (reference, meter): (&LabelVolume, &mut dyn Meter),
) -> Result<Scored, ShadowError> {
    let (spec, baseline_spec, profile) = (models.spec, models.baseline_spec, models.profile);
    let metric = models.metric;
    let baseline = &mut *models.baseline;
    let candidate = &mut *models.candidate;
    let [cand_cache, base_cache] = &mut models.caches;
    std::thread::scope(|scope| {
        let other = scope.spawn(move || {
            let seg = segment_cached(baseline, image, (baseline_spec, profile), base_cache)?;
            score_case(&seg, reference, metric)
        });
        let cand = segment_cached(candidate, image, (spec, profile), cand_cache);
        let mut cost = meter.end();
        let cand = cand.and_then(|c| Ok((score_case(&c, reference, metric)?, c.compute_ns)));
        let base = other
            .join()
            .map_err(|_| ShadowError::InferenceFailed("the baseline's thread panicked".into()))?;
        cost.peak_mib = cost.peak_mib.max(meter.peak_mib());
        Ok((cand?, base?, cost))
    })
}

#[cfg(test)]
mod tests {
    use std::thread::ThreadId;

    use super::*;
    use crate::segmentation::{DecodeLimits, decode_nifti_bytes};
    use crate::shadow::runner::RunOutput;

    const IMAGE: &[u8] =
        include_bytes!("../../tests/fixtures/shadow/cases/scanner-c-1_image.nii.gz");
    const MASK: &[u8] = include_bytes!("../../tests/fixtures/shadow/cases/scanner-c-1_mask.nii.gz");
    const SPEC: &[u8] = include_bytes!("../../tests/fixtures/shadow/spec.json");

    /// Class scores from the windowed intensity (organ and lesion above thresholds that
    /// differ per model), recording the threads it ran on.
    struct Steps {
        organ: f32,
        threads: Vec<ThreadId>,
    }

    impl ModelRunner for Steps {
        fn run(&mut self, input: &[f32], shape: [usize; 5]) -> Result<RunOutput, ShadowError> {
            self.threads.push(std::thread::current().id());
            let pv: usize = shape[2..].iter().product();
            let mut data = Vec::with_capacity(input.len() * 3);
            for patch in input.chunks_exact(pv) {
                data.extend(patch.iter().map(|_| 0.5));
                data.extend(patch.iter().map(|v| 0.5 + v - self.organ));
                data.extend(patch.iter().map(|v| 0.5 + 2.0 * (v - 0.75)));
            }
            Ok(RunOutput {
                data,
                channels: 3,
                compute_ns: 1_000_000,
            })
        }
    }

    #[derive(Default)]
    struct Counting {
        begun: usize,
        ended: usize,
    }

    impl Meter for Counting {
        fn begin(&mut self) {
            self.begun += 1;
        }
        fn end(&mut self) -> Cost {
            self.ended += 1;
            Cost {
                wall_ms: 10.0,
                peak_mib: 5.0,
            }
        }
        fn peak_mib(&mut self) -> f64 {
            7.0
        }
    }

    fn run_with(concurrency: usize) -> (PairedCase, Steps, Steps, Counting) {
        let spec = InferenceSpec::from_json(SPEC).unwrap();
        let profile = HardwareProfile::from_json(
            format!(r#"{{"name": "t", "memory_limit_mib": 256, "latency_budget_ms": 1000, "concurrency": {concurrency}}}"#)
                .as_bytes(),
        )
        .unwrap();
        let reference = decode_nifti_bytes(
            MASK,
            &DecodeLimits {
                max_voxels: 1 << 24,
            },
        )
        .unwrap();
        let mut cand = Steps {
            organ: 0.45,
            threads: vec![],
        };
        let mut base = Steps {
            organ: 0.5,
            threads: vec![],
        };
        let mut meter = Counting::default();
        let mut models = Models {
            candidate: &mut cand,
            baseline: &mut base,
            spec: &spec,
            baseline_spec: &spec,
            profile: &profile,
            metric: Metric::Dice,
            max_voxels: 1 << 24,
            caches: Default::default(),
        };
        let case = CaseInput {
            case_ref: "c",
            stratum: "scanner-c",
            image: IMAGE,
            reference: &reference,
        };
        let paired = run_case(&mut models, case, &mut meter).unwrap();
        (paired, cand, base, meter)
    }

    #[test]
    fn concurrency_two_runs_the_baseline_beside_the_candidate_with_the_same_scores() {
        let (one, c1, b1, m1) = run_with(1);
        let (two, c2, b2, m2) = run_with(2);
        let here = std::thread::current().id();
        assert!(c1.threads.iter().chain(&b1.threads).all(|t| *t == here));
        assert!(c2.threads.iter().all(|t| *t == here));
        assert!(!b2.threads.is_empty() && b2.threads.iter().all(|t| *t != here));
        assert_eq!((one.candidate, one.baseline), (two.candidate, two.baseline));
        assert!(one.candidate != one.baseline, "{one:?}");
        assert!(one.candidate > 0.0 && one.candidate < 1.0, "{one:?}");
        // 12 windows in batches of 4: three calls of 1 ms for the candidate.
        assert_eq!((one.compute_ms, two.compute_ms), (3.0, 3.0));
        assert_eq!((m1.begun, m1.ended, m2.begun, m2.ended), (1, 1, 1, 1));
        // One after the other: the candidate's peak; at once: the case's, both runs.
        assert_eq!((one.peak_mib, two.peak_mib), (5.0, 7.0));
    }
}
