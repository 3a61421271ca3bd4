//! Backpropagation: the driver ([`TapeInner::backward`]: in place or through scratch, and the range
//! of interior nodes that hold gradients) and the sweep ([`propagate`]): one pass over the tape in
//! reverse creation order, each node passing its adjoint to its inputs by the chain rule. The
//! derivative of each of the table's ops comes from the op table (`ops.rs`).

use super::access::panic_in_tape;
use super::cold;
use super::kernels::{back_dot, back_dot_range, back_sum};
use super::ops::{dispatch, pow_da, pow_db, sign, Kind};
use super::storage::{Meta, TapeInner};
use super::value::Value;

impl TapeInner {
    /// Widens the range of non-leaf nodes that may hold a non-zero gradient to cover `lo..=hi`.
    pub(super) fn mark_dirty(&mut self, lo: u32, hi: u32) {
        self.dirty = Some(match self.dirty {
            None => (lo, hi),
            Some((l, h)) => (l.min(lo), h.max(hi)),
        });
    }

    /// `root.backward()`: adds `d root / d node` to the gradient of every node below `root`.
    ///
    /// Adjoints accumulate straight into the gradients when no interior node at or below the root
    /// holds a gradient yet (the `dirty` range says; the normal case in a training loop). Otherwise
    /// they are computed in a scratch array and then added, so that a second call adds its own
    /// contributions instead of re-propagating the first call's. (The direct path adds contributions
    /// to a gradient one at a time, as micrograd's `+=` does; the scratch path adds their sum: the two
    /// can differ in the last bit.)
    pub(super) fn backward(&mut self, root: Value) {
        self.check(root);
        let r = root.idx() as usize;
        let clean = match self.dirty {
            None => true,
            Some((lo, _)) => lo as usize > r,
        };
        let lowest = if clean {
            // Fast path: every non-leaf gradient at or below the root is zero, so adjoints can be
            // accumulated in place (leaves just add up, as they should).
            self.grad[r] += 1.0;
            propagate(
                &self.data,
                &self.meta,
                &self.consts,
                &self.extra,
                &mut self.grad,
                r,
                self.leaf_prefix,
            )
        } else {
            // Some interior node already holds a gradient from an earlier backward pass: compute this
            // pass's adjoints separately, then add them in, so old gradients are not propagated twice.
            let mut adj = std::mem::take(&mut self.scratch);
            adj.clear();
            adj.resize(r + 1, 0.0);
            adj[r] = 1.0;
            let lowest = propagate(
                &self.data,
                &self.meta,
                &self.consts,
                &self.extra,
                &mut adj,
                r,
                self.leaf_prefix,
            );
            for (g, a) in self.grad[..=r].iter_mut().zip(&adj) {
                *g += a;
            }
            self.scratch = adj;
            lowest
        };
        if lowest <= r {
            self.mark_dirty(lowest as u32, r as u32);
        }
    }
}

