//! Engine tests: micrograd's own tests, finite-difference checks of every op, graph semantics, the tape.
#![allow(clippy::misrefactored_assign_op, clippy::type_complexity)]

use micrograd::{Op, Tape, Value};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

// ------------------------------------------------------------------ micrograd's test_engine.py

#[test]
fn micrograd_sanity_check() {
    let x = Value::new(-4.0);
    let z = 2.0 * x + 2.0 + x;
    let q = z.relu() + z * x;
    let h = (z * z).relu();
    let y = h + q + q * x;
    y.backward();
    // PyTorch: y = -20.0, dy/dx = 46.0
    assert_eq!(y.data(), -20.0);
    assert_eq!(x.grad(), 46.0);
}

#[test]
fn micrograd_more_ops() {
    let a = Value::new(-4.0);
    let b = Value::new(2.0);
    let mut c = a + b;
    let mut d = a * b + b.pow(3);
    c += c + 1.0;
    c += 1.0 + c + (-a);
    d += d * 2.0 + (b + a).relu();
    d += 3.0 * d + (b - a).relu();
    let e = c - d;
    let f = e.pow(2);
    let mut g = f / 2.0;
    g += 10.0 / f;
    g.backward();
    // PyTorch reference values, from micrograd's tests
    let tol = 1e-9;
    assert!(close(g.data(), 24.70408163265306, tol), "{}", g.data());
    assert!(close(a.grad(), 138.83381924198252, tol), "{}", a.grad());
    assert!(close(b.grad(), 645.5772594752187, tol), "{}", b.grad());
}

// ------------------------------------------------------------------ finite differences, op by op

/// Central difference of `f` at `x`.
fn central(f: &dyn Fn(Value) -> Value, x: f64, h: f64) -> f64 {
    let m = Tape::mark();
    let up = f(Value::new(x + h)).data();
    let down = f(Value::new(x - h)).data();
    Tape::rewind(m);
    (up - down) / (2.0 * h)
}

/// One-sided differences (left, right) of `f` at `x`.
fn one_sided(f: &dyn Fn(Value) -> Value, x: f64, h: f64) -> (f64, f64) {
    let m = Tape::mark();
    let mid = f(Value::new(x)).data();
    let up = f(Value::new(x + h)).data();
    let down = f(Value::new(x - h)).data();
    Tape::rewind(m);
    ((mid - down) / h, (up - mid) / h)
}

fn grad_at(f: &dyn Fn(Value) -> Value, x: f64) -> (f64, f64) {
    let m = Tape::mark();
    let v = Value::new(x);
    let y = f(v);
    y.backward();
    let r = (y.data(), v.grad());
    Tape::rewind(m);
    r
}

fn assert_fd(name: &str, f: &dyn Fn(Value) -> Value, x: f64) {
    let (_, g) = grad_at(f, x);
    let h = if x == 0.0 { 1e-6 } else { 1e-6 * x.abs() };
    let fd = central(f, x, h);
    assert!(
        close(g, fd, 1e-6),
        "{name} at {x}: backward {g}, finite difference {fd}"
    );
}

type UnaryCase = (&'static str, fn(Value) -> Value, &'static [f64]);

const UNARY: &[UnaryCase] = &[
    ("neg", |x| -x, &[-3.0, 0.0, 2.5]),
    ("x + c", |x| x + 2.5, &[-3.0, 0.0, 1e10]),
    ("c + x", |x| 2.5 + x, &[-3.0, 0.5]),
    ("x - c", |x| x - 2.5, &[-3.0, 0.5]),
    ("c - x", |x| 2.5 - x, &[-3.0, 0.5]),
    ("x * c", |x| x * -1.5, &[-3.0, 0.0, 7.0]),
    ("c * x", |x| -1.5 * x, &[-3.0, 7.0]),
    ("x / c", |x| x / 3.0, &[-3.0, 0.0, 7.0]),
    ("c / x", |x| 3.0 / x, &[-3.0, 0.1, 7.0]),
    ("x^2", |x| x.pow(2), &[-3.0, 0.0, 1.5]),
    ("x^3 (negative base)", |x| x.pow(3.0), &[-2.0, -0.5, 0.7]),
    ("x^-1", |x| x.pow(-1.0), &[-2.0, 0.5]),
    ("x^0.5", |x| x.pow(0.5), &[0.3, 4.0]),
    ("exp", |x| x.exp(), &[-700.0, -3.0, 0.0, 2.0, 700.0]),
    ("log", |x| x.log(), &[1e-3, 0.5, 1.0, 1e6]),
    ("tanh", |x| x.tanh(), &[-5.0, -0.3, 0.0, 0.7, 18.0]),
    ("sigmoid", |x| x.sigmoid(), &[-40.0, -2.0, 0.0, 3.0, 40.0]),
    ("relu", |x| x.relu(), &[-2.0, 3.0]),
    ("sqrt", |x| x.sqrt(), &[1e-4, 2.0, 1e8]),
    ("abs", |x| x.abs(), &[-2.0, 3.0]),
    ("max(x, 1)", |x| x.max(1.0), &[-2.0, 3.0]),
    ("min(x, 1)", |x| x.min(1.0), &[-2.0, 3.0]),
    (
        "custom sin",
        |x| x.custom(f64::sin, f64::cos),
        &[-2.0, 0.0, 1.0],
    ),
    ("x * x (same value twice)", |x| x * x, &[-2.0, 3.0]),
    ("x / x", |x| x / (x + 1.0), &[-2.0, 3.0]),
    ("sum", |x| Value::sum([x, x * 2.0, x.pow(2)]), &[-2.0, 3.0]),
    (
        "dot",
        |x| Value::dot(&[x, x.tanh()], &[x.exp(), x]),
        &[-1.0, 0.5],
    ),
    (
        "affine",
        |x| Value::affine(x * x, &[x, Value::new(2.0)], &[x.sin_c(), x]),
        &[-1.0, 0.5],
    ),
    (
        "product",
        |x| [x, x + 1.0, x * 3.0].into_iter().product(),
        &[-1.0, 0.5],
    ),
];

