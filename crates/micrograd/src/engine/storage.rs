//! The tape's storage, `TapeInner`: one column per node field (value, inputs and op, gradient),
//! grown ahead so that recording a node never reallocates mid-operation; pushing nodes and constants;
//! rewinding to a mark. The public API over it is [`Tape`](super::Tape), in `tape.rs`.
//!
//! Invariants: `data`, `meta` and `grad` always have the same length (the capacity; entries past
//! `len` are spare), so `push` may write them unchecked after one compare; creation order is a
//! topological order (a node's inputs are below it); a node's gradient is zeroed when it is pushed.

use super::access::panic_in_tape;
use super::handles::Handles;
use super::ops::Kind;
use super::tape::{Mark, TapeFull};
use super::value::Value;
use super::{MAX_NODES, NO_INPUT};
use std::collections::BTreeMap;

/// What a node was computed from: 12 bytes. Its forward value lives in a parallel `Vec<f64>` and its
/// gradient in another: 28 bytes per node, plus 8 for ops with a constant and 4 per input of n-ary ops.
/// (`repr(C)`: `push` writes `a` and `b` together as one `u64`.)
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct Meta {
    /// First input (unary and binary ops) or the start of the items in `extra` (n-ary ops).
    pub(super) a: u32,
    /// Second input (binary ops), the index of the op's constant in `consts` (scalar ops, `Custom`), or
    /// the item count (n-ary ops).
    pub(super) b: u32,
    pub(super) op: Kind,
}

pub(super) struct TapeInner {
    /// Number of nodes. `data` and `meta` are kept at least this long, with spare slots past the end
    /// already allocated, so that adding a node never reallocates in the middle of an operation.
    pub(super) len: usize,
    /// Number of constants in use in `consts` (which has spare slots too).
    pub(super) consts_len: usize,
    /// Forward values, one per node.
    pub(super) data: Vec<f64>,
    /// Inputs and op, one per node.
    pub(super) meta: Vec<Meta>,
    /// Constants of scalar ops (`x + c`, `x^c`, ...) and the derivatives recorded by `Custom`.
    pub(super) consts: Vec<f64>,
    /// Gradients, one per node. `data`, `meta` and `grad` always have the same length (the capacity;
    /// the entries past `len` are spare), and a node's gradient is zeroed when the node is pushed.
    pub(super) grad: Vec<f64>,
    /// Inputs of n-ary nodes.
    pub(super) extra: Vec<u32>,
    pub(super) labels: BTreeMap<u32, Box<str>>,
    /// Which handles are valid, and which carry their node's current value.
    pub(super) handles: Handles,
    /// Range of non-leaf nodes whose gradient may be non-zero (see `backward`).
    pub(super) dirty: Option<(u32, u32)>,
    /// How many nodes at the start of the tape are leaves (the backward sweep stops there): kept up to
    /// date by leaf pushes only, so that pushing an op costs nothing extra.
    pub(super) leaf_prefix: usize,
    pub(super) scratch: Vec<f64>,
}

impl TapeInner {
    pub(super) const fn new() -> Self {
        TapeInner {
            len: 0,
            consts_len: 0,
            data: Vec::new(),
            meta: Vec::new(),
            consts: Vec::new(),
            grad: Vec::new(),
            extra: Vec::new(),
            labels: BTreeMap::new(),
            handles: Handles::new(),
            dirty: None,
            leaf_prefix: 0,
            scratch: Vec::new(),
        }
    }

    /// Panics with a clear message if the handle is stale.
    #[inline(always)]
    pub(super) fn check(&self, v: Value) {
        self.handles.check(v, self.len)
    }

    /// [`Handles::check_all`] on this tape.
    #[inline]
    pub(super) fn check_all(&self, items: &[Value]) -> Option<std::ops::Range<usize>> {
        self.handles.check_all(items, self.len)
    }

    /// The value of `v`'s node: the copy the handle carries when the tape trusts it (see
    /// [`Handles::trusts`]), else read from the tape (after checking the handle).
    #[inline(always)]
    pub(super) fn data(&self, v: Value) -> f64 {
        if self.handles.trusts(v) {
            v.data
        } else {
            self.check(v);
            self.data[v.idx() as usize]
        }
    }

