//! Line and dot charts: training curves, one [`Chart`] or several stacked as [`Charts`].

use super::{draw_err, Figure, FONT};
use anyhow::{bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// `(x, y)` points, drawn in order.
    pub points: Vec<(f64, f64)>,
    /// Line colour.
    pub color: RGBColor,
    /// Draw dots at the points instead of a line.
    pub markers: bool,
    /// Line width in pixels (2 unless set).
    pub width: u32,
    /// Line opacity, 0 to 1 (1 unless set); the legend shows the line opaque.
    pub opacity: f64,
}

impl Series {
    /// A line through `ys` at `x = 0, 1, 2, ...`.
    pub fn line(name: impl Into<String>, ys: &[f64], color: RGBColor) -> Series {
        Series {
            name: name.into(),
            points: ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
            color,
            markers: false,
            width: 2,
            opacity: 1.0,
        }
    }

    /// Dots at `ys`, `x = 0, 1, 2, ...`.
    pub fn dots(name: impl Into<String>, ys: &[f64], color: RGBColor) -> Series {
        Series {
            markers: true,
            ..Series::line(name, ys, color)
        }
    }

    /// A line through the running mean of `ys` over the last `window` values (fewer at the start):
    /// a noisy curve's trend.
    pub fn running_mean(
        name: impl Into<String>,
        ys: &[f64],
        window: usize,
        color: RGBColor,
    ) -> Series {
        let mean: Vec<f64> = (0..ys.len())
            .map(|k| {
                let w = &ys[(k + 1).saturating_sub(window.max(1))..=k];
                w.iter().sum::<f64>() / w.len() as f64
            })
            .collect();
        Series::line(name, &mean, color)
    }

    /// The same series with lines `width` pixels wide.
    pub fn width(self, width: u32) -> Series {
        Series { width, ..self }
    }

    /// The same series with lines of opacity `opacity` (0 to 1).
    pub fn opacity(self, opacity: f64) -> Series {
        Series { opacity, ..self }
    }

    /// The same series with x counted from `x0` instead of 0 (epochs from 1).
    pub fn from_x(mut self, x0: f64) -> Series {
        for p in &mut self.points {
            p.0 += x0;
        }
        self
    }
}

/// One chart: axes, title and any number of series.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Title above the chart.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// Logarithmic y axis (non-positive values are left out).
    pub log_y: bool,
    /// Fixed y range; computed from the data if `None`.
    pub y_range: Option<(f64, f64)>,
    /// Put the legend in the lower right corner instead of the upper right.
    pub legend_bottom: bool,
}

/// Several [`Chart`]s stacked top to bottom in one picture.
#[derive(Clone, Debug, Default)]
pub struct Charts(pub Vec<Chart>);

impl Figure for Charts {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(draw_err)?;
        if self.0.is_empty() {
            return Ok(());
        }
        let areas = root.split_evenly((self.0.len(), 1));
        for (chart, area) in self.0.iter().zip(&areas) {
            draw_chart(chart, area)?;
        }
        Ok(())
    }
}

impl Figure for Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(draw_err)?;
        draw_chart(self, root)
    }
}

fn finite_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

/// A tick label: no decimals for whole numbers when the axis is whole-numbered (steps).
fn tick(x: f64, integral: bool) -> String {
    if integral && x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        // at most 6 decimals, without trailing zeros (tick positions carry float noise)
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    }
}

fn draw_chart<DB: DrawingBackend>(chart: &Chart, area: &DrawingArea<DB, Shift>) -> Result<()> {
    let points = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|&(_, y)| !chart.log_y || y > 0.0)
    };
    let Some((x0, x1)) = finite_range(points().map(|p| p.0)) else {
        bail!("chart `{}` has no finite points", chart.title);
    };
    let (x0, x1) = if x0 == x1 {
        (x0 - 1.0, x1 + 1.0)
    } else {
        (x0, x1)
    };
    let (y0, y1) = match chart.y_range {
        Some(r) => r,
        None => {
            let (lo, hi) = finite_range(points().map(|p| p.1)).unwrap_or((0.0, 1.0));
            if chart.log_y {
                (lo / 1.5, hi * 1.5)
            } else {
                let pad = ((hi - lo) * 0.06).max(1e-9);
                (lo - pad, hi + pad)
            }
        }
    };
    let x_integral = chart
        .series
        .iter()
        .all(|s| s.points.iter().all(|p| p.0.fract() == 0.0));
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&chart.title, (FONT, 22))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64);
    let style = |s: &Series| ShapeStyle::from(&s.color.mix(s.opacity)).stroke_width(s.width);
    macro_rules! body {
        ($ctx:expr) => {{
            let mut ctx = $ctx;
            ctx.configure_mesh()
                .x_label_formatter(&|x: &f64| tick(*x, x_integral))
                .y_label_formatter(&|y: &f64| tick(*y, false))
                .x_desc(chart.x_label.as_str())
                .y_desc(chart.y_label.as_str())
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 15))
                .light_line_style(RGBColor(235, 235, 235))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(draw_err)?;
            for s in &chart.series {
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|&(x, y)| x.is_finite() && y.is_finite() && (!chart.log_y || y > 0.0))
                    .collect();
                let (color, width) = (s.color, s.width);
                if s.markers {
                    let ring = ShapeStyle::from(&color).stroke_width(1);
                    ctx.draw_series(pts.iter().map(|&p| Circle::new(p, 4, ring)))
                        .map_err(draw_err)?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, ring));
                } else {
                    ctx.draw_series(LineSeries::new(pts, style(s)))
                        .map_err(draw_err)?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 20, y)], color.stroke_width(width))
                        });
                }
            }
            ctx.configure_series_labels()
                .position(if chart.legend_bottom {
                    SeriesLabelPosition::LowerRight
                } else {
                    SeriesLabelPosition::UpperRight
                })
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .label_font((FONT, 14))
                .draw()
                .map_err(draw_err)?;
        }};
    }
    if chart.log_y {
        body!(builder
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(draw_err)?);
    } else {
        body!(builder
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_mean_averages_the_last_window_values() {
        let s = Series::running_mean("m", &[1.0, 3.0, 5.0, 7.0], 2, RGBColor(0, 0, 0));
        assert_eq!(s.points, [(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]);
        assert_eq!((s.width, s.opacity, s.markers), (2, 1.0, false));
        let s = s.width(3).opacity(0.5);
        assert_eq!((s.width, s.opacity), (3, 0.5));
        // epochs from 1
        let s = Series::line("e", &[4.0, 2.0], RGBColor(0, 0, 0)).from_x(1.0);
        assert_eq!(s.points, [(1.0, 4.0), (2.0, 2.0)]);
    }

    #[test]
    fn tick_labels() {
        assert_eq!(tick(20.0, true), "20");
        assert_eq!(tick(20.0, false), "20");
        assert_eq!(tick(0.30000000000000004, false), "0.3");
        assert_eq!(tick(0.01, false), "0.01");
        assert_eq!(tick(-0.0000001, false), "0");
        assert_eq!(tick(2.5, true), "2.5");
    }
}
