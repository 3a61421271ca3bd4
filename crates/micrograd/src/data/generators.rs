//! The seeded generators of the classic 2-D toy problems: [`moons`], [`circles`], [`blobs`] and
//! [`spirals`].

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
