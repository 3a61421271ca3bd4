//! [`MaxPool2d`], [`AvgPool2d`] and [`Flatten`]: the parameter-free layers between convolutions.

use super::conv::{taps, window_output};
use super::{Chw, LayerSpec, ShapeError};
use crate::engine::Value;

/// The window of a pooling layer: `k × k`, stride `s`, padding `p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    kernel: usize,
    stride: usize,
    padding: usize,
}

impl Window {
    fn new(kernel: usize, stride: usize) -> Window {
        assert!(
            kernel > 0 && stride > 0,
            "micrograd: a pooling window needs kernel and stride at least 1 (got {kernel}, {stride})"
        );
        Window {
            kernel,
            stride,
            padding: 0,
        }
    }

    fn describe(&self, name: &str) -> String {
        LayerSpec::pool(name == "maxpool", self.kernel, self.stride, self.padding).to_string()
    }

    /// PyTorch's rules: the padding at most half the kernel, the window fitting the padded input.
    fn output_shape(&self, name: &str, input: Chw) -> Result<Chw, ShapeError> {
        let name = || self.describe(name);
        if 2 * self.padding > self.kernel {
            return Err(ShapeError::new(
                name(),
                input,
                format!(
                    "padding {} is more than half the kernel size {}",
                    self.padding, self.kernel
                ),
            ));
        }
        let (h, w) = window_output(name, input, self.kernel, self.stride, self.padding)?;
        Ok(Chw::new(input.channels, h, w))
    }

    /// Calls `f(window)` for every output element in CHW order, with the window's in-bounds inputs
    /// (row by row) in `buf`, and collects the results.
    fn map(
        &self,
        name: &str,
        x: &[Value],
        input: Chw,
        mut f: impl FnMut(&[Value]) -> Value,
    ) -> Vec<Value> {
        let out = match self.output_shape(name, input) {
            Ok(s) if x.len() == input.len() => s,
            Ok(_) => panic!(
                "micrograd: {}: expects {} values ({input}), got {}",
                self.describe(name),
                input.len(),
                x.len()
            ),
            Err(e) => panic!("micrograd: {e}"),
        };
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let mut ys = Vec::with_capacity(out.len());
        let mut buf = Vec::with_capacity(k * k);
        for c in 0..input.channels {
            for oy in 0..out.height {
                let (i0, i1) = taps(oy * s, p, k, input.height);
                for ox in 0..out.width {
                    let (j0, j1) = taps(ox * s, p, k, input.width);
                    buf.clear();
                    for i in i0..i1 {
                        let x0 = input.index(c, oy * s + i - p, 0) + ox * s + j0 - p;
                        buf.extend_from_slice(&x[x0..x0 + (j1 - j0)]);
                    }
                    ys.push(f(&buf));
                }
            }
        }
        ys
    }
}

/// The constructor and accessors the two poolings share; `$name` is the grammar's word.
macro_rules! pool_common {
    ($t:ident, $name:literal) => {
        impl $t {
            /// A `kernel_size × kernel_size` window moved by `stride` (PyTorch's default stride is
            /// the kernel size: pass it).
            ///
            /// # Panics
            /// If `kernel_size` or `stride` is 0.
            pub fn new(kernel_size: usize, stride: usize) -> $t {
                $t(Window::new(kernel_size, stride))
            }

            /// The same pooling with `padding` on every side (checked against the kernel when
            /// used).
            pub fn padding(mut self, padding: usize) -> $t {
                self.0.padding = padding;
                self
            }

            /// `(kernel_size, stride, padding)`.
            pub fn params(&self) -> (usize, usize, usize) {
                (self.0.kernel, self.0.stride, self.0.padding)
            }

            /// The layer as the grammar writes it: `maxpool(2)`, `avgpool(3,stride=2,pad=1)`.
            pub fn describe(&self) -> String {
                self.0.describe($name)
            }

            /// The output shape for `input`.
            ///
            /// # Errors
            /// If the window does not fit the padded input, or the padding exceeds half the kernel.
            pub fn output_shape(&self, input: Chw) -> Result<Chw, ShapeError> {
                self.0.output_shape($name, input)
            }
        }
    };
}

/// Max pooling, as `torch.nn.MaxPool2d(kernel_size, stride)` (optionally with `padding`): each output
/// is the largest input in its `k × k` window, per channel.
///
/// The output **is** that input's handle (no node is added), so the gradient flows to it alone, as
/// in PyTorch. Ties go to the first maximum in row-major window order and a NaN wins (the last one), as
/// PyTorch's CPU kernel does. Padding is `-∞` (it never wins) and may be at most `k / 2`.
///
/// ```
/// use micrograd::nn::MaxPool2d;
/// use micrograd::Value;
/// let x: Vec<Value> = [1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 7.0, 6.0].map(Value::new).to_vec(); // 1×2×4
/// let y = MaxPool2d::new(2, 2).forward(&x, 1, 2, 4);
/// assert_eq!(y.iter().map(|v| v.data()).collect::<Vec<_>>(), vec![5.0, 7.0]);
/// assert_eq!(y[0], x[1]);                                  // the very same node
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d(Window);

pool_common!(MaxPool2d, "maxpool");

impl MaxPool2d {
    /// The output for `x` of shape `channels × height × width`, flat CHW.
    ///
    /// # Panics
    /// If `x` has the wrong length or the window does not fit (the message gives the sizes).
    pub fn forward(&self, x: &[Value], channels: usize, height: usize, width: usize) -> Vec<Value> {
        let input = Chw::new(channels, height, width);
        self.0.map("maxpool", x, input, |win| {
            let mut best = win[0];
            for &v in &win[1..] {
                let d = v.data();
                if d > best.data() || d.is_nan() {
                    best = v;
                }
            }
            best
        })
    }
}

/// Average pooling, as `torch.nn.AvgPool2d(kernel_size, stride)` (optionally with `padding`, counted
/// as zeros in the average: PyTorch's default `count_include_pad=True`): each output is
/// `(Σ window) / k²`, a [`Value::sum`] node and a division node.
///
/// ```
/// use micrograd::nn::AvgPool2d;
/// use micrograd::Value;
/// let x: Vec<Value> = [1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 7.0, 6.0].map(Value::new).to_vec(); // 1×2×4
/// let y = AvgPool2d::new(2, 2).forward(&x, 1, 2, 4);
/// assert_eq!(y.iter().map(|v| v.data()).collect::<Vec<_>>(), vec![3.25, 3.75]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool2d(Window);

pool_common!(AvgPool2d, "avgpool");

impl AvgPool2d {
    /// The output for `x` of shape `channels × height × width`, flat CHW.
    ///
    /// # Panics
    /// If `x` has the wrong length or the window does not fit (the message gives the sizes).
    pub fn forward(&self, x: &[Value], channels: usize, height: usize, width: usize) -> Vec<Value> {
        let input = Chw::new(channels, height, width);
        let area = (self.0.kernel * self.0.kernel) as f64;
        self.0
            .map("avgpool", x, input, |win| Value::sum_slice(win) / area)
    }
}

/// Flattens `C × H × W` to `C·H·W` features. The values are already flat in CHW order, so this only
/// changes the shape: it adds no node and returns the same handles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten;

impl Flatten {
    /// `C·H·W`, flat.
    pub fn output_shape(&self, input: Chw) -> Chw {
        Chw::flat(input.len())
    }
}