/// A test-only helper: sin as a custom op.
trait SinC {
    fn sin_c(self) -> Value;
}
impl SinC for Value {
    fn sin_c(self) -> Value {
        self.custom(f64::sin, f64::cos)
    }
}

#[test]
fn every_unary_op_matches_finite_differences() {
    for &(name, f, points) in UNARY {
        for &x in points {
            assert_fd(name, &f, x);
        }
    }
}

type BinaryCase = (
    &'static str,
    fn(Value, Value) -> Value,
    &'static [(f64, f64)],
);

const BINARY: &[BinaryCase] = &[
    ("a + b", |a, b| a + b, &[(1.0, 2.0), (-3.0, 0.5)]),
    ("a - b", |a, b| a - b, &[(1.0, 2.0), (-3.0, 0.5)]),
    (
        "a * b",
        |a, b| a * b,
        &[(1.0, 2.0), (-3.0, 0.5), (0.0, 4.0)],
    ),
    (
        "a / b",
        |a, b| a / b,
        &[(1.0, 2.0), (-3.0, 0.5), (0.0, -4.0)],
    ),
    (
        "a^b",
        |a, b| a.pow(b),
        &[(2.0, 3.0), (0.5, -1.5), (3.0, 0.0)],
    ),
    ("max", |a, b| a.max(b), &[(1.0, 2.0), (3.0, -1.0)]),
    ("min", |a, b| a.min(b), &[(1.0, 2.0), (3.0, -1.0)]),
];

#[test]
fn every_binary_op_matches_finite_differences() {
    for &(name, f, points) in BINARY {
        for &(a0, b0) in points {
            let m = Tape::mark();
            let (a, b) = (Value::new(a0), Value::new(b0));
            f(a, b).backward();
            let (ga, gb) = (a.grad(), b.grad());
            let fa = move |x: Value| f(x, Value::new(b0));
            let fb = move |x: Value| f(Value::new(a0), x);
            let (fda, fdb) = (central(&fa, a0, 1e-6), central(&fb, b0, 1e-6));
            assert!(
                close(ga, fda, 1e-6),
                "{name} d/da at ({a0}, {b0}): {ga} vs {fda}"
            );
            assert!(
                close(gb, fdb, 1e-6),
                "{name} d/db at ({a0}, {b0}): {gb} vs {fdb}"
            );
            Tape::rewind(m);
        }
    }
}

#[test]
fn kinks_take_a_one_sided_derivative_between_the_two_sides() {
    // relu, abs, max, min at their kink: the chosen derivative lies between the left and right ones
    let kinks: &[(&str, fn(Value) -> Value, f64, f64)] = &[
        ("relu at 0", |x| x.relu(), 0.0, 0.0),
        ("abs at 0", |x| x.abs(), 0.0, 0.0),
        ("max(x, 1) at 1", |x| x.max(1.0), 1.0, 1.0),
        ("min(x, 1) at 1", |x| x.min(1.0), 1.0, 1.0),
    ];
    for &(name, f, x, expected) in kinks {
        let (_, g) = grad_at(&f, x);
        let (left, right) = one_sided(&f, x, 1e-6);
        assert_eq!(g, expected, "{name}");
        assert!(
            g >= left.min(right) - 1e-9 && g <= left.max(right) + 1e-9,
            "{name}: {g} not in [{left}, {right}]"
        );
    }
}

