//! The op table: every operation of the engine, one line each, with its forward formula and its local
//! derivative side by side (micrograd's `engine.py`, as a table), and [`Op`].
//!
//! The table is an X-macro: `op_table!(callback)` expands to `callback! { <the table> }` (and
//! `op_table!(callback(args))` to `callback! { args <the table> }`), so that every part that needs
//! to know the ops takes them from the same lines:
//!
//! - this file (`define_ops!`): [`Op`] (what a user can build), the private node kind `Kind` (the
//!   same, plus the internal representations), the forward formulas, the `Value` methods of the ops
//!   that have one, the label the graph picture (`viz`) draws, and `dispatch!`: the backward sweep's
//!   arms, with the derivatives, which `propagate` (`backward.rs`) and the replay's sweep
//!   (`replay/run.rs`) expand, and `forward!`: the replay's forward arms (`replay/run.rs`);
//! - `expr/functions.rs`: the calculator's functions (`expr::Function`), with their names.
//!
//! **Adding an op** is adding its line here (and, if it is built by an operator rather than by a
//! method of its own, the operator's impl in `operators.rs`); `tests.rs` checks every line's derivative
//! against a finite difference, and each calculator function against its `Value` method.

use super::value::Value;

/// The table. A line is, in order:
///
/// - doc comments: the op's contract (domain, what it gives at the edges), shown on the [`Op`] variant
///   and on the `Value` method;
/// - the op's name (its [`Op`] variant) and its symbol ([`Op::symbol`]);
/// - `fn name`: the `Value` method that builds it (ops without one are built by an operator or by
///   `Value::pow`), and after it `calc "name"`: the calculator's function of that name, if it has one;
/// - `draw "..."`: how the graph picture labels the node, `{c}` standing for the op's constant, if not
///   by its symbol;
/// - the forward formula, as a closure of the inputs (`x`, or `x` and the constant `c`, or `a` and `b`);
/// - the derivative, as a closure of the inputs and the output (`y` or `z`): dy/dx, or for binary ops
///   (dz/da, dz/db); with the math in a comment.
///
/// The `hot` binary ops come last in `Kind` and the backward sweep tests for them with one compare
/// before its jump table: most chains are made of them.
macro_rules! op_table {
    ($callback:ident $(($($args:tt)*))?) => {
        $callback! { $($($args)*)?
            unary {
                // y = f(x)
                /// `-x` (the operator `-`).
                Neg "neg" draw "-"                  |x| -x,          |x, y| -1.0;           // d/dx (-x) = -1
                /// `max(0, x)`. The derivative is 1 for x > 0 and 0 for x ≤ 0 (so 0 at 0, as in
                /// micrograd).
                Relu "relu" fn relu calc "relu"     |x| if x > 0.0 { x } else { 0.0 },
                                                    |x, y| if x > 0.0 { 1.0 } else { 0.0 }; // d/dx relu(x) = [x > 0]
                /// `tanh(x)`, in [-1, 1] for every finite x (no overflow for |x| up to `f64::MAX`);
                /// derivative `1 - tanh(x)²`, which underflows to exactly 0 for |x| ≳ 19.
                Tanh "tanh" fn tanh calc "tanh"     |x| x.tanh(),    |x, y| 1.0 - y * y;    // d/dx tanh(x) = 1 - tanh(x)²
                /// `e^x`; overflows to `inf` for x > 709.78 (and its derivative with it).
                Exp "exp" fn exp calc "exp"         |x| x.exp(),     |x, y| y;              // d/dx e^x = e^x
                /// Natural logarithm `ln x`: `-inf` at 0, NaN for x < 0; derivative `1/x`.
                Log "log" fn log calc "log"         |x| x.ln(),      |x, y| 1.0 / x;        // d/dx ln x = 1/x
                /// The logistic function `1/(1 + e^-x)`, computed without overflow for any x (the
                /// crate's one sigmoid); derivative `σ(x)(1 - σ(x))`.
                Sigmoid "sigmoid" fn sigmoid calc "sigmoid"
                                                    |x| sigmoid(x),  |x, y| y * (1.0 - y);  // d/dx σ(x) = σ(x)(1 - σ(x))
                /// `√x`: NaN for x < 0; the derivative `1/(2√x)` is `+inf` at 0.
                Sqrt "sqrt" fn sqrt calc "sqrt"     |x| x.sqrt(),    |x, y| 0.5 / y;        // d/dx √x = 1/(2√x)
                /// `|x|`; derivative `sign(x)`, taken as 0 at 0.
                Abs "abs" fn abs calc "abs"         |x| x.abs(),     |x, y| sign(x);        // d/dx |x| = sign(x), 0 at 0
            }
            scalar {
                // y = f(x, c), c a constant
                /// `x + c` (`x + 2.0`, `2.0 + x`, and `x - 2.0` as `x + (-2.0)`).
                AddConst "+" draw "+ {c}"           |x, c| x + c,     |x, c, y| 1.0;        // d/dx (x + c) = 1
                /// `c - x` (`2.0 - x`).
                ConstSub "-" draw "{c} -"           |x, c| c - x,     |x, c, y| -1.0;       // d/dx (c - x) = -1
                /// `x * c` (`x * 2.0`, `2.0 * x`).
                MulConst "*" draw "* {c}"           |x, c| x * c,     |x, c, y| c;          // d/dx (c·x) = c
                /// `x / c` (`x / 2.0`).
                DivConst "/" draw "/ {c}"           |x, c| x / c,     |x, c, y| 1.0 / c;    // d/dx (x/c) = 1/c
                /// `c / x` (`2.0 / x`).
                ConstDiv "/" draw "{c} /"           |x, c| c / x,     |x, c, y| -c / (x * x); // d/dx (c/x) = -c/x²
                /// `x^c` (`x.pow(c)` with an `f64` or `i32` exponent). The derivative `c·x^(c-1)` is
                /// taken as 0 for c = 0 (also at x = 0); at x = 0 it is 0 for c > 1, 1 for c = 1 and
                /// `inf` for c < 1.
                PowConst "pow" draw "^ {c}"         |x, c| x.powf(c), |x, c, y| pow_da(x, c); // d/dx x^c = c·x^(c-1)
            }
            binary {
                // z = f(a, b) → (dz/da, dz/db)
                hot {
                    /// `a + b`.
                    Add "+"                         |a, b| a + b,     |a, b, z| (1.0, 1.0); // d(a+b) = (1, 1)
                    /// `a * b`.
                    Mul "*"                         |a, b| a * b,     |a, b, z| (b, a);     // d(ab) = (b, a)
                }
                /// `a - b`.
                Sub "-"                             |a, b| a - b,     |a, b, z| (1.0, -1.0); // d(a-b) = (1, -1)
                /// `a / b`.
                Div "/"                             |a, b| a / b,     |a, b, z| (1.0 / b, -z / b); // d(a/b) = (1/b, -a/b²)
                /// `a^b` (`a.pow(b)` with a `Value` exponent). `d/da = b·a^(b-1)` (0 for b = 0);
                /// `d/db = a^b·ln a`, taken as 0 at a = 0 (its limit for b > 0) and NaN for a < 0.
                Pow "pow" draw "^"                  |a, b| a.powf(b), |a, b, z| (pow_da(a, b), pow_db(a, z)); // d(a^b) = (b·a^(b-1), a^b·ln a)
                /// `max(a, b)`, NaN if either is NaN; the gradient goes to `a` (`self`) on ties.
                Max "max" fn max                    |a, b| max(a, b),
                                                    |a, b, z| if a >= b { (1.0, 0.0) } else { (0.0, 1.0) }; // d max = ([a ≥ b], [a < b])
                /// `min(a, b)`, NaN if either is NaN; the gradient goes to `a` (`self`) on ties.
                Min "min" fn min                    |a, b| min(a, b),
                                                    |a, b, z| if a <= b { (1.0, 0.0) } else { (0.0, 1.0) }; // d min = ([a ≤ b], [a > b])
            }
        }
    };
}
pub(crate) use op_table;

