//! The functional API (`value_and_grad`, `grad`, `value_and_grad_into`) and the compiled replay
//! (`Graph`): against hand-derived gradients, finite differences, and eager runs bit for bit.

use micrograd::{grad, value_and_grad, value_and_grad_into, Graph, GraphError, Op, Tape, Value};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};

/// The extended Rosenbrock function: Σ over pairs 100(x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)².
fn rosenbrock(x: &[Value]) -> Value {
    Value::sum(x.chunks_exact(2).map(|p| {
        let t = p[1] - p[0] * p[0];
        let u = 1.0 - p[0];
        100.0 * t * t + u * u
    }))
}

/// Its gradient, by hand: ∂/∂x₂ᵢ = −400·t·x₂ᵢ − 2u, ∂/∂x₂ᵢ₊₁ = 200·t.
fn rosenbrock_grad(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for (p, gp) in x.chunks_exact(2).zip(g.chunks_exact_mut(2)) {
        let t = p[1] - p[0] * p[0];
        gp[0] = -400.0 * t * p[0] - 2.0 * (1.0 - p[0]);
        gp[1] = 200.0 * t;
    }
    g
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn value_and_grad_matches_hand_derived_gradients() {
    // f(x, y) = x²y + sin-free mix: x·y + exp(y) − ln x; ∇f = (2xy + y − 1/x, x² + x + eʸ)
    let f = |v: &[Value]| v[0] * v[0] * v[1] + v[0] * v[1] + v[1].exp() - v[0].log();
    let (x, y) = (1.5f64, -0.5f64);
    let (val, g) = value_and_grad(f, &[x, y]);
    assert!(close(val, x * x * y + x * y + y.exp() - x.ln(), 1e-15));
    assert!(close(g[0], 2.0 * x * y + y - 1.0 / x, 1e-15));
    assert!(close(g[1], x * x + x + y.exp(), 1e-15));
    assert_eq!(grad(f, &[x, y]), g);

    let x = [-1.2, 1.0, 0.3, -0.7, 2.0, 4.1];
    let (v, g) = value_and_grad(rosenbrock, &x);
    // pairs: (19.36 + 4.84) + (62.41 + 0.49) + (1 + 1)
    assert!(close(v, 89.1, 1e-14), "{v}");
    for (a, b) in g.iter().zip(rosenbrock_grad(&x)) {
        assert!(close(*a, b, 1e-14), "{a} vs {b}");
    }
}

#[test]
fn value_and_grad_matches_finite_differences() {
    let f = |v: &[Value]| {
        let s = Value::dot(&v[..2], &v[2..]);
        (s.tanh() * v[0].sigmoid() + v[1].abs().sqrt()).pow(1.5) / (v[2] * v[2] + 1.0)
    };
    let x = [0.4, -0.9, 1.3, 0.2];
    let (v, g) = value_and_grad(f, &x);
    let h = 1e-6;
    let eval = |x: &[f64]| value_and_grad(f, x).0;
    assert_eq!(eval(&x), v);
    for i in 0..x.len() {
        let (mut up, mut down) = (x, x);
        up[i] += h;
        down[i] -= h;
        let fd = (eval(&up) - eval(&down)) / (2.0 * h);
        assert!(close(g[i], fd, 1e-7), "d/dx{i}: {} vs {fd}", g[i]);
    }
}

#[test]
fn the_tape_stays_flat_over_1000_calls() {
    let w = Value::new(0.5); // something below, which must survive
    let (len, mut g) = (Tape::len(), vec![0.0; 6]);
    let x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    value_and_grad_into(rosenbrock, &x, &mut g);
    let bytes = Tape::allocated_bytes();
    for k in 0..1000 {
        let mut xk = x;
        xk[0] += k as f64 * 1e-3;
        value_and_grad_into(rosenbrock, &xk, &mut g);
        assert_eq!(Tape::len(), len);
    }
    assert_eq!(Tape::allocated_bytes(), bytes);
    let last = [0.1 + 999.0 * 1e-3, 0.2, 0.3, 0.4, 0.5, 0.6];
    for (a, b) in g.iter().zip(rosenbrock_grad(&last)) {
        assert!(close(*a, b, 1e-14), "{a} vs {b}");
    }
    assert_eq!(w.data(), 0.5);
}

#[test]
fn nested_calls_work() {
    // d/dx [x · (d/dy y²x at y = x)] = d/dx [x · 2x·x] with the inner derivative taken as a number
    let outer = |v: &[Value]| {
        let inner = grad(|u| u[0] * u[0] * 3.0, &[v[0].data()])[0]; // 6x, a constant here
        v[0] * inner
    };
    let (v, g) = value_and_grad(outer, &[2.0]);
    assert_eq!((v, g), (24.0, vec![12.0]));
}

#[test]
fn the_replay_matches_the_hand_gradient_and_the_eager_run() {
    let n = 50;
    let mut graph = Graph::trace(n, rosenbrock).unwrap();
    assert_eq!(graph.n_inputs(), n);
    let mut g = vec![0.0; n];
    for k in 0..5 {
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7 + k * 3) % 11) as f64 / 5.0 - 1.0)
            .collect();
        let v = graph.value_and_grad(&x, &mut g).unwrap();
        let (ve, ge) = value_and_grad(rosenbrock, &x);
        assert_eq!(v.to_bits(), ve.to_bits());
        assert_eq!(g, ge);
        for (a, b) in g.iter().zip(rosenbrock_grad(&x)) {
            assert!(close(*a, b, 1e-13));
        }
        assert_eq!(graph.value(&x).unwrap().to_bits(), v.to_bits());
        assert!(graph.check(&x).unwrap().agrees());
    }
}

