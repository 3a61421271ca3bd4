//! Pictures of computation graphs: the graph reachable from a [`Value`] as Graphviz DOT, like
//! micrograd's `draw_dot` (`trace_graph.ipynb`).
//!
//! Every value is a record node `{ label | data 2.0000 | grad 0.0000 }` (the label field only when the
//! value has a label), and every computed value is fed by a small node for its operation (`+`, `*`,
//! `tanh`, ...), laid out left to right. Operations with a constant (`x * 2`, `x + 1`, `x ^ 2`,
//! `1 - x`, `2 / x`) show the constant in the operation node (`* 2`, `+ 1`, `^ 2`, `1 -`, `2 /`), since
//! the engine stores it in the node instead of making a leaf for it.
//!
//! ```
//! use micrograd::Value;
//! use micrograd::viz::{to_dot, DotOptions};
//!
//! let a = Value::new(2.0).with_label("a");
//! let b = Value::new(-3.0).with_label("b");
//! let c = (a * b).with_label("c");
//! c.backward();
//! let dot = to_dot(c, &DotOptions::default()).unwrap();
//! assert!(dot.starts_with("digraph {"));
//! assert!(dot.contains(r#"label="{ c | data -6.0000 | grad 1.0000 }""#));
//! assert!(dot.contains(r#"label="*""#));
//! ```
//!
//! The graph is walked iteratively (no recursion), so any depth works; pictures of big graphs are
//! refused up front (see [`DotOptions::max_nodes`]) since no layout program copes with them.

use crate::engine::{Op, Value};
use std::fmt::{self, Write as _};

/// Options of [`to_dot`].
#[derive(Clone, Debug, PartialEq)]
pub struct DotOptions {
    /// Digits after the decimal point for data and grad (micrograd: 4). Values whose magnitude is
    /// non-zero but below `10^-precision`, or at least `10^15`, are shown in scientific notation so
    /// they do not read as 0 or as a wall of digits.
    pub precision: usize,
    /// Show each value's gradient (`true`, like micrograd) or only its data.
    pub show_grad: bool,
    /// The largest number of values (record nodes) drawn. A bigger graph is refused with
    /// [`VizError::TooLarge`], which says how many values it has. Operation nodes are not counted.
    pub max_nodes: usize,
}

impl Default for DotOptions {
    /// Precision 4, gradients shown, at most 1000 values.
    fn default() -> Self {
        DotOptions {
            precision: 4,
            show_grad: true,
            max_nodes: 1000,
        }
    }
}

/// Why a graph could not be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VizError {
    /// The graph has more values than [`DotOptions::max_nodes`].
    TooLarge {
        /// Number of values reachable from the root (the root included).
        nodes: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The root's node was rewound off the tape (see `Tape::rewind`).
    Rewound,
}

impl fmt::Display for VizError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VizError::TooLarge { nodes, limit } => write!(
                f,
                "the graph has {nodes} values, more than the limit of {limit} for a picture"
            ),
            VizError::Rewound => write!(f, "the value was rewound off the tape"),
        }
    }
}

impl std::error::Error for VizError {}

/// Every value reachable from `root` (the root included), in creation order, which is a topological
/// order: each value comes after its inputs. Iterative; each value is listed once.
///
/// # Panics
/// If `root` was rewound off the tape.
///
/// ```
/// use micrograd::Value;
/// let x = Value::new(3.0);
/// let s = x * x;
/// let y = s + 1.0;
/// assert_eq!(micrograd::viz::reachable(y), vec![x, s, y]);
/// ```
pub fn reachable(root: Value) -> Vec<Value> {
    // Inputs are always created before the values computed from them, so ids below the root's id
    // index a dense visited array.
    let mut seen = vec![false; root.id() + 1];
    let mut stack = vec![root];
    let mut out = Vec::new();
    seen[root.id()] = true;
    while let Some(v) = stack.pop() {
        out.push(v);
        for u in v.inputs() {
            if !seen[u.id()] {
                seen[u.id()] = true;
                stack.push(u);
            }
        }
    }
    out.sort_unstable_by_key(|v| v.id());
    out
}

