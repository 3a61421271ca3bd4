//! Copies of a model on another thread's tape, for data-parallel gradients
//! ([`train::fit`](crate::train::fit) with `threads > 1`).
//!
//! A [`Value`](crate::Value) lives on the tape of the thread that made it, so a model cannot be sent
//! to a worker thread. What can be sent is its [`Replicate::Shape`] (plain data) and its parameters'
//! numbers; the worker builds its own copy from them with [`Replicate::replicate`].

use super::{Activation, Layer, Module, Neuron, MLP};

/// A model that can be rebuilt on another thread from plain data: its shape and its parameters'
/// numbers in [`Module::parameters`] order.
///
/// `train::fit` computes a batch on several threads through this trait; a model that implements it
/// (and whose forward pass takes a [`Dropout`](super::Dropout)) can be trained data-parallel.
///
/// Bit-identical gradients: each worker returns every example's own gradient, and they are added in
/// the order a single tape's backward sweep adds them. That equals the single-threaded gradient bit
/// for bit when every parameter enters an example's graph once (an MLP: each weight is one input of
/// one affine node); a model that uses a parameter several times per example (a convolution's
/// kernel) gets the same numbers for every thread count, which may differ from one tape's in the
/// last bit.
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
pub trait Replicate: Module + Sized {
    /// Everything about the model but its parameters' numbers (`Send`, `Sync`).
    type Shape: Send + Sync + Clone;

    /// The model's shape.
    fn shape(&self) -> Self::Shape;

    /// A model of this shape whose parameters are new leaves on the current thread's tape, created
    /// one after another in [`Module::parameters`] order, holding `params`.
    ///
    /// # Panics
    /// If `params` does not have one number per parameter of the shape.
    fn replicate(shape: &Self::Shape, params: &[f64]) -> Self;

    /// How many units a training-mode [`Dropout`](super::Dropout) decides on in one example's
    /// forward pass.
    fn dropout_units(&self) -> usize;
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
}
