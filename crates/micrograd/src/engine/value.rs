//! [`Value`]: the `Copy` handle to a node, its constructors and accessors, and the n-ary operations
//! (sum, dot, affine, matvec) that record a whole sum as one node. The table's ops get their methods
//! from the op table (`ops.rs`); the operators (`+`, `*`, ...) are in `operators.rs`.

use super::access::with_tape;
use super::kernels::{consecutive, dot4_of, dot4_slices, dot_of, dot_slices, sum_of};
use super::operators::Exponent;
use super::ops::{Kind, Op};
use super::NO_INPUT;
use std::marker::PhantomData;

/// A scalar in a computation graph: micrograd's `Value`.
///
/// A `Value` is a small `Copy` handle (16 bytes: the node's index, an epoch, and a copy of the node's
/// value) to a node on the current thread's [`Tape`](super::Tape), so
/// expressions need no `.clone()` and no `&`. Arithmetic works between Values and with `f64` on either
/// side; every result is a new node that remembers its operation and inputs.
///
/// ```
/// use micrograd::Value;
///
/// let a = Value::new(-4.0);
/// let b = Value::new(2.0);
/// let c = (a * b + 1.0).relu() + 2.0 * a / b - a.pow(2.0);
/// c.backward();
/// assert_eq!(c.data(), -20.0);
/// assert_eq!(a.grad(), 9.0);    // d/da [relu(ab+1) + 2a/b - a²] = 0 + 2/b - 2a
/// assert_eq!(b.grad(), 2.0);    // d/db = 0 - 2a/b²
/// ```
///
/// Values are tied to the thread that created them (`Value` is neither `Send` nor `Sync`). Equality
/// (`==`) compares node identity, not numbers: compare `a.data()` for that.
#[derive(Clone, Copy)]
pub struct Value {
    /// The node's index (low 32 bits) and the epoch the handle was made in (high 32 bits; see
    /// `Handles`). Two scalar fields, not three, so that a `Value` is passed and returned in
    /// two registers: as a 16-byte aggregate it went through memory, written in parts and read back
    /// whole, which stalls the processor's store-to-load forwarding.
    pub(super) key: u64,
    /// The node's value when the handle was made: used instead of the tape's copy while the tape can
    /// vouch that it is current (see `Handles::trusts`), which keeps a chain of operations in
    /// registers.
    pub(super) data: f64,
    _not_send: PhantomData<*const ()>,
}

impl PartialEq for Value {
    /// Node identity: the same node, from the same epoch.
    fn eq(&self, other: &Value) -> bool {
        self.key == other.key
    }
}

impl Eq for Value {}

impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl Value {
    #[inline(always)]
    pub(super) fn make(idx: u32, epoch: u32, data: f64) -> Value {
        Self::from_key(u64::from(idx) | u64::from(epoch) << 32, data)
    }

    /// A handle with key `key` (see `Value::key`) carrying `data`.
    #[inline(always)]
    pub(super) fn from_key(key: u64, data: f64) -> Value {
        Value {
            key,
            data,
            _not_send: PhantomData,
        }
    }

    /// The node's index.
    #[inline(always)]
    pub(super) fn idx(self) -> u32 {
        self.key as u32
    }

    /// The epoch the handle was made in.
    #[inline(always)]
    pub(super) fn epoch(self) -> u32 {
        (self.key >> 32) as u32
    }

    /// A new leaf holding `data`, with gradient 0.
    #[inline]
    pub fn new(data: f64) -> Value {
        with_tape(|t| t.push(Kind::Leaf, data, NO_INPUT, NO_INPUT))
    }

    // The constructors take the op as a const generic (`{ Kind::Tanh as u8 }`), so that each op gets its own
    // inlined copy with the forward formula known at compile time.

    #[inline(always)]
    pub(super) fn unary<const OP: u8>(self) -> Value {
        let op = const { Kind::from_code(OP) };
        with_tape(|t| {
            let x = t.data(self);
            t.push(op, op.unary_forward(x), self.idx(), NO_INPUT)
        })
    }

    #[inline(always)]
    pub(super) fn scalar<const OP: u8>(self, c: f64) -> Value {
        let op = const { Kind::from_code(OP) };
        with_tape(|t| {
            t.room_for_constant();
            let x = t.data(self);
            let k = t.constant(c);
            t.push(op, op.scalar_forward(x, c), self.idx(), k)
        })
    }

    #[inline(always)]
    pub(super) fn binary<const OP: u8>(self, other: Value) -> Value {
        let op = const { Kind::from_code(OP) };
        with_tape(|t| {
            let (a, b) = (t.data(self), t.data(other));
            t.push(op, op.binary_forward(a, b), self.idx(), other.idx())
        })
    }

    /// The forward value.
    #[inline]
    pub fn data(self) -> f64 {
        with_tape(|t| t.data(self))
    }

    /// The gradient accumulated by [`backward`](Value::backward) calls since it was last zeroed.
    #[inline]
    pub fn grad(self) -> f64 {
        with_tape(|t| t.grad(self))
    }

    /// Overwrites the forward value (an optimizer step on a parameter). Nodes already computed from this
    /// one are not recomputed. Every copy of this handle, and every other handle to the node, sees the
    /// new value from now on (a write may begin a new epoch, which counts towards the limit described
    /// at [`Tape::rewind`](super::Tape::rewind)).
    #[inline]
    pub fn set_data(self, data: f64) {
        with_tape(|t| {
            t.check(self);
            t.before_write(self.idx() as usize, self.idx() as usize);
            t.data[self.idx() as usize] = data;
        })
    }

    /// Overwrites the gradient.
    pub fn set_grad(self, grad: f64) {
        with_tape(|t| {
            *t.grad_mut(self) = grad;
            if t.meta[self.idx() as usize].op != Kind::Leaf && grad != 0.0 {
                t.mark_dirty(self.idx(), self.idx());
            }
        })
    }

    /// Sets the gradient to zero.
    #[inline]
    pub fn zero_grad(self) {
        with_tape(|t| {
            t.check(self);
            t.grad[self.idx() as usize] = 0.0;
        })
    }

    /// Backpropagation: adds `d self / d node` to the gradient of every node `self` depends on
    /// (including `self`, whose gradient grows by 1), by the chain rule in reverse topological order.
    ///
    /// Gradients **accumulate**, as with micrograd's `+=`: call it twice without zeroing and every
    /// gradient doubles. Zero them with [`Value::zero_grad`] (per value), [`Tape::zero_grad`](super::Tape::zero_grad) (all) or
    /// `Module::zero_grad` in `nn`. A value used along several paths gets the sum over all of them.
    /// Nodes that `self` does not depend on are untouched. Iterative, so any depth works.
    ///
    /// (micrograd sets the root's gradient to 1 instead of adding 1, and re-propagates the gradients
    /// intermediate nodes already hold, so its gradients after a second call without zeroing are
    /// not the sum of two passes; here they are.)
    pub fn backward(self) {
        with_tape(|t| t.backward(self))
    }

    /// The operation that produced this value.
    pub fn op(self) -> Op {
        with_tape(|t| t.meta(self).op.op())
    }

    /// The values this one was computed from, in order (for [`Value::dot`]: `w0, x0, w1, x1, ...`;
    /// for [`Value::affine`]: `b, w0, x0, ...`). Empty for leaves.
    pub fn inputs(self) -> Vec<Value> {
        with_tape(|t| {
            let n = t.meta(self);
            let ids: Vec<u32> = match n.op {
                Kind::Leaf => vec![],
                Kind::DotRange => {
                    let k = n.b as usize;
                    let (x0, len) = (t.extra[k], t.extra[k + 1]);
                    (0..len).flat_map(|j| [n.a + j, x0 + j]).collect()
                }
                Kind::Sum | Kind::Dot | Kind::Affine => {
                    let (s, len) = (n.a as usize, n.b as usize);
                    t.extra[s..s + len].to_vec()
                }
                op if op.is_binary() => vec![n.a, n.b],
                _ => vec![n.a],
            };
            ids.into_iter().map(|i| t.handle_from(self, i)).collect()
        })
    }

    /// The constant of a unary op with a constant (`x + c`, `x * c`, `x^c`, ...), or for
    /// [`Value::custom`] the derivative `f'(x)` it recorded; `None` for other ops.
    pub fn constant(self) -> Option<f64> {
        with_tape(|t| {
            let n = t.meta(self);
            n.op.has_constant().then(|| t.consts[n.b as usize])
        })
    }

    /// A position that identifies this node on its tape (its creation index).
    pub fn id(self) -> usize {
        self.idx() as usize
    }

    /// Whether this handle still refers to a live node (false after its node was rewound).
    pub fn is_alive(self) -> bool {
        with_tape(|t| t.handles.is_live(self, t.len) && (self.idx() as usize) < t.len)
    }

    /// Attaches a label, shown by the graph picture.
    pub fn set_label(self, label: &str) {
        with_tape(|t| {
            t.check(self);
            t.labels.insert(self.idx(), label.into());
        })
    }

    /// Attaches a label and returns `self`: `let x = Value::new(2.0).with_label("x");`
    pub fn with_label(self, label: &str) -> Value {
        self.set_label(label);
        self
    }

    /// The label, if one was attached.
    pub fn label(self) -> Option<String> {
        with_tape(|t| {
            t.check(self);
            t.labels.get(&self.idx()).map(|s| s.to_string())
        })
    }

    // (the table's ops with a method of their own, `relu` to `abs`, `max` and `min`, get it from
    // the op table: see `ops.rs`)

    /// `self` raised to a power: an `f64` (or integer) exponent, as micrograd's `x**k`, or a `Value`.
    ///
    /// * Constant exponent `k`: `x^k` with derivative `k·x^(k-1)`. At x = 0 that is 0 for k > 1, 1 for
    ///   k = 1, `inf` for k < 1. A negative base works for integer k (`(-2)^3 = -8`) and gives NaN for
    ///   fractional k.
    /// * Value exponent `b`: `a^b` with `d/da = b·a^(b-1)` and `d/db = a^b·ln a`. For a > 0 both are
    ///   ordinary. For a = 0, `d/db` is taken as 0 (its limit for b > 0). For a **negative base** the
    ///   value and `d/da` are defined when b is an integer, but `d/db` is NaN: a real power of a negative
    ///   number does not exist for non-integer exponents, so there is no derivative in b. The NaN lands
    ///   only in the exponent's gradient.
    ///
    /// ```
    /// use micrograd::Value;
    /// let x = Value::new(3.0);
    /// let y = x.pow(2) + x.pow(0.5) + x.pow(Value::new(2.0));
    /// y.backward();
    /// assert!((x.grad() - (6.0 + 0.5 / 3f64.sqrt() + 6.0)).abs() < 1e-12);
    /// ```
    #[inline]
    pub fn pow<E: Exponent>(self, exponent: E) -> Value {
        exponent.pow_of(self)
    }

    /// A user-defined unary operation: `f` gives the value and `df` its derivative, both evaluated once,
    /// now, at `self.data()`. The node stores `f'(x)`, so no closure is kept.
    ///
    /// ```
    /// use micrograd::Value;
    /// let x = Value::new(0.5);
    /// let y = x.custom(f64::sin, f64::cos); // y = sin(x), dy/dx = cos(x)
    /// y.backward();
    /// assert_eq!(y.data(), 0.5f64.sin());
    /// assert_eq!(x.grad(), 0.5f64.cos());
    /// ```
    pub fn custom(self, f: impl FnOnce(f64) -> f64, df: impl FnOnce(f64) -> f64) -> Value {
        let x = self.data();
        let (y, d) = (f(x), df(x));
        with_tape(|t| {
            t.check(self);
            t.room_for_constant();
            let k = t.constant(d);
            t.push(Kind::Custom, y, self.idx(), k)
        })
    }

    /// `Σ xᵢ` over all the items, as a single node, summed left to right from 0.
    /// An empty iterator gives a node holding 0.
    ///
    /// ```
    /// use micrograd::Value;
    /// let xs: Vec<Value> = (1..=4).map(|i| Value::new(i as f64)).collect();
    /// let s = Value::sum(xs.iter().copied());
    /// s.backward();
    /// assert_eq!(s.data(), 10.0);
    /// assert!(xs.iter().all(|x| x.grad() == 1.0));
    /// ```
    pub fn sum<I: IntoIterator<Item = Value>>(items: I) -> Value {
        // The iterator may itself create values, so it runs before the tape is borrowed.
        let items: Vec<Value> = items.into_iter().collect();
        Self::sum_slice(&items)
    }

    /// [`Value::sum`] of a slice, without collecting.
    pub fn sum_slice(items: &[Value]) -> Value {
        with_tape(|t| {
            // Check every handle first, then sum in a loop without calls, which keeps the total in a
            // register (a call, even a cold one, would force it to the stack on every iteration).
            t.check_all(items);
            let acc = sum_of(&t.data, items);
            let start = t.extra.len();
            t.extra.extend(items.iter().map(|v| v.idx()));
            let len = t.extra.len() - start;
            t.push(Kind::Sum, acc, start as u32, len as u32)
        })
    }

    /// The dot product `Σ wᵢ·xᵢ`, summed left to right from 0, as a single node.
    ///
    /// # Panics
    /// If the slices differ in length.
    ///
    /// ```
    /// use micrograd::Value;
    /// let w = [Value::new(2.0), Value::new(-1.0)];
    /// let x = [Value::new(3.0), Value::new(4.0)];
    /// let y = Value::dot(&w, &x);
    /// y.backward();
    /// assert_eq!(y.data(), 2.0);
    /// assert_eq!((w[0].grad(), x[1].grad()), (3.0, -1.0));
    /// ```
    pub fn dot(w: &[Value], x: &[Value]) -> Value {
        Self::dot_impl(None, w, x)
    }

    /// A matrix-vector product: for every row of the row-major matrix `w` (with `x.len()` columns),
    /// one [`Op::Dot`] node `Σⱼ w[o][j]·x[j]`, pushed onto `out` (which is cleared first). The same
    /// nodes and numbers as calling [`Value::dot`] row by row, but `x` is checked once.
    ///
    /// # Panics
    /// If `w.len()` is not a multiple of `x.len()` (or `x` is empty and `w` is not).
    ///
    /// ```
    /// use micrograd::Value;
    /// let w: Vec<Value> = [1.0, 2.0, 3.0, 4.0].map(Value::new).to_vec(); // [[1, 2], [3, 4]]
    /// let x = [Value::new(1.0), Value::new(-1.0)];
    /// let mut y = Vec::new();
    /// Value::matvec(&w, &x, &mut y);
    /// assert_eq!((y[0].data(), y[1].data()), (-1.0, -1.0));
    /// ```
    pub fn matvec(w: &[Value], x: &[Value], out: &mut Vec<Value>) {
        out.clear();
        if w.is_empty() {
            return;
        }
        assert!(
            !x.is_empty() && w.len() % x.len() == 0,
            "micrograd: matvec of {} weights with {} inputs (not a whole number of rows)",
            w.len(),
            x.len()
        );
        with_tape(|t| {
            let w_range = t.check_all(w).is_some() || consecutive(w);
            let x_range = t.check_all(x).is_some() || consecutive(x);
            let n = x.len();
            let mut sums = Vec::with_capacity(w.len() / n);
            if x_range && w_range {
                // Both are runs of consecutive nodes: read their values as slices.
                let (w0, x0) = (w[0].idx() as usize, x[0].idx() as usize);
                let xs = &t.data[x0..x0 + n];
                let mut quads = t.data[w0..w0 + w.len()].chunks_exact(4 * n);
                for quad in &mut quads {
                    sums.extend(dot4_slices(quad, xs));
                }
                sums.extend(
                    quads
                        .remainder()
                        .chunks_exact(n)
                        .map(|row| dot_slices(row, xs)),
                );
            } else {
                // Four rows at a time: each row is still summed left to right (the same numbers as
                // `Value::dot`), but four independent sums keep the adder busy.
                let mut quads = w.chunks_exact(4 * n);
                for quad in &mut quads {
                    sums.extend(dot4_of(&t.data, quad, x));
                }
                for row in quads.remainder().chunks_exact(n) {
                    sums.push(dot_of(&t.data, 0.0, row, x));
                }
            }
            for (row, acc) in w.chunks_exact(n).zip(sums) {
                out.push(t.record_dot(acc, row, x, w_range && x_range));
            }
        })
    }

    /// `b + Σ wᵢ·xᵢ`, summed left to right starting from `b` (micrograd's neuron, bit for bit), as a
    /// single node.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn affine(b: Value, w: &[Value], x: &[Value]) -> Value {
        Self::dot_impl(Some(b), w, x)
    }

    fn dot_impl(bias: Option<Value>, w: &[Value], x: &[Value]) -> Value {
        assert_eq!(
            w.len(),
            x.len(),
            "micrograd: dot product of {} weights with {} inputs",
            w.len(),
            x.len()
        );
        with_tape(|t| {
            // Check every handle first, then sum in a loop without calls, which keeps the total in a
            // register (a call, even a cold one, would force it to the stack on every iteration).
            let w_range = t.check_all(w).is_some() || consecutive(w);
            let x_range = t.check_all(x).is_some() || consecutive(x);
            let init = match bias {
                Some(b) => t.data(b),
                None => 0.0,
            };
            let acc = dot_of(&t.data, init, w, x);
            let Some(b) = bias else {
                let ranges = w_range && x_range;
                return t.record_dot(acc, w, x, ranges);
            };
            let start = t.extra.len();
            t.extra.push(b.idx());
            t.push_pairs(w, x);
            let len = t.extra.len() - start;
            t.push(Kind::Affine, acc, start as u32, len as u32)
        })
    }
}
