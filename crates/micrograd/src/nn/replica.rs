//! Copies of a model on another thread's tape, for data-parallel gradients
//! ([`train::fit`](crate::train::fit) with `threads > 1`), and what `fit` needs of a model besides
//! ([`Replicate`] for [`MLP`] and [`Sequential`]).
//!
//! A [`Value`](crate::Value) lives on the tape of the thread that made it, so a model cannot be sent
//! to a worker thread. What can be sent is its [`Replicate::Shape`] (plain data) and its parameters'
//! numbers; the worker builds its own copy from them with [`Replicate::replicate`].

use super::{
    Activation, AnyLayer, Chw, Conv2d, Dropout, Layer, LayerSpec, Linear, Model, Neuron,
    Sequential, MLP,
};
use crate::engine::Value;

/// A model that can be rebuilt on another thread from plain data: its shape and its parameters'
/// numbers in [`Module::parameters`](super::Module::parameters) order.
///
/// `train::fit` computes a batch on several threads through this trait; a model that implements it
/// (and whose forward pass takes a [`Dropout`](super::Dropout)) can be trained data-parallel.
///
/// Every thread count gives the same gradient, bit for bit: `fit` cuts a batch into chunks of a
/// fixed size, each chunk's gradient is one backward sweep on one tape (whichever thread), and the
/// chunks' gradients are added in chunk order (see `parallel.rs` in [`train`](crate::train)).
///
/// ```
/// use micrograd::nn::{Module, Replicate, MLP};
/// use micrograd::Tape;
/// let model = MLP::seeded(2, &[4, 1], 1);
/// let numbers: Vec<f64> = model.parameters().iter().map(|p| p.data()).collect();
/// let shape = model.shape();
/// let copy = std::thread::spawn(move || {
///     let copy = MLP::replicate(&shape, &numbers);
///     copy.predict(&[0.5, -1.0])
/// })
/// .join()
/// .unwrap();
/// assert_eq!(copy, model.predict(&[0.5, -1.0]));
/// ```
pub trait Replicate: Model + Sized + 'static {
    /// Everything about the model but its parameters' numbers (`Send`, `Sync`).
    type Shape: Send + Sync + Clone;

    /// The model's shape.
    fn shape(&self) -> Self::Shape;

    /// A model of this shape whose parameters are new leaves on the current thread's tape, created
    /// one after another in [`Module::parameters`](super::Module::parameters) order, holding `params`.
    ///
    /// # Panics
    /// If `params` does not have one number per parameter of the shape.
    fn replicate(shape: &Self::Shape, params: &[f64]) -> Self;

    /// Whether the model's training forward pass applies a dropout ([`Replicate::forward_train`]);
    /// `fit` refuses a dropout probability for a model that has none.
    const HAS_DROPOUT: bool = false;

    /// How many units a training-mode [`Dropout`](super::Dropout) decides on in one example's
    /// forward pass: 0 for a model without dropout.
    fn dropout_units(&self) -> usize;

    /// Whether the graph of [`Model::forward_values`] depends on the parameters' and inputs' values
    /// only through its ops (no branch of the Rust code on a value), so that a recorded graph
    /// replays it exactly at other values: `fit`'s full batches are then replayed. False unless a
    /// model says so.
    fn replays_exactly(&self) -> bool {
        false
    }

    /// The training-mode forward pass, `dropout` applied where the model has dropout (nowhere when
    /// [`Replicate::dropout_units`] is 0: then it is [`Model::forward_values`]).
    fn forward_train(&self, x: &[Value], dropout: &mut Dropout) -> Vec<Value> {
        let _ = dropout;
        self.forward_values(x)
    }
}

/// An MLP's shape: its inputs, and each layer's width and activation.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpShape {
    /// The number of inputs.
    pub nin: usize,
    /// Each layer's number of neurons and activation.
    pub layers: Vec<(usize, Activation)>,
}

impl Replicate for MLP {
    type Shape = MlpShape;
    const HAS_DROPOUT: bool = true;

