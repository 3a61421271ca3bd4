//! Pictures: a classifier's decision boundary with the data points (like the contour plot of
//! micrograd's demo notebook), and line charts of training curves.
//!
//! Every figure is written atomically: to a temporary file in the target folder, renamed into place
//! only when complete. The file name's extension picks the format: `.svg` gives SVG, anything else PNG.
//! Text uses DejaVu Sans embedded in the binary, so no system fonts are needed.

use crate::output::write_atomic_path;
use anyhow::{anyhow, bail, Result};
use micrograd::data::Dataset;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::fmt::Display;
use std::path::Path;
use std::sync::Once;

const FONT: &str = "sans-serif";

/// Class colours (ColorBrewer "Spectral"-like, as in the notebook): class 0 red, class 1 blue, then
/// more for multi-class data.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(213, 62, 79),
    RGBColor(50, 136, 189),
    RGBColor(102, 194, 165),
    RGBColor(253, 174, 97),
    RGBColor(94, 79, 162),
    RGBColor(230, 245, 152),
    RGBColor(158, 1, 66),
    RGBColor(171, 221, 164),
];

/// A neutral colour for reference data.
pub const GRAY: RGBColor = RGBColor(80, 80, 80);

/// The colour of class `c`.
pub fn class_color(c: usize) -> RGBColor {
    PALETTE[c % PALETTE.len()]
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/DejaVuSans.ttf");
        // The font is a fixed, known-good file; failing to parse it would be a build defect.
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FONT, style, bytes)
                .unwrap_or_else(|_| panic!("the embedded DejaVuSans.ttf does not parse"));
        }
    });
}

fn draw_err(e: impl Display) -> anyhow::Error {
    anyhow!("drawing failed: {e}")
}

/// Something that can draw itself on any plotters backend.
pub trait Figure {
    /// Draws the figure filling `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Whether a picture file name asks for SVG (`true`) or PNG (`false`).
///
/// # Errors
/// If the name ends in neither `.png` nor `.svg` (any case).
pub fn is_svg(path: &Path) -> Result<bool> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => Ok(true),
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(false),
        _ => bail!(
            "{}: a picture's name must end in .png or .svg",
            path.display()
        ),
    }
}

/// Renders `figure` at `size` pixels into `path` (`.svg` or `.png`), atomically.
/// The file gets ordinary permissions (0644 on Unix).
pub fn save(path: &Path, size: (u32, u32), figure: &impl Figure) -> Result<()> {
    let svg = is_svg(path)?;
    register_font();
    if svg {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            figure.draw(&root)?;
            root.present().map_err(draw_err)?;
        }
        return write_atomic_path(path, ".svg", |tmp| {
            std::fs::write(tmp, svg.as_bytes()).map_err(Into::into)
        });
    }
    write_atomic_path(path, ".png", |tmp| {
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(draw_err)
    })
}

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
}

impl Series {
    /// A line through `ys` at `x = 0, 1, 2, ...`.
    pub fn line(name: impl Into<String>, ys: &[f64], color: RGBColor) -> Series {
        Series {
            name: name.into(),
            points: ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
            color,
            markers: false,
        }
    }

    /// The same series with x counted from `x0` instead of 0 (epochs from 1).
    pub fn from_x(mut self, x0: f64) -> Series {
        for p in &mut self.points {
            p.0 += x0;
        }
        self
    }

