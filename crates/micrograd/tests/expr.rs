//! The expression language: values and gradients against micrograd's tests and hand-derived numbers,
//! precedence, malformed input of many kinds, nesting limits, huge inputs.
// The lecture's bias is written as Karpathy wrote it.
#![allow(clippy::excessive_precision)]

use micrograd::expr::{EvalError, Expr, ParseErrorKind, MAX_DEPTH};
use micrograd::{Op, Value};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// Evaluates `src` with `vars`, runs backward, returns (value, grads in the order of `vars`).
fn grad(src: &str, vars: &[(&str, f64)]) -> (f64, Vec<f64>) {
    let out = Expr::parse(src).unwrap().eval(vars).unwrap();
    out.value.backward();
    let grads = vars
        .iter()
        .map(|(n, _)| out.grad(n).unwrap_or(0.0))
        .collect();
    (out.value.data(), grads)
}

fn value(src: &str) -> f64 {
    Expr::parse(src).unwrap().eval(&[]).unwrap().value.data()
}

// ------------------------------------------------------------------ reference numbers

#[test]
fn lecture_neuron() {
    // Karpathy's lecture: o = tanh(x1*w1 + x2*w2 + b) with b chosen so that the pre-activation is
    // atanh(1/√2) = 0.8813735870195432, giving o = 0.7071 and the printed gradients.
    let (o, g) = grad(
        "tanh(x1*w1 + x2*w2 + b)",
        &[
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.8813735870195432),
        ],
    );
    assert!(close(o, std::f64::consts::FRAC_1_SQRT_2, 1e-12), "o = {o}");
    let expected = [-1.5, 0.5, 1.0, 0.0, 0.5]; // x1, x2, w1, w2, b
    for (got, want) in g.iter().zip(expected) {
        assert!(close(*got, want, 1e-12), "got {g:?}");
    }
}

#[test]
fn lecture_neuron_with_exp_spelled_out() {
    // The lecture's second form of tanh: (e^2n - 1) / (e^2n + 1), same numbers.
    let src = "(exp(2*(x1*w1 + x2*w2 + b)) - 1) / (exp(2*(x1*w1 + x2*w2 + b)) + 1)";
    let vars = [
        ("x1", 2.0),
        ("x2", 0.0),
        ("w1", -3.0),
        ("w2", 1.0),
        ("b", 6.8813735870195432),
    ];
    let (o, g) = grad(src, &vars);
    assert!(close(o, std::f64::consts::FRAC_1_SQRT_2, 1e-12));
    for (got, want) in g.iter().zip([-1.5, 0.5, 1.0, 0.0, 0.5]) {
        assert!(close(*got, want, 1e-12), "got {g:?}");
    }
}

#[test]
fn micrograd_sanity_check_as_one_expression() {
    // micrograd's test_sanity_check, with z, q, h substituted into y:
    //   z = 2*x + 2 + x;  q = relu(z) + z*x;  h = relu(z*z);  y = h + q + q*x
    let z = "(2*x + 2 + x)";
    let q = format!("(relu({z}) + {z}*x)");
    let h = format!("relu({z}*{z})");
    let y = format!("{h} + {q} + {q}*x");
    let (v, g) = grad(&y, &[("x", -4.0)]);
    // PyTorch (from micrograd's test): y = -20, dy/dx = 46.
    assert_eq!(v, -20.0);
    assert_eq!(g[0], 46.0);
}

#[test]
fn micrograd_sanity_check_typed_out() {
    let src = "relu((2*x+2+x)*(2*x+2+x)) + (relu(2*x+2+x) + (2*x+2+x)*x) \
               + (relu(2*x+2+x) + (2*x+2+x)*x)*x";
    assert_eq!(grad(src, &[("x", -4.0)]), (-20.0, vec![46.0]));
}

#[test]
fn micrograd_more_ops_as_one_expression() {
    // micrograd's test_more_ops, each reassignment substituted textually.
    let mut c = "(a + b)".to_string();
    let mut d = "(a*b + b**3)".to_string();
    c = format!("({c} + {c} + 1)");
    c = format!("({c} + 1 + {c} + (-a))");
    d = format!("({d} + {d}*2 + relu(b + a))");
    d = format!("({d} + 3*{d} + relu(b - a))");
    let e = format!("({c} - {d})");
    let f = format!("({e}^2)");
    let g = format!("{f}/2.0 + 10.0/{f}");
    let (v, gr) = grad(&g, &[("a", -4.0), ("b", 2.0)]);
    // PyTorch reference values, from micrograd's tests (tolerance 1e-6 there).
    assert!(close(v, 24.70408163265306, 1e-12), "{v}");
    assert!(close(gr[0], 138.83381924198252, 1e-12), "{gr:?}");
    assert!(close(gr[1], 645.5772594752186, 1e-12), "{gr:?}");
}

