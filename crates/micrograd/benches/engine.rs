//! Engine benchmarks: ns per node on a long chain, bytes per node, and the cost of a gradient relative
//! to plain f64 evaluation for a 2-16-16-1 MLP on 100 inputs.
//!
//! Run with `cargo bench -p micrograd --bench engine`. Divide the `chain/*` times by `CHAIN` to get
//! ns per node (`chain/index_tape_reference` is the same chain on a bare index tape, a yardstick
//! measured in the same run); the ratio `mlp/grad` ÷ `mlp/f64` is the gradient overhead.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use micrograd::{Tape, Value};
use std::hint::black_box;

const CHAIN: usize = 1_000_000;

#[path = "common/chain.rs"]
mod chain;
use chain::chain;

fn bench_chain(c: &mut Criterion) {
    let mut g = c.benchmark_group("chain");
    g.sample_size(20);
    g.throughput(Throughput::Elements(CHAIN as u64));
    let w = Value::new(0.999_999);
    let mark = Tape::mark();
    // warm the tape's buffers once so that every iteration reuses them, as a training loop does
    chain(w, CHAIN);
    Tape::rewind(mark);
    let bytes = Tape::allocated_bytes() as f64 / CHAIN as f64;
    eprintln!(
        "tape: {} bytes/node by layout, {:.1} bytes/node allocated after a {CHAIN}-node chain",
        Tape::BYTES_PER_NODE,
        bytes
    );
    g.bench_function("forward_backward", |b| {
        b.iter(|| {
            let y = chain(w, CHAIN);
            y.backward();
            let r = w.grad();
            w.zero_grad();
            Tape::rewind(mark);
            black_box(r)
        })
    });
    g.bench_function("forward", |b| {
        b.iter(|| {
            let y = chain(w, CHAIN).data();
            Tape::rewind(mark);
            black_box(y)
        })
    });
    g.bench_function("backward", |b| {
        b.iter_batched(
            || chain(w, CHAIN),
            |y| {
                y.backward();
                black_box(w.grad());
                w.zero_grad();
                Tape::rewind(mark);
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("plain_f64", |b| {
        b.iter(|| black_box(chain(black_box(0.999_999), CHAIN)))
    });
    // The same chain on a bare index tape (below), for a comparison measured in the same run.
    let mut tape = index_tape::Tape::default();
    let wi = tape.leaf(0.999_999);
    let reference = |tape: &mut index_tape::Tape| {
        tape.truncate(1);
        let mut y = wi;
        for i in 0..CHAIN {
            y = if i % 2 == 0 {
                tape.mul(y, wi)
            } else {
                tape.add(y, wi)
            };
        }
        tape.backward(y);
        tape.grad(wi)
    };
    // (both make the same additions in the same order)
    let y = chain(w, CHAIN);
    y.backward();
    assert_eq!(
        reference(&mut tape),
        w.grad(),
        "the yardstick computes the same gradient"
    );
    w.zero_grad();
    Tape::rewind(mark);
    g.bench_function("index_tape_reference", |b| {
        b.iter(|| black_box(reference(&mut tape)))
    });
    g.finish();
}

/// A bare index tape, the simplest fast design, as a yardstick for the chain benchmark: nodes in one
/// `Vec` (op, two input indices, value), handles are indices, the tape is passed explicitly (no
/// thread-local, no liveness checks), and backward sweeps it once in reverse with a `match`.
mod index_tape {
    #[derive(Clone, Copy)]
    enum Op {
        Leaf,
        Add,
        Mul,
    }

    #[derive(Clone, Copy)]
    struct Node {
        op: Op,
        a: u32,
        b: u32,
        value: f64,
    }

    #[derive(Clone, Copy)]
    pub struct Var(u32);

    #[derive(Default)]
    pub struct Tape {
        nodes: Vec<Node>,
        grad: Vec<f64>,
    }

    impl Tape {
        fn push(&mut self, op: Op, a: Var, b: Var, value: f64) -> Var {
            self.nodes.push(Node {
                op,
                a: a.0,
                b: b.0,
                value,
            });
            Var(self.nodes.len() as u32 - 1)
        }

        fn value(&self, v: Var) -> f64 {
            self.nodes[v.0 as usize].value
        }

        pub fn leaf(&mut self, value: f64) -> Var {
            self.push(Op::Leaf, Var(0), Var(0), value)
        }

        pub fn add(&mut self, a: Var, b: Var) -> Var {
            let v = self.value(a) + self.value(b);
            self.push(Op::Add, a, b, v)
        }

        pub fn mul(&mut self, a: Var, b: Var) -> Var {
            let v = self.value(a) * self.value(b);
            self.push(Op::Mul, a, b, v)
        }

        pub fn truncate(&mut self, len: usize) {
            self.nodes.truncate(len);
        }

        pub fn grad(&self, v: Var) -> f64 {
            self.grad[v.0 as usize]
        }

        pub fn backward(&mut self, root: Var) {
            let r = root.0 as usize;
            self.grad.clear();
            self.grad.resize(r + 1, 0.0);
            self.grad[r] = 1.0;
            for i in (0..=r).rev() {
                let (g, n) = (self.grad[i], self.nodes[i]);
                let (a, b) = (n.a as usize, n.b as usize);
                match n.op {
                    Op::Leaf => {}
                    Op::Add => {
                        self.grad[a] += g;
                        self.grad[b] += g;
                    }
                    Op::Mul => {
                        let (x, y) = (self.nodes[a].value, self.nodes[b].value);
                        self.grad[a] += g * y;
                        self.grad[b] += g * x;
                    }
                }
            }
        }
    }
}

/// A 2-16-16-1 ReLU MLP (linear output), weights from a fixed pattern.
struct Mlp {
    layers: Vec<(Vec<Vec<f64>>, Vec<f64>)>,
}

impl Mlp {
    fn new() -> Self {
        let sizes = [2, 16, 16, 1];
        let mut k = 0u64;
        let mut next = || {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((k >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let layers = sizes
            .windows(2)
            .map(|s| {
                let w = (0..s[1])
                    .map(|_| (0..s[0]).map(|_| next()).collect())
                    .collect();
                (w, vec![0.0; s[1]])
            })
            .collect();
        Mlp { layers }
    }

    fn forward_f64(&self, x: &[f64]) -> f64 {
        let mut act = x.to_vec();
        let last = self.layers.len() - 1;
        for (li, (w, b)) in self.layers.iter().enumerate() {
            act = w
                .iter()
                .zip(b)
                .map(|(row, &bias)| {
                    let s = row.iter().zip(&act).fold(bias, |s, (wi, xi)| s + wi * xi);
                    if li < last {
                        s.max(0.0)
                    } else {
                        s
                    }
                })
                .collect();
        }
        act[0]
    }
}

struct MlpValue {
    layers: Vec<(Vec<Vec<Value>>, Vec<Value>)>,
}

impl MlpValue {
    fn from(m: &Mlp) -> Self {
        let layers = m
            .layers
            .iter()
            .map(|(w, b)| {
                let w = w
                    .iter()
                    .map(|r| r.iter().map(|&x| Value::new(x)).collect())
                    .collect();
                (w, b.iter().map(|&x| Value::new(x)).collect())
            })
            .collect();
        MlpValue { layers }
    }

    fn forward(&self, x: &[Value]) -> Value {
        let mut act = x.to_vec();
        let last = self.layers.len() - 1;
        for (li, (w, b)) in self.layers.iter().enumerate() {
            act = w
                .iter()
                .zip(b)
                .map(|(row, &bias)| {
                    let s = Value::affine(bias, row, &act);
                    if li < last {
                        s.relu()
                    } else {
                        s
                    }
                })
                .collect();
        }
        act[0]
    }

    fn params(&self) -> impl Iterator<Item = Value> + '_ {
        self.layers
            .iter()
            .flat_map(|(w, b)| w.iter().flatten().chain(b).copied())
    }
}

fn inputs() -> Vec<[f64; 2]> {
    (0..100)
        .map(|i| {
            let t = i as f64 * 0.0628;
            [t.cos() * 1.5, t.sin() - 0.25]
        })
        .collect()
}

fn bench_mlp(c: &mut Criterion) {
    let mut g = c.benchmark_group("mlp_2_16_16_1_x100");
    let m = Mlp::new();
    let xs = inputs();
    g.bench_function("f64", |b| {
        b.iter(|| {
            let s: f64 = xs.iter().map(|x| m.forward_f64(black_box(x))).sum();
            black_box(s)
        })
    });
    let mv = MlpValue::from(&m);
    let mark = Tape::mark();
    g.bench_function("grad", |b| {
        b.iter(|| {
            let scores: Vec<Value> = xs
                .iter()
                .map(|x| mv.forward(&[Value::new(x[0]), Value::new(x[1])]))
                .collect();
            let total = Value::sum(scores);
            total.backward();
            let g0 = mv.layers[0].0[0][0].grad();
            mv.params().for_each(|p| p.zero_grad());
            Tape::rewind(mark);
            black_box(g0)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_chain, bench_mlp);
criterion_main!(benches);
