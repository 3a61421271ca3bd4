//! The data set in the page's square: the points (`micrograd::data`'s generators, scaled into
//! `[-DOMAIN, DOMAIN]²`) and the input features computed from a point.

use super::config::Config;
use micrograd::data::Shape;
use serde::Serialize;

/// The page's square is `[-DOMAIN, DOMAIN]²` in the model's input units.
pub const DOMAIN: f64 = 2.0;

/// The input features, in the page's order, with their names in the URL and on the page.
pub const FEATURES: [(&str, &str); 7] = [
    ("x", "x"),
    ("y", "y"),
    ("x2", "x²"),
    ("y2", "y²"),
    ("xy", "xy"),
    ("sinx", "sin x"),
    ("siny", "sin y"),
];

/// A point of the data set, in the page's square, with its class (0 or 1).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub label: usize,
}

/// The data set: points and their classes, the first `train` for training, the rest for testing.
pub(super) fn make_points(cfg: &Config) -> Result<Vec<Point>, String> {
    let n = cfg.points;
    let seed = cfg.seed;
    let spread = 0.25 + 2.0 * cfg.noise;
    let (data, map): (_, fn(&[f64], usize) -> Point) = match cfg.data()? {
        Shape::Moons => (Shape::Moons.generate(n, 2, cfg.noise, seed), |r, c| {
            point(r[0] - 0.5, r[1] - 0.25, 1.6 / 1.5, c)
        }),
        Shape::Blobs => (Shape::Blobs.generate(n, 2, spread, seed), |r, c| {
            point(r[0], r[1], 0.6, c)
        }),
        // circles, spirals and xor lie in [-1, 1]²
        shape => (shape.generate(n, 2, cfg.noise, seed), |r, c| {
            point(r[0], r[1], 1.6, c)
        }),
    };
    let data = data.map_err(|e| e.to_string())?;
    Ok(data.iter().map(|(r, c)| map(r, c)).collect())
}

fn point(x: f64, y: f64, scale: f64, label: usize) -> Point {
    Point {
        x: x * scale,
        y: y * scale,
        label,
    }
}

/// The feature vector of a point.
pub(super) fn features_of(names: &[usize], x: f64, y: f64) -> Vec<f64> {
    names
        .iter()
        .map(|&k| match k {
            0 => x,
            1 => y,
            2 => x * x,
            3 => y * y,
            4 => x * y,
            5 => x.sin(),
            _ => y.sin(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points_of(dataset: &str, noise: f64) -> Vec<Point> {
        make_points(&Config {
            dataset: dataset.into(),
            noise,
            ..Config::default()
        })
        .unwrap()
    }

    #[test]
    fn xor_is_the_quadrants_in_the_square() {
        let points = points_of("xor", 0.0);
        assert_eq!(points.len(), Config::default().points);
        for p in &points {
            assert_eq!(p.label, usize::from(p.x * p.y > 0.0), "{p:?}");
            assert!(p.x.abs() <= 1.6 && p.y.abs() <= 1.6, "{p:?}");
        }
        let ones = points.iter().filter(|p| p.label == 1).count();
        assert_eq!(ones, points.len() / 2);
    }

    #[test]
    fn every_data_set_has_both_classes_inside_the_square() {
        for dataset in ["moons", "circles", "spirals", "blobs", "xor"] {
            let points = points_of(dataset, 0.1);
            assert!(points.iter().any(|p| p.label == 0) && points.iter().any(|p| p.label == 1));
            assert!(
                points
                    .iter()
                    .all(|p| p.x.abs() < DOMAIN && p.y.abs() < DOMAIN),
                "{dataset}"
            );
        }
    }

    #[test]
    fn features_are_computed_in_the_order_asked() {
        let (x, y) = (0.5, -2.0);
        assert_eq!(
            features_of(&[4, 0, 3, 5], x, y),
            vec![x * y, x, y * y, x.sin()]
        );
        assert_eq!(FEATURES.iter().position(|f| f.0 == "xy"), Some(4));
    }
}
