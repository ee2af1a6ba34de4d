//! The frozen-baseline reference sample of the demo model (its "validation set"): cases drawn
//! from the in-control distribution with the fleet's mix of protocols, as CSV for
//! `PUT /api/v1/models/{name}/versions/{version}/baseline` (`Content-Type: text/csv`).
//!
//! Columns: every declared feature (in `demo::FEATURES` order), then `slice_thickness_mm`,
//! `pixel_spacing_mm`, `latency_ms`, and the per-case Dice of each label as `dice.<label>`.

use std::fmt::Write;

use super::case::{Effects, draw_dice, draw_features, draw_latency};
use super::demo::{FEATURES, LABELS};
use super::sample::stream;
use super::site::{case_pixel_spacing, draw_protocol};

/// The header row of the reference CSV.
pub fn reference_header() -> Vec<String> {
    let mut cols: Vec<String> = FEATURES.iter().map(|f| f.name.to_string()).collect();
    cols.extend(
        ["slice_thickness_mm", "pixel_spacing_mm", "latency_ms"]
            .iter()
            .map(|s| s.to_string()),
    );
    cols.extend(LABELS.iter().map(|l| format!("dice.{l}")));
    cols
}

/// `n` reference cases under `seed` as CSV with a header row (site stream 0, which no
/// simulated site uses).
pub fn reference_csv(n: usize, seed: u64) -> String {
    let mut rng = stream(seed, 0, 0);
    let mut out = reference_header().join(",");
    out.push('\n');
    for _ in 0..n {
        let protocol = draw_protocol(&mut rng);
        let fx = Effects::in_control(protocol);
        let spacing = case_pixel_spacing(&mut rng, &protocol);
        let mut row: Vec<f64> = draw_features(&mut rng, &fx).to_vec();
        row.push(protocol.slice_thickness_mm);
        row.push(spacing);
        row.push(draw_latency(&mut rng, &fx));
        for i in 0..LABELS.len() {
            row.push(draw_dice(&mut rng, i, 0.0));
        }
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}
