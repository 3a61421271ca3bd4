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

use crate::engine::{Op, Tape, Value};
use rand::{Rng, SeedableRng};
use std::fmt;
use std::str::FromStr;

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

/// The nonlinearity a neuron applies to `b + w·x`.
///
/// ```
/// use micrograd::nn::Activation;
/// use micrograd::Value;
/// assert_eq!(Activation::Relu.apply(Value::new(-2.0)).data(), 0.0);
/// assert_eq!(Activation::Linear.apply(Value::new(-2.0)).data(), -2.0);
/// assert_eq!("tanh".parse::<Activation>().unwrap(), Activation::Tanh);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `max(0, z)`; its derivative at 0 is taken as 0, like micrograd.
    Relu,
    /// `tanh(z)`.
    Tanh,
    /// `1 / (1 + e^-z)`, the engine's numerically stable sigmoid.
    Sigmoid,
    /// The identity: no node is added.
    Linear,
}

impl Activation {
    /// Applies the activation. [`Activation::Linear`] returns `z` itself (no new node).
    pub fn apply(self, z: Value) -> Value {
        match self {
            Activation::Relu => z.relu(),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => z.sigmoid(),
            Activation::Linear => z,
        }
    }

    /// The engine op the activation applies (`None` for [`Activation::Linear`], which applies none).
    fn op(self) -> Option<Op> {
        match self {
            Activation::Relu => Some(Op::Relu),
            Activation::Tanh => Some(Op::Tanh),
            Activation::Sigmoid => Some(Op::Sigmoid),
            Activation::Linear => None,
        }
    }

    /// The same function on a plain number: the engine op's own formula, so the same number as
    /// [`Activation::apply`] gives.
    pub fn apply_f64(self, z: f64) -> f64 {
        self.op().map_or(z, |op| op.forward_f64(z))
    }

    /// The lowercase name: `relu`, `tanh`, `sigmoid` or `linear` (what [`FromStr`] accepts): the
    /// engine op's symbol.
    pub fn name(self) -> &'static str {
        self.op().map_or("linear", Op::symbol)
    }

    /// The prefix micrograd's `repr` uses: `ReLU`, `Tanh`, `Sigmoid`, `Linear`.
    fn repr_name(self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::Tanh => "Tanh",
            Activation::Sigmoid => "Sigmoid",
            Activation::Linear => "Linear",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;

    /// Parses `relu`, `tanh`, `sigmoid` or `linear` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "sigmoid" => Ok(Activation::Sigmoid),
            "linear" | "identity" | "none" => Ok(Activation::Linear),
            other => Err(format!(
                "unknown activation `{other}` (expected relu, tanh, sigmoid or linear)"
            )),
        }
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
        f.write_str("Layer of [")?;
        for (i, n) in self.neurons.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        f.write_str("]")
    }
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
        let mark = Tape::mark();
        let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
        let out = self.forward(&xs).iter().map(|v| v.data()).collect();
        Tape::rewind(mark);
        out
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
        f.write_str("MLP of [")?;
        for (i, l) in self.layers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{l}")?;
        }
        f.write_str("]")
    }
}

/// The numbers of one neuron: weights `w` and bias `b`.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronWeights {
    /// The weights, one per input.
    pub w: Vec<f64>,
    /// The bias.
    pub b: f64,
}

/// The numbers of one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerWeights {
    /// The activation of every neuron in the layer.
    pub activation: Activation,
    /// The neurons, in order.
    pub neurons: Vec<NeuronWeights>,
}

/// A tape-free snapshot of an [`MLP`]: its architecture and every parameter value. Plain data, so it
/// can be cloned, compared, sent to other threads and turned back into a model with
/// [`MLP::from_weights`].
#[derive(Clone, Debug, PartialEq)]
pub struct MlpWeights {
    /// The number of inputs.
    pub nin: usize,
    /// The layers, in order.
    pub layers: Vec<LayerWeights>,
}

impl MlpWeights {
    /// The width of every layer.
    pub fn nouts(&self) -> Vec<usize> {
        self.layers.iter().map(|l| l.neurons.len()).collect()
    }

    /// Every parameter in micrograd's order (layer, neuron, weights then bias).
    pub fn flat(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for l in &self.layers {
            for n in &l.neurons {
                out.extend_from_slice(&n.w);
                out.push(n.b);
            }
        }
        out
    }