    /// Called before the values of nodes `lo..=hi` are overwritten (see [`Handles::before_write`]).
    #[inline]
    pub(super) fn before_write(&mut self, lo: usize, hi: usize) {
        self.handles.before_write(lo, hi, self.len)
    }

    #[inline(always)]
    pub(super) fn meta(&self, v: Value) -> Meta {
        self.check(v);
        self.meta[v.idx() as usize]
    }

    /// Makes room for one more constant (before the operation reads its input, so that no call comes
    /// between that and the push: the values stay in registers).
    #[inline(always)]
    pub(super) fn room_for_constant(&mut self) {
        if self.consts_len >= self.consts.len() {
            self.grow(0);
        }
    }

    /// Room for one more node, passing `x` through.
    #[cold]
    #[inline(never)]
    fn grow_through(&mut self, x: f64) -> f64 {
        self.grow(self.len + 1);
        x
    }

    /// Makes room for at least `min_nodes` nodes (and at least double the current number, never more
    /// than `MAX_NODES`), and for one more constant. Panics if the tape cannot grow that far (see
    /// `try_reserve` for the fallible form).
    #[cold]
    #[inline(never)]
    pub(super) fn grow(&mut self, min_nodes: usize) {
        if min_nodes > self.data.len() {
            if min_nodes > MAX_NODES as usize {
                too_many_nodes();
            }
            let n = min_nodes
                .max(2 * self.len)
                .max(1024)
                .min(MAX_NODES as usize);
            if let Err(full) = self.grow_to(n) {
                panic_in_tape(format_args!("{full}"));
            }
        }
        if self.consts_len >= self.consts.len() {
            let k = (2 * self.consts_len).max(256);
            self.consts.resize(k, 0.0);
        }
    }

    /// Makes room for at least `min_nodes` nodes, or says why it cannot (more than `MAX_NODES`, or
    /// out of memory), leaving the tape as it was.
    pub(super) fn try_reserve(&mut self, min_nodes: usize) -> Result<(), TapeFull> {
        if min_nodes > MAX_NODES as usize {
            return Err(TapeFull::over_the_limit(min_nodes));
        }
        if min_nodes > self.data.len() {
            self.grow_to(min_nodes)?;
        }
        Ok(())
    }

    /// Grows the node columns to `n` nodes (more than now, at most `MAX_NODES`).
    ///
    /// `data`, `meta` and `grad` stay equally long whatever happens (`push` writes unchecked on that
    /// ground): all three reserve first, and a failure returns before any of them is resized.
    fn grow_to(&mut self, n: usize) -> Result<(), TapeFull> {
        let more = n - self.data.len();
        if self.data.try_reserve_exact(more).is_err()
            || self.meta.try_reserve_exact(more).is_err()
            || self.grad.try_reserve_exact(more).is_err()
        {
            return Err(TapeFull::out_of_memory(n));
        }
        let spare = Meta {
            a: NO_INPUT,
            b: NO_INPUT,
            op: Kind::Leaf,
        };
        self.data.resize(n, 0.0);
        self.meta.resize(n, spare);
        self.grad.resize(n, 0.0);
        Ok(())
    }

    /// Appends a node.
    #[inline(always)]
    pub(super) fn push(&mut self, op: Kind, data: f64, a: u32, b: u32) -> Value {
        // (read before the writes below, which the compiler cannot tell apart from writes to `self`)
        let (idx, key) = (self.len, self.handles.key_for(self.len));
        // (the value goes through the rare call instead of being saved around it)
        let data = if idx < self.data.len() {
            data
        } else {
            self.grow_through(data)
        };
        debug_assert!(self.meta.len() == self.data.len() && self.grad.len() == self.data.len());
        // SAFETY: `idx < data.len()`, just checked, and `meta` and `grad` are as long as `data` (an
        // invariant of `TapeInner`: only `grow` and `Tape::shrink_to_fit` resize them, all three
        // together). Unchecked because the compiler cannot see that invariant, and three bounds
        // checks per operation are a measurable share of a chain's cost (docs/performance.md).
        // `Meta` is `repr(C)` with `a` and `b` as its first 8 bytes, which are written as one
        // (unaligned: `Meta` is 4-aligned) `u64`, little end first: one store instead of two.
        unsafe {
            *self.data.get_unchecked_mut(idx) = data;
            let m = self.meta.as_mut_ptr().add(idx);
            let ab = if cfg!(target_endian = "little") {
                u64::from(a) | u64::from(b) << 32
            } else {
                u64::from(a) << 32 | u64::from(b)
            };
            m.cast::<u64>().write_unaligned(ab);
            std::ptr::addr_of_mut!((*m).op).write(op);
            *self.grad.get_unchecked_mut(idx) = 0.0;
        }
        if op == Kind::Leaf && self.leaf_prefix == idx {
            self.leaf_prefix = idx + 1;
        }
        self.len = idx + 1;
        Value::from_key(key, data)
    }