    /// Dots at `ys`, `x = 0, 1, 2, ...`.
    pub fn dots(name: impl Into<String>, ys: &[f64], color: RGBColor) -> Series {
        Series {
            markers: true,
            ..Series::line(name, ys, color)
        }
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
    let style = |s: &Series| ShapeStyle::from(&s.color).stroke_width(2);
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
                let color = s.color;
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
                            PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
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

/// A binary classifier's decision boundary over 2-D data: the plane shaded by the sign and size of
/// the score, the line `score = 0`, and the data points coloured by class.
pub struct DecisionBoundary<'a, F: Fn(&[f64]) -> f64> {
    /// The data (2 features).
    pub data: &'a Dataset,
    /// The classifier's score; `> 0` means class 1.
    pub score: F,
    /// Title above the picture.
    pub title: String,
    /// Grid cells per side for the shading.
    pub resolution: usize,
    /// Legend names of class 0 and class 1, e.g. `["-1", "+1"]` or `["0", "1"]`.
    pub class_names: [String; 2],
}

fn lerp(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let m = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

impl<F: Fn(&[f64]) -> f64> DecisionBoundary<'_, F> {
    /// Checks the data is 2-D and 2-class.
    pub fn check(&self) -> Result<()> {
        if self.data.n_features() != 2 {
            bail!(
                "a decision-boundary picture needs 2 features, the data has {}",
                self.data.n_features()
            );
        }
        if self.data.n_classes() != 2 {
            bail!(
                "a decision-boundary picture needs 2 classes, the data has {}",
                self.data.n_classes()
            );
        }
        Ok(())
    }
}

impl<F: Fn(&[f64]) -> f64> Figure for DecisionBoundary<'_, F> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        self.check()?;
        root.fill(&WHITE).map_err(draw_err)?;
        // Like the notebook: the data's range plus 1 on every side.
        let (ax, bx) = self.data.feature_range(0);
        let (ay, by) = self.data.feature_range(1);
        let (x0, x1, y0, y1) = (ax - 1.0, bx + 1.0, ay - 1.0, by + 1.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 22))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;

        // Scores at the grid's corners.
        let n = self.resolution.max(2);
        let (dx, dy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
        let grid: Vec<Vec<f64>> = (0..=n)
            .map(|j| {
                (0..=n)
                    .map(|i| (self.score)(&[x0 + i as f64 * dx, y0 + j as f64 * dy]))
                    .collect()
            })
            .collect();
        let cell = |i: usize, j: usize| {
            let s = (grid[j][i] + grid[j][i + 1] + grid[j + 1][i] + grid[j + 1][i + 1]) / 4.0;
            let base = class_color(usize::from(s > 0.0));
            // Pale far from any data-free ambiguity, deeper where the model is confident.
            lerp(WHITE, base, 0.18 + 0.30 * s.abs().tanh())
        };
        chart
            .draw_series(
                (0..n)
                    .flat_map(|j| (0..n).map(move |i| (i, j)))
                    .map(|(i, j)| {
                        let (cx, cy) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                        Rectangle::new([(cx, cy), (cx + dx, cy + dy)], cell(i, j).filled())
                    }),
            )
            .map_err(draw_err)?;

        // The boundary score = 0, by marching squares.
        let mut segments = Vec::new();
        for j in 0..n {
            for i in 0..n {
                let corners = [
                    (i, j, grid[j][i]),
                    (i + 1, j, grid[j][i + 1]),
                    (i + 1, j + 1, grid[j + 1][i + 1]),
                    (i, j + 1, grid[j + 1][i]),
                ];
                let mut cross = Vec::with_capacity(4);
                for k in 0..4 {
                    let (ia, ja, sa) = corners[k];
                    let (ib, jb, sb) = corners[(k + 1) % 4];
                    if (sa > 0.0) != (sb > 0.0) {
                        let t = sa / (sa - sb);
                        let px = x0 + (ia as f64 + t * (ib as f64 - ia as f64)) * dx;
                        let py = y0 + (ja as f64 + t * (jb as f64 - ja as f64)) * dy;
                        cross.push((px, py));
                    }
                }
                if cross.len() >= 2 {
                    segments.push([cross[0], cross[1]]);
                }
                if cross.len() == 4 {
                    segments.push([cross[2], cross[3]]);
                }
            }
        }
        let edge = RGBColor(60, 60, 60);
        chart
            .draw_series(
                segments
                    .into_iter()
                    .map(|s| PathElement::new(s.to_vec(), edge.stroke_width(2))),
            )
            .map_err(draw_err)?;

        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x0")
            .y_desc("x1")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(draw_err)?;

        // a point is misclassified when the sign of its score disagrees with its class
        draw_points(&mut chart, self.data, &self.class_names, 6, |x, class| {
            ((self.score)(x) > 0.0) != (class == 1)
        })
    }
}

