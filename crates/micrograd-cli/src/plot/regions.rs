//! Decision regions: what a classifier says about every point of the plane over 2-D data.
//!
//! One figure, [`Regions`], for every classifier. It asks the model for its outputs on a grid over
//! the data and reads them in one of two ways, by how many outputs the model has ([`Reading`]):
//! - **one output, a score** (`> 0` means class 1; micrograd's demo): the plane is shaded by the
//!   sign and size of the score, and the line `score = 0` is traced by marching squares over the
//!   scores at the grid's corners, like the contour plot of micrograd's demo notebook;
//! - **k ≥ 2 outputs, one per class**: every grid cell takes the class with the largest output at
//!   its centre, deeper where the softmax of the outputs is more confident, and the edges between
//!   cells of different classes are the borders.
//!
//! Either way the reading gives a [`Map`] (a class and a depth of colour per cell, and border
//! segments), and the rest is shared: the frame, the cells, the borders, the axes, the data points
//! (a thick black ring marks a misclassified point) and the legend.

use super::{class_color, draw_err, lerp, Figure, FONT};
use anyhow::{bail, Result};
use micrograd::data::Dataset;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A classifier's decision regions over 2-D data, with the data points coloured by class.
pub struct Regions<'a, F: Fn(&[f64]) -> Vec<f64>> {
    /// The data (2 features).
    pub data: &'a Dataset,
    /// The model's outputs at a point, as many at every point: one score (`> 0` means class 1) or
    /// one per class (the largest wins).
    pub outputs: F,
    /// Title above the picture.
    pub title: String,
    /// Grid cells per side for the shading.
    pub resolution: usize,
    /// Legend names of the classes, one per class, e.g. `["-1", "+1"]` or `["0", "1", "2"]`.
    pub class_names: Vec<String>,
}

/// How a model's outputs name a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    /// One output, a score: class 1 where it is `> 0`, class 0 elsewhere.
    Score,
    /// One output per class: the largest wins.
    Classes,
}

impl Reading {
    /// The reading of a model with `outputs` outputs.
    fn of(outputs: usize) -> Result<Reading> {
        match outputs {
            0 => bail!("a decision-boundary picture needs a model with outputs, it has none"),
            1 => Ok(Reading::Score),
            _ => Ok(Reading::Classes),
        }
    }

    /// The class the outputs pick.
    fn class(self, outputs: &[f64]) -> usize {
        match self {
            Reading::Score => usize::from(outputs[0] > 0.0),
            Reading::Classes => micrograd::train::argmax(outputs),
        }
    }

    /// The plane shown, `(x0, x1, y0, y1)`: the data's range plus 1 on every side for a score (as in
    /// the notebook), plus 15% of the range for classes.
    fn frame(self, data: &Dataset) -> (f64, f64, f64, f64) {
        let (ax, bx) = data.feature_range(0);
        let (ay, by) = data.feature_range(1);
        let (px, py) = match self {
            Reading::Score => (1.0, 1.0),
            Reading::Classes => (0.15 * (bx - ax).max(1e-9), 0.15 * (by - ay).max(1e-9)),
        };
        (ax - px, bx + px, ay - py, by + py)
    }

    /// The radius of the data points.
    fn dot_radius(self) -> i32 {
        match self {
            Reading::Score => 6,
            Reading::Classes => 5,
        }
    }
}

/// The shown plane cut into `n × n` cells.
#[derive(Clone, Copy, Debug)]
struct Plane {
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    n: usize,
}

impl Plane {
    fn new((x0, x1, y0, y1): (f64, f64, f64, f64), resolution: usize) -> Plane {
        let n = resolution.max(2);
        let (dx, dy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
        Plane { x0, y0, dx, dy, n }
    }

    /// The point `(u, v)` cells from the lower left corner (fractions allowed).
    fn at(&self, u: f64, v: f64) -> (f64, f64) {
        (self.x0 + u * self.dx, self.y0 + v * self.dy)
    }

    /// The cells, row by row from the bottom: `(i, j)` is column `i` of row `j`.
    fn cells(&self) -> impl Iterator<Item = (usize, usize)> {
        let n = self.n;
        (0..n).flat_map(move |j| (0..n).map(move |i| (i, j)))
    }

    /// `f` at the `(m + 1) × (m + 1)` points `(i + offset, j + offset)`, row by row from the bottom.
    fn sample<T>(&self, m: usize, offset: f64, f: impl Fn([f64; 2]) -> T) -> Vec<Vec<T>> {
        (0..m)
            .map(|j| {
                (0..m)
                    .map(|i| {
                        let (x, y) = self.at(i as f64 + offset, j as f64 + offset);
                        f([x, y])
                    })
                    .collect()
            })
            .collect()
    }
}

/// What a model says about the plane: per cell (row by row from the bottom) its class and how deep
/// to colour it (0 white, 1 the class colour), and the borders between classes as line segments.
struct Map {
    cells: Vec<(usize, f64)>,
    borders: Vec<[(f64, f64); 2]>,
}

/// A score's map: the scores at the cells' corners; a cell is the class of the mean of its corners,
/// pale where that mean is near 0 and deeper where the model is confident; the border is the line
/// `score = 0` by marching squares.
fn score_map(plane: &Plane, score: impl Fn([f64; 2]) -> f64) -> Map {
    let grid = plane.sample(plane.n + 1, 0.0, score);
    let cells = plane
        .cells()
        .map(|(i, j)| {
            let s = (grid[j][i] + grid[j][i + 1] + grid[j + 1][i] + grid[j + 1][i + 1]) / 4.0;
            (usize::from(s > 0.0), 0.18 + 0.30 * s.abs().tanh())
        })
        .collect();
    let mut borders = Vec::new();
    for (i, j) in plane.cells() {
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
                cross.push(plane.at(
                    ia as f64 + t * (ib as f64 - ia as f64),
                    ja as f64 + t * (jb as f64 - ja as f64),
                ));
            }
        }
        if cross.len() >= 2 {
            borders.push([cross[0], cross[1]]);
        }
        if cross.len() == 4 {
            borders.push([cross[2], cross[3]]);
        }
    }
    Map { cells, borders }
}

