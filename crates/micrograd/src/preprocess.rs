//! Preprocessing fitted on the training split only: per-feature standardization and min-max
//! scaling ([`Preprocess`]), stored in model files (feature `serde`) so that prediction applies the
//! same transform; and the seeded train/test split ([`train_test_split`]).
//!
//! ```
//! use micrograd::data::Dataset;
//! use micrograd::preprocess::{train_test_split, Preprocess, Scaling};
//! let data = Dataset::new((0..10).map(|i| vec![i as f64, 100.0]).collect(), vec![0; 10], 1).unwrap();
//! let split = train_test_split(&data, 0.2, 7).unwrap();
//! assert_eq!((split.train.len(), split.test.len()), (8, 2));
//! let pre = Preprocess::fit(Scaling::Standardize, &split.train);   // the training rows only
//! let train = pre.transform(&split.train);
//! let mean: f64 = train.features().iter().map(|r| r[0]).sum::<f64>() / 8.0;
//! assert!(mean.abs() < 1e-12);
//! assert_eq!(train.row(0)[1], 0.0);                                 // a constant feature: x - mean
//! ```

use crate::data::{DataError, Dataset};
use std::fmt;
use std::str::FromStr;

/// Which transform a [`Preprocess`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scaling {
    /// `(x - mean) / std`, the population standard deviation (scikit-learn's `StandardScaler`).
    Standardize,
    /// `(x - min) / (max - min)`, into `[0, 1]` on the fitted rows (scikit-learn's `MinMaxScaler`).
    MinMax,
}

impl Scaling {
    /// `standardize` or `minmax`, what [`FromStr`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Scaling::Standardize => "standardize",
            Scaling::MinMax => "minmax",
        }
    }
}

impl fmt::Display for Scaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scaling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "standardize" | "standard" | "zscore" => Ok(Scaling::Standardize),
            "minmax" => Ok(Scaling::MinMax),
            other => Err(format!(
                "unknown scaling `{other}` (expected standardize or minmax)"
            )),
        }
    }
}

/// A fitted per-feature transform `x'ᵢ = (xᵢ - shiftᵢ) / scaleᵢ`.
///
/// For [`Scaling::Standardize`] the shift is the mean and the scale the population standard
/// deviation; for [`Scaling::MinMax`] the minimum and the range. A feature that is constant on the
/// fitted rows gets scale 1 (as scikit-learn does), so it is only shifted.
#[derive(Clone, Debug, PartialEq)]
pub struct Preprocess {
    scaling: Scaling,
    shift: Vec<f64>,
    scale: Vec<f64>,
}

impl Preprocess {
    /// Fits `scaling` on every row of `data`: pass the **training** rows only, so that nothing is
    /// learned from validation or test data.
    pub fn fit(scaling: Scaling, data: &Dataset) -> Preprocess {
        let n = data.len() as f64;
        let d = data.n_features();
        let (shift, scale) = match scaling {
            Scaling::Standardize => (0..d).map(|c| standardize_column(data, c, n)).unzip(),
            Scaling::MinMax => {
                let lo: Vec<f64> = (0..d).map(|c| data.feature_range(c).0).collect();
                let range = (0..d)
                    .map(|c| {
                        let (a, b) = data.feature_range(c);
                        nonzero(b - a)
                    })
                    .collect();
                (lo, range)
            }
        };
        Preprocess {
            scaling,
            shift,
            scale,
        }
    }

    /// A transform from its numbers (as read from a model file).
    ///
    /// # Errors
    /// If the lengths differ or are 0, a number is not finite, or a scale is not positive.
    pub fn from_parts(
        scaling: Scaling,
        shift: Vec<f64>,
        scale: Vec<f64>,
    ) -> Result<Preprocess, String> {
        if shift.is_empty() || shift.len() != scale.len() {
            return Err(format!(
                "{} shifts and {} scales (one of each per feature)",
                shift.len(),
                scale.len()
            ));
        }
        if let Some(i) = shift.iter().position(|x| !x.is_finite()) {
            return Err(format!(
                "shift[{i}] must be a finite number, found {}",
                shift[i]
            ));
        }
        if let Some(i) = scale.iter().position(|&x| !(x.is_finite() && x > 0.0)) {
            return Err(format!(
                "scale[{i}] must be a positive finite number, found {}",
                scale[i]
            ));
        }
        Ok(Preprocess {
            scaling,
            shift,
            scale,
        })
    }

