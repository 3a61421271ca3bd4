//! Gradients of Rust functions: [`value_and_grad`], [`grad`] and [`value_and_grad_into`], after
//! JAX's `grad`. The function takes its inputs as `Value`s and returns a `Value`; the tape is
//! handled inside (a mark before, a rewind after), so calling these in a loop keeps memory flat.
//! For a function evaluated many times at new points, [`Graph`](crate::Graph) records it once and
//! replays it faster.

use crate::engine::{Tape, Value};
use std::cell::RefCell;

thread_local! {
    /// The input handles of the last call, kept so that `value_and_grad_into` does not allocate
    /// once warm. Taken out while a call runs (a nested call then makes its own).
    static INPUTS: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// The value of `f` at `x` and its gradient `∂f/∂xᵢ`.
///
/// `f` gets one `Value` per entry of `x`. Whatever it records on the tape is rewound afterwards, so
/// the tape is as long after the call as before. Values `f` captures from outside (a model's
/// parameters) are constants as far as the gradient goes, but, as with any backward pass, their
/// own gradients grow by `∂f/∂p`.
///
/// ```
/// // f(x, y) = x²·y + y  →  ∇f = (2xy, x² + 1)
/// let (v, g) = micrograd::value_and_grad(|v| v[0] * v[0] * v[1] + v[1], &[3.0, 2.0]);
/// assert_eq!((v, g), (20.0, vec![12.0, 10.0]));
/// ```
///
/// # Panics
/// If `f` panics (the nodes it recorded stay on the tape until it is rewound or cleared).
pub fn value_and_grad<F: Fn(&[Value]) -> Value>(f: F, x: &[f64]) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; x.len()];
    let v = value_and_grad_into(f, x, &mut g);
    (v, g)
}

/// The gradient of `f` at `x` (see [`value_and_grad`]).
///
/// ```
/// let g = micrograd::grad(|v| (v[0] * v[1]).tanh(), &[0.0, 2.0]);
/// assert_eq!(g, vec![2.0, 0.0]); // tanh'(0) = 1
/// ```
pub fn grad<F: Fn(&[Value]) -> Value>(f: F, x: &[f64]) -> Vec<f64> {
    value_and_grad(f, x).1
}

/// The value of `f` at `x`, with its gradient written into `g` (overwritten, not added to): no
/// allocation once the tape and an internal list of input handles have grown to the function's size.
/// See [`value_and_grad`].
///
/// # Panics
/// If `g` is not as long as `x`, or if `f` panics.
pub fn value_and_grad_into<F: Fn(&[Value]) -> Value>(f: F, x: &[f64], g: &mut [f64]) -> f64 {
    assert_eq!(
        x.len(),
        g.len(),
        "micrograd: value_and_grad_into: {} inputs but a gradient buffer of {}",
        x.len(),
        g.len()
    );
    let mut inputs = INPUTS.with(|c| std::mem::take(&mut *c.borrow_mut()));
    let mark = Tape::mark();
    inputs.clear();
    inputs.extend(x.iter().map(|&v| Value::new(v)));
    let y = f(&inputs);
    y.backward();
    let v = y.data();
    // (the inputs are fresh leaves, so their gradients are exactly this pass's)
    Tape::read_grads(&inputs, g);
    Tape::rewind(mark);
    inputs.clear();
    INPUTS.with(|c| *c.borrow_mut() = inputs);
    v
}
