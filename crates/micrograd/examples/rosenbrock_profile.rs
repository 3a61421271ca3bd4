//! Profiling aid: the replayed gradient of the extended Rosenbrock function (the functional bench's
//! function) at n inputs, repeated; prints ns per computed node for the forward replay alone and for
//! forward + backward (best repetition, steadier on a shared machine), and the hand-written gradient.
//! `cargo run --release -p micrograd --example rosenbrock_profile -- N REPS`
use micrograd::Graph;
use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/common/rosenbrock.rs"]
mod rosenbrock;
use rosenbrock::{hand, rosenbrock};

/// The best of `reps` timings of `f`, in seconds.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|s| s.parse::<usize>().expect("a number"));
    let n = args.next().unwrap_or(100_000);
    let reps = args.next().unwrap_or(100);
    let x: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let mut g = vec![0.0; n];
    let mut graph = Graph::trace(n, rosenbrock).unwrap();
    let computed = (graph.len() - n) as f64;
    let fwd = best(reps, || {
        black_box(graph.value(black_box(&x)).unwrap());
    });
    let both = best(reps, || {
        black_box(graph.value_and_grad(black_box(&x), &mut g).unwrap());
    });
    let by_hand = best(reps, || {
        black_box(hand(black_box(&x), &mut g));
    });
    println!(
        "n={n}, {computed} computed nodes: replay forward {:.2} + backward {:.2} = {:.2} ns/node \
         ({:.1} µs); by hand {:.1} µs; replay / hand = {:.1}",
        fwd * 1e9 / computed,
        (both - fwd) * 1e9 / computed,
        both * 1e9 / computed,
        both * 1e6,
        by_hand * 1e6,
        both / by_hand
    );
}
