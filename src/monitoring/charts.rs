//! Sequential charts on daily points. Each day's point is a standardised mean,
//! `z = (mean - mu0) / (sd0 / sqrt(n))`, in-control N(0, 1) whatever the day's volume, so the
//! chart's design holds for busy and quiet sites alike. Designs come from the plan's target
//! in-control ARL (in days, so the false-alarm rate per stream-year is 365 / arl0) and the shift
//! to detect (in SDs of the daily point):
//! - CUSUM: reference value k = shift / 2 and the decision interval h that reaches ARL0
//!   exactly (the statistics engine's integral-equation design);
//! - EWMA: lambda = 0.2 and the limit width L that reaches ARL0 by the Brook-Evans Markov
//!   chain approximation.
//!
//! The state is carried from run to run; a chart stays crossing while its statistic is
//! beyond the limit (no reset), so one shift gives one alert, and it decays back by itself.

use serde::{Deserialize, Serialize};

use super::plan::{Chart, Sequential};
use crate::stats::arl::design_cusum;
use crate::stats::special::norm_cdf;

/// Smoothing weight of the EWMA chart.
pub const EWMA_LAMBDA: f64 = 0.2;

/// Which way a chart looks for a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Both,
    /// Only decreases matter (Dice).
    Lower,
}

/// A designed chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChartDesign {
    pub chart: Chart,
    pub side: Side,
    /// CUSUM reference value (k) or EWMA lambda.
    pub k: f64,
    /// CUSUM decision interval (h) or EWMA asymptotic limit L * sqrt(lambda / (2 - lambda)).
    pub h: f64,
    pub arl0: f64,
}

/// Design the plan's chart for one side.
pub fn design(seq: &Sequential, side: Side) -> Result<ChartDesign, String> {
    match seq.chart {
        Chart::Cusum => {
            let k = seq.shift_sd / 2.0;
            let d = design_cusum(k, seq.arl0, seq.shift_sd, side == Side::Both)
                .map_err(|e| e.to_string())?;
            Ok(ChartDesign {
                chart: Chart::Cusum,
                side,
                k,
                h: d.h,
                arl0: d.arl0,
            })
        }
        Chart::Ewma => {
            let l = ewma_width(EWMA_LAMBDA, seq.arl0, side)?;
            let h = l * (EWMA_LAMBDA / (2.0 - EWMA_LAMBDA)).sqrt();
            Ok(ChartDesign {
                chart: Chart::Ewma,
                side,
                k: EWMA_LAMBDA,
                h,
                arl0: ewma_arl(EWMA_LAMBDA, h, side),
            })
        }
    }
}

/// State of one chart between runs.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ChartState {
    /// CUSUM upper sum, or the EWMA statistic.
    pub upper: f64,
    /// CUSUM lower sum (EWMA: unused).
    pub lower: f64,
    pub points: u64,
    /// Signalling since the statistic last went beyond the limit.
    #[serde(default)]
    pub signalling: bool,
}

impl ChartState {
    /// Add one standardised daily point; returns the new state, the statistic to report and
    /// whether the chart signals. A chart starts signalling when its statistic goes beyond
    /// the limit (the designed run length) and keeps signalling until it is back in control
    /// (CUSUM at 0, EWMA inside half its limit), so a statistic hovering at the limit gives
    /// one signal, not a series.
    pub fn step(self, d: &ChartDesign, z: f64) -> (ChartState, f64, bool) {
        let mut s = self;
        s.points += 1;
        let (stat, beyond, back_in_control) = match d.chart {
            Chart::Cusum => {
                s.upper = match d.side {
                    Side::Both => (s.upper + z - d.k).max(0.0),
                    Side::Lower => 0.0,
                };
                s.lower = (s.lower - z - d.k).max(0.0);
                let stat = s.upper.max(s.lower);
                (stat, stat > d.h, stat == 0.0)
            }
            Chart::Ewma => {
                s.upper = d.k * z + (1.0 - d.k) * s.upper;
                let beyond = match d.side {
                    Side::Both => s.upper.abs() > d.h,
                    Side::Lower => s.upper < -d.h,
                };
                (s.upper, beyond, s.upper.abs() < d.h / 2.0)
            }
        };
        s.signalling = beyond || (s.signalling && !back_in_control);
        (s, stat, s.signalling)
    }
}

