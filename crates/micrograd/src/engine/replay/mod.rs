//! [`Graph`]: a function's graph recorded once on the tape, copied out, and replayed (forward and
//! backward) for new inputs without the tape, without handles and without allocating.
//!
//! - this file: [`Graph`] (the function and its replay), [`GraphError`], [`Graph::check`]'s [`Check`];
//! - `record.rs`: recording: a function traced at a point, or what a caller computed above a mark
//!   from declared leaves (a model's parameters, for the demo trainer), copied out re-indexed from 0;
//! - `run.rs`: [`Replay`], the recorded columns (the tape's own layout) and the two passes, whose
//!   formulas and derivatives come from the op table (`forward!` and `dispatch!`, `ops.rs`), so that
//!   an op added to the table is replayed with no change here, and the replay equals an eager run
//!   bit for bit.

mod record;
mod run;

use record::record;
pub(crate) use record::record_above;
pub(crate) use run::Replay;

use super::ops::Kind;
use super::Value;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A function of `n` inputs recorded once ([`Graph::trace`]) and then evaluated, with its gradient,
/// for any inputs ([`Graph::value_and_grad`]) by replaying the recorded operations: no tape, no handle
/// checks, no allocation, the same numbers as an eager run, bit for bit.
///
/// **What is frozen and what is not.** The replay re-runs the *ops* of the graph, so the ops' own
/// branches are taken afresh for every input: `relu`, `max`, `min`, `abs` and the rest follow the new
/// values. The *Rust code* of the function is not re-run: an `if x[0].data() > 0.0`, a loop whose
/// length depends on a value, or an early `return` took the path of the point it was traced at, and
/// the replay keeps that path for every input. If the function's control flow depends on values,
/// use [`value_and_grad`](crate::value_and_grad), or check the replay at the points that matter with
/// [`Graph::check`], which says whether a new trace there would record a different graph.
///
/// Numbers created inside the function (`Value::new(2.0)`, `x * 3.0`) are constants of the graph.
/// Values created outside it and captured by the closure are refused ([`GraphError::Captured`]): the
/// replay could not see them change. Pass them as inputs. [`Value::custom`] is refused too (its
/// derivative was evaluated once).
///
/// ```
/// use micrograd::Graph;
///
/// // f(x, y) = x·y + max(x, 0)
/// let mut g = Graph::trace(2, |v| v[0] * v[1] + v[0].max(0.0)).unwrap();
/// let mut grad = [0.0; 2];
/// assert_eq!(g.value_and_grad(&[3.0, 2.0], &mut grad).unwrap(), 9.0);
/// assert_eq!(grad, [3.0, 3.0]);                  // (y + 1, x): max takes x
/// assert_eq!(g.value_and_grad(&[-3.0, 2.0], &mut grad).unwrap(), -6.0);
/// assert_eq!(grad, [2.0, -3.0]);                 // (y, x): max takes 0, re-evaluated
/// ```
pub struct Graph<F> {
    f: F,
    replay: Replay,
}

