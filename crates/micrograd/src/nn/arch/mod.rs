//! The architecture grammar ([`Architecture`]): `conv(8,3,pad=1) relu maxpool(2) flatten
//! linear(10)` parsed (errors point at the column) and built into a [`Sequential`] for an input
//! shape.
//!
//! This file holds what an architecture is and how it is built and printed; `parser.rs` reads
//! the text.

use super::{
    Activation, AnyLayer, AvgPool2d, Chw, Conv2d, Flatten, Init, Linear, MaxPool2d, Sequential,
    ShapeError,
};
use parser::Parser;
use rand::Rng;
use std::fmt;
use std::str::FromStr;

mod parser;

/// One layer of an [`Architecture`], before its input shape (and so its weights) is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerSpec {
    /// `conv(out, kernel, stride=1, pad=0)`.
    Conv {
        /// Output channels.
        out: usize,
        /// Kernel size.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Zero padding on each side.
        padding: usize,
    },
    /// `linear(out)`.
    Linear {
        /// Output features.
        out: usize,
    },
    /// `maxpool(kernel, stride=kernel, pad=0)`.
    MaxPool {
        /// Window size.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Padding on each side.
        padding: usize,
    },
    /// `avgpool(kernel, stride=kernel, pad=0)`.
    AvgPool {
        /// Window size.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Padding on each side (counted as zeros).
        padding: usize,
    },
    /// `flatten`.
    Flatten,
    /// `relu`, `tanh`, `sigmoid`, `identity`.
    Activation(Activation),
}

impl LayerSpec {
    /// [`LayerSpec::MaxPool`] (if `max`) or [`LayerSpec::AvgPool`].
    pub fn pool(max: bool, kernel: usize, stride: usize, padding: usize) -> LayerSpec {
        if max {
            LayerSpec::MaxPool {
                kernel,
                stride,
                padding,
            }
        } else {
            LayerSpec::AvgPool {
                kernel,
                stride,
                padding,
            }
        }
    }

    /// The layer of a spec that has no weights (a pooling, `flatten`, an activation).
    ///
    /// # Panics
    /// For [`LayerSpec::Conv`] and [`LayerSpec::Linear`], whose weights depend on the input.
    pub(crate) fn layer_without_weights(self) -> AnyLayer {
        match self {
            LayerSpec::MaxPool {
                kernel,
                stride,
                padding,
            } => MaxPool2d::new(kernel, stride).padding(padding).into(),
            LayerSpec::AvgPool {
                kernel,
                stride,
                padding,
            } => AvgPool2d::new(kernel, stride).padding(padding).into(),
            LayerSpec::Flatten => Flatten.into(),
            LayerSpec::Activation(a) => a.into(),
            LayerSpec::Conv { .. } | LayerSpec::Linear { .. } => {
                panic!("micrograd: {self} has weights")
            }
        }
    }

    /// The number of parameters this layer has on a `c × h × w` input: a convolution's
    /// `out·(c·k² + 1)`, a linear layer's `out·(c·h·w + 1)`, 0 for the others (saturating, so
    /// any shape gives a finite count).
    fn parameters(self, (c, h, w): (u128, u128, u128)) -> u128 {
        let (out, per_output) = match self {
            // k² fits: (2⁶⁴ − 1)² < 2¹²⁸
            LayerSpec::Conv { out, kernel, .. } => (out, c.saturating_mul((kernel as u128).pow(2))),
            LayerSpec::Linear { out } => (out, c.saturating_mul(h).saturating_mul(w)),
            _ => return 0,
        };
        per_output.saturating_add(1).saturating_mul(out as u128)
    }

    /// The layer for an input of shape `input`, weights drawn by `init` (before the shape is
    /// checked, so a failing architecture still draws the same numbers as far as it gets).
    fn build(self, input: Chw, init: Init, rng: &mut impl Rng) -> AnyLayer {
        match self {
            LayerSpec::Conv {
                out,
                kernel,
                stride,
                padding,
            } => Conv2d::with_init(input.channels, out, kernel, stride, padding, init, rng).into(),
            LayerSpec::Linear { out } => Linear::with_init(input.len(), out, init, rng).into(),
            other => other.layer_without_weights(),
        }
    }
}

