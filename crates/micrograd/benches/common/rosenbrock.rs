//! The extended Rosenbrock function, Σ over pairs 100(x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)², shared by
//! `benches/functional.rs` and `examples/rosenbrock_profile.rs`: on `Value`s, and its value and
//! gradient by hand.

use micrograd::Value;

/// The function on `Value`s (an even number of inputs).
pub fn rosenbrock(x: &[Value]) -> Value {
    Value::sum(x.chunks_exact(2).map(|p| {
        let t = p[1] - p[0] * p[0];
        let u = 1.0 - p[0];
        100.0 * t * t + u * u
    }))
}

/// The value and gradient by hand: ∂/∂x₂ᵢ = −400·t·x₂ᵢ − 2u, ∂/∂x₂ᵢ₊₁ = 200·t.
pub fn hand(x: &[f64], g: &mut [f64]) -> f64 {
    let mut f = 0.0;
    for (p, gp) in x.chunks_exact(2).zip(g.chunks_exact_mut(2)) {
        let t = p[1] - p[0] * p[0];
        let u = 1.0 - p[0];
        f += 100.0 * t * t + u * u;
        gp[0] = -400.0 * t * p[0] - 2.0 * u;
        gp[1] = 200.0 * t;
    }
    f
}