/// Why a [`Graph`] could not be traced or replayed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GraphError {
    /// The replay was given `got` inputs (or a gradient buffer of `got` entries) for a graph of
    /// `expected` inputs.
    WrongLength {
        /// What the slice was (`"inputs"` or `"gradient"`).
        what: &'static str,
        /// The graph's number of inputs.
        expected: usize,
        /// The slice's length.
        got: usize,
    },
    /// Input `index` is NaN: the replay would return NaN for the value or some gradient, and does
    /// not run.
    NanInput {
        /// The first NaN input.
        index: usize,
    },
    /// The traced function panicked, with this message; the tape was rewound to where it was and is
    /// usable.
    Panicked(String),
    /// The traced function used a `Value` created outside it (node `node` of the tape); pass it as
    /// an input instead.
    Captured {
        /// The captured value's position on the tape.
        node: usize,
    },
    /// The traced function used [`Value::custom`], whose derivative cannot be re-evaluated.
    Custom,
    /// The traced function rewound the tape below the point the trace began at.
    Rewound,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::WrongLength {
                what,
                expected,
                got,
            } => write!(
                f,
                "micrograd: the graph takes {expected} inputs, but the {what} slice has {got}"
            ),
            GraphError::NanInput { index } => {
                write!(f, "micrograd: input {index} of the graph is NaN")
            }
            GraphError::Panicked(msg) => {
                write!(f, "micrograd: the traced function panicked: {msg}")
            }
            GraphError::Captured { node } => write!(
                f,
                "micrograd: the traced function uses a Value created outside it (tape node #{node}): \
                 pass it as an input"
            ),
            GraphError::Custom => write!(
                f,
                "micrograd: the traced function uses Value::custom, which a graph cannot replay \
                 (its derivative was evaluated once)"
            ),
            GraphError::Rewound => write!(
                f,
                "micrograd: the traced function rewound the tape below the start of its trace"
            ),
        }
    }
}

impl std::error::Error for GraphError {}

/// What [`Graph::check`] found at a point: the replay's and an eager run's value and gradient, and
/// whether a trace at that point records the same graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The replay's value and gradient.
    pub replay: (f64, Vec<f64>),
    /// An eager run's ([`value_and_grad`](crate::value_and_grad)) value and gradient.
    pub eager: (f64, Vec<f64>),
    /// Whether tracing the function at the point records the same graph (the same ops, inputs and
    /// constants) as the one traced: false when the function's Rust control flow took another path
    /// there.
    pub same_graph: bool,
}

impl Check {
    /// Whether the replay is right at the point: the same graph, and the same value and gradient as
    /// the eager run, bit for bit (NaNs count as equal to NaNs).
    pub fn agrees(&self) -> bool {
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        self.same_graph
            && same(self.replay.0, self.eager.0)
            && self.replay.1.len() == self.eager.1.len()
            && self
                .replay
                .1
                .iter()
                .zip(&self.eager.1)
                .all(|(&a, &b)| same(a, b))
    }

    /// The largest absolute difference between the replay's and the eager run's value and gradient
    /// entries (NaN if either has a NaN where the other has not).
    pub fn max_difference(&self) -> f64 {
        let diff = |a: f64, b: f64| {
            if a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) {
                0.0
            } else {
                (a - b).abs()
            }
        };
        let grads = self.replay.1.iter().zip(&self.eager.1);
        grads.fold(diff(self.replay.0, self.eager.0), |m, (&a, &b)| {
            let d = diff(a, b);
            if d.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(d)
            }
        })
    }
}

impl<F: Fn(&[Value]) -> Value> Graph<F> {
    /// Records `f` as a graph of `n_inputs` inputs, tracing it with every input 0. The point of the
    /// trace decides the path of the function's own control flow (see [`Graph`]): to trace at
    /// another, use [`Graph::trace_at`].
    ///
    /// # Errors
    /// If `f` panics ([`GraphError::Panicked`]; the tape is rewound and usable), uses a value
    /// created outside it ([`GraphError::Captured`]) or [`Value::custom`] ([`GraphError::Custom`]),
    /// or rewinds the tape below the trace ([`GraphError::Rewound`]).
    pub fn trace(n_inputs: usize, f: F) -> Result<Graph<F>, GraphError> {
        Self::trace_at(&vec![0.0; n_inputs], f)
    }

    /// Records `f` as a graph of `x.len()` inputs, tracing it at `x`. See [`Graph::trace`].
    pub fn trace_at(x: &[f64], f: F) -> Result<Graph<F>, GraphError> {
        let cols = record(&f, x)?;
        Ok(Graph {
            f,
            replay: Replay::new(cols, x.len()),
        })
    }

    /// The number of inputs.
    pub fn n_inputs(&self) -> usize {
        self.replay.n_inputs()
    }

    /// The number of nodes the graph replays (inputs and constants included).
    pub fn len(&self) -> usize {
        self.replay.len()
    }