/// Propagates `adj[root]` back to every node below it, in reverse creation order (the tape order is
/// a topological order, so no recursion and no sort are needed). Returns the lowest index of a
/// non-leaf node that received a non-zero adjoint (or `root + 1` if none did). Only nodes at or above
/// `leaf_prefix` can pass anything on (below it there are only leaves).
///
/// Two adjoints live in registers instead of memory, because a value written to memory and read
/// back by the next node waits on the store's latency, which a long chain would pay at every link:
/// - `carry`: the last adjoint written to memory, with its node: if that node is the one the
///   sweep visits next (a chain's previous link), its adjoint is taken from here. The tape
///   always holds the same value, and the node is never `c` (the switch to a new `c` and the
///   n-ary ops, which write adjoints directly, drop it);
/// - `c`, `cv`: the adjoint of the last second input of a binary op (a weight reused by every
///   link of a chain), accumulated in a register until another node takes its place; the tape's
///   copy is stale meanwhile, so every read and write of an adjoint checks `c` first. It starts
///   as the root's own adjoint, so that it always holds some node.
///
/// Both give bit-identical results: each adjoint receives the same additions in the same order.
///
/// The `hot` binary ops (a chain's `+` and `*`) are tested for with one compare before the jump
/// table, which saves a chain an indirect jump and a jump back per node; `cold()` marks the rarer
/// paths so that the usual one is laid out straight.
///
/// The per-node reads of `meta`, `data` and `adj` are unchecked: every index is a node at or
/// below `root`, which is checked against the lengths once, on entry; the sweep only goes
/// down, and a node's inputs are checked to be below it (one register compare each, where a
/// bounds check would need the lengths). N-ary ops and constants use checked indexing.
#[allow(unused_variables, clippy::neg_multiply)]
pub(super) fn propagate(
    data: &[f64],
    meta: &[Meta],
    consts: &[f64],
    extra: &[u32],
    adj: &mut [f64],
    root: usize,
    leaf_prefix: usize,
) -> usize {
    const NONE: usize = usize::MAX;
    assert!(root < data.len() && root < meta.len() && root < adj.len());
    let lo = leaf_prefix.min(root + 1);
    // `at!(v, k)`: v[k] for a node k ≤ root; `set!(k, x)`: adj[k] = x.
    macro_rules! at {
        ($v:expr, $k:expr) => {{
            let k: usize = $k;
            debug_assert!(k <= root);
            // SAFETY: k ≤ root < the slice's length, checked on entry.
            unsafe { *$v.get_unchecked(k) }
        }};
    }
    macro_rules! set {
        ($k:expr, $val:expr) => {{
            let (k, x): (usize, f64) = ($k, $val);
            debug_assert!(k <= root);
            // SAFETY: as for `at!`.
            unsafe { *adj.get_unchecked_mut(k) = x }
        }};
    }
    let mut lowest_interior = root + 1;
    // (invariant: `carry.0` is never `c`, and the tape holds `carry.1` for it)
    let mut carry = (NONE, 0.0);
    let (mut c, mut cv) = (root, at!(adj, root));
    // Below the first non-leaf node there are only leaves, which pass nothing on: stop there.
    let mut i = root + 1;
    'sweep: while i > lo {
        i -= 1;
        let mut g = if carry.0 == i {
            carry.1
        } else if c == i {
            cold();
            cv
        } else {
            cold();
            at!(adj, i)
        };
        // A node with a zero adjoint contributes nothing (this also keeps 0·∞ from becoming NaN
        // on branches the root does not depend on). A run of them (the samples a classifier
        // already gets right) is skipped in a loop of its own, which needs no carry: the tape
        // holds its value too.
        while g == 0.0 {
            if i == lo {
                break 'sweep;
            }
            i -= 1;
            g = if c == i { cv } else { at!(adj, i) };
        }
        let n = at!(meta, i);
        // `input!(k)`: input k of node i, checked to be below it (what makes `at!` on it sound)
        macro_rules! input {
            ($k:expr) => {{
                let k = $k as usize;
                if k >= i {
                    bad_input(i);
                }
                k
            }};
        }
        // adj[k] += d, through the cache; a new adjoint in memory is carried.
        macro_rules! add_to {
            ($k:expr, $d:expr) => {{
                let k = $k;
                if k == c {
                    cold();
                    cv += $d;
                } else {
                    let v = at!(adj, k) + $d;
                    set!(k, v);
                    carry = (k, v);
                }
            }};
        }
        // A unary op: y = f(x), with dy/dx given by `$d`.
        macro_rules! unary {
            (|$x:ident, $y:ident| $d:expr) => {{
                let a = input!(n.a);
                let ($x, $y) = (at!(data, a), at!(data, i));
                add_to!(a, g * $d);
            }};
        }
        // A unary op with a constant: y = f(x, c), with dy/dx given by `$d`.
        macro_rules! scalar {
            (|$x:ident, $c:ident, $y:ident| $d:expr) => {{
                let a = input!(n.a);
                let ($x, $c, $y) = (at!(data, a), consts[n.b as usize], at!(data, i));
                add_to!(a, g * $d);
            }};
        }
        // A binary op: z = f(p, q), with (dz/dp, dz/dq) given by `$d`. The second input's
        // adjoint goes to the cache (a chain's reused weight stays there).
        macro_rules! binary {
            (|$p:ident, $q:ident, $r:ident| $d:expr) => {{
                let (a, b) = (input!(n.a), input!(n.b));
                let ($p, $q, $r) = (at!(data, a), at!(data, b), at!(data, i));
                let (ga, gb): (f64, f64) = $d;
                add_to!(a, g * ga);
                // (if a == b, the switch below reads the adjoint `a` just received)
                if b != c {
                    cold();
                    set!(c, cv);
                    c = b;
                    cv = at!(adj, b);
                    if carry.0 == b {
                        carry.0 = NONE;
                    }
                }
                cv += g * gb;
            }};
        }
        // The hot binary ops with one compare, then everything else through one jump table: the
        // n-ary ops and `Custom` as written here, the table's ops with their derivatives from the
        // op table (`dispatch!` is generated from it, in `ops.rs`).
        dispatch!(n.op,
            hot: {
                lowest_interior = i;
                continue;
            },
            others: {
                Kind::Leaf => continue,
                Kind::Sum | Kind::Dot | Kind::Affine | Kind::DotRange => {
                    // (these write their inputs' adjoints directly: put the cached one back, and
                    // cache this node's own, which nothing below writes to; the carry may be stale)
                    set!(c, cv);
                    (c, cv) = (i, g);
                    carry.0 = NONE;
                    let (s, len) = (n.a as usize, n.b as usize);
                    match n.op {
                        Kind::Sum => back_sum(&extra[s..s + len], adj, g),
                        Kind::DotRange => {
                            let (x0, len) = (extra[len] as usize, extra[len + 1] as usize);
                            back_dot_range(data, adj, g, s, x0, len);
                        }
                        op => back_dot(data, &extra[s..s + len], adj, g, op == Kind::Affine),
                    }
                }
                // The derivative f'(x) was evaluated when the node was created.
                Kind::Custom => add_to!(input!(n.a), g * consts[n.b as usize]),
            }
        );
        lowest_interior = i;
    }
    set!(c, cv);
    lowest_interior
}

#[cold]
#[inline(never)]
fn bad_input(idx: usize) -> ! {
    panic_in_tape(format_args!(
        "micrograd: internal error: node #{idx} has an input that is not below it"
    ))
}
