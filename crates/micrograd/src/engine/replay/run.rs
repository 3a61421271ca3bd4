//! [`Replay`]: a recorded graph's columns and the two passes over them, forward (the op table's
//! formulas, through `forward!`) and backward (the op table's derivatives, through `dispatch!`).
//!
//! The columns keep the tape's layout (`storage.rs`): per node a value and a [`Meta`] (op and two
//! `u32` operands), the scalar ops' constants and the n-ary ops' operand lists on the side. The
//! invariants below are checked once, when a `Replay` is made ([`Replay::new`]), so that the passes
//! can read operands without bounds checks:
//!
//! - nodes `0..n_inputs` are leaves (the inputs), and `n_inputs <= leaf_prefix`, the number of leaves
//!   at the start;
//! - every operand of node `i` is a node below `i`; a scalar op's constant index is in `consts`; an
//!   n-ary op's operand list lies in `extra`; there is no `Custom` node (its derivative was
//!   evaluated once, when it was recorded);
//! - `output < len`, and `adj` is all zeros between passes (the backward pass clears what it used).
//!
//! **Bit for bit the engine's numbers.** The forward pass computes each node with the formula the
//! engine used when it recorded it, and sums the n-ary ops left to right as the engine's kernels do
//! (dot products over the same inputs, a layer's neurons, four at a time: see `quads`).
//! The backward pass visits the nodes in the order of the engine's sweep (`propagate`, in
//! `backward.rs`: from the output down to the first non-leaf, skipping nodes whose adjoint is 0) and
//! adds each contribution to an input's adjoint in the same order (a binary op's first input, then
//! its second; the n-ary ops through the same kernels), so every adjoint is the same sum of the same
//! terms in the same order. (`propagate` keeps some running adjoints in registers, which changes
//! where a sum lives, not its terms.)

use super::super::kernels::{back_dot, back_dot_range, back_sum};
use super::super::ops::{dispatch, forward, max, min, pow_da, pow_db, sigmoid, sign, Kind};
use super::super::storage::Meta;
#[cfg(test)]
use super::super::Value;

/// A recorded graph, ready to be replayed: see the module docs for its invariants.
#[derive(Clone)]
pub(crate) struct Replay {
    /// Nodes `0..n_inputs` take new values before each replay.
    n_inputs: usize,
    output: usize,
    data: Vec<f64>,
    meta: Vec<Meta>,
    consts: Vec<f64>,
    extra: Vec<u32>,
    /// The backward pass's adjoints, one per node: all zero between passes.
    adj: Vec<f64>,
    /// How many nodes at the start are leaves (the backward pass stops there, as the tape's does).
    leaf_prefix: usize,
    /// Groups of four dot products over the same inputs (see [`quads`]), computed together by the
    /// forward pass when it reaches the first; in node order.
    quads: Vec<[u32; 4]>,
    /// Every node of a quad, in node order, with its quad's index if it is the quad's first (which
    /// computes all four) or `NOT_FIRST` (the forward pass skips it), and a last entry past every
    /// node.
    quad_nodes: Vec<(u32, u32)>,
}

/// In `Replay::quad_nodes`: a quad's later node.
const NOT_FIRST: u32 = u32::MAX;

/// The columns of a recorded graph, re-indexed from 0, before they are checked.
pub(super) struct Columns {
    pub(super) output: usize,
    pub(super) data: Vec<f64>,
    pub(super) meta: Vec<Meta>,
    pub(super) consts: Vec<f64>,
    pub(super) extra: Vec<u32>,
}

impl Replay {
    /// Checks the invariants of the module docs on the columns and makes a replay of them.
    ///
    /// # Panics
    /// If they do not hold: the recording is the engine's own, so that is an internal error.
    pub(super) fn new(cols: Columns, n_inputs: usize) -> Replay {
        let Columns {
            output,
            data,
            meta,
            consts,
            extra,
        } = cols;
        let len = data.len();
        let leaf_prefix = meta.iter().position(|m| m.op != Kind::Leaf).unwrap_or(len);
        let ok = meta.len() == len && output < len && n_inputs <= leaf_prefix;
        let ok = ok
            && meta
                .iter()
                .enumerate()
                .all(|(i, n)| operands_ok(n, i, &consts, &extra));
        assert!(
            ok,
            "micrograd: internal error: a recorded graph is malformed"
        );
        let quads = quads(&meta, &extra);
        let mut quad_nodes: Vec<(u32, u32)> = quads
            .iter()
            .enumerate()
            .flat_map(|(q, nodes)| {
                let first = (nodes[0], q as u32);
                [first]
                    .into_iter()
                    .chain(nodes[1..].iter().map(|&k| (k, NOT_FIRST)))
            })
            .collect();
        quad_nodes.sort_unstable();
        quad_nodes.push((u32::MAX, NOT_FIRST));
        Replay {
            quads,
            quad_nodes,
            n_inputs,
            output,
            adj: vec![0.0; len],
            data,
            meta,
            consts,
            extra,
            leaf_prefix,
        }
    }

