//! The chart an alert e-mail carries, drawn to be read at e-mail size (800 px wide): dates on the
//! x axis; in the upper panel the stream's daily values in their unit with the baseline mean
//! (dashed) and the plan's acceptance limit; in the lower panel the chart statistic (CUSUM or
//! EWMA, in standard errors) with its decision limit, so no line is ever compared with a value
//! in other units. Points that signalled are red, the window the alert rests on is shaded.
//! Drawn with plotters and the embedded DejaVu font; a 256-colour PNG stays far below 100 KB.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::chart::ChartError;
use crate::monitoring::explain::Evidence;
use crate::monitoring::findings::{Finding, FindingStatus};

/// Days of the stream's history an alert's chart draws.
pub const CHART_DAYS: i64 = 90;

/// One day of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartDay {
    pub day: NaiveDate,
    /// The daily value in the stream's unit (a mean).
    pub value: Option<f64>,
    /// The chart statistic, in standard errors.
    pub statistic: Option<f64>,
    pub signal: bool,
}

/// Everything the alert chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChart {
    pub title: String,
    /// Unit of the daily values, e.g. `Dice`, `HU`.
    pub unit: String,
    pub days: Vec<ChartDay>,
    pub baseline: Option<f64>,
    pub acceptance_limit: Option<f64>,
    /// `CUSUM` or `EWMA`.
    pub chart_name: String,
    pub chart_limit: Option<f64>,
    /// The window the alert rests on, `[start, end)`, shaded.
    pub window: Option<(NaiveDate, NaiveDate)>,
}

const SIZE: (u32, u32) = (800, 520);
const GREY: RGBColor = RGBColor(90, 90, 90);
const SHADE: RGBColor = RGBColor(255, 236, 179);
const GREEN: RGBColor = RGBColor(0, 128, 60);

impl AlertChart {
    /// The chart of a stream from its day findings (oldest first or in any order).
    pub fn from_days(title: &str, unit: &str, findings: &[&Finding]) -> Option<Self> {
        let mut days: Vec<ChartDay> = findings
            .iter()
            .map(|f| ChartDay {
                day: f.window_start,
                value: f.estimate,
                statistic: f.statistic,
                signal: f.status == FindingStatus::Signal,
            })
            .collect();
        days.sort_by_key(|d| d.day);
        days.dedup_by_key(|d| d.day);
        let last = findings.iter().max_by_key(|f| f.window_start)?;
        Some(AlertChart {
            title: title.into(),
            unit: unit.into(),
            days,
            baseline: None,
            acceptance_limit: None,
            chart_name: last.method.to_uppercase(),
            chart_limit: last.limit,
            window: None,
        })
    }
}

impl AlertChart {
    /// An alert's chart, as the e-mail and the console's alert page draw it: the stream's day
    /// findings (its history), the evidence's baseline and the plan's acceptance limit in the
    /// values' unit (whatever triggered the alert: a chart-triggered mean-Dice alert shows the
    /// limit too), and the window the alert rests on shaded: the window test's window, or the
    /// chart's excursion from its first evidence through `day`.
    pub fn for_alert(title: &str, e: &Evidence, days: &[&Finding], day: NaiveDate) -> Option<Self> {
        let mut chart = AlertChart::from_days(title, &e.unit, days)?;
        chart.baseline = e.baseline;
        chart.acceptance_limit = e.acceptance_limit;
        chart.window = match (e.trigger.as_str(), e.current_window) {
            ("window", Some([a, b])) => Some((a, b)),
            _ => e.first_evidence.map(|f| (f, day + Duration::days(1))),
        };
        Some(chart)
    }
}

/// Draw the chart as an 800 x 520 PNG.
pub fn render_alert_png(chart: &AlertChart) -> Result<Vec<u8>, ChartError> {
    super::chart::register_fonts();
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(chart, &mut rgb).map_err(|e| ChartError::new(e.to_string()))?;
    encode_indexed(&rgb, w, h)
}