/// The graph reachable from `root` as a Graphviz DOT document, laid out left to right
/// (`rankdir=LR`), in the style of micrograd's `draw_dot`:
///
/// * each value is a `record` node `v<id>` labelled `{ label | data D | grad G }` (no label field when
///   the value has no label, no grad field when [`DotOptions::show_grad`] is false);
/// * each computed value `v<id>` is fed by an operation node `op<id>` labelled with the operation
///   (`+`, `*`, `tanh`, `sum`, `dot`, ...; a constant operand is part of the label: `* 2`, `+ 1`,
///   `- 3` for `x - 3`, `^ 2`, `1 -` for `1 - x`, `2 /` for `2 / x`; negation is `-`);
/// * an edge goes from each distinct input to the operation node, and from it to the value.
///
/// Nodes are listed in creation order and edges in input order, so the output is deterministic.
/// Labels are escaped for DOT records. Non-finite numbers print as `NaN`, `inf`, `-inf`.
///
/// # Errors
/// [`VizError::TooLarge`] if more than `opts.max_nodes` values are reachable (the whole graph is
/// counted, so the message gives its size); [`VizError::Rewound`] if `root` is no longer on the tape.
///
/// ```
/// use micrograd::Value;
/// use micrograd::viz::{to_dot, DotOptions, VizError};
///
/// let x = Value::new(1.5).with_label("x");
/// let y = (x * 2.0).tanh();
/// let opts = DotOptions { precision: 2, show_grad: false, ..DotOptions::default() };
/// let dot = to_dot(y, &opts).unwrap();
/// assert!(dot.contains(r#"label="{ x | data 1.50 }""#));
/// assert!(dot.contains(r#"label="* 2""#));
///
/// let small = DotOptions { max_nodes: 2, ..DotOptions::default() };
/// assert_eq!(to_dot(y, &small), Err(VizError::TooLarge { nodes: 3, limit: 2 }));
/// ```
pub fn to_dot(root: Value, opts: &DotOptions) -> Result<String, VizError> {
    if !root.is_alive() {
        return Err(VizError::Rewound);
    }
    let values = reachable(root);
    if values.len() > opts.max_nodes {
        return Err(VizError::TooLarge {
            nodes: values.len(),
            limit: opts.max_nodes,
        });
    }
    let p = opts.precision;
    let mut out = String::new();
    out.push_str("digraph {\n");
    out.push_str("  graph [rankdir=LR];\n");
    out.push_str("  node [shape=record];\n");
    // `write!` into a String cannot fail.
    for &v in &values {
        let id = v.id();
        let mut fields = Vec::with_capacity(3);
        if let Some(label) = v.label() {
            fields.push(escape_record(&label));
        }
        fields.push(format!("data {}", format_number(v.data(), p)));
        if opts.show_grad {
            fields.push(format!("grad {}", format_number(v.grad(), p)));
        }
        let _ = writeln!(out, "  v{id} [label=\"{{ {} }}\"];", fields.join(" | "));
        let op = v.op();
        if op == Op::Leaf {
            continue;
        }
        let _ = writeln!(
            out,
            "  op{id} [label=\"{}\", shape=ellipse];",
            escape_quoted(&op_label(v, op))
        );
        let _ = writeln!(out, "  op{id} -> v{id};");
        let mut inputs = v.inputs();
        let mut seen_inputs = Vec::with_capacity(inputs.len());
        inputs.retain(|u| {
            if seen_inputs.contains(&u.id()) {
                false
            } else {
                seen_inputs.push(u.id());
                true
            }
        });
        for u in inputs {
            let _ = writeln!(out, "  v{} -> op{id};", u.id());
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// [`to_dot`] with the default options (precision 4, gradients shown, at most 1000 values): the
/// counterpart of micrograd's `draw_dot(root)`.
///
/// ```
/// use micrograd::Value;
/// let y = Value::new(2.0).relu();
/// assert!(micrograd::viz::draw_dot(y).unwrap().contains("relu"));
/// ```
pub fn draw_dot(root: Value) -> Result<String, VizError> {
    to_dot(root, &DotOptions::default())
}

/// The label of an operation node: the op table's label for the op (`draw`, or its symbol), with the
/// op's constant, if the label shows one, written in (`x + -2` is drawn as `- 2`).
fn op_label(v: Value, op: Op) -> String {
    let label = op.label();
    match v.constant().map(constant) {
        Some(c) if label.contains("{c}") => match c.strip_prefix('-') {
            Some(pos) if label == "+ {c}" => format!("- {pos}"),
            _ => label.replace("{c}", &c),
        },
        _ => label.to_string(),
    }
}

/// A constant as written in an operation label: the shortest form that reads back to the same
/// number, in scientific notation when very large or very small.
fn constant(c: f64) -> String {
    let a = c.abs();
    if c.is_finite() && c != 0.0 && !(1e-4..1e15).contains(&a) {
        format!("{c:e}")
    } else {
        format!("{c}")
    }
}

/// A number with `p` digits after the decimal point, as the picture shows data and grads: `{:.p$}`,
/// except that a non-zero number below `10^-p` in magnitude (which would read as 0) and a number of
/// magnitude `1e15` or more are written in scientific notation with `p` digits. Non-finite numbers
/// are `NaN`, `inf`, `-inf`.
///
/// ```
/// use micrograd::viz::format_number;
/// assert_eq!(format_number(0.70710678, 4), "0.7071");
/// assert_eq!(format_number(-1.5, 2), "-1.50");
/// assert_eq!(format_number(2.5e-9, 4), "2.5000e-9");
/// assert_eq!(format_number(f64::INFINITY, 4), "inf");
/// ```
pub fn format_number(x: f64, p: usize) -> String {
    let a = x.abs();
    let tiny = p < 300 && a != 0.0 && a < 10f64.powi(-(p as i32));
    if x.is_finite() && (tiny || a >= 1e15) {
        format!("{x:.p$e}")
    } else {
        format!("{x:.p$}")
    }
}

/// Escapes text for a field of a DOT record label inside a quoted string: record syntax characters
/// and quotes get a backslash, control characters become spaces.
fn escape_record(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '{' | '}' | '|' | '<' | '>' | '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a quoted DOT string (not a record).
fn escape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_never_read_as_zero() {
        assert_eq!(format_number(2.0, 4), "2.0000");
        assert_eq!(format_number(-0.5, 2), "-0.50");
        assert_eq!(format_number(1e-7, 4), "1.0000e-7");
        assert_eq!(format_number(0.0, 4), "0.0000");
        assert_eq!(format_number(f64::NAN, 4), "NaN");
        assert_eq!(format_number(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(format_number(1e300, 2), "1.00e300");
    }

    #[test]
    fn constants_are_short() {
        assert_eq!(constant(2.0), "2");
        assert_eq!(constant(0.5), "0.5");
        assert_eq!(constant(1e300), "1e300");
        assert_eq!(constant(-2.5e-9), "-2.5e-9");
    }

    #[test]
    fn record_labels_are_escaped() {
        assert_eq!(escape_record("a|b{c}<d>\"e\\"), r#"a\|b\{c\}\<d\>\"e\\"#);
        assert_eq!(escape_record("x\ny"), "x y");
    }
}
