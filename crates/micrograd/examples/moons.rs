//! micrograd's `demo.ipynb`, cell for cell, in Rust.
//!
//! ```sh
//! cargo run --release -p micrograd --example moons
//! ```
//!
//! Each `In [n]` block below is the notebook's Python (as a comment) followed by the Rust that does the
//! same. Python's `random` and scikit-learn's `make_moons` cannot be reproduced by another RNG, so the
//! data and initial weights are micrograd's own, saved from the notebook run (the crate's test
//! fixtures); every printed loss then matches the notebook's to the last digit or two.
//! For the pictures, run `cargo run --release -p micrograd-cli -- demo`.

use micrograd::nn::{Module, MLP};
use micrograd::{Tape, Value};

fn main() {
    // In [1]-[2]:
    //   import random; import numpy as np; import matplotlib.pyplot as plt
    //   from micrograd.engine import Value
    //   from micrograd.nn import Neuron, Layer, MLP
    // (the `use` lines above)

    // In [3]:
    //   np.random.seed(1337)
    //   random.seed(1337)
    // (the seeded draws are in the fixtures)

    // In [4]:
    //   X, y = make_moons(n_samples=100, noise=0.1)
    //   y = y*2 - 1 # make y be -1 or 1
    //   plt.scatter(X[:,0], X[:,1], c=y, s=20, cmap='jet')
    let (x, y) = moons_data();
    println!("{} points; the data:", x.len());
    print_plane(&x, &y, None);

    // In [5]:
    //   model = MLP(2, [16, 16, 1]) # 2-layer neural network
    //   print(model)
    //   print("number of parameters", len(model.parameters()))
    let model = MLP::seeded(2, &[16, 16, 1], 1337);
    model
        .set_parameters(&micrograds_initial_weights())
        .expect("337 parameters"); // the weights micrograd drew with random.seed(1337)
    println!("{model}");
    println!("number of parameters {}", model.parameters().len());

    // In [6]:
    //   def loss(batch_size=None):
    //       Xb, yb = X, y
    //       inputs = [list(map(Value, xrow)) for xrow in Xb]
    //       scores = list(map(model, inputs))
    //       losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    //       data_loss = sum(losses) * (1.0 / len(losses))
    //       alpha = 1e-4
    //       reg_loss = alpha * sum((p*p for p in model.parameters()))
    //       total_loss = data_loss + reg_loss
    //       accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    //       return total_loss, sum(accuracy) / len(accuracy)
    //
    //   total_loss, acc = loss()
    //   print(total_loss, acc)
    let loss = || -> (Value, f64) {
        let inputs: Vec<Vec<Value>> = x
            .iter()
            .map(|row| row.iter().map(|&v| Value::new(v)).collect())
            .collect();
        let scores: Vec<Value> = inputs.iter().map(|xi| model.forward(xi)[0]).collect();
        let losses: Vec<Value> = y
            .iter()
            .zip(&scores)
            .map(|(&yi, &si)| (1.0 + -yi * si).relu())
            .collect();
        let data_loss = losses.iter().sum::<Value>() * (1.0 / losses.len() as f64);
        let alpha = 1e-4;
        let reg_loss = alpha * model.parameters().iter().map(|&p| p * p).sum::<Value>();
        let total_loss = data_loss + reg_loss;
        let accuracy = y
            .iter()
            .zip(&scores)
            .filter(|(&yi, si)| (yi > 0.0) == (si.data() > 0.0))
            .count();
        (total_loss, accuracy as f64 / y.len() as f64)
    };
    let mark = Tape::mark(); // everything after this is one step's graph, dropped by rewinding
    let (total_loss, acc) = loss();
    println!("{total_loss} {acc:?}");
    Tape::rewind(mark);

    // In [7]:
    //   for k in range(100):
    //       total_loss, acc = loss()
    //       model.zero_grad()
    //       total_loss.backward()
    //       learning_rate = 1.0 - 0.9*k/100
    //       for p in model.parameters():
    //           p.data -= learning_rate * p.grad
    //       if k % 1 == 0:
    //           print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
    for k in 0..100 {
        let (total_loss, acc) = loss();
        model.zero_grad();
        total_loss.backward();
        let learning_rate = 1.0 - 0.9 * k as f64 / 100.0;
        for p in model.parameters() {
            p.set_data(p.data() - learning_rate * p.grad());
        }
        // `{:?}` prints floats the way Python does
        println!(
            "step {k} loss {:?}, accuracy {:?}%",
            total_loss.data(),
            acc * 100.0
        );
        Tape::rewind(mark);
    }

    // In [8]:
    //   h = 0.25
    //   x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
    //   y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
    //   xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    //   Xmesh = np.c_[xx.ravel(), yy.ravel()]
    //   inputs = [list(map(Value, xrow)) for xrow in Xmesh]
    //   scores = list(map(model, inputs))
    //   Z = np.array([s.data > 0 for s in scores])
    //   plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.8)
    //   plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Spectral)
    println!("\nthe decision boundary (`+` where the model says +1, `-` where it says -1):");
    let decide = |p: &[f64]| model.predict(p)[0] > 0.0;
    print_plane(&x, &y, Some(&decide));
}

