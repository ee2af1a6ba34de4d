//! Chart designs and stepping.

use super::*;

fn seq(chart: Chart, arl0: f64) -> Sequential {
    Sequential {
        chart,
        arl0,
        shift_sd: 1.0,
        ..Sequential::default()
    }
}

#[test]
fn cusum_design_matches_the_classic_table() {
    // Two-sided CUSUM, k = 0.5, ARL0 = 370 (Montgomery: h close to 4.77 with 465 ->
    // the usual h = 5 gives ARL0 ~ 465 two-sided/2); check the design reaches its target.
    let d = design(&seq(Chart::Cusum, 370.0), Side::Both).unwrap();
    let arl0 = crate::stats::arl::arl_two_sided(d.k, d.h, 0.0, 0.0).unwrap();
    assert!((arl0 - 370.0).abs() < 1.0, "{d:?}: {arl0}");
    assert!(d.h > 4.0 && d.h < 5.0, "{d:?}");
}

#[test]
fn ewma_width_matches_lucas_saccucci() {
    // Lucas & Saccucci (1990): lambda 0.2, L = 2.962 gives ARL0 = 500 (two-sided).
    let d = design(&seq(Chart::Ewma, 500.0), Side::Both).unwrap();
    let l = d.h / (0.2f64 / 1.8).sqrt();
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

/// A known-parameter two-sided CUSUM design with k = 0.5, h = 4 and a head start of h/2.
fn fir(reset_to: ResetTo) -> ChartDesign {
    ChartDesign {
        chart: Chart::Cusum,
        side: Side::Both,
        k: 0.5,
        h: 4.0,
        arl0: 148.0,
        reference_n: None,
        point_n: None,
        head_start: 0.5,
        reset_to,
    }
}

fn run(d: &ChartDesign, zs: &[f64]) -> Vec<(f64, bool, bool)> {
    let mut s = ChartState::start(d);
    zs.iter()
        .map(|&z| {
            let (next, stat, signalling) = s.step(d, z);
            s = next;
            (stat, signalling, s.alarm)
        })
        .collect()
}

#[test]
fn a_fir_cusum_starts_at_its_head_start_and_restarts_after_an_alarm() {
    // By hand, C+ = max(0, C+ + z - 0.5), C- = max(0, C- - z - 0.5), both from H = 2:
    //   z      1.0  1.5  2.0        0.0  1.5  1.0
    //   C+     2.5  3.5  5.0 > 4    ...
    //   C-     0.5  0    0
    // restart at zero:       then C+ 0, 1.0, 1.5 (C- 0);
    // restart at the head start (C+ = C- = 2): C+ 1.5, 2.5, 3.0 and C- 1.5, 0, 0.
    let zs = [1.0, 1.5, 2.0, 0.0, 1.5, 1.0];
    let zero = run(&fir(ResetTo::Zero), &zs);
    let stats: Vec<f64> = zero.iter().map(|r| r.0).collect();
    assert_eq!(stats, [2.5, 3.5, 5.0, 0.0, 1.0, 1.5]);
    let signalling: Vec<bool> = zero.iter().map(|r| r.1).collect();
    assert_eq!(signalling, [false, false, true, true, true, true]);
    let alarms: Vec<bool> = zero.iter().map(|r| r.2).collect();
    assert_eq!(alarms, [false, false, true, false, false, false]);

    let head = run(&fir(ResetTo::HeadStart), &zs);
    let stats: Vec<f64> = head.iter().map(|r| r.0).collect();
    assert_eq!(stats, [2.5, 3.5, 5.0, 1.5, 2.5, 3.0]);
    // Both keep signalling after the restart: the excursion (the sums without restarts or
    // head start: C+ 0.5, 1.5, 3.0, 2.5, 3.5, 4.0) has not come back to 0.
    let signalling: Vec<bool> = head.iter().map(|r| r.1).collect();
    assert_eq!(signalling, [false, false, true, true, true, true]);

    // Without a head start the same points never reach h = 4 by the third point.
    let plain = ChartDesign {
        head_start: 0.0,
        ..fir(ResetTo::Zero)
    };
    let stats: Vec<f64> = run(&plain, &zs).iter().map(|r| r.0).collect();
    assert_eq!(stats, [0.5, 1.5, 3.0, 2.5, 3.5, 4.0]);
}

#[test]
fn a_persistent_shift_alarms_again_after_each_restart_and_keeps_signalling() {
    // A lower-sided chart under z = -2 each day, k = 0.5, h = 4: each point adds 1.5.
    // From zero: 1.5, 3, 4.5 (alarm, restart) then 1.5, 3, 4.5 (alarm) ...; from the head
    // start 2: 3.5, 5 (alarm) then 3.5, 5 (alarm) ...
    let lower = |reset_to| ChartDesign {
        side: Side::Lower,
        ..fir(reset_to)
    };
    let zero = ChartDesign {
        head_start: 0.0,
        ..lower(ResetTo::Zero)
    };
    let alarms_of = |d: &ChartDesign| -> Vec<usize> {
        run(d, &[-2.0; 9])
            .iter()
            .enumerate()
            .filter(|(_, r)| r.2)
            .map(|(i, _)| i)
            .collect()
    };
    assert_eq!(alarms_of(&zero), [2, 5, 8]);
    assert_eq!(alarms_of(&lower(ResetTo::HeadStart)), [1, 3, 5, 7]);
    // A head start with a restart at zero: the first run is short, later ones are not.
    assert_eq!(alarms_of(&lower(ResetTo::Zero)), [1, 4, 7]);
    assert!(run(&zero, &[-2.0; 9]).iter().skip(2).all(|r| r.1));
    let mut s = ChartState::start(&zero);
    for _ in 0..9 {
        s = s.step(&zero, -2.0).0;
    }
    assert_eq!(s.alarms, 3);
}

#[test]
fn a_head_start_design_keeps_its_arl0_from_the_head_start() {
    // numpy Monte Carlo (20,000 charts x 4,000 points, restarted at the head start after
    // each alarm): a two-sided CUSUM with k = 0.5, h = 5 and head start h/2 alarms every
    // 427.1 points (Lucas & Crosier 1982 give about 430); without the head start h = 5 gives
    // 465, so the design from the head start needs h close to 5 for ARL0 427.
    let s = Sequential {
        head_start: 0.5,
        reset_to: ResetTo::HeadStart,
        ..seq(Chart::Cusum, 427.1)
    };
    let d = design(&s, Side::Both).unwrap();
    assert!((d.h - 5.0).abs() < 0.05, "{d:?}");
    assert_eq!(ChartState::start(&d).upper, 0.5 * d.h);
    let plain = design(&seq(Chart::Cusum, 427.1), Side::Both).unwrap();
    assert!(plain.h < d.h - 0.03, "{plain:?} vs {d:?}");
    assert!(
        d.describe()
            .contains("head start 0.5 h, restarting at the head start")
    );
    assert!(d.describe().contains("(from the head start)"));
    assert!(
        plain
            .describe()
            .contains("no head start, restarting at zero")
    );
}

#[test]
fn states_stored_before_restarts_existed_still_load() {
    let old = r#"{"upper":0.0,"lower":1.5,"points":12,"signalling":true}"#;
    let s: ChartState = serde_json::from_str(old).unwrap();
    assert_eq!(
        (s.alarms, s.alarm, s.lower, s.excursion),
        (0, false, 1.5, None)
    );
    // Its sums never restarted: they are the excursion, so it keeps signalling while > 0.
    let d = ChartDesign {
        side: Side::Lower,
        head_start: 0.0,
        ..fir(ResetTo::Zero)
    };
    let (next, _, signalling) = s.step(&d, 0.0);
    assert!(signalling && next.excursion == Some([0.0, 1.0]), "{next:?}");
    let d = r#"{"chart":"cusum","side":"lower","k":1.25,"h":6.0,"arl0":2000.0,
        "reference_n":null,"point_n":null}"#;
    let d: ChartDesign = serde_json::from_str(d).unwrap();
    assert_eq!((d.head_start, d.reset_to), (0.0, ResetTo::Zero));
}

#[test]
fn the_stream_clears_when_the_excursion_ends_not_when_the_restarted_chart_does() {
    // Lower-sided, k = 0.5, h = 4, no head start, restart at zero. z = -3, -3 alarms (2.5,
    // 5.0); the restarted sum then goes 0 at z = +0.5 while the excursion (5.0 -> 4.0) is
    // still on: signalling. Then z = +2 twice: the excursion 1.5, 0: clear on the last.
    let d = ChartDesign {
        side: Side::Lower,
        head_start: 0.0,
        ..fir(ResetTo::Zero)
    };
    let got = run(&d, &[-3.0, -3.0, 0.5, 2.0, 2.0]);
    let stats: Vec<f64> = got.iter().map(|r| r.0).collect();
    assert_eq!(stats, [2.5, 5.0, 0.0, 0.0, 0.0]);
    let signalling: Vec<bool> = got.iter().map(|r| r.1).collect();
    assert_eq!(signalling, [false, true, true, true, false]);
}
