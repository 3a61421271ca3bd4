//! Data sets: a small [`Dataset`] type (feature rows and class labels `0..k`) and seeded generators for
//! the classic 2-D toy problems: [`moons`], [`circles`], [`blobs`] and [`spirals`].
//!
//! ```
//! use micrograd::data::{moons, Shape};
//!
//! let data = moons(100, 0.1, 1337);
//! assert_eq!((data.len(), data.n_features(), data.n_classes()), (100, 2, 2));
//! let ys = data.signed_labels().unwrap();           // class 0 -> -1.0, class 1 -> +1.0 (hinge loss)
//! assert!(ys.iter().all(|&y| y == -1.0 || y == 1.0));
//!
//! let spirals = Shape::Spirals.generate(300, 3, 0.05, 7).unwrap();
//! assert_eq!(spirals.n_classes(), 3);
//! ```
//!
//! Every generator is deterministic given its seed (a [`rand::rngs::StdRng`]), splits the `n` points
//! between the classes as evenly as possible (the first `n % k` classes get one more), adds Gaussian
//! noise of standard deviation `noise` to each coordinate, and shuffles the rows.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// A labelled data set: `len()` rows of `n_features()` numbers, each with a class label in
/// `0..n_classes()`.
///
/// The invariants (checked by [`Dataset::new`]): every row has the same length, every number is finite,
/// there is one label per row, and every label is below the class count.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    features: Vec<Vec<f64>>,
    labels: Vec<usize>,
    classes: usize,
}

