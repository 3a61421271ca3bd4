//! The IDX format of MNIST and Fashion-MNIST (`train-images-idx3-ubyte` and friends): a 4-byte magic
//! number `0 0 type ndims`, `ndims` big-endian 32-bit sizes, then the data, row-major. Only unsigned
//! bytes (type `0x08`, what MNIST uses) are read; the files must not be gzipped.

use super::{ImageDataset, LoadError};
use crate::data::Dataset;
use crate::nn::Chw;
use std::path::{Path, PathBuf};

/// An IDX array of unsigned bytes: its sizes and its data, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The sizes, outermost first (`[60000, 28, 28]` for MNIST's training images).
    pub dims: Vec<usize>,
    /// `dims.iter().product()` bytes.
    pub data: Vec<u8>,
}

/// Parses IDX bytes; `path` only names the file in errors.
///
/// # Errors
/// A wrong magic number (with what was found, and a hint if it looks gzipped), a type other than
/// unsigned bytes, a header or data shorter than announced (truncated, with the sizes), or bytes left
/// over after the data.
///
/// ```
/// use micrograd::datasets::parse_idx;
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9];
/// let a = parse_idx(&bytes, "labels".as_ref()).unwrap();
/// assert_eq!((a.dims, a.data), (vec![3], vec![7, 8, 9]));
/// let err = parse_idx(&bytes[..10], "labels".as_ref()).unwrap_err();
/// assert_eq!(err.to_string(),
///     "labels: byte 8: truncated: the header announces 3 bytes of data, the file has 2");
/// ```
pub fn parse_idx(bytes: &[u8], path: &Path) -> Result<IdxArray, LoadError> {
    if bytes.len() < 4 {
        return Err(LoadError::at(
            path,
            "byte 0",
            format!(
                "truncated: an IDX file starts with a 4-byte magic number, the file has {} bytes",
                bytes.len()
            ),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        let hint = if bytes[..2] == [0x1f, 0x8b] {
            " (the file is gzipped: decompress it first, e.g. with gunzip)"
        } else {
            ""
        };
        return Err(LoadError::at(
            path,
            "byte 0",
            format!(
                "wrong magic number {:02x} {:02x} {:02x} {:02x} (an IDX file starts 00 00 08 NN){hint}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    if bytes[2] != 0x08 {
        return Err(LoadError::at(
            path,
            "byte 2",
            format!(
                "data type 0x{:02x} is not supported (only unsigned bytes, 0x08, as in MNIST)",
                bytes[2]
            ),
        ));
    }
    let ndims = usize::from(bytes[3]);
    if ndims == 0 {
        return Err(LoadError::at(
            path,
            "byte 3",
            "an IDX array needs at least one dimension",
        ));
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(LoadError::at(
            path,
            "byte 4",
            format!(
                "truncated: the header of {ndims} dimensions needs {header} bytes, the file has {}",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let size = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| LoadError::at(path, "header", format!("the sizes {dims:?} overflow")))?;
    let have = bytes.len() - header;
    if have < size {
        return Err(LoadError::at(
            path,
            format!("byte {header}"),
            format!("truncated: the header announces {size} bytes of data, the file has {have}"),
        ));
    }
    if have > size {
        return Err(LoadError::at(
            path,
            format!("byte {}", header + size),
            format!(
                "{} bytes after the {size} bytes of data the header announces",
                have - size
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Reads an IDX image file (`n × rows × cols` bytes) and its label file (`n` bytes) as images of
/// shape `1 × rows × cols`, pixels `v / 255`. The classes are `0..=max label`, named by number.
///
/// # Errors
/// Anything [`parse_idx`] rejects, images that are not 3-dimensional or labels not 1-dimensional,
/// no images, or different counts of images and labels; each names the file.
pub fn load_idx(images: &Path, labels: &Path) -> Result<ImageDataset, LoadError> {
    load_with_classes(images, labels, None)
}

fn load_with_classes(
    images: &Path,
    labels: &Path,
    classes: Option<usize>,
) -> Result<ImageDataset, LoadError> {
    let im = std::fs::read(images).map_err(|e| LoadError::io(images, &e))?;
    let lb = std::fs::read(labels).map_err(|e| LoadError::io(labels, &e))?;
    parse_idx_pair((&im, images), (&lb, labels), classes)
}

/// [`load_idx`] (with `classes: None`) or [`load_mnist`] (with `Some(10)`) on the bytes of an image
/// file and a label file, each with the path that names it in errors: with `Some(k)`, the classes
/// are `0..k` and a label of `k` or more is an error.
///
/// # Errors
/// What [`load_idx`] rejects, a label out of `0..k`, and `Some(0)` (no classes).
///
/// ```
/// use micrograd::datasets::parse_idx_pair;
/// let images = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 255];
/// let labels = [0, 0, 8, 1, 0, 0, 0, 2, 1, 0];
/// let d = parse_idx_pair((&images, "im".as_ref()), (&labels, "lb".as_ref()), None).unwrap();
/// assert_eq!((d.len(), d.image(1), d.data().labels()), (2, &[1.0][..], &[1, 0][..]));
/// ```
pub fn parse_idx_pair(
    images: (&[u8], &Path),
    labels: (&[u8], &Path),
    classes: Option<usize>,
) -> Result<ImageDataset, LoadError> {
    let ((im, images), (lb, labels)) = (images, labels);
    if classes == Some(0) {
        return Err(LoadError::new(labels, "no classes (asked for 0)"));
    }
    let im = parse_idx(im, images)?;
    let lb = parse_idx(lb, labels)?;
    let [n, rows, cols] = im.dims[..] else {
        return Err(LoadError::at(
            images,
            "header",
            format!(
                "expected 3 dimensions (images × rows × columns), found {}",
                im.dims.len()
            ),
        ));
    };
    let [m] = lb.dims[..] else {
        return Err(LoadError::at(
            labels,
            "header",
            format!(
                "expected 1 dimension (one label per image), found {}",
                lb.dims.len()
            ),
        ));
    };
    if n == 0 || rows == 0 || cols == 0 {
        return Err(LoadError::at(
            images,
            "header",
            format!("no images (sizes {n} × {rows} × {cols})"),
        ));
    }
    if m != n {
        return Err(LoadError::new(
            labels,
            format!("{m} labels for the {n} images of {}", images.display()),
        ));
    }
    let labels_usize: Vec<usize> = lb.data.iter().map(|&l| usize::from(l)).collect();
    let k = match classes {
        Some(k) => {
            if let Some(i) = labels_usize.iter().position(|&l| l >= k) {
                return Err(LoadError::at(
                    labels,
                    format!("label {i}"),
                    format!(
                        "{} is not one of the {k} classes 0..{}",
                        labels_usize[i],
                        k - 1
                    ),
                ));
            }
            k
        }
        None => labels_usize.iter().max().map_or(1, |&l| l + 1),
    };
    let px = rows * cols;
    let features = im
        .data
        .chunks_exact(px)
        .map(|img| img.iter().map(|&v| f64::from(v) / 255.0).collect())
        .collect();
    let data = Dataset::new(features, labels_usize, k)
        .map_err(|e| LoadError::new(labels, e.to_string()))?;
    ImageDataset::new(
        data,
        Chw::new(1, rows, cols),
        (0..k).map(|c| c.to_string()).collect(),
    )
    .map_err(|e| LoadError::new(images, e.to_string()))
}

/// Which half of MNIST to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MnistSplit {
    /// `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`.
    Train,
    /// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`.
    Test,
}

/// Reads MNIST or Fashion-MNIST from a folder holding the four files as distributed (decompressed),
/// under their usual names (`train-images-idx3-ubyte`, or with a `.` before `idx`), with 10 classes.
///
/// # Errors
/// A missing file (naming the names tried, and saying so if only a `.gz` is there), a label of 10 or
/// more, or anything [`load_idx`] rejects.
pub fn load_mnist(dir: &Path, split: MnistSplit) -> Result<ImageDataset, LoadError> {
    let prefix = match split {
        MnistSplit::Train => "train",
        MnistSplit::Test => "t10k",
    };
    let find = |what: &str, n: u8| -> Result<PathBuf, LoadError> {
        let names = [
            format!("{prefix}-{what}-idx{n}-ubyte"),
            format!("{prefix}-{what}.idx{n}-ubyte"),
        ];
        for name in &names {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
        let gz = names.iter().any(|n| dir.join(format!("{n}.gz")).is_file());
        Err(LoadError::new(
            dir,
            format!(
                "no file {} or {}{}",
                names[0],
                names[1],
                if gz {
                    " (only the .gz is there: decompress it with gunzip)"
                } else {
                    ""
                }
            ),
        ))
    };
    let images = find("images", 3)?;
    let labels = find("labels", 1)?;
    load_with_classes(&images, &labels, Some(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> &Path {
        Path::new(s)
    }

    #[test]
    fn a_huge_header_on_few_bytes_is_truncated_not_allocated() {
        let mut b = vec![0, 0, 8, 2];
        for _ in 0..2 {
            b.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        let err = parse_idx(&b, p("im")).unwrap_err();
        assert!(
            err.message.starts_with("truncated: the header announces"),
            "{err}"
        );
        // 255 dimensions of 2^32 - 1 overflow
        let mut b = vec![0, 0, 8, 255];
        b.extend(std::iter::repeat_n(0xff, 4 * 255));
        let err = parse_idx(&b, p("im")).unwrap_err();
        assert!(err.message.ends_with("overflow"), "{err}");
    }

    #[test]
    fn zero_classes_is_an_error_not_a_panic() {
        let images = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9];
        let labels = [0, 0, 8, 1, 0, 0, 0, 1, 0];
        let err = parse_idx_pair((&images, p("im")), (&labels, p("lb")), Some(0)).unwrap_err();
        assert_eq!(err.to_string(), "lb: no classes (asked for 0)");
        let labels = [0, 0, 8, 1, 0, 0, 0, 1, 1];
        let err = parse_idx_pair((&images, p("im")), (&labels, p("lb")), Some(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "lb: label 0: 1 is not one of the 1 classes 0..0"
        );
        let d = parse_idx_pair((&images, p("im")), (&labels, p("lb")), Some(2)).unwrap();
        assert_eq!((d.data().n_classes(), d.image(0)), (2, &[9.0 / 255.0][..]));
    }
}