#[test]
fn every_function_matches_the_engine_and_finite_differences() {
    let x0 = 0.7;
    for (name, f) in [
        ("relu", (|v: Value| v.relu()) as fn(Value) -> Value),
        ("tanh", |v| v.tanh()),
        ("exp", |v| v.exp()),
        ("log", |v| v.log()),
        ("sigmoid", |v| v.sigmoid()),
        ("sqrt", |v| v.sqrt()),
        ("abs", |v| v.abs()),
    ] {
        let src = format!("{name}(x*x - 0.2)");
        let (v, g) = grad(&src, &[("x", x0)]);
        let x = Value::new(x0);
        let y = f(x * x - 0.2);
        y.backward();
        assert_eq!(v, y.data(), "{name}");
        assert_eq!(g[0], x.grad(), "{name}");
        let h = 1e-6;
        let fd = (grad(&src, &[("x", x0 + h)]).0 - grad(&src, &[("x", x0 - h)]).0) / (2.0 * h);
        assert!(close(g[0], fd, 1e-6), "{name}: {} vs {fd}", g[0]);
        // On constants the function is folded to a number with the same formula.
        assert_eq!(value(&format!("{name}(0.7*0.7 - 0.2)")), y.data(), "{name}");
    }
    assert_eq!(
        value("sigmoid(-800)"),
        0.0f64.max(Value::new(-800.0).sigmoid().data())
    );
    assert_eq!(value("relu(-3)"), 0.0);
}

// ------------------------------------------------------------------ precedence and associativity

#[test]
fn precedence_follows_python() {
    assert_eq!(grad("-x^2", &[("x", 3.0)]), (-9.0, vec![-6.0]));
    assert_eq!(grad("-x**2", &[("x", 3.0)]), (-9.0, vec![-6.0]));
    assert_eq!(grad("(-x)^2", &[("x", 3.0)]), (9.0, vec![6.0]));
    assert_eq!(value("-2^2"), -4.0);
    assert_eq!(value("2^3^2"), 512.0); // right-associative
    assert_eq!(value("2**3**2"), 512.0);
    assert_eq!(value("(2^3)^2"), 64.0);
    assert_eq!(value("2^-1"), 0.5);
    assert_eq!(value("2^-1^2"), 0.5); // 2^(-(1^2))
    assert_eq!(value("1 + 2 * 3"), 7.0);
    assert_eq!(value("(1 + 2) * 3"), 9.0);
    assert_eq!(value("10 - 4 - 3"), 3.0); // left-associative
    assert_eq!(value("64 / 4 / 2"), 8.0);
    assert_eq!(value("2 * 3 ^ 2"), 18.0);
    assert_eq!(value("- - 3"), 3.0);
    assert_eq!(value("+3 - -3"), 6.0);
    assert_eq!(value("6 / -2 * 3"), -9.0);
    assert_eq!(value(" .5 + 1. + 1e1 + 2.5E-1 "), 11.75);
    assert_eq!(value("sqrt(16) + abs(-2) + exp(0) + log(1)"), 7.0);
}

#[test]
fn gradients_of_each_operator() {
    // d/dx, d/dy of each binary operator at x = 3, y = 2, derived by hand.
    let v = [("x", 3.0), ("y", 2.0)];
    assert_eq!(grad("x + y", &v), (5.0, vec![1.0, 1.0]));
    assert_eq!(grad("x - y", &v), (1.0, vec![1.0, -1.0]));
    assert_eq!(grad("x * y", &v), (6.0, vec![2.0, 3.0]));
    assert_eq!(grad("x / y", &v), (1.5, vec![0.5, -0.75]));
    let (p, g) = grad("x ^ y", &v);
    assert_eq!(p, 9.0);
    assert!(
        close(g[0], 6.0, 1e-15) && close(g[1], 9.0 * 3f64.ln(), 1e-15),
        "{g:?}"
    );
    // A variable used several times: its gradient sums over the uses.
    assert_eq!(grad("x*x*x", &[("x", 2.0)]), (8.0, vec![12.0]));
    // Constants on either side.
    assert_eq!(grad("2 - x", &[("x", 3.0)]), (-1.0, vec![-1.0]));
    assert_eq!(grad("6 / x", &[("x", 3.0)]), (2.0, vec![-6.0 / 9.0]));
    let (p, g) = grad("2 ^ x", &[("x", 3.0)]);
    assert_eq!(p, 8.0);
    assert!(close(g[0], 8.0 * 2f64.ln(), 1e-15));
}