/// The winning class and its softmax probability.
fn class_and_confidence(outputs: &[f64]) -> (usize, f64) {
    let c = micrograd::train::argmax(outputs);
    let m = outputs[c];
    let z: f64 = outputs.iter().map(|&o| (o - m).exp()).sum();
    (c, 1.0 / z)
}

/// A k-class map: a cell is the class with the largest output at its centre, deeper the further its
/// softmax probability is above a uniform `1/k`; the borders are the edges between cells of
/// different classes.
fn class_map(plane: &Plane, outputs: impl Fn([f64; 2]) -> Vec<f64>) -> Map {
    let grid = plane.sample(plane.n, 0.5, |p| {
        let out = outputs(p);
        let (class, conf) = class_and_confidence(&out);
        let k = out.len().max(2) as f64;
        let t = ((conf - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 1.0);
        (class, 0.2 + 0.35 * t)
    });
    let cells = plane.cells().map(|(i, j)| grid[j][i]).collect();
    let mut borders = Vec::new();
    for (i, j) in plane.cells() {
        let here = grid[j][i].0;
        if i + 1 < plane.n && grid[j][i + 1].0 != here {
            let x = plane.at((i + 1) as f64, 0.0).0;
            borders.push([
                (x, plane.at(0.0, j as f64).1),
                (x, plane.at(0.0, (j + 1) as f64).1),
            ]);
        }
        if j + 1 < plane.n && grid[j + 1][i].0 != here {
            let y = plane.at(0.0, (j + 1) as f64).1;
            borders.push([
                (plane.at(i as f64, 0.0).0, y),
                (plane.at((i + 1) as f64, 0.0).0, y),
            ]);
        }
    }
    Map { cells, borders }
}

impl<F: Fn(&[f64]) -> Vec<f64>> Regions<'_, F> {
    /// Checks the data is 2-D with a name per class (and 2 classes for a score), and returns how the
    /// model's outputs are read (it is asked once, at the corner of the data's range).
    fn reading(&self) -> Result<Reading> {
        if self.data.n_features() != 2 {
            bail!(
                "a decision-boundary picture needs 2 features, the data has {}",
                self.data.n_features()
            );
        }
        let corner = [self.data.feature_range(0).0, self.data.feature_range(1).0];
        let reading = Reading::of((self.outputs)(&corner).len())?;
        if reading == Reading::Score && self.data.n_classes() != 2 {
            bail!(
                "a decision-boundary picture needs 2 classes, the data has {}",
                self.data.n_classes()
            );
        }
        if self.class_names.len() < self.data.n_classes() {
            bail!(
                "{} class names for {} classes",
                self.class_names.len(),
                self.data.n_classes()
            );
        }
        Ok(reading)
    }
}

