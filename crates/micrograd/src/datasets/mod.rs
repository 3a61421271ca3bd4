//! Real data sets of images: [`digits`] (built into the crate), MNIST-style IDX files
//! ([`load_idx`], [`load_mnist`]) and, with the `image` feature, a folder of PNG/JPEG files per class
//! (`load_image_folder`). Each gives an [`ImageDataset`]: a [`Dataset`] whose rows are images, flat
//! in channel-height-width order, with their [`Chw`] shape and the class names.
//!
//! Pixels are scaled to `[0, 1]` (digits: `v / 16`; 8-bit files: `v / 255`). Every loader reports a
//! bad file as a [`LoadError`] naming the file and the place in it, never by panicking.
//!
//! ## How the parts fit
//!
//! * this file: [`ImageDataset`], [`LoadError`];
//! * `digits.rs`: the 1,797 8×8 digits (`digits.bin`, packed by `scripts/export_sklearn_data.py`
//!   from scikit-learn's copy; CC BY 4.0, see `README.md` beside it for the citation);
//! * `idx.rs`: the IDX format of MNIST and Fashion-MNIST;
//! * `folder.rs` (feature `image`): torchvision's `ImageFolder` layout.

use crate::data::{DataError, Dataset};
use crate::nn::Chw;
use std::fmt;
use std::path::{Path, PathBuf};

mod digits;
#[cfg(feature = "image")]
mod folder;
mod idx;

pub use digits::{digits, DIGITS_CITATION};
#[cfg(feature = "image")]
pub use folder::{decode_image, load_image_folder, FolderOptions, MAX_IMAGE_PIXELS};
pub use idx::{load_idx, load_mnist, parse_idx, parse_idx_pair, IdxArray, MnistSplit};

/// A labelled set of images of one shape: a [`Dataset`] whose every row is an image's pixels, flat
/// CHW (`shape.len()` numbers), plus the name of every class.
///
/// ```
/// use micrograd::datasets::digits;
/// use micrograd::nn::Chw;
/// let d = digits();
/// assert_eq!((d.len(), d.shape(), d.data().n_classes()), (1797, Chw::new(1, 8, 8), 10));
/// assert_eq!(d.class_names()[3], "3");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ImageDataset {
    data: Dataset,
    shape: Chw,
    class_names: Vec<String>,
}

impl ImageDataset {
    /// Images of shape `shape` (the rows of `data`) with a name per class.
    ///
    /// # Errors
    /// If the rows do not have `shape.len()` values, or there is not one name per class.
    pub fn new(
        data: Dataset,
        shape: Chw,
        class_names: Vec<String>,
    ) -> Result<ImageDataset, DataError> {
        let problem = if data.n_features() != shape.len() {
            Some(format!(
                "images of shape {shape} have {} values, the rows have {}",
                shape.len(),
                data.n_features()
            ))
        } else if class_names.len() != data.n_classes() {
            Some(format!(
                "{} class names for {} classes",
                class_names.len(),
                data.n_classes()
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            return Err(DataError {
                row: None,
                column: None,
                message,
            });
        }
        Ok(ImageDataset {
            data,
            shape,
            class_names,
        })
    }

    /// The images as a [`Dataset`] (one flat CHW row per image).
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The [`Dataset`], dropping the shape and names.
    pub fn into_data(self) -> Dataset {
        self.data
    }

    /// Every image's shape.
    pub fn shape(&self) -> Chw {
        self.shape
    }

    /// The name of every class, by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Always `false`: a data set has at least one row.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Image `i`'s pixels, flat CHW.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn image(&self, i: usize) -> &[f64] {
        self.data.row(i)
    }

    /// The images at `indices` (see [`Dataset::subset`]), keeping the shape and names.
    ///
    /// # Panics
    /// If an index is out of range, or `indices` is empty.
    pub fn subset(&self, indices: &[usize]) -> ImageDataset {
        ImageDataset {
            data: self.data.subset(indices),
            shape: self.shape,
            class_names: self.class_names.clone(),
        }
    }
}

/// A file that could not be read as a data set: the file, where in it (a byte offset, an entry, a
/// line), and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file or folder.
    pub path: PathBuf,
    /// Where in it, if known: `byte 4`, `header`, `image 12`.
    pub place: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl LoadError {
    pub(crate) fn new(path: &Path, message: impl Into<String>) -> LoadError {
        LoadError {
            path: path.to_path_buf(),
            place: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(path: &Path, place: impl Into<String>, message: impl Into<String>) -> Self {
        LoadError {
            path: path.to_path_buf(),
            place: Some(place.into()),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: &Path, e: &std::io::Error) -> LoadError {
        LoadError::new(path, format!("cannot read: {e}"))
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(p) => write!(f, "{}: {p}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for LoadError {}
