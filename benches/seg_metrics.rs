//! Criterion benchmark of the segmentation metrics on the 512x512x300 pair of METRICS.md
//! section 6: decoding both files, Dice/IoU only, and every surface metric.
//!
//! The pair is not stored; write it first with the shared `make_seg_bench_case.py` into
//! `bench-out/case` (or point `VIGIL_SEG_BENCH_DIR` at another folder). Without it the
//! benchmark says so and measures nothing.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use vigil::segmentation::{
    DecodeLimits, MetricOptions, compute_metrics, compute_overlap, decode_nifti_path,
};

fn case_dir() -> PathBuf {
    std::env::var_os("VIGIL_SEG_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-out/case"))
}

fn bench(c: &mut Criterion) {
    let dir = case_dir();
    let (ref_path, pred_path) = (dir.join("ref.nii.gz"), dir.join("pred.nii.gz"));
    if !ref_path.exists() || !pred_path.exists() {
        eprintln!(
            "seg_metrics: no benchmark pair in {}; skipping",
            dir.display()
        );
        return;
    }
    let limits = DecodeLimits::default();
    let load = |p: &PathBuf| match decode_nifti_path(p, &limits) {
        Ok(v) => v,
        Err(e) => panic!("cannot decode {}: {e}", p.display()),
    };
    let (reference, pred) = (load(&ref_path), load(&pred_path));
    let options = MetricOptions::default();
    let mut group = c.benchmark_group("seg_metrics_512x512x300");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("decode_both_nii_gz", |b| {
        b.iter(|| rayon::join(|| load(&pred_path), || load(&ref_path)))
    });
    group.bench_function("dice_iou", |b| {
        b.iter(|| compute_overlap(&pred, &reference, &options))
    });
    group.bench_function("all_surface_metrics", |b| {
        b.iter(|| compute_metrics(&pred, &reference, &options))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
