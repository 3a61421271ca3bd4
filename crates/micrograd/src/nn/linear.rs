//! [`Linear`]: a fully connected layer with PyTorch's parameter layout.

use super::{Chw, Init, LayerSpec, Module, ShapeError};
use crate::engine::Value;
use rand::Rng;

/// A fully connected layer, `y = W x + b`, as `torch.nn.Linear(in_features, out_features)`.
///
/// Its weight matrix is `out × in`, row-major (PyTorch's layout), and each output is one
/// [`Value::affine`] node `b[o] + Σ W[o][i]·x[i]`, summed left to right from the bias. Any input shape
/// is accepted and read flat (an implicit [`Flatten`](super::Flatten)), so `linear(32) relu
/// linear(10)` works on images directly.
///
/// ```
/// use micrograd::nn::{Linear, Module};
/// use micrograd::Value;
/// let layer = Linear::from_weights(2, 1, &[2.0, -1.0], &[0.5]).unwrap();
/// let y = layer.forward(&[Value::new(1.0), Value::new(3.0)]);
/// assert_eq!(y[0].data(), -0.5);                 // 0.5 + 2 - 3
/// assert_eq!(layer.parameters().len(), 3);       // W (row-major), then b
/// ```
#[derive(Clone, Debug)]
pub struct Linear {
    nin: usize,
    nout: usize,
    weight: Vec<Value>,
    bias: Vec<Value>,
}

impl Linear {
    /// A layer with [`Init::Kaiming`] weights and zero biases.
    ///
    /// # Panics
    /// If `nin` or `nout` is 0.
    pub fn new(nin: usize, nout: usize, rng: &mut impl Rng) -> Linear {
        Linear::with_init(nin, nout, Init::Kaiming, rng)
    }

    /// A layer with weights drawn by `init` (fan-in `nin`, fan-out `nout`), row by row, and zero
    /// biases.
    ///
    /// # Panics
    /// If `nin` or `nout` is 0.
    pub fn with_init(nin: usize, nout: usize, init: Init, rng: &mut impl Rng) -> Linear {
        assert!(
            nin > 0 && nout > 0,
            "micrograd: Linear({nin}, {nout}) needs at least one input and one output"
        );
        let w = init.weights(nin * nout, nin, nout, rng);
        Linear::from_weights(nin, nout, &w, &vec![0.0; nout]).expect("sizes checked above")
    }

    /// A layer with the given weights (`nout × nin`, row-major) and biases.
    ///
    /// # Errors
    /// If a size is 0 or the slices have the wrong lengths.
    pub fn from_weights(
        nin: usize,
        nout: usize,
        weight: &[f64],
        bias: &[f64],
    ) -> Result<Linear, String> {
        if nin == 0 || nout == 0 {
            return Err(format!(
                "Linear({nin}, {nout}) needs at least one input and one output"
            ));
        }
        if weight.len() != nin * nout {
            return Err(format!(
                "expected {} weights ({nout}×{nin}), found {}",
                nin * nout,
                weight.len()
            ));
        }
        if bias.len() != nout {
            return Err(format!("expected {nout} biases, found {}", bias.len()));
        }
        Ok(Linear {
            nin,
            nout,
            weight: weight.iter().map(|&w| Value::new(w)).collect(),
            bias: bias.iter().map(|&b| Value::new(b)).collect(),
        })
    }

    /// The number of inputs.
    pub fn nin(&self) -> usize {
        self.nin
    }

    /// The number of outputs.
    pub fn nout(&self) -> usize {
        self.nout
    }

    /// The weights, `nout × nin` row-major.
    pub fn weight(&self) -> &[Value] {
        &self.weight
    }

    /// The biases.
    pub fn bias(&self) -> &[Value] {
        &self.bias
    }

    /// The layer as the architecture grammar writes it: `linear(10)`.
    pub fn describe(&self) -> String {
        LayerSpec::Linear { out: self.nout }.to_string()
    }

    /// The output shape (`nout`, flat) for an input of shape `input`.
    ///
    /// # Errors
    /// If `input` does not hold exactly `nin` values.
    pub fn output_shape(&self, input: Chw) -> Result<Chw, ShapeError> {
        if input.len() != self.nin {
            return Err(ShapeError::new(
                self.describe(),
                input,
                if input.is_flat() {
                    format!("expects {} inputs, got {}", self.nin, input.len())
                } else {
                    format!("expects {} inputs, got {} ({input})", self.nin, input.len())
                },
            ));
        }
        Ok(Chw::flat(self.nout))
    }

    /// The `nout` outputs, each one [`Value::affine`] node.
    ///
    /// # Panics
    /// If `x.len() != nin` (the message gives both sizes).
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        if let Err(e) = self.output_shape(Chw::flat(x.len())) {
            panic!("micrograd: {e}");
        }
        self.weight
            .chunks_exact(self.nin)
            .zip(&self.bias)
            .map(|(row, &b)| Value::affine(b, row, x))
            .collect()
    }
}

impl Module for Linear {
    /// The weights (row-major), then the biases: PyTorch's `[weight, bias]`.
    fn parameters(&self) -> Vec<Value> {
        let mut p = self.weight.clone();
        p.extend_from_slice(&self.bias);
        p
    }
}
