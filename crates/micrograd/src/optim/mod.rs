//! Optimizers, learning-rate schedules and gradient clipping, with the update rules of PyTorch's
//! `torch.optim` (checked step for step against it in `tests/optim.rs`).
//!
//! An optimizer is given the model's parameter list on every [`Optimizer::step`]: it reads each
//! parameter's [`grad`](Value::grad) and writes its new value with [`set_data`](Value::set_data). Its
//! per-parameter state (momentum buffers, Adam's moments) is kept in `Vec<f64>`s aligned with that list,
//! created on the first step; so pass **the same parameters in the same order** every time (a list of a
//! different length panics).
//!
//! ```
//! use micrograd::optim::{clip_grad_norm, Adam, Optimizer, Schedule, Span};
//! use micrograd::{Tape, Value};
//!
//! // Minimize (x - 3)² + (y + 1)².
//! let params = [Value::new(0.0), Value::new(0.0)];
//! let mut opt = Adam::new(0.1);
//! let schedule = Schedule::Cosine { over: Span::Steps(500), min_lr: 0.0 };
//! let mark = Tape::mark();
//! for step in 0..500 {
//!     let loss = (params[0] - 3.0).pow(2) + (params[1] + 1.0).pow(2);
//!     opt.zero_grad(&params);
//!     loss.backward();
//!     clip_grad_norm(&params, 10.0);
//!     opt.set_lr(schedule.lr(0.1, step));
//!     opt.step(&params);
//!     Tape::rewind(mark);
//! }
//! assert!((params[0].data() - 3.0).abs() < 1e-3);
//! assert!((params[1].data() + 1.0).abs() < 1e-3);
//! ```
//!
//! ## How the parts fit
//!
//! * this file: the [`Optimizer`] trait every optimizer implements, and how they keep their
//!   per-parameter state;
//! * `sgd.rs`: [`Sgd`] (momentum, dampening, Nesterov, weight decay);
//! * `adam.rs`: [`Adam`] and [`AdamW`], one implementation with coupled or decoupled decay, and
//!   [`AdamFormula`], PyTorch's or microgpt's order of operations;
//! * `rmsprop.rs`, `adagrad.rs`: [`RmsProp`] and [`Adagrad`];
//! * `schedule.rs`: [`Schedule`], the learning rate as a function of the step, over [`Span`]s;
//! * `clip.rs`: [`grad_norm`] and [`clip_grad_norm`].

use crate::Value;

mod adagrad;
mod adam;
mod clip;
mod rmsprop;
mod schedule;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::{Adam, AdamFormula, AdamW};
pub use clip::{clip_grad_norm, grad_norm};
pub use rmsprop::RmsProp;
pub use schedule::{Schedule, Span};
pub use sgd::Sgd;

/// A gradient-descent optimizer: updates parameters in place from their gradients.
///
/// Object safe, so a program can pick one at run time (`Box<dyn Optimizer>`).
pub trait Optimizer {
    /// Applies one update to every parameter in `params` from its current gradient (which it does not
    /// change). Pass the same parameters, in the same order, on every call.
    ///
    /// # Panics
    /// If the optimizer keeps per-parameter state (SGD with momentum, Adam, AdamW) and `params` has a
    /// different length than on the first call.
    fn step(&mut self, params: &[Value]);

    /// The learning rate the next [`step`](Optimizer::step) will use.
    fn lr(&self) -> f64;

    /// Sets the learning rate for the following steps (how a [`Schedule`] drives the optimizer). The
    /// optimizer's state is kept.
    fn set_lr(&mut self, lr: f64);

    /// Sets every parameter's gradient to 0 (call it before each `backward`, since gradients
    /// accumulate).
    fn zero_grad(&self, params: &[Value]) {
        for p in params {
            p.zero_grad();
        }
    }

    /// The number of steps taken so far.
    fn steps(&self) -> u64;
}

/// Creates the per-parameter state on the first step; afterwards checks the list has not changed size.
fn ensure_state(name: &str, state: &mut [&mut Vec<f64>], steps: u64, n: usize) {
    for s in state.iter_mut() {
        if steps == 0 && s.is_empty() {
            s.resize(n, 0.0);
        }
        assert_eq!(
            s.len(),
            n,
            "micrograd::optim::{name}::step: got {n} parameters, but the optimizer's state was built for \
             {}; pass the same parameter list on every step",
            s.len()
        );
    }
}

/// `a + w·(b - a)`, evaluated as PyTorch's `lerp` does (from the nearer end).
pub(super) fn lerp(a: f64, b: f64, w: f64) -> f64 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}
