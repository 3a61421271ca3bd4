//! The benchmark chain, shared by `benches/engine.rs` and `examples/chain_profile.rs`: `y ← y·w`,
//! `y ← y + w`, alternately, `n` times from `y = w`. Generic, so that the plain-f64 baseline runs the
//! very same loop as the `Value` one.

use std::ops::{Add, Mul};

/// `n` links of the chain on top of `w` (for `Value`s: `n` binary nodes above one leaf).
#[inline(never)]
pub fn chain<T: Copy + Add<Output = T> + Mul<Output = T>>(w: T, n: usize) -> T {
    let mut y = w;
    for i in 0..n {
        y = if i % 2 == 0 { y * w } else { y + w };
    }
    y
}
