//! The gradient of the extended Rosenbrock function, Σ over pairs 100(x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)²,
//! at n = 10, 1,000 and 100,000, four ways in one run so that the ratios compare:
//!
//! - `eager`: `micrograd::value_and_grad_into` (records on the tape, backward, rewinds);
//! - `replay`: a `Graph` traced once, `graph.value_and_grad` (forward and backward replay);
//! - `hand`: the analytic gradient written out by hand (the floor);
//! - `num_dual`: num-dual's forward mode (`DualDVec64`): one pass carrying n tangents, so O(n²);
//!   measured at n = 10 and 1,000 only (at 100,000 it would take minutes per gradient).
//!
//! Run with `cargo bench -p micrograd --bench functional`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use micrograd::{value_and_grad_into, Graph};
use nalgebra::DVector;
use num_dual::DualDVec64;
use std::hint::black_box;

#[path = "common/rosenbrock.rs"]
mod rosenbrock;
use rosenbrock::{hand, rosenbrock};

fn dual(x: DVector<DualDVec64>) -> DualDVec64 {
    let mut f = DualDVec64::from(0.0);
    for p in x.as_slice().chunks_exact(2) {
        let t = p[1].clone() - p[0].clone() * p[0].clone();
        let u = -p[0].clone() + 1.0;
        f += t.clone() * t * 100.0 + u.clone() * u;
    }
    f
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("rosenbrock_grad");
    group.sample_size(20);
    for n in [10usize, 1_000, 100_000] {
        let x: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect();
        let mut g = vec![0.0; n];
        // All four agree (to rounding) before anything is timed.
        let mut reference = vec![0.0; n];
        let fh = hand(&x, &mut reference);
        let fe = value_and_grad_into(rosenbrock, &x, &mut g);
        let mut graph = Graph::trace(n, rosenbrock).unwrap();
        let mut gr = vec![0.0; n];
        assert_eq!(graph.value_and_grad(&x, &mut gr).unwrap(), fe);
        assert_eq!(gr, g);
        assert!((fe - fh).abs() <= 1e-12 * fh);
        for (a, b) in g.iter().zip(&reference) {
            assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()));
        }
        group.bench_with_input(BenchmarkId::new("hand", n), &x, |b, x| {
            b.iter(|| black_box(hand(black_box(x), &mut g)))
        });
        group.bench_with_input(BenchmarkId::new("replay", n), &x, |b, x| {
            b.iter(|| black_box(graph.value_and_grad(black_box(x), &mut g).unwrap()))
        });
        group.bench_with_input(BenchmarkId::new("eager", n), &x, |b, x| {
            b.iter(|| black_box(value_and_grad_into(rosenbrock, black_box(x), &mut g)))
        });
        if n <= 1_000 {
            let xv = DVector::from_vec(x.clone());
            let (fd, gd) = num_dual::gradient(dual, &xv);
            assert!((fd - fh).abs() <= 1e-12 * fh);
            assert!(gd
                .iter()
                .zip(&reference)
                .all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + b.abs())));
            group.bench_with_input(BenchmarkId::new("num_dual", n), &xv, |b, xv| {
                b.iter(|| black_box(num_dual::gradient(dual, black_box(xv))))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