    /// Checks the shape and that every number is finite; errors name the field.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.nin == 0 {
            return Err(ModelError::field("nin", "must be at least 1"));
        }
        if self.layers.is_empty() {
            return Err(ModelError::field("layers", "needs at least one layer"));
        }
        let mut fan_in = self.nin;
        for (i, l) in self.layers.iter().enumerate() {
            if l.neurons.is_empty() {
                return Err(ModelError::field(
                    format!("layers[{i}].neurons"),
                    "needs at least one neuron",
                ));
            }
            for (j, n) in l.neurons.iter().enumerate() {
                if n.w.len() != fan_in {
                    return Err(ModelError::field(
                        format!("layers[{i}].neurons[{j}].w"),
                        format!(
                            "expected {fan_in} weights (the layer's inputs), found {}",
                            n.w.len()
                        ),
                    ));
                }
                if let Some(k) = n.w.iter().position(|x| !x.is_finite()) {
                    return Err(ModelError::field(
                        format!("layers[{i}].neurons[{j}].w[{k}]"),
                        format!("must be a finite number, found {}", n.w[k]),
                    ));
                }
                if !n.b.is_finite() {
                    return Err(ModelError::field(
                        format!("layers[{i}].neurons[{j}].b"),
                        format!("must be a finite number, found {}", n.b),
                    ));
                }
            }
            fan_in = l.neurons.len();
        }
        Ok(())
    }
}

/// Why a model could not be built or loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// The text is not valid JSON.
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A field is missing, has the wrong type, or the wrong size.
    Field {
        /// The field, like `layers[1].neurons[3].w[0]`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ModelError {
    fn field(path: impl Into<String>, message: impl Into<String>) -> ModelError {
        ModelError::Field {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The field path for [`ModelError::Field`], `None` for syntax errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            ModelError::Field { path, .. } => Some(path),
            ModelError::Syntax { .. } => None,
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Syntax {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line}, column {column}: {message}"),
            ModelError::Field { path, message } => write!(f, "`{path}`: {message}"),
        }
    }
}

impl std::error::Error for ModelError {}

#[cfg(feature = "serde")]
mod json {
    //! The model file: micrograd's demo layout, read field by field so errors can name the field.
    use super::*;
    use serde_json::{json, Map, Value as Json};

    fn kind(v: &Json) -> String {
        match v {
            Json::Null => "null".into(),
            Json::Bool(b) => format!("{b}"),
            Json::Number(n) => format!("the number {n}"),
            Json::String(s) if s.len() <= 40 => format!("the string \"{s}\""),
            Json::String(_) => "a string".into(),
            Json::Array(a) => format!("an array of {}", a.len()),
            Json::Object(_) => "an object".into(),
        }
    }