    /// The number of inputs.
    pub(crate) fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    /// The number of nodes (inputs and constants included).
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// The output node.
    pub(super) fn output(&self) -> usize {
        self.output
    }

    /// The inputs' values, to be set before a pass.
    pub(crate) fn inputs_mut(&mut self) -> &mut [f64] {
        &mut self.data[..self.n_inputs]
    }

    /// The bytes the graph holds (its columns, adjoints and groups).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.data.capacity() * size_of::<f64>() * 2
            + self.meta.capacity() * size_of::<Meta>()
            + self.consts.capacity() * size_of::<f64>()
            + self.extra.capacity() * size_of::<u32>()
            + self.quads.capacity() * size_of::<[u32; 4]>()
            + self.quad_nodes.capacity() * size_of::<(u32, u32)>()
    }

    /// Node `k`'s value after the last forward pass.
    pub(crate) fn value(&self, k: usize) -> f64 {
        self.data[k]
    }

    /// The columns that decide what the graph computes (for `Graph::check`'s comparison).
    pub(super) fn parts(&self) -> (&[f64], &[Meta], &[f64], &[u32]) {
        (&self.data, &self.meta, &self.consts, &self.extra)
    }

    /// Recomputes every node above the leading leaves, in order, with the op table's formulas and the
    /// n-ary ops' sums (left to right, as the engine's kernels sum them). Returns the output's value.
    pub(crate) fn forward(&mut self) -> f64 {
        if self.quads.is_empty() {
            self.forward_with::<false>()
        } else {
            self.forward_with::<true>()
        }
    }

    /// [`Replay::forward`], with or without looking out for quads (a loop for each).
    fn forward_with<const QUADS: bool>(&mut self) -> f64 {
        let (data, meta, consts, extra) = (&mut self.data, &self.meta, &self.consts, &self.extra);
        let (quads, quad_nodes) = (&self.quads, &self.quad_nodes);
        // the next node of a quad, and its entry in `quad_nodes`
        let mut next = 0;
        let mut quad_node = quad_nodes.first().map_or(usize::MAX, |e| e.0 as usize);
        for i in self.leaf_prefix..data.len() {
            if QUADS && i == quad_node {
                // (a quad's first node computes all four; the others are skipped when reached;
                // quad nodes are not leaves, so none is below `leaf_prefix`)
                let q = quad_nodes[next].1;
                if q != NOT_FIRST {
                    dot4(data, meta, extra, quads[q as usize]);
                }
                next += 1;
                quad_node = quad_nodes[next].0 as usize;
                continue;
            }
            // SAFETY: i < data.len() == meta.len().
            let n = unsafe { *meta.get_unchecked(i) };
            let (a, b) = (n.a as usize, n.b as usize);
            // `at!(k)`: data[k] for an operand k of node i, which `Replay::new` checked to be below i
            // (or, for `consts[b]`, in `consts`).
            macro_rules! at {
                ($v:expr, $k:expr) => {{
                    debug_assert!($k < $v.len());
                    // SAFETY: as said above.
                    unsafe { *$v.get_unchecked($k) }
                }};
            }
            macro_rules! unary {
                (|$x:ident| $f:expr) => {{
                    let $x = at!(data, a);
                    $f
                }};
            }
            macro_rules! scalar {
                (|$x:ident, $c:ident| $f:expr) => {{
                    let ($x, $c) = (at!(data, a), at!(consts, b));
                    $f
                }};
            }
            macro_rules! binary {
                (|$p:ident, $q:ident| $f:expr) => {{
                    let ($p, $q) = (at!(data, a), at!(data, b));
                    $f
                }};
            }
            let y = forward!(n.op, others: {
                Kind::Leaf => continue,
                Kind::Sum => {
                    // SAFETY: `Replay::new` checked the list to lie in `extra` and its items to be
                    // nodes below i.
                    let items = unsafe { extra.get_unchecked(a..a + b) };
                    items.iter().fold(0.0, |acc, &k| acc + at!(data, k as usize))
                }
                Kind::Dot => {
                    // SAFETY: as for `Sum`.
                    let items = unsafe { extra.get_unchecked(a..a + b) };
                    dot_pairs(data, 0.0, items, i)
                }
                Kind::Affine => {
                    // SAFETY: as for `Sum` (an affine node's list holds at least the bias).
                    let items = unsafe { extra.get_unchecked(a..a + b) };
                    let bias = at!(data, items[0] as usize);
                    dot_pairs(data, bias, &items[1..], i)
                }
                Kind::DotRange => {
                    let (x0, len) = (extra[b] as usize, extra[b + 1] as usize);
                    let (ws, xs) = (&data[a..a + len], &data[x0..x0 + len]);
                    ws.iter().zip(xs).fold(0.0, |acc, (w, x)| acc + w * x)
                }
                // (refused by `Replay::new`)
                Kind::Custom => unreachable!(),
            });
            // SAFETY: i < data.len().
            unsafe { *data.get_unchecked_mut(i) = y };
        }
        self.data[self.output]
    }

    /// The backward pass, after [`Replay::forward`]: writes d output / d input into `grad` (one entry
    /// per input) and leaves every adjoint zero again.
    ///
    /// # Panics
    /// If `grad.len() != n_inputs`.
    pub(crate) fn backward(&mut self, grad: &mut [f64]) {
        assert_eq!(grad.len(), self.n_inputs, "micrograd: gradient buffer");
        let lo = self.sweep();
        grad.copy_from_slice(&self.adj[..self.n_inputs]);
        // (the sweep cleared every node it visited; below `lo` are the leaves it did not visit)
        self.adj[..lo].fill(0.0);
    }

    /// Propagates 1 from the output back to every node, in the order of the engine's sweep
    /// (`propagate`): nodes from the output down to the first non-leaf, skipping those whose adjoint
    /// is 0; each visited node's adjoint is cleared once read. Returns the lowest node not visited
    /// (the leaves below it keep their adjoints).
    #[allow(unused_variables, clippy::neg_multiply)]
    fn sweep(&mut self) -> usize {
        let (data, meta, consts, extra) = (&self.data, &self.meta, &self.consts, &self.extra);
        let adj = &mut self.adj[..];
        let root = self.output;
        let lo = self.leaf_prefix.min(root + 1);
        // `at!(v, k)`: v[k] for a node k ≤ root (`root < len`, and operands are below their
        // node, both checked by `Replay::new`).
        macro_rules! at {
            ($v:expr, $k:expr) => {{
                let k: usize = $k;
                debug_assert!(k <= root);
                // SAFETY: as said above.
                unsafe { *$v.get_unchecked(k) }
            }};
        }
        // The last two adjoints written, with their nodes, newest first: a node visited right after
        // a node that wrote its adjoint (a chain's previous link) takes it from here instead of
        // reading it back from memory, which would wait for the store. (Invariant: the newest is
        // the value memory holds; the other is too, unless it is the same node. Memory always
        // holds every adjoint: these are copies.)
        const NONE: usize = usize::MAX;
        let mut recent = [(NONE, 0.0f64); 2];
        // adj[k], through `recent`.
        macro_rules! adjoint {
            ($k:expr) => {{
                let k: usize = $k;
                if recent[0].0 == k {
                    recent[0].1
                } else if recent[1].0 == k {
                    recent[1].1
                } else {
                    at!(adj, k)
                }
            }};
        }
        // adj[k] += d, for an operand k of the node being visited.
        macro_rules! add_to {
            ($k:expr, $d:expr) => {{
                let (k, d): (usize, f64) = ($k, $d);
                debug_assert!(k <= root);
                let v = adjoint!(k) + d;
                // SAFETY: as for `at!`.
                unsafe { *adj.get_unchecked_mut(k) = v };
                recent = [(k, v), recent[0]];
            }};
        }
        adj[root] = 1.0;
        let mut i = root + 1;
        while i > lo {
            i -= 1;
            let g = adjoint!(i);
            // SAFETY: as for `at!`.
            unsafe { *adj.get_unchecked_mut(i) = 0.0 };
            // A node with a zero adjoint contributes nothing (which also keeps 0·∞ from becoming
            // NaN on branches the output does not depend on), as in the engine's sweep.
            if g == 0.0 {
                continue;
            }
            let n = at!(meta, i);
            let (a, b) = (n.a as usize, n.b as usize);
            macro_rules! unary {
                (|$x:ident, $y:ident| $d:expr) => {{
                    let ($x, $y) = (at!(data, a), at!(data, i));
                    add_to!(a, g * $d);
                }};
            }
            macro_rules! scalar {
                (|$x:ident, $c:ident, $y:ident| $d:expr) => {{
                    debug_assert!(b < consts.len());
                    // SAFETY: `Replay::new` checked the constant's index.
                    let $c = unsafe { *consts.get_unchecked(b) };
                    let ($x, $y) = (at!(data, a), at!(data, i));
                    add_to!(a, g * $d);
                }};
            }
            macro_rules! binary {
                (|$p:ident, $q:ident, $r:ident| $d:expr) => {{
                    let ($p, $q, $r) = (at!(data, a), at!(data, b), at!(data, i));
                    let (ga, gb): (f64, f64) = $d;
                    add_to!(a, g * ga);
                    add_to!(b, g * gb);
                }};
            }
            dispatch!(n.op,
                hot: {
                    continue;
                },
                others: {
                    Kind::Leaf => continue,
                    // (these write adjoints directly: forget the copies)
                    Kind::Sum => {
                        recent = [(NONE, 0.0); 2];
                        back_sum(&extra[a..a + b], adj, g)
                    }
                    Kind::DotRange => {
                        recent = [(NONE, 0.0); 2];
                        let (x0, len) = (extra[b] as usize, extra[b + 1] as usize);
                        back_dot_range(data, adj, g, a, x0, len);
                    }
                    Kind::Dot | Kind::Affine => {
                        recent = [(NONE, 0.0); 2];
                        back_dot(data, &extra[a..a + b], adj, g, n.op == Kind::Affine)
                    }
                    // (refused by `Replay::new`)
                    Kind::Custom => unreachable!(),
                }
            );
        }
        lo
    }
}