#[test]
fn edge_points() {
    // sqrt at 0: value 0, derivative +inf (the right difference grows without bound)
    let (y, g) = grad_at(&|x: Value| x.sqrt(), 0.0);
    assert_eq!((y, g), (0.0, f64::INFINITY));
    // tanh and sigmoid never overflow
    for &x in &[1e300, -1e300, 1e10, -745.0, 710.0] {
        let (y, g) = grad_at(&|v: Value| v.tanh(), x);
        assert!(
            y.is_finite() && g.is_finite() && y.abs() <= 1.0,
            "tanh({x}) = {y}, {g}"
        );
        assert_eq!(g, 0.0);
        let (y, g) = grad_at(&|v: Value| v.sigmoid(), x);
        assert!(
            y.is_finite() && g.is_finite() && (0.0..=1.0).contains(&y),
            "sigmoid({x}) = {y}, {g}"
        );
    }
    // exp overflows to inf, honestly
    assert_eq!(
        grad_at(&|v: Value| v.exp(), 710.0),
        (f64::INFINITY, f64::INFINITY)
    );
    // pow at 0
    assert_eq!(grad_at(&|v: Value| v.pow(2), 0.0), (0.0, 0.0));
    assert_eq!(grad_at(&|v: Value| v.pow(1), 0.0), (0.0, 1.0));
    assert_eq!(grad_at(&|v: Value| v.pow(0), 0.0), (1.0, 0.0));
    // negative base with an integer exponent: value and d/da are fine; fractional exponent: NaN
    assert_eq!(grad_at(&|v: Value| v.pow(3), -2.0), (-8.0, 12.0));
    assert!(grad_at(&|v: Value| v.pow(0.5), -2.0).0.is_nan());
    // Value exponent with a negative base: d/da defined, d/db NaN
    let (a, b) = (Value::new(-2.0), Value::new(3.0));
    let y = a.pow(b);
    y.backward();
    assert_eq!((y.data(), a.grad()), (-8.0, 12.0));
    assert!(b.grad().is_nan());
    // zero base, positive exponent: d/db = 0
    let (a, b) = (Value::new(0.0), Value::new(2.0));
    a.pow(b).backward();
    assert_eq!((a.grad(), b.grad()), (0.0, 0.0));
    // log at 0
    assert_eq!(
        grad_at(&|v: Value| v.log(), 0.0),
        (f64::NEG_INFINITY, f64::INFINITY)
    );
}

// ------------------------------------------------------------------ graph semantics

#[test]
fn diamond_gets_the_sum_over_both_paths() {
    //      a
    //    /   \
    //  b=2a  c=a²
    //    \   /
    //    d=b·c = 2a³
    let a = Value::new(1.5);
    let b = a * 2.0;
    let c = a.pow(2);
    let d = b * c;
    d.backward();
    assert_eq!(d.data(), 2.0 * 1.5f64.powi(3));
    assert_eq!(a.grad(), 6.0 * 1.5 * 1.5); // 6a²
                                           // intermediate grads are readable
    assert_eq!(b.grad(), c.data());
    assert_eq!(c.grad(), b.data());
    assert_eq!(d.grad(), 1.0);
}

#[test]
fn gradients_accumulate_across_backward_calls_until_zeroed() {
    let a = Value::new(3.0);
    let b = (a * 2.0).tanh();
    let y = b * a;
    y.backward();
    let (ga, gb) = (a.grad(), b.grad());
    let t = 6f64.tanh();
    assert!(close(ga, t + 3.0 * 2.0 * (1.0 - t * t), 1e-14));
    y.backward();
    assert_eq!(a.grad(), 2.0 * ga);
    assert_eq!(b.grad(), 2.0 * gb);
    assert_eq!(y.grad(), 2.0);
    // a third pass from an intermediate node adds only d b / d node
    b.backward();
    assert!(close(a.grad(), 2.0 * ga + 2.0 * (1.0 - t * t), 1e-14));
    Tape::zero_grad();
    assert_eq!((a.grad(), b.grad(), y.grad()), (0.0, 0.0, 0.0));
    y.backward();
    assert_eq!(a.grad(), ga);
}

#[test]
fn backward_only_touches_what_the_root_depends_on() {
    let x = Value::new(2.0);
    let y1 = x * 3.0;
    let y2 = x.pow(2) + y1; // depends on y1
    let y3 = x * 10.0; // independent of y2
    y2.backward();
    assert_eq!(x.grad(), 4.0 + 3.0);
    assert_eq!(y3.grad(), 0.0);
    // interleaved graphs: a later backward from y1 must not re-send y2's gradients
    y1.backward();
    assert_eq!(x.grad(), 7.0 + 3.0);
    assert_eq!(y1.grad(), 2.0);
}

#[test]
fn operators_with_f64_on_either_side() {
    let a = Value::new(6.0);
    assert_eq!((a + 1.0).data(), 7.0);
    assert_eq!((1.0 + a).data(), 7.0);
    assert_eq!((a - 1.0).data(), 5.0);
    assert_eq!((1.0 - a).data(), -5.0);
    assert_eq!((a * 2.0).data(), 12.0);
    assert_eq!((2.0 * a).data(), 12.0);
    assert_eq!((a / 3.0).data(), 2.0);
    assert_eq!((3.0 / a).data(), 0.5);
    assert_eq!((-a).data(), -6.0);
    let mut b = a;
    b += a;
    b -= 2.0;
    b *= a;
    b /= Value::new(5.0);
    b += 1.0;
    b *= 2.0;
    b /= 2.0;
    b -= a;
    assert_eq!(b.data(), (6.0 + 6.0 - 2.0) * 6.0 / 5.0 + 1.0 - 6.0);
    let xs = [Value::new(2.0), Value::new(3.0), Value::new(4.0)];
    let s: Value = xs.iter().sum();
    let p: Value = xs.iter().product();
    assert_eq!((s.data(), p.data()), (9.0, 24.0));
    assert_eq!(s.op(), Op::Sum);
    p.backward();
    assert_eq!(xs.map(|x| x.grad()), [12.0, 8.0, 6.0]);
}

