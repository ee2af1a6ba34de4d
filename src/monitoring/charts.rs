//! Sequential charts on daily points. Each day's point is a standardised mean,
//! `z = (mean - mu0) / (sd0 / sqrt(n))` with `mu0` and `sd0` from the frozen reference, so the
//! chart's design holds for busy and quiet sites alike. Designs come from the plan's target
//! in-control ARL (in days, so the false-alarm rate per stream-year is 365 / arl0) and the shift
//! to detect (in SDs of the daily point):
//! - CUSUM: reference value k = shift / 2 and the decision interval h;
//! - EWMA: lambda = 0.2 and the asymptotic limit h (Brook-Evans Markov chain for its ARL).
//!
//! The reference is a sample, not the truth: its mean's error shifts every point of a day
//! with n cases by about sqrt(n / m) SDs for a reference of m cases, the same shift day after
//! day. Limits are therefore designed for the reference actually in force: h is the smallest
//! limit whose false-alarm rate, averaged over that sampling error, is 1 / arl0
//! (`stats::arl_estimated`). Designs are cached per (plan chart, n/m, m) bucket; the buckets
//! round towards the wider limit, so the stated rate is an upper bound.
//!
//! A CUSUM may start at a head start (the plan's `head_start`, a fraction of h: the fast
//! initial response of Lucas & Crosier); its limit is then designed so that a run from the
//! head start keeps the target ARL0. After an alarm (the statistic beyond h) the chart restarts
//! before the next point: a CUSUM at zero or at the head start (`reset_to`), an EWMA at 0. A
//! restart at zero after a head-start design makes later runs longer than stated, never
//! shorter, so the stated rate stays an upper bound.
//!
//! The state is carried from run to run. Beside the restarted chart it keeps the same statistic
//! without restarts (from 0, no head start): the excursion. The stream keeps signalling from an
//! alarm until the excursion is back in control (CUSUM at 0, EWMA inside half its limit), so a
//! persistent shift, however often the restarted chart alarms again, keeps one alert open, and
//! a statistic hovering at the limit gives one signal, not a series.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use super::plan::{Chart, ResetTo, Sequential};
use crate::stats::arl_estimated::{
    ReferenceError, design_cusum_estimated_from, expected_over, limit_for_rate,
};
use crate::stats::special::norm_cdf;

/// Smoothing weight of the EWMA chart.
pub const EWMA_LAMBDA: f64 = 0.2;

/// Which way a chart looks for a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// In-control ARL the limit keeps, averaged over the reference's sampling error.
    pub arl0: f64,
    /// Reference size the limit was designed for (`None`: parameters taken as known).
    pub reference_n: Option<f64>,
    /// Points' size (cases a day) the limit was designed for.
    pub point_n: Option<f64>,
    /// CUSUM head start, a fraction of h (0: none; EWMA: always 0).
    #[serde(default)]
    pub head_start: f64,
    /// Where the chart restarts after an alarm (EWMA: at 0, its target).
    #[serde(default)]
    pub reset_to: ResetTo,
}

impl ChartDesign {
    /// The design in words, as findings state it.
    pub fn describe(&self) -> String {
        let chart = match self.chart {
            Chart::Cusum => format!(
                "CUSUM k={:.3} h={:.3}, {}",
                self.k,
                self.h,
                self.restart_words()
            ),
            Chart::Ewma => format!(
                "EWMA lambda={:.2} limit={:.3}, restarting at 0 after an alarm",
                self.k, self.h
            ),
        };
        let basis = match (self.reference_n, self.point_n) {
            (Some(m), Some(n)) => format!(
                "limits corrected for an estimated reference ({m:.0} reference cases, \
                 {n:.0} a day)"
            ),
            _ => "limits for known parameters".to_string(),
        };
        let from = if self.head_start > 0.0 {
            " (from the head start)"
        } else {
            ""
        };
        format!(
            "{chart}, {basis}: in-control ARL {:.0} days{from}, {:.2} false alarms per \
             stream-year expected",
            self.arl0,
            365.0 / self.arl0
        )
    }

