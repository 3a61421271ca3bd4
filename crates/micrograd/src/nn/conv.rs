//! [`Conv2d`]: a 2-D convolution with PyTorch's conventions, one affine node per output element.

use super::{Chw, Init, LayerSpec, Module, ShapeError};
use crate::engine::Value;
use rand::Rng;

/// A 2-D convolution (cross-correlation, as `torch.nn.Conv2d(in, out, kernel_size, stride,
/// padding)` with square kernels, square stride and zero padding on all four sides, no dilation, no
/// groups).
///
/// Input and output are flat `[Value]` in channel-height-width order. For an `H × W` input the output
/// is `out × H' × W'` with `H' = ⌊(H + 2p - k) / s⌋ + 1` (likewise `W'`). Output element `(o, y, x)` is
/// one [`Value::affine`] node:
///
/// ```text
/// bias[o] + Σ_{c, i, j} weight[o][c][i][j] · input[c][y·s + i - p][x·s + j - p]
/// ```
///
/// summed from the bias in `(c, i, j)` order over the taps that fall inside the input (taps on the
/// zero padding are left out, which changes nothing but the node's size). A window lying wholly in the
/// padding gives a node holding just the bias.
///
/// ```
/// use micrograd::nn::{Conv2d, Module};
/// use micrograd::Value;
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let conv = Conv2d::new(3, 8, 3, 1, 1, &mut rng);            // in, out, kernel, stride, padding
/// let x: Vec<Value> = (0..3 * 5 * 7).map(|i| Value::new(i as f64 / 100.0)).collect();
/// let y = conv.forward(&x, 5, 7);                             // x: 3×5×7, CHW
/// assert_eq!(y.len(), 8 * 5 * 7);
/// assert_eq!(conv.parameters().len(), 8 * 3 * 3 * 3 + 8);     // (out, in, kh, kw) then biases
/// ```
#[derive(Clone, Debug)]
pub struct Conv2d {
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    weight: Vec<Value>,
    bias: Vec<Value>,
}

