//! Criterion benchmark of the 25-column drift check (20 numeric + 5 categorical) on the exact
//! data of the Python peers' benchmark (`make_data()` in bench_peers.py, exported by
//! `benches/export_bench_data.py`; `benches/drift_peers.sh` does both). Two timings per size:
//! `freeze+check` (reference frozen inside the timing, comparable with the peers, which fit on
//! every call) and `check` (reference already frozen, what a monitor pays per window).
//!
//! Data directory: $VIGIL_BENCH_DATA (default `bench-out`), sub-folders `data-100000` and
//! `data-1000000`; a missing size is skipped with a note.

#[path = "drift_data.rs"]
mod drift_data;

use std::path::PathBuf;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vigil::stats::column_drift::{
    ColumnValues, DriftConfig, FrozenReference, ReferenceInput, check_drift,
};

fn bench_size(c: &mut Criterion, n: usize) {
    let root = std::env::var("VIGIL_BENCH_DATA").unwrap_or_else(|_| "bench-out".into());
    let dir = PathBuf::from(root).join(format!("data-{n}"));
    let (Ok(reference), Ok(current)) =
        (drift_data::load(&dir, "ref"), drift_data::load(&dir, "cur"))
    else {
        eprintln!(
            "skipping n={n}: no data in {} (run benches/drift_peers.sh)",
            dir.display()
        );
        return;
    };
    let ref_labels = drift_data::labels(&reference.categorical_text);
    let cur_labels = drift_data::labels(&current.categorical_text);
    let make_inputs = || {
        let mut inputs: Vec<(String, ReferenceInput<'_>)> = reference
            .numeric
            .iter()
            .map(|(name, v)| (name.clone(), ReferenceInput::Numeric(v.clone())))
            .collect();
        for (name, v) in &ref_labels {
            inputs.push((name.clone(), ReferenceInput::Categorical(v)));
        }
        inputs
    };
    let mut cur: Vec<(&str, ColumnValues<'_>)> = Vec::new();
    for (name, v) in &current.numeric {
        cur.push((name, ColumnValues::Numeric(v)));
    }
    for (name, v) in &cur_labels {
        cur.push((name, ColumnValues::Categorical(v)));
    }
    let cfg = DriftConfig::default();
    let mut group = c.benchmark_group(format!("drift_25_columns/{n}"));
    group.sample_size(10);
    group.bench_function("freeze+check", |b| {
        b.iter_batched(
            make_inputs,
            |inputs| {
                let frozen = FrozenReference::prepare(inputs, 10).expect("prepare");
                check_drift(&frozen, &cur, &cfg).expect("check").n_drifted
            },
            BatchSize::PerIteration,
        )
    });
    let frozen = FrozenReference::prepare(make_inputs(), 10).expect("prepare");
    group.bench_function("check", |b| {
        b.iter(|| check_drift(&frozen, &cur, &cfg).expect("check").n_drifted)
    });
    group.finish();
}

fn drift(c: &mut Criterion) {
    bench_size(c, 100_000);
    bench_size(c, 1_000_000);
}

criterion_group!(benches, drift);
criterion_main!(benches);
