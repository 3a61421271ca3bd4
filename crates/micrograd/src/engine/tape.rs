//! The public [`Tape`] API over this thread's tape (length, marks and rewinds, memory, and the bulk
//! reads and writes that optimizers use), and [`Mark`].

use super::access::{panic_in_tape, with_tape};
use super::ops::Kind;
use super::storage::{Meta, TapeInner};
use super::value::Value;
use super::MAX_NODES;
use std::fmt;

/// A position on the tape, taken with [`Tape::mark`] and returned to with [`Tape::rewind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub(super) nodes: u32,
    pub(super) extra: u32,
    pub(super) consts: u32,
    /// The tape's epoch when the mark was taken: a later rewind below the mark makes it stale.
    pub(super) epoch: u32,
}

impl Mark {
    /// The number of nodes on the tape when the mark was taken.
    pub fn len(&self) -> usize {
        self.nodes as usize
    }

    /// Whether the mark is at the start of the tape.
    pub fn is_empty(&self) -> bool {
        self.nodes == 0
    }
}

/// Why [`Tape::try_reserve`] could not grow the tape: the number of nodes it was asked to hold was
/// more than a tape holds (2³¹ − 1), or the memory for them could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapeFull {
    nodes: usize,
    over_the_limit: bool,
}

impl TapeFull {
    pub(super) fn over_the_limit(nodes: usize) -> TapeFull {
        TapeFull {
            nodes,
            over_the_limit: true,
        }
    }

    pub(super) fn out_of_memory(nodes: usize) -> TapeFull {
        TapeFull {
            nodes,
            over_the_limit: false,
        }
    }

    /// The number of nodes the tape was to hold.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The bytes of tape those nodes take ([`Tape::BYTES_PER_NODE`] each; as a `u128`, which cannot
    /// overflow).
    pub fn bytes(&self) -> u128 {
        self.nodes as u128 * Tape::BYTES_PER_NODE as u128
    }
}

impl fmt::Display for TapeFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (nodes, bytes) = (self.nodes, self.bytes());
        if self.over_the_limit {
            write!(
                f,
                "micrograd: the tape cannot grow to {nodes} nodes ({bytes} bytes): a tape holds at \
                 most {MAX_NODES} nodes"
            )
        } else {
            write!(
                f,
                "micrograd: out of memory growing the tape to {nodes} nodes ({bytes} bytes)"
            )
        }
    }
}

impl std::error::Error for TapeFull {}

/// The current thread's tape: the arena every [`Value`] of this thread lives in.
///
/// Nodes are appended in creation order, which is also a topological order of the graph, so
/// [`Value::backward`] is a single reverse sweep. The tape only grows; a training loop keeps its memory
/// flat by taking a [`Tape::mark`] after creating the model's parameters and calling [`Tape::rewind`] at
/// the end of every step, which drops every node created since the mark.
///
/// ```
/// use micrograd::{Tape, Value};
///
/// let w = Value::new(0.5);                 // a parameter: lives below the mark
/// let mark = Tape::mark();
/// for _ in 0..3 {
///     let loss = (w * 3.0 - 1.0).pow(2.0);
///     loss.backward();
///     w.set_data(w.data() - 0.05 * w.grad());
///     w.zero_grad();
///     Tape::rewind(mark);                  // `loss` and its graph are gone, `w` stays
/// }
/// assert_eq!(Tape::len(), mark.len());
/// ```
pub struct Tape {
    _private: (),
}

impl Tape {
    /// Bytes of tape memory per node (node record, op tag, gradient), not counting spare `Vec` capacity
    /// or the inputs of n-ary nodes (4 bytes per input).
    pub const BYTES_PER_NODE: usize = 2 * std::mem::size_of::<f64>() + std::mem::size_of::<Meta>();

    /// Number of nodes on the current thread's tape.
    pub fn len() -> usize {
        with_tape(|t| t.len)
    }

    /// Whether the current thread's tape is empty.
    pub fn is_empty() -> bool {
        Self::len() == 0
    }

    /// The current end of the tape, to [`rewind`](Tape::rewind) to later.
    pub fn mark() -> Mark {
        with_tape(|t| Mark {
            nodes: t.len as u32,
            extra: t.extra.len() as u32,
            consts: t.consts_len as u32,
            epoch: t.handles.epoch(),
        })
    }

