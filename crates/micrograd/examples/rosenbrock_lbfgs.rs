//! The extended Rosenbrock function in 100 dimensions, minimized with argmin's L-BFGS (More-Thuente
//! line search) on micrograd's gradients: once with a traced `Graph` (replayed at every point), once
//! eagerly, to the same minimum. Exits non-zero unless both reach f < 1e-8 at x = (1, ..., 1).
//!
//! `cargo run --release -p micrograd --features argmin --example rosenbrock_lbfgs`

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use micrograd::argmin::{GraphProblem, Problem};
use micrograd::{Graph, Value};

const N: usize = 100;

/// Σ over pairs 100(x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)²: minimum 0 at (1, ..., 1).
fn rosenbrock(x: &[Value]) -> Value {
    Value::sum(x.chunks_exact(2).map(|p| {
        let t = p[1] - p[0] * p[0];
        let u = 1.0 - p[0];
        100.0 * t * t + u * u
    }))
}

/// Runs L-BFGS from the classic start (−1.2, 1, −1.2, 1, ...) and returns (x, f, iterations).
fn minimize<P>(problem: P) -> Result<(Vec<f64>, f64, u64), argmin::core::Error>
where
    P: CostFunction<Param = Vec<f64>, Output = f64>
        + argmin::core::Gradient<Param = Vec<f64>, Gradient = Vec<f64>>,
{
    let start: Vec<f64> = (0..N)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-12)?
        .with_tolerance_cost(0.0)?;
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(start).max_iters(1000))
        .run()?;
    let state = res.state();
    let x = state.get_best_param().cloned().unwrap_or_default();
    Ok((x, state.get_best_cost(), state.get_iter()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let graph = Graph::trace(N, rosenbrock)?;
    let nodes = graph.len();
    let t = std::time::Instant::now();
    let (x, f, iters) = minimize(GraphProblem::new(graph))?;
    let replayed = t.elapsed();
    let t = std::time::Instant::now();
    let (xe, fe, iters_e) = minimize(Problem::new(rosenbrock))?;
    let eager = t.elapsed();
    let err = x.iter().map(|v| (v - 1.0).abs()).fold(0.0, f64::max);
    println!("Rosenbrock, n = {N} ({nodes} nodes), L-BFGS (m = 7, More-Thuente):");
    println!("  replayed graph: f = {f:.3e} after {iters} iterations, max |x_i - 1| = {err:.3e} ({replayed:.2?})");
    println!("  eager:          f = {fe:.3e} after {iters_e} iterations ({eager:.2?})");
    let ok = f < 1e-8 && fe < 1e-8 && err < 1e-4 && x == xe;
    if !ok {
        return Err(format!(
            "did not reach f < 1e-8 at (1, ..., 1) on both paths (same iterates: {})",
            x == xe
        )
        .into());
    }
    println!("ok: both reach f < 1e-8, along the same iterates bit for bit");
    Ok(())
}
