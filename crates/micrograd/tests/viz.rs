//! The graph picture: golden DOT files, options, the size limit, escaping, huge graphs.
// The lecture's bias is written as Karpathy wrote it.
#![allow(clippy::excessive_precision)]

use micrograd::expr::Expr;
use micrograd::viz::{draw_dot, reachable, to_dot, DotOptions, VizError};
use micrograd::{Tape, Value};

/// Compares with a golden file in `tests/fixtures/`; `UPDATE_GOLDEN=1` rewrites it instead.
#[track_caller]
fn golden(name: &str, got: &str) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        got, want,
        "{path} differs (rerun with UPDATE_GOLDEN=1 to accept)"
    );
}

#[test]
fn golden_lecture_graph() {
    // The lecture's first graph: L = (a*b + c) * f, with labels, after backward.
    Tape::clear(); // node ids start at 0 whatever ran before on this thread
    let a = Value::new(2.0).with_label("a");
    let b = Value::new(-3.0).with_label("b");
    let c = Value::new(10.0).with_label("c");
    let e = (a * b).with_label("e");
    let d = (e + c).with_label("d");
    let f = Value::new(-2.0).with_label("f");
    let l = (d * f).with_label("L");
    l.backward();
    // Hand-derived: dL/dd = f = -2, dL/df = d = 4, dL/de = dL/dc = -2, dL/da = -2*b = 6, dL/db = -4.
    assert_eq!(
        (a.grad(), b.grad(), c.grad(), f.grad()),
        (6.0, -4.0, -2.0, 4.0)
    );
    golden("lecture_graph.dot", &draw_dot(l).unwrap());
}

#[test]
fn golden_trace_graph_notebook() {
    // micrograd's trace_graph.ipynb: y = relu(x*2 + 1) at x = 1; its constants sit in the op nodes.
    Tape::clear();
    let x = Value::new(1.0).with_label("x");
    let y = (x * 2.0 + 1.0).relu();
    y.backward();
    let opts = DotOptions {
        precision: 2,
        ..DotOptions::default()
    };
    golden("trace_graph.dot", &to_dot(y, &opts).unwrap());
}

#[test]
fn golden_expression_neuron_without_grads() {
    Tape::clear();
    let out = Expr::parse("tanh(x1*w1 + x2*w2 + b)")
        .unwrap()
        .eval(&[
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.8813735870195432),
        ])
        .unwrap();
    out.value.backward();
    let opts = DotOptions {
        show_grad: false,
        ..DotOptions::default()
    };
    golden("neuron_nograd.dot", &to_dot(out.value, &opts).unwrap());
}

#[test]
fn every_value_and_op_appears_once() {
    let x = Value::new(3.0).with_label("x");
    let y = x * x + x; // x feeds two ops, and one op twice
    let dot = draw_dot(y).unwrap();
    let xs = format!("v{} [", x.id());
    assert_eq!(dot.matches(&xs).count(), 1);
    // `x * x` draws one edge from x (as micrograd, which keeps a set of edges).
    let sq = y.inputs()[0];
    assert_eq!(
        dot.matches(&format!("v{} -> op{};", x.id(), sq.id()))
            .count(),
        1
    );
    assert_eq!(
        dot.matches(&format!("v{} -> op{};", x.id(), y.id()))
            .count(),
        1
    );
    assert_eq!(dot.matches("shape=ellipse").count(), 2);
    assert_eq!(reachable(y), vec![x, sq, y]);
}

#[test]
fn constant_ops_show_their_constant() {
    let x = Value::new(2.0);
    let cases: [(Value, &str); 9] = [
        (x + 1.5, "+ 1.5"),
        (x - 3.0, "- 3"),
        (x * 2.0, "* 2"),
        (x / 4.0, "/ 4"),
        (1.0 - x, "1 -"),
        (2.0 / x, "2 /"),
        (x.pow(2), "^ 2"),
        (-x, "-"),
        (x * 1e-20, "* 1e-20"),
    ];
    for (v, label) in cases {
        let dot = draw_dot(v).unwrap();
        assert!(
            dot.contains(&format!("op{} [label=\"{label}\", shape=ellipse];", v.id())),
            "{label}: {dot}"
        );
    }
    let dot = draw_dot(x.pow(Value::new(3.0)) + x.max(x).tanh().exp()).unwrap();
    for op in ["\"^\"", "\"max\"", "\"tanh\"", "\"exp\"", "\"+\""] {
        assert!(
            dot.contains(&format!("[label={op}, shape=ellipse]")),
            "{op}"
        );
    }
    let w = [Value::new(1.0), Value::new(2.0)];
    let dot = draw_dot(Value::affine(Value::new(0.5), &w, &w)).unwrap();
    assert!(dot.contains("[label=\"affine\", shape=ellipse]"));
    assert_eq!(dot.matches("-> op").count(), 3); // b, w0, w1 (x = w: deduplicated)
}