    /// Whether the graph has no nodes (never: it has at least its output).
    pub fn is_empty(&self) -> bool {
        self.replay.len() == 0
    }

    /// The function's value at `x`, by a forward replay.
    ///
    /// # Errors
    /// If `x` has the wrong length or holds a NaN.
    pub fn value(&mut self, x: &[f64]) -> Result<f64, GraphError> {
        self.load(x)?;
        Ok(self.replay.forward())
    }

    /// The function's value at `x`, with its gradient written into `grad`: a forward replay and a
    /// backward sweep over the recorded graph, with the same numbers an eager run gives, bit for bit
    /// (the ops' branches re-evaluated at `x`, the function's Rust control flow as traced).
    /// Allocates nothing.
    ///
    /// # Errors
    /// If `x` or `grad` does not have one entry per input, or `x` holds a NaN; `grad` is then left
    /// as it was.
    pub fn value_and_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Result<f64, GraphError> {
        if grad.len() != self.n_inputs() {
            return Err(GraphError::WrongLength {
                what: "gradient",
                expected: self.n_inputs(),
                got: grad.len(),
            });
        }
        self.load(x)?;
        let v = self.replay.forward();
        self.replay.backward(grad);
        Ok(v)
    }

    /// Compares the replay with an eager run of the function at `x`, and says whether a trace at `x`
    /// records the same graph (if not, the function's control flow takes another path there and the
    /// replay is not the function at `x`). For tests and for checking a replay before relying on it.
    ///
    /// # Errors
    /// As for [`Graph::value_and_grad`], and if the function panics at `x`.
    pub fn check(&mut self, x: &[f64]) -> Result<Check, GraphError> {
        let n_inputs = self.n_inputs();
        let mut g = vec![0.0; n_inputs];
        let v = self.value_and_grad(x, &mut g)?;
        let rec = record(&self.f, x)?;
        let (data, meta, consts, extra) = self.replay.parts();
        // Leaves other than the inputs are constants: they must match too (bit for bit, as a
        // constant recorded from a value would differ if the path did).
        let same_leaves = meta
            .iter()
            .zip(data.iter().zip(&rec.data))
            .skip(n_inputs)
            .all(|(m, (a, b))| m.op != Kind::Leaf || a.to_bits() == b.to_bits());
        let same_meta = meta.len() == rec.meta.len()
            && meta
                .iter()
                .zip(&rec.meta)
                .all(|(a, b)| (a.a, a.b, a.op) == (b.a, b.b, b.op));
        let same_graph = rec.output == self.replay.output()
            && same_meta
            && same_leaves
            && extra == rec.extra
            && consts
                .iter()
                .map(|c| c.to_bits())
                .eq(rec.consts.iter().map(|c| c.to_bits()));
        let eager = panic_free(|| crate::value_and_grad(&self.f, x))?;
        Ok(Check {
            replay: (v, g),
            eager,
            same_graph,
        })
    }

    /// Copies `x` into the input nodes, after checking it.
    fn load(&mut self, x: &[f64]) -> Result<(), GraphError> {
        if x.len() != self.n_inputs() {
            return Err(GraphError::WrongLength {
                what: "inputs",
                expected: self.n_inputs(),
                got: x.len(),
            });
        }
        if let Some(index) = x.iter().position(|v| v.is_nan()) {
            return Err(GraphError::NanInput { index });
        }
        self.replay.inputs_mut().copy_from_slice(x);
        Ok(())
    }
}

impl<F> fmt::Debug for Graph<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graph")
            .field("n_inputs", &self.replay.n_inputs())
            .field("nodes", &self.replay.len())
            .finish_non_exhaustive()
    }
}

/// Runs `f`, turning a panic into [`GraphError::Panicked`] with its message.
pub(super) fn panic_free<R>(f: impl FnOnce() -> R) -> Result<R, GraphError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(a panic without a message)".to_string());
        GraphError::Panicked(msg)
    })
}