    fn get<'a>(obj: &'a Map<String, Json>, path: &str, key: &str) -> Result<&'a Json, ModelError> {
        obj.get(key)
            .ok_or_else(|| ModelError::field(join(path, key), "missing"))
    }

    fn join(path: &str, key: &str) -> String {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    }

    fn object<'a>(v: &'a Json, path: &str) -> Result<&'a Map<String, Json>, ModelError> {
        v.as_object().ok_or_else(|| {
            ModelError::field(
                if path.is_empty() { "(top level)" } else { path },
                format!("expected an object, found {}", kind(v)),
            )
        })
    }

    fn array<'a>(v: &'a Json, path: &str) -> Result<&'a [Json], ModelError> {
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| ModelError::field(path, format!("expected an array, found {}", kind(v))))
    }

    fn number(v: &Json, path: &str) -> Result<f64, ModelError> {
        match v.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(ModelError::field(
                path,
                format!("expected a finite number, found {}", kind(v)),
            )),
        }
    }

    fn count(v: &Json, path: &str) -> Result<usize, ModelError> {
        match v.as_u64() {
            Some(n) if n >= 1 => {
                usize::try_from(n).map_err(|_| ModelError::field(path, format!("{n} is too large")))
            }
            _ => Err(ModelError::field(
                path,
                format!("expected a whole number of at least 1, found {}", kind(v)),
            )),
        }
    }

    impl MlpWeights {
        /// Parses the JSON model layout; see [`MLP::from_json`].
        pub fn from_json(text: &str) -> Result<MlpWeights, ModelError> {
            let root: Json = serde_json::from_str(text).map_err(|e| ModelError::Syntax {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
            let top = object(&root, "")?;
            let nin = count(get(top, "", "nin")?, "nin")?;
            let nouts_json = array(get(top, "", "nouts")?, "nouts")?;
            let nouts = nouts_json
                .iter()
                .enumerate()
                .map(|(i, v)| count(v, &format!("nouts[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            let layers_json = array(get(top, "", "layers")?, "layers")?;
            if layers_json.len() != nouts.len() {
                return Err(ModelError::field(
                    "layers",
                    format!(
                        "expected {} layers (the length of `nouts`), found {}",
                        nouts.len(),
                        layers_json.len()
                    ),
                ));
            }
            if nouts.is_empty() {
                return Err(ModelError::field("nouts", "needs at least one layer"));
            }
            let mut layers = Vec::with_capacity(nouts.len());
            let mut fan_in = nin;
            for (i, (lj, &nout)) in layers_json.iter().zip(&nouts).enumerate() {
                let lp = format!("layers[{i}]");
                let lo = object(lj, &lp)?;
                let activation = read_activation(lo, &lp)?;
                let np = format!("{lp}.neurons");
                let neurons_json = array(get(lo, &lp, "neurons")?, &np)?;
                if neurons_json.len() != nout {
                    return Err(ModelError::field(
                        np,
                        format!(
                            "expected {nout} neurons (nouts[{i}]), found {}",
                            neurons_json.len()
                        ),
                    ));
                }
                let mut neurons = Vec::with_capacity(nout);
                for (j, nj) in neurons_json.iter().enumerate() {
                    let p = format!("{lp}.neurons[{j}]");
                    let no = object(nj, &p)?;
                    let wp = format!("{p}.w");
                    let wj = array(get(no, &p, "w")?, &wp)?;
                    if wj.len() != fan_in {
                        return Err(ModelError::field(
                            wp,
                            format!(
                                "expected {fan_in} weights (the layer's inputs), found {}",
                                wj.len()
                            ),
                        ));
                    }
                    let w = wj
                        .iter()
                        .enumerate()
                        .map(|(k, x)| number(x, &format!("{wp}[{k}]")))
                        .collect::<Result<Vec<_>, _>>()?;
                    let b = number(get(no, &p, "b")?, &format!("{p}.b"))?;
                    neurons.push(NeuronWeights { w, b });
                }
                layers.push(LayerWeights {
                    activation,
                    neurons,
                });
                fan_in = nout;
            }
            let weights = MlpWeights { nin, layers };
            weights.validate()?;
            Ok(weights)
        }

        /// The JSON model layout, pretty-printed; see [`MLP::to_json`].
        pub fn to_json(&self) -> String {
            let layers: Vec<Json> = self
                .layers
                .iter()
                .map(|l| {
                    let neurons: Vec<Json> = l
                        .neurons
                        .iter()
                        .map(|n| json!({"w": n.w, "b": n.b}))
                        .collect();
                    json!({
                        "nonlin": l.activation != Activation::Linear,
                        "activation": l.activation.name(),
                        "neurons": neurons,
                    })
                })
                .collect();
            let root = json!({"nin": self.nin, "nouts": self.nouts(), "layers": layers});
            let mut s = serde_json::to_string_pretty(&root).expect("JSON of numbers and strings");
            s.push('\n');
            s
        }
    }

    /// `activation` wins if present (and must agree with `nonlin` if both are given); otherwise
    /// `nonlin: true` means ReLU and `false` linear, micrograd's only two choices.
    fn read_activation(lo: &Map<String, Json>, lp: &str) -> Result<Activation, ModelError> {
        let nonlin = match lo.get("nonlin") {
            None => None,
            Some(Json::Bool(b)) => Some(*b),
            Some(v) => {
                return Err(ModelError::field(
                    format!("{lp}.nonlin"),
                    format!("expected true or false, found {}", kind(v)),
                ))
            }
        };
        let act = match lo.get("activation") {
            None => None,
            Some(Json::String(s)) => Some(
                s.parse::<Activation>()
                    .map_err(|e| ModelError::field(format!("{lp}.activation"), e))?,
            ),
            Some(v) => {
                return Err(ModelError::field(
                    format!("{lp}.activation"),
                    format!(
                        "expected \"relu\", \"tanh\", \"sigmoid\" or \"linear\", found {}",
                        kind(v)
                    ),
                ))
            }
        };
        match (act, nonlin) {
            (Some(a), Some(n)) if (a != Activation::Linear) != n => Err(ModelError::field(
                format!("{lp}.nonlin"),
                format!("is {n} but `activation` is \"{a}\""),
            )),
            (Some(a), _) => Ok(a),
            (None, Some(true)) => Ok(Activation::Relu),
            (None, Some(false)) => Ok(Activation::Linear),
            (None, None) => Err(ModelError::field(
                format!("{lp}.nonlin"),
                "missing (give `nonlin` or `activation`)",
            )),
        }
    }

    impl MLP {
        /// Loads a model from micrograd's demo weight layout:
        ///
        /// ```json
        /// {"nin": 2, "nouts": [16, 16, 1],
        ///  "layers": [{"nonlin": true, "neurons": [{"w": [0.23, 0.06], "b": 0.0}, ...]}, ...]}
        /// ```
        ///
        /// `nonlin: true` is ReLU, `false` linear; an optional `"activation"` (`relu`, `tanh`,
        /// `sigmoid`, `linear`) selects any activation. Unknown fields are ignored. Every number is read
        /// exactly (shortest round-trip decimals give back the same doubles).
        ///
        /// # Errors
        /// Invalid JSON (with line and column), a missing field, a field of the wrong type, a
        /// non-finite number, or a wrong shape; the error names the field, like
        /// `layers[1].neurons[3].w[0]`. Never panics.
        ///
        /// ```
        /// use micrograd::nn::MLP;
        /// let text = r#"{"nin": 1, "nouts": [1],
        ///     "layers": [{"nonlin": false, "neurons": [{"w": [2.0], "b": 1.0}]}]}"#;
        /// let model = MLP::from_json(text).unwrap();
        /// assert_eq!(model.predict(&[3.0]), vec![7.0]);
        ///
        /// let bad = text.replace("[2.0]", "[\"2\"]");
        /// let err = MLP::from_json(&bad).unwrap_err();
        /// assert_eq!(err.path(), Some("layers[0].neurons[0].w[0]"));
        /// ```
        pub fn from_json(text: &str) -> Result<MLP, ModelError> {
            MLP::from_weights(&MlpWeights::from_json(text)?)
        }

        /// Saves the model in the layout [`MLP::from_json`] reads, with every number in shortest
        /// round-trip form, so loading gives back exactly the same parameters. Each layer gets both
        /// micrograd's `nonlin` flag and an `activation` name.
        pub fn to_json(&self) -> String {
            self.to_weights().to_json()
        }
    }
}

/// Inverted dropout, with a train/eval mode switch and its own seeded random generator.
///
/// In **train** mode, [`Dropout::apply`] replaces each unit `h` independently with probability `p` by
/// the constant 0 (no gradient flows to it) and otherwise by `h · 1/(1 - p)` (one
/// [`Value`] node, gradient `1/(1 - p)`), so each unit's expected value is unchanged. In **eval** mode,
/// and whenever `p = 0`, it is the identity: it returns the very same handles and adds no node.
///
/// The generator is a [`rand::rngs::StdRng`] seeded at construction: the same seed and the same
/// sequence of calls drop the same units.
///
/// ```
/// use micrograd::nn::Dropout;
/// use micrograd::Value;
/// let h: Vec<Value> = (0..1000).map(|_| Value::new(1.0)).collect();
/// let mut dropout = Dropout::new(0.5, 7);
/// let out = dropout.apply(&h);                           // train mode
/// let zeros = out.iter().filter(|v| v.data() == 0.0).count();
/// assert!((400..600).contains(&zeros));
/// assert!(out.iter().all(|v| v.data() == 0.0 || v.data() == 2.0));
/// dropout.eval();
/// assert_eq!(dropout.apply(&h), h);                      // the identity
/// ```
#[derive(Clone, Debug)]
pub struct Dropout {
    p: f64,
    training: bool,
    rng: rand::rngs::StdRng,
}

impl Dropout {
    /// Dropout with probability `p` of zeroing a unit, in train mode, its generator seeded from `seed`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)` (NaN included).
    pub fn new(p: f64, seed: u64) -> Dropout {
        assert!(
            (0.0..1.0).contains(&p),
            "micrograd::nn::Dropout: p must be in [0, 1), got {p}"
        );
        Dropout {
            p,
            training: true,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        }
    }

    /// The drop probability `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Switches to train mode (units are dropped).
    pub fn train(&mut self) {
        self.training = true;
    }

    /// Switches to eval mode (the identity).
    pub fn eval(&mut self) {
        self.training = false;
    }

    /// Whether it is in train mode.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// Applies dropout to the units `h` (see the type's docs).
    pub fn apply(&mut self, h: &[Value]) -> Vec<Value> {
        if !self.training || self.p == 0.0 {
            return h.to_vec();
        }
        let scale = 1.0 / (1.0 - self.p);
        h.iter()
            .map(|&v| {
                if self.rng.random::<f64>() < self.p {
                    Value::new(0.0)
                } else {
                    v * scale
                }
            })
            .collect()
    }
}

impl MLP {
    /// [`MLP::forward`] with `dropout` applied to the output of every hidden layer (after its
    /// activation), never to the inputs or to the last layer's outputs. With `dropout` in eval mode (or
    /// `p = 0`) this is exactly [`MLP::forward`].
    ///
    /// # Panics
    /// If `x.len() != self.nin()`.
    ///
    /// ```
    /// use micrograd::nn::{Dropout, MLP};
    /// use micrograd::Value;
    /// let model = MLP::seeded(2, &[8, 1], 1);
    /// let x = [Value::new(0.5), Value::new(-1.0)];
    /// let mut dropout = Dropout::new(0.5, 3);
    /// dropout.eval();
    /// assert_eq!(model.forward_with_dropout(&x, &mut dropout)[0].data(), model.forward(&x)[0].data());
    /// ```
    pub fn forward_with_dropout(&self, x: &[Value], dropout: &mut Dropout) -> Vec<Value> {
        let mut h = self.layers[0].forward(x);
        for layer in &self.layers[1..] {
            h = dropout.apply(&h);
            h = layer.forward(&h);
        }
        h
    }
}
