//! The seeded generators of the classic 2-D toy problems: [`moons`], [`circles`], [`blobs`],
//! [`spirals`] and [`xor`].

use super::Dataset;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;

/// A standard normal sample (Box–Muller), so the library needs no distribution crate.
fn normal(rng: &mut impl Rng) -> f64 {
    crate::nn::standard_normal(rng)
}

/// How many of `n` points class `c` of `k` gets: `n / k`, plus one for the first `n % k` classes.
fn class_size(n: usize, k: usize, c: usize) -> usize {
    n / k + usize::from(c < n % k)
}

/// `t`-th of `m` evenly spaced points in `[lo, hi]` (both ends included; the midpoint if `m == 1`).
fn linspace(lo: f64, hi: f64, m: usize, t: usize) -> f64 {
    if m <= 1 {
        (lo + hi) / 2.0
    } else {
        lo + (hi - lo) * t as f64 / (m - 1) as f64
    }
}

/// The largest noise [`Shape::generate`](super::Shape::generate) accepts: beyond it a coordinate could overflow to infinity.
pub const MAX_NOISE: f64 = 1e300;

fn finish(mut rows: Vec<(Vec<f64>, usize)>, classes: usize, rng: &mut StdRng) -> Dataset {
    rows.shuffle(rng);
    let (features, labels) = rows.into_iter().unzip();
    Dataset::new(features, labels, classes).expect("generated data is well-formed")
}

/// scikit-learn's `make_moons`: class 0 is the upper half circle `(cos t, sin t)`, class 1 the lower
/// one `(1 - cos t, 0.5 - sin t)`, `t` evenly spaced in `[0, π]`; `n / 2` points each (class 1 gets the
/// odd one), plus `N(0, noise²)` on each coordinate, shuffled.
///
/// The numbers differ from scikit-learn's (another random generator); the shape is the same.
/// [`Shape::generate`](super::Shape::generate) checks its arguments instead of panicking.
///
/// # Panics
/// If `n < 2`.
pub fn moons(n: usize, noise: f64, seed: u64) -> Dataset {
    assert!(n >= 2, "micrograd: moons needs at least 2 points");
    let mut rng = StdRng::seed_from_u64(seed);
    let n_out = n / 2;
    let n_in = n - n_out;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n_out {
        let t = linspace(0.0, PI, n_out, i);
        rows.push((vec![t.cos(), t.sin()], 0));
    }
    for i in 0..n_in {
        let t = linspace(0.0, PI, n_in, i);
        rows.push((vec![1.0 - t.cos(), 0.5 - t.sin()], 1));
    }
    for (x, _) in &mut rows {
        for v in x.iter_mut() {
            *v += noise * normal(&mut rng);
        }
    }
    finish(rows, 2, &mut rng)
}

