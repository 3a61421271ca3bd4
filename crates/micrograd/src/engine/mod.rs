//! The autograd engine: [`Value`], its operations, and the [`Tape`] they are recorded on.
//!
//! ## How it works
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
//! **One place per operation.** Each op's forward formula and local derivative sit side by side on one
//! line of the op table (`ops.rs`); the backward sweep takes its arms from it. The n-ary ops
//! ([`Value::sum`], [`Value::dot`], [`Value::affine`]) record a whole sum or dot product as one node,
//! which is how a neuron costs one node instead of `2n`.
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
//! every link: the latency of a value stored and read back would otherwise dominate it. (The sweep
//! also tests for `+` and `·`, most chains' links, with one compare before its jump table.)
//!
//! **A little `unsafe`, each site with its invariant.** The tape is reached through a thread-local raw
//! pointer instead of a `RefCell` (whose borrow flag and destructor check would sit on every
//! operation), nodes are written without bounds checks, and the backward sweep reads without them;
//! each site states the invariant it rests on in a `// SAFETY:` comment. The engine's panics (a stale
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
//! every run. What each choice buys in speed, and how to measure it, is in `docs/performance.md`.
//!
//! ## Where things are
//!
//! | file | what |
//! | --- | --- |
//! | `ops.rs` | the op table: one line per op (forward, derivative, math); [`Op`] |
//! | `value.rs` | [`Value`]: constructors, data and grad, inputs and labels, sum/dot/affine/matvec |
//! | `operators.rs` | `+ - * /` and the rest, [`Exponent`], `Sum`/`Product`, `Display`/`Debug` |
//! | `tape.rs` | the public [`Tape`] API and [`Mark`] |
//! | `storage.rs` | the tape's columns: growing, pushing nodes and constants, rewinding |
//! | `access.rs` | the thread-local tape pointer, `with_tape`, and panics raised inside it |
//! | `handles.rs` | handle validity: which handles are live, which carry current values |
//! | `backward.rs` | `backward`'s driver and the sweep, `propagate` |
//! | `kernels.rs` | the sum and dot-product loops of the n-ary ops, forward and backward |
//! | `replay/` | [`Graph`]: a function's graph recorded once and replayed, forward and backward; the demo trainer's replayed step (`record.rs`, `run.rs`) |

mod access;
mod backward;
mod handles;
mod kernels;
mod operators;
mod ops;
mod replay;
mod storage;
mod tape;
#[cfg(test)]
mod tests;
mod value;

pub use operators::Exponent;
pub use ops::Op;
pub(crate) use ops::{op_table, sigmoid};
pub(crate) use replay::{record_above, Replay};
pub use replay::{Check, Graph, GraphError};
pub use tape::{Mark, Tape, TapeFull};
pub use value::Value;

/// Marks "no input" in a node's input slot (leaves).
const NO_INPUT: u32 = u32::MAX;

/// The most nodes a tape holds (2³¹ − 1, some 60 GB of tape), and also the most rewinds: keeping
/// indices and epochs below 2³¹ lets the validity check run on signed 32-bit lanes.
const MAX_NODES: u32 = i32::MAX as u32;

/// "No bound": every index is below it.
const NO_BOUND: u32 = MAX_NODES;

/// Marks the path it is called on as the unlikely one, so that the compiler lays out the other as the
/// straight line: a taken branch ends the processor's fetch block, so the usual path of a hot loop
/// (the backward sweep's) should not jump about.
#[cold]
#[inline(always)]
fn cold() {}
