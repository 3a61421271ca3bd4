//! The nonlinearity a neuron applies to its affine sum: its node, its plain-`f64` form and its names.

use crate::engine::{Op, Value};
use std::fmt;
use std::str::FromStr;

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
    pub(super) fn repr_name(self) -> &'static str {
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