    /// The head start and the restart in words, e.g. `head start 0.5 h, restarting at the
    /// head start after an alarm`.
    pub fn restart_words(&self) -> String {
        let start = if self.head_start > 0.0 {
            format!("head start {} h", self.head_start)
        } else {
            "no head start".to_string()
        };
        let to = match (self.chart, self.reset_to) {
            (Chart::Cusum, ResetTo::HeadStart) => "the head start",
            _ => "zero",
        };
        format!("{start}, restarting at {to} after an alarm")
    }

    /// The value the sums start from: the head start (a fraction of h), or 0.
    pub fn start_value(&self) -> f64 {
        match self.chart {
            Chart::Cusum => self.head_start * self.h,
            Chart::Ewma => 0.0,
        }
    }

    /// The value the sums restart from after an alarm.
    pub fn restart_value(&self) -> f64 {
        match self.reset_to {
            ResetTo::HeadStart => self.start_value(),
            ResetTo::Zero => 0.0,
        }
    }
}

/// Design the plan's chart for one side, taking the parameters as known.
pub fn design(seq: &Sequential, side: Side) -> Result<ChartDesign, String> {
    design_for(seq, side, ReferenceError::none())
}

/// Design the plan's chart for one side and a reference with sampling error `e`.
pub fn design_for(seq: &Sequential, side: Side, e: ReferenceError) -> Result<ChartDesign, String> {
    let two_sided = side == Side::Both;
    let (k, h) = match seq.chart {
        Chart::Cusum => {
            let k = seq.shift_sd / 2.0;
            let hs = seq.head_start;
            (
                k,
                design_cusum_estimated_from(k, seq.arl0, two_sided, e, hs),
            )
        }
        Chart::Ewma => (
            EWMA_LAMBDA,
            limit_for_rate(seq.arl0, |h| {
                expected_over(e, |c, d| Ok(1.0 / ewma_arl(EWMA_LAMBDA, h / c, side, d)))
            }),
        ),
    };
    Ok(ChartDesign {
        chart: seq.chart,
        side,
        k,
        h: h.map_err(|e| e.message)?,
        arl0: seq.arl0,
        reference_n: None,
        point_n: None,
        head_start: match seq.chart {
            Chart::Cusum => seq.head_start,
            Chart::Ewma => 0.0,
        },
        reset_to: seq.reset_to,
    })
}

type DesignKey = (Chart, Side, u64, u64, u64, ResetTo, i64, i64);

fn cache() -> &'static Mutex<HashMap<DesignKey, Result<ChartDesign, String>>> {
    static CACHE: OnceLock<Mutex<HashMap<DesignKey, Result<ChartDesign, String>>>> =
        OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The design for a daily point of `n` cases against a reference of `m`: n/m rounded up and m
/// rounded down on a grid of about 5% (so the limit is never narrower than the exact one),
/// computed once per process.
pub fn design_estimated(
    seq: &Sequential,
    side: Side,
    n: usize,
    m: usize,
) -> Result<ChartDesign, String> {
    if m < 2 || n == 0 {
        return Err(format!("a reference of {m} cannot carry a chart"));
    }
    let ratio_bucket = ((n as f64 / m as f64).ln() * 20.0).ceil() as i64;
    let m_bucket = ((m as f64).ln() * 20.0).floor() as i64;
    let key = (
        seq.chart,
        side,
        seq.arl0.to_bits(),
        seq.shift_sd.to_bits(),
        seq.head_start.to_bits(),
        seq.reset_to,
        ratio_bucket,
        m_bucket,
    );
    if let Some(found) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return found;
    }
    let m_grid = (m_bucket as f64 / 20.0).exp().max(2.0);
    let n_grid = (ratio_bucket as f64 / 20.0).exp() * m_grid;
    let designed = ReferenceError::of(n_grid.max(1.0), m_grid)
        .map_err(|e| e.message)
        .and_then(|e| design_for(seq, side, e))
        .map(|d| ChartDesign {
            reference_n: Some(m as f64),
            point_n: Some(n as f64),
            ..d
        });
    if let Ok(mut c) = cache().lock() {
        c.insert(key, designed.clone());
    }
    designed
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
    /// Alarms so far (points whose statistic went beyond the limit; each restarts the chart).
    #[serde(default)]
    pub alarms: u64,
    /// Whether the last point was an alarm (the chart restarted after it).
    #[serde(default)]
    pub alarm: bool,
    /// The statistic without restarts or head start (CUSUM upper and lower sums; EWMA: the
    /// first), which says when the excursion is over. `None` in states stored before restarts
    /// existed, whose sums never restarted: they are the excursion.
    #[serde(default)]
    pub excursion: Option<[f64; 2]>,
}