/// Why a data set could not be built or used.
///
/// `row` and `column` are 0-based positions in the data (not file lines); a file reader adds its own
/// line numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    /// The offending row, if the error is about one row.
    pub row: Option<usize>,
    /// The offending feature column, if the error is about one number.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl DataError {
    fn new(message: impl Into<String>) -> DataError {
        DataError {
            row: None,
            column: None,
            message: message.into(),
        }
    }

    fn at(row: usize, column: Option<usize>, message: impl Into<String>) -> DataError {
        DataError {
            row: Some(row),
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, self.column) {
            (Some(r), Some(c)) => write!(f, "row {r}, column {c}: {}", self.message),
            (Some(r), None) => write!(f, "row {r}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DataError {}

impl Dataset {
    /// A data set of `features` rows with `labels` in `0..classes`.
    ///
    /// # Errors
    /// No rows; rows of different lengths (or of length 0); a non-finite number; a different number of
    /// labels than rows; a label `>= classes`.
    ///
    /// ```
    /// use micrograd::data::Dataset;
    /// let d = Dataset::new(vec![vec![0.0, 1.0], vec![2.0, 3.0]], vec![0, 1], 2).unwrap();
    /// assert_eq!(d.row(1), &[2.0, 3.0]);
    /// let err = Dataset::new(vec![vec![0.0], vec![f64::NAN]], vec![0, 1], 2).unwrap_err();
    /// assert_eq!((err.row, err.column), (Some(1), Some(0)));
    /// ```
    pub fn new(
        features: Vec<Vec<f64>>,
        labels: Vec<usize>,
        classes: usize,
    ) -> Result<Dataset, DataError> {
        let Some(first) = features.first() else {
            return Err(DataError::new("the data set has no rows"));
        };
        let width = first.len();
        if width == 0 {
            return Err(DataError::at(0, None, "a row needs at least one feature"));
        }
        if labels.len() != features.len() {
            return Err(DataError::new(format!(
                "{} rows but {} labels",
                features.len(),
                labels.len()
            )));
        }
        for (r, row) in features.iter().enumerate() {
            if row.len() != width {
                return Err(DataError::at(
                    r,
                    None,
                    format!("expected {width} features, found {}", row.len()),
                ));
            }
            if let Some(c) = row.iter().position(|x| !x.is_finite()) {
                return Err(DataError::at(
                    r,
                    Some(c),
                    format!("{} is not a finite number", row[c]),
                ));
            }
            if labels[r] >= classes {
                return Err(DataError::at(
                    r,
                    None,
                    format!("label {} is not below the class count {classes}", labels[r]),
                ));
            }
        }
        Ok(Dataset {
            features,
            labels,
            classes,
        })
    }

    /// A 2-class data set from labels that are `-1.0`/`+1.0` (`-1` becomes class 0, `+1` class 1).
    ///
    /// # Errors
    /// As [`Dataset::new`], or a label that is neither -1 nor +1.
    pub fn from_signed(features: Vec<Vec<f64>>, ys: &[f64]) -> Result<Dataset, DataError> {
        let labels = ys
            .iter()
            .enumerate()
            .map(|(r, &y)| {
                if y == -1.0 {
                    Ok(0)
                } else if y == 1.0 {
                    Ok(1)
                } else {
                    Err(DataError::at(r, None, format!("label {y} is not -1 or +1")))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Dataset::new(features, labels, 2)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Always `false`: a data set has at least one row.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The number of features per row.
    pub fn n_features(&self) -> usize {
        self.features[0].len()
    }

    /// The number of classes `k`; labels are in `0..k`.
    pub fn n_classes(&self) -> usize {
        self.classes
    }

    /// All feature rows.
    pub fn features(&self) -> &[Vec<f64>] {
        &self.features
    }

    /// All labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Row `i`'s features.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i]
    }

    /// `(features, label)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[f64], usize)> + '_ {
        self.features
            .iter()
            .map(Vec::as_slice)
            .zip(self.labels.iter().copied())
    }

    /// How many rows each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// The rows at `indices`, in that order (repeats allowed), keeping the class count: the building
    /// block for mini-batches and train/validation splits.
    ///
    /// # Panics
    /// If an index is out of range, or `indices` is empty.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        assert!(!indices.is_empty(), "micrograd: an empty subset");
        Dataset {
            features: indices.iter().map(|&i| self.features[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes,
        }
    }

    /// The labels of a 2-class data set as `-1.0` (class 0) and `+1.0` (class 1), the targets of the
    /// SVM hinge loss.
    ///
    /// # Errors
    /// If the data set does not have exactly 2 classes.
    pub fn signed_labels(&self) -> Result<Vec<f64>, DataError> {
        if self.classes != 2 {
            return Err(DataError::new(format!(
                "the hinge loss needs 2 classes, the data has {}",
                self.classes
            )));
        }
        Ok(self
            .labels
            .iter()
            .map(|&l| if l == 1 { 1.0 } else { -1.0 })
            .collect())
    }

    /// The smallest and largest value of feature `column` over all rows.
    ///
    /// # Panics
    /// If `column >= n_features()`.
    pub fn feature_range(&self, column: usize) -> (f64, f64) {
        self.features
            .iter()
            .map(|r| r[column])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            })
    }

    /// Splits into the features and the labels.
    pub fn into_parts(self) -> (Vec<Vec<f64>>, Vec<usize>, usize) {
        (self.features, self.labels, self.classes)
    }
}

/// How labels were written in a file: `-1`/`+1` or `0..k-1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelEncoding {
    /// `-1` and `+1` (class 0 and class 1).
    PlusMinusOne,
    /// `0, 1, ..., k-1` (the class itself).
    ZeroBased,
}

impl LabelEncoding {
    /// The written label of class `class`.
    pub fn decode(self, class: usize) -> i64 {
        match self {
            LabelEncoding::PlusMinusOne => {
                if class == 0 {
                    -1
                } else {
                    1
                }
            }
            LabelEncoding::ZeroBased => class as i64,
        }
    }
}

/// Maps written integer labels to classes `0..k`.
///
/// If any label is `-1`, the labels must all be `-1` or `+1` ([`LabelEncoding::PlusMinusOne`],
/// `-1` → 0, `+1` → 1, two classes). Otherwise they must all be `0..=max` with `k = max + 1` (at least
/// 2) classes ([`LabelEncoding::ZeroBased`]).
///
/// # Errors
/// An empty list, a mix such as `-1` with `0`, a negative label other than `-1`, or a single class;
/// `row` names the offending label's index.
///
/// ```
/// use micrograd::data::{encode_labels, LabelEncoding};
/// assert_eq!(encode_labels(&[-1, 1, 1]).unwrap(), (vec![0, 1, 1], 2, LabelEncoding::PlusMinusOne));
/// assert_eq!(encode_labels(&[0, 2, 1]).unwrap(), (vec![0, 2, 1], 3, LabelEncoding::ZeroBased));
/// assert_eq!(encode_labels(&[-1, 0]).unwrap_err().row, Some(1));
/// ```
pub fn encode_labels(raw: &[i64]) -> Result<(Vec<usize>, usize, LabelEncoding), DataError> {
    if raw.is_empty() {
        return Err(DataError::new("no labels"));
    }
    if raw.contains(&-1) {
        let labels = raw
            .iter()
            .enumerate()
            .map(|(r, &l)| match l {
                -1 => Ok(0),
                1 => Ok(1),
                other => Err(DataError::at(
                    r,
                    None,
                    format!("label {other} among -1/+1 labels (expected -1 or 1)"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((labels, 2, LabelEncoding::PlusMinusOne));
    }
    if let Some(r) = raw.iter().position(|&l| l < 0) {
        return Err(DataError::at(
            r,
            None,
            format!(
                "label {} (expected -1/+1, or classes 0, 1, ..., k-1)",
                raw[r]
            ),
        ));
    }
    let max = *raw.iter().max().expect("non-empty");
    if max == 0 {
        return Err(DataError::new(
            "every label is 0: a classifier needs at least two classes",
        ));
    }
    let classes = usize::try_from(max)
        .ok()
        .and_then(|m| m.checked_add(1))
        .filter(|&k| k <= 1 << 16)
        .ok_or_else(|| {
            let r = raw.iter().position(|&l| l == max).unwrap_or(0);
            DataError::at(r, None, format!("label {max} is too large"))
        })?;
    Ok((
        raw.iter().map(|&l| l as usize).collect(),
        classes,
        LabelEncoding::ZeroBased,
    ))
}

/// The toy data set shapes, for choosing one by name (`"moons".parse::<Shape>()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Two interleaving half circles ([`moons`]); 2 classes only.
    Moons,
    /// `k` concentric rings ([`circles`]).
    Circles,
    /// `k` Gaussian blobs ([`blobs`]).
    Blobs,
    /// `k` interleaved spiral arms ([`spirals`]).
    Spirals,
}

impl Shape {
    /// All shapes, in documentation order.
    pub const ALL: [Shape; 4] = [Shape::Moons, Shape::Circles, Shape::Blobs, Shape::Spirals];

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Moons => "moons",
            Shape::Circles => "circles",
            Shape::Blobs => "blobs",
            Shape::Spirals => "spirals",
        }
    }

    /// Generates `n` points of `classes` classes with Gaussian `noise`, from `seed`.
    ///
    /// # Errors
    /// `n < classes`, `classes < 2`, `classes != 2` for moons, or a `noise` that is negative, not
    /// finite, or above [`MAX_NOISE`].
    pub fn generate(
        self,
        n: usize,
        classes: usize,
        noise: f64,
        seed: u64,
    ) -> Result<Dataset, DataError> {
        // A standard normal draw is below 40 in size, the shapes within 3 of the origin: noise up to
        // MAX_NOISE keeps every coordinate finite.
        if !(noise.is_finite() && (0.0..=MAX_NOISE).contains(&noise)) {
            return Err(DataError::new(format!(
                "noise must be a finite number in [0, {MAX_NOISE:e}] (larger noise overflows the points to infinity), got {noise:?}"
            )));
        }
        if classes < 2 {
            return Err(DataError::new(format!(
                "need at least 2 classes, got {classes}"
            )));
        }
        if self == Shape::Moons && classes != 2 {
            return Err(DataError::new(format!(
                "moons has exactly 2 classes, got {classes}"
            )));
        }
        if n < classes {
            return Err(DataError::new(format!(
                "need at least one point per class: n = {n}, classes = {classes}"
            )));
        }
        Ok(match self {
            Shape::Moons => moons(n, noise, seed),
            Shape::Circles => circles(n, classes, noise, seed),
            Shape::Blobs => blobs(n, classes, noise, seed),
            Shape::Spirals => spirals(n, classes, noise, seed),
        })
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Shape::ALL
            .into_iter()
            .find(|sh| sh.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown data set `{s}` (expected moons, circles, blobs or spirals)")
            })
    }
}

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

/// The largest noise [`Shape::generate`] accepts: beyond it a coordinate could overflow to infinity.
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
/// [`Shape::generate`] checks its arguments instead of panicking.
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