#[test]
fn the_ops_own_branches_are_re_evaluated() {
    let f = |v: &[Value]| v[0].relu() + v[1].abs() + v[0].max(v[1]) + v[0].min(v[1]) * 2.0;
    let mut graph = Graph::trace_at(&[1.0, 2.0], f).unwrap();
    let mut g = [0.0; 2];
    for x in [[1.0, 2.0], [-1.0, -2.0], [3.0, -4.0], [-0.5, 0.5]] {
        let v = graph.value_and_grad(&x, &mut g).unwrap();
        let (ve, ge) = value_and_grad(f, &x);
        assert_eq!((v, g.to_vec()), (ve, ge));
    }
    // at (3, -4): relu' = 1, |y|' = -1, max → x, min → y (×2)
    graph.value_and_grad(&[3.0, -4.0], &mut g).unwrap();
    assert_eq!(g, [2.0, 1.0]);
}

#[test]
fn check_sees_frozen_control_flow() {
    let f = |v: &[Value]| {
        if v[0].data() > 0.0 {
            v[0] * 2.0
        } else {
            v[0] * 3.0
        }
    };
    let mut graph = Graph::trace_at(&[1.0], f).unwrap();
    let here = graph.check(&[5.0]).unwrap();
    assert!(here.agrees());
    assert_eq!(here.max_difference(), 0.0);
    let there = graph.check(&[-1.0]).unwrap();
    assert!(!there.agrees() && !there.same_graph);
    assert_eq!(there.replay, (-2.0, vec![2.0])); // the traced path, frozen
    assert_eq!(there.eager, (-3.0, vec![3.0]));
    assert_eq!(there.max_difference(), 1.0);
}

#[test]
fn bad_inputs_are_errors_not_numbers() {
    let mut graph = Graph::trace(2, |v| v[0] * v[1]).unwrap();
    let mut g = [7.0; 2];
    let wrong = graph.value_and_grad(&[1.0], &mut g).unwrap_err();
    assert_eq!(
        wrong,
        GraphError::WrongLength {
            what: "inputs",
            expected: 2,
            got: 1
        }
    );
    assert!(wrong.to_string().contains("takes 2 inputs"), "{wrong}");
    let mut short = [0.0; 3];
    assert!(matches!(
        graph.value_and_grad(&[1.0, 2.0], &mut short),
        Err(GraphError::WrongLength {
            what: "gradient",
            got: 3,
            ..
        })
    ));
    let nan = graph.value_and_grad(&[1.0, f64::NAN], &mut g).unwrap_err();
    assert_eq!(nan, GraphError::NanInput { index: 1 });
    assert!(nan.to_string().contains("input 1") && nan.to_string().contains("NaN"));
    assert_eq!(
        graph.value(&[f64::NAN, 0.0]),
        Err(GraphError::NanInput { index: 0 })
    );
    assert_eq!(g, [7.0; 2]); // untouched
                             // and it still works
    assert_eq!(graph.value_and_grad(&[3.0, 4.0], &mut g), Ok(12.0));
    assert_eq!(g, [4.0, 3.0]);
}

#[test]
fn a_panicking_trace_is_an_error_and_leaves_the_tape_usable() {
    std::panic::set_hook(Box::new(|_| {}));
    let before = Tape::len();
    let w = Value::new(2.0);
    let err = Graph::trace(3, |v: &[Value]| {
        let s = v[0] + v[1];
        if s.data() == 0.0 {
            panic!("division by the sum");
        }
        s
    })
    .unwrap_err();
    assert_eq!(err, GraphError::Panicked("division by the sum".into()));
    assert!(err.to_string().contains("panicked: division by the sum"));
    assert_eq!(Tape::len(), before + 1);
    let y = w * 3.0;
    y.backward();
    assert_eq!((y.data(), w.grad()), (6.0, 3.0));
    // a stale handle inside the trace: the engine's own panic, reported the same way
    let err = Graph::trace(1, |v: &[Value]| {
        let m = Tape::mark();
        let z = v[0] * 2.0;
        Tape::rewind(m);
        z + 1.0
    })
    .unwrap_err();
    assert!(
        matches!(err, GraphError::Panicked(ref m) if m.contains("rewound")),
        "{err}"
    );
    assert_eq!(Tape::len(), before + 2);
}