/// Why an architecture could not be parsed or built: the 1-based column and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchError {
    /// The 1-based character column the error points at.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ArchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ArchError {}

impl ArchError {
    /// The architecture text with a caret under the column, for terminals:
    ///
    /// ```text
    /// conv(8,3) relu maxpool(0)
    ///                        ^ column 24: maxpool's kernel size must be at least 1
    /// ```
    pub fn pointed(&self, text: &str) -> String {
        format!(
            "{text}\n{}^ {self}",
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

/// A parsed architecture: its layers and the column each starts at. The grammar:
///
/// ```text
/// architecture := layer (whitespace layer)*
/// layer        := conv(OUT, K [, STRIDE [, PAD]])      2-D convolution, K×K kernel (stride 1, pad 0)
///               | linear(OUT)                          fully connected (reads its input flat)
///               | maxpool(K [, STRIDE [, PAD]])        max pooling (stride K, pad 0)
///               | avgpool(K [, STRIDE [, PAD]])        average pooling (stride K, pad 0)
///               | flatten | relu | tanh | sigmoid | identity
/// ```
///
/// Optional arguments may also be named: `stride=2`, `pad=1` (or `padding=1`). Names are
/// case-insensitive; `conv2d`, `dense`, `max_pool`, `avg_pool` are accepted spellings. Columns are
/// 1-based and count characters.
///
/// ```
/// use micrograd::nn::{Architecture, Chw, Init, Module};
/// use rand::SeedableRng;
/// let arch: Architecture = "conv(8,3,pad=1) relu maxpool(2) flatten linear(10)".parse().unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let model = arch.build(Chw::new(1, 8, 8), Init::Kaiming, &mut rng).unwrap();
/// assert_eq!(model.num_parameters(), 8 * 9 + 8 + 128 * 10 + 10);
///
/// let err = "conv(8,3) relu maxpool(2,strde=2)".parse::<Architecture>().unwrap_err();
/// assert_eq!(err.to_string(), "column 26: unknown argument `strde` (expected stride or pad)");
/// let err = arch_error("conv(8,5) maxpool(4) maxpool(2)");
/// assert_eq!(err.column, 22);
/// # fn arch_error(s: &str) -> micrograd::nn::ArchError {
/// #     let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// #     s.parse::<Architecture>().unwrap().build(Chw::new(1, 8, 8), Init::Kaiming, &mut rng).unwrap_err()
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Architecture {
    layers: Vec<LayerSpec>,
    columns: Vec<usize>,
}

impl Architecture {
    /// Parses the grammar in [`Architecture`]'s documentation.
    ///
    /// # Errors
    /// An unknown layer or argument, a missing or extra argument, a number out of range, a missing
    /// parenthesis, or no layer at all; the error's column points at it.
    pub fn parse(text: &str) -> Result<Architecture, ArchError> {
        Parser::new(text).architecture()
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[LayerSpec] {
        &self.layers
    }

    /// The 1-based column each layer starts at.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// An upper bound on the number of parameters [`Architecture::build`] creates for `input`,
    /// computed without creating any, so that a program can refuse an architecture too large for
    /// memory before building it. Every layer's output is bounded by its channels times its padded
    /// input area (exact for stride 1 and no padding, larger otherwise); the bound of a layer whose
    /// shapes do not fit is still finite (saturating arithmetic).
    ///
    /// ```
    /// use micrograd::nn::{Architecture, Chw};
    /// let arch: Architecture = "conv(8,3) relu flatten linear(10)".parse().unwrap();
    /// assert_eq!(arch.parameter_bound(Chw::new(1, 8, 8)), 8 * 9 + 8 + (8 * 64 + 1) * 10);
    /// ```
    pub fn parameter_bound(&self, input: Chw) -> u128 {
        let (mut c, mut h, mut w) = (
            input.channels as u128,
            input.height as u128,
            input.width as u128,
        );
        let mut total: u128 = 0;
        for spec in &self.layers {
            total = total.saturating_add(spec.parameters((c, h, w)));
            match *spec {
                LayerSpec::Conv { out, padding, .. } => {
                    c = out as u128;
                    (h, w) = (h + 2 * padding as u128, w + 2 * padding as u128);
                }
                LayerSpec::Linear { out } => (c, h, w) = (out as u128, 1, 1),
                LayerSpec::MaxPool { padding, .. } | LayerSpec::AvgPool { padding, .. } => {
                    (h, w) = (h + 2 * padding as u128, w + 2 * padding as u128);
                }
                LayerSpec::Flatten => (c, h, w) = (c.saturating_mul(h).saturating_mul(w), 1, 1),
                LayerSpec::Activation(_) => {}
            }
        }
        total
    }

    /// The model for inputs of shape `input`: each convolution gets the channel count and each
    /// linear layer the input size its predecessor produces; weights are drawn by `init`, layer by
    /// layer, in parameter order; biases are 0.
    ///
    /// # Errors
    /// The first layer whose input does not fit it, with its column, e.g. `column 22: layer 3
    /// (maxpool(2)): the 2×2 window does not fit the 1×1 input (...)`, or whose output has more
    /// values than a `usize` counts (padding grows the maps).
    pub fn build(
        &self,
        input: Chw,
        init: Init,
        rng: &mut impl Rng,
    ) -> Result<Sequential, ArchError> {
        self.build_within(input, init, rng, usize::MAX)
    }

    /// [`Architecture::build`], refusing before it allocates them more than `max_parameters`
    /// parameters in all: a reader of a model file passes the number of weights the file holds, so
    /// that a file of a few bytes announcing a vast input cannot make it allocate terabytes.
    ///
    /// # Errors
    /// Those of [`Architecture::build`], and the first layer that would take the total past
    /// `max_parameters`, with its column.
    ///
    /// ```
    /// use micrograd::nn::{Architecture, Chw, Init};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let arch: Architecture = "flatten linear(10)".parse().unwrap();
    /// assert!(arch.build_within(Chw::new(1, 8, 8), Init::Kaiming, &mut rng, 650).is_ok());
    /// let e = arch.build_within(Chw::new(1, 8, 8), Init::Kaiming, &mut rng, 649).unwrap_err();
    /// assert_eq!(e.column, 9);
    /// assert!(e.message.contains("650 parameters"), "{e}");
    /// ```
    pub fn build_within(
        &self,
        input: Chw,
        init: Init,
        rng: &mut impl Rng,
        max_parameters: usize,
    ) -> Result<Sequential, ArchError> {
        if values(input).is_none() {
            return Err(ArchError {
                column: 1,
                message: format!("the input shape {input} has too many values to count"),
            });
        }
        let mut layers = Vec::with_capacity(self.layers.len());
        let mut shape = input;
        let mut total = 0usize;
        for (i, spec) in self.layers.iter().enumerate() {
            let dims = (shape.channels, shape.height, shape.width);
            let layer_parameters =
                spec.parameters((dims.0 as u128, dims.1 as u128, dims.2 as u128));
            total = match usize::try_from(layer_parameters).ok().and_then(|n| n.checked_add(total)) {
                Some(n) if n <= max_parameters => n,
                n => {
                    return Err(ArchError {
                        column: self.columns[i],
                        message: format!(
                            "layer {} ({spec}) on a {shape} input takes the model to {} parameters, more than the {max_parameters} allowed",
                            i + 1,
                            n.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string())
                        ),
                    })
                }
            };
            let layer = spec.build(shape, init, rng);
            let next = layer.output_shape(shape).map_err(|e| ArchError {
                column: self.columns[i],
                message: e.at(i).to_string(),
            })?;
            // Padding grows the maps without weights, so an output can have more values than a
            // `usize` counts (`Chw::len` would overflow in the next layer) while the parameter
            // bound stays small.
            if values(next).is_none() {
                let e = ShapeError::new(
                    spec.to_string(),
                    shape,
                    format!("the output {next} has too many values to count"),
                );
                return Err(ArchError {
                    column: self.columns[i],
                    message: e.at(i).to_string(),
                });
            }
            shape = next;
            layers.push(layer);
        }
        Sequential::new(input, layers).map_err(|e| ArchError {
            column: e.layer.map_or(1, |i| self.columns[i]),
            message: e.to_string(),
        })
    }
}

/// `shape.len()`, or `None` if it overflows.
fn values(shape: Chw) -> Option<usize> {
    shape
        .channels
        .checked_mul(shape.height)?
        .checked_mul(shape.width)
}

impl FromStr for Architecture {
    type Err = ArchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Architecture::parse(s)
    }
}

impl fmt::Display for Architecture {
    /// The canonical spelling, which parses back to the same architecture.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, spec) in self.layers.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{spec}")?;
        }
        Ok(())
    }
}