#[test]
fn nodes_keep_op_inputs_and_label() {
    let a = Value::new(2.0).with_label("a");
    let b = Value::new(-3.0).with_label("b");
    let c = (a * b).with_label("c");
    let d = c.tanh();
    assert_eq!(c.op(), Op::Mul);
    assert_eq!(c.inputs(), vec![a, b]);
    assert_eq!(d.op(), Op::Tanh);
    assert_eq!(d.op().symbol(), "tanh");
    assert_eq!(d.inputs(), vec![c]);
    assert_eq!(a.op(), Op::Leaf);
    assert!(a.inputs().is_empty());
    assert_eq!(c.label().as_deref(), Some("c"));
    assert_eq!(d.label(), None);
    assert_eq!((a + 1.5).constant(), Some(1.5));
    let s = Value::affine(a, &[b], &[c]);
    assert_eq!(s.inputs(), vec![a, b, c]);
}

#[test]
fn display_like_micrograd() {
    let a = Value::new(2.0);
    assert_eq!(a.to_string(), "Value(data=2.0000, grad=0.0000)");
    let b = a * -1.5;
    b.backward();
    assert_eq!(format!("{a:.2}"), "Value(data=2.00, grad=-1.50)");
}

#[test]
fn deterministic_bit_for_bit() {
    fn run() -> Vec<u64> {
        let m = Tape::mark();
        let xs: Vec<Value> = (0..50)
            .map(|i| Value::new((i as f64 * 0.37).sin()))
            .collect();
        let mut acc = Value::new(0.1);
        for (i, &x) in xs.iter().enumerate() {
            acc = match i % 5 {
                0 => (acc * x).tanh(),
                1 => acc + x.exp() / 7.0,
                2 => acc.sigmoid() - x,
                3 => Value::dot(&[acc, x], &[x, acc]),
                _ => acc.pow(2).sqrt() + x.abs(),
            };
        }
        acc.backward();
        let mut out: Vec<u64> = xs.iter().map(|x| x.grad().to_bits()).collect();
        out.push(acc.data().to_bits());
        Tape::rewind(m);
        out
    }
    assert_eq!(run(), run());
}

// ------------------------------------------------------------------ the tape

#[test]
fn rewind_keeps_parameters_and_reuses_memory() {
    let w = Value::new(0.5);
    let mark = Tape::mark();
    let mut first_capacity = None;
    for step in 0..100 {
        let loss = (w * 3.0 - 1.0).pow(2.0);
        loss.backward();
        w.set_data(w.data() - 0.05 * w.grad());
        w.zero_grad();
        Tape::rewind(mark);
        assert_eq!(Tape::len(), mark.len());
        let cap = Tape::allocated_bytes();
        if step == 1 {
            first_capacity = Some(cap);
        }
        if step > 1 {
            assert_eq!(Some(cap), first_capacity, "memory grew in step {step}");
        }
    }
    // gradient descent on (3w - 1)² converges to w = 1/3
    assert!((w.data() - 1.0 / 3.0).abs() < 1e-12, "{}", w.data());
}

/// `Tape::try_reserve` reports a tape it cannot grow as an error, without allocating and without
/// panicking, and leaves the tape as it was; what it can reserve, it does.
#[test]
fn try_reserve_returns_an_error_for_a_tape_it_cannot_grow() {
    use micrograd::TapeFull;
    let x = Value::new(2.0);
    let y = x * 3.0;
    let before = Tape::len();
    // more nodes than a tape holds (2³¹ − 1), and a count whose bytes overflow `usize`
    for additional in [1usize << 31, usize::MAX] {
        let err: TapeFull = Tape::try_reserve(additional).unwrap_err();
        assert_eq!(err.nodes(), before.saturating_add(additional));
        assert_eq!(
            err.bytes(),
            err.nodes() as u128 * Tape::BYTES_PER_NODE as u128
        );
        let message = err.to_string();
        assert!(
            message.contains(&format!("{} nodes", err.nodes())),
            "{message}"
        );
        assert!(
            message.contains(&format!("{} bytes", err.bytes())),
            "{message}"
        );
        assert!(message.contains("at most 2147483647 nodes"), "{message}");
    }
    assert_eq!(Tape::len(), before);
    assert_eq!((y.data(), (y + x).data()), (6.0, 8.0));
    // a reservation that fits: the next nodes need no growth
    Tape::try_reserve(5000).unwrap();
    let bytes = Tape::allocated_bytes();
    let mut z = y;
    for _ in 0..5000 {
        z += x;
    }
    assert_eq!(Tape::allocated_bytes(), bytes);
    assert_eq!(z.data(), 10006.0);
}