/// Groups of four dot-product nodes (`Dot` or `Affine`) of the same kind over the same inputs: a
/// layer's neurons, each `b + Σ wᵢxᵢ` over the layer's inputs. The forward pass computes a group's
/// four sums together, which lets the processor overlap four chains of additions instead of
/// waiting on one (each is still summed left to right: the same numbers). A node joins the group of
/// an earlier node `i` only if all its operands are below `i`, so computing it at `i` reads only
/// values already computed; later members are looked for among the next 8 nodes after the last.
/// Sums of fewer than 8 terms are left alone.
fn quads(meta: &[Meta], extra: &[u32]) -> Vec<[u32; 4]> {
    const MIN_QUAD_LEN: u32 = 8;
    // the node's inputs: every other item, after the bias
    let inputs = |n: &Meta| {
        let items = &extra[n.a as usize..(n.a + n.b) as usize];
        let skip = usize::from(n.op == Kind::Affine);
        items[skip..].iter().skip(1).step_by(2)
    };
    let mut taken = vec![false; meta.len()];
    let mut quads = Vec::new();
    for (i, n) in meta.iter().enumerate() {
        // (short sums gain less than the group's setup costs)
        if !matches!(n.op, Kind::Dot | Kind::Affine) || taken[i] || n.b < 2 * MIN_QUAD_LEN {
            continue;
        }
        let below_i = |m: &Meta| {
            extra[m.a as usize..(m.a + m.b) as usize]
                .iter()
                .all(|&k| (k as usize) < i)
        };
        let mut group = [i as u32; 4];
        let (mut found, mut last) = (1, i);
        let mut j = i + 1;
        while found < 4 && j < meta.len() && j <= last + 8 {
            let m = &meta[j];
            if m.op == n.op && m.b == n.b && !taken[j] && inputs(m).eq(inputs(n)) && below_i(m) {
                group[found] = j as u32;
                (found, last) = (found + 1, j);
            }
            j += 1;
        }
        if found == 4 {
            for &k in &group {
                taken[k as usize] = true;
            }
            quads.push(group);
        }
    }
    quads
}

