//! Unit tests of engine internals (the public behaviour is tested in `tests/engine*.rs`).

use super::handles::{in_trust_box, trust_box};
use super::{Op, Tape, Value, MAX_NODES};
use crate::expr::{Expr, Function};

/// Points `(a, b, c)` at which every op of the table is checked: the first input, the second (for
/// binary ops) and the constant (for scalar ops). Away from every op's kinks and ties, and on both
/// sides of 0 for the first input and the constant.
const POINTS: [(f64, f64, f64); 3] = [(0.7, 1.9, 1.3), (1.6, 0.45, -0.8), (-1.2, 0.8, 2.0)];

/// Every op of the table: the gradients a backward pass gives, in each input, against a central
/// finite difference of the op's forward value, at each of `POINTS` where the op is defined (finite).
#[test]
fn every_op_of_the_table_matches_a_finite_difference() {
    let h = 1e-6;
    let mut checked = 0;
    for &op in Op::TABLE {
        for &(a, b, c) in &POINTS {
            let f = |a: f64, b: f64| op.build(Value::new(a), Value::new(b), c).data();
            let (va, vb) = (Value::new(a), Value::new(b));
            let y = op.build(va, vb, c);
            assert_eq!(y.op(), op);
            let defined = [f(a - h, b), f(a + h, b), f(a, b - h), f(a, b + h)]
                .iter()
                .all(|z| z.is_finite());
            if !defined {
                continue;
            }
            y.backward();
            let da = (f(a + h, b) - f(a - h, b)) / (2.0 * h);
            let db = (f(a, b + h) - f(a, b - h)) / (2.0 * h);
            for (input, grad, fd) in [("a", va.grad(), da), ("b", vb.grad(), db)] {
                assert!(
                    (grad - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
                    "{op:?} at (a, b, c) = {:?}: d/d{input} is {grad}, finite difference {fd}",
                    (a, b, c)
                );
            }
            checked += 1;
            Tape::clear();
        }
    }
    assert!(checked >= 2 * Op::TABLE.len());
}

/// Every function of the calculator is an op of the table: evaluated by name, it gives the same value
/// and gradient, bit for bit, as the op built on a `Value`, and on a plain number the same value.
#[test]
fn every_calculator_function_is_its_op() {
    for f in Function::ALL {
        let op = f.op();
        assert!(Op::TABLE.contains(&op), "{f:?}");
        for &(x, _, _) in &POINTS {
            let on_value = Expr::parse(&format!("{}(x)", f.name())).unwrap();
            let out = on_value.eval(&[("x", x)]).unwrap();
            out.value.backward();
            let v = Value::new(x);
            let y = op.build(v, v, 0.0);
            y.backward();
            assert_eq!(out.value.op(), op);
            assert_eq!(out.value.data().to_bits(), y.data().to_bits(), "{f:?}({x})");
            assert_eq!(
                out.grad("x").unwrap().to_bits(),
                v.grad().to_bits(),
                "{f:?}({x})"
            );
            let on_number = Expr::parse(&format!("{}({x})", f.name())).unwrap();
            let n = on_number.eval(&[]).unwrap().value;
            assert_eq!(
                n.data().to_bits(),
                y.data().to_bits(),
                "{f:?}({x}) on a number"
            );
            Tape::clear();
        }
    }
    let names: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        ["relu", "tanh", "exp", "log", "sigmoid", "sqrt", "abs"]
    );
}

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