impl ChartState {
    /// A chart before its first point: its sums at the design's head start (0 without one).
    pub fn start(d: &ChartDesign) -> ChartState {
        let h0 = d.start_value();
        ChartState {
            upper: if d.side == Side::Both { h0 } else { 0.0 },
            lower: if d.chart == Chart::Cusum { h0 } else { 0.0 },
            excursion: Some([0.0, 0.0]),
            ..ChartState::default()
        }
    }

    /// Add one standardised daily point; returns the new state, the statistic to report and
    /// whether the chart signals. An alarm is a statistic beyond the limit (the designed run
    /// length); the reported statistic is that value, and the chart restarts (at the design's
    /// restart value) before the next point. A chart starts signalling at an alarm and keeps
    /// signalling until its excursion (the statistic without restarts) is back in control
    /// (CUSUM at 0, EWMA inside half its limit), so a persistent shift that alarms again after
    /// a restart keeps signalling, and a statistic hovering at the limit gives one signal.
    pub fn step(self, d: &ChartDesign, z: f64) -> (ChartState, f64, bool) {
        let mut s = self;
        s.points += 1;
        let [mut eu, mut el] = s.excursion.unwrap_or([s.upper, s.lower]);
        let (stat, beyond, back_in_control) = match d.chart {
            Chart::Cusum => {
                let up = |c: f64| match d.side {
                    Side::Both => (c + z - d.k).max(0.0),
                    Side::Lower => 0.0,
                };
                let down = |c: f64| (c - z - d.k).max(0.0);
                (s.upper, s.lower, eu, el) = (up(s.upper), down(s.lower), up(eu), down(el));
                let stat = s.upper.max(s.lower);
                (stat, stat > d.h, eu.max(el) == 0.0)
            }
            Chart::Ewma => {
                s.upper = d.k * z + (1.0 - d.k) * s.upper;
                eu = d.k * z + (1.0 - d.k) * eu;
                let beyond = match d.side {
                    Side::Both => s.upper.abs() > d.h,
                    Side::Lower => s.upper < -d.h,
                };
                (s.upper, beyond, eu.abs() < d.h / 2.0)
            }
        };
        s.excursion = Some([eu, el]);
        s.signalling = beyond || (s.signalling && !back_in_control);
        s.alarm = beyond;
        if beyond {
            s.alarms += 1;
            let r = d.restart_value();
            match d.chart {
                Chart::Cusum => {
                    s.upper = if d.side == Side::Both { r } else { 0.0 };
                    s.lower = r;
                }
                Chart::Ewma => s.upper = 0.0,
            }
        }
        (s, stat, s.signalling)
    }
}

/// ARL of an EWMA started at 0 with asymptotic limit `h` when the points' mean is `delta`
/// (Brook-Evans Markov chain on 81 states).
fn ewma_arl(lambda: f64, h: f64, side: Side, delta: f64) -> f64 {
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
            let cdf = |x: f64| norm_cdf((x - from) / lambda - delta);
            let mut p = cdf(x1) - cdf(x0);
            if side == Side::Lower && j == m - 1 {
                p += 1.0 - cdf(hi);
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

#[cfg(test)]
#[path = "charts_tests.rs"]
mod tests;
