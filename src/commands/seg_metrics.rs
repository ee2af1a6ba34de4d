//! `vigil seg-metrics`: segmentation metrics between two NIfTI label volumes.
//!
//! Without `--label` or `--all-labels`, foreground is every non-zero voxel (METRICS.md's
//! convention) and one object is printed, even for a multi-label map: merging labels is the
//! documented default, never a guess. `--label N` evaluates one label (the object gains a
//! `label` field); `--all-labels` evaluates every non-zero label present in either volume and
//! prints a JSON array of such objects. Bad input exits with code 2 and, under `--json`,
//! prints `{"error":{"code","message"}}` on stdout.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::segmentation::{
    DecodeLimits, Foreground, LabelMetrics, LabelVolume, MaskError, MetricOptions, OverlapMetrics,
    compute_metrics, compute_overlap, decode_nifti_path, tolerance_key,
};

/// Arguments of `vigil seg-metrics`.
#[derive(Debug, clap::Args)]
pub struct SegMetricsArgs {
    /// The model's mask (.nii or .nii.gz).
    #[arg(long)]
    pub pred: PathBuf,
    /// The clinician-corrected reference mask (.nii or .nii.gz).
    #[arg(long = "ref")]
    pub reference: PathBuf,
    /// Evaluate only the voxels equal to this label value.
    #[arg(long, conflicts_with = "all_labels")]
    pub label: Option<f64>,
    /// Evaluate every non-zero label present in either volume (prints a JSON array).
    #[arg(long)]
    pub all_labels: bool,
    /// NSD tolerances in mm, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub nsd_tolerance: Vec<f64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compute Dice and IoU only (no surface metrics).
    #[arg(long)]
    pub dice_only: bool,
    /// Largest accepted volume, in voxels.
    #[arg(long, default_value_t = DecodeLimits::default().max_voxels)]
    pub max_voxels: u64,
    /// Print decode and compute times (seconds) on stderr.
    #[arg(long)]
    pub timing: bool,
}

/// What the command prints: one result per evaluated label.
enum Output {
    Full(Vec<LabelMetrics>),
    Overlap(Vec<OverlapMetrics>),
}

/// Run the command; returns the exit code.
pub fn run(args: &SegMetricsArgs) -> i32 {
    match evaluate(args) {
        Ok(output) => {
            print_output(args, &output);
            0
        }
        Err(e) => {
            if args.json {
                let body =
                    serde_json::json!({"error": {"code": e.code(), "message": e.to_string()}});
                println!("{body}");
            } else {
                eprintln!("error: [{}] {e}", e.code());
            }
            2
        }
    }
}

fn evaluate(args: &SegMetricsArgs) -> Result<Output, MaskError> {
    let limits = DecodeLimits {
        max_voxels: args.max_voxels,
    };
    let start = Instant::now();
    let (pred, reference): (Result<LabelVolume, _>, Result<LabelVolume, _>) = rayon::join(
        || decode_nifti_path(&args.pred, &limits),
        || decode_nifti_path(&args.reference, &limits),
    );
    let (pred, reference) = (pred?, reference?);
    let decoded = start.elapsed().as_secs_f64();
    let options = MetricOptions {
        foreground: match (args.label, args.all_labels) {
            (Some(v), _) => Foreground::Label(v),
            (None, true) => Foreground::AllLabels,
            (None, false) => Foreground::NonZero,
        },
        nsd_tolerances_mm: args.nsd_tolerance.clone(),
    };
    let computing = Instant::now();
    let output = if args.dice_only {
        Output::Overlap(compute_overlap(&pred, &reference, &options)?)
    } else {
        Output::Full(compute_metrics(&pred, &reference, &options)?)
    };
    if args.timing {
        let metrics = computing.elapsed().as_secs_f64();
        eprintln!("timing: decode_s={decoded:.4} metrics_s={metrics:.4}");
    }
    Ok(output)
}

fn print_output(args: &SegMetricsArgs, output: &Output) {
    if args.json {
        let text = match output {
            Output::Full(v) => to_json(v, args.all_labels),
            Output::Overlap(v) => to_json(v, args.all_labels),
        };
        println!("{text}");
        return;
    }
    match output {
        Output::Full(v) => v.iter().for_each(print_full),
        Output::Overlap(v) => v.iter().for_each(|m| {
            print_header(m.label, m.status.as_str());
            println!("  dice {}  iou {}", m.dice, m.iou);
            println!("  voxels ref {}  pred {}", m.ref_voxels, m.pred_voxels);
        }),
    }
}

/// One object, or an array under `--all-labels`.
fn to_json<T: Serialize>(items: &[T], array: bool) -> String {
    let result = match (array, items) {
        (false, [one]) => serde_json::to_string(one),
        _ => serde_json::to_string(items),
    };
    result
        .unwrap_or_else(|e| format!("{{\"error\":{{\"code\":\"internal\",\"message\":\"{e}\"}}}}"))
}

fn print_header(label: Option<f64>, status: &str) {
    match label {
        Some(l) => println!("label {l}: status {status}"),
        None => println!("status {status}"),
    }
}

fn mm(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".to_string(), |d| format!("{d:.4} mm"))
}

fn print_full(m: &LabelMetrics) {
    print_header(m.label, m.status.as_str());
    println!("  dice {:.6}  iou {:.6}", m.dice, m.iou);
    println!(
        "  hd {}  hd95 {} (ref->pred {}, pred->ref {})",
        mm(m.hd),
        mm(m.hd95),
        mm(m.hd95_ref_to_pred),
        mm(m.hd95_pred_to_ref)
    );
    println!("  masd {}  assd (pooled) {}", mm(m.masd), mm(m.assd_pooled));
    println!(
        "  mean distance ref->pred {}  pred->ref {}",
        mm(m.asd_ref_to_pred),
        mm(m.asd_pred_to_ref)
    );
    for (t, v) in &m.nsd {
        println!("  nsd at {} mm: {v:.6}", tolerance_key(*t));
    }
    println!(
        "  voxels ref {}  pred {}  both {}",
        m.ref_voxels, m.pred_voxels, m.intersection_voxels
    );
    println!(
        "  surface ref {:.3} mm2  pred {:.3} mm2",
        m.ref_surface_mm2, m.pred_surface_mm2
    );
}