/// The four dot products of a quad (see [`quads`]), each `init + Σ wᵢ·xᵢ` left to right from its
/// bias (`Affine`) or 0 (`Dot`), written to their nodes.
///
/// `Replay::new` checked every item to be a node below its own node (below the first, for a
/// quad's later members) and the lists to lie in `extra`; `quads` checked the four to be of one
/// kind, of one length and over the same inputs.
#[inline(never)]
fn dot4(data: &mut [f64], meta: &[Meta], extra: &[u32], quad: [u32; 4]) {
    let m = quad.map(|k| meta[k as usize]);
    let lists = m.map(|n| &extra[n.a as usize..(n.a + n.b) as usize]);
    let affine = usize::from(m[0].op == Kind::Affine);
    let mut acc = lists.map(|l| {
        if affine == 1 {
            data[l[0] as usize]
        } else {
            0.0
        }
    });
    let pairs = lists.map(|l| &l[affine..]);
    let len = pairs[0].len();
    assert!(pairs.iter().all(|p| p.len() == len));
    let (p0, p1, p2, p3) = (pairs[0], pairs[1], pairs[2], pairs[3]);
    for j in (0..len).step_by(2) {
        // SAFETY: j + 1 < len (the lists have even length) and every item is a node, as said above.
        unsafe {
            let x = *data.get_unchecked(*p0.get_unchecked(j + 1) as usize);
            let w = |p: &[u32]| *data.get_unchecked(*p.get_unchecked(j) as usize);
            acc[0] += w(p0) * x;
            acc[1] += w(p1) * x;
            acc[2] += w(p2) * x;
            acc[3] += w(p3) * x;
        }
    }
    for (k, a) in quad.iter().zip(acc) {
        data[*k as usize] = a;
    }
}