    /// Drops every node created after `mark`, keeping the memory for reuse.
    ///
    /// Values created before the mark (a model's parameters) stay valid, with their data and grads.
    /// Using a Value created after the mark panics from now on, with a message saying so; it never
    /// reads another node's numbers.
    ///
    /// # Panics
    /// If `mark` is stale: the tape was rewound below it after it was taken (even if the tape has grown
    /// past it since); or once one thread's tape has begun 2³¹ − 1 epochs
    /// (the most whose handles it can tell apart). An epoch begins at every rewind, and at a write
    /// ([`Value::set_data`], [`Tape::write_data`]) to a value created or read into a handle since the
    /// last one began: a training loop begins at most two per step.
    pub fn rewind(mark: Mark) {
        with_tape(|t| t.rewind(mark))
    }

    /// Drops every node. Every existing Value becomes invalid.
    pub fn clear() {
        // (rewinding to the start also drops every gradient and the dirty range)
        Self::rewind(Mark {
            nodes: 0,
            extra: 0,
            consts: 0,
            epoch: 0,
        });
    }

    /// Clears all tape memory, including spare capacity.
    pub fn shrink_to_fit() {
        with_tape(|t| {
            let (n, k) = (t.len, t.consts_len);
            t.data.truncate(n);
            t.data.shrink_to_fit();
            t.meta.truncate(n);
            t.meta.shrink_to_fit();
            t.grad.truncate(n);
            t.handles.shrink_to_fit();
            t.consts.truncate(k);
            t.consts.shrink_to_fit();
            t.grad.shrink_to_fit();
            t.extra.shrink_to_fit();
            t.scratch = Vec::new();
        });
    }

    /// Reserves room for `additional` more nodes, so that building a graph of known size does not
    /// reallocate.
    ///
    /// # Panics
    /// If the tape would hold more than 2³¹ − 1 nodes, or the memory cannot be had. (So do operations
    /// that need the tape to grow: an operator cannot return an error. To find out beforehand, reserve
    /// a computation's peak with [`Tape::try_reserve`].)
    pub fn reserve(additional: usize) {
        with_tape(|t| t.grow(t.len.saturating_add(additional)));
    }

    /// Reserves room for `additional` more nodes, or returns why it cannot: the tape would hold more
    /// than 2³¹ − 1 nodes, or the memory cannot be had. A program that knows (or can bound) the peak
    /// size of its graphs reserves it up front, before training, and reports the error instead of
    /// panicking in the middle of a step. On error the tape is unchanged and still usable.
    ///
    /// (An operating system that overcommits memory may grant an allocation and fail later, when the
    /// memory is touched; most refuse a request beyond the machine's memory at once.)
    ///
    /// ```
    /// use micrograd::Tape;
    /// assert!(Tape::try_reserve(10_000).is_ok());
    /// let err = Tape::try_reserve(usize::MAX).unwrap_err();
    /// assert_eq!(err.nodes(), usize::MAX);
    /// assert!(err.to_string().contains("nodes") && err.to_string().contains("bytes"));
    /// ```
    pub fn try_reserve(additional: usize) -> Result<(), TapeFull> {
        with_tape(|t| t.try_reserve(t.len.saturating_add(additional)))
    }

    /// Sets the gradient of every node on the tape to zero.
    pub fn zero_grad() {
        with_tape(|t| {
            let n = t.len;
            t.grad[..n].fill(0.0);
            t.dirty = None;
        });
    }

    /// Copies the forward values of `values` into `out` (which must be as long): one tape access for
    /// all of them, for optimizers and other code that works on a whole parameter list.
    ///
    /// # Panics
    /// If the lengths differ, or a value was rewound.
    ///
    /// ```
    /// use micrograd::{Tape, Value};
    /// let p = [Value::new(1.0), Value::new(2.0)];
    /// (p[0] * p[1]).backward();
    /// let (mut data, mut grad) = ([0.0; 2], [0.0; 2]);
    /// Tape::read_data(&p, &mut data);
    /// Tape::read_grads(&p, &mut grad);
    /// assert_eq!((data, grad), ([1.0, 2.0], [2.0, 1.0]));
    /// Tape::write_data(&p, &[0.5, 0.25]);
    /// Tape::zero_grads(&p);
    /// assert_eq!((p[1].data(), p[0].grad()), (0.25, 0.0));
    /// ```
    pub fn read_data(values: &[Value], out: &mut [f64]) {
        Self::read_column(values, out, "read_data", |t| &t.data);
    }

