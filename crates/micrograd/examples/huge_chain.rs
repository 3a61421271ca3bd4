//! Builds, backpropagates and frees a chain of 10,000,000 nodes, then checks the gradient and the
//! process's peak memory (must stay under 1 GiB). Run in release mode:
//!
//! ```text
//! cargo run --release -p micrograd --example huge_chain
//! ```

use micrograd::{Tape, Value};
use std::time::Instant;

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let t0 = Instant::now();
    let x = Value::new(1.0);
    let mut y = x;
    for i in 0..n {
        // y ← y·(1 + 1e-8) and y ← tanh-free cheap ops, alternating mul and add-constant
        y = if i % 2 == 0 {
            y * 1.000_000_01
        } else {
            y + 0.0
        };
    }
    let built = t0.elapsed();
    y.backward();
    let total = t0.elapsed();
    let expected = 1.000_000_01f64.powi(n.div_ceil(2) as i32);
    let rel = (x.grad() - expected).abs() / expected;
    println!(
        "{} nodes: built in {:.3} s, backward in {:.3} s ({:.1} ns/node forward+backward)",
        Tape::len(),
        built.as_secs_f64(),
        (total - built).as_secs_f64(),
        total.as_secs_f64() * 1e9 / n as f64
    );
    println!(
        "dy/dx = {} (expected {expected}, relative error {rel:.1e})",
        x.grad()
    );
    Tape::clear();
    Tape::shrink_to_fit();
    let peak = peak_rss_bytes();
    match peak {
        Some(p) => println!(
            "peak resident memory: {:.1} MiB ({:.1} bytes/node)",
            p as f64 / (1 << 20) as f64,
            p as f64 / n as f64
        ),
        None => println!("peak resident memory: unknown (no /proc/self/status)"),
    }
    assert!(rel < 1e-6, "gradient is wrong");
    if let Some(p) = peak {
        assert!(p < 1 << 30, "peak memory {p} bytes is over 1 GiB");
    }
    println!("ok");
}
