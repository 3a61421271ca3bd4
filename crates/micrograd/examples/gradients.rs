//! The README's "Gradients of Rust functions": `value_and_grad` on a plain Rust function, and the
//! same function traced once as a `Graph` and replayed at new points.
//!
//! `cargo run --release -p micrograd --example gradients`

use micrograd::{grad, value_and_grad, Graph, Value};

/// A small physics loss: the energy of a chain of springs with rest length 1 between points on a
/// line, plus a soft wall at 0 (relu): E = Σ ½(xᵢ₊₁ − xᵢ − 1)² + 10·Σ relu(−xᵢ)².
fn energy(x: &[Value]) -> Value {
    let springs = Value::sum(x.windows(2).map(|w| (w[1] - w[0] - 1.0).pow(2) * 0.5));
    let wall = Value::sum(x.iter().map(|&xi| (-xi).relu().pow(2) * 10.0));
    springs + wall
}

fn main() {
    let x = [-0.5, 0.2, 1.9];
    let (e, g) = value_and_grad(energy, &x);
    println!("E(x) = {e:.4}, ∇E = {g:.4?}");
    println!(
        "∂/∂x of tanh(x·y) at (0, 2): {:?}",
        grad(|v| (v[0] * v[1]).tanh(), &[0.0, 2.0])
    );

    // Record once, replay anywhere: the relu's branch follows the new point.
    let mut graph = Graph::trace(3, energy).unwrap();
    let mut g = [0.0; 3];
    for x in [[-0.5, 0.2, 1.9], [0.0, 1.0, 2.0], [1.0, 1.5, 3.0]] {
        let e = graph.value_and_grad(&x, &mut g).unwrap();
        println!("replay at {x:?}: E = {e:.4}, ∇E = {g:.4?}");
    }
    let check = graph.check(&[0.3, -0.2, 1.0]).unwrap();
    println!("replay agrees with an eager run: {}", check.agrees());
    // Gradient descent on the replay
    let mut x = [-0.5, 0.2, 1.9];
    for _ in 0..200 {
        graph.value_and_grad(&x, &mut g).unwrap();
        for (xi, gi) in x.iter_mut().zip(&g) {
            *xi -= 0.3 * gi;
        }
    }
    println!(
        "after 200 steps: x = {x:.4?}, E = {:.2e}",
        graph.value(&x).unwrap()
    );
}