    /// A handle for node `i`, given a live node `owner` that was computed from it (so it was alive at
    /// `owner`'s epoch and is alive as long as `owner` is).
    pub(super) fn handle_from(&mut self, owner: Value, i: u32) -> Value {
        self.handles.on_mint(owner.epoch());
        Value::make(i, owner.epoch(), self.data[i as usize])
    }

    pub(super) fn grad(&self, v: Value) -> f64 {
        self.check(v);
        self.grad[v.idx() as usize]
    }

    pub(super) fn grad_mut(&mut self, v: Value) -> &mut f64 {
        self.check(v);
        &mut self.grad[v.idx() as usize]
    }

    /// Stores a constant, returning its index for a node's `b` slot.
    #[inline(always)]
    pub(super) fn constant(&mut self, c: f64) -> u32 {
        let k = self.consts_len;
        self.consts[k] = c;
        self.consts_len = k + 1;
        k as u32
    }

    /// Appends a dot-product node with value `acc`: as two ranges if `ranges` (both `w` and `x` are
    /// consecutive nodes, and non-empty), else as a list of pairs.
    pub(super) fn record_dot(&mut self, acc: f64, w: &[Value], x: &[Value], ranges: bool) -> Value {
        if ranges && !w.is_empty() {
            let k = self.extra.len();
            self.extra.extend([x[0].idx(), x.len() as u32]);
            return self.push(Kind::DotRange, acc, w[0].idx(), k as u32);
        }
        let from = self.extra.len();
        self.push_pairs(w, x);
        self.push(Kind::Dot, acc, from as u32, 2 * w.len() as u32)
    }

    /// Appends the inputs of a dot product to `extra` as pairs `w0, x0, w1, x1, ...`.
    pub(super) fn push_pairs(&mut self, w: &[Value], x: &[Value]) {
        let from = self.extra.len();
        self.extra.resize(from + 2 * w.len(), 0);
        for (pair, (wi, xi)) in self.extra[from..].chunks_exact_mut(2).zip(w.iter().zip(x)) {
            pair[0] = wi.idx();
            pair[1] = xi.idx();
        }
    }

    /// Whether the nodes below `mark` are the ones that were there when it was taken: no rewind since
    /// has gone below it (a mark at the start is always good).
    fn mark_is_current(&self, mark: Mark) -> bool {
        if mark.nodes == 0 {
            return true;
        }
        mark.nodes as usize <= self.len
            && mark.extra as usize <= self.extra.len()
            && mark.consts as usize <= self.consts_len
            && self.handles.mark_is_current(mark.epoch, mark.nodes)
    }

    pub(super) fn rewind(&mut self, mark: Mark) {
        let n = mark.nodes as usize;
        if !self.mark_is_current(mark) {
            panic_in_tape(format_args!(
                "micrograd: Tape::rewind to a stale mark (at {n} nodes; the tape holds {}): the \
                 mark was taken before an earlier rewind to a lower mark",
                self.len
            ));
        }
        // (first: it panics, before anything changed, if no epoch is left)
        self.handles.on_rewind(mark.nodes);
        self.len = n;
        self.consts_len = mark.consts as usize;
        self.leaf_prefix = self.leaf_prefix.min(n);
        self.extra.truncate(mark.extra as usize);
        if self.labels.range(mark.nodes..).next().is_some() {
            self.labels.split_off(&mark.nodes);
        }
        self.dirty = match self.dirty {
            Some((lo, hi)) if (lo as usize) < n => Some((lo, hi.min(mark.nodes.saturating_sub(1)))),
            _ => None,
        };
    }
}

#[cold]
#[inline(never)]
fn too_many_nodes() -> ! {
    panic_in_tape(format_args!(
        "micrograd: the tape is full ({MAX_NODES} nodes); rewind or clear it"
    ))
}
