//! Profiling aid: forward and backward over a chain of N nodes, repeated; prints ns per node.
//! `cargo run --release -p micrograd --example chain_profile -- N REPS`
use micrograd::{Tape, Value};
use std::time::Instant;
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
    for _ in 0..reps {
        let t0 = Instant::now();
        let mut y = w;
        for i in 0..n {
            y = if i % 2 == 0 { y * w } else { y + w };
        }
        let t1 = Instant::now();
        y.backward();
        acc += w.grad();
        w.zero_grad();
        Tape::rewind(mark);
        fwd += (t1 - t0).as_secs_f64();
        bwd += t1.elapsed().as_secs_f64();
    }
    let t0 = Instant::now();
    let mut plain = 0.0;
    for r in 0..reps {
        let w = std::hint::black_box(0.999_999 + r as f64 * 1e-12);
        let mut y = w;
        for i in 0..n {
            y = if i % 2 == 0 { y * w } else { y + w };
        }
        plain += y;
    }
    let plain_t = t0.elapsed().as_secs_f64();
    let per = 1e9 / (n * reps) as f64;
    println!(
        "n={n}: forward {:.2} ns/node, backward {:.2} ns/node, plain f64 {:.2} ns/op; (fwd+bwd)/plain = {:.1} ({acc} {plain})",
        fwd * per,
        bwd * per,
        plain_t * per,
        (fwd + bwd) / plain_t
    );
}