#[test]
#[should_panic(expected = "was rewound from the tape")]
fn rewound_handle_panics() {
    let mark = Tape::mark();
    let a = Value::new(1.0);
    Tape::rewind(mark);
    let _ = a.data();
}

#[test]
#[should_panic(expected = "slot reused by a newer node")]
fn rewound_handle_panics_even_when_its_slot_is_reused() {
    let mark = Tape::mark();
    let a = Value::new(1.0);
    Tape::rewind(mark);
    let b = Value::new(2.0); // same slot as `a`
    assert_eq!(a.id(), b.id());
    let _ = a + 1.0;
}

#[test]
fn rewound_handle_is_reported_not_alive_and_debug_does_not_panic() {
    let mark = Tape::mark();
    let a = Value::new(1.0);
    assert!(a.is_alive());
    Tape::clear();
    let _ = mark;
    assert!(!a.is_alive());
    assert!(format!("{a:?}").contains("rewound"));
}

#[test]
#[should_panic(expected = "rewind to a stale mark")]
fn rewinding_to_a_stale_mark_panics() {
    let low = Tape::mark();
    let _ = Value::new(1.0);
    let high = Tape::mark();
    Tape::rewind(low);
    Tape::rewind(high);
}

#[test]
fn rewind_then_backward_after_old_gradients() {
    // An interior node below the mark holds a gradient; a later pass must not propagate it again.
    let x = Value::new(2.0);
    let feat = x * x; // interior node below the mark
    let mark = Tape::mark();
    for _ in 0..3 {
        let y = feat * 3.0;
        y.backward();
        Tape::rewind(mark);
    }
    assert_eq!(feat.grad(), 9.0);
    assert_eq!(x.grad(), 3.0 * (3.0 * 4.0));
}

#[test]
#[cfg_attr(miri, ignore = "a million nodes: too slow under Miri")]
fn a_deep_chain_has_no_recursion() {
    // 1,000,000 nodes in the default (debug) test run; the 10,000,000-node run is the `huge_chain`
    // example, in release mode.
    let n = 1_000_000;
    let mark = Tape::mark();
    let x = Value::new(1.0);
    let mut y = x;
    for _ in 0..n {
        y *= 1.000_001;
    }
    y.backward();
    let expected = 1.000_001f64.powi(n);
    assert!(
        close(x.grad(), expected, 1e-9),
        "{} vs {expected}",
        x.grad()
    );
    Tape::rewind(mark);
}

#[test]
fn nested_marks_and_reused_slots() {
    let p = Value::new(1.0); // a parameter
    let m1 = Tape::mark();
    let a = p * 2.0;
    let m2 = Tape::mark();
    let b = a + 1.0;
    Tape::rewind(m2);
    assert!(a.is_alive() && p.is_alive());
    assert!(!b.is_alive());
    let c = a * 3.0; // takes b's slot
    assert_eq!(c.id(), b.id());
    assert!(!b.is_alive() && c.is_alive());
    assert_eq!(c.data(), 6.0);
    // inputs of a live node are live handles, even after later rewinds above them
    let ins = c.inputs();
    let m3 = Tape::mark();
    let _ = c + 1.0;
    Tape::rewind(m3);
    assert!(ins[0].is_alive());
    assert_eq!(ins[0].data(), 2.0);
    Tape::rewind(m1);
    assert!(p.is_alive());
    assert!(!a.is_alive() && !c.is_alive() && !ins[0].is_alive());
    // new nodes in the freed slots are fine, old handles stay dead
    let d = p + 1.0;
    assert_eq!(d.id(), a.id());
    assert!(!a.is_alive() && d.is_alive());
    // a handle made many rewinds ago, below every mark since, is still valid
    for _ in 0..1000 {
        let _ = p * 3.0;
        Tape::rewind(m1);
    }
    assert_eq!(p.data(), 1.0);
    // after a clear everything old is dead, and new values work as usual
    Tape::clear();
    assert!(!p.is_alive());
    let q = Value::new(5.0);
    let m = Tape::mark();
    for _ in 0..10 {
        let y = q * q;
        y.backward();
        Tape::rewind(m);
    }
    assert_eq!(q.grad(), 100.0);
}

#[test]
#[should_panic(expected = "was rewound from the tape")]
fn a_handle_from_an_older_step_panics_even_below_the_tape_end() {
    let p = Value::new(1.0);
    let mark = Tape::mark();
    let mut old = None;
    for step in 0..3 {
        let x = (p * 2.0).tanh() + 1.0;
        if step == 0 {
            old = Some(x);
        }
        Tape::rewind(mark);
    }
    // the tape is rebuilt past `old`'s index, but `old` itself was rewound two steps ago
    let _ = (p * 2.0).tanh() + 1.0;
    let old = old.unwrap();
    assert!(old.id() < Tape::len());
    let _ = old.data();
}