/// Draws the data points, filled by class with a dark ring (a thick black ring where `wrong(x,
/// class)`), and the legend of the classes.
fn draw_points<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    data: &Dataset,
    class_names: &[String],
    radius: i32,
    wrong: impl Fn(&[f64], usize) -> bool,
) -> Result<()> {
    for (class, name) in class_names.iter().enumerate().take(data.n_classes()) {
        let color = class_color(class);
        let pts: Vec<(f64, f64, bool)> = data
            .iter()
            .filter(|&(_, l)| l == class)
            .map(|(x, _)| (x[0], x[1], wrong(x, class)))
            .collect();
        chart
            .draw_series(pts.iter().map(|&(x, y, wrong)| {
                EmptyElement::at((x, y))
                    + Circle::new((0, 0), radius, color.filled())
                    + Circle::new(
                        (0, 0),
                        radius,
                        ShapeStyle::from(&BLACK).stroke_width(if wrong { 3 } else { 1 }),
                    )
            }))
            .map_err(draw_err)?
            .label(format!("class {name}"))
            .legend(move |(x, y)| Circle::new((x + 8, y), 6, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, 14))
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

/// A k-class classifier's decision regions over 2-D data: every point of the plane coloured by the
/// class with the largest output (deeper where the softmax of the outputs is more confident), the
/// borders between regions drawn dark, and the data points coloured by class (a thick black ring
/// marks a misclassified point). Works for any number of classes `k >= 2`; the model has `k` outputs.
pub struct ClassRegions<'a, F: Fn(&[f64]) -> Vec<f64>> {
    /// The data (2 features).
    pub data: &'a Dataset,
    /// The classifier's outputs (one per class; the largest wins).
    pub outputs: F,
    /// Title above the picture.
    pub title: String,
    /// Grid cells per side for the shading.
    pub resolution: usize,
    /// Legend names of the classes, one per class.
    pub class_names: Vec<String>,
}

/// The winning class and its softmax probability.
fn class_and_confidence(outputs: &[f64]) -> (usize, f64) {
    let c = micrograd::train::argmax(outputs);
    let m = outputs[c];
    let z: f64 = outputs.iter().map(|&o| (o - m).exp()).sum();
    (c, 1.0 / z)
}

impl<F: Fn(&[f64]) -> Vec<f64>> ClassRegions<'_, F> {
    /// Checks the data is 2-D and has a name per class.
    pub fn check(&self) -> Result<()> {
        if self.data.n_features() != 2 {
            bail!(
                "a decision-boundary picture needs 2 features, the data has {}",
                self.data.n_features()
            );
        }
        if self.class_names.len() < self.data.n_classes() {
            bail!(
                "{} class names for {} classes",
                self.class_names.len(),
                self.data.n_classes()
            );
        }
        Ok(())
    }
}

