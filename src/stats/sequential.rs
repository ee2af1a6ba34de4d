//! Sequential detectors for monitoring a metric stream (Montgomery, Introduction to Statistical
//! Quality Control, ch. 9): the tabular two-sided CUSUM (reference value k, decision interval h,
//! optional fast-initial-response head start, optional restart after an alarm at zero or at the
//! head start) and the EWMA chart
//! with exact time-varying limits. Alarms are strict (C > H, z outside the limits), so a
//! statistic exactly on the boundary does not alarm. Arithmetic follows the textbook formulas in
//! their written order, which the reference paths were computed with.

use super::StatsError;

/// Parameters of a tabular CUSUM in units of the in-control standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CusumParams {
    pub mu0: f64,
    pub sigma: f64,
    /// Reference value k (K = k·σ), usually half the shift to detect.
    pub k: f64,
    /// Decision interval h (H = h·σ).
    pub h: f64,
    /// Fast initial response: both statistics start at headstart·H (0 ≤ headstart < 1).
    pub headstart: f64,
    /// After an alarm, restart both sides before the next observation, at `reset_to`.
    pub reset_after_alarm: bool,
    /// Where a restart after an alarm begins: zero (default; the textbook convention and the
    /// reference's) or the head start again.
    pub reset_to: CusumRestart,
}

/// Where a CUSUM restarts after an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CusumRestart {
    /// Both statistics and run counters at 0 (Montgomery's convention).
    #[default]
    Zero,
    /// Both statistics at headstart·H again (a fresh fast initial response).
    HeadStart,
}

impl CusumRestart {
    /// Parse the wire spelling `zero` or `head_start`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "zero" => Some(Self::Zero),
            "head_start" => Some(Self::HeadStart),
            _ => None,
        }
    }
}

/// Full CUSUM paths and alarm indices (0-based).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CusumPath {
    pub c_plus: Vec<f64>,
    pub c_minus: Vec<f64>,
    /// Consecutive periods with C⁺ > 0 (estimates when the shift began).
    pub n_plus: Vec<u64>,
    pub n_minus: Vec<u64>,
    pub alarms_upper: Vec<usize>,
    pub alarms_lower: Vec<usize>,
}

/// Run the tabular CUSUM over `x`.
pub fn cusum(x: &[f64], p: &CusumParams) -> Result<CusumPath, StatsError> {
    check_common(x, p.mu0, p.sigma)?;
    if p.k.is_nan() || p.k < 0.0 || p.h.is_nan() || p.h <= 0.0 || !(0.0..1.0).contains(&p.headstart)
    {
        return Err(StatsError::input(
            "cusum needs k >= 0, h > 0 and 0 <= headstart < 1",
        ));
    }
    let (big_k, big_h) = (p.k * p.sigma, p.h * p.sigma);
    let start = p.headstart * big_h;
    let (mut cp, mut cm, mut np, mut nm) = (start, start, 0u64, 0u64);
    let mut out = CusumPath::default();
    for (i, &xi) in x.iter().enumerate() {
        cp = f64::max(0.0, (xi - (p.mu0 + big_k)) + cp);
        cm = f64::max(0.0, ((p.mu0 - big_k) - xi) + cm);
        np = if cp > 0.0 { np + 1 } else { 0 };
        nm = if cm > 0.0 { nm + 1 } else { 0 };
        out.c_plus.push(cp);
        out.c_minus.push(cm);
        out.n_plus.push(np);
        out.n_minus.push(nm);
        let (up, lo) = (cp > big_h, cm > big_h);
        if up {
            out.alarms_upper.push(i);
        }
        if lo {
            out.alarms_lower.push(i);
        }
        if p.reset_after_alarm && (up || lo) {
            let r = match p.reset_to {
                CusumRestart::Zero => 0.0,
                CusumRestart::HeadStart => start,
            };
            (cp, cm, np, nm) = (r, r, 0, 0);
        }
    }
    Ok(out)
}

/// EWMA statistic, limits and alarms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EwmaPath {
    pub z: Vec<f64>,
    pub lcl: Vec<f64>,
    pub ucl: Vec<f64>,
    /// Indices where z is strictly outside the time-varying limits.
    pub alarms: Vec<usize>,
    pub lcl_asymptotic: f64,
    pub ucl_asymptotic: f64,
    /// Indices where z is strictly outside the asymptotic limits.
    pub alarms_asymptotic: Vec<usize>,
}

