//! [`Sequential`]: layers in a chain, activations flowing as flat CHW `[Value]` with a [`Chw`]
//! shape; [`AnyLayer`], the layers it can hold; [`Model`], what a training loop needs of a network.

use super::predict_with;
use super::{
    Activation, AvgPool2d, Chw, Conv2d, Flatten, LayerSpec, Linear, MaxPool2d, Module, ShapeError,
    MLP,
};
use crate::engine::Value;
use std::fmt;

/// One layer of a [`Sequential`].
#[derive(Clone, Debug)]
pub enum AnyLayer {
    /// A fully connected layer (reads any input flat).
    Linear(Linear),
    /// A 2-D convolution.
    Conv2d(Conv2d),
    /// Max pooling.
    MaxPool2d(MaxPool2d),
    /// Average pooling.
    AvgPool2d(AvgPool2d),
    /// `C × H × W` to `C·H·W`.
    Flatten(Flatten),
    /// An activation applied to every value (the shape is kept). [`Activation::Linear`] is the
    /// identity, written `identity`.
    Activation(Activation),
}

impl AnyLayer {
    /// The layer as the architecture grammar ([`Architecture`](super::Architecture)) writes it:
    /// `conv(8,3,pad=1)`, `relu`, `maxpool(2)`, `flatten`, `linear(10)`.
    pub fn describe(&self) -> String {
        match self {
            AnyLayer::Linear(l) => l.describe(),
            AnyLayer::Conv2d(c) => c.describe(),
            AnyLayer::MaxPool2d(p) => p.describe(),
            AnyLayer::AvgPool2d(p) => p.describe(),
            AnyLayer::Flatten(_) => LayerSpec::Flatten.to_string(),
            AnyLayer::Activation(a) => LayerSpec::Activation(*a).to_string(),
        }
    }

    /// The layer's spec in the grammar, without its weights (what [`describe`](AnyLayer::describe)
    /// writes).
    pub fn spec(&self) -> LayerSpec {
        match self {
            AnyLayer::Linear(l) => LayerSpec::Linear { out: l.nout() },
            AnyLayer::Conv2d(c) => LayerSpec::Conv {
                out: c.out_channels(),
                kernel: c.kernel_size(),
                stride: c.stride(),
                padding: c.padding(),
            },
            AnyLayer::MaxPool2d(p) => {
                let (kernel, stride, padding) = p.params();
                LayerSpec::pool(true, kernel, stride, padding)
            }
            AnyLayer::AvgPool2d(p) => {
                let (kernel, stride, padding) = p.params();
                LayerSpec::pool(false, kernel, stride, padding)
            }
            AnyLayer::Flatten(_) => LayerSpec::Flatten,
            AnyLayer::Activation(a) => LayerSpec::Activation(*a),
        }
    }

    /// The output shape for `input`.
    ///
    /// # Errors
    /// If `input` does not fit the layer (the error names the layer and the sizes).
    pub fn output_shape(&self, input: Chw) -> Result<Chw, ShapeError> {
        match self {
            AnyLayer::Linear(l) => l.output_shape(input),
            AnyLayer::Conv2d(c) => c.output_shape(input),
            AnyLayer::MaxPool2d(p) => p.output_shape(input),
            AnyLayer::AvgPool2d(p) => p.output_shape(input),
            AnyLayer::Flatten(f) => Ok(f.output_shape(input)),
            AnyLayer::Activation(_) => Ok(input),
        }
    }

    /// The layer's output for `x` of shape `input`.
    ///
    /// # Panics
    /// If `x` does not have shape `input`, or `input` does not fit the layer.
    pub fn forward(&self, x: &[Value], input: Chw) -> Vec<Value> {
        assert_eq!(
            x.len(),
            input.len(),
            "micrograd: {}: an input of shape {input} has {} values, got {}",
            self.describe(),
            input.len(),
            x.len()
        );
        match self {
            AnyLayer::Linear(l) => l.forward(x),
            AnyLayer::Conv2d(c) => {
                if let Err(e) = c.output_shape(input) {
                    panic!("micrograd: {e}");
                }
                c.forward(x, input.height, input.width)
            }
            AnyLayer::MaxPool2d(p) => p.forward(x, input.channels, input.height, input.width),
            AnyLayer::AvgPool2d(p) => p.forward(x, input.channels, input.height, input.width),
            AnyLayer::Flatten(_) | AnyLayer::Activation(Activation::Linear) => x.to_vec(),
            AnyLayer::Activation(a) => x.iter().map(|&v| a.apply(v)).collect(),
        }
    }
}

impl Module for AnyLayer {
    /// Weights then biases for [`Linear`] and [`Conv2d`]; nothing for the others.
    fn parameters(&self) -> Vec<Value> {
        match self {
            AnyLayer::Linear(l) => l.parameters(),
            AnyLayer::Conv2d(c) => c.parameters(),
            _ => Vec::new(),
        }
    }
}

macro_rules! any_layer_from {
    ($($t:ident),*) => {$(
        impl From<$t> for AnyLayer {
            fn from(layer: $t) -> AnyLayer {
                AnyLayer::$t(layer)
            }
        }
    )*};
}
any_layer_from!(Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, Activation);

