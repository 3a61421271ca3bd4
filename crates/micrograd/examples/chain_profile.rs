//! Profiling aid: forward and backward over a chain of N nodes, repeated; prints ns per node (the mean,
//! and the best repetition, which is steadier on a shared machine).
//! `cargo run --release -p micrograd --example chain_profile -- N REPS`
use micrograd::{Tape, Value};
use std::time::Instant;
#[path = "../benches/common/chain.rs"]
mod chain;
use chain::chain;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|s| s.parse::<usize>().expect("a number"));
    let n = args.next().unwrap_or(1_000_000);
    let reps = args.next().unwrap_or(100);
    let w = Value::new(0.999_999);
    let mark = Tape::mark();
    let mut acc = 0.0;
    let (mut fwd, mut bwd) = (0.0, 0.0);
    let (mut fwd_min, mut bwd_min) = (f64::MAX, f64::MAX);
    for _ in 0..reps {
        let t0 = Instant::now();
        let y = chain(w, n);
        let t1 = Instant::now();
        y.backward();
        acc += w.grad();
        w.zero_grad();
        Tape::rewind(mark);
        let (f, b) = ((t1 - t0).as_secs_f64(), t1.elapsed().as_secs_f64());
        (fwd, bwd) = (fwd + f, bwd + b);
        (fwd_min, bwd_min) = (fwd_min.min(f), bwd_min.min(b));
    }
    let t0 = Instant::now();
    let mut plain = 0.0;
    for r in 0..reps {
        plain += chain(std::hint::black_box(0.999_999 + r as f64 * 1e-12), n);
    }
    let plain_t = t0.elapsed().as_secs_f64();
    let per = 1e9 / (n * reps) as f64;
    let per1 = 1e9 / n as f64;
    println!(
        "n={n}: mean forward {:.2} + backward {:.2} ns/node; best forward {:.2} + backward {:.2} = {:.2} ns/node; plain f64 {:.2} ns/op; (fwd+bwd)/plain = {:.1} ({acc} {plain})",
        fwd * per,
        bwd * per,
        fwd_min * per1,
        bwd_min * per1,
        (fwd_min + bwd_min) * per1,
        plain_t * per,
        (fwd + bwd) / plain_t
    );
}
