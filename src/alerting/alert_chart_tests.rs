use super::*;

/// A mean Dice stream: 60 in-control days around 0.93, then 8 days shifted to 0.90 whose
/// CUSUM passes its decision limit on the sixth.
pub(crate) fn demo_chart() -> AlertChart {
    let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let mut stat = 0.0f64;
    let days = (0..68)
        .map(|i| {
            let value = if i < 60 {
                0.93 + 0.004 * ((i * 7 % 5) as f64 - 2.0) / 2.0
            } else {
                0.90
            };
            let z = (0.93 - value) / (0.02 / 5.0);
            stat = (stat + z - 1.25).max(0.0) * if i < 60 { 0.2 } else { 0.6 };
            ChartDay {
                day: start + Duration::days(i),
                value: Some(value),
                statistic: Some(stat),
                signal: stat > 4.39,
            }
        })
        .collect();
    AlertChart {
        title: "Mean Dice of liver shifted down (CUSUM) (site=site-a)".into(),
        unit: "Dice".into(),
        days,
        baseline: Some(0.93),
        acceptance_limit: Some(0.85),
        chart_name: "CUSUM".into(),
        chart_limit: Some(4.39),
        window: Some((start + Duration::days(60), start + Duration::days(68))),
    }
}

fn pixels(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = buf.chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, px)
}

#[test]
fn the_alert_chart_draws_baseline_limits_signals_and_window_well_under_100_kb() {
    let bytes = render_alert_png(&demo_chart()).unwrap();
    // To look at it: VIGIL_ALERT_CHART_PNG=FILE cargo test the_alert_chart_draws
    if let Ok(path) = std::env::var("VIGIL_ALERT_CHART_PNG") {
        std::fs::write(path, &bytes).unwrap();
    }
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let (w, h, px) = pixels(&bytes);
    assert_eq!((w, h), SIZE);
    let count = |c: RGBColor| px.iter().filter(|p| **p == [c.0, c.1, c.2]).count();
    assert!(count(SHADE) > 2_000, "window shaded: {}", count(SHADE));
    assert!(count(GREEN) > 300, "baseline drawn: {}", count(GREEN));
    assert!(
        count(RED) > 1_000,
        "limits and signals in red: {}",
        count(RED)
    );
    assert!(count(BLUE) > 500, "daily values in blue: {}", count(BLUE));
}

#[test]
fn day_findings_become_chart_days_in_date_order() {
    let d = |n: i64| NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Duration::days(n);
    let finding = |n: i64, signal: bool| {
        let mut f = Finding::new(
            "all",
            (crate::monitoring::findings::WindowKind::Day, d(n), d(n + 1)),
            "mean_dice:liver".into(),
            "cusum",
            9,
            String::new(),
        );
        (f.estimate, f.statistic, f.limit) = (Some(0.9), Some(n as f64), Some(4.0));
        f.status = if signal {
            FindingStatus::Signal
        } else {
            FindingStatus::Ok
        };
        f
    };
    let (a, b) = (finding(5, true), finding(2, false));
    let chart = AlertChart::from_days("t", "Dice", &[&a, &b]).unwrap();
    assert_eq!(
        chart.days.iter().map(|x| x.day).collect::<Vec<_>>(),
        [d(2), d(5)]
    );
    assert_eq!(
        (chart.chart_name.as_str(), chart.chart_limit),
        ("CUSUM", Some(4.0))
    );
    assert!(chart.days[1].signal && !chart.days[0].signal);
}

/// Day findings of a mean-Dice CUSUM stream: 20 days at 0.93, then 6 days at 0.90.
fn dice_days() -> Vec<Finding> {
    let d0 = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    (0..26)
        .map(|i| {
            let day = d0 + Duration::days(i);
            let mut f = Finding::new(
                "site=a",
                (
                    crate::monitoring::findings::WindowKind::Day,
                    day,
                    day + Duration::days(1),
                ),
                "mean_dice:liver".into(),
                "cusum",
                25,
                String::new(),
            );
            let late = i >= 20;
            let stat = if late { 1.5 * (i - 19) as f64 } else { 0.0 };
            (f.estimate, f.statistic, f.limit) =
                (Some(if late { 0.90 } else { 0.93 }), Some(stat), Some(4.39));
            f.status = if stat > 4.39 {
                FindingStatus::Signal
            } else {
                FindingStatus::Ok
            };
            f
        })
        .collect()
}

/// Red pixels in the upper (daily values) panel.
fn upper_red(bytes: &[u8]) -> usize {
    let (w, _, px) = pixels(bytes);
    px.iter()
        .take((w * 320) as usize)
        .filter(|p| **p == [RED.0, RED.1, RED.2])
        .count()
}

#[test]
fn a_chart_triggered_dice_alert_draws_the_plans_acceptance_limit() {
    let days = dice_days();
    let refs: Vec<&Finding> = days.iter().collect();
    let d = |i: i64| NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Duration::days(i);
    // The evidence of a chart-triggered alert: the chart, not a window, signalled; the plan's
    // limit 0.88 comes with it (explain takes it from the plan whatever the trigger).
    let e = Evidence {
        rule: "mean_dice:liver".into(),
        trigger: "chart".into(),
        unit: "Dice".into(),
        baseline: Some(0.93),
        acceptance_limit: Some(0.88),
        first_evidence: Some(d(20)),
        ..Evidence::default()
    };
    let chart = AlertChart::for_alert("Mean Dice of liver shifted down", &e, &refs, d(25)).unwrap();
    assert_eq!(
        (chart.baseline, chart.acceptance_limit, chart.chart_limit),
        (Some(0.93), Some(0.88), Some(4.39))
    );
    assert_eq!(chart.window, Some((d(20), d(26))));
    assert_eq!(chart.days.len(), 26);
    assert_eq!(chart.days.iter().filter(|x| x.signal).count(), 4);
    let with = render_alert_png(&chart).unwrap();
    let (w, h, _) = pixels(&with);
    assert_eq!((w, h), SIZE);
    let without = render_alert_png(&AlertChart {
        acceptance_limit: None,
        ..chart.clone()
    })
    .unwrap();
    // The limit is a red line across the upper panel (about 700 px long, 2 px wide).
    assert!(
        upper_red(&with) > upper_red(&without) + 1_000,
        "{} vs {}",
        upper_red(&with),
        upper_red(&without)
    );
}
