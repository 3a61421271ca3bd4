//! The graph view's data: a computation graph on the tape taken out as plain numbers (each value's
//! data and grad, each operation), laid out for drawing, with the backward pass broken into steps.
//!
//! Every number comes from the engine: data and grads from the graph itself after `backward()`, and
//! each operation's local derivative from the engine too, by recomputing that one operation on fresh
//! leaves holding its inputs' values and backpropagating through it. A backward step at node `v` adds
//! `local · upstream` to each input's grad; the steps taken in reverse topological order add up to
//! the engine's own gradients.

use crate::layout::{layout, Placed};
use micrograd::expr::{point_at, Expr};
use micrograd::viz::{format_number, reachable, to_dot, DotOptions};
use micrograd::{Op, Tape, Value};
use serde::Serialize;
use std::collections::HashMap;

/// Digits after the decimal point on the page (micrograd's pictures: 4).
pub const PRECISION: usize = 4;

/// The most values the graph view draws.
pub const MAX_VALUES: usize = 600;

/// A number as the page shows it.
pub fn show(x: f64) -> String {
    format_number(x, PRECISION)
}

/// One value of the graph, with the operation that produced it.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    /// The value's label (a variable's name, a parameter's name), if it has one.
    pub label: Option<String>,
    /// Its data and grad, as shown.
    pub data: String,
    pub grad: String,
    /// The operation that produced it as its picture shows it (`+`, `* 2`, `tanh`), `None` for a leaf.
    pub op: Option<String>,
    /// The distinct inputs (indices into the node list), in input order.
    pub inputs: Vec<usize>,
    /// Where the value's record and its operation's ellipse go.
    pub at: Placed,
    pub op_at: Option<Placed>,
}

/// What one input of a node gets in a backward step.
#[derive(Clone, Debug, Serialize)]
pub struct Term {
    /// The input (index into the node list).
    pub input: usize,
    /// `∂node/∂input`, the upstream gradient times it, and the input's grad after adding it.
    pub local: String,
    pub product: String,
    pub after: String,
}

/// One backward step: the chain rule at one node.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// The node (index into the node list).
    pub node: usize,
    /// Its gradient when the step runs (final: every node that uses it came before).
    pub upstream: String,
    /// One term per input slot (an input used twice, as in `x*x`, gets two).
    pub terms: Vec<Term>,
}

/// A whole graph for the page.
#[derive(Clone, Debug, Serialize)]
pub struct GraphData {
    /// The values in creation order (a topological order); the root is last.
    pub nodes: Vec<Node>,
    /// The backward pass: first the root's seed (grad 1, no terms), then each computed value in
    /// reverse topological order.
    pub backward: Vec<Step>,
    /// The drawing's size.
    pub width: f64,
    pub height: f64,
}

/// The page's answer for an expression: the graph, its value and each variable's grad, or an error
/// with its column and the caret line the CLI prints.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ExprResult {
    Ok {
        value: String,
        variables: Vec<Variable>,
        graph: GraphData,
    },
    Error {
        message: String,
        column: Option<usize>,
        caret: Option<String>,
        /// The variables, when the expression parsed (so the page can still offer their inputs).
        variables: Vec<String>,
    },
}

/// A variable of the expression: its value and gradient as shown.
#[derive(Clone, Debug, Serialize)]
pub struct Variable {
    pub name: String,
    pub data: String,
    pub grad: String,
    /// The variable's leaf (index into the node list).
    pub node: usize,
}

/// Parses `source`, evaluates it with `bindings` (variables without a value get 0, so that typing a
/// new name never blanks the page), backpropagates and returns the graph. The tape is left as it was.
pub fn expression(source: &str, bindings: &[(String, f64)]) -> ExprResult {
    let expr = match Expr::parse(source) {
        Ok(e) => e,
        Err(e) => {
            return ExprResult::Error {
                message: e.to_string(),
                column: Some(e.column),
                caret: Some(e.show(source)),
                variables: vec![],
            }
        }
    };
    let names: Vec<String> = expr.variables().map(String::from).collect();
    let values: Vec<(&str, f64)> = names
        .iter()
        .map(|n| {
            let v = bindings.iter().find(|(b, _)| b == n).map_or(0.0, |b| b.1);
            (n.as_str(), v)
        })
        .collect();
    let mark = Tape::mark();
    let result = match expr.eval(&values) {
        Ok(out) => {
            let root = out.value;
            let count = reachable(root).len();
            if count > MAX_VALUES {
                ExprResult::Error {
                    message: format!(
                        "the graph has {count} values, more than the {MAX_VALUES} this page draws"
                    ),
                    column: None,
                    caret: None,
                    variables: names.clone(),
                }
            } else {
                let graph = snapshot(root, &|_| None);
                let ids: Vec<usize> = reachable(root).iter().map(|v| v.id()).collect();
                let variables = out
                    .variables
                    .iter()
                    .map(|(name, v)| Variable {
                        name: name.clone(),
                        data: show(v.data()),
                        grad: show(v.grad()),
                        node: ids.iter().position(|&i| i == v.id()).unwrap_or(0),
                    })
                    .collect();
                ExprResult::Ok {
                    value: show(root.data()),
                    variables,
                    graph,
                }
            }
        }
        Err(e) => ExprResult::Error {
            message: e.to_string(),
            column: e.column(),
            caret: e.column().map(|c| point_at(source, c)),
            variables: names.clone(),
        },
    };
    Tape::rewind(mark);
    result
}

