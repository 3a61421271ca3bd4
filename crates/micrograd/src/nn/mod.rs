//! Neural networks on top of the engine: micrograd's `Module`, `Neuron`, `Layer` and `MLP`.
//!
//! A [`Neuron`] with weights `w`, bias `b` and an [`Activation`] `f` computes
//! `f(b + w0*x0 + w1*x1 + ...)`, the sum taken left to right starting from `b` exactly as micrograd's
//! `sum((wi*xi for wi, xi in zip(self.w, x)), self.b)` does, so results agree with micrograd bit for bit.
//! It is recorded as a single [`Value::affine`] node (plus one node for the activation).
//!
//! ```
//! use micrograd::nn::{Module, MLP};
//! use micrograd::Value;
//!
//! let model = MLP::seeded(2, &[16, 16, 1], 1337);     // ReLU, ReLU, linear
//! assert_eq!(model.parameters().len(), 337);         // (2+1)*16 + (16+1)*16 + (16+1)*1
//! let x = [Value::new(0.5), Value::new(-1.0)];
//! let score = model.forward(&x)[0];
//! score.backward();
//! model.zero_grad();
//! assert!(model.parameters().iter().all(|p| p.grad() == 0.0));
//! ```
//!
//! Parameters are [`Value`]s on the current thread's tape: create the model *before* taking a
//! [`Tape::mark`](crate::Tape::mark) that you rewind to, or the rewind will drop the parameters too.
//!
//! A model's numbers can be taken out as plain [`MlpWeights`] (no tape, `Send`) and put back with
//! [`MLP::from_weights`]. With the `serde` feature, `MLP::to_json` and `MLP::from_json` save and load
//! the JSON layout of micrograd's demo weights
//! (`{"nin": 2, "nouts": [16, 16, 1], "layers": [{"nonlin": true, "neurons": [{"w": [..], "b": 0.0}]}]}`).
//!
//! ## How the parts fit
//!
//! * this file: [`Module`] (anything with parameters), [`Neuron`] (one affine node and an
//!   activation), [`Layer`] (neurons sharing their inputs) and [`MLP`] (layers in sequence);
//! * `activation.rs`: [`Activation`], the nonlinearity a neuron applies;
//! * `dropout.rs`: [`Dropout`] and [`MLP::forward_with_dropout`];
//! * `model_file.rs`: a model's numbers without the tape ([`MlpWeights`]), their one validation pass
//!   ([`MlpWeights::validate`]), [`ModelError`] naming the offending field, and the JSON model file.
//! * layers that compose, PyTorch's conventions: `linear.rs` ([`Linear`]), `conv.rs` ([`Conv2d`]),
//!   `pool.rs` ([`MaxPool2d`], [`AvgPool2d`], [`Flatten`]), `init.rs` ([`Init`]: uniform, Kaiming,
//!   Xavier), `shape.rs` ([`Chw`], [`ShapeError`]), `sequential.rs` ([`Sequential`], [`AnyLayer`],
//!   [`Model`]), `arch.rs` (the grammar `conv(8,3,pad=1) relu maxpool(2) flatten linear(10)`:
//!   [`Architecture`]).

use crate::engine::{Tape, Value};
use rand::{Rng, SeedableRng};
use std::fmt;

mod activation;
mod arch;
mod conv;
mod dropout;
mod init;
mod linear;
mod model_file;
mod pool;
mod replica;
mod sequential;
#[cfg(feature = "serde")]
mod sequential_file;
mod shape;

pub use activation::Activation;
pub use arch::{ArchError, Architecture, LayerSpec};
pub use conv::Conv2d;
pub use dropout::Dropout;
pub(crate) use init::standard_normal;
pub use init::Init;
pub use linear::Linear;
#[cfg(feature = "serde")]
pub(crate) use model_file::json as json_fields;
pub use model_file::{LayerWeights, MlpWeights, ModelError, NeuronWeights};
pub use pool::{AvgPool2d, Flatten, MaxPool2d};
pub use replica::{MlpShape, Replicate, SequentialShape};
pub use sequential::{AnyLayer, Model, Sequential};
pub use shape::{Chw, ShapeError};