/// The notebook's 100 points, `make_moons(n_samples=100, noise=0.1)` after seeding with 1337.
fn moons_data() -> (Vec<Vec<f64>>, Vec<f64>) {
    let csv = include_str!("../tests/fixtures/moons_demo.csv");
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in csv.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        x.push(vec![f[0], f[1]]);
        y.push(f[2]);
    }
    (x, y)
}

/// micrograd's initial weights (from `random.seed(1337)`), in its parameter order.
fn micrograds_initial_weights() -> Vec<f64> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../tests/fixtures/moons_demo_init.json")).unwrap();
    let mut flat = Vec::new();
    for layer in json["layers"].as_array().unwrap() {
        for neuron in layer["neurons"].as_array().unwrap() {
            flat.extend(
                neuron["w"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_f64().unwrap()),
            );
            flat.push(neuron["b"].as_f64().unwrap());
        }
    }
    flat
}

/// A text picture of the plane on the notebook's grid (`h = 0.25`, the data's range plus 1 on every
/// side): `o` for y = +1, `x` for y = -1, and with a classifier, its decision as `+`/`-` behind them.
/// A classifier's decision at a point: is it class +1?
type Decision<'a> = &'a dyn Fn(&[f64]) -> bool;

fn print_plane(x: &[Vec<f64>], y: &[f64], positive: Option<Decision>) {
    let h = 0.25;
    let min = |c: usize| x.iter().map(|r| r[c]).fold(f64::INFINITY, f64::min) - 1.0;
    let max = |c: usize| x.iter().map(|r| r[c]).fold(f64::NEG_INFINITY, f64::max) + 1.0;
    let (x_min, x_max, y_min, y_max) = (min(0), max(0), min(1), max(1));
    let cols = ((x_max - x_min) / h).ceil() as usize;
    let rows = ((y_max - y_min) / h).ceil() as usize;
    let mut grid = vec![vec![' '; cols * 2]; rows];
    for (r, line) in grid.iter_mut().enumerate() {
        for c in 0..cols {
            let p = [x_min + c as f64 * h, y_min + r as f64 * h];
            if let Some(f) = positive {
                let ch = if f(&p) { '+' } else { '-' };
                line[2 * c] = ch;
            }
        }
    }
    for (p, &yi) in x.iter().zip(y) {
        let c = ((p[0] - x_min) / h).round() as usize;
        let r = ((p[1] - y_min) / h).round() as usize;
        grid[r.min(rows - 1)][(2 * c).min(cols * 2 - 1) + 1] = if yi > 0.0 { 'o' } else { 'x' };
    }
    for line in grid.iter().rev() {
        println!("  {}", line.iter().collect::<String>());
    }
}