    /// Copies the gradients of `values` into `out` (which must be as long). See [`Tape::read_data`].
    pub fn read_grads(values: &[Value], out: &mut [f64]) {
        Self::read_column(values, out, "read_grads", |t| &t.grad);
    }

    /// `read_data` and `read_grads`: the entries of `values` in one of the tape's per-node columns
    /// (one slice copy for a run).
    fn read_column(
        values: &[Value],
        out: &mut [f64],
        what: &str,
        column: impl FnOnce(&TapeInner) -> &[f64],
    ) {
        assert_eq!(
            values.len(),
            out.len(),
            "micrograd: Tape::{what}: lengths differ"
        );
        with_tape(|t| {
            let run = t.check_all(values);
            let column = column(t);
            match run {
                Some(nodes) => out.copy_from_slice(&column[nodes]),
                None => {
                    for (o, v) in out.iter_mut().zip(values) {
                        *o = column[v.idx() as usize];
                    }
                }
            }
        })
    }

    /// Sets the forward values of `values` from `data` (which must be as long). See
    /// [`Tape::read_data`]. Nodes already computed from them are not recomputed.
    pub fn write_data(values: &[Value], data: &[f64]) {
        assert_eq!(
            values.len(),
            data.len(),
            "micrograd: Tape::write_data: lengths differ"
        );
        if values.is_empty() {
            return;
        }
        with_tape(|t| match t.check_all(values) {
            Some(nodes) => {
                t.before_write(nodes.start, nodes.end - 1);
                t.data[nodes].copy_from_slice(data);
            }
            None => {
                let (lo, hi) = values.iter().fold((u32::MAX, 0), |(lo, hi), v| {
                    (lo.min(v.idx()), hi.max(v.idx()))
                });
                t.before_write(lo as usize, hi as usize);
                for (&d, v) in data.iter().zip(values) {
                    t.data[v.idx() as usize] = d;
                }
            }
        })
    }

    /// Sets the gradients of `values` from `grads` (which must be as long), as if zeroed and then
    /// accumulated by a backward pass: how a gradient computed elsewhere (a replayed graph) reaches
    /// an optimizer. See [`Tape::read_data`].
    ///
    /// # Panics
    /// If the lengths differ, a value was rewound, or one is not a leaf (a computed node's gradient
    /// would be propagated again by a later `backward`).
    ///
    /// ```
    /// use micrograd::{Tape, Value};
    /// let p = [Value::new(1.0), Value::new(2.0)];
    /// Tape::write_grads(&p, &[0.5, -3.0]);
    /// assert_eq!((p[0].grad(), p[1].grad()), (0.5, -3.0));
    /// ```
    pub fn write_grads(values: &[Value], grads: &[f64]) {
        assert_eq!(
            values.len(),
            grads.len(),
            "micrograd: Tape::write_grads: lengths differ"
        );
        with_tape(|t| {
            t.check_all(values);
            for (&g, v) in grads.iter().zip(values) {
                let k = v.idx() as usize;
                if t.meta[k].op != Kind::Leaf {
                    panic_in_tape(format_args!(
                        "micrograd: Tape::write_grads: node #{k} is not a leaf"
                    ));
                }
                t.grad[k] = g;
            }
        })
    }

    /// Sets the gradients of `values` to zero. See [`Tape::read_data`].
    pub fn zero_grads(values: &[Value]) {
        with_tape(|t| match t.check_all(values) {
            Some(nodes) => t.grad[nodes].fill(0.0),
            None => {
                for v in values {
                    t.grad[v.idx() as usize] = 0.0;
                }
            }
        })
    }

    /// Bytes currently allocated by the tape's buffers (capacity, not length).
    pub fn allocated_bytes() -> usize {
        with_tape(|t| {
            t.data.capacity() * 8
                + t.meta.capacity() * std::mem::size_of::<Meta>()
                + t.consts.capacity() * 8
                + (t.grad.capacity() + t.scratch.capacity()) * 8
                + t.extra.capacity() * 4
                + t.handles.allocated_bytes()
        })
    }
}