    /// The kind of transform.
    pub fn scaling(&self) -> Scaling {
        self.scaling
    }

    /// The per-feature shifts (means or minima).
    pub fn shift(&self) -> &[f64] {
        &self.shift
    }

    /// The per-feature scales (standard deviations or ranges; never 0).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// The number of features it was fitted on.
    pub fn n_features(&self) -> usize {
        self.shift.len()
    }

    /// Transforms one row in place.
    ///
    /// # Panics
    /// If `x.len() != n_features()`.
    pub fn apply(&self, x: &mut [f64]) {
        assert_eq!(
            x.len(),
            self.shift.len(),
            "micrograd: a {} transform fitted on {} features applied to a row of {}",
            self.scaling,
            self.shift.len(),
            x.len()
        );
        for ((v, &s), &k) in x.iter_mut().zip(&self.shift).zip(&self.scale) {
            *v = (*v - s) / k;
        }
    }

    /// A transformed copy of one row.
    ///
    /// # Panics
    /// If `x.len() != n_features()`.
    pub fn transform_row(&self, x: &[f64]) -> Vec<f64> {
        let mut y = x.to_vec();
        self.apply(&mut y);
        y
    }

    /// A transformed copy of a data set (labels unchanged).
    ///
    /// # Panics
    /// If the data set has another number of features (see [`Preprocess::check`]).
    pub fn transform(&self, data: &Dataset) -> Dataset {
        let rows = data
            .features()
            .iter()
            .map(|r| self.transform_row(r))
            .collect();
        Dataset::new(rows, data.labels().to_vec(), data.n_classes())
            .expect("a finite affine map of a valid data set")
    }

    /// Checks that `data` has the number of features this transform was fitted on.
    ///
    /// # Errors
    /// If it has not (the message gives both numbers).
    pub fn check(&self, data: &Dataset) -> Result<(), DataError> {
        if data.n_features() == self.n_features() {
            Ok(())
        } else {
            Err(DataError {
                row: None,
                column: None,
                message: format!(
                    "the {} transform was fitted on {} features, the data has {}",
                    self.scaling,
                    self.n_features(),
                    data.n_features()
                ),
            })
        }
    }
}

/// The mean and the (nonzero) population standard deviation of `column`; where the sums of huge
/// finite values (`1e300`) overflow, computed on the values divided by the column's largest
/// magnitude. A constant column is shifted by its value exactly (to 0) and keeps scale 1.
fn standardize_column(data: &Dataset, column: usize, n: f64) -> (f64, f64) {
    let (lo, hi) = data.feature_range(column);
    if lo == hi {
        return (lo, 1.0);
    }
    let mean = data.features().iter().map(|r| r[column]).sum::<f64>() / n;
    let var = data
        .features()
        .iter()
        .map(|r| (r[column] - mean) * (r[column] - mean))
        .sum::<f64>()
        / n;
    if mean.is_finite() && var.is_finite() {
        return (mean, nonzero(var.sqrt()));
    }
    let m = lo.abs().max(hi.abs());
    let values = || data.features().iter().map(move |r| r[column] / m);
    let mean = values().sum::<f64>() / n;
    let var = values().map(|y| (y - mean) * (y - mean)).sum::<f64>() / n;
    (mean * m, nonzero(var.sqrt() * m))
}

fn nonzero(scale: f64) -> f64 {
    if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        1.0
    }
}

/// A seeded train/test split: the two data sets and which rows of the original went where.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// The training rows.
    pub train: Dataset,
    /// The held-out test rows.
    pub test: Dataset,
    /// The original row of every training row, increasing.
    pub train_rows: Vec<usize>,
    /// The original row of every test row, increasing.
    pub test_rows: Vec<usize>,
}