/// Something with trainable parameters (micrograd's `Module`).
pub trait Module {
    /// Every trainable parameter, in a fixed order. For [`MLP`] this is micrograd's order: layer by
    /// layer, neuron by neuron, each neuron's weights then its bias.
    fn parameters(&self) -> Vec<Value>;

    /// Sets the gradient of every parameter to 0 (micrograd's `zero_grad`). Gradients of other nodes
    /// are left alone.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// The number of trainable parameters.
    fn num_parameters(&self) -> usize {
        self.parameters().len()
    }
}
/// One neuron: `act(b + w0*x0 + w1*x1 + ...)`.
#[derive(Clone, Debug)]
pub struct Neuron {
    w: Vec<Value>,
    b: Value,
    act: Activation,
}

impl Neuron {
    /// A neuron with `nin` weights drawn uniformly from `[-1, 1)` and bias 0 (micrograd's init).
    pub fn new(nin: usize, act: Activation, rng: &mut impl Rng) -> Neuron {
        let w = (0..nin)
            .map(|_| Value::new(rng.random_range(-1.0..1.0)))
            .collect();
        Neuron {
            w,
            b: Value::new(0.0),
            act,
        }
    }

    /// A neuron with the given weights and bias.
    pub fn from_weights(w: &[f64], b: f64, act: Activation) -> Neuron {
        Neuron {
            w: w.iter().map(|&x| Value::new(x)).collect(),
            b: Value::new(b),
            act,
        }
    }

    /// `act(b + Σ wᵢxᵢ)`, the sum left to right from `b`, as one [`Value::affine`] node.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of weights.
    ///
    /// ```
    /// use micrograd::nn::{Activation, Neuron};
    /// use micrograd::Value;
    /// let n = Neuron::from_weights(&[2.0, -1.0], 0.5, Activation::Relu);
    /// let y = n.forward(&[Value::new(1.0), Value::new(3.0)]);
    /// assert_eq!(y.data(), 0.0);   // relu(0.5 + 2 - 3)
    /// ```
    pub fn forward(&self, x: &[Value]) -> Value {
        assert_eq!(
            x.len(),
            self.w.len(),
            "micrograd: a neuron with {} weights got {} inputs",
            self.w.len(),
            x.len()
        );
        self.act.apply(Value::affine(self.b, &self.w, x))
    }

    /// The weights.
    pub fn weights(&self) -> &[Value] {
        &self.w
    }

    /// The bias.
    pub fn bias(&self) -> Value {
        self.b
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// A snapshot of the current numbers.
    pub fn to_weights(&self) -> NeuronWeights {
        NeuronWeights {
            w: self.w.iter().map(|v| v.data()).collect(),
            b: self.b.data(),
        }
    }
}

impl Module for Neuron {
    fn parameters(&self) -> Vec<Value> {
        let mut p = self.w.clone();
        p.push(self.b);
        p
    }
}

impl fmt::Display for Neuron {
    /// micrograd's repr: `ReLUNeuron(2)`, `LinearNeuron(16)`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Neuron({})", self.act.repr_name(), self.w.len())
    }
}

/// A layer of neurons sharing the same inputs and activation.
#[derive(Clone, Debug)]
pub struct Layer {
    neurons: Vec<Neuron>,
    nin: usize,
}

impl Layer {
    /// `nout` neurons of `nin` inputs each, initialized like [`Neuron::new`] (neuron by neuron).
    pub fn new(nin: usize, nout: usize, act: Activation, rng: &mut impl Rng) -> Layer {
        Layer {
            neurons: (0..nout).map(|_| Neuron::new(nin, act, rng)).collect(),
            nin,
        }
    }

    /// Every neuron's output, in order.
    ///
    /// # Panics
    /// If `x.len()` differs from the layer's number of inputs.
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        self.neurons.iter().map(|n| n.forward(x)).collect()
    }

    /// The neurons.
    pub fn neurons(&self) -> &[Neuron] {
        &self.neurons
    }

    /// The number of inputs.
    pub fn nin(&self) -> usize {
        self.nin
    }

    /// The number of outputs (neurons).
    pub fn nout(&self) -> usize {
        self.neurons.len()
    }
}