/// From the table: [`Op`], `Kind`, the forward formulas, the ops' `Value` methods and labels, and the
/// backward sweep's `dispatch!` with the derivatives. (`$d` is `$`, for the macro it defines.)
macro_rules! define_ops {
    (
        $d:tt
        unary {
            $( $(#[$um:meta])* $U:ident $usym:literal $(fn $umethod:ident $(calc $calc:literal)?)?
               $(draw $udraw:literal)? |$x:ident| $uf:expr, |$dx:ident, $dy:ident| $ud:expr; )*
        }
        scalar {
            $( $(#[$sm:meta])* $S:ident $ssym:literal draw $sdraw:literal
               |$sx:ident, $c:ident| $sf:expr, |$sdx:ident, $dc:ident, $sdy:ident| $sd:expr; )*
        }
        binary {
            hot {
                $( $(#[$hm:meta])* $H:ident $hsym:literal
                   |$ha:ident, $hb:ident| $hf:expr, |$hda:ident, $hdb:ident, $hdz:ident| $hd:expr; )*
            }
            $( $(#[$bm:meta])* $B:ident $bsym:literal $(fn $bmethod:ident)? $(draw $bdraw:literal)?
               |$a:ident, $b:ident| $bf:expr, |$da:ident, $db:ident, $dz:ident| $bd:expr; )*
        }
    ) => {
        /// The operation that produced a node: what [`Value::op`](crate::Value::op) reports, so that
        /// tools (such as the graph picture in `viz`) can show it; [`Op::symbol`] gives its short
        /// printable name. Every op here is one a user can build.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[non_exhaustive]
        pub enum Op {
            /// A leaf: a value created with [`Value::new`](crate::Value::new), not computed from other
            /// values.
            Leaf,
            /// `Σ xᵢ` over any number of inputs, as one node ([`Value::sum`](crate::Value::sum)).
            Sum,
            /// `Σ wᵢ·xᵢ`, as one node ([`Value::dot`](crate::Value::dot)).
            Dot,
            /// `b + Σ wᵢ·xᵢ` summed left to right from `b`, as one node
            /// ([`Value::affine`](crate::Value::affine)).
            Affine,
            /// A user-supplied unary function ([`Value::custom`](crate::Value::custom)).
            Custom,
            $( $(#[$um])* $U, )*
            $( $(#[$sm])* $S, )*
            $( $(#[$bm])* $B, )*
            $( $(#[$hm])* $H, )*
        }

        /// What a node on the tape is: an [`Op`], or one of the engine's internal representations of
        /// one. The `hot` ops come last, so that `is_hot` is one compare.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub(super) enum Kind {
            Leaf,
            Sum,
            Dot,
            Affine,
            Custom,
            /// A [`Op::Dot`] whose weights and inputs are consecutive nodes, stored as two ranges.
            DotRange,
            $( $U, )*
            $( $S, )*
            $( $B, )*
            $( $H, )*
        }

        impl Op {
            /// The operation's short printable name (`+`, `*`, `tanh`, ...).
            pub fn symbol(self) -> &'static str {
                match self {
                    Op::Leaf => "",
                    Op::Sum => "sum",
                    Op::Dot => "dot",
                    Op::Affine => "affine",
                    Op::Custom => "custom",
                    $( Op::$U => $usym, )*
                    $( Op::$S => $ssym, )*
                    $( Op::$H => $hsym, )*
                    $( Op::$B => $bsym, )*
                }
            }

            /// How the graph picture labels a node of this op: the table's `draw`, in which `{c}`
            /// stands for the op's constant, else the symbol.
            pub(crate) fn label(self) -> &'static str {
                match self {
                    $( Op::$U => last!($usym $(, $udraw)?), )*
                    $( Op::$S => $sdraw, )*
                    $( Op::$B => last!($bsym $(, $bdraw)?), )*
                    op => op.symbol(),
                }
            }

            /// Every op of the table, in its order.
            #[cfg(test)]
            pub(super) const TABLE: &'static [Op] = &[$( Op::$U, )* $( Op::$S, )* $( Op::$H, )* $( Op::$B, )*];

            /// The op's forward formula on a plain number, for the table's unary ops (the same
            /// formula, so the same bits, as the op on a `Value`).
            ///
            /// # Panics
            /// If the op is not one of the table's unary ops.
            pub(crate) fn forward_f64(self, x: f64) -> f64 {
                match self {
                    $( Op::$U => Kind::$U.unary_forward(x), )*
                    op => panic!("micrograd: internal error: {op:?} is not a unary op"),
                }
            }

            /// Builds this op of the table from `a` (and `b`, or the constant `c`, if it takes one),
            /// through the engine's own constructors.
            #[cfg(test)]
            pub(super) fn build(self, a: Value, b: Value, c: f64) -> Value {
                match self {
                    $( Op::$U => a.unary::<{ Kind::$U as u8 }>(), )*
                    $( Op::$S => a.scalar::<{ Kind::$S as u8 }>(c), )*
                    $( Op::$H => a.binary::<{ Kind::$H as u8 }>(b), )*
                    $( Op::$B => a.binary::<{ Kind::$B as u8 }>(b), )*
                    op => panic!("{op:?} is not an op of the table"),
                }
            }
        }

        impl Kind {
            /// The op this node reports to users.
            pub(super) fn op(self) -> Op {
                match self {
                    Kind::Leaf => Op::Leaf,
                    Kind::Sum => Op::Sum,
                    Kind::Dot | Kind::DotRange => Op::Dot,
                    Kind::Affine => Op::Affine,
                    Kind::Custom => Op::Custom,
                    $( Kind::$U => Op::$U, )*
                    $( Kind::$S => Op::$S, )*
                    $( Kind::$H => Op::$H, )*
                    $( Kind::$B => Op::$B, )*
                }
            }

            /// The kind with code `code` (its `as u8`), for the const-generic constructors.
            pub(super) const fn from_code(code: u8) -> Kind {
                $( if code == Kind::$U as u8 { return Kind::$U; } )*
                $( if code == Kind::$S as u8 { return Kind::$S; } )*
                $( if code == Kind::$H as u8 { return Kind::$H; } )*
                $( if code == Kind::$B as u8 { return Kind::$B; } )*
                Kind::Leaf
            }

            /// Whether the op keeps a constant (`x + c`, `x^c`, ...; `Custom` keeps `f'(x)`).
            pub(super) fn has_constant(self) -> bool {
                matches!(self, Kind::Custom $( | Kind::$S )*)
            }

            /// Whether the op is one of the `hot` binary ops, which the backward sweep tests for before
            /// its jump table (they come last, so this is one compare).
            #[inline(always)]
            pub(super) fn is_hot(self) -> bool {
                const FIRST_HOT: Kind = [$( Kind::$H ),*][0];
                self as u8 >= FIRST_HOT as u8
            }

            /// Whether the op has exactly two inputs.
            pub(super) fn is_binary(self) -> bool {
                matches!(self, $( Kind::$H )|* $( | Kind::$B )*)
            }

            #[inline(always)]
            pub(super) fn unary_forward(self, x: f64) -> f64 {
                match self {
                    $( Kind::$U => { let $x = x; $uf } )*
                    _ => unreachable!(),
                }
            }

            #[inline(always)]
            pub(super) fn scalar_forward(self, x: f64, c: f64) -> f64 {
                match self {
                    $( Kind::$S => { let ($sx, $c) = (x, c); $sf } )*
                    _ => unreachable!(),
                }
            }

            #[inline(always)]
            pub(super) fn binary_forward(self, a: f64, b: f64) -> f64 {
                match self {
                    $( Kind::$H => { let ($ha, $hb) = (a, b); $hf } )*
                    $( Kind::$B => { let ($a, $b) = (a, b); $bf } )*
                    _ => unreachable!(),
                }
            }
        }

        /// The backward sweep's dispatch on a node's kind, for `propagate` (`backward.rs`) and the
        /// replay's sweep (`replay/run.rs`), with the table's derivatives: first the `hot` ops,
        /// tested for with one compare, each through `binary!`; then one `match` (one jump table)
        /// with the arms given in `others` and each of the table's ops through `unary!`, `scalar!`
        /// or `binary!` (macros each sweep defines).
        macro_rules! dispatch {
            ($d kind:expr, hot: { $d($d after_hot:tt)* }, others: { $d($d others:tt)* }) => {
                if $d kind.is_hot() {
                    match $d kind {
                        $( Kind::$H => binary!(|$hda, $hdb, $hdz| $hd), )*
                        _ => unreachable!(),
                    }
                    $d($d after_hot)*
                }
                match $d kind {
                    $d($d others)*
                    $( Kind::$U => unary!(|$dx, $dy| $ud), )*
                    $( Kind::$S => scalar!(|$sdx, $dc, $sdy| $sd), )*
                    $( Kind::$H => unreachable!(), )*
                    $( Kind::$B => binary!(|$da, $db, $dz| $bd), )*
                }
            };
        }
        pub(super) use dispatch;

        /// The replay's forward dispatch on a node's kind, for `Replay` (`replay/run.rs`), with the
        /// table's forward formulas: one `match` with the arms given in `others` and each of the
        /// table's ops through `unary!`, `scalar!` or `binary!` (macros the replay defines), as
        /// `dispatch!` does for the derivatives.
        macro_rules! forward {
            ($d kind:expr, others: { $d($d others:tt)* }) => {
                match $d kind {
                    $d($d others)*
                    $( Kind::$U => unary!(|$x| $uf), )*
                    $( Kind::$S => scalar!(|$sx, $c| $sf), )*
                    $( Kind::$H => binary!(|$ha, $hb| $hf), )*
                    $( Kind::$B => binary!(|$a, $b| $bf), )*
                }
            };
        }
        pub(super) use forward;

        // The ops' `Value` methods.
        $( unary_method! { $(#[$um])* $U $($umethod)? } )*
        $( binary_method! { $(#[$bm])* $B $($bmethod)? } )*
    };
}

/// The last of its arguments (a line's `draw`, if it has one, else its symbol).
macro_rules! last {
    ($first:literal) => {
        $first
    };
    ($first:literal, $second:literal) => {
        $second
    };
}

/// The `Value` method of a unary op, if its line names one.
macro_rules! unary_method {
    ($(#[$m:meta])* $U:ident) => {};
    ($(#[$m:meta])* $U:ident $method:ident) => {
        impl Value {
            $(#[$m])*
            #[inline]
            pub fn $method(self) -> Value {
                self.unary::<{ Kind::$U as u8 }>()
            }
        }
    };
}

/// The `Value` method of a binary op, if its line names one.
macro_rules! binary_method {
    ($(#[$m:meta])* $B:ident) => {};
    ($(#[$m:meta])* $B:ident $method:ident) => {
        impl Value {
            $(#[$m])*
            pub fn $method(self, other: impl Into<Value>) -> Value {
                self.binary::<{ Kind::$B as u8 }>(other.into())
            }
        }
    };
}

op_table!(define_ops($));

// ---------------------------------------------------------------------------------------------------
// The math the table's formulas use
// ---------------------------------------------------------------------------------------------------

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

/// `sign(x)`: 1, -1, or 0 for 0 (and NaN).
#[inline]
pub(super) fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `max(a, b)`, NaN if either is NaN (unlike `f64::max`, which drops a NaN).
#[inline]
pub(super) fn max(a: f64, b: f64) -> f64 {
    if a >= b {
        a
    } else if a < b {
        b
    } else {
        f64::NAN
    }
}

/// `min(a, b)`, NaN if either is NaN (unlike `f64::min`, which drops a NaN).
#[inline]
pub(super) fn min(a: f64, b: f64) -> f64 {
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
pub(super) fn pow_da(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        b * a.powf(b - 1.0)
    }
}

/// d(a^b)/db = a^b · ln a. For a = 0 (and b > 0, so a^b = 0) the limit is 0; for a < 0 it is NaN.
#[inline]
pub(super) fn pow_db(a: f64, z: f64) -> f64 {
    if a == 0.0 {
        0.0
    } else {
        z * a.ln()
    }
}