/// `Value::dot` of runs of consecutive nodes is stored as two ranges; the numbers must be those of the
/// general form, whether the runs are disjoint, the same, or overlapping.
#[test]
fn dot_of_consecutive_runs_matches_the_general_form() {
    let vals: Vec<f64> = (0..9).map(|i| ((i as f64) * 0.7 - 2.0).sin()).collect();
    // (w start, x start, len) into one run of 9 consecutive leaves
    for &(ws, xs, len) in &[(0, 4, 4), (0, 0, 5), (1, 3, 5), (3, 1, 5), (2, 2, 1)] {
        let m = Tape::mark();
        let run: Vec<Value> = vals.iter().map(|&v| Value::new(v)).collect();
        let y = Value::dot(&run[ws..ws + len], &run[xs..xs + len]);
        assert_eq!(y.op(), Op::Dot);
        assert_eq!(y.inputs().len(), 2 * len);
        assert_eq!(y.inputs()[1], run[xs]);
        y.backward();
        let fast: Vec<f64> = run.iter().map(|v| v.grad()).collect();
        // the same product from leaves that are not consecutive (a spacer between each)
        let spaced: Vec<Value> = vals
            .iter()
            .map(|&v| {
                let _ = Value::new(0.0);
                Value::new(v)
            })
            .collect();
        let y2 = Value::dot(&spaced[ws..ws + len], &spaced[xs..xs + len]);
        y2.backward();
        let slow: Vec<f64> = spaced.iter().map(|v| v.grad()).collect();
        assert_eq!(y.data(), y2.data(), "value, case {ws} {xs} {len}");
        assert_eq!(fast, slow, "gradients, case {ws} {xs} {len}");
        Tape::rewind(m);
    }
}

#[test]
fn matvec_matches_dot_row_by_row() {
    for spaced in [false, true] {
        let m = Tape::mark();
        let leaf = |v: f64| {
            if spaced {
                let _ = Value::new(0.0);
            }
            Value::new(v)
        };
        let w: Vec<Value> = (0..7 * 5).map(|i| leaf((i as f64 * 0.31).cos())).collect();
        let x: Vec<Value> = (0..5).map(|i| leaf(i as f64 - 2.5)).collect();
        let mut y = Vec::new();
        Value::matvec(&w, &x, &mut y);
        assert_eq!(y.len(), 7);
        for (o, yo) in y.iter().enumerate() {
            let expect = (0..5).fold(0.0, |s, j| s + w[o * 5 + j].data() * x[j].data());
            assert_eq!(yo.data(), expect, "row {o}");
        }
        let total = Value::sum_slice(&y);
        total.backward();
        for j in 0..5 {
            let expect: f64 = (0..7).map(|o| w[o * 5 + j].data()).sum();
            assert!(close(x[j].grad(), expect, 1e-14), "d/dx{j}");
            assert_eq!(w[j].grad(), x[j].data());
        }
        Tape::rewind(m);
    }
}

// ------------------------------------------------------------------ values carried in handles

// A handle carries its node's value, used while nothing can have changed it. These check that every
// way of changing a value is seen through every copy of every handle.

#[test]
fn a_write_is_seen_through_every_copy_of_a_new_handle() {
    let x = Value::new(1.0);
    let copy = x;
    let y = x * 2.0;
    x.set_data(5.0);
    assert_eq!(copy.data(), 5.0);
    assert_eq!((copy * 2.0).data(), 10.0);
    assert_eq!((copy + copy).data(), 10.0);
    assert_eq!((3.0 - copy).data(), -2.0);
    assert_eq!(copy.exp().data(), 5f64.exp());
    assert_eq!(y.data(), 2.0, "nodes already computed are not recomputed");
    // an interior node, written twice
    let z = y + 1.0;
    let z2 = z;
    z.set_data(-1.0);
    assert_eq!((z2 * z2).data(), 1.0);
    z2.set_data(4.0);
    assert_eq!((z * 1.0).data(), 4.0);
    assert_eq!(Value::sum([z, z2]).data(), 8.0);
}

#[test]
fn parameters_written_between_rewinds_are_read_fresh() {
    let p = Value::new(1.0);
    let q = Value::new(2.0);
    let params = vec![p, q];
    let mark = Tape::mark();
    for step in 0..5 {
        let v = step as f64 + 1.0;
        // the copies in `params` and the originals must agree with what was written
        let y = params[0] * q + p * params[1];
        assert_eq!(y.data(), 2.0 * v * 2.0 * v, "step {step}");
        y.backward();
        assert_eq!((p.grad(), q.grad()), (4.0 * v, 2.0 * v), "step {step}");
        if step % 2 == 0 {
            Tape::write_data(&params, &[v + 1.0, 2.0 * (v + 1.0)]);
        } else {
            p.set_data(v + 1.0);
            params[1].set_data(2.0 * (v + 1.0));
        }
        Tape::zero_grads(&params);
        Tape::rewind(mark);
    }
}

#[test]
fn parameters_written_without_rewinds_are_read_fresh() {
    let p = Value::new(3.0);
    let copy = p;
    for step in 0..4 {
        let v = 3.0 + step as f64;
        let y = copy * copy;
        assert_eq!(y.data(), v * v);
        let z = y + p;
        assert_eq!(z.data(), v * v + v);
        p.set_data(v + 1.0);
        assert_eq!((y * 1.0).data(), v * v, "y was not written");
        assert_eq!((copy * 1.0).data(), v + 1.0);
    }
}