impl Module for Layer {
    fn parameters(&self) -> Vec<Value> {
        self.neurons.iter().flat_map(|n| n.parameters()).collect()
    }
}

impl fmt::Display for Layer {
    /// micrograd's repr: `Layer of [ReLUNeuron(2), ReLUNeuron(2)]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_repr_list(f, "Layer", &self.neurons)
    }
}

/// micrograd's repr of a container: `{name} of [a, b, ...]`.
fn write_repr_list<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    items: &[T],
) -> fmt::Result {
    write!(f, "{name} of [")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str("]")
}

/// A multi-layer perceptron: micrograd's `MLP(nin, nouts)`.
#[derive(Clone, Debug)]
pub struct MLP {
    layers: Vec<Layer>,
    nin: usize,
}

impl MLP {
    /// micrograd's `MLP(nin, nouts)`: ReLU on every layer but the last, which is linear. Weights are
    /// uniform in `[-1, 1)`, drawn layer by layer, neuron by neuron; biases are 0.
    ///
    /// ```
    /// use micrograd::nn::MLP;
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    /// let model = MLP::new(2, &[16, 16, 1], &mut rng);
    /// assert_eq!(model.to_string().len() > 0, true);
    /// assert_eq!(model.nouts(), vec![16, 16, 1]);
    /// ```
    ///
    /// # Panics
    /// If `nouts` is empty.
    pub fn new(nin: usize, nouts: &[usize], rng: &mut impl Rng) -> MLP {
        assert!(
            !nouts.is_empty(),
            "micrograd: an MLP needs at least one layer"
        );
        let acts: Vec<Activation> = (0..nouts.len())
            .map(|i| {
                if i + 1 < nouts.len() {
                    Activation::Relu
                } else {
                    Activation::Linear
                }
            })
            .collect();
        Self::with_activations(nin, nouts, &acts, rng)
    }

    /// [`MLP::new`] with a [`rand::rngs::StdRng`] seeded from `seed`: the same seed gives the same
    /// weights on every run (with this version of `rand`).
    pub fn seeded(nin: usize, nouts: &[usize], seed: u64) -> MLP {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Self::new(nin, nouts, &mut rng)
    }

    /// An MLP with one activation per layer, initialized like [`MLP::new`].
    ///
    /// ```
    /// use micrograd::nn::{Activation::*, MLP};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let model = MLP::with_activations(3, &[4, 4, 1], &[Tanh, Tanh, Sigmoid], &mut rng);
    /// assert_eq!(model.to_string(),
    ///     "MLP of [Layer of [TanhNeuron(3), TanhNeuron(3), TanhNeuron(3), TanhNeuron(3)], \
    ///      Layer of [TanhNeuron(4), TanhNeuron(4), TanhNeuron(4), TanhNeuron(4)], \
    ///      Layer of [SigmoidNeuron(4)]]");
    /// ```
    ///
    /// # Panics
    /// If `nouts` is empty or `acts.len() != nouts.len()`.
    pub fn with_activations(
        nin: usize,
        nouts: &[usize],
        acts: &[Activation],
        rng: &mut impl Rng,
    ) -> MLP {
        assert!(
            !nouts.is_empty(),
            "micrograd: an MLP needs at least one layer"
        );
        assert_eq!(
            nouts.len(),
            acts.len(),
            "micrograd: {} layers but {} activations",
            nouts.len(),
            acts.len()
        );
        let mut layers = Vec::with_capacity(nouts.len());
        let mut fan_in = nin;
        for (&nout, &act) in nouts.iter().zip(acts) {
            layers.push(Layer::new(fan_in, nout, act, rng));
            fan_in = nout;
        }
        MLP { layers, nin }
    }

