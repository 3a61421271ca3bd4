//! The autograd engine: [`Value`], its operations, and the [`Tape`] they are recorded on.
//!
//! Every operation lives in the `ops!` table below: its forward formula and its local derivative side by
//! side, with a one-line math comment. Adding an operation means adding one line to that table (and, for
//! a public method, a few lines that call it).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::iter::{Product, Sum};
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// Marks "no input" in a node's input slot (leaves).
const NO_INPUT: u32 = u32::MAX;

/// The most nodes a tape holds (2³¹ − 1, some 60 GB of tape), and also the most rewinds: keeping
/// indices and epochs below 2³¹ lets the validity check run on signed 32-bit lanes.
const MAX_NODES: u32 = i32::MAX as u32;

/// "No bound": every index is below it.
const NO_BOUND: u32 = MAX_NODES;

// ---------------------------------------------------------------------------------------------------
// The operation table
// ---------------------------------------------------------------------------------------------------

macro_rules! ops {
    (
        unary {
            $( $(#[$um:meta])* $U:ident $usym:literal
               |$x:ident| $uf:expr, |$dx:ident, $dy:ident| $ud:expr; )*
        }
        scalar {
            $( $(#[$sm:meta])* $S:ident $ssym:literal
               |$sx:ident, $c:ident| $sf:expr, |$sdx:ident, $dc:ident, $sdy:ident| $sd:expr; )*
        }
        binary {
            hot {
                $( $(#[$hm:meta])* $H:ident $hsym:literal
                   |$ha:ident, $hb:ident| $hf:expr, |$hda:ident, $hdb:ident, $hdz:ident| $hd:expr; )*
            }
            $( $(#[$bm:meta])* $B:ident $bsym:literal
               |$a:ident, $b:ident| $bf:expr, |$da:ident, $db:ident, $dz:ident| $bd:expr; )*
        }
    ) => {
        /// The operation that produced a node. Part of the public API so that tools (such as the graph
        /// picture in `viz`) can show it; [`Op::symbol`] gives its short printable name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[non_exhaustive]
        pub enum Op {
            /// A leaf: a value created with [`Value::new`], not computed from other values.
            Leaf,
            /// `Σ xᵢ` over any number of inputs, as one node ([`Value::sum`]).
            Sum,
            /// `Σ wᵢ·xᵢ`, as one node ([`Value::dot`]).
            Dot,
            /// `b + Σ wᵢ·xᵢ` summed left to right from `b`, as one node ([`Value::affine`]).
            Affine,
            /// A user-supplied unary function ([`Value::custom`]).
            Custom,
            /// Internal: a [`Op::Dot`] whose weights and inputs are consecutive nodes, stored as two
            /// ranges. [`Value::op`] reports it as `Dot`.
            #[doc(hidden)]
            DotRange,
            $( $(#[$um])* $U, )*
            $( $(#[$sm])* $S, )*
            $( $(#[$bm])* $B, )*
            // (last, so that `is_hot` is one compare)
            $( $(#[$hm])* $H, )*
        }

        impl Op {
            /// The operation's short printable name (`+`, `*`, `tanh`, ...).
            pub fn symbol(self) -> &'static str {
                match self {
                    Op::Leaf => "",
                    Op::Sum => "sum",
                    Op::Dot | Op::DotRange => "dot",
                    Op::Affine => "affine",
                    Op::Custom => "custom",
                    $( Op::$U => $usym, )*
                    $( Op::$S => $ssym, )*
                    $( Op::$H => $hsym, )*
                    $( Op::$B => $bsym, )*
                }
            }

            /// The op with code `code` (its `as u8`), for the const-generic constructors.
            const fn from_code(code: u8) -> Op {
                $( if code == Op::$U as u8 { return Op::$U; } )*
                $( if code == Op::$S as u8 { return Op::$S; } )*
                $( if code == Op::$H as u8 { return Op::$H; } )*
                $( if code == Op::$B as u8 { return Op::$B; } )*
                Op::Leaf
            }

            /// Whether the op keeps a constant (`x + c`, `x^c`, ...; `Custom` keeps `f'(x)`).
            fn has_constant(self) -> bool {
                matches!(self, Op::Custom $( | Op::$S )*)
            }

            /// Whether the op is one of the `hot` binary ops, which the backward sweep tests for before
            /// its jump table (they come last, so this is one compare).
            #[inline(always)]
            fn is_hot(self) -> bool {
                const FIRST_HOT: Op = [$( Op::$H ),*][0];
                self as u8 >= FIRST_HOT as u8
            }

            /// Whether the op has exactly two inputs.
            fn is_binary(self) -> bool {
                matches!(self, $( Op::$H )|* $( | Op::$B )*)
            }

            #[inline(always)]
            fn unary_forward(self, x: f64) -> f64 {
                match self {
                    $( Op::$U => { let $x = x; $uf } )*
                    _ => unreachable!(),
                }
            }

            #[inline(always)]
            fn scalar_forward(self, x: f64, c: f64) -> f64 {
                match self {
                    $( Op::$S => { let ($sx, $c) = (x, c); $sf } )*
                    _ => unreachable!(),
                }
            }

            #[inline(always)]
            fn binary_forward(self, a: f64, b: f64) -> f64 {
                match self {
                    $( Op::$H => { let ($ha, $hb) = (a, b); $hf } )*
                    $( Op::$B => { let ($a, $b) = (a, b); $bf } )*
                    _ => unreachable!(),
                }
            }
        }

        /// Propagates `adj[root]` back to every node below it, in reverse creation order (the tape order is
        /// a topological order, so no recursion and no sort are needed). Returns the lowest index of a
        /// non-leaf node that received a non-zero adjoint (or `root + 1` if none did).
        ///
        /// Two adjoints live in registers instead of memory, because a value written to memory and read
        /// back by the next node costs some 10 cycles of latency, which a long chain pays per node:
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
        /// table, which cost a chain an indirect jump and a jump back per node (backward: 2.06 against
        /// 1.41 ns/node, with the hint of `cold` on the rarer paths).
        ///
        /// The per-node reads of `meta`, `data` and `adj` are unchecked: every index is a node at or
        /// below `root`, which is checked against the lengths once, on entry; the sweep only goes
        /// down, and a node's inputs are checked to be below it (one register compare each, where a
        /// bounds check would need the lengths). N-ary ops and constants use checked indexing.
        #[allow(unused_variables, clippy::neg_multiply)]
        fn propagate(data: &[f64], meta: &[Meta], consts: &[f64], extra: &[u32], adj: &mut [f64], root: usize, leaf_prefix: usize) -> usize {
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
                // The hot binary ops first, with one compare: through the jump table below, a chain of
                // them ran 15% slower (an indirect jump per node, and the arms' jumps back).
                if n.op.is_hot() {
                    match n.op {
                        $( Op::$H => binary!(|$hda, $hdb, $hdz| $hd), )*
                        _ => unreachable!(),
                    }
                    lowest_interior = i;
                    continue;
                }
                match n.op {
                    Op::Leaf => continue,
                    Op::Sum | Op::Dot | Op::Affine | Op::DotRange => {
                        // (these write their inputs' adjoints directly: put the cached one back, and
                        // cache this node's own, which nothing below writes to; the carry may be stale)
                        set!(c, cv);
                        (c, cv) = (i, g);
                        carry.0 = NONE;
                        let (s, len) = (n.a as usize, n.b as usize);
                        match n.op {
                            Op::Sum => back_sum(&extra[s..s + len], adj, g),
                            Op::DotRange => {
                                let (x0, len) = (extra[len] as usize, extra[len + 1] as usize);
                                back_dot_range(data, adj, g, s, x0, len);
                            }
                            op => back_dot(data, &extra[s..s + len], adj, g, op == Op::Affine),
                        }
                    }
                    // The derivative f'(x) was evaluated when the node was created.
                    Op::Custom => add_to!(input!(n.a), g * consts[n.b as usize]),
                    $( Op::$U => {
                        let a = input!(n.a);
                        let ($dx, $dy) = (at!(data, a), at!(data, i));
                        add_to!(a, g * $ud);
                    } )*
                    $( Op::$S => {
                        let a = input!(n.a);
                        let ($sdx, $dc, $sdy) = (at!(data, a), consts[n.b as usize], at!(data, i));
                        add_to!(a, g * $sd);
                    } )*
                    $( Op::$H => unreachable!(), )*
                    $( Op::$B => binary!(|$da, $db, $dz| $bd), )*
                }
                lowest_interior = i;
            }
            set!(c, cv);
            lowest_interior
        }
    };
}

ops! {
    unary {
        // y = f(x);  x: input, y: output
        /// `-x`
        Neg "neg" |x| -x, |x, y| -1.0;                                         // d/dx (-x) = -1
        /// `e^x`
        Exp "exp" |x| x.exp(), |x, y| y;                                       // d/dx e^x = e^x
        /// `ln x`
        Log "log" |x| x.ln(), |x, y| 1.0 / x;                                  // d/dx ln x = 1/x
        /// `tanh x`
        Tanh "tanh" |x| x.tanh(), |x, y| 1.0 - y * y;                          // d/dx tanh(x) = 1 - tanh(x)²
        /// `1 / (1 + e^-x)`
        Sigmoid "sigmoid" |x| sigmoid(x), |x, y| y * (1.0 - y);                // d/dx σ(x) = σ(x)(1 - σ(x))
        /// `max(0, x)`
        Relu "relu" |x| if x > 0.0 { x } else { 0.0 }, |x, y| if x > 0.0 { 1.0 } else { 0.0 }; // d/dx relu(x) = [x > 0]
        /// `√x`
        Sqrt "sqrt" |x| x.sqrt(), |x, y| 0.5 / y;                              // d/dx √x = 1/(2√x)
        /// `|x|`
        Abs "abs" |x| x.abs(), |x, y| sign(x);                                 // d/dx |x| = sign(x), 0 at 0
    }
    scalar {
        // y = f(x, c);  x: input, c: a constant, y: output
        /// `x + c`
        AddConst "+" |x, c| x + c, |x, c, y| 1.0;                              // d/dx (x + c) = 1
        /// `c - x`
        ConstSub "-" |x, c| c - x, |x, c, y| -1.0;                             // d/dx (c - x) = -1
        /// `x * c`
        MulConst "*" |x, c| x * c, |x, c, y| c;                                // d/dx (c·x) = c
        /// `x / c`
        DivConst "/" |x, c| x / c, |x, c, y| 1.0 / c;                          // d/dx (x/c) = 1/c
        /// `c / x`
        ConstDiv "/" |x, c| c / x, |x, c, y| -c / (x * x);                     // d/dx (c/x) = -c/x²
        /// `x^c`
        PowConst "pow" |x, c| x.powf(c), |x, c, y| pow_da(x, c);               // d/dx x^c = c·x^(c-1)
    }
    binary {
        // z = f(a, b) → (dz/da, dz/db)
        hot {
            // (the backward sweep tests for these two before its jump table: most chains are made of them)
            /// `a + b`
            Add "+" |a, b| a + b, |a, b, z| (1.0, 1.0);                        // d(a+b) = (1, 1)
            /// `a * b`
            Mul "*" |a, b| a * b, |a, b, z| (b, a);                            // d(ab) = (b, a)
        }
        /// `a - b`
        Sub "-" |a, b| a - b, |a, b, z| (1.0, -1.0);                           // d(a-b) = (1, -1)
        /// `a / b`
        Div "/" |a, b| a / b, |a, b, z| (1.0 / b, -z / b);                     // d(a/b) = (1/b, -a/b²)
        /// `a^b`
        Pow "pow" |a, b| a.powf(b), |a, b, z| (pow_da(a, b), pow_db(a, z));    // d(a^b) = (b·a^(b-1), a^b·ln a)
        /// `max(a, b)`
        Max "max" |a, b| max(a, b), |a, b, z| if a >= b { (1.0, 0.0) } else { (0.0, 1.0) }; // d max = ([a ≥ b], [a < b])
        /// `min(a, b)`
        Min "min" |a, b| min(a, b), |a, b, z| if a <= b { (1.0, 0.0) } else { (0.0, 1.0) }; // d min = ([a ≤ b], [a > b])
    }
}

/// Numerically stable logistic function: never evaluates `exp` of a large positive number.
#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[inline]
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[inline]
fn max(a: f64, b: f64) -> f64 {
    if a >= b {
        a
    } else if a < b {
        b
    } else {
        f64::NAN
    }
}

#[inline]
fn min(a: f64, b: f64) -> f64 {
    if a <= b {
        a
    } else if a > b {
        b
    } else {
        f64::NAN
    }
}

/// d(a^b)/da = b·a^(b-1), taken as 0 for b = 0 (where the formula would give 0·∞ at a = 0).
#[inline]
fn pow_da(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        b * a.powf(b - 1.0)
    }
}

/// d(a^b)/db = a^b · ln a. For a = 0 (and b > 0, so a^b = 0) the limit is 0; for a < 0 it is NaN.
#[inline]
fn pow_db(a: f64, z: f64) -> f64 {
    if a == 0.0 {
        0.0
    } else {
        z * a.ln()
    }
}

// ---------------------------------------------------------------------------------------------------
// The tape
// ---------------------------------------------------------------------------------------------------

/// What a node was computed from: 12 bytes. Its forward value lives in a parallel `Vec<f64>` and its
/// gradient in another: 28 bytes per node, plus 8 for ops with a constant and 4 per input of n-ary ops.
/// (`repr(C)`: `push` writes `a` and `b` together as one `u64`.)
#[derive(Clone, Copy)]
#[repr(C)]
struct Meta {
    /// First input (unary and binary ops) or the start of the items in `extra` (n-ary ops).
    a: u32,
    /// Second input (binary ops), the index of the op's constant in `consts` (scalar ops, `Custom`), or
    /// the item count (n-ary ops).
    b: u32,
    op: Op,
}

struct TapeInner {
    /// Number of nodes. `data` and `meta` are kept at least this long, with spare slots past the end
    /// already allocated, so that adding a node never reallocates in the middle of an operation.
    len: usize,
    /// Number of constants in use in `consts` (which has spare slots too).
    consts_len: usize,
    /// Forward values, one per node.
    data: Vec<f64>,
    /// Inputs and op, one per node.
    meta: Vec<Meta>,
    /// Constants of scalar ops (`x + c`, `x^c`, ...) and the derivatives recorded by `Custom`.
    consts: Vec<f64>,
    /// Gradients, one per node. `data`, `meta` and `grad` always have the same length (the capacity;
    /// the entries past `len` are spare), and a node's gradient is zeroed when the node is pushed.
    grad: Vec<f64>,
    /// Inputs of n-ary nodes.
    extra: Vec<u32>,
    labels: BTreeMap<u32, Box<str>>,
    /// Bumped on every rewind, and on a write to a node some handle may hold a copy of (see
    /// `before_write`); a handle records the epoch it was created in.
    epoch: u32,
    /// Every handle from this epoch or a later one is alive: the epoch that began with the last rewind.
    live_from: u32,
    /// The number of nodes when the current epoch began: only nodes from this index up, and the
    /// handles `handle_from` minted, can have handles that carry the current epoch.
    epoch_start: usize,
    /// Whether `handle_from` made a handle in the current epoch.
    minted: bool,
    /// `epoch` in a handle's key position (`epoch << 32`, see `Value::key`), so that `trusts` compares
    /// keys directly.
    epoch_key: u64,
    /// A handle from an epoch in `trust_from..epoch` with an index below `trust_below` carries its
    /// node's current value (the node was not written since, and is alive): see `TapeInner::trusts`.
    /// The two are kept packed as `trust_box(trust_from, trust_below)`, the form `trusts` tests (see
    /// `in_trust_box`); `TapeInner::trust_from` and `TapeInner::trust_below` unpack them.
    trust_box: u64,
    /// Handles from epochs before this one are all invalid (the tape was cleared then).
    era_start: u32,
    /// The rewinds since `era_start` that still matter, as `(epoch after the rewind, mark)`, with both
    /// strictly increasing: the lowest mark any rewind after epoch `e` went down to is the mark of the
    /// first entry whose epoch is above `e`.
    rewinds: Vec<(u32, u32)>,
    /// The lowest mark of any rewind since `era_start` (`NO_BOUND` if none): a handle from this era with
    /// an index below it is valid whatever its epoch.
    safe_below: u32,
    /// A handle from an epoch at or after `recent_epoch` (the one before the last logged rewind) is
    /// valid if its index is below `recent_mark` (the last logged rewind's mark): this covers a model's
    /// parameters made after some earlier, lower rewinds.
    recent_epoch: u32,
    recent_mark: u32,
    /// Range of non-leaf nodes whose gradient may be non-zero (see `backward`).
    dirty: Option<(u32, u32)>,
    /// How many nodes at the start of the tape are leaves (the backward sweep stops there): kept up to
    /// date by leaf pushes only, so that pushing an op costs nothing extra.
    leaf_prefix: usize,
    scratch: Vec<f64>,
}

thread_local! {
    /// This thread's tape, allocated on first use (null before that and after the thread's exit began).
    /// A plain pointer, which needs no destructor, so reaching it costs one load: a `RefCell` here
    /// (a destructor-registration check and a borrow flag on every operation) made a chain of
    /// operations 40% slower (the forward pass of a 1,000,000-node chain: 3.6 against 2.5 ns/node).
    /// `BUSY` while a panic raised inside `with_tape` is being reported (see `panic_in_tape`).
    static TAPE: Cell<*mut TapeInner> = const { Cell::new(std::ptr::null_mut()) };
    /// Owns the tape and frees it when the thread exits.
    static OWNER: TapeOwner = const { TapeOwner };
}

/// Stands in `TAPE` for the tape while a panic from inside `with_tape` is reported: never dereferenced
/// (an aligned dangling address, just above null, so that one compare catches both).
const BUSY: *mut TapeInner = std::ptr::NonNull::dangling().as_ptr();

/// Frees the thread's tape when the thread exits.
struct TapeOwner;

impl Drop for TapeOwner {
    fn drop(&mut self) {
        let p = TAPE.with(|t| t.replace(std::ptr::null_mut()));
        if !p.is_null() {
            // SAFETY: `p` came from `Box::into_raw` in `new_tape` and has just been unpublished, so no
            // other pointer to the tape remains; no `with_tape` call is running (this destructor runs
            // outside any of them, as they call no user code).
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

#[cold]
#[inline(never)]
fn new_tape(p: *mut TapeInner) -> *mut TapeInner {
    assert!(
        p != BUSY,
        "micrograd: the tape was used while one of its panics was being reported (from a panic hook)"
    );
    // Touching OWNER registers its destructor; this fails once the thread has begun to exit.
    let owner = OWNER.try_with(|_| ());
    assert!(
        owner.is_ok(),
        "micrograd: a Value was used while its thread was exiting, after the thread's tape was freed"
    );
    let p = Box::into_raw(Box::new(TapeInner::new()));
    TAPE.with(|t| t.set(p));
    p
}

/// Runs `f` on this thread's tape.
///
/// The tape is reached through a raw pointer, so exclusivity rests on two rules, kept by every caller
/// in this file: **`f` never calls `with_tape` again and never runs user code** (closures, iterators,
/// `Drop` of user types); user callbacks (`Value::custom`, the iterator of `Value::sum`) run before
/// or after. And **every panic `f` raises goes through `panic_in_tape`**, which makes the tape
/// unavailable before the panic hook (user code) runs. Debug builds check the first rule at run time,
/// and `cargo miri test -p micrograd --test engine` checks the aliasing of these accesses.
#[inline(always)]
fn with_tape<R>(f: impl FnOnce(&mut TapeInner) -> R) -> R {
    let mut p = TAPE.with(Cell::get);
    // (null before the first use, `BUSY` while a panic from inside is being reported)
    if p as usize <= BUSY as usize {
        p = new_tape(p);
    }
    #[cfg(debug_assertions)]
    let _busy = reentry::Busy::enter();
    // SAFETY: `p` points to this thread's live tape (allocated by `new_tape`, freed only by `TapeOwner`
    // after being unpublished), which no other thread can reach (the pointer is thread-local and
    // `Value` is not `Send`), and the rules above mean no other reference to it exists while `f` runs.
    f(unsafe { &mut *p })
}

/// Debug-build check of `with_tape`'s rule: a nested call panics instead of aliasing the tape.
#[cfg(debug_assertions)]
mod reentry {
    use std::cell::Cell;

    thread_local! {
        static BUSY: Cell<bool> = const { Cell::new(false) };
    }

    pub(super) struct Busy;

    impl Busy {
        pub(super) fn enter() -> Busy {
            assert!(
                !BUSY.with(|b| b.replace(true)),
                "micrograd: internal error: nested access to the tape"
            );
            Busy
        }
    }

    impl Drop for Busy {
        fn drop(&mut self) {
            BUSY.with(|b| b.set(false));
        }
    }
}

/// Panics from inside `with_tape`. Every panic the engine raises there goes through here, because the
/// panic hook, which is user code, runs before the stack unwinds, while `with_tape`'s `&mut TapeInner`
/// is still live. So the panic is raised with the tape made unavailable (`TAPE` holds `BUSY`: a hook
/// that touches the tape panics in turn and the process aborts, instead of aliasing it), caught here
/// right after the hook has run, and resumed with the tape back in place (`resume_unwind` runs no hook).
/// Done here rather than by a guard in `with_tape`, whose cleanup on every operation's unwind path
/// pushed a chain's running value out of registers (forward 2.0 → 3.4 ns/node).
#[cold]
#[inline(never)]
fn panic_in_tape(message: fmt::Arguments<'_>) -> ! {
    let tape = TAPE.with(|t| t.replace(BUSY));
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panic!("{message}")))
        .expect_err("panic! returned");
    TAPE.with(|t| t.set(tape));
    std::panic::resume_unwind(payload)
}

/// `trusts`' second test, `epoch(key) >= from && idx(key) < below`, packed as `trust_box(from, below)`
/// so that it takes one subtraction and one mask instead of two compares and two branches (forward:
/// 1.96 against 1.85 ns/node). Sound because indices, `below` and epochs are all below 2³¹: for
/// `key − ((from − 1) << 32 | below)`, the low half borrows (and so has its top bit set) exactly when
/// `idx < below`; given that borrow, the high half is `epoch − from`, whose top bit is clear exactly
/// when `epoch >= from`.
#[inline(always)]
fn in_trust_box(key: u64, trust_box: u64) -> bool {
    const SIGNS: u64 = 1 << 63 | 1 << 31;
    key.wrapping_sub(trust_box) & SIGNS == 1 << 31
}

/// See `in_trust_box`.
const fn trust_box(from: u32, below: u32) -> u64 {
    (from.wrapping_sub(1) as u64) << 32 | below as u64
}

/// Marks the path it is called on as the unlikely one, so that the compiler lays out the other as the
/// straight line: a taken branch ends the processor's fetch block, and the backward sweep of a chain
/// ran at 1.79 ns/node with its usual path jumping about, 1.65 with it straight.
#[cold]
#[inline(always)]
fn cold() {}

#[cold]
#[inline(never)]
fn stale_handle(idx: u32, len: usize) -> ! {
    if (idx as usize) >= len {
        panic_in_tape(format_args!(
            "micrograd: Value #{idx} was rewound from the tape (the tape now holds {len} nodes): \
             a Value created after a Tape::mark() is invalid after Tape::rewind()/Tape::clear()"
        ))
    }
    panic_in_tape(format_args!(
        "micrograd: Value #{idx} was rewound from the tape and its slot reused by a newer node: \
         a Value created after a Tape::mark() is invalid after Tape::rewind()/Tape::clear()"
    ))
}

impl TapeInner {
    const fn new() -> Self {
        TapeInner {
            len: 0,
            consts_len: 0,
            data: Vec::new(),
            meta: Vec::new(),
            consts: Vec::new(),
            grad: Vec::new(),
            extra: Vec::new(),
            labels: BTreeMap::new(),
            epoch: 0,
            live_from: 0,
            epoch_start: 0,
            minted: false,
            epoch_key: 0,
            trust_box: trust_box(0, NO_BOUND),
            era_start: 0,
            rewinds: Vec::new(),
            safe_below: NO_BOUND,
            recent_epoch: 0,
            recent_mark: NO_BOUND,
            dirty: None,
            leaf_prefix: 0,
            scratch: Vec::new(),
        }
    }

    /// Whether a handle refers to a live node. Register-only in the common cases: a handle from the
    /// current epoch, or one below every mark rewound to since it was made (a model's parameters).
    #[inline(always)]
    fn is_live(&self, v: Value) -> bool {
        self.is_live_fast(v) || self.is_live_slow(v.idx(), v.epoch())
    }

    /// The register-only part of the check: true for a handle made since the last rewind, or one below
    /// every mark rewound to since it was made. (On keys: a key at or above `key(e)` is from epoch `e`
    /// or later.)
    #[inline(always)]
    fn is_live_fast(&self, v: Value) -> bool {
        let (k, i) = (v.key, v.idx());
        let key = |e: u32| u64::from(e) << 32;
        k >= key(self.live_from)
            || (k >= key(self.era_start) && i < self.safe_below)
            || (k >= key(self.recent_epoch) && i < self.recent_mark)
    }

    /// The full check, for handles the fast one cannot vouch for (it takes the handle's fields, not the
    /// handle, so that callers need not keep a copy of the handle in memory for it).
    #[cold]
    #[inline(never)]
    fn is_live_slow(&self, idx: u32, epoch: u32) -> bool {
        if epoch < self.era_start || epoch > self.epoch || idx as usize >= self.len {
            return false;
        }
        self.lowest_rewind_since(epoch)
            .map_or(true, |mark| idx < mark)
    }

    /// The lowest mark rewound to after epoch `epoch` (since `era_start`), if any: the mark of the
    /// first logged rewind after it (see `rewinds`).
    fn lowest_rewind_since(&self, epoch: u32) -> Option<u32> {
        let k = self.rewinds.partition_point(|&(e, _)| e <= epoch);
        self.rewinds.get(k).map(|&(_, mark)| mark)
    }

    #[cold]
    #[inline(never)]
    fn check_slow(&self, idx: u32, epoch: u32) {
        if !self.is_live_slow(idx, epoch) {
            stale_handle(idx, self.len)
        }
    }

    /// Panics with a clear message if any of the handles is stale, and returns the items' node range
    /// if they are a run: consecutive nodes, all from one epoch (a model's weight matrix, a layer's
    /// outputs). A run needs one check, of its last handle: for a given epoch, liveness only depends
    /// on the index being below some mark, so the last one being live vouches for the rest. Otherwise
    /// every handle is checked (register compares only, in the common case).
    #[inline]
    fn check_all(&self, items: &[Value]) -> Option<std::ops::Range<usize>> {
        let (first, last) = items.first().zip(items.last())?;
        // Keys hold index and epoch as one number: item k of a run has the first's key plus k (an
        // index plus a position stays below 2³², so it never carries into the epoch). The ends
        // first: most lists that are not runs fail there.
        let mut run = last.key == first.key + (items.len() as u64 - 1);
        if run {
            let (mut expect, mut diff) = (first.key, 0);
            for v in items {
                diff |= v.key ^ expect;
                expect += 1;
            }
            run = diff == 0;
        }
        if run {
            self.check(*last);
            let i0 = first.idx() as usize;
            Some(i0..i0 + items.len())
        } else {
            // (every handle made since the last rewind is live: a key minus the first such key has
            // its top bit clear, so one `or` over all of them tells, without a branch per handle)
            let from = u64::from(self.live_from) << 32;
            let below = items
                .iter()
                .fold(0, |acc, v| acc | v.key.wrapping_sub(from));
            if below >> 63 != 0 {
                items.iter().for_each(|&v| self.check(v));
            }
            None
        }
    }

    /// Panics with a clear message if the handle is stale.
    #[inline(always)]
    fn check(&self, v: Value) {
        if !self.is_live_fast(v) {
            self.check_slow(v.idx(), v.epoch())
        }
    }

    /// Whether the value `v` carries is its node's current value (and the node is alive): `v` is from
    /// the current epoch, or from an epoch since the last write that started one (see `before_write`)
    /// with an index below every mark rewound to since. Register compares only.
    ///
    /// On keys (epoch above index): a key at or above `epoch_key` is from the current epoch (no handle
    /// is from a later one); `in_trust_box` tests the rest.
    #[inline(always)]
    fn trusts(&self, v: Value) -> bool {
        v.key >= self.epoch_key || in_trust_box(v.key, self.trust_box)
    }

    /// The value of `v`'s node: the copy the handle carries when `trusts` vouches for it, else read from
    /// the tape (after checking the handle).
    #[inline(always)]
    fn data(&self, v: Value) -> f64 {
        if self.trusts(v) {
            v.data
        } else {
            self.check(v);
            self.data[v.idx() as usize]
        }
    }

    /// Called before node `i`'s value is overwritten. If a handle that `trusts` vouches for may exist for
    /// node `i` (made in this epoch, by an operation or by `handle_from`, or an older one below
    /// `trust_below`), a new epoch begins and older handles are no longer trusted. So an optimizer's
    /// writes to a model's parameters start at most one epoch per training step.
    ///
    /// For a write to several nodes, `lo` and `hi` are the lowest and highest of them (a write to one
    /// node passes it twice).
    #[inline]
    fn before_write(&mut self, lo: usize, hi: usize) {
        if hi >= self.epoch_start
            || self.minted
            || (self.trust_from() < self.epoch && lo < self.trust_below() as usize)
        {
            self.new_epoch();
            self.trust_box = trust_box(self.epoch, NO_BOUND);
        }
    }

    /// The first epoch whose handles `trusts` may vouch for (see `trust_box`).
    fn trust_from(&self) -> u32 {
        ((self.trust_box >> 32) as u32).wrapping_add(1)
    }

    /// The bound below which older handles' indices must be for `trusts` to vouch for them.
    fn trust_below(&self) -> u32 {
        self.trust_box as u32
    }

    /// Begins a new epoch: the nodes pushed from now on, and the handles minted, are its own.
    fn new_epoch(&mut self) {
        if self.epoch >= MAX_NODES {
            too_many_epochs();
        }
        self.epoch += 1;
        self.epoch_key = u64::from(self.epoch) << 32;
        self.epoch_start = self.len;
        self.minted = false;
    }

    #[inline(always)]
    fn meta(&self, v: Value) -> Meta {
        self.check(v);
        self.meta[v.idx() as usize]
    }

    /// Makes room for one more constant (before the operation reads its input, so that no call comes
    /// between that and the push: the values stay in registers).
    #[inline(always)]
    fn room_for_constant(&mut self) {
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
    /// than `MAX_NODES`), and for one more constant.
    ///
    /// `data`, `meta` and `grad` stay equally long whatever happens (`push` writes unchecked on that
    /// ground): all three reserve first, and a failure panics before any of them is resized.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, min_nodes: usize) {
        if min_nodes > self.data.len() {
            if min_nodes > MAX_NODES as usize {
                too_many_nodes();
            }
            let n = min_nodes
                .max(2 * self.len)
                .max(1024)
                .min(MAX_NODES as usize);
            let more = n - self.data.len();
            if self.data.try_reserve_exact(more).is_err()
                || self.meta.try_reserve_exact(more).is_err()
                || self.grad.try_reserve_exact(more).is_err()
            {
                panic_in_tape(format_args!(
                    "micrograd: out of memory growing the tape to {n} nodes"
                ));
            }
            let spare = Meta {
                a: NO_INPUT,
                b: NO_INPUT,
                op: Op::Leaf,
            };
            self.data.resize(n, 0.0);
            self.meta.resize(n, spare);
            self.grad.resize(n, 0.0);
        }
        if self.consts_len >= self.consts.len() {
            let k = (2 * self.consts_len).max(256);
            self.consts.resize(k, 0.0);
        }
    }

    /// Appends a node.
    #[inline(always)]
    fn push(&mut self, op: Op, data: f64, a: u32, b: u32) -> Value {
        // (read before the writes below, which the compiler cannot tell apart from writes to `self`)
        let (idx, epoch_key) = (self.len, self.epoch_key);
        // (the value goes through the rare call instead of being saved around it)
        let data = if idx < self.data.len() {
            data
        } else {
            self.grow_through(data)
        };
        debug_assert!(self.meta.len() == self.data.len() && self.grad.len() == self.data.len());
        // SAFETY: `idx < data.len()`, just checked, and `meta` and `grad` are as long as `data` (an
        // invariant of `TapeInner`: only `grow` and `Tape::shrink_to_fit` resize them, all three
        // together). Unchecked because the compiler cannot see that invariant: three bounds checks
        // per operation cost 15% on a chain of operations (forward: 2.5 against 2.2 ns/node).
        // `Meta` is `repr(C)` with `a` and `b` as its first 8 bytes, which are written as one
        // (unaligned: `Meta` is 4-aligned) `u64`, little end first: one store instead of two
        // (forward: 2.04 against 1.96 ns/node).
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
        if op == Op::Leaf && self.leaf_prefix == idx {
            self.leaf_prefix = idx + 1;
        }
        self.len = idx + 1;
        // (`epoch_key` is `epoch` in key position, so the key is one `or`)
        Value {
            key: epoch_key | idx as u64,
            data,
            _not_send: PhantomData,
        }
    }

    /// A handle for node `i`, given a live node `owner` that was computed from it (so it was alive at
    /// `owner`'s epoch and is alive as long as `owner` is).
    fn handle_from(&mut self, owner: Value, i: u32) -> Value {
        self.minted |= owner.epoch() == self.epoch;
        Value::make(i, owner.epoch(), self.data[i as usize])
    }

    fn grad(&self, v: Value) -> f64 {
        self.check(v);
        self.grad[v.idx() as usize]
    }

    fn grad_mut(&mut self, v: Value) -> &mut f64 {
        self.check(v);
        &mut self.grad[v.idx() as usize]
    }

    /// Stores a constant, returning its index for a node's `b` slot.
    #[inline(always)]
    fn constant(&mut self, c: f64) -> u32 {
        let k = self.consts_len;
        self.consts[k] = c;
        self.consts_len = k + 1;
        k as u32
    }

    /// Appends a dot-product node with value `acc`: as two ranges if `ranges` (both `w` and `x` are
    /// consecutive nodes, and non-empty), else as a list of pairs.
    fn record_dot(&mut self, acc: f64, w: &[Value], x: &[Value], ranges: bool) -> Value {
        if ranges && !w.is_empty() {
            let k = self.extra.len();
            self.extra.extend([x[0].idx(), x.len() as u32]);
            return self.push(Op::DotRange, acc, w[0].idx(), k as u32);
        }
        let from = self.extra.len();
        self.push_pairs(w, x);
        self.push(Op::Dot, acc, from as u32, 2 * w.len() as u32)
    }

    /// Appends the inputs of a dot product to `extra` as pairs `w0, x0, w1, x1, ...`.
    fn push_pairs(&mut self, w: &[Value], x: &[Value]) {
        let from = self.extra.len();
        self.extra.resize(from + 2 * w.len(), 0);
        for (pair, (wi, xi)) in self.extra[from..].chunks_exact_mut(2).zip(w.iter().zip(x)) {
            pair[0] = wi.idx();
            pair[1] = xi.idx();
        }
    }

    fn mark_dirty(&mut self, lo: u32, hi: u32) {
        self.dirty = Some(match self.dirty {
            None => (lo, hi),
            Some((l, h)) => (l.min(lo), h.max(hi)),
        });
    }

    fn backward(&mut self, root: Value) {
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

    /// Whether the nodes below `mark` are the ones that were there when it was taken: no rewind since
    /// has gone below it (a mark at the start is always good).
    fn mark_is_current(&self, mark: Mark) -> bool {
        if mark.nodes == 0 {
            return true;
        }
        if mark.epoch < self.era_start
            || mark.nodes as usize > self.len
            || mark.extra as usize > self.extra.len()
            || mark.consts as usize > self.consts_len
        {
            return false;
        }
        self.lowest_rewind_since(mark.epoch)
            .map_or(true, |lowest| mark.nodes <= lowest)
    }

    fn rewind(&mut self, mark: Mark) {
        let n = mark.nodes as usize;
        if !self.mark_is_current(mark) {
            panic_in_tape(format_args!(
                "micrograd: Tape::rewind to a stale mark (at {n} nodes; the tape holds {}): the \
                 mark was taken before an earlier rewind to a lower mark",
                self.len
            ));
        }
        if self.epoch >= MAX_NODES {
            too_many_epochs();
        }
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
        self.new_epoch(); // (checked above, before anything changed)
        self.live_from = self.epoch;
        self.trust_box = trust_box(self.trust_from(), self.trust_below().min(mark.nodes));
        if mark.nodes == 0 {
            // Nothing survives: every older handle is invalid, whatever its index.
            self.era_start = self.epoch;
            self.rewinds.clear();
        } else {
            // An earlier rewind to a mark at or above this one tells nothing this one does not.
            while self.rewinds.last().is_some_and(|&(_, m)| m >= mark.nodes) {
                self.rewinds.pop();
            }
            self.rewinds.push((self.epoch, mark.nodes));
        }
        self.safe_below = self.rewinds.first().map_or(NO_BOUND, |&(_, m)| m);
        let n = self.rewinds.len();
        (self.recent_epoch, self.recent_mark) = match n {
            0 => (self.era_start, NO_BOUND),
            1 => (self.era_start, self.rewinds[0].1),
            _ => (self.rewinds[n - 2].0, self.rewinds[n - 1].1),
        };
    }
}

#[cold]
#[inline(never)]
fn bad_input(idx: usize) -> ! {
    panic_in_tape(format_args!(
        "micrograd: internal error: node #{idx} has an input that is not below it"
    ))
}

#[cold]
#[inline(never)]
fn too_many_epochs() -> ! {
    panic_in_tape(format_args!(
        "micrograd: this thread's tape has begun 2^31 - 1 epochs (rewinds, and writes to values read \
         since the last one began), the most whose handles it can tell apart"
    ))
}

#[cold]
#[inline(never)]
fn too_many_nodes() -> ! {
    panic_in_tape(format_args!(
        "micrograd: the tape is full ({MAX_NODES} nodes); rewind or clear it"
    ))
}

/// A position on the tape, taken with [`Tape::mark`] and returned to with [`Tape::rewind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    nodes: u32,
    extra: u32,
    consts: u32,
    /// The tape's epoch when the mark was taken: a later rewind below the mark makes it stale.
    epoch: u32,
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
            epoch: t.epoch,
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
            t.rewinds.shrink_to_fit();
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
    /// If the tape would hold more than 2³¹ − 1 nodes, or the memory cannot be had.
    pub fn reserve(additional: usize) {
        with_tape(|t| t.grow(t.len.saturating_add(additional)));
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
                + t.rewinds.capacity() * 8
        })
    }
}

// ---------------------------------------------------------------------------------------------------
// Value
// ---------------------------------------------------------------------------------------------------

/// A scalar in a computation graph: micrograd's `Value`.
///
/// A `Value` is a small `Copy` handle (16 bytes: the node's index, an epoch, and a copy of the node's
/// value) to a node on the current thread's [`Tape`], so
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
    /// `TapeInner::epoch`). Two scalar fields, not three, so that a `Value` is passed and returned in
    /// two registers: as a 16-byte aggregate it went through memory, written in parts and read back
    /// whole, which stalls the processor's store-to-load forwarding.
    key: u64,
    /// The node's value when the handle was made: used instead of the tape's copy while the tape can
    /// vouch that it is current (see `TapeInner::trusts`), which keeps a chain of operations in
    /// registers.
    data: f64,
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
    fn make(idx: u32, epoch: u32, data: f64) -> Value {
        Value {
            key: u64::from(idx) | u64::from(epoch) << 32,
            data,
            _not_send: PhantomData,
        }
    }

    /// The node's index.
    #[inline(always)]
    fn idx(self) -> u32 {
        self.key as u32
    }

    /// The epoch the handle was made in.
    #[inline(always)]
    fn epoch(self) -> u32 {
        (self.key >> 32) as u32
    }

    /// A new leaf holding `data`, with gradient 0.
    #[inline]
    pub fn new(data: f64) -> Value {
        with_tape(|t| t.push(Op::Leaf, data, NO_INPUT, NO_INPUT))
    }

    // The constructors take the op as a const generic (`{ Op::Tanh as u8 }`), so that each op gets its own
    // inlined copy with the forward formula known at compile time.

    #[inline(always)]
    fn unary<const OP: u8>(self) -> Value {
        let op = const { Op::from_code(OP) };
        with_tape(|t| {
            let x = t.data(self);
            t.push(op, op.unary_forward(x), self.idx(), NO_INPUT)
        })
    }

    #[inline(always)]
    fn scalar<const OP: u8>(self, c: f64) -> Value {
        let op = const { Op::from_code(OP) };
        with_tape(|t| {
            t.room_for_constant();
            let x = t.data(self);
            let k = t.constant(c);
            t.push(op, op.scalar_forward(x, c), self.idx(), k)
        })
    }

    #[inline(always)]
    fn binary<const OP: u8>(self, other: Value) -> Value {
        let op = const { Op::from_code(OP) };
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
    /// at [`Tape::rewind`]).
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
            if t.meta[self.idx() as usize].op != Op::Leaf && grad != 0.0 {
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
    /// gradient doubles. Zero them with [`Value::zero_grad`] (per value), [`Tape::zero_grad`] (all) or
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
        with_tape(|t| match t.meta(self).op {
            Op::DotRange => Op::Dot,
            op => op,
        })
    }

    /// The values this one was computed from, in order (for [`Value::dot`]: `w0, x0, w1, x1, ...`;
    /// for [`Value::affine`]: `b, w0, x0, ...`). Empty for leaves.
    pub fn inputs(self) -> Vec<Value> {
        with_tape(|t| {
            let n = t.meta(self);
            let ids: Vec<u32> = match n.op {
                Op::Leaf => vec![],
                Op::DotRange => {
                    let k = n.b as usize;
                    let (x0, len) = (t.extra[k], t.extra[k + 1]);
                    (0..len).flat_map(|j| [n.a + j, x0 + j]).collect()
                }
                Op::Sum | Op::Dot | Op::Affine => {
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
        with_tape(|t| t.is_live(self) && (self.idx() as usize) < t.len)
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

    /// `max(0, x)`. The derivative is 1 for x > 0 and 0 for x ≤ 0 (so 0 at 0, as in micrograd).
    #[inline]
    pub fn relu(self) -> Value {
        self.unary::<{ Op::Relu as u8 }>()
    }

    /// `tanh(x)`, in [-1, 1] for every finite x (no overflow for |x| up to `f64::MAX`); derivative
    /// `1 - tanh(x)²`, which underflows to exactly 0 for |x| ≳ 19.
    #[inline]
    pub fn tanh(self) -> Value {
        self.unary::<{ Op::Tanh as u8 }>()
    }

    /// `e^x`; overflows to `inf` for x > 709.78 (and its derivative with it).
    #[inline]
    pub fn exp(self) -> Value {
        self.unary::<{ Op::Exp as u8 }>()
    }

    /// Natural logarithm `ln x`: `-inf` at 0, NaN for x < 0; derivative `1/x`.
    #[inline]
    pub fn log(self) -> Value {
        self.unary::<{ Op::Log as u8 }>()
    }

    /// The logistic function `1/(1 + e^-x)`, computed without overflow for any x; derivative
    /// `σ(x)(1 - σ(x))`.
    #[inline]
    pub fn sigmoid(self) -> Value {
        self.unary::<{ Op::Sigmoid as u8 }>()
    }

    /// `√x`: NaN for x < 0; the derivative `1/(2√x)` is `+inf` at 0.
    #[inline]
    pub fn sqrt(self) -> Value {
        self.unary::<{ Op::Sqrt as u8 }>()
    }

    /// `|x|`; derivative `sign(x)`, taken as 0 at 0.
    #[inline]
    pub fn abs(self) -> Value {
        self.unary::<{ Op::Abs as u8 }>()
    }

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

    /// `max(self, other)`; the gradient goes to `self` on ties.
    pub fn max(self, other: impl Into<Value>) -> Value {
        self.binary::<{ Op::Max as u8 }>(other.into())
    }

    /// `min(self, other)`; the gradient goes to `self` on ties.
    pub fn min(self, other: impl Into<Value>) -> Value {
        self.binary::<{ Op::Min as u8 }>(other.into())
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
            t.push(Op::Custom, y, self.idx(), k)
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
            t.push(Op::Sum, acc, start as u32, len as u32)
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
            t.push(Op::Affine, acc, start as u32, len as u32)
        })
    }
}

/// Backward of a sum: every input's adjoint grows by `g`.
#[inline(never)]
fn back_sum(items: &[u32], adj: &mut [f64], g: f64) {
    for &k in items {
        adj[k as usize] += g;
    }
}

/// Backward of a dot product stored as pairs `w0, x0, w1, x1, ...` (after the bias, if `affine`):
/// `adj[wᵢ] += g·xᵢ`, `adj[xᵢ] += g·wᵢ`, and the bias's adjoint grows by `g`.
#[inline(never)]
fn back_dot(data: &[f64], mut items: &[u32], adj: &mut [f64], g: f64, affine: bool) {
    if affine {
        adj[items[0] as usize] += g;
        items = &items[1..];
    }
    for pair in items.chunks_exact(2) {
        let (w, x) = (pair[0] as usize, pair[1] as usize);
        let (wd, xd) = (data[w], data[x]);
        adj[w] += g * xd;
        adj[x] += g * wd;
    }
}

/// Backward of a dot product of the runs `w0..w0 + len` and `x0..x0 + len`: `adj[w0 + j] += g·x_j`,
/// `adj[x0 + j] += g·w_j`. Out of line, to keep the main backward loop small.
#[inline(never)]
fn back_dot_range(data: &[f64], adj: &mut [f64], g: f64, w0: usize, x0: usize, len: usize) {
    let (ws, xs) = (&data[w0..w0 + len], &data[x0..x0 + len]);
    if w0 + len <= x0 || x0 + len <= w0 {
        // Disjoint runs: each adjoint gets one term, so two plain (vectorizable) passes give the
        // same numbers as the pairwise loop.
        for (a, &xd) in adj[w0..w0 + len].iter_mut().zip(xs) {
            *a += g * xd;
        }
        for (a, &wd) in adj[x0..x0 + len].iter_mut().zip(ws) {
            *a += g * wd;
        }
    } else {
        for j in 0..len {
            let (wd, xd) = (data[w0 + j], data[x0 + j]);
            adj[w0 + j] += g * xd;
            adj[x0 + j] += g * wd;
        }
    }
}

/// `Σ wⱼ·xⱼ` left to right from 0, over two slices of values.
#[inline]
fn dot_slices(w: &[f64], x: &[f64]) -> f64 {
    let mut acc = 0.0;
    for (a, b) in w.iter().zip(x) {
        acc += a * b;
    }
    acc
}

/// Four rows of [`dot_slices`] at once (`quad` holds four rows of `x.len()` values): each row is
/// still summed left to right.
#[inline]
fn dot4_slices(quad: &[f64], x: &[f64]) -> [f64; 4] {
    let n = x.len();
    let [r0, r1, r2, r3] = four_rows(quad, n);
    let mut acc = [0.0f64; 4];
    for j in 0..n {
        acc[0] += r0[j] * x[j];
        acc[1] += r1[j] * x[j];
        acc[2] += r2[j] * x[j];
        acc[3] += r3[j] * x[j];
    }
    acc
}

/// The four rows of `n` items that `quad` holds, for `dot4_slices` and `dot4_of`.
#[inline(always)]
fn four_rows<T>(quad: &[T], n: usize) -> [&[T]; 4] {
    let (r0, rest) = quad.split_at(n);
    let (r1, rest) = rest.split_at(n);
    let (r2, r3) = rest.split_at(n);
    [r0, r1, r2, r3]
}

/// Whether the values are consecutive nodes (`idx`, `idx + 1`, ...).
fn consecutive(items: &[Value]) -> bool {
    // (the ends first: most lists that are not runs fail there)
    let ends = match (items.first(), items.last()) {
        (Some(a), Some(b)) => b.idx().wrapping_sub(a.idx()) as usize == items.len() - 1,
        _ => true,
    };
    ends && items
        .iter()
        .zip(items.iter().skip(1))
        .fold(true, |ok, (a, b)| ok & (b.idx() == a.idx().wrapping_add(1)))
}

/// `Σ data[xᵢ]` left to right from 0. Out of line, so that the running sum stays in a register.
#[inline(never)]
fn sum_of(data: &[f64], items: &[Value]) -> f64 {
    let mut acc = 0.0;
    for v in items {
        acc += data[v.idx() as usize];
    }
    acc
}

/// `init + Σ data[wᵢ]·data[xᵢ]` left to right. Out of line, so that the running sum stays in a register.
#[inline(never)]
fn dot_of(data: &[f64], init: f64, w: &[Value], x: &[Value]) -> f64 {
    let mut acc = init;
    for (wi, xi) in w.iter().zip(x) {
        acc += data[wi.idx() as usize] * data[xi.idx() as usize];
    }
    acc
}

/// Four rows of `dot_of` (from 0) at once: `quad` holds four consecutive rows of `x.len()` values.
#[inline(never)]
fn dot4_of(data: &[f64], quad: &[Value], x: &[Value]) -> [f64; 4] {
    let n = x.len();
    let [r0, r1, r2, r3] = four_rows(quad, n);
    let mut acc = [0.0f64; 4];
    for j in 0..n {
        let xj = data[x[j].idx() as usize];
        acc[0] += data[r0[j].idx() as usize] * xj;
        acc[1] += data[r1[j].idx() as usize] * xj;
        acc[2] += data[r2[j].idx() as usize] * xj;
        acc[3] += data[r3[j].idx() as usize] * xj;
    }
    acc
}

/// What [`Value::pow`] accepts as an exponent: `f64`, `i32` or `Value`.
pub trait Exponent: sealed::Sealed {
    #[doc(hidden)]
    fn pow_of(self, base: Value) -> Value;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for i32 {}
    impl Sealed for super::Value {}
}

impl Exponent for f64 {
    #[inline]
    fn pow_of(self, base: Value) -> Value {
        base.scalar::<{ Op::PowConst as u8 }>(self)
    }
}

impl Exponent for i32 {
    #[inline]
    fn pow_of(self, base: Value) -> Value {
        base.scalar::<{ Op::PowConst as u8 }>(self as f64)
    }
}

impl Exponent for Value {
    #[inline]
    fn pow_of(self, base: Value) -> Value {
        base.binary::<{ Op::Pow as u8 }>(self)
    }
}

impl From<f64> for Value {
    /// A new leaf.
    fn from(x: f64) -> Value {
        Value::new(x)
    }
}

impl Default for Value {
    /// A new leaf holding 0.
    fn default() -> Value {
        Value::new(0.0)
    }
}

impl fmt::Display for Value {
    /// `Value(data=2.0000, grad=0.0000)`, like micrograd; the precision can be set (`{:.2}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(4);
        write!(
            f,
            "Value(data={:.p$}, grad={:.p$})",
            self.data(),
            self.grad()
        )
    }
}

impl fmt::Debug for Value {
    /// Never panics, even for a rewound handle.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_alive() {
            return write!(f, "Value(#{}, rewound)", self.idx());
        }
        write!(
            f,
            "Value(#{}, {:?}, data={:?}, grad={:?})",
            self.idx(),
            self.op(),
            self.data(),
            self.grad()
        )
    }
}

// ---------------------------------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------------------------------

macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $op:expr,
     |$v:ident, $c:ident| $with_const:expr, |$c2:ident, $v2:ident| $const_with:expr) => {
        impl $Trait for Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: Value) -> Value {
                self.binary::<{ $op as u8 }>(rhs)
            }
        }
        impl $Trait<f64> for Value {
            type Output = Value;
            #[inline]
            fn $method(self, $c: f64) -> Value {
                let $v = self;
                $with_const
            }
        }
        impl $Trait<Value> for f64 {
            type Output = Value;
            #[inline]
            fn $method(self, $v2: Value) -> Value {
                let $c2 = self;
                $const_with
            }
        }
        impl $Assign for Value {
            #[inline]
            fn $assign(&mut self, rhs: Value) {
                *self = $Trait::$method(*self, rhs);
            }
        }
        impl $Assign<f64> for Value {
            #[inline]
            fn $assign(&mut self, rhs: f64) {
                *self = $Trait::$method(*self, rhs);
            }
        }
    };
}

binary_operator!(
    Add,
    add,
    AddAssign,
    add_assign,
    Op::Add,
    |v, c| v.scalar::<{ Op::AddConst as u8 }>(c),
    |c, v| v.scalar::<{ Op::AddConst as u8 }>(c)
);
binary_operator!(
    Sub,
    sub,
    SubAssign,
    sub_assign,
    Op::Sub,
    |v, c| v.scalar::<{ Op::AddConst as u8 }>(-c),
    |c, v| v.scalar::<{ Op::ConstSub as u8 }>(c)
);
binary_operator!(
    Mul,
    mul,
    MulAssign,
    mul_assign,
    Op::Mul,
    |v, c| v.scalar::<{ Op::MulConst as u8 }>(c),
    |c, v| v.scalar::<{ Op::MulConst as u8 }>(c)
);
binary_operator!(
    Div,
    div,
    DivAssign,
    div_assign,
    Op::Div,
    |v, c| v.scalar::<{ Op::DivConst as u8 }>(c),
    |c, v| v.scalar::<{ Op::ConstDiv as u8 }>(c)
);

impl Neg for Value {
    type Output = Value;
    #[inline]
    fn neg(self) -> Value {
        self.unary::<{ Op::Neg as u8 }>()
    }
}

impl Sum for Value {
    /// One n-ary [`Op::Sum`] node (see [`Value::sum`]).
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        Value::sum(iter)
    }
}

impl<'a> Sum<&'a Value> for Value {
    fn sum<I: Iterator<Item = &'a Value>>(iter: I) -> Value {
        Value::sum(iter.copied())
    }
}

impl Product for Value {
    /// `x0 * x1 * ...` as a chain of `*` nodes; an empty product is a leaf holding 1.
    fn product<I: Iterator<Item = Value>>(mut iter: I) -> Value {
        match iter.next() {
            None => Value::new(1.0),
            Some(first) => iter.fold(first, |acc, x| acc * x),
        }
    }
}

impl<'a> Product<&'a Value> for Value {
    fn product<I: Iterator<Item = &'a Value>>(iter: I) -> Value {
        iter.copied().product()
    }
}

#[cfg(test)]
mod tests {
    use super::{in_trust_box, trust_box, MAX_NODES};

    /// `in_trust_box` against the two compares it replaces, on the edges of every field (0, 1, the
    /// middle, the largest values) and on pseudo-random values.
    #[test]
    fn the_trust_box_is_the_two_compares() {
        let edges = [
            0,
            1,
            2,
            1 << 20,
            MAX_NODES / 2,
            MAX_NODES - 2,
            MAX_NODES - 1,
            MAX_NODES,
        ];
        let mut values = edges.to_vec();
        let mut k = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..24 {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push((k >> 33) as u32 % (MAX_NODES + 1));
        }
        let mut checked = 0;
        for &epoch in &values {
            for &idx in values.iter().filter(|&&i| i < MAX_NODES) {
                let key = u64::from(epoch) << 32 | u64::from(idx);
                for &from in &values {
                    for &below in &values {
                        let expected = epoch >= from && idx < below;
                        assert_eq!(
                            in_trust_box(key, trust_box(from, below)),
                            expected,
                            "epoch {epoch}, idx {idx}, from {from}, below {below}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 500_000);
    }
}
