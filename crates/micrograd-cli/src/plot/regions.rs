//! Decision regions: a classifier's picture of the plane over 2-D data, with the data points.

use super::{class_color, draw_err, Figure, FONT};
use anyhow::{bail, Result};
use micrograd::data::Dataset;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

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
    use crate::plot::save;

    #[test]
    fn lerp_ends() {
        let a = RGBColor(0, 100, 200);
        let b = RGBColor(200, 100, 0);
        assert_eq!(lerp(a, b, 0.0), a);
        assert_eq!(lerp(a, b, 1.0), b);
        assert_eq!(lerp(a, b, 0.5), RGBColor(100, 100, 100));
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