#[test]
fn handles_from_inputs_see_later_writes() {
    let a = Value::new(2.0);
    let c = a * 3.0;
    let ins = c.inputs();
    assert_eq!(ins[0].data(), 2.0);
    a.set_data(7.0);
    assert_eq!(ins[0].data(), 7.0);
    assert_eq!((ins[0] * 1.0).data(), 7.0);
    // and after a rewind that keeps `a` and `c`
    let m = Tape::mark();
    let _ = c + 1.0;
    Tape::rewind(m);
    let ins = c.inputs();
    a.set_data(-1.0);
    assert_eq!((ins[0] + ins[0]).data(), -2.0);
}

#[test]
fn handles_below_a_rewound_mark_stay_usable_and_rewound_ones_panic() {
    let w = Value::new(0.5);
    let m1 = Tape::mark();
    let u = w * 2.0; // kept by the inner rewinds, dropped by the outer one
    let m2 = Tape::mark();
    for _ in 0..3 {
        let t = u * w;
        assert_eq!(t.data(), 0.5);
        Tape::rewind(m2);
        assert!(!t.is_alive());
        assert!(std::panic::catch_unwind(|| t * w).is_err());
    }
    assert_eq!((u + w).data(), 1.5);
    Tape::rewind(m1);
    assert!(std::panic::catch_unwind(|| u * w).is_err());
    assert_eq!((w * w).data(), 0.25);
    Tape::rewind(m1);
}

#[test]
fn a_thread_frees_its_tape_when_it_exits() {
    let handles: Vec<_> = (0..3)
        .map(|k| {
            std::thread::spawn(move || {
                let x = Value::new(k as f64);
                let y = (x * x + 1.0).tanh();
                y.backward();
                (y.data(), x.grad())
            })
        })
        .collect();
    for (k, h) in handles.into_iter().enumerate() {
        let x = k as f64;
        let (y, g) = h.join().unwrap();
        let t = (x * x + 1.0).tanh();
        assert_eq!(y, t);
        assert_eq!(g, (1.0 - t * t) * 2.0 * x);
    }
}

// ------------------------------------------------------------------ the backward sweep's registers

// The sweep keeps the adjoint of the node just below (a chain) and of the last second input of a
// binary op (a reused weight) in registers. These graphs exercise every hand-over between the two
// and memory, against hand-derived gradients.

#[test]
fn a_chain_reusing_one_weight() {
    // y = (((x·w + w)·w + w)·w + w)·w = x·w⁴ + w⁴ + w³ + w²
    let m = Tape::mark();
    let (x, w) = (Value::new(1.5), Value::new(-0.75));
    let mut y = x;
    for k in 0..4 {
        y = if k % 2 == 0 { y * w } else { y + w };
    }
    y = (y * w + w) * w;
    let (xv, wv) = (1.5f64, -0.75f64);
    y.backward();
    assert!(close(x.grad(), wv.powi(4), 1e-15));
    let dw = 4.0 * xv * wv.powi(3) + 4.0 * wv.powi(3) + 3.0 * wv.powi(2) + 2.0 * wv;
    assert!(close(w.grad(), dw, 1e-15), "{} vs {dw}", w.grad());
    Tape::rewind(m);
}

#[test]
fn a_chain_of_squares_uses_the_same_node_twice() {
    // y = x^(2^k) by repeated y·y: dy/dx = 2^k x^(2^k - 1); every intermediate grad too
    let m = Tape::mark();
    let x = Value::new(1.01);
    let mut ys = vec![x];
    for _ in 0..6 {
        let y = *ys.last().unwrap();
        ys.push(y * y);
    }
    ys.last().unwrap().backward();
    let n = 64.0;
    assert!(close(x.grad(), n * 1.01f64.powf(n - 1.0), 1e-13));
    for (k, y) in ys.iter().enumerate() {
        // d y6 / d yk = 2^(6-k) yk^(2^(6-k) - 1)
        let p = 2f64.powi(6 - k as i32);
        assert!(close(y.grad(), p * y.data().powf(p - 1.0), 1e-13), "y{k}");
    }
    Tape::rewind(m);
}

#[test]
fn a_cached_weight_feeding_sums_and_unary_ops() {
    let m = Tape::mark();
    let (x, w) = (Value::new(0.3), Value::new(2.0));
    let a = x * w; // w cached from here down
    let b = a + w; // w again
    let s = Value::sum([b, w, a]); // an n-ary op reading w's adjoint mid-sweep
    let t = s.tanh() * w; // w as a second input above the sum
    let u = w * t; // w as a first input
    let y = u + x * x; // x twice
    y.backward();
    // forward values
    let (xv, wv) = (0.3f64, 2.0f64);
    let sv = (xv * wv + wv) + wv + xv * wv;
    let th = sv.tanh();
    assert!(close(y.data(), wv * th * wv + xv * xv, 1e-15));
    // y = w²·tanh(s) + x², s = 2xw + 2w
    let ds = wv * wv * (1.0 - th * th);
    assert!(close(x.grad(), ds * 2.0 * wv + 2.0 * xv, 1e-14));
    assert!(close(
        w.grad(),
        2.0 * wv * th + ds * (2.0 * xv + 2.0),
        1e-14
    ));
    assert!(close(s.grad(), ds, 1e-14));
    assert!(close(a.grad(), 2.0 * ds, 1e-14));
    assert!(close(b.grad(), ds, 1e-14));
    Tape::rewind(m);
}