/// `classes` concentric rings: class `c` lies on the circle of radius `(c + 1) / classes` (for 2 classes:
/// radii 0.5 and 1), at evenly spaced angles, plus `N(0, noise²)` on each coordinate, shuffled.
///
/// # Panics
/// If `classes < 1` or `n < classes`.
pub fn circles(n: usize, classes: usize, noise: f64, seed: u64) -> Dataset {
    assert!(
        classes >= 1 && n >= classes,
        "micrograd: circles needs n >= classes >= 1"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::with_capacity(n);
    for c in 0..classes {
        let m = class_size(n, classes, c);
        let r = (c + 1) as f64 / classes as f64;
        for i in 0..m {
            let t = 2.0 * PI * i as f64 / m as f64;
            rows.push((
                vec![
                    r * t.cos() + noise * normal(&mut rng),
                    r * t.sin() + noise * normal(&mut rng),
                ],
                c,
            ));
        }
    }
    finish(rows, classes, &mut rng)
}

/// `classes` round Gaussian blobs of standard deviation `noise`, centred evenly on the circle of radius
/// 2 (class `c` at angle `2πc / classes`), shuffled.
///
/// # Panics
/// If `classes < 1` or `n < classes`.
pub fn blobs(n: usize, classes: usize, noise: f64, seed: u64) -> Dataset {
    assert!(
        classes >= 1 && n >= classes,
        "micrograd: blobs needs n >= classes >= 1"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::with_capacity(n);
    for c in 0..classes {
        let a = 2.0 * PI * c as f64 / classes as f64;
        let (cx, cy) = (2.0 * a.cos(), 2.0 * a.sin());
        for _ in 0..class_size(n, classes, c) {
            rows.push((
                vec![cx + noise * normal(&mut rng), cy + noise * normal(&mut rng)],
                c,
            ));
        }
    }
    finish(rows, classes, &mut rng)
}

/// `classes` interleaved spiral arms (the CS231n spiral): arm `c` runs from the origin out to radius 1,
/// its angle growing by 4 radians along the way from `2πc / classes`, plus `N(0, noise²)` on each
/// coordinate, shuffled.
///
/// # Panics
/// If `classes < 1` or `n < classes`.
pub fn spirals(n: usize, classes: usize, noise: f64, seed: u64) -> Dataset {
    assert!(
        classes >= 1 && n >= classes,
        "micrograd: spirals needs n >= classes >= 1"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::with_capacity(n);
    for c in 0..classes {
        let m = class_size(n, classes, c);
        for i in 0..m {
            let r = linspace(0.05, 1.0, m, i);
            let t = 2.0 * PI * c as f64 / classes as f64 + 4.0 * r;
            rows.push((
                vec![
                    r * t.cos() + noise * normal(&mut rng),
                    r * t.sin() + noise * normal(&mut rng),
                ],
                c,
            ));
        }
    }
    finish(rows, classes, &mut rng)
}

/// How far [`xor`]'s points are kept from the axes: `|x|` and `|y|` are at least this (before noise).
pub const XOR_MARGIN: f64 = 0.05;

/// TensorFlow Playground's xor: points uniform in the square `[-1, 1]²` minus a strip of half-width
/// [`XOR_MARGIN`] along each axis, class 1 where `x·y > 0` (the first and third quadrants), class 0
/// where `x·y < 0`; `n / 2` points each (class 0 gets the odd one), plus `N(0, noise²)` on each
/// coordinate, shuffled.
///
/// Unlike TensorFlow Playground (which labels by the noisy point and lets the class sizes vary), the
/// label is the clean point's quadrant and the classes are split evenly, as in the other generators.
///
/// # Panics
/// If `n < 2`.
pub fn xor(n: usize, noise: f64, seed: u64) -> Dataset {
    assert!(n >= 2, "micrograd: xor needs at least 2 points");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::with_capacity(n);
    for c in 0..2 {
        for _ in 0..class_size(n, 2, c) {
            let sx = if rng.random::<bool>() { 1.0 } else { -1.0 };
            // class 1: y has x's sign; class 0: the opposite one
            let sy = if c == 1 { sx } else { -sx };
            let x = sx * rng.random_range(XOR_MARGIN..=1.0);
            let y = sy * rng.random_range(XOR_MARGIN..=1.0);
            rows.push((
                vec![x + noise * normal(&mut rng), y + noise * normal(&mut rng)],
                c,
            ));
        }
    }
    finish(rows, 2, &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_labels_are_the_sign_of_x_times_y_at_noise_0() {
        let d = xor(501, 0.0, 3);
        assert_eq!(d.len(), 501);
        assert_eq!(d.n_classes(), 2);
        for (p, c) in d.iter() {
            let (x, y) = (p[0], p[1]);
            assert!((XOR_MARGIN..=1.0).contains(&x.abs()), "{p:?}");
            assert!((XOR_MARGIN..=1.0).contains(&y.abs()), "{p:?}");
            assert_eq!(c, usize::from(x * y > 0.0), "{p:?}");
        }
    }

    #[test]
    fn xor_splits_the_classes_evenly_and_fills_all_four_quadrants() {
        for n in [2, 7, 200] {
            assert_eq!(xor(n, 0.1, 1).class_counts(), vec![n - n / 2, n / 2], "{n}");
        }
        let d = xor(2000, 0.0, 5);
        let mut quadrants = [0usize; 4];
        for (p, _) in d.iter() {
            quadrants[usize::from(p[0] > 0.0) * 2 + usize::from(p[1] > 0.0)] += 1;
        }
        // each quadrant holds about a quarter (500) of the points
        assert!(
            quadrants.iter().all(|&q| (400..=600).contains(&q)),
            "{quadrants:?}"
        );
    }

    #[test]
    fn xor_is_seeded_and_shuffled() {
        let a = xor(100, 0.1, 7);
        assert_eq!(a, xor(100, 0.1, 7));
        assert_ne!(a, xor(100, 0.1, 8));
        assert!(a.labels().windows(2).any(|w| w[0] > w[1]));
        assert!(a.labels().windows(2).any(|w| w[0] < w[1]));
    }

    #[test]
    fn xor_noise_moves_points_off_their_quadrant_with_the_requested_spread() {
        let clean = xor(4000, 0.0, 9);
        let noisy = xor(4000, 0.3, 9);
        // same seed, same draw order: the noise is the difference, of standard deviation 0.3
        let diffs: Vec<f64> = clean
            .features()
            .iter()
            .zip(noisy.features())
            .flat_map(|(a, b)| [b[0] - a[0], b[1] - a[1]])
            .collect();
        let n = diffs.len() as f64;
        let mean = diffs.iter().sum::<f64>() / n;
        let std = (diffs.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / n).sqrt();
        assert!(
            mean.abs() < 0.02 && (std - 0.3).abs() < 0.02,
            "{mean} {std}"
        );
        assert_eq!(clean.labels(), noisy.labels());
        let wrong = noisy
            .iter()
            .filter(|(p, c)| usize::from(p[0] * p[1] > 0.0) != *c)
            .count();
        assert!(wrong > 0 && wrong < noisy.len() / 2, "{wrong}");
    }

    #[test]
    fn xor_by_name_refuses_bad_noise_and_other_class_counts() {
        use crate::data::{DataError, Shape};
        let msg = |r: Result<Dataset, DataError>| r.unwrap_err().message;
        let xor_shape: Shape = "xor".parse().unwrap();
        assert_eq!(xor_shape, Shape::Xor);
        assert_eq!(Shape::Xor.generate(50, 2, 0.2, 4).unwrap(), xor(50, 0.2, 4));
        for noise in [f64::NAN, f64::INFINITY, -0.1, 1e301] {
            let m = msg(Shape::Xor.generate(50, 2, noise, 4));
            assert!(
                m.starts_with("noise must be a finite number in [0, 1e300]"),
                "{m}"
            );
        }
        // the largest noise accepted keeps every point finite
        assert!(Shape::Xor.generate(50, 2, MAX_NOISE, 4).is_ok());
        assert_eq!(
            msg(Shape::Xor.generate(50, 3, 0.1, 4)),
            "xor has exactly 2 classes, got 3"
        );
        assert!(msg(Shape::Xor.generate(1, 2, 0.1, 4)).contains("at least one point per class"));
    }
}