impl<F: Fn(&[f64]) -> Vec<f64>> Figure for Regions<'_, F> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let reading = self.reading()?;
        root.fill(&WHITE).map_err(draw_err)?;
        let frame @ (x0, x1, y0, y1) = reading.frame(self.data);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 22))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        let plane = Plane::new(frame, self.resolution);
        let map = match reading {
            Reading::Score => score_map(&plane, |p| (self.outputs)(&p)[0]),
            Reading::Classes => class_map(&plane, |p| (self.outputs)(&p)),
        };
        chart
            .draw_series(
                plane
                    .cells()
                    .zip(&map.cells)
                    .map(|((i, j), &(class, depth))| {
                        let (cx, cy) = plane.at(i as f64, j as f64);
                        let color = lerp(WHITE, class_color(class), depth);
                        Rectangle::new([(cx, cy), (cx + plane.dx, cy + plane.dy)], color.filled())
                    }),
            )
            .map_err(draw_err)?;
        let edge = RGBColor(60, 60, 60);
        chart
            .draw_series(
                map.borders
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
        draw_points(
            &mut chart,
            self.data,
            &self.class_names,
            reading.dot_radius(),
            |x, class| reading.class(&(self.outputs)(x)) != class,
        )
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

    /// The cells' colours, row by row from the bottom, as [`Regions`] paints them.
    fn colours(map: &Map) -> Vec<RGBColor> {
        map.cells
            .iter()
            .map(|&(class, depth)| lerp(WHITE, class_color(class), depth))
            .collect()
    }

    #[test]
    fn one_output_is_a_score_and_more_are_classes() {
        assert!(Reading::of(0).is_err());
        assert_eq!(Reading::of(1).unwrap(), Reading::Score);
        assert_eq!(Reading::of(3).unwrap(), Reading::Classes);
        assert_eq!(Reading::Score.class(&[0.0]), 0);
        assert_eq!(Reading::Score.class(&[1e-9]), 1);
        assert_eq!(Reading::Classes.class(&[0.0, 2.0, 2.0]), 1);
        assert_eq!(
            (Reading::Score.dot_radius(), Reading::Classes.dot_radius()),
            (6, 5)
        );
        let data = Dataset::new(vec![vec![0.0, 0.0], vec![2.0, 10.0]], vec![0, 1], 2).unwrap();
        assert_eq!(Reading::Score.frame(&data), (-1.0, 3.0, -1.0, 11.0));
        assert_eq!(Reading::Classes.frame(&data), (-0.3, 2.3, -1.5, 11.5));
    }

    // The colours below are those the two figures this one replaces (`DecisionBoundary` for a score,
    // `ClassRegions` for k outputs) painted for these models.

    #[test]
    fn a_score_colours_the_cells_by_the_mean_of_their_corners() {
        // score x - y on [0, 3]^2 in 3 x 3 cells: a cell's corner mean is i - j
        let plane = Plane::new((0.0, 3.0, 0.0, 3.0), 3);
        let map = score_map(&plane, |p| p[0] - p[1]);
        let classes: Vec<usize> = map.cells.iter().map(|c| c.0).collect();
        assert_eq!(classes, [0, 1, 1, 0, 0, 1, 0, 0, 0]);
        let c = colours(&map);
        // on the diagonal (score 0): class 0, palest
        assert_eq!(c[0], RGBColor(247, 220, 223));
        assert_eq!((c[4], c[8]), (c[0], c[0]));
        // score 1 and 2: class 1, deeper with the score
        assert_eq!(c[1], RGBColor(171, 206, 228));
        assert_eq!(c[2], RGBColor(159, 199, 224));
        // score -1: class 0
        assert_eq!(c[3], RGBColor(238, 176, 183));
        // the border is the line x = y
        assert!(!map.borders.is_empty());
        for s in &map.borders {
            for (x, y) in s {
                assert!((x - y).abs() < 1e-12, "{s:?}");
            }
        }
    }

    #[test]
    fn k_outputs_colour_a_cell_by_the_largest_at_its_centre() {
        assert_eq!(class_and_confidence(&[0.0, 0.0]), (0, 0.5));
        let (c, p) = class_and_confidence(&[1.0, 3.0, 1.0]);
        assert_eq!(c, 1);
        assert!((p - 1.0 / (1.0 + 2.0 * (-2.0f64).exp())).abs() < 1e-15);
        // outputs (0, x, y) on [0, 2]^2 in 2 x 2 cells; a tie goes to the first class
        let plane = Plane::new((0.0, 2.0, 0.0, 2.0), 2);
        let map = class_map(&plane, |p| vec![0.0, p[0], p[1]]);
        let classes: Vec<usize> = map.cells.iter().map(|c| c.0).collect();
        assert_eq!(classes, [1, 1, 2, 1]);
        let c = colours(&map);
        // (0, 0.5, 0.5): softmax 0.384, just above a uniform 1/3
        assert_eq!(c[0], RGBColor(209, 228, 240));
        assert_eq!(c[3], RGBColor(201, 224, 238));
        assert_eq!(c[2], RGBColor(201, 233, 223));
        assert_eq!(
            map.borders,
            [[(0.0, 1.0), (1.0, 1.0)], [(1.0, 1.0), (1.0, 2.0)]]
        );
    }

    #[test]
    fn regions_draw_k_colours() {
        let dir = tempfile::tempdir().unwrap();
        let data = micrograd::data::blobs(30, 3, 0.2, 1);
        // the nearest of the three blob centres wins
        let fig = Regions {
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
        // a score needs 2-class data
        let score = Regions {
            data: &data,
            outputs: |_: &[f64]| vec![1.0],
            title: String::new(),
            resolution: 4,
            class_names: vec!["0".into(), "1".into(), "2".into()],
        };
        let err = save(&dir.path().join("s.png"), (100, 100), &score).unwrap_err();
        assert!(format!("{err:#}").contains("needs 2 classes"), "{err:#}");
    }
}
