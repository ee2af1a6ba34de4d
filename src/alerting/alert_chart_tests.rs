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
