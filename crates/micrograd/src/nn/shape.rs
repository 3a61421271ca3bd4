//! The shape activations carry between layers ([`Chw`]) and the error a layer gives when its input
//! does not fit ([`ShapeError`]).

use std::fmt;

/// The shape of a layer's input or output: `channels × height × width`, stored flat in that order
/// (channel-major, then rows, then columns; PyTorch's CHW without the batch dimension).
///
/// A flat vector of `n` features (a [`Linear`](super::Linear) layer's output, or after
/// [`Flatten`](super::Flatten)) is `n × 1 × 1`.
///
/// ```
/// use micrograd::nn::Chw;
/// let s = Chw::new(3, 8, 6);
/// assert_eq!((s.len(), s.index(2, 7, 5)), (144, 143));
/// assert_eq!(s.to_string(), "3×8×6");
/// assert_eq!(Chw::flat(10).to_string(), "10");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Chw {
    /// The number of channels (feature maps).
    pub channels: usize,
    /// The number of rows.
    pub height: usize,
    /// The number of columns.
    pub width: usize,
}

impl Chw {
    /// `channels × height × width`.
    pub const fn new(channels: usize, height: usize, width: usize) -> Chw {
        Chw {
            channels,
            height,
            width,
        }
    }

    /// A flat vector of `n` features: `n × 1 × 1`.
    pub const fn flat(n: usize) -> Chw {
        Chw::new(n, 1, 1)
    }

    /// The number of values, `channels · height · width`.
    pub const fn len(self) -> usize {
        self.channels * self.height * self.width
    }

    /// True if any dimension is 0.
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// True for `n × 1 × 1`.
    pub const fn is_flat(self) -> bool {
        self.height == 1 && self.width == 1
    }

    /// The flat position of `(channel, row, column)`.
    pub const fn index(self, c: usize, y: usize, x: usize) -> usize {
        (c * self.height + y) * self.width + x
    }
}

impl fmt::Display for Chw {
    /// `C×H×W`, or just `n` for a flat vector.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_flat() {
            write!(f, "{}", self.channels)
        } else {
            write!(f, "{}×{}×{}", self.channels, self.height, self.width)
        }
    }
}

/// A layer whose input does not fit: which layer (its position from 0 and its description, like
/// `maxpool(2)`), the input shape it got, and what is wrong.
///
/// ```
/// use micrograd::nn::{Chw, MaxPool2d};
/// let err = MaxPool2d::new(3, 3).output_shape(Chw::new(4, 2, 5)).unwrap_err();
/// assert_eq!(err.to_string(),
///     "maxpool(3): the 3×3 window does not fit the 2×5 input (height 2 + 2·padding 0 < 3)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// The layer's position in its [`Sequential`](super::Sequential), if it is in one.
    pub layer: Option<usize>,
    /// The layer, as the architecture grammar writes it (`conv(8,3,pad=1)`).
    pub name: String,
    /// The input shape the layer got.
    pub input: Chw,
    /// What is wrong.
    pub message: String,
}

impl ShapeError {
    pub(crate) fn new(name: impl Into<String>, input: Chw, message: impl Into<String>) -> Self {
        ShapeError {
            layer: None,
            name: name.into(),
            input,
            message: message.into(),
        }
    }

    /// The same error, naming the layer's position.
    pub(crate) fn at(mut self, layer: usize) -> Self {
        self.layer = Some(layer);
        self
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.layer {
            Some(i) => write!(f, "layer {} ({}): {}", i + 1, self.name, self.message),
            None => write!(f, "{}: {}", self.name, self.message),
        }
    }
}

impl std::error::Error for ShapeError {}