/// In-control ARL of an EWMA started at 0 with asymptotic limit `h` (Brook-Evans Markov
/// chain on 81 states).
fn ewma_arl(lambda: f64, h: f64, side: Side) -> f64 {
    let m = 81usize;
    // A lower-sided chart reflects at a generous upper bound instead of signalling there.
    let (lo, hi) = match side {
        Side::Both => (-h, h),
        Side::Lower => (-h, 6.0 * h.max(1.0)),
    };
    let w = (hi - lo) / m as f64;
    let centre = |i: usize| lo + (i as f64 + 0.5) * w;
    // Augmented system (I - P) x = 1, where P holds the in-control transition probabilities.
    let mut a = vec![vec![0.0; m + 1]; m];
    for (i, row) in a.iter_mut().enumerate() {
        let from = (1.0 - lambda) * centre(i);
        for (j, cell) in row.iter_mut().take(m).enumerate() {
            let (x0, x1) = (lo + j as f64 * w, lo + (j + 1) as f64 * w);
            let mut p = norm_cdf((x1 - from) / lambda) - norm_cdf((x0 - from) / lambda);
            if side == Side::Lower && j == m - 1 {
                p += 1.0 - norm_cdf((hi - from) / lambda);
            }
            *cell = if i == j { 1.0 - p } else { -p };
        }
        row[m] = 1.0;
    }
    let x = solve(a);
    let start = ((-lo / w) as usize).min(m - 1);
    x[start]
}

/// Solve an augmented square system by Gauss-Jordan elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>) -> Vec<f64> {
    let m = a.len();
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            if r != col && f != 0.0 {
                for c in col..=m {
                    row[c] -= f * pivot_row[c];
                }
            }
        }
    }
    a.iter()
        .enumerate()
        .map(|(i, row)| row[m] / row[i])
        .collect()
}

/// Smallest L (to 1e-4) whose EWMA ARL0 reaches `target`.
fn ewma_width(lambda: f64, target: f64, side: Side) -> Result<f64, String> {
    let factor = (lambda / (2.0 - lambda)).sqrt();
    let arl = |l: f64| ewma_arl(lambda, l * factor, side);
    let (mut lo, mut hi) = (0.5, 6.0);
    if arl(hi) < target {
        return Err("EWMA target ARL0 is out of reach".into());
    }
    while hi - lo > 1e-4 {
        let mid = 0.5 * (lo + hi);
        if arl(mid) < target {
            lo = mid
        } else {
            hi = mid
        }
    }
    Ok(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(chart: Chart, arl0: f64) -> Sequential {
        Sequential {
            chart,
            arl0,
            shift_sd: 1.0,
        }
    }

    #[test]
    fn cusum_design_matches_the_classic_table() {
        // Two-sided CUSUM, k = 0.5, ARL0 = 370 (Montgomery: h close to 4.77 with 465 ->
        // the usual h = 5 gives ARL0 ~ 465 two-sided/2); check the design reaches its target.
        let d = design(&seq(Chart::Cusum, 370.0), Side::Both).unwrap();
        assert!((d.arl0 - 370.0).abs() < 1.0, "{d:?}");
        assert!(d.h > 4.0 && d.h < 5.0, "{d:?}");
    }

    #[test]
    fn ewma_width_matches_lucas_saccucci() {
        // Lucas & Saccucci (1990): lambda 0.2, L = 2.962 gives ARL0 = 500 (two-sided).
        let l = ewma_width(0.2, 500.0, Side::Both).unwrap();
        assert!((l - 2.962).abs() < 0.02, "{l}");
    }

    #[test]
    fn cusum_crosses_under_a_shift_and_decays_after() {
        let d = design(&seq(Chart::Cusum, 1000.0), Side::Lower).unwrap();
        let mut s = ChartState::default();
        let mut first = None;
        for day in 0..20 {
            let z = if day >= 5 { -3.0 } else { 0.0 };
            let (next, _, crossing) = s.step(&d, z);
            s = next;
            if crossing && first.is_none() {
                first = Some(day);
            }
        }
        assert!(matches!(first, Some(6..=9)), "{first:?}");
        // Back in control only once the sum returns to 0, not when it dips below h.
        let mut s = ChartState {
            lower: d.h + 0.1,
            signalling: true,
            ..ChartState::default()
        };
        let mut seen = Vec::new();
        for _ in 0..8 {
            let (next, stat, signalling) = s.step(&d, 1.0);
            s = next;
            assert_eq!(signalling, stat > 0.0, "{s:?}");
            seen.push((stat < d.h, signalling));
        }
        assert!(
            seen.contains(&(true, true)),
            "signals below h until back at 0: {seen:?}"
        );
        assert!(!s.signalling);
        // Upward moves never count on a lower-sided chart.
        let (_, stat, crossing) = ChartState::default().step(&d, 50.0);
        assert_eq!((stat, crossing), (0.0, false));
    }
}
