//! The op table: every operation of the engine, one line each, with its forward formula and its local
//! derivative side by side (micrograd's `engine.py`, as a table), and [`Op`].
//!
//! The table is an X-macro: `op_table!(callback)` expands to `callback! { <the table> }` (and
//! `op_table!(callback(args))` to `callback! { args <the table> }`), so that each part of the engine
//! takes what it needs from the same lines: this file the [`Op`] enum and the forward formulas,
//! `backward.rs` the derivatives (the arms of the backward sweep).

/// The table. Each line: the op, its symbol, the forward formula as a closure of its inputs, and the
/// derivative as a closure of its inputs and output; then the math in a comment.
macro_rules! op_table {
    ($callback:ident $(($($args:tt)*))?) => {
        $callback! { $($($args)*)?
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
    };
}
pub(crate) use op_table;

/// From the table: [`Op`] and the forward formulas.
macro_rules! define_ops {
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
            /// Internal: a [`Op::Dot`] whose weights and inputs are consecutive nodes, stored as two
            /// ranges. [`Value::op`](crate::Value::op) reports it as `Dot`.
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
            pub(super) const fn from_code(code: u8) -> Op {
                $( if code == Op::$U as u8 { return Op::$U; } )*
                $( if code == Op::$S as u8 { return Op::$S; } )*
                $( if code == Op::$H as u8 { return Op::$H; } )*
                $( if code == Op::$B as u8 { return Op::$B; } )*
                Op::Leaf
            }

            /// Whether the op keeps a constant (`x + c`, `x^c`, ...; `Custom` keeps `f'(x)`).
            pub(super) fn has_constant(self) -> bool {
                matches!(self, Op::Custom $( | Op::$S )*)
            }

            /// Whether the op is one of the `hot` binary ops, which the backward sweep tests for before
            /// its jump table (they come last, so this is one compare).
            #[inline(always)]
            pub(super) fn is_hot(self) -> bool {
                const FIRST_HOT: Op = [$( Op::$H ),*][0];
                self as u8 >= FIRST_HOT as u8
            }

            /// Whether the op has exactly two inputs.
            pub(super) fn is_binary(self) -> bool {
                matches!(self, $( Op::$H )|* $( | Op::$B )*)
            }

            #[inline(always)]
            pub(super) fn unary_forward(self, x: f64) -> f64 {
                match self {
                    $( Op::$U => { let $x = x; $uf } )*
                    _ => unreachable!(),
                }
            }

            #[inline(always)]
            pub(super) fn scalar_forward(self, x: f64, c: f64) -> f64 {
                match self {
                    $( Op::$S => { let ($sx, $c) = (x, c); $sf } )*
                    _ => unreachable!(),
                }
            }

            #[inline(always)]
            pub(super) fn binary_forward(self, a: f64, b: f64) -> f64 {
                match self {
                    $( Op::$H => { let ($ha, $hb) = (a, b); $hf } )*
                    $( Op::$B => { let ($a, $b) = (a, b); $bf } )*
                    _ => unreachable!(),
                }
            }
        }
    };
}

op_table!(define_ops);

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
fn max(a: f64, b: f64) -> f64 {
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