#[test]
fn constants_become_op_constants_not_leaves() {
    let out = Expr::parse("x*2 + 1").unwrap().eval(&[("x", 5.0)]).unwrap();
    let sum = out.value;
    assert_eq!((sum.op(), sum.constant()), (Op::AddConst, Some(1.0)));
    let prod = sum.inputs()[0];
    assert_eq!((prod.op(), prod.constant()), (Op::MulConst, Some(2.0)));
    assert_eq!(prod.inputs()[0].label().as_deref(), Some("x"));
    // Constant subexpressions are folded: one node for `3*4`.
    let out = Expr::parse("x * (3*4)")
        .unwrap()
        .eval(&[("x", 1.0)])
        .unwrap();
    assert_eq!(out.value.constant(), Some(12.0));
    // No variables at all: a leaf.
    let out = Expr::parse("1 + 2").unwrap().eval(&[]).unwrap();
    assert_eq!((out.value.op(), out.value.data()), (Op::Leaf, 3.0));
    // A number raised to a value: a leaf labelled with the number.
    let out = Expr::parse("2^x").unwrap().eval(&[("x", 1.0)]).unwrap();
    assert_eq!(out.value.op(), Op::Pow);
    assert_eq!(out.value.inputs()[0].label().as_deref(), Some("2"));
}

#[test]
fn variables_and_bindings() {
    let e = Expr::parse("b*a + a + _c9").unwrap();
    assert_eq!(e.variables().collect::<Vec<_>>(), ["b", "a", "_c9"]);
    // Unused bindings are ignored; missing ones are named with the column of their first use.
    let out = e
        .eval(&[("a", 1.0), ("b", 2.0), ("_c9", 3.0), ("zz", 4.0)])
        .unwrap();
    assert_eq!(out.value.data(), 6.0);
    assert_eq!(out.grad("zz"), None);
    assert_eq!(
        e.eval(&[("a", 1.0), ("b", 2.0)]).unwrap_err(),
        EvalError::UnknownVariable {
            name: "_c9".into(),
            column: 11
        }
    );
    assert_eq!(
        e.eval(&[("a", 1.0), ("a", 2.0)]).unwrap_err(),
        EvalError::DuplicateVariable("a".into())
    );
    // Names are case-sensitive.
    assert!(Expr::parse("X").unwrap().eval(&[("x", 1.0)]).is_err());
    // The same Expr evaluates again with new values.
    let e = Expr::parse("x^2").unwrap();
    assert_eq!(e.eval(&[("x", 3.0)]).unwrap().value.data(), 9.0);
    assert_eq!(e.eval(&[("x", 4.0)]).unwrap().value.data(), 16.0);
}

#[test]
fn ieee_results_are_values_not_errors() {
    assert_eq!(value("1/0"), f64::INFINITY);
    assert!(value("log(-1)").is_nan());
    assert_eq!(value("exp(1000)"), f64::INFINITY);
    assert_eq!(value("1e308 * 10"), f64::INFINITY);
    let (v, g) = grad("sqrt(x)", &[("x", 0.0)]);
    assert_eq!((v, g[0]), (0.0, f64::INFINITY));
}

// ------------------------------------------------------------------ malformed input

#[track_caller]
fn fails(src: &str, column: usize, kind: ParseErrorKind) {
    let err = Expr::parse(src).unwrap_err();
    assert_eq!((err.column, &err.kind), (column, &kind), "input {src:?}");
    // The message and the caret rendering never panic and the caret sits under the column.
    assert!(err.to_string().starts_with(&format!("column {column}: ")));
    let shown = err.show(src);
    let caret_line = shown.lines().last().unwrap();
    assert_eq!(
        caret_line.chars().count(),
        column.min(src.chars().count() + 1)
    );
}

fn unexpected(found: &str, expected: &'static str) -> ParseErrorKind {
    ParseErrorKind::Unexpected {
        found: found.into(),
        expected,
    }
}

const OPERAND: &str = "a number, a name, '(' or '-'";
const OPERATOR: &str = "an operator or the end";