#[test]
fn captured_values_and_custom_ops_are_refused() {
    let w = Value::new(2.0);
    let err = Graph::trace(1, |v: &[Value]| v[0] * w).unwrap_err();
    assert_eq!(err, GraphError::Captured { node: w.id() });
    assert!(err.to_string().contains("pass it as an input"));
    // a function that clears the tape and builds its output from new leaves
    let err = Graph::trace(2, |_: &[Value]| {
        Tape::clear();
        Value::new(1.0) + Value::new(2.0)
    })
    .unwrap_err();
    assert_eq!(err, GraphError::Rewound);
    let err = Graph::trace(1, |v: &[Value]| v[0].custom(f64::sin, f64::cos)).unwrap_err();
    assert_eq!(err, GraphError::Custom);
    // the output itself an input, and an input that is not used
    let mut g = Graph::trace(3, |v: &[Value]| v[1]).unwrap();
    let mut grad = [9.0; 3];
    assert_eq!(g.value_and_grad(&[1.0, 2.0, 3.0], &mut grad), Ok(2.0));
    assert_eq!(grad, [0.0, 1.0, 0.0]);
}

// ----------------------------------------------------------------------------------------------------
// Random graphs over every op: the replay at new points equals the eager run bit for bit.
// ----------------------------------------------------------------------------------------------------

/// The random draws the generator needs, over `rand`'s seeded generator.
struct Rng(StdRng);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }
    /// A number in [-2, 2], in steps of 1/500.
    fn f(&mut self) -> f64 {
        (self.below(2001) as f64 - 1000.0) / 500.0
    }
}

/// One step of a random program: an op and the (relative) positions of its operands.
#[derive(Clone, Copy)]
struct Step {
    op: usize,
    a: usize,
    b: usize,
    c: f64,
    len: usize,
}

const N_STEP_KINDS: usize = 26;

