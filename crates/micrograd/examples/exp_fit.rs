//! Nonlinear least squares: a sum of two exponentials, y = a₁e^(−k₁t) + a₂e^(−k₂t), fitted to 60
//! noisy samples (seeded) with argmin's L-BFGS on micrograd's gradients of the squared error. Exits
//! non-zero unless the fit recovers the true parameters to within 5% and the gradient vanishes.
//!
//! `cargo run --release -p micrograd --features argmin --example exp_fit`

use argmin::core::{Executor, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use micrograd::argmin::GraphProblem;
use micrograd::{Graph, Value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TRUE: [f64; 4] = [3.0, 0.4, 1.5, 3.0]; // a₁, k₁, a₂, k₂

fn model(p: [f64; 4], t: f64) -> f64 {
    p[0] * (-p[1] * t).exp() + p[2] * (-p[3] * t).exp()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 60 samples on [0, 6] with Gaussian-ish noise (sum of uniforms), σ ≈ 0.01
    let mut rng = StdRng::seed_from_u64(16);
    let data: Vec<(f64, f64)> = (0..60)
        .map(|i| {
            let t = i as f64 * 0.1;
            let noise: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
            (t, model(TRUE, t) + 0.01 * noise)
        })
        .collect();
    // ½ Σ (model(t) − y)², the model's data as constants of the graph
    let loss = |p: &[Value]| {
        Value::sum(data.iter().map(|&(t, y)| {
            let r = p[0] * (p[1] * -t).exp() + p[2] * (p[3] * -t).exp() - y;
            r * r * 0.5
        }))
    };
    let graph = Graph::trace(4, loss)?;
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-10)?
        .with_tolerance_cost(0.0)?;
    let res = Executor::new(GraphProblem::new(graph), solver)
        .configure(|s| s.param(vec![1.0, 0.1, 1.0, 1.0]).max_iters(500))
        .run()?;
    let state = res.state();
    let p = state.get_best_param().cloned().ok_or("no parameters")?;
    let (cost, g) = micrograd::value_and_grad(loss, &p);
    println!(
        "fit of a1·exp(-k1·t) + a2·exp(-k2·t) to 60 noisy samples, L-BFGS, {} iterations:",
        state.get_iter()
    );
    for (name, (got, truth)) in ["a1", "k1", "a2", "k2"].iter().zip(p.iter().zip(TRUE)) {
        println!("  {name} = {got:.4}  (true {truth})");
    }
    let gmax = g.iter().map(|v| v.abs()).fold(0.0, f64::max);
    println!("  residual ½Σr² = {cost:.4e}, max |gradient| = {gmax:.1e}");
    let close = p.iter().zip(TRUE).all(|(a, b)| (a - b).abs() <= 0.05 * b);
    if !close || gmax > 1e-6 {
        return Err("the fit did not recover the parameters".into());
    }
    println!("ok: every parameter within 5% of the truth");
    Ok(())
}