#[test]
fn malformed_expressions_are_located_and_explained() {
    use ParseErrorKind::*;
    fails("", 1, Empty);
    fails("   ", 4, Empty);
    fails("x +", 4, UnexpectedEnd { expected: OPERAND });
    fails("x + * y", 5, unexpected("*", OPERAND));
    fails("* x", 1, unexpected("*", OPERAND));
    fails("2x", 2, unexpected("x", OPERATOR));
    fails("x y", 3, unexpected("y", OPERATOR));
    fails("2 (x)", 3, unexpected("(", OPERATOR));
    fails("(x", 1, UnclosedParen);
    fails("((x)", 1, UnclosedParen);
    fails("(x + (y)", 1, UnclosedParen);
    fails(
        "x)",
        2,
        unexpected(")", "an operator or the end (this ')' has no '(')"),
    );
    fails("()", 2, unexpected(")", OPERAND));
    fails("(x y)", 4, unexpected("y", "an operator or ')'"));
    fails("sin(x)", 1, UnknownFunction("sin".into()));
    fails("x * Tanh(x)", 5, UnknownFunction("Tanh".into()));
    fails("exp", 1, MissingArgument("exp".into()));
    fails("2 * exp x", 5, MissingArgument("exp".into()));
    fails("tanh()", 6, unexpected(")", OPERAND));
    fails("tanh(x, y)", 7, UnexpectedChar(','));
    fails("x $ y", 3, UnexpectedChar('$'));
    fails("x = 2", 3, UnexpectedChar('='));
    fails("é + x", 1, UnexpectedChar('é'));
    fails("x + é", 5, UnexpectedChar('é')); // columns count characters, not bytes
    fails("x\0", 2, UnexpectedChar('\0'));
    fails("x ^", 4, UnexpectedEnd { expected: OPERAND });
    fails("x ^^ 2", 4, unexpected("^", OPERAND));
    fails("x *** 2", 5, unexpected("*", OPERAND));
    fails("x // 2", 4, unexpected("/", OPERAND));
    fails("1.2.3", 4, unexpected(".3", OPERATOR));
    fails("1e999", 1, NumberOutOfRange("1e999".into()));
    fails("x + 1e309", 5, NumberOutOfRange("1e309".into()));
    let long = "9".repeat(400);
    fails(&long, 1, NumberOutOfRange(long.clone()));
    fails(".", 1, UnexpectedChar('.'));
    fails("--", 3, UnexpectedEnd { expected: OPERAND });
}

#[test]
fn error_messages_name_the_culprit() {
    let msg = |s: &str| Expr::parse(s).unwrap_err().to_string();
    assert_eq!(
        msg("2*sin(x)"),
        "column 3: unknown function 'sin' (the functions are relu, tanh, exp, log, sigmoid, sqrt, abs)"
    );
    assert_eq!(
        msg("x + * y"),
        "column 5: expected a number, a name, '(' or '-', found '*'"
    );
    assert_eq!(msg("(x"), "column 1: this '(' is never closed");
    assert_eq!(
        msg("exp"),
        "column 1: function 'exp' needs an argument: exp(...)"
    );
    assert_eq!(
        msg("1e999"),
        "column 1: number 1e999 is too large for a 64-bit float"
    );
    assert_eq!(
        Expr::parse("x + * y").unwrap_err().show("x + * y"),
        "x + * y\n    ^"
    );
    assert_eq!(
        Expr::parse("x\t+ *").unwrap_err().show("x\t+ *"),
        "x + *\n    ^"
    );
    let e = EvalError::UnknownVariable {
        name: "w".into(),
        column: 4,
    };
    assert_eq!(
        e.to_string(),
        "column 4: unknown variable 'w' (no value given)"
    );
}

// ------------------------------------------------------------------ nesting and size limits

#[test]
fn nesting_up_to_the_limit_parses_and_beyond_it_is_refused() {
    // Parentheses: each level costs one.
    let nested = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
    let ok = Expr::parse(&nested(MAX_DEPTH)).unwrap();
    assert_eq!(ok.eval(&[("x", 2.5)]).unwrap().value.data(), 2.5);
    let err = Expr::parse(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::TooDeep);
    assert_eq!(err.column, MAX_DEPTH + 1); // the '(' that went one level too deep
                                           // Unary minus, powers and function calls count too; none of these overflow the stack.
    for src in [
        format!("{}x", "-".repeat(100_000)),
        format!("{}2", "2^".repeat(100_000)),
        format!("{}x{}", "tanh(".repeat(100_000), ")".repeat(100_000)),
        format!("{}x", "(".repeat(1_000_000)),
    ] {
        assert_eq!(Expr::parse(&src).unwrap_err().kind, ParseErrorKind::TooDeep);
    }
    assert_eq!(value(&format!("{}3", "-".repeat(MAX_DEPTH))), 3.0);
    assert_eq!(value(&format!("{}1", "1^".repeat(MAX_DEPTH))), 1.0);
    let half = MAX_DEPTH / 2;
    assert_eq!(
        value(&format!("{}1{}", "-(".repeat(half), ")".repeat(half))),
        1.0
    );
    let err = Expr::parse(&format!("{}3", "-".repeat(MAX_DEPTH + 1))).unwrap_err();
    assert_eq!(
        (err.kind, err.column),
        (ParseErrorKind::TooDeep, MAX_DEPTH + 1)
    );
}

#[test]
fn long_flat_expressions_need_no_recursion() {
    // 200,001 terms, left-associative: parsed by loops, evaluated by a loop, backward by a sweep.
    let n = 200_000;
    let src = format!("x{}", " + x".repeat(n));
    let (v, g) = grad(&src, &[("x", 1.0)]);
    assert_eq!((v, g[0]), ((n + 1) as f64, (n + 1) as f64));
    let src = format!("1{}", "*1".repeat(n));
    assert_eq!(value(&src), 1.0);
}