    /// Rebuilds a model from a snapshot, checking its shape: every layer must have at least one
    /// neuron, and every neuron of layer `i` as many weights as layer `i` has inputs (`nin` for the first
    /// layer, the previous layer's neuron count otherwise). Numbers must be finite.
    ///
    /// The error names the offending field, like `layers[1].neurons[3].w`.
    pub fn from_weights(weights: &MlpWeights) -> Result<MLP, ModelError> {
        weights.validate()?;
        let mut fan_in = weights.nin;
        let layers = weights
            .layers
            .iter()
            .map(|l| {
                let layer = Layer {
                    neurons: l
                        .neurons
                        .iter()
                        .map(|n| Neuron::from_weights(&n.w, n.b, l.activation))
                        .collect(),
                    nin: fan_in,
                };
                fan_in = l.neurons.len();
                layer
            })
            .collect();
        Ok(MLP {
            layers,
            nin: weights.nin,
        })
    }

    /// A snapshot of the architecture and the current parameter values.
    pub fn to_weights(&self) -> MlpWeights {
        MlpWeights {
            nin: self.nin,
            layers: self
                .layers
                .iter()
                .map(|l| LayerWeights {
                    activation: l.neurons.first().map_or(Activation::Linear, |n| n.act),
                    neurons: l.neurons.iter().map(Neuron::to_weights).collect(),
                })
                .collect(),
        }
    }

    /// The network's outputs for input `x`, one per neuron of the last layer.
    ///
    /// # Panics
    /// If `x.len() != self.nin()`.
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        let mut layers = self.layers.iter();
        let first = layers.next().expect("an MLP has at least one layer");
        let mut h = first.forward(x);
        for layer in layers {
            h = layer.forward(&h);
        }
        h
    }

    /// Computes the outputs for a plain input without keeping any graph: the nodes created are
    /// removed from the tape again before returning (the tape is rewound to where it was).
    ///
    /// # Panics
    /// If `x.len() != self.nin()`.
    ///
    /// ```
    /// use micrograd::nn::{Activation, MLP, MlpWeights, LayerWeights, NeuronWeights};
    /// let w = MlpWeights { nin: 2, layers: vec![LayerWeights {
    ///     activation: Activation::Linear,
    ///     neurons: vec![NeuronWeights { w: vec![1.0, 2.0], b: 0.5 }] }] };
    /// let model = MLP::from_weights(&w).unwrap();
    /// assert_eq!(model.predict(&[3.0, 4.0]), vec![11.5]);
    /// ```
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        predict_with(x, |xs| self.forward(xs))
    }

    /// The layers.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The number of inputs.
    pub fn nin(&self) -> usize {
        self.nin
    }

    /// The number of outputs (neurons of the last layer).
    pub fn nout(&self) -> usize {
        self.layers.last().map_or(0, Layer::nout)
    }

    /// The width of every layer, like micrograd's `nouts`.
    pub fn nouts(&self) -> Vec<usize> {
        self.layers.iter().map(Layer::nout).collect()
    }

    /// Sets every parameter's value, in [`Module::parameters`] order.
    ///
    /// # Errors
    /// If `values.len()` differs from the number of parameters (nothing is changed then).
    pub fn set_parameters(&self, values: &[f64]) -> Result<(), ModelError> {
        let params = self.parameters();
        if params.len() != values.len() {
            return Err(ModelError::field(
                "parameters",
                format!(
                    "the model has {} parameters, got {} values",
                    params.len(),
                    values.len()
                ),
            ));
        }
        for (p, &v) in params.iter().zip(values) {
            p.set_data(v);
        }
        Ok(())
    }
}

impl Module for MLP {
    fn parameters(&self) -> Vec<Value> {
        self.layers.iter().flat_map(|l| l.parameters()).collect()
    }
}

impl fmt::Display for MLP {
    /// micrograd's repr: `MLP of [Layer of [ReLUNeuron(2), ...], ...]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_repr_list(f, "MLP", &self.layers)
    }
}

/// `forward` on `x` as leaves, read back as numbers, with the tape left as it was: every model's
/// `predict`.
fn predict_with(x: &[f64], forward: impl FnOnce(&[Value]) -> Vec<Value>) -> Vec<f64> {
    let mark = Tape::mark();
    let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
    let out = forward(&xs).iter().map(|v| v.data()).collect();
    Tape::rewind(mark);
    out
}