    fn shape(&self) -> MlpShape {
        MlpShape {
            nin: self.nin,
            layers: self
                .layers
                .iter()
                .map(|l| {
                    (
                        l.nout(),
                        l.neurons.first().map_or(Activation::Linear, |n| n.act),
                    )
                })
                .collect(),
        }
    }

    fn replicate(shape: &MlpShape, params: &[f64]) -> MLP {
        let mut fan_in = shape.nin;
        let mut rest = params;
        let layers = shape
            .layers
            .iter()
            .map(|&(nout, act)| {
                let neurons = (0..nout)
                    .map(|_| {
                        assert!(
                            rest.len() > fan_in,
                            "micrograd: MLP::replicate: too few parameters for the shape"
                        );
                        let (w, tail) = rest.split_at(fan_in);
                        rest = &tail[1..];
                        Neuron::from_weights(w, tail[0], act)
                    })
                    .collect();
                let layer = Layer {
                    neurons,
                    nin: fan_in,
                };
                fan_in = nout;
                layer
            })
            .collect();
        assert!(
            rest.is_empty(),
            "micrograd: MLP::replicate: more parameters than the shape has"
        );
        MLP {
            layers,
            nin: shape.nin,
        }
    }

    fn dropout_units(&self) -> usize {
        let n = self.layers.len();
        self.layers[..n - 1].iter().map(Layer::nout).sum()
    }

    /// An MLP's neurons are `affine` nodes and its activations ops of the table.
    fn replays_exactly(&self) -> bool {
        true
    }

    /// Dropout between the hidden layers ([`MLP::forward_with_dropout`]).
    fn forward_train(&self, x: &[Value], dropout: &mut Dropout) -> Vec<Value> {
        self.forward_with_dropout(x, dropout)
    }
}

/// A [`Sequential`]'s shape: its input and each layer as the grammar writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct SequentialShape {
    /// The input shape.
    pub input: Chw,
    /// The layers (a convolution's input channels and a linear layer's inputs follow from the
    /// shapes before them).
    pub layers: Vec<LayerSpec>,
}

/// A `Sequential` has no dropout: `fit` refuses a dropout probability for it.
impl Replicate for Sequential {
    type Shape = SequentialShape;

    fn shape(&self) -> SequentialShape {
        SequentialShape {
            input: self.input_shape(),
            layers: self.layers().iter().map(AnyLayer::spec).collect(),
        }
    }

    fn replicate(shape: &SequentialShape, params: &[f64]) -> Sequential {
        let mut rest = params;
        let mut take = |n: usize| {
            assert!(
                rest.len() >= n,
                "micrograd: Sequential::replicate: too few parameters for the shape"
            );
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head
        };
        let mut input = shape.input;
        let mut layers = Vec::with_capacity(shape.layers.len());
        for &spec in &shape.layers {
            let layer: AnyLayer = match spec {
                LayerSpec::Conv {
                    out,
                    kernel,
                    stride,
                    padding,
                } => {
                    let w = take(out * input.channels * kernel * kernel);
                    let b = take(out);
                    Conv2d::from_weights(input.channels, out, kernel, stride, padding, w, b)
                        .expect("micrograd: Sequential::replicate: a convolution of the shape")
                        .into()
                }
                LayerSpec::Linear { out } => {
                    let w = take(out * input.len());
                    let b = take(out);
                    Linear::from_weights(input.len(), out, w, b)
                        .expect("micrograd: Sequential::replicate: a linear layer of the shape")
                        .into()
                }
                other => other.layer_without_weights(),
            };
            input = layer
                .output_shape(input)
                .expect("micrograd: Sequential::replicate: the shape's layers fit");
            layers.push(layer);
        }
        assert!(
            rest.is_empty(),
            "micrograd: Sequential::replicate: more parameters than the shape has"
        );
        Sequential::new(shape.input, layers)
            .expect("micrograd: Sequential::replicate: a valid shape")
    }

    fn dropout_units(&self) -> usize {
        0
    }

    /// Every layer but max pooling, which picks its window's largest value in Rust (the choice
    /// would be frozen in a recorded graph).
    fn replays_exactly(&self) -> bool {
        !self
            .layers()
            .iter()
            .any(|l| matches!(l, AnyLayer::MaxPool2d(_)))
    }
}