#[test]
fn backward_twice_through_cached_adjoints_adds_the_same_amounts() {
    let m = Tape::mark();
    let (x, w) = (Value::new(0.7), Value::new(1.3));
    let mut y = x;
    for k in 0..10 {
        y = if k % 3 == 0 { y * w } else { (y + w).tanh() };
    }
    y.backward();
    let (gx, gw) = (x.grad(), w.grad());
    y.backward();
    assert_eq!((x.grad(), w.grad()), (2.0 * gx, 2.0 * gw));
    // and against central differences
    let f = |xv: f64, wv: f64| {
        let mut y = xv;
        for k in 0..10 {
            y = if k % 3 == 0 { y * wv } else { (y + wv).tanh() };
        }
        y
    };
    let h = 1e-6;
    assert!(close(
        gx,
        (f(0.7 + h, 1.3) - f(0.7 - h, 1.3)) / (2.0 * h),
        1e-8
    ));
    assert!(close(
        gw,
        (f(0.7, 1.3 + h) - f(0.7, 1.3 - h)) / (2.0 * h),
        1e-8
    ));
    Tape::rewind(m);
}

#[test]
fn the_first_write_after_a_rewind_is_seen() {
    // `p`'s handle is older than the rewind but still vouched for: the write must end that.
    let p = Value::new(1.0);
    let mark = Tape::mark();
    assert_eq!((p * 2.0).data(), 2.0);
    Tape::rewind(mark);
    p.set_data(5.0);
    assert_eq!((p * 1.0).data(), 5.0);
    Tape::write_data(&[p], &[6.0]);
    assert_eq!((p + p).data(), 12.0);
    Tape::rewind(mark);
}

#[test]
fn a_write_after_inputs_were_taken_is_seen_through_them() {
    // `inputs()` hands out a new handle to an old node; a later write must reach it.
    let a = Value::new(1.0);
    a.set_data(2.0); // (so that `a` itself is no longer vouched for)
    let c = a * 3.0;
    let ins = c.inputs();
    assert_eq!((ins[0] * 1.0).data(), 2.0);
    a.set_data(7.0);
    assert_eq!((ins[0] * 1.0).data(), 7.0);
    Tape::write_data(&[a], &[8.0]);
    assert_eq!((ins[0] - 0.0).data(), 8.0);
}

#[test]
fn a_write_to_several_values_is_seen_through_each() {
    // `p` is vouched for (below every rewound mark), `q` is not: one write to both must reach `p`.
    let p = Value::new(1.0); // #0
    let low = Tape::mark();
    let _ = Value::new(0.0);
    Tape::rewind(low); // the lowest mark rewound to is now 1
    let q = Value::new(2.0); // #1
    let _ = q * 1.0;
    let high = Tape::mark();
    let _ = q * 2.0;
    Tape::rewind(high);
    assert_eq!((p * 1.0).data(), 1.0);
    Tape::write_data(&[p, q], &[10.0, 20.0]);
    assert_eq!((p * 1.0).data(), 10.0);
    assert_eq!((q * 1.0).data(), 20.0);
    Tape::write_data(&[q, p], &[30.0, 40.0]);
    assert_eq!((p + q).data(), 70.0);
    Tape::rewind(high);
}

#[test]
fn bulk_reads_and_writes_of_runs_and_scattered_values_agree() {
    let run: Vec<Value> = (0..6).map(|i| Value::new(i as f64)).collect();
    let scattered = [run[4], run[1], run[5]];
    let y = Value::sum(run.iter().map(|&v| v * v));
    y.backward();
    let mut out = [0.0; 6];
    Tape::read_data(&run, &mut out);
    assert_eq!(out, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    Tape::read_grads(&run, &mut out);
    assert_eq!(out, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    let mut three = [0.0; 3];
    Tape::read_grads(&scattered, &mut three);
    assert_eq!(three, [8.0, 2.0, 10.0]);
    Tape::zero_grads(&scattered);
    Tape::read_grads(&run, &mut out);
    assert_eq!(out, [0.0, 0.0, 4.0, 6.0, 0.0, 0.0]);
    Tape::zero_grads(&run);
    Tape::write_data(&run, &[5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
    Tape::write_data(&scattered, &[-1.0, -2.0, -3.0]);
    Tape::read_data(&run, &mut out);
    assert_eq!(out, [5.0, -2.0, 3.0, 2.0, -1.0, -3.0]);
    assert_eq!((run[1] * run[4]).data(), 2.0);
}
