//! The PNG chart mailed with an alert: the monitored signal over time, its limit, and the
//! evaluations that crossed it, drawn with plotters and the embedded DejaVu font (no system
//! fonts needed).

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// A series to draw: (x, value) points and an optional horizontal limit.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSeries {
    pub title: String,
    pub y_label: String,
    pub points: Vec<(f64, f64)>,
    pub limit: Option<f64>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

impl ChartError {
    pub(crate) fn new(message: String) -> Self {
        Self(message)
    }
}

static FONT: Once = Once::new();

pub(crate) fn register_fonts() {
    FONT.call_once(|| {
        // Registration only fails for unparsable font bytes; the embedded font parses.
        let _ = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Draw `series` as an 800x400 PNG and return its bytes.
pub fn render_png(series: &SignalSeries) -> Result<Vec<u8>, ChartError> {
    register_fonts();
    let (w, h) = (800u32, 400u32);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(series, &mut rgb, (w, h)).map_err(|e| ChartError(e.to_string()))?;
    encode_png(&rgb, w, h)
}

fn bounds(series: &SignalSeries) -> ((f64, f64), (f64, f64)) {
    let xs = series.points.iter().map(|p| p.0);
    let ys = series.points.iter().map(|p| p.1).chain(series.limit);
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let pad = ((y1 - y0).abs() * 0.1).max(1e-3);
    let (x0, x1) = if x0.is_finite() {
        (x0, x1.max(x0 + 1.0))
    } else {
        (0.0, 1.0)
    };
    let (y0, y1) = if y0.is_finite() {
        (y0 - pad, y1 + pad)
    } else {
        (0.0, 1.0)
    };
    ((x0, x1), (y0, y1))
}

fn draw<'a>(
    series: &SignalSeries,
    rgb: &'a mut [u8],
    size: (u32, u32),
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let root = BitMapBackend::with_buffer(rgb, size).into_drawing_area();
    root.fill(&WHITE)?;
    let ((x0, x1), (y0, y1)) = bounds(series);
    let mut chart = ChartBuilder::on(&root)
        .caption(&series.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("evaluation")
        .y_desc(&series.y_label)
        .draw()?;
    chart.draw_series(LineSeries::new(series.points.iter().copied(), &BLUE))?;
    let crossing = |y: f64| series.limit.is_some_and(|l| y < l);
    chart.draw_series(series.points.iter().map(|&(x, y)| {
        let color = if crossing(y) { RED } else { BLUE };
        Circle::new((x, y), 4, color.filled())
    }))?;
    if let Some(limit) = series.limit {
        chart.draw_series(LineSeries::new(
            [(x0, limit), (x1, limit)],
            RED.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}

pub(crate) fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| ChartError(e.to_string()))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| ChartError(e.to_string()))?;
    writer.finish().map_err(|e| ChartError(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_decodable_png_with_the_limit_line_in_red() {
        let series = SignalSeries {
            title: "Mean Dice, liver, site-a".into(),
            y_label: "Dice".into(),
            points: (0..20)
                .map(|i| (f64::from(i), 0.93 - f64::from(i) * 0.003))
                .collect(),
            limit: Some(0.9),
        };
        let bytes = render_png(&series).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (800, 400));
        let red = buf
            .chunks(3)
            .filter(|p| p[0] > 200 && p[1] < 60 && p[2] < 60)
            .count();
        let blue = buf
            .chunks(3)
            .filter(|p| p[2] > 200 && p[0] < 60 && p[1] < 60)
            .count();
        assert!(red > 500 && blue > 500, "red {red} blue {blue}");
    }
}