impl Conv2d {
    /// A convolution with [`Init::Kaiming`] weights (fan-in `in·k·k`) and zero biases.
    ///
    /// # Panics
    /// If a channel count, the kernel size or the stride is 0.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        rng: &mut impl Rng,
    ) -> Conv2d {
        Conv2d::with_init(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            Init::Kaiming,
            rng,
        )
    }

    /// [`Conv2d::new`] with weights drawn by `init` in `(out, in, kh, kw)` order (fan-in `in·k·k`,
    /// fan-out `out·k·k`).
    ///
    /// # Panics
    /// If a channel count, the kernel size or the stride is 0.
    pub fn with_init(
        in_channels: usize,
        out_channels: usize,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        init: Init,
        rng: &mut impl Rng,
    ) -> Conv2d {
        let kk = kernel_size * kernel_size;
        let n = out_channels * in_channels * kk;
        let w = init.weights(n, in_channels * kk, out_channels * kk, rng);
        let b = vec![0.0; out_channels];
        match Conv2d::from_weights(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            &w,
            &b,
        ) {
            Ok(c) => c,
            Err(e) => panic!("micrograd: {e}"),
        }
    }

    /// A convolution with the given weights (`(out, in, k, k)` row-major, PyTorch's layout) and biases.
    ///
    /// # Errors
    /// If a channel count, the kernel size or the stride is 0, or a slice has the wrong length.
    pub fn from_weights(
        in_channels: usize,
        out_channels: usize,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        weight: &[f64],
        bias: &[f64],
    ) -> Result<Conv2d, String> {
        if in_channels == 0 || out_channels == 0 || kernel_size == 0 || stride == 0 {
            return Err(format!(
                "Conv2d(in={in_channels}, out={out_channels}, kernel={kernel_size}, \
                 stride={stride}) needs every one of them at least 1"
            ));
        }
        let n = out_channels * in_channels * kernel_size * kernel_size;
        if weight.len() != n {
            return Err(format!(
                "expected {n} weights ({out_channels}×{in_channels}×{kernel_size}×{kernel_size}), \
                 found {}",
                weight.len()
            ));
        }
        if bias.len() != out_channels {
            return Err(format!(
                "expected {out_channels} biases, found {}",
                bias.len()
            ));
        }
        Ok(Conv2d {
            in_channels,
            out_channels,
            kernel: kernel_size,
            stride,
            padding,
            weight: weight.iter().map(|&w| Value::new(w)).collect(),
            bias: bias.iter().map(|&b| Value::new(b)).collect(),
        })
    }

    /// The number of input channels.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    /// The number of output channels (filters).
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// The kernel size `k` (the kernel is `k × k`).
    pub fn kernel_size(&self) -> usize {
        self.kernel
    }

    /// The stride.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The zero padding on each side.
    pub fn padding(&self) -> usize {
        self.padding
    }

    /// The weights, `(out, in, k, k)` row-major.
    pub fn weight(&self) -> &[Value] {
        &self.weight
    }

    /// The biases, one per output channel.
    pub fn bias(&self) -> &[Value] {
        &self.bias
    }

    /// The layer as the architecture grammar writes it: `conv(8,3)`, `conv(8,3,stride=2,pad=1)`.
    pub fn describe(&self) -> String {
        LayerSpec::Conv {
            out: self.out_channels,
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
        }
        .to_string()
    }

    /// The output shape for an input of shape `input`.
    ///
    /// # Errors
    /// If `input` has another channel count than the layer's, or the kernel does not fit the padded
    /// input.
    pub fn output_shape(&self, input: Chw) -> Result<Chw, ShapeError> {
        if input.channels != self.in_channels {
            return Err(ShapeError::new(
                self.describe(),
                input,
                format!(
                    "expects {} input channel{}, got {} ({input})",
                    self.in_channels,
                    if self.in_channels == 1 { "" } else { "s" },
                    input.channels
                ),
            ));
        }
        let (h, w) = window_output(
            || self.describe(),
            input,
            self.kernel,
            self.stride,
            self.padding,
        )?;
        Ok(Chw::new(self.out_channels, h, w))
    }

    /// The output for `x` of shape `in_channels × height × width`, flat CHW.
    ///
    /// # Panics
    /// If `x.len() != in_channels · height · width` or the kernel does not fit (the message gives
    /// the sizes); [`Conv2d::output_shape`] checks without panicking.
    pub fn forward(&self, x: &[Value], height: usize, width: usize) -> Vec<Value> {
        let input = Chw::new(self.in_channels, height, width);
        let out = match self.output_shape(input) {
            Ok(s) if x.len() == input.len() => s,
            Ok(_) => panic!(
                "micrograd: {}: expects {} values ({input}), got {}",
                self.describe(),
                input.len(),
                x.len()
            ),
            Err(e) => panic!("micrograd: {e}"),
        };
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let kk = k * k;
        let mut ys = Vec::with_capacity(out.len());
        let mut ws = Vec::with_capacity(self.in_channels * kk);
        let mut xs = Vec::with_capacity(self.in_channels * kk);
        for (o, &b) in self.bias.iter().enumerate() {
            let filter = &self.weight[o * self.in_channels * kk..(o + 1) * self.in_channels * kk];
            for oy in 0..out.height {
                // The kernel rows i with 0 ≤ oy·s + i - p < height.
                let (i0, i1) = taps(oy * s, p, k, height);
                for ox in 0..out.width {
                    let (j0, j1) = taps(ox * s, p, k, width);
                    // A window wholly in the padding (padding > kernel allows it) reads nothing:
                    // its output is the bias alone (and its first column, below, would underflow).
                    if j0 == j1 {
                        ys.push(Value::affine(b, &[], &[]));
                        continue;
                    }
                    ws.clear();
                    xs.clear();
                    for c in 0..self.in_channels {
                        for i in i0..i1 {
                            let iy = oy * s + i - p;
                            let wrow = (c * k + i) * k;
                            // The first tap's column, ox·s + j0 - p, is at least 0 by `taps`.
                            let x0 = (c * height + iy) * width + ox * s + j0 - p;
                            ws.extend_from_slice(&filter[wrow + j0..wrow + j1]);
                            xs.extend_from_slice(&x[x0..x0 + (j1 - j0)]);
                        }
                    }
                    ys.push(Value::affine(b, &ws, &xs));
                }
            }
        }
        ys
    }
}

/// The range `[lo, hi)` of kernel offsets `i < k` with `0 ≤ start + i - pad < size`.
///
/// `start + i - pad` is written so that nothing underflows: `i ≥ pad - start` and
/// `i < size + pad - start`.
pub(super) fn taps(start: usize, pad: usize, k: usize, size: usize) -> (usize, usize) {
    let lo = pad.saturating_sub(start).min(k);
    let hi = (size + pad).saturating_sub(start).min(k);
    (lo, hi.max(lo))
}

/// The output height and width of a `k × k` window sliding with stride `s` over an input padded by
/// `p` on every side (PyTorch's floor mode): `⌊(H + 2p - k) / s⌋ + 1`.
///
/// `name` gives the layer's description for an error (only called then: forward passes check the
/// shape every time and should not allocate for it).
pub(super) fn window_output(
    name: impl Fn() -> String,
    input: Chw,
    k: usize,
    s: usize,
    p: usize,
) -> Result<(usize, usize), ShapeError> {
    let fit = |size: usize, what: &str| {
        if size + 2 * p < k {
            Err(ShapeError::new(
                name(),
                input,
                format!(
                    "the {k}×{k} window does not fit the {}×{} input ({what} {size} + 2·padding {p} < {k})",
                    input.height, input.width
                ),
            ))
        } else {
            Ok((size + 2 * p - k) / s + 1)
        }
    };
    Ok((fit(input.height, "height")?, fit(input.width, "width")?))
}

impl Module for Conv2d {
    /// The weights in `(out, in, kh, kw)` row-major order, then the biases: PyTorch's
    /// `[weight, bias]`.
    fn parameters(&self) -> Vec<Value> {
        let mut p = self.weight.clone();
        p.extend_from_slice(&self.bias);
        p
    }
}