/// EWMA chart: z_i = λx_i + (1−λ)z_{i−1}, z_0 = μ0, limits μ0 ± Lσ√(λ/(2−λ)·(1−(1−λ)^{2i})).
pub fn ewma(x: &[f64], mu0: f64, sigma: f64, lambda: f64, l: f64) -> Result<EwmaPath, StatsError> {
    check_common(x, mu0, sigma)?;
    if !(lambda > 0.0 && lambda <= 1.0 && l > 0.0) {
        return Err(StatsError::input("ewma needs 0 < lambda <= 1 and L > 0"));
    }
    let half_asym = l * sigma * (lambda / (2.0 - lambda)).sqrt();
    let mut out = EwmaPath {
        lcl_asymptotic: mu0 - half_asym,
        ucl_asymptotic: mu0 + half_asym,
        ..EwmaPath::default()
    };
    let mut z = mu0;
    for (i, &xi) in x.iter().enumerate() {
        z = lambda * xi + (1.0 - lambda) * z;
        let t = (i + 1) as f64;
        let half =
            l * sigma * (lambda / (2.0 - lambda) * (1.0 - (1.0 - lambda).powf(2.0 * t))).sqrt();
        let (lcl, ucl) = (mu0 - half, mu0 + half);
        if z > ucl || z < lcl {
            out.alarms.push(i);
        }
        if z > out.ucl_asymptotic || z < out.lcl_asymptotic {
            out.alarms_asymptotic.push(i);
        }
        out.z.push(z);
        out.lcl.push(lcl);
        out.ucl.push(ucl);
    }
    Ok(out)
}

fn check_common(x: &[f64], mu0: f64, sigma: f64) -> Result<(), StatsError> {
    if x.iter().any(|v| !v.is_finite()) || !mu0.is_finite() {
        return Err(StatsError::input("observations and mu0 must be finite"));
    }
    if !sigma.is_finite() || sigma <= 0.0 {
        return Err(StatsError::input("sigma must be positive"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_equal_to_h_does_not_alarm() {
        // k = 0: C+ = 1, 2, 3, 4; H = 4 is reached exactly at index 3 and must not alarm.
        let p = CusumParams {
            mu0: 0.0,
            sigma: 1.0,
            k: 0.0,
            h: 4.0,
            headstart: 0.0,
            reset_after_alarm: false,
            reset_to: CusumRestart::Zero,
        };
        let r = cusum(&[1.0, 1.0, 1.0, 1.0, 0.5], &p).unwrap();
        assert_eq!(r.c_plus[3], 4.0);
        assert_eq!(r.alarms_upper, vec![4]);
    }

    #[test]
    fn headstart_starts_at_a_fraction_of_h() {
        let p = CusumParams {
            mu0: 0.0,
            sigma: 2.0,
            k: 0.5,
            h: 4.0,
            headstart: 0.5,
            reset_after_alarm: false,
            reset_to: CusumRestart::Zero,
        };
        let r = cusum(&[0.0], &p).unwrap();
        // C+ = max(0, (0 − 1) + 4) = 3.
        assert_eq!(r.c_plus[0], 3.0);
        assert!(ewma(&[1.0], 0.0, 1.0, 0.0, 3.0).is_err());
    }

    #[test]
    fn restart_after_an_alarm_is_at_zero_or_at_the_head_start() {
        let mut p = CusumParams {
            mu0: 0.0,
            sigma: 1.0,
            k: 0.0,
            h: 2.0,
            headstart: 0.5,
            reset_after_alarm: true,
            reset_to: CusumRestart::Zero,
        };
        // Starts at 1: 1 + 1.5 = 2.5 > 2 alarms at index 0, then restarts.
        let zero = cusum(&[1.5, 0.5], &p).unwrap();
        assert_eq!(zero.c_plus, vec![2.5, 0.5]);
        p.reset_to = CusumRestart::HeadStart;
        let head = cusum(&[1.5, 0.5], &p).unwrap();
        assert_eq!(head.c_plus, vec![2.5, 1.5]);
    }
}