/// Whether node `i`'s operands satisfy the invariants of the module docs.
fn operands_ok(n: &Meta, i: usize, consts: &[f64], extra: &[u32]) -> bool {
    let (a, b) = (n.a as usize, n.b as usize);
    let below = |k: u32| (k as usize) < i;
    let list = |len: usize| a.checked_add(len).is_some_and(|end| end <= extra.len());
    match n.op {
        Kind::Leaf => true,
        Kind::Custom => false,
        Kind::Sum => list(b) && extra[a..a + b].iter().all(|&k| below(k)),
        Kind::Dot => list(b) && b % 2 == 0 && extra[a..a + b].iter().all(|&k| below(k)),
        Kind::Affine => list(b) && b % 2 == 1 && extra[a..a + b].iter().all(|&k| below(k)),
        Kind::DotRange => {
            let (Some(&x0), Some(&len)) = (extra.get(b), extra.get(b + 1)) else {
                return false;
            };
            let (x0, len) = (x0 as usize, len as usize);
            a + len <= i && x0 + len <= i
        }
        k if k.is_binary() => below(n.a) && below(n.b),
        k if k.has_constant() => below(n.a) && b < consts.len(),
        _ => below(n.a),
    }
}

/// `init + Σ data[wᵢ]·data[xᵢ]` over pairs `w0, x0, w1, x1, ...`, left to right (as `dot_of`), for
/// node `node`, whose operands these are.
///
/// Its callers guarantee (`Replay::new` checked) that every item is a node below `node`, and
/// `node < data.len()`.
#[inline(always)]
fn dot_pairs(data: &[f64], init: f64, pairs: &[u32], node: usize) -> f64 {
    let mut acc = init;
    for p in pairs.chunks_exact(2) {
        let (w, x) = (p[0] as usize, p[1] as usize);
        debug_assert!(w < node && x < node && node < data.len());
        // SAFETY: as said above.
        let (w, x) = unsafe { (*data.get_unchecked(w), *data.get_unchecked(x)) };
        acc += w * x;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::super::record::record;
    use super::{Replay, Value};

    #[test]
    fn dot_products_over_the_same_inputs_are_grouped_by_four() {
        // ten affine rows over x (the last two with biases computed between them), six matvec rows
        // (runs of nodes: `DotRange`, not grouped), and two rows that each depend on the one before
        let f = |v: &[Value]| {
            let (x, w) = v.split_at(9);
            let mut rows: Vec<Value> = (0..10)
                .map(|k| {
                    let wk = &w[9 * k..9 * k + 9];
                    let bias = if k < 8 { wk[0] } else { wk[0] * 0.5 };
                    Value::affine(bias, wk, x).tanh()
                })
                .collect();
            let mut out = Vec::new();
            Value::matvec(&w[..54], x, &mut out);
            rows.extend(out);
            let mut xs = x.to_vec();
            for _ in 0..2 {
                xs[8] = Value::affine(rows[0], &w[..9], &xs);
                rows.push(xs[8]);
            }
            Value::sum(rows)
        };
        let x: Vec<f64> = (0..99).map(|k| k as f64 / 99.0).collect();
        let replay = Replay::new(record(&f, &x).unwrap(), x.len());
        // rows 0-3 and 4-7, at every other node (a tanh between)
        assert_eq!(replay.quads.len(), 2);
        assert_eq!(
            replay.quads[0].map(|k| k - replay.quads[0][0]),
            [0, 2, 4, 6]
        );
        assert_eq!(replay.quads[1][0], replay.quads[0][0] + 8);
        // (and the entry past the last node)
        let skipped = replay.quad_nodes.iter().filter(|e| e.1 == super::NOT_FIRST);
        assert_eq!(skipped.count(), 6 + 1);
        assert_eq!(replay.quad_nodes.len(), 8 + 1);
    }
}
