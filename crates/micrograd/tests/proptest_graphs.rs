//! Property test: on thousands of random expression graphs, `backward()` agrees with central finite
//! differences for every leaf.

use micrograd::{Tape, Value};
use proptest::prelude::*;

/// One step of a random program: an op applied to two earlier values (picked by index, modulo).
#[derive(Clone, Debug)]
enum Step {
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    /// a / (b² + 1): a division whose divisor stays away from 0
    Div(usize, usize),
    Tanh(usize),
    Sigmoid(usize),
    /// exp(tanh(a)): bounded
    Exp(usize),
    /// log(a² + 0.5)
    Log(usize),
    /// sqrt(a² + 0.25)
    Sqrt(usize),
    Relu(usize),
    Abs(usize),
    Max(usize, usize),
    Min(usize, usize),
    PowConst(usize, i32),
    /// (a² + 0.5)^tanh(b): a Value exponent on a positive base
    PowValue(usize, usize),
    AddConst(usize, f64),
    MulConst(usize, f64),
    ConstDiv(usize),
    Neg(usize),
    Sum(Vec<usize>),
    Dot(Vec<(usize, usize)>),
    Affine(usize, Vec<(usize, usize)>),
    Custom(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let i = || 0usize..64;
    prop_oneof![
        (i(), i()).prop_map(|(a, b)| Step::Add(a, b)),
        (i(), i()).prop_map(|(a, b)| Step::Sub(a, b)),
        (i(), i()).prop_map(|(a, b)| Step::Mul(a, b)),
        (i(), i()).prop_map(|(a, b)| Step::Div(a, b)),
        i().prop_map(Step::Tanh),
        i().prop_map(Step::Sigmoid),
        i().prop_map(Step::Exp),
        i().prop_map(Step::Log),
        i().prop_map(Step::Sqrt),
        i().prop_map(Step::Relu),
        i().prop_map(Step::Abs),
        (i(), i()).prop_map(|(a, b)| Step::Max(a, b)),
        (i(), i()).prop_map(|(a, b)| Step::Min(a, b)),
        (i(), 0i32..4).prop_map(|(a, k)| Step::PowConst(a, k)),
        (i(), i()).prop_map(|(a, b)| Step::PowValue(a, b)),
        (i(), -2.0f64..2.0).prop_map(|(a, c)| Step::AddConst(a, c)),
        (i(), -2.0f64..2.0).prop_map(|(a, c)| Step::MulConst(a, c)),
        i().prop_map(Step::ConstDiv),
        i().prop_map(Step::Neg),
        prop::collection::vec(i(), 0..5).prop_map(Step::Sum),
        prop::collection::vec((i(), i()), 0..4).prop_map(Step::Dot),
        (i(), prop::collection::vec((i(), i()), 0..4)).prop_map(|(b, p)| Step::Affine(b, p)),
        i().prop_map(Step::Custom),
    ]
}

/// Runs the program on fresh leaves; returns (output, leaves, smallest distance of a kink op's input
/// to its kink).
fn run(leaves: &[f64], prog: &[Step]) -> (Value, Vec<Value>, f64) {
    let xs: Vec<Value> = leaves.iter().map(|&x| Value::new(x)).collect();
    let mut pool = xs.clone();
    let mut kink = f64::INFINITY;
    for s in prog {
        let n = pool.len();
        let p = |i: usize| pool[i % n];
        let v = match s {
            Step::Add(a, b) => p(*a) + p(*b),
            Step::Sub(a, b) => p(*a) - p(*b),
            Step::Mul(a, b) => p(*a) * p(*b),
            Step::Div(a, b) => p(*a) / (p(*b).pow(2) + 1.0),
            Step::Tanh(a) => p(*a).tanh(),
            Step::Sigmoid(a) => p(*a).sigmoid(),
            Step::Exp(a) => p(*a).tanh().exp(),
            Step::Log(a) => (p(*a) * p(*a) + 0.5).log(),
            Step::Sqrt(a) => (p(*a).pow(2.0) + 0.25).sqrt(),
            Step::Relu(a) => {
                kink = kink.min(p(*a).data().abs());
                p(*a).relu()
            }
            Step::Abs(a) => {
                kink = kink.min(p(*a).data().abs());
                p(*a).abs()
            }
            Step::Max(a, b) => {
                kink = kink.min((p(*a).data() - p(*b).data()).abs());
                p(*a).max(p(*b))
            }
            Step::Min(a, b) => {
                kink = kink.min((p(*a).data() - p(*b).data()).abs());
                p(*a).min(p(*b))
            }
            Step::PowConst(a, k) => p(*a).pow(*k),
            Step::PowValue(a, b) => (p(*a).pow(2) + 0.5).pow(p(*b).tanh()),
            Step::AddConst(a, c) => p(*a) + *c,
            Step::MulConst(a, c) => *c * p(*a),
            Step::ConstDiv(a) => 1.0 / (p(*a).abs() + 1.0),
            Step::Neg(a) => -p(*a),
            Step::Sum(items) => Value::sum(items.iter().map(|&i| p(i))),
            Step::Dot(pairs) => {
                let (w, x): (Vec<Value>, Vec<Value>) =
                    pairs.iter().map(|&(a, b)| (p(a), p(b))).unzip();
                Value::dot(&w, &x)
            }
            Step::Affine(b, pairs) => {
                let (w, x): (Vec<Value>, Vec<Value>) =
                    pairs.iter().map(|&(a, b)| (p(a), p(b))).unzip();
                Value::affine(p(*b), &w, &x)
            }
            Step::Custom(a) => p(*a).custom(f64::sin, f64::cos),
        };
        // keep magnitudes moderate so that finite differences stay meaningful
        let v = if v.data().abs() > 10.0 {
            (v * 0.1).tanh() * 10.0
        } else {
            v
        };
        pool.push(v);
    }
    // the output mixes the last few values so that most of the program matters
    let tail: Vec<Value> = pool.iter().rev().take(4).copied().collect();
    let out = Value::sum(tail.iter().enumerate().map(|(i, &v)| v * (1.0 + i as f64)));
    (out, xs, kink)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn backward_matches_central_differences(
        leaves in prop::collection::vec(-2.0f64..2.0, 1..6),
        prog in prop::collection::vec(step(), 1..25),
    ) {
        let mark = Tape::mark();
        let (out, xs, kink) = run(&leaves, &prog);
        // a kink closer than the finite-difference step makes the difference quotient meaningless
        prop_assume!(kink > 1e-3);
        prop_assume!(out.data().is_finite());
        out.backward();
        let grads: Vec<f64> = xs.iter().map(|x| x.grad()).collect();
        Tape::rewind(mark);
        let h = 1e-6;
        for (i, &g) in grads.iter().enumerate() {
            let mut up = leaves.clone();
            up[i] += h;
            let mut down = leaves.clone();
            down[i] -= h;
            let f_up = run(&up, &prog).0.data();
            Tape::rewind(mark);
            let f_down = run(&down, &prog).0.data();
            Tape::rewind(mark);
            let fd = (f_up - f_down) / (2.0 * h);
            let tol = 1e-5 * (1.0 + g.abs().max(fd.abs()));
            prop_assert!((g - fd).abs() <= tol, "leaf {i}: backward {g}, finite difference {fd}");
        }
        // the program leaves nothing behind
        prop_assert_eq!(Tape::len(), mark.len());
    }
}
