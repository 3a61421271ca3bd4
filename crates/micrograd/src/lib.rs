//! # micrograd
//!
//! A tiny scalar-valued reverse-mode autograd engine, after Andrej Karpathy's
//! [micrograd](https://github.com/karpathy/micrograd), rebuilt in Rust to be fast and safe on graphs of
//! millions of nodes.
//!
//! ```
//! use micrograd::Value;
//!
//! let a = Value::new(-4.0);
//! let b = Value::new(2.0);
//! let c = (a * b + 1.0).relu();   // no clones, no references: Values are Copy
//! let d = c + a.pow(2) - b / 2.0;
//! d.backward();
//! println!("{d}");                // Value(data=15.0000, grad=1.0000)
//! assert_eq!(a.grad(), -8.0);     // dd/da = 2a (relu is off here)
//! ```
//!
//! ## Design
//!
//! Every [`Value`] is a 16-byte `Copy` handle into a per-thread arena, the [`Tape`]: creating a value
//! appends a 28-byte node, creation order is a topological order, and [`Value::backward`] is one
//! reverse sweep over the tape. A training loop keeps its memory flat with [`Tape::mark`] and
//! [`Tape::rewind`]; a handle whose node was rewound panics instead of reading another node. How the
//! engine works, and the trade-offs of each choice, are on one page: the [`engine`] module's
//! documentation. Each operation is one line of the engine's op table (`engine/ops.rs`), which the
//! backward sweep, the calculator ([`expr`]) and the graph picture ([`viz`]) take it from.
//!
//! The rest of the crate builds on the engine: [`nn`] (neurons, layers, MLPs), [`loss`], [`optim`],
//! [`train`] (micrograd's demo loop and a general `fit`), [`gpt`] (microgpt), [`data`] (data sets),
//! [`expr`] (a calculator over `Value`s) and [`viz`] (Graphviz pictures of graphs).
//!
//! **Gradients of Rust functions**: [`value_and_grad`] and [`grad`] differentiate any
//! `Fn(&[Value]) -> Value`; [`Graph`] records one once and replays it for new inputs, without the
//! tape; with the feature `argmin`, the `argmin` module makes either an argmin problem.

#![warn(missing_docs)]

pub mod augment;
pub mod data;
pub mod datasets;
pub mod engine;
pub mod expr;
mod func;
pub mod gpt;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod preprocess;
pub mod train;
pub mod viz;

pub use engine::{Check, Exponent, Graph, GraphError, Mark, Op, Tape, TapeFull, Value};
pub use func::{grad, value_and_grad, value_and_grad_into};

#[cfg(feature = "argmin")]
pub mod argmin;
