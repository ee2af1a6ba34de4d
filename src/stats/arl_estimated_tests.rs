//! Reference values: a numpy 2.4.6 Monte Carlo of the CUSUM with a reference drawn afresh
//! for each of 200,000 charts (reference mean ~ N(0, 1/m), SD² ~ χ²(m−1)/(m − ddof)), 2,000
//! daily points of n cases each, restarted after every alarm; the rate is alarms per point
//! (standard error in brackets). With m → ∞ the same simulation gives 0.005954 for k = 0.5,
//! h = 4, which is Montgomery's ARL0 of 168.

use super::*;
use crate::stats::arl::arl_one_sided_on;

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

#[test]
fn hermite_rule_integrates_normal_moments() {
    let (x, w) = gauss_hermite(16);
    let moment = |p: i32| x.iter().zip(&w).map(|(x, w)| w * x.powi(p)).sum::<f64>();
    assert!(close(moment(0), 1.0, 1e-12), "{}", moment(0));
    assert!(close(moment(2), 1.0, 1e-12), "{}", moment(2));
    assert!(close(moment(4), 3.0, 1e-12), "{}", moment(4));
    assert!(close(moment(8), 105.0, 1e-10), "{}", moment(8));
}

#[test]
fn known_parameters_give_the_classical_rate() {
    // Montgomery Table 9.3: two-sided k = 0.5, h = 4 has ARL0 168.
    let r = cusum_false_alarm_rate(0.5, 4.0, true, ReferenceError::none()).unwrap();
    assert!(close(1.0 / r, 168.0, 0.01), "{}", 1.0 / r);
}

#[test]
fn estimated_reference_rate_matches_a_monte_carlo() {
    // Two-sided k = 1.25, h = 3, n = 100 a day against 700 reference cases (7 days; ddof 0):
    // numpy 0.0020475 (1.2e-5).
    let e = ReferenceError::of(100.0, 700.0).unwrap();
    let r = cusum_false_alarm_rate(1.25, 3.0, true, e).unwrap();
    assert!(close(r, 0.0020475, 0.03), "{r}");
    // Lower-sided k = 0.5, h = 4, n = 20 reviews a day against 560 (ddof 1):
    // numpy 0.0051998 (1.5e-5).
    let e = ReferenceError::of(20.0, 560.0).unwrap();
    let r = cusum_false_alarm_rate(0.5, 4.0, false, e).unwrap();
    assert!(close(r, 0.0051998, 0.03), "{r}");
    // Known parameters at the same limits alarm far less often.
    let known = cusum_false_alarm_rate(1.25, 3.0, true, ReferenceError::none()).unwrap();
    assert!(known < 0.0020475 / 2.0, "{known}");
}

#[test]
fn design_widens_the_limit_as_the_reference_shrinks() {
    let known = design_cusum_estimated(1.25, 2000.0, true, ReferenceError::none()).unwrap();
    let mut last = known;
    for days in [60.0, 28.0, 14.0, 7.0] {
        let e = ReferenceError::of(100.0, 100.0 * days).unwrap();
        let h = design_cusum_estimated(1.25, 2000.0, true, e).unwrap();
        assert!(h > last, "{days} days: h {h} after {last}");
        let rate = cusum_false_alarm_rate(1.25, h, true, e).unwrap();
        assert!(close(rate, 1.0 / 2000.0, 1e-3), "{days} days: {rate}");
        last = h;
    }
    // A reference no larger than one day's points cannot carry a chart at ARL0 2000.
    let e = ReferenceError::of(1000.0, 1000.0).unwrap();
    assert!(design_cusum_estimated(1.25, 2000.0, true, e).is_err());
    assert!(ReferenceError::of(5.0, 1.0).is_err());
}

#[test]
fn fewer_nodes_keep_the_arl_accurate() {
    for (h, d) in [(3.0, 0.0), (4.0, 1.0), (8.0, 0.5)] {
        let fine = crate::stats::arl::arl_one_sided(0.5, h, d, 0.0).unwrap();
        let fast = arl_one_sided_on(nodes_for(h), 0.5, h, d, 0.0).unwrap();
        assert!(close(fast, fine, 1e-4), "h {h} d {d}: {fast} vs {fine}");
    }
}

#[test]
fn a_head_start_shortens_the_run_as_simulated() {
    // numpy Monte Carlo (20,000 charts x 4,000 points, seed 12): a two-sided CUSUM whose sums
    // start at h/2 and restart there after every alarm raises 0.0023412 alarms a point with
    // k = 0.5, h = 5 (ARL 427; 465 without the head start) and 0.0067540 with h = 4 (ARL 148;
    // 168 without).
    for (h, want) in [(5.0, 0.002_341_2), (4.0, 0.006_754_0)] {
        let r = cusum_false_alarm_rate_from(0.5, h, true, ReferenceError::none(), 0.5).unwrap();
        assert!(close(r, want, 0.02), "h = {h}: {r} vs {want}");
    }
    let h = design_cusum_estimated_from(0.5, 427.1, true, ReferenceError::none(), 0.5).unwrap();
    assert!((h - 5.0).abs() < 0.05, "{h}");
    assert!(design_cusum_estimated_from(0.5, 427.1, true, ReferenceError::none(), 1.0).is_err());
}
