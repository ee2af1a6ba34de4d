//! One drift check over the benchmark table (20 numeric + 5 categorical columns), timed the way
//! `bench_peers.py` times the Python peers: data loading excluded, the check (freezing the
//! reference and comparing the current window) included. Also reports the check alone against an
//! already frozen reference, which is what a running monitor pays per window.
//!
//! Usage: drift_check <data-dir>   (prints one line `RESULT {json}`)

#[path = "../benches/drift_data.rs"]
mod drift_data;

use std::path::PathBuf;
use std::time::Instant;

use vigil::stats::column_drift::{
    ColumnValues, DriftConfig, FrozenReference, ReferenceInput, check_drift,
};

/// CPU seconds (user + system, all threads) of this process so far, from /proc (Linux; 0 when
/// unavailable). Wall time on a shared machine depends on the load; CPU time much less.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<f64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // `rest` starts at field 3 (state, not numeric and filtered out), so utime is f[10].
    f.get(10)
        .zip(f.get(11))
        .map_or(0.0, |(u, s)| (u + s) / 100.0)
}

/// The reference columns handed to `FrozenReference::prepare` (numeric ones moved in).
fn reference_inputs<'a>(
    numeric: Vec<(String, Vec<f64>)>,
    labels: &'a [(String, Vec<&'a str>)],
) -> Vec<(String, ReferenceInput<'a>)> {
    let mut inputs: Vec<(String, ReferenceInput<'a>)> = numeric
        .into_iter()
        .map(|(name, v)| (name, ReferenceInput::Numeric(v)))
        .collect();
    for (name, v) in labels {
        inputs.push((name.clone(), ReferenceInput::Categorical(v)));
    }
    inputs
}

/// The current window, borrowed.
fn current_window<'a>(
    numeric: &'a [(String, Vec<f64>)],
    labels: &'a [(String, Vec<&'a str>)],
) -> Vec<(&'a str, ColumnValues<'a>)> {
    let mut cur: Vec<(&str, ColumnValues<'_>)> = numeric
        .iter()
        .map(|(name, v)| (name.as_str(), ColumnValues::Numeric(v)))
        .collect();
    for (name, v) in labels {
        cur.push((name, ColumnValues::Categorical(v)));
    }
    cur
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: drift_check <data-dir>")?,
    );
    let t0 = Instant::now();
    let reference = drift_data::load(&dir, "ref")?;
    let current = drift_data::load(&dir, "cur")?;
    let drift_data::Side {
        numeric: ref_numeric,
        categorical_text: ref_text,
    } = reference;
    let ref_labels = drift_data::labels(&ref_text);
    let cur_labels = drift_data::labels(&current.categorical_text);
    let load_s = t0.elapsed().as_secs_f64();
    let n = current.numeric.first().map_or(0, |c| c.1.len());

    let (t1, cpu1) = (Instant::now(), cpu_seconds());
    let frozen = FrozenReference::prepare(reference_inputs(ref_numeric, &ref_labels), 10)?;
    let t_prepare = t1.elapsed().as_secs_f64();
    let cur = current_window(&current.numeric, &cur_labels);
    let report = check_drift(&frozen, &cur, &DriftConfig::default())?;
    let check_s = t1.elapsed().as_secs_f64();
    let check_cpu_s = cpu_seconds() - cpu1;

    let (t2, cpu2) = (Instant::now(), cpu_seconds());
    let again = check_drift(&frozen, &cur, &DriftConfig::default())?;
    let warm_s = t2.elapsed().as_secs_f64();
    let warm_cpu_s = cpu_seconds() - cpu2;
    assert_eq!(again.n_drifted, report.n_drifted);

    let drifted: Vec<&str> = report
        .columns
        .iter()
        .filter(|c| c.drifted)
        .map(|c| c.name.as_str())
        .collect();
    let out = serde_json::json!({
        "peer": "vigil", "n": n, "version": env!("CARGO_PKG_VERSION"), "threads": rayon::current_num_threads(),
        "load_s": load_s, "check_s": check_s, "prepare_s": t_prepare, "check_frozen_s": warm_s,
        "check_cpu_s": check_cpu_s, "check_frozen_cpu_s": warm_cpu_s,
        "result": {"drifted_columns": report.n_drifted, "drifted": drifted},
    });
    println!("RESULT {out}");
    Ok(())
}