/// Encode with a palette of the 256 most frequent colours (every drawn colour is among them;
/// rarer anti-aliasing shades map to their nearest entry): a third of the RGB size.
fn encode_indexed(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
    for p in rgb.chunks_exact(3) {
        *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
    }
    let mut by_count: Vec<([u8; 3], usize)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let palette: Vec<[u8; 3]> = by_count.iter().take(256).map(|c| c.0).collect();
    let mut index: HashMap<[u8; 3], u8> = HashMap::new();
    let nearest = |c: [u8; 3]| -> u8 {
        let d = |p: &[u8; 3]| {
            (0..3)
                .map(|i| (i32::from(p[i]) - i32::from(c[i])).pow(2))
                .sum::<i32>()
        };
        let best = (0..palette.len())
            .min_by_key(|&i| d(&palette[i]))
            .unwrap_or(0);
        u8::try_from(best).unwrap_or(0)
    };
    let pixels: Vec<u8> = rgb
        .chunks_exact(3)
        .map(|p| {
            *index
                .entry([p[0], p[1], p[2]])
                .or_insert_with(|| nearest([p[0], p[1], p[2]]))
        })
        .collect();
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(palette.concat());
    enc.set_compression(png::Compression::Best);
    let err = |e: png::EncodingError| ChartError::new(e.to_string());
    let mut writer = enc.write_header().map_err(err)?;
    writer.write_image_data(&pixels).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

type DrawResult<'a> = Result<(), Box<dyn std::error::Error + 'a>>;

fn draw<'a>(chart: &AlertChart, rgb: &'a mut [u8]) -> DrawResult<'a> {
    let root = BitMapBackend::with_buffer(rgb, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(&chart.title, ("sans-serif", 20))?;
    let (upper, lower) = root.split_vertically(300);
    let first = chart.days.first().map_or(NaiveDate::MIN, |d| d.day);
    let span = chart
        .days
        .last()
        .map_or(1, |d| (d.day - first).num_days())
        .max(1) as f64;
    let x = |d: NaiveDate| (d - first).num_days() as f64;
    let values: Vec<(f64, f64, bool)> = chart
        .days
        .iter()
        .filter_map(|d| Some((x(d.day), d.value?, d.signal)))
        .collect();
    let lines = [chart.baseline, chart.acceptance_limit];
    let panel = Panel {
        first,
        span,
        window: chart.window.map(|(a, b)| (x(a), x(b) - 1.0)),
    };
    panel.draw(
        &upper,
        &values,
        (
            &format!("daily mean ({})", chart.unit),
            &lines,
            SeriesLabelPosition::LowerLeft,
        ),
        |c| {
            if let Some(b) = chart.baseline {
                hline(c, span, b, GREEN, true, &format!("baseline {}", short(b)))?;
            }
            if let Some(l) = chart.acceptance_limit {
                hline(
                    c,
                    span,
                    l,
                    RED,
                    false,
                    &format!("acceptance limit {}", short(l)),
                )?;
            }
            Ok(())
        },
    )?;
    let stats: Vec<(f64, f64, bool)> = chart
        .days
        .iter()
        .filter_map(|d| Some((x(d.day), d.statistic?, d.signal)))
        .collect();
    let name = format!("{} statistic (standard errors)", chart.chart_name);
    panel.draw(
        &lower,
        &stats,
        (
            &name,
            &[chart.chart_limit, Some(0.0)],
            SeriesLabelPosition::UpperLeft,
        ),
        |c| {
            if let Some(h) = chart.chart_limit {
                hline(
                    c,
                    span,
                    h,
                    RED,
                    false,
                    &format!("decision limit {}", short(h)),
                )?;
            }
            Ok(())
        },
    )?;
    root.present()?;
    Ok(())
}

type Cartesian<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

struct Panel {
    first: NaiveDate,
    span: f64,
    window: Option<(f64, f64)>,
}

impl Panel {
    fn draw<'b>(
        &self,
        area: &DrawingArea<BitMapBackend<'b>, Shift>,
        points: &[(f64, f64, bool)],
        (y_desc, lines, legend): (&str, &[Option<f64>], SeriesLabelPosition),
        extra: impl FnOnce(&mut Cartesian<'_, 'b>) -> DrawResult<'b>,
    ) -> DrawResult<'b> {
        let ys = points
            .iter()
            .map(|p| p.1)
            .chain(lines.iter().flatten().copied());
        let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.12).max(hi.abs().max(1e-3) * 1e-3);
        let mut c = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(30)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5..self.span + 0.5, (lo - pad)..(hi + pad))?;
        let first = self.first;
        let date = |x: &f64| {
            (first + Duration::days(x.round() as i64))
                .format("%d %b")
                .to_string()
        };
        c.configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_labels(8)
            .x_label_formatter(&date)
            .y_labels(6)
            .y_desc(y_desc)
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 15))
            .draw()?;
        if let Some((a, b)) = self.window {
            c.draw_series([Rectangle::new(
                [(a - 0.5, lo - pad), (b + 0.5, hi + pad)],
                SHADE.filled(),
            )])?
            .label("alert window")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], SHADE.filled()));
        }
        extra(&mut c)?;
        c.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            BLUE.stroke_width(2),
        ))?;
        c.draw_series(points.iter().map(|&(x, y, s)| {
            let (colour, r) = if s { (RED, 5) } else { (BLUE, 3) };
            Circle::new((x, y), r, colour.filled())
        }))?;
        c.configure_series_labels()
            .position(legend)
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    }
}

fn hline<'b>(
    c: &mut Cartesian<'_, 'b>,
    span: f64,
    y: f64,
    colour: RGBColor,
    dashed: bool,
    label: &str,
) -> DrawResult<'b> {
    let style = colour.stroke_width(2);
    let series = if dashed {
        let dashes: Vec<PathElement<(f64, f64)>> = (0..(span as i64 * 2 + 2))
            .step_by(2)
            .map(|i| {
                let x0 = -0.5 + i as f64 * 0.5;
                PathElement::new([(x0, y), ((x0 + 0.5).min(span + 0.5), y)], style)
            })
            .collect();
        c.draw_series(dashes)?
    } else {
        c.draw_series([PathElement::new([(-0.5, y), (span + 0.5, y)], style)])?
    };
    series
        .label(label)
        .legend(move |(x, yy)| PathElement::new([(x, yy), (x + 16, yy)], style));
    Ok(())
}

/// Four significant digits for labels.
fn short(v: f64) -> String {
    crate::monitoring::explain::num(Some(v))
}

#[cfg(test)]
#[path = "alert_chart_tests.rs"]
mod tests;