/// Runs a program on the inputs: every step appends one value computed from earlier ones.
fn run(program: &[Step], x: &[Value]) -> Value {
    let mut vals: Vec<Value> = x.to_vec();
    for s in program {
        let n = vals.len();
        let (a, b) = (vals[n - 1 - s.a % n], vals[n - 1 - s.b % n]);
        let len = s.len.min(n / 2).max(1);
        let y = match s.op {
            0 => -a,
            1 => a.relu(),
            2 => a.tanh(),
            3 => a.exp().min(1e3),
            4 => a.abs().log(),
            5 => a.sigmoid(),
            6 => a.abs().sqrt(),
            7 => a.abs(),
            8 => a + s.c,
            9 => s.c - a,
            10 => a * s.c,
            11 => a / s.c,
            12 => s.c / a,
            13 => a.pow(s.c.round()),
            14 => a + b,
            15 => a * b,
            16 => a - b,
            17 => a / b,
            18 => a.abs().pow(b.tanh()),
            19 => a.max(b),
            20 => a.min(b),
            21 => Value::sum(vals[n - len..].iter().copied()),
            // a dot product of two runs of consecutive nodes (recorded as ranges) and of pairs
            22 => Value::dot(&vals[n - 2 * len..n - len], &vals[n - len..]),
            23 => Value::dot(&[a, b], &[b, a]),
            24 => Value::affine(a, &vals[n - len..], &vals[n - 2 * len..n - len]),
            _ => {
                let mut out = Vec::new();
                Value::matvec(&vals[n - 2 * len..], &vals[n - len..], &mut out);
                Value::sum(out)
            }
        };
        // keep values in a moderate range, so that later steps stay finite mostly
        vals.push(y.tanh() * 2.0 + a * 0.25);
    }
    vals[vals.len() - 1]
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn the_replay_equals_the_eager_run_bit_for_bit_on_random_graphs() {
    let mut rng = Rng(StdRng::seed_from_u64(16));
    let mut seen = [false; N_STEP_KINDS];
    let mut ops_seen = std::collections::HashSet::new();
    // (fewer under Miri, which runs this to check the sweep's unchecked reads on replayed graphs)
    let graphs = if cfg!(miri) { 8 } else { 300 };
    for _ in 0..graphs {
        let n_in = 2 + rng.below(5);
        let program: Vec<Step> = (0..1 + rng.below(30))
            .map(|_| Step {
                op: rng.below(N_STEP_KINDS),
                a: rng.below(8),
                b: rng.below(8),
                c: rng.f() + 0.01,
                len: 1 + rng.below(4),
            })
            .collect();
        for s in &program {
            seen[s.op] = true;
        }
        let x0: Vec<f64> = (0..n_in).map(|_| rng.f()).collect();
        let f = |x: &[Value]| run(&program, x);
        let mut graph = Graph::trace_at(&x0, f).unwrap();
        let mut g = vec![0.0; n_in];
        for _ in 0..4 {
            let x: Vec<f64> = (0..n_in).map(|_| rng.f()).collect();
            let v = graph.value_and_grad(&x, &mut g).unwrap();
            let (ve, ge) = value_and_grad(f, &x);
            assert!(same(v, ve), "value {v} vs eager {ve}");
            for (a, b) in g.iter().zip(&ge) {
                assert!(same(*a, *b), "gradient {g:?} vs eager {ge:?}");
            }
            assert!(graph.check(&x).unwrap().agrees());
        }
        // which ops the graph holds, from an eager run
        let m = Tape::mark();
        let xs: Vec<Value> = x0.iter().map(|&v| Value::new(v)).collect();
        let mut stack = vec![f(&xs)];
        while let Some(v) = stack.pop() {
            if ops_seen.insert((v.op(), v.id())) {
                stack.extend(v.inputs());
            }
        }
        Tape::rewind(m);
    }
    if cfg!(miri) {
        return;
    }
    assert!(seen.iter().all(|&s| s), "some step kinds never drawn");
    let ops: std::collections::HashSet<Op> = ops_seen.iter().map(|&(op, _)| op).collect();
    for op in [
        Op::Neg,
        Op::Relu,
        Op::Tanh,
        Op::Exp,
        Op::Log,
        Op::Sigmoid,
        Op::Sqrt,
        Op::Abs,
        Op::AddConst,
        Op::ConstSub,
        Op::MulConst,
        Op::DivConst,
        Op::ConstDiv,
        Op::PowConst,
        Op::Add,
        Op::Mul,
        Op::Sub,
        Op::Div,
        Op::Pow,
        Op::Max,
        Op::Min,
        Op::Sum,
        Op::Dot,
        Op::Affine,
    ] {
        assert!(ops.contains(&op), "{op:?} never replayed");
    }
}

#[test]
fn a_graph_of_a_send_function_can_be_sent_to_another_thread() {
    fn send<T: Send>(t: T) -> T {
        t
    }
    let graph = send(Graph::trace(2, |v: &[Value]| v[0] * v[1] - v[0]).unwrap());
    let (v, g) = std::thread::spawn(move || {
        let mut graph = graph;
        let mut g = [0.0; 2];
        (graph.value_and_grad(&[3.0, 5.0], &mut g).unwrap(), g)
    })
    .join()
    .unwrap();
    assert_eq!((v, g), (12.0, [4.0, 3.0]));
}

#[test]
fn layers_of_dot_products_replay_with_the_eager_numbers() {
    // Dot products over the same inputs (a layer's neurons), which the replay computes four at a
    // time: with activations between them, ten rows (two groups and two left over, whose biases
    // are computed between the rows), a matvec, and rows that depend on the row before (which
    // cannot join its group).
    let f = |v: &[Value]| {
        let (x, w) = v.split_at(9);
        let mut rows: Vec<Value> = w
            .chunks_exact(9)
            .take(10)
            .enumerate()
            .map(|(k, wk)| {
                // (a bias computed between the rows keeps the last two out of a group)
                let bias = if k < 8 { wk[0] } else { wk[0] * 0.5 };
                Value::affine(bias, wk, x).tanh() * (k as f64 + 1.0)
            })
            .collect();
        let mut out = Vec::new();
        Value::matvec(&w[..9 * 6], x, &mut out);
        rows.extend(out);
        let mut chained = rows[3];
        for wk in w.chunks_exact(9).skip(10) {
            let mut xs = x.to_vec();
            xs[8] = chained; // depends on the row before
            chained = Value::affine(rows[0], wk, &xs).relu();
        }
        rows.push(chained);
        Value::sum(rows.iter().map(|r| *r * *r))
    };
    let n = 9 + 9 * 14;
    let mut rng = Rng(StdRng::seed_from_u64(7));
    let x0: Vec<f64> = (0..n).map(|_| rng.f()).collect();
    let mut graph = Graph::trace_at(&x0, f).unwrap();
    let mut g = vec![0.0; n];
    for _ in 0..3 {
        let x: Vec<f64> = (0..n).map(|_| rng.f() * 0.5).collect();
        let v = graph.value_and_grad(&x, &mut g).unwrap();
        let (ve, ge) = value_and_grad(f, &x);
        assert!(same(v, ve), "value {v} vs eager {ve}");
        assert!(g.iter().zip(&ge).all(|(a, b)| same(*a, *b)));
        assert!(graph.check(&x).unwrap().agrees());
        assert!(v > 0.0 && g.iter().any(|&d| d != 0.0));
    }
}