/// Layers applied one after the other, as `torch.nn.Sequential`, on an input of a fixed shape.
///
/// [`Sequential::new`] checks once that every layer fits the shape its predecessor produces, so
/// [`Sequential::forward`] only has to check the input's length. The parameters are the layers',
/// in order (each layer's weights, then its biases).
///
/// ```
/// use micrograd::nn::{Activation, Chw, Conv2d, Flatten, Linear, MaxPool2d, Module, Sequential};
/// use micrograd::Value;
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let model = Sequential::new(Chw::new(1, 8, 8), vec![
///     Conv2d::new(1, 4, 3, 1, 1, &mut rng).into(),
///     Activation::Relu.into(),
///     MaxPool2d::new(2, 2).into(),
///     Flatten.into(),
///     Linear::new(4 * 4 * 4, 10, &mut rng).into(),
/// ]).unwrap();
/// assert_eq!(model.to_string(), "conv(4,3,pad=1) relu maxpool(2) flatten linear(10)");
/// assert_eq!(model.output_shape(), Chw::flat(10));
/// assert_eq!(model.num_parameters(), 4 * 9 + 4 + 64 * 10 + 10);
/// let x: Vec<Value> = (0..64).map(|i| Value::new(i as f64 / 64.0)).collect();
/// assert_eq!(model.forward(&x).len(), 10);
///
/// let err = Sequential::new(Chw::new(1, 8, 8), vec![Linear::new(10, 2, &mut rng).into()]);
/// assert_eq!(err.unwrap_err().to_string(),
///     "layer 1 (linear(2)): expects 10 inputs, got 64 (1×8×8)");
/// ```
#[derive(Clone, Debug)]
pub struct Sequential {
    input: Chw,
    layers: Vec<AnyLayer>,
    /// `shapes[i]` is the input of layer `i`; the last entry is the output.
    shapes: Vec<Chw>,
}

impl Sequential {
    /// The layers in order, for inputs of shape `input`.
    ///
    /// # Errors
    /// The first layer whose input does not fit it (its position, description and input shape), or
    /// an input with no values. An empty list of layers is allowed (the identity).
    pub fn new(input: Chw, layers: Vec<AnyLayer>) -> Result<Sequential, ShapeError> {
        if input.is_empty() {
            return Err(ShapeError::new(
                "input",
                input,
                format!("the input shape {input} has no values"),
            ));
        }
        let mut shapes = Vec::with_capacity(layers.len() + 1);
        shapes.push(input);
        for (i, layer) in layers.iter().enumerate() {
            let next = layer
                .output_shape(*shapes.last().expect("shapes starts with the input"))
                .map_err(|e| e.at(i))?;
            shapes.push(next);
        }
        Ok(Sequential {
            input,
            layers,
            shapes,
        })
    }

    /// The input shape.
    pub fn input_shape(&self) -> Chw {
        self.input
    }

    /// The output shape.
    pub fn output_shape(&self) -> Chw {
        *self.shapes.last().expect("shapes starts with the input")
    }

    /// The shape before every layer, then the output shape (`layers().len() + 1` entries).
    pub fn shapes(&self) -> &[Chw] {
        &self.shapes
    }

    /// The layers.
    pub fn layers(&self) -> &[AnyLayer] {
        &self.layers
    }

    /// The output for `x` (the input's values, flat CHW).
    ///
    /// # Panics
    /// If `x.len()` is not the input shape's size.
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        self.forward_layers(x).pop().expect("at least the input")
    }

    /// Every layer's output, after the input itself: entry `i + 1` is layer `i`'s output, of shape
    /// `shapes()[i + 1]` (for pictures of feature maps).
    ///
    /// # Panics
    /// If `x.len()` is not the input shape's size.
    pub fn forward_layers(&self, x: &[Value]) -> Vec<Vec<Value>> {
        assert_eq!(
            x.len(),
            self.input.len(),
            "micrograd: the model takes inputs of shape {} ({} values), got {} values",
            self.input,
            self.input.len(),
            x.len()
        );
        let mut outs = Vec::with_capacity(self.layers.len() + 1);
        outs.push(x.to_vec());
        for (layer, &shape) in self.layers.iter().zip(&self.shapes) {
            let y = layer.forward(outs.last().expect("at least the input"), shape);
            outs.push(y);
        }
        outs
    }

    /// The output for a plain input, leaving the tape as it was.
    ///
    /// # Panics
    /// If `x.len()` is not the input shape's size.
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        predict_with(x, |xs| self.forward(xs))
    }
}

impl Module for Sequential {
    fn parameters(&self) -> Vec<Value> {
        self.layers.iter().flat_map(Module::parameters).collect()
    }
}

impl fmt::Display for Sequential {
    /// The architecture in the grammar [`Architecture`](super::Architecture) parses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.layers.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&l.describe())?;
        }
        Ok(())
    }
}

/// What a training loop needs of a network: its parameters, its input size and output size, and a
/// forward pass from flat inputs to outputs. Implemented by [`MLP`] and [`Sequential`].
pub trait Model: Module {
    /// The number of input values.
    fn input_len(&self) -> usize;
    /// The number of outputs.
    fn output_len(&self) -> usize;
    /// The outputs for `x`.
    ///
    /// # Panics
    /// If `x.len() != self.input_len()`.
    fn forward_values(&self, x: &[Value]) -> Vec<Value>;
}

impl Model for MLP {
    fn input_len(&self) -> usize {
        self.nin()
    }
    fn output_len(&self) -> usize {
        self.nout()
    }
    fn forward_values(&self, x: &[Value]) -> Vec<Value> {
        self.forward(x)
    }
}

impl Model for Sequential {
    fn input_len(&self) -> usize {
        self.input.len()
    }
    fn output_len(&self) -> usize {
        self.output_shape().len()
    }
    fn forward_values(&self, x: &[Value]) -> Vec<Value> {
        self.forward(x)
    }
}
