//! Data sets: a small [`Dataset`] type (feature rows and class labels `0..k`) and seeded generators for
//! the classic 2-D toy problems: [`moons`], [`circles`], [`blobs`], [`spirals`] and [`xor`].
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
//!
//! This file holds the data set type, its labels and the [`Shape`] of a generated set;
//! `generators.rs` the generators themselves.

use std::fmt;
use std::str::FromStr;

mod generators;

pub use generators::{blobs, circles, moons, spirals, xor, MAX_NOISE, XOR_MARGIN};

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
    /// The four quadrants, labelled by the sign of `x·y` ([`xor`]); 2 classes only.
    Xor,
}

impl Shape {
    /// All shapes, in documentation order.
    pub const ALL: [Shape; 5] = [
        Shape::Moons,
        Shape::Circles,
        Shape::Blobs,
        Shape::Spirals,
        Shape::Xor,
    ];

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Moons => "moons",
            Shape::Circles => "circles",
            Shape::Blobs => "blobs",
            Shape::Spirals => "spirals",
            Shape::Xor => "xor",
        }
    }

    /// Generates `n` points of `classes` classes with Gaussian `noise`, from `seed`.
    ///
    /// # Errors
    /// `n < classes`, `classes < 2`, `classes != 2` for moons or xor, or a `noise` that is negative, not
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
        if matches!(self, Shape::Moons | Shape::Xor) && classes != 2 {
            return Err(DataError::new(format!(
                "{self} has exactly 2 classes, got {classes}"
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
            Shape::Xor => xor(n, noise, seed),
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
                format!("unknown data set `{s}` (expected moons, circles, blobs, spirals or xor)")
            })
    }
}
