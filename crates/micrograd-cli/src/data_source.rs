//! Where `--data` reads from: the built-in digits, an MNIST folder, a folder of images per class, or
//! a CSV file ([`DataSource`]), loaded by the library's loaders into one [`Loaded`] data set.
//!
//! The flags ([`DataArgs`]) are shared by `train` and `predict`. Every error names the file (and the
//! place in it: a byte of an IDX file, a line and column of a CSV file, an image of a folder).

use crate::csv_data;
use anyhow::{bail, Context, Result};
use micrograd::data::{Dataset, LabelEncoding};
use micrograd::datasets::{self, FolderOptions, ImageDataset, MnistSplit};
use micrograd::nn::Chw;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A value of `--data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// `digits`: the 1,797 8×8 digits built into the library.
    Digits,
    /// `mnist:DIR`: MNIST or Fashion-MNIST's four IDX files, decompressed, in `DIR`.
    Mnist(PathBuf),
    /// `images:DIR`: one sub-folder of PNG or JPEG files per class.
    Images(PathBuf),
    /// Anything else: a CSV file (`./digits` is a file named `digits`).
    Csv(PathBuf),
}

impl FromStr for DataSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let dir = |rest: &str, what: &str| {
            if rest.is_empty() {
                Err(format!(
                    "`{what}:` needs a folder, like `{what}:data/{what}`"
                ))
            } else {
                Ok(PathBuf::from(rest))
            }
        };
        if s.eq_ignore_ascii_case("digits") {
            Ok(DataSource::Digits)
        } else if let Some(rest) = s.strip_prefix("mnist:") {
            dir(rest, "mnist").map(DataSource::Mnist)
        } else if let Some(rest) = s.strip_prefix("images:") {
            dir(rest, "images").map(DataSource::Images)
        } else if s.is_empty() {
            Err("expected digits, mnist:DIR, images:DIR or a CSV file".into())
        } else {
            Ok(DataSource::Csv(PathBuf::from(s)))
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Digits => f.write_str("digits"),
            DataSource::Mnist(d) => write!(f, "mnist:{}", d.display()),
            DataSource::Images(d) => write!(f, "images:{}", d.display()),
            DataSource::Csv(p) => write!(f, "{}", p.display()),
        }
    }
}

impl DataSource {
    /// The CSV file, the input an output must not overwrite (the other sources are folders or
    /// built in).
    pub fn csv_path(&self) -> Option<&Path> {
        match self {
            DataSource::Csv(p) => Some(p),
            _ => None,
        }
    }
}

/// Which files of a source a command reads: MNIST's training files (`train-*`) or its test files
/// (`t10k-*`); the other sources are the same either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `train` reads the training files.
    Train,
    /// `predict` reads the test files.
    Predict,
}

/// The data flags of `train` and `predict`.
#[derive(clap::Args, Clone, Debug)]
pub struct DataArgs {
    /// The data: `digits` (the 1,797 8×8 digits built in), `mnist:DIR` (MNIST or Fashion-MNIST IDX
    /// files, decompressed: train-* for `train`, t10k-* for `predict`), `images:DIR` (one sub-folder
    /// of PNG or JPEG files per class), or a CSV file with a header, feature columns, then a `label`
    /// column (-1/+1, or classes 0, 1, ..., k-1).
    #[arg(long, value_name = "SOURCE")]
    pub data: DataSource,
    /// images:DIR only: resize every image to W×H pixels (bilinear) instead of refusing images of
    /// different sizes.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub resize: Option<(u32, u32)>,
    /// images:DIR only: read images as one gray channel instead of three (RGB).
    #[arg(long)]
    pub grayscale: bool,
}

/// Reads `28x28` (or `28×28`) as (width, height), each 1 to 4096.
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let err = || format!("`{s}`: expected WIDTHxHEIGHT, each from 1 to 4096 pixels, like 28x28");
    let (w, h) = s.split_once(['x', 'X', '×']).ok_or_else(err)?;
    let n = |t: &str| {
        t.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (1..=4096).contains(v))
    };
    Ok((n(w).ok_or_else(err)?, n(h).ok_or_else(err)?))
}

/// A labelled data set from any source, with what pictures and predictions need.
#[derive(Debug)]
pub struct Loaded {
    /// The examples (images flat, in channel-height-width order) and their classes.
    pub data: Dataset,
    /// Every example's shape: an image's `C×H×W`, or the number of features of a CSV row.
    pub shape: Chw,
    /// Whether the examples are images (pictures of them can be drawn).
    pub is_image: bool,
    /// Every class's name: a folder name, a digit, or a CSV label as the file writes it.
    pub class_names: Vec<String>,
    /// How a CSV file writes its labels (images: 0, 1, ..., k-1).
    pub encoding: LabelEncoding,
}

impl DataArgs {
    /// Loads the data set `role` reads.
    ///
    /// # Errors
    /// `--resize` or `--grayscale` for a source other than images:DIR, and whatever the loader
    /// refuses (naming the file and the place).
    pub fn load(&self, role: Role) -> Result<Loaded> {
        if (self.resize.is_some() || self.grayscale) && !matches!(self.data, DataSource::Images(_))
        {
            bail!("--resize and --grayscale apply to --data images:DIR only");
        }
        let images = match &self.data {
            DataSource::Csv(path) => {
                return Ok(Loaded::from(csv_data::load(path)?));
            }
            DataSource::Digits => datasets::digits(),
            DataSource::Mnist(dir) => {
                let split = match role {
                    Role::Train => MnistSplit::Train,
                    Role::Predict => MnistSplit::Test,
                };
                datasets::load_mnist(dir, split)?
            }
            DataSource::Images(dir) => {
                let options = FolderOptions {
                    resize: self.resize,
                    grayscale: self.grayscale,
                };
                if let Some((w, h)) = self.resize {
                    let files = count_images(dir) as u128;
                    let channels = if self.grayscale { 1 } else { 3 };
                    crate::memory::check(
                        &format!("reading {files} images of {w}×{h}×{channels} pixels"),
                        files * u128::from(w) * u128::from(h) * channels * 8,
                        None,
                        "resize to fewer pixels (--resize), or use fewer images",
                    )?;
                }
                datasets::load_image_folder(dir, &options)?
            }
        };
        Ok(Loaded::from_images(images))
    }

    /// The data set's name in logs and errors (`digits`, `mnist:DIR`, the CSV file).
    pub fn name(&self) -> String {
        self.data.to_string()
    }
}

/// How many PNG or JPEG files the class folders of `dir` hold (what [`datasets::load_image_folder`]
/// reads, counted without decoding; 0 where a folder cannot be read, which the loader reports).
fn count_images(dir: &std::path::Path) -> usize {
    let entries = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| !n.as_encoded_bytes().starts_with(b"."))
            })
            .collect::<Vec<_>>()
    };
    let is_image = |p: &std::path::Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
    };
    entries(dir)
        .iter()
        .filter(|c| c.is_dir())
        .map(|c| {
            entries(c)
                .iter()
                .filter(|f| f.is_file() && is_image(f))
                .count()
        })
        .sum()
}

impl From<csv_data::CsvData> for Loaded {
    fn from(csv: csv_data::CsvData) -> Loaded {
        let encoding = csv.encoding;
        let class_names = (0..csv.dataset.n_classes())
            .map(|c| match encoding.decode(c) {
                1 if encoding == LabelEncoding::PlusMinusOne => "+1".to_string(),
                l => l.to_string(),
            })
            .collect();
        Loaded {
            shape: Chw::flat(csv.dataset.n_features()),
            data: csv.dataset,
            is_image: false,
            class_names,
            encoding,
        }
    }
}

impl Loaded {
    fn from_images(images: ImageDataset) -> Loaded {
        Loaded {
            shape: images.shape(),
            class_names: images.class_names().to_vec(),
            is_image: true,
            encoding: LabelEncoding::ZeroBased,
            data: images.into_data(),
        }
    }

    /// The same data with other rows (a split, or preprocessed features).
    pub fn with_data(&self, data: Dataset) -> Loaded {
        Loaded {
            data,
            shape: self.shape,
            is_image: self.is_image,
            class_names: self.class_names.clone(),
            encoding: self.encoding,
        }
    }
}

/// `--data`'s file for `check_outputs` (an output may not overwrite it).
pub fn input(args: &DataArgs) -> Option<(&'static str, &Path)> {
    args.data.csv_path().map(|p| ("--data", p))
}

/// Reads a file as text, naming it in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert_eq!("digits".parse(), Ok(DataSource::Digits));
        assert_eq!(
            "mnist:data/m".parse(),
            Ok(DataSource::Mnist("data/m".into()))
        );
        assert_eq!("images:x".parse(), Ok(DataSource::Images("x".into())));
        assert_eq!("./digits".parse(), Ok(DataSource::Csv("./digits".into())));
        assert!("mnist:"
            .parse::<DataSource>()
            .unwrap_err()
            .contains("folder"));
        assert_eq!(parse_size("28x14"), Ok((28, 14)));
        assert!(parse_size("28").is_err() && parse_size("0x3").is_err());
    }
}