impl fmt::Display for LayerSpec {
    /// The canonical spelling: `conv(8,3,pad=1)`, `maxpool(2)`, `linear(10)`, `relu`; optional
    /// arguments only when they differ from their defaults.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(*self))
    }
}

fn describe(spec: LayerSpec) -> String {
    let pool = |name: &str, kernel: usize, stride: usize, padding: usize| {
        let mut s = format!("{name}({kernel}");
        if stride != kernel {
            s += &format!(",stride={stride}");
        }
        if padding != 0 {
            s += &format!(",pad={padding}");
        }
        s + ")"
    };
    match spec {
        LayerSpec::Conv {
            out,
            kernel,
            stride,
            padding,
        } => {
            let mut s = format!("conv({out},{kernel}");
            if stride != 1 {
                s += &format!(",stride={stride}");
            }
            if padding != 0 {
                s += &format!(",pad={padding}");
            }
            s + ")"
        }
        LayerSpec::Linear { out } => format!("linear({out})"),
        LayerSpec::MaxPool {
            kernel,
            stride,
            padding,
        } => pool("maxpool", kernel, stride, padding),
        LayerSpec::AvgPool {
            kernel,
            stride,
            padding,
        } => pool("avgpool", kernel, stride, padding),
        LayerSpec::Flatten => "flatten".into(),
        LayerSpec::Activation(Activation::Linear) => "identity".into(),
        LayerSpec::Activation(a) => a.name().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Found while writing the `arch` fuzz target (by hand, then confirmed with it): twelve
    /// paddings of 2^20 make 8×8 maps about 25 million wide with 24 parameters, and 90,000
    /// channels of that overflowed `Chw::len` in the next layer (a panic in debug builds, a wrong
    /// shape in release ones).
    #[test]
    fn an_output_too_large_to_count_is_an_error_at_its_layer() {
        let text = ["conv(1,1,pad=1048576)"; 12].join(" ") + " conv(90000,1) flatten";
        let arch: Architecture = text.parse().unwrap();
        let input = Chw::new(1, 8, 8);
        assert!(arch.parameter_bound(input) < 200_000);
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let err = arch.build(input, Init::Kaiming, &mut rng).unwrap_err();
        assert_eq!(err.column, arch.columns()[12]);
        assert!(
            err.message
                .starts_with("layer 13 (conv(90000,1)): the output 90000×")
                && err.message.ends_with("has too many values to count"),
            "{err}"
        );
        let huge = Chw::new(usize::MAX, 2, 1);
        let err = "relu"
            .parse::<Architecture>()
            .unwrap()
            .build(huge, Init::Kaiming, &mut rng);
        assert_eq!(err.unwrap_err().column, 1);
    }
}