/// Backpropagates from `root` (its grads must be zero before) and takes the graph out of the tape.
/// `name` gives a label for values that have none on the tape (a network's parameters, say).
pub fn snapshot(root: Value, name: &dyn Fn(Value) -> Option<String>) -> GraphData {
    let values = reachable(root);
    let index = |v: Value| values.binary_search_by_key(&v.id(), |u| u.id()).ok();

    // Local derivatives first (on scratch nodes, rewound again), then the real backward pass.
    let locals: Vec<Option<Vec<f64>>> = {
        let mark = Tape::mark();
        let l = values.iter().map(|&v| local_derivatives(v)).collect();
        Tape::rewind(mark);
        l
    };
    root.backward();

    let inputs: Vec<Vec<usize>> = values
        .iter()
        .map(|v| v.inputs().into_iter().filter_map(index).collect())
        .collect();
    let mut steps = vec![Step {
        node: values.len() - 1,
        upstream: show(1.0),
        terms: vec![],
    }];
    let mut running = vec![0.0; values.len()];
    running[values.len() - 1] = 1.0;
    for i in (0..values.len()).rev() {
        let v = values[i];
        if v.op() == Op::Leaf {
            continue;
        }
        let upstream = v.grad();
        let mut terms = Vec::new();
        for (slot, &input) in inputs[i].iter().enumerate() {
            let local = locals[i].as_ref().and_then(|l| l.get(slot)).copied();
            let product = local.map_or(f64::NAN, |l| l * upstream);
            running[input] += product;
            terms.push(Term {
                input,
                local: local.map_or_else(|| "?".into(), show),
                product: show(product),
                after: show(running[input]),
            });
        }
        steps.push(Step {
            node: i,
            upstream: show(upstream),
            terms,
        });
    }

    // Distinct inputs for the drawing's edges.
    let edges: Vec<Vec<usize>> = inputs
        .iter()
        .map(|ins| {
            let mut d: Vec<usize> = Vec::new();
            for &i in ins {
                if !d.contains(&i) {
                    d.push(i);
                }
            }
            d
        })
        .collect();
    let labels: Vec<Option<String>> = values
        .iter()
        .map(|&v| v.label().or_else(|| name(v)))
        .collect();
    let datas: Vec<String> = values.iter().map(|v| show(v.data())).collect();
    let grads: Vec<String> = values.iter().map(|v| show(v.grad())).collect();
    let mut labels_of_ops = op_labels(root, values.len());
    let ops: Vec<Option<String>> = values
        .iter()
        .map(|&v| {
            (v.op() != Op::Leaf).then(|| {
                labels_of_ops
                    .remove(&v.id())
                    .unwrap_or_else(|| v.op().symbol().into())
            })
        })
        .collect();
    let record_chars: Vec<Vec<usize>> = (0..values.len())
        .map(|i| {
            let mut f = vec![5 + datas[i].len(), 5 + grads[i].len()];
            if let Some(l) = &labels[i] {
                f.insert(0, l.chars().count());
            }
            f
        })
        .collect();
    let op_chars: Vec<Option<usize>> = ops
        .iter()
        .map(|o| o.as_ref().map(|s| s.chars().count()))
        .collect();
    let drawing = layout(&edges, &record_chars, &op_chars);

    let nodes = (0..values.len())
        .map(|i| Node {
            label: labels[i].clone(),
            data: datas[i].clone(),
            grad: grads[i].clone(),
            op: ops[i].clone(),
            inputs: edges[i].clone(),
            at: drawing.values[i],
            op_at: drawing.ops[i],
        })
        .collect();
    GraphData {
        nodes,
        backward: steps,
        width: drawing.width,
        height: drawing.height,
    }
}