impl<F: Fn(&[f64]) -> Vec<f64>> Figure for ClassRegions<'_, F> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        self.check()?;
        root.fill(&WHITE).map_err(draw_err)?;
        let (ax, bx) = self.data.feature_range(0);
        let (ay, by) = self.data.feature_range(1);
        let (px, py) = (0.15 * (bx - ax).max(1e-9), 0.15 * (by - ay).max(1e-9));
        let (x0, x1, y0, y1) = (ax - px, bx + px, ay - py, by + py);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 22))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        let k = self.class_names.len().max(2) as f64;
        let n = self.resolution.max(2);
        let (dx, dy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
        // class and confidence at every cell's centre
        let grid: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|j| {
                (0..n)
                    .map(|i| {
                        let c = [x0 + (i as f64 + 0.5) * dx, y0 + (j as f64 + 0.5) * dy];
                        class_and_confidence(&(self.outputs)(&c))
                    })
                    .collect()
            })
            .collect();
        chart
            .draw_series(
                (0..n)
                    .flat_map(|j| (0..n).map(move |i| (i, j)))
                    .map(|(i, j)| {
                        let (class, conf) = grid[j][i];
                        let t = ((conf - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 1.0);
                        let color = lerp(WHITE, class_color(class), 0.2 + 0.35 * t);
                        let (cx, cy) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                        Rectangle::new([(cx, cy), (cx + dx, cy + dy)], color.filled())
                    }),
            )
            .map_err(draw_err)?;
        // borders: the shared edge of neighbouring cells of different classes
        let mut segments = Vec::new();
        for j in 0..n {
            for i in 0..n {
                let here = grid[j][i].0;
                if i + 1 < n && grid[j][i + 1].0 != here {
                    let x = x0 + (i + 1) as f64 * dx;
                    segments.push([(x, y0 + j as f64 * dy), (x, y0 + (j + 1) as f64 * dy)]);
                }
                if j + 1 < n && grid[j + 1][i].0 != here {
                    let y = y0 + (j + 1) as f64 * dy;
                    segments.push([(x0 + i as f64 * dx, y), (x0 + (i + 1) as f64 * dx, y)]);
                }
            }
        }
        let edge = RGBColor(60, 60, 60);
        chart
            .draw_series(
                segments
                    .into_iter()
                    .map(|s| PathElement::new(s.to_vec(), edge.stroke_width(2))),
            )
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x0")
            .y_desc("x1")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(draw_err)?;
        draw_points(&mut chart, self.data, &self.class_names, 5, |x, class| {
            micrograd::train::argmax(&(self.outputs)(x)) != class
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerp_ends() {
        let a = RGBColor(0, 100, 200);
        let b = RGBColor(200, 100, 0);
        assert_eq!(lerp(a, b, 0.0), a);
        assert_eq!(lerp(a, b, 1.0), b);
        assert_eq!(lerp(a, b, 0.5), RGBColor(100, 100, 100));
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

    #[test]
    fn pictures_are_written_atomically_and_decode() {
        let dir = tempfile::tempdir().unwrap();
        let data = micrograd::data::moons(40, 0.1, 3);
        let fig = DecisionBoundary {
            data: &data,
            score: |x: &[f64]| x[1] - 0.25,
            title: "test".into(),
            resolution: 20,
            class_names: ["-1".into(), "+1".into()],
        };
        let png = dir.path().join("b.png");
        save(&png, (300, 260), &fig).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let svg = dir.path().join("c.svg");
        let chart = Chart {
            title: "loss".into(),
            series: vec![Series::line("a", &[3.0, 2.0, 1.0], PALETTE[0])],
            log_y: true,
            ..Chart::default()
        };
        save(&svg, (300, 200), &chart).unwrap();
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
        let err = save(&dir.path().join("c.jpg"), (300, 200), &chart).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("c.jpg: a picture's name must end in .png or .svg"));
        // only the two pictures: no temporary files left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        // a 3-feature data set is refused with a clear error, and nothing is written
        let d3 =
            micrograd::data::Dataset::new(vec![vec![0.0, 1.0, 2.0]; 2], vec![0, 1], 2).unwrap();
        let bad = DecisionBoundary {
            data: &d3,
            score: |_: &[f64]| 0.0,
            title: String::new(),
            resolution: 4,
            class_names: ["0".into(), "1".into()],
        };
        let err = save(&dir.path().join("d.png"), (100, 100), &bad).unwrap_err();
        assert!(format!("{err:#}").contains("2 features"), "{err:#}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn class_regions_pick_the_largest_output_and_draw_k_colours() {
        assert_eq!(class_and_confidence(&[0.0, 0.0]), (0, 0.5));
        let (c, p) = class_and_confidence(&[1.0, 3.0, 1.0]);
        assert_eq!(c, 1);
        assert!((p - 1.0 / (1.0 + 2.0 * (-2.0f64).exp())).abs() < 1e-15);
        let dir = tempfile::tempdir().unwrap();
        let data = micrograd::data::blobs(30, 3, 0.2, 1);
        // the nearest of the three blob centres wins
        let fig = ClassRegions {
            data: &data,
            outputs: |x: &[f64]| {
                (0..3)
                    .map(|c| {
                        let a = 2.0 * std::f64::consts::PI * c as f64 / 3.0;
                        -((x[0] - 2.0 * a.cos()).powi(2) + (x[1] - 2.0 * a.sin()).powi(2))
                    })
                    .collect()
            },
            title: "three".into(),
            resolution: 40,
            class_names: vec!["0".into(), "1".into(), "2".into()],
        };
        let png = dir.path().join("k.png");
        save(&png, (300, 260), &fig).unwrap();
        assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
    }
}
