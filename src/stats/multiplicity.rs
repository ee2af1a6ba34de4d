//! Multiple-testing control: Benjamini-Hochberg and Benjamini-Yekutieli adjusted p-values (as
//! scipy's `false_discovery_control`) and Bonferroni. Drift checks run one test per feature and
//! stratum; without this control a monitor alarms on noise as the family grows.

use super::StatsError;

/// Which false-discovery-rate procedure to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdrMethod {
    /// Benjamini-Hochberg: valid under independence or positive dependence.
    Bh,
    /// Benjamini-Yekutieli: valid under any dependence, at the price of power.
    By,
}

/// Adjusted p-values in the input order: sort ascending, `p_(i) * m / i` (times the harmonic
/// sum for BY), cumulative minimum from the largest rank down, clipped to 1.
pub fn fdr_adjust(ps: &[f64], method: FdrMethod) -> Result<Vec<f64>, StatsError> {
    check_p_values(ps)?;
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let factor = match method {
        FdrMethod::Bh => 1.0,
        FdrMethod::By => (1..=m).map(|j| 1.0 / j as f64).sum(),
    };
    let mut adjusted = vec![0.0; m];
    let mut running_min = f64::INFINITY;
    for rank in (0..m).rev() {
        let idx = order[rank];
        let q = ps[idx] * m as f64 / (rank + 1) as f64 * factor;
        running_min = running_min.min(q);
        adjusted[idx] = running_min.min(1.0);
    }
    Ok(adjusted)
}

/// Bonferroni-adjusted p-values: `min(1, p * m)`.
pub fn bonferroni(ps: &[f64]) -> Result<Vec<f64>, StatsError> {
    check_p_values(ps)?;
    let m = ps.len() as f64;
    Ok(ps.iter().map(|p| (p * m).min(1.0)).collect())
}

fn check_p_values(ps: &[f64]) -> Result<(), StatsError> {
    if ps.iter().any(|p| !(0.0..=1.0).contains(p)) {
        return Err(StatsError::input("p-values must lie in [0, 1]"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_matches_hand_computation_and_keeps_order() {
        // Sorted: 0.01*4/1=0.04, 0.02*4/2=0.04, 0.03*4/3=0.04, 0.5*4/4=0.5.
        let adj = fdr_adjust(&[0.5, 0.02, 0.01, 0.03], FdrMethod::Bh).unwrap();
        let want = [0.5, 0.04, 0.04, 0.04];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-15, "{adj:?}");
        }
    }

    #[test]
    fn by_is_bh_times_harmonic_sum_clipped() {
        let ps = [0.001, 0.2, 0.04];
        let bh = fdr_adjust(&ps, FdrMethod::Bh).unwrap();
        let by = fdr_adjust(&ps, FdrMethod::By).unwrap();
        let h = 1.0 + 0.5 + 1.0 / 3.0;
        for (b, y) in bh.iter().zip(&by) {
            assert!((y - (b * h).min(1.0)).abs() < 1e-15);
        }
    }

    #[test]
    fn out_of_range_p_is_refused() {
        assert!(fdr_adjust(&[0.2, 1.5], FdrMethod::Bh).is_err());
        assert!(bonferroni(&[f64::NAN]).is_err());
    }
}