/// `∂v/∂input` for each input slot of `v` (in [`Value::inputs`] order), computed by the engine: the
/// operation is recomputed on fresh leaves holding the inputs' values and backpropagated. `None` for a
/// leaf or an operation this page cannot recompute. Leaves scratch nodes on the tape.
pub fn local_derivatives(v: Value) -> Option<Vec<f64>> {
    let xs: Vec<Value> = v.inputs().iter().map(|u| Value::new(u.data())).collect();
    let c = v.constant();
    let un = |f: fn(Value) -> Value| xs.first().map(|&x| f(x));
    let bin = |f: fn(Value, Value) -> Value| match xs[..] {
        [a, b] => Some(f(a, b)),
        _ => None,
    };
    let konst = |f: fn(Value, f64) -> Value| match (xs.first(), c) {
        (Some(&x), Some(c)) => Some(f(x, c)),
        _ => None,
    };
    let out = match v.op() {
        Op::Custom => return c.map(|d| vec![d]),
        Op::Add => bin(|a, b| a + b),
        Op::Sub => bin(|a, b| a - b),
        Op::Mul => bin(|a, b| a * b),
        Op::Div => bin(|a, b| a / b),
        Op::Pow => bin(|a, b| a.pow(b)),
        Op::Max => bin(|a, b| a.max(b)),
        Op::Min => bin(|a, b| a.min(b)),
        Op::Neg => un(|x| -x),
        Op::Exp => un(Value::exp),
        Op::Log => un(Value::log),
        Op::Tanh => un(Value::tanh),
        Op::Sigmoid => un(Value::sigmoid),
        Op::Relu => un(Value::relu),
        Op::Sqrt => un(Value::sqrt),
        Op::Abs => un(Value::abs),
        Op::AddConst => konst(|x, c| x + c),
        Op::ConstSub => konst(|x, c| c - x),
        Op::MulConst => konst(|x, c| x * c),
        Op::DivConst => konst(|x, c| x / c),
        Op::ConstDiv => konst(|x, c| c / x),
        Op::PowConst => konst(|x, c| x.pow(c)),
        Op::Sum => Some(Value::sum_slice(&xs)),
        Op::Dot => {
            let (w, x) = unzip_pairs(&xs)?;
            Some(Value::dot(&w, &x))
        }
        Op::Affine => {
            let (&b, rest) = xs.split_first()?;
            let (w, x) = unzip_pairs(rest)?;
            Some(Value::affine(b, &w, &x))
        }
        _ => None,
    }?;
    out.backward();
    Some(xs.iter().map(|x| x.grad()).collect())
}

/// `w0, x0, w1, x1, ...` as `([w0, w1, ...], [x0, x1, ...])`.
fn unzip_pairs(items: &[Value]) -> Option<(Vec<Value>, Vec<Value>)> {
    if items.len() % 2 != 0 {
        return None;
    }
    Some(items.chunks(2).map(|p| (p[0], p[1])).unzip())
}

/// Each operation's label as the crate's own pictures show it (`+`, `* 2`, `1 -`, `tanh`), keyed by
/// value id: read from [`to_dot`]'s `op<id> [label="...", shape=ellipse];` lines, so that the page and
/// `micrograd grad --svg` always agree.
fn op_labels(root: Value, values: usize) -> HashMap<usize, String> {
    let opts = DotOptions {
        max_nodes: values,
        ..DotOptions::default()
    };
    let Ok(dot) = to_dot(root, &opts) else {
        return HashMap::new();
    };
    dot.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("op")?;
            let (id, rest) = rest.split_once(" [label=\"")?;
            let quoted = rest.strip_suffix("\", shape=ellipse];")?;
            Some((id.parse().ok()?, unquote(quoted)))
        })
        .collect()
}