/// Holds out `round(n · test_fraction)` rows (at least 1), drawn by
/// [`split_indices`](crate::train::split_indices) with `seed`: the same data, fraction and seed give
/// the same split. Fit preprocessing on `train` only. (A validation split taken from `train`
/// afterwards should use another seed.)
///
/// # Errors
/// If `test_fraction` is not in `(0, 1)`, or either side would be empty.
pub fn train_test_split(data: &Dataset, test_fraction: f64, seed: u64) -> Result<Split, DataError> {
    let err = |m: String| DataError {
        row: None,
        column: None,
        message: m,
    };
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(err(format!(
            "the test fraction must be between 0 and 1 (exclusive), got {test_fraction}"
        )));
    }
    let (train_rows, test_rows) = crate::train::split_indices(data.len(), test_fraction, seed);
    if train_rows.is_empty() || test_rows.is_empty() {
        return Err(err(format!(
            "a test fraction of {test_fraction} of {} rows leaves {} for training and {} for testing",
            data.len(),
            train_rows.len(),
            test_rows.len()
        )));
    }
    Ok(Split {
        train: data.subset(&train_rows),
        test: data.subset(&test_rows),
        train_rows,
        test_rows,
    })
}

#[cfg(feature = "serde")]
mod json {
    //! The `"preprocess"` entry of a model file:
    //! `{"scaling": "standardize", "shift": [..], "scale": [..]}`.
    use super::{Preprocess, Scaling};
    use crate::nn::json_fields::{array, each, get, number, object, parse};
    use crate::nn::ModelError;
    use serde_json::{json, Value as Json};

    impl Preprocess {
        /// The JSON object stored under `"preprocess"` in a model file.
        pub fn to_json_value(&self) -> Json {
            json!({"scaling": self.scaling.name(), "shift": self.shift, "scale": self.scale})
        }

        /// Reads the object [`Preprocess::to_json_value`] writes; `path` prefixes field names in
        /// errors (`preprocess.scale[3]`).
        ///
        /// # Errors
        /// A missing field, a wrong type, a non-finite number or a scale that is not positive.
        pub fn from_json_value(v: &Json, path: &str) -> Result<Preprocess, ModelError> {
            let o = object(v, path)?;
            let sp = format!("{path}.scaling");
            let scaling = match get(o, path, "scaling")? {
                Json::String(s) => s
                    .parse::<Scaling>()
                    .map_err(|e| ModelError::field(&sp, e))?,
                _ => {
                    return Err(ModelError::field(
                        sp,
                        "expected \"standardize\" or \"minmax\"",
                    ))
                }
            };
            let numbers = |key: &str| -> Result<Vec<f64>, ModelError> {
                let p = format!("{path}.{key}");
                each(array(get(o, path, key)?, &p)?, &p, number)
            };
            let (shift, scale) = (numbers("shift")?, numbers("scale")?);
            Preprocess::from_parts(scaling, shift, scale).map_err(|e| ModelError::field(path, e))
        }

        /// The `"preprocess"` entry of a model file's JSON text (any model: an MLP file ignores the
        /// entry, so a transform can ride along with it), or `None` if there is none.
        ///
        /// # Errors
        /// Invalid JSON (with line and column), or an invalid entry (naming the field).
        ///
        /// ```
        /// use micrograd::preprocess::{Preprocess, Scaling};
        /// let pre = Preprocess::from_parts(Scaling::MinMax, vec![1.0], vec![4.0]).unwrap();
        /// let text = pre.add_to_model_json("{\"nin\": 1}");
        /// assert_eq!(Preprocess::from_model_json(&text).unwrap(), Some(pre));
        /// assert_eq!(Preprocess::from_model_json("{\"nin\": 1}").unwrap(), None);
        /// let bad = text.replace("4.0", "0.0");
        /// assert_eq!(Preprocess::from_model_json(&bad).unwrap_err().path(), Some("preprocess"));
        /// ```
        pub fn from_model_json(text: &str) -> Result<Option<Preprocess>, ModelError> {
            let root: Json = parse(text)?;
            match object(&root, "")?.get("preprocess") {
                None | Some(Json::Null) => Ok(None),
                Some(v) => Preprocess::from_json_value(v, "preprocess").map(Some),
            }
        }

        /// `model_json` (a JSON object) with this transform stored under `"preprocess"`,
        /// pretty-printed. Text that is not a JSON object is returned unchanged.
        pub fn add_to_model_json(&self, model_json: &str) -> String {
            let Ok(Json::Object(mut o)) = serde_json::from_str::<Json>(model_json) else {
                return model_json.to_string();
            };
            o.insert("preprocess".into(), self.to_json_value());
            let mut s = serde_json::to_string_pretty(&Json::Object(o))
                .expect("JSON of numbers and strings");
            s.push('\n');
            s
        }
    }
}
