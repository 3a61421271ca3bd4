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
//! **A tape, not a graph of pointers.** Every [`Value`] is a 16-byte `Copy` handle (an index, an epoch
//! number and a copy of its node's value) into a contiguous arena, the [`Tape`], which each thread owns.
//! Creating a value appends its forward value to one array, 12 bytes of metadata (two input indices and
//! the op) to another and a zeroed gradient to a third: 28 bytes a node. An op's constant (`x * 2.0`)
//! goes to a side array, and the inputs of n-ary nodes to another. There is no `Rc<RefCell<_>>`, no heap
//! allocation and no closure per node. Creation order is a topological order (a node's inputs always
//! exist before it), so [`Value::backward`] is one reverse sweep over the tape, with no recursion, no
//! visited set and no sort: graphs of tens of millions of nodes backpropagate in constant stack space.
//!
//! **One place per operation.** Each op's forward formula and local derivative sit side by side in one
//! table in `engine.rs`; the backward sweep is generated from it. The n-ary ops ([`Value::sum`],
//! [`Value::dot`], [`Value::affine`]) record a whole sum or dot product as one node, which is how a
//! neuron costs one node instead of `2n`.
//!
//! **Memory stays flat in training.** The tape only grows while you compute. Take a [`Tape::mark`]
//! after creating a model's parameters and [`Tape::rewind`] to it after every step: the step's graph is
//! dropped, its memory kept for the next step, the parameters keep their data and grads. Every handle
//! records the epoch it was made in (epochs begin at rewinds), and the tape keeps a short log of the marks
//! it was rewound to: a handle whose node was rewound panics with a clear message and can never silently
//! read a newer node that reused its slot. The check costs a few register comparisons, and no memory per
//! node.
//!
//! **Values ride in their handles.** An operation reads its inputs' values from the handles, not from the
//! tape, whenever the tape can vouch that they are current: the handle is from the current epoch, or an
//! older one below every mark rewound to since (a model's parameters), and no write has begun an epoch
//! since. [`Value::set_data`] and [`Tape::write_data`] begin one when a handle might hold a copy of the
//! value they overwrite, so a copy is never used stale (an optimizer's writes to the parameters begin at
//! most one epoch per step). Together with a backward sweep that keeps a chain's running adjoint and a
//! reused weight's adjoint in registers, this keeps a long chain of operations from waiting on memory at
//! every link: the latency of a value stored and read back is what used to dominate it. (The sweep
//! also tests for `+` and `·`, most chains' links, with one compare before its jump table.)
//!
//! **A little `unsafe`, measured and checked.** The tape is reached through a thread-local raw pointer
//! instead of a `RefCell` (whose borrow flag and destructor check on every operation made a chain 40%
//! slower), nodes are written without bounds checks, and the backward sweep reads without them; each
//! site states the invariant it rests on in a `// SAFETY:` comment. The engine's panics (a stale
//! handle, say) are raised with the tape made unavailable, so that a panic hook that uses micrograd
//! aborts the process rather than alias the tape. Debug builds check that the tape is never accessed
//! re-entrantly, and the engine's tests run under Miri:
//! `MIRIFLAGS=-Zmiri-deterministic-floats cargo +nightly miri test -p micrograd --test engine`
//! (`.ci/run` does).
//!
//! **Gradients accumulate** over `backward` calls until zeroed, like micrograd's `+=`. The sweep writes
//! into the gradient array directly when no interior node already holds a gradient (the normal case in a
//! training loop), and otherwise through a scratch array, so that a second call adds its own
//! contributions instead of re-propagating the first call's. (The direct path adds contributions to a
//! gradient one at a time, as micrograd's `+=` does; the scratch path adds their sum: the two can
//! differ in the last bit.)
//!
//! **Trade-offs.** A thread-local tape makes expressions as terse as Python's, at the price that values
//! cannot cross threads (`Value` is `!Send`) and that a graph's memory is freed by rewinding, not by
//! dropping handles. Results are deterministic: the same program gives bit-identical values and grads on
//! every run.

#![warn(missing_docs)]

pub mod augment;
pub mod data;
pub mod datasets;
pub mod engine;
pub mod expr;
pub mod gpt;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod preprocess;
pub mod train;
pub mod viz;

pub use engine::{Exponent, Mark, Op, Tape, Value};
