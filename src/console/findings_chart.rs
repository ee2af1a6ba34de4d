//! The model page's picture of findings over time: for each day on which windows closed, how
//! many window findings (tumbling and rolling, every rule and stratum) came out as signals,
//! as ok, and as anything else (insufficient data, off). Counting keeps streams on different
//! scales (a KS statistic, a mean Dice) comparable in one chart. Drawn with plotters and the
//! embedded font, like the alert chart.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use plotters::prelude::*;

use crate::alerting::chart::{ChartError, encode_png, register_fonts};
use crate::monitoring::findings::{FindingStatus, WindowKind};
use crate::storage::StoredFinding;

/// Counts of one day's window findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub signal: u32,
    pub ok: u32,
    pub other: u32,
}

/// Window findings counted per window end day, oldest first; day windows are left out.
pub fn counts_by_day(findings: &[StoredFinding]) -> Vec<(NaiveDate, DayCounts)> {
    let mut days: BTreeMap<NaiveDate, DayCounts> = BTreeMap::new();
    for f in findings.iter().map(|s| &s.finding) {
        if f.window == WindowKind::Day {
            continue;
        }
        let c = days.entry(f.window_end).or_default();
        match f.status {
            FindingStatus::Signal => c.signal += 1,
            FindingStatus::Ok => c.ok += 1,
            _ => c.other += 1,
        }
    }
    days.into_iter().collect()
}

/// A line of the chart: its legend label, colour and the count it draws.
type Series = (&'static str, RGBColor, fn(&DayCounts) -> u32);

type Drawn<'a> = Result<(), Box<dyn std::error::Error + 'a>>;

fn draw<'a>(days: &[(NaiveDate, DayCounts)], rgb: &'a mut [u8], size: (u32, u32)) -> Drawn<'a> {
    let root = BitMapBackend::with_buffer(rgb, size).into_drawing_area();
    root.fill(&WHITE)?;
    let first = days.first().map(|d| d.0).unwrap_or_default();
    let x = |d: NaiveDate| (d - first).num_days() as f64;
    // At least a week wide and three findings high, so a first day does not fill the chart.
    let x1 = days.last().map_or(6.0, |d| x(d.0).max(6.0));
    let y1 = days
        .iter()
        .map(|(_, c)| c.signal.max(c.ok).max(c.other))
        .max()
        .unwrap_or(1)
        .max(3) as f64
        * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption("Window findings per closing day", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(-0.5..x1 + 0.5, 0.0..y1)?;
    chart
        .configure_mesh()
        .x_desc(format!("days since {first}"))
        .y_desc("findings")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let series: [Series; 3] = [
        ("ok", BLUE, |c| c.ok),
        ("signal", RED, |c| c.signal),
        ("other", RGBColor(120, 120, 120), |c| c.other),
    ];
    for (label, color, pick) in series {
        let points: Vec<(f64, f64)> = days
            .iter()
            .map(|(d, c)| (x(*d), f64::from(pick(c))))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(a, b)| PathElement::new([(a, b), (a + 18, b)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}

/// The chart as an 800x400 PNG; `None` when there is no window finding to draw.
pub fn render(findings: &[StoredFinding]) -> Result<Option<Vec<u8>>, ChartError> {
    let days = counts_by_day(findings);
    if days.is_empty() {
        return Ok(None);
    }
    register_fonts();
    let (w, h) = (800u32, 400u32);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(&days, &mut rgb, (w, h)).map_err(|e| ChartError::new(e.to_string()))?;
    encode_png(&rgb, w, h).map(Some)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};

    use super::*;
    use crate::monitoring::findings::Finding;

    fn stored(kind: WindowKind, end: i64, status: FindingStatus) -> StoredFinding {
        let start = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let end = start + Duration::days(end);
        let mut f = Finding::new(
            "all",
            (kind, start, end),
            "mean_dice:liver".into(),
            "t_interval",
            10,
            "f".repeat(64),
        );
        f.status = status;
        StoredFinding {
            evaluation_id: "e".into(),
            seq: 0,
            model_id: "m@1".into(),
            plan_version: 1,
            baseline_id: "b".into(),
            finding: f,
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn findings_are_counted_per_closing_day_without_day_windows() {
        let all = [
            stored(WindowKind::Rolling, 7, FindingStatus::Signal),
            stored(WindowKind::Tumbling, 7, FindingStatus::Ok),
            stored(WindowKind::Tumbling, 14, FindingStatus::Ok),
            stored(WindowKind::Day, 14, FindingStatus::Signal),
        ];
        let days = counts_by_day(&all);
        assert_eq!(days.len(), 2);
        assert_eq!(
            days[0].1,
            DayCounts {
                signal: 1,
                ok: 1,
                other: 0
            }
        );
        assert_eq!(
            days[1].1,
            DayCounts {
                signal: 0,
                ok: 1,
                other: 0
            }
        );
        let png = render(&all).unwrap().unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (800, 400));
        assert!(render(&all[3..]).unwrap().is_none());
    }
}