/// Undoes DOT's escaping of `"` and `\\` in a quoted string.
fn unquote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEURON: &str = "tanh(x1*w1 + x2*w2 + b)";

    fn neuron_bindings() -> Vec<(String, f64)> {
        [
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.881_373_587_019_543),
        ]
        .iter()
        .map(|&(n, v)| (n.to_string(), v))
        .collect()
    }

    #[test]
    fn the_lecture_neuron() {
        let before = Tape::len();
        let ExprResult::Ok {
            value,
            variables,
            graph,
        } = expression(NEURON, &neuron_bindings())
        else {
            panic!("the neuron parses")
        };
        assert_eq!(Tape::len(), before, "the tape is left as it was");
        assert_eq!(value, "0.7071");
        let grad = |n: &str| variables.iter().find(|v| v.name == n).unwrap().grad.clone();
        assert_eq!(grad("x1"), "-1.5000");
        assert_eq!(grad("w1"), "1.0000");
        assert_eq!(grad("x2"), "0.5000");
        assert_eq!(grad("w2"), "0.0000");
        assert_eq!(grad("b"), "0.5000");
        // x1, w1, x1*w1, x2, w2, x2*w2, +, b, +, tanh
        assert_eq!(graph.nodes.len(), 10);
        assert_eq!(graph.nodes[9].op.as_deref(), Some("tanh"));
        // The seed and one step per computed value; tanh's local derivative is 1 - 0.7071² = 0.5.
        assert_eq!(graph.backward.len(), 1 + 5);
        let tanh = &graph.backward[1];
        assert_eq!(tanh.node, 9);
        assert_eq!(tanh.upstream, "1.0000");
        assert_eq!(tanh.terms[0].local, "0.5000");
        // Every input's grad after the last term that touches it is the engine's grad.
        for (i, n) in graph.nodes.iter().enumerate() {
            let last = graph
                .backward
                .iter()
                .flat_map(|s| &s.terms)
                .rfind(|t| t.input == i);
            if let Some(t) = last {
                assert_eq!(t.after, n.grad, "node {i}");
            }
        }
    }

    #[test]
    fn a_value_used_twice_gets_both_terms() {
        let ExprResult::Ok {
            variables, graph, ..
        } = expression("x*x + 3*x", &[("x".into(), 2.0)])
        else {
            panic!()
        };
        assert_eq!(variables[0].grad, "7.0000");
        let mul = graph
            .backward
            .iter()
            .find(|s| graph.nodes[s.node].op.as_deref() == Some("*"))
            .unwrap();
        assert_eq!(mul.terms.len(), 2);
        assert!(graph.nodes.iter().any(|n| n.op.as_deref() == Some("* 3")));
        assert_eq!(unquote(r#"a\"b\\c"#), r#"a"b\c"#);
    }

    #[test]
    fn local_derivatives_of_every_operation_match_the_engine() {
        let mark = Tape::mark();
        let a = Value::new(0.7);
        let b = Value::new(1.3);
        let cases = [
            a + b,
            a - b,
            a * b,
            a / b,
            a.pow(b),
            a.max(b),
            a.min(b),
            -a,
            a.exp(),
            a.log(),
            a.tanh(),
            a.sigmoid(),
            a.relu(),
            a.sqrt(),
            a.abs(),
            a + 2.0,
            2.0 - a,
            a * 2.0,
            a / 2.0,
            2.0 / a,
            a.pow(3.0),
            Value::sum([a, b, a]),
            Value::dot(&[a, b], &[b, a]),
            Value::affine(a, &[b], &[a]),
        ];
        for y in cases {
            let inputs = y.inputs();
            let local = local_derivatives(y).unwrap();
            assert_eq!(local.len(), inputs.len());
            // Against the engine on the real graph when every input is distinct.
            let mut ids: Vec<usize> = inputs.iter().map(|v| v.id()).collect();
            ids.sort_unstable();
            ids.dedup();
            if ids.len() == inputs.len() {
                Tape::zero_grad();
                y.backward();
                for (u, l) in inputs.iter().zip(&local) {
                    assert_eq!(u.grad(), *l, "{:?}", y.op());
                }
            }
        }
        Tape::rewind(mark);
    }

    #[test]
    fn errors_carry_the_column() {
        let ExprResult::Error {
            message,
            column,
            caret,
            ..
        } = expression("x + * y", &[])
        else {
            panic!()
        };
        assert_eq!(column, Some(5));
        assert!(message.starts_with("column 5"));
        assert_eq!(caret.as_deref(), Some("x + * y\n    ^"));
    }

    #[test]
    fn missing_values_are_zero_and_huge_graphs_are_refused() {
        assert!(matches!(expression("a*b", &[]), ExprResult::Ok { .. }));
        let long = vec!["x"; MAX_VALUES + 5].join(" * x + ");
        assert!(matches!(
            expression(&long, &[("x".into(), 1.0)]),
            ExprResult::Error { column: None, .. }
        ));
    }
}