#[test]
fn precision_and_hidden_grads() {
    let x = Value::new(1.0 / 3.0).with_label("x");
    let y = x * 3.0;
    y.backward();
    let p6 = DotOptions {
        precision: 6,
        ..DotOptions::default()
    };
    assert!(to_dot(y, &p6)
        .unwrap()
        .contains("label=\"{ x | data 0.333333 | grad 3.000000 }\""));
    let p0 = DotOptions {
        precision: 0,
        show_grad: false,
        ..DotOptions::default()
    };
    let dot = to_dot(y, &p0).unwrap();
    assert!(dot.contains("label=\"{ x | data 3e-1 }\""), "{dot}"); // 0.33 would read as 0
    assert!(dot.contains("label=\"{ data 1 }\""), "{dot}");
    assert!(!dot.contains("grad"));
}

#[test]
fn non_finite_numbers_are_printed() {
    let x = Value::new(0.0).with_label("x");
    let y = x.log(); // -inf, grad of x is inf
    y.backward();
    let dot = draw_dot(y).unwrap();
    assert!(dot.contains("{ x | data 0.0000 | grad inf }"), "{dot}");
    assert!(dot.contains("{ data -inf | grad 1.0000 }"), "{dot}");
    let z = (Value::new(-1.0)).sqrt();
    assert!(draw_dot(z).unwrap().contains("data NaN"));
}

#[test]
fn labels_are_escaped_for_records() {
    let x = Value::new(1.0).with_label("a|b {c} <d> \"e\" \\ \n");
    let dot = draw_dot(x).unwrap();
    assert!(
        dot.contains(r#"label="{ a\|b \{c\} \<d\> \"e\" \\   | data 1.0000 | grad 0.0000 }""#),
        "{dot}"
    );
}

#[test]
fn too_big_graphs_are_refused_with_their_size() {
    let xs: Vec<Value> = (0..10).map(|i| Value::new(i as f64)).collect();
    let s = Value::sum_slice(&xs).tanh(); // 10 leaves + sum + tanh = 12 values
    let opts = |max_nodes| DotOptions {
        max_nodes,
        ..DotOptions::default()
    };
    assert!(to_dot(s, &opts(12)).is_ok());
    let err = to_dot(s, &opts(11)).unwrap_err();
    assert_eq!(
        err,
        VizError::TooLarge {
            nodes: 12,
            limit: 11
        }
    );
    assert_eq!(
        err.to_string(),
        "the graph has 12 values, more than the limit of 11 for a picture"
    );
}

#[test]
fn huge_deep_graphs_are_walked_without_recursion() {
    // A 1,000,000-node chain: counting it must not overflow the stack, and it is refused.
    let mut v = Value::new(0.5);
    for _ in 0..999_999 {
        v *= 1.0;
    }
    assert_eq!(
        draw_dot(v),
        Err(VizError::TooLarge {
            nodes: 1_000_000,
            limit: 1000
        })
    );
    // Drawn in full when allowed: 200,000 values, 199,999 op nodes.
    let mut w = Value::new(0.5);
    for _ in 0..199_999 {
        w += 1.0;
    }
    let opts = DotOptions {
        max_nodes: usize::MAX,
        ..DotOptions::default()
    };
    let dot = to_dot(w, &opts).unwrap();
    assert_eq!(dot.matches("shape=ellipse").count(), 199_999);
}

#[test]
fn a_rewound_root_is_an_error_not_a_panic() {
    let mark = Tape::mark();
    let y = Value::new(1.0) * 2.0;
    Tape::rewind(mark);
    assert_eq!(draw_dot(y), Err(VizError::Rewound));
}
