//! The moons demo's training, timed: `MLP(2, [16, 16, 1])`, 100 points, SVM max-margin loss with L2,
//! full-batch SGD, from micrograd's own initial weights.
//!
//! Run with `cargo bench -p micrograd --bench moons`. `moons/train_100_steps/EXECUTION` is the whole
//! demo (divide by 100 for the time per step), with the trainer's two executions in one run: `replay`
//! (the step's graph recorded once and replayed, the default) and `eager` (every step built on the
//! tape); `moons/one_step/EXECUTION` is a single step (forward over the 100 points, loss, backward,
//! update). `scripts/jax_moons.py` times the same 100 steps under JAX's `jit`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use micrograd::data::Dataset;
use micrograd::nn::MLP;
use micrograd::train::{train, train_with, Execution, TrainConfig, Trainer};
use micrograd::Tape;
use std::hint::black_box;

fn demo_data() -> Dataset {
    let csv = include_str!("../tests/fixtures/moons_demo.csv");
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in csv.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        x.push(vec![f[0], f[1]]);
        y.push(f[2]);
    }
    Dataset::from_signed(x, &y).unwrap()
}

/// micrograd's initial weights in its parameter order (layer, neuron, weights then bias).
fn demo_init() -> Vec<f64> {
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

fn bench_moons(c: &mut Criterion) {
    let data = demo_data();
    let init = demo_init();
    let model = MLP::seeded(2, &[16, 16, 1], 0);
    let config = TrainConfig::default();

    // sanity: the benchmarked run is the demo (micrograd's final loss)
    model.set_parameters(&init).unwrap();
    let last = train(&model, &data, &config, |_| {}).unwrap()[99].loss;
    assert!((last - 0.010978370135492717).abs() < 1e-12, "{last}");

    let mut g = c.benchmark_group("moons");
    g.sample_size(20);
    for (name, execution) in [("replay", Execution::Replay), ("eager", Execution::Eager)] {
        g.bench_function(BenchmarkId::new("train_100_steps", name), |b| {
            b.iter(|| {
                model.set_parameters(&init).unwrap();
                let mark = Tape::mark(); // the trainer's inputs are dropped after each run
                let records = train_with(&model, &data, &config, execution, |_| {}).unwrap();
                Tape::rewind(mark);
                black_box(records[99].loss)
            })
        });
    }
    for (name, execution) in [("replay", Execution::Replay), ("eager", Execution::Eager)] {
        model.set_parameters(&init).unwrap();
        let mark = Tape::mark();
        let steps = TrainConfig {
            steps: usize::MAX,
            ..config.clone()
        };
        let mut trainer = Trainer::with_execution(&model, &data, &steps, execution).unwrap();
        g.bench_function(BenchmarkId::new("one_step", name), |b| {
            b.iter(|| black_box(trainer.step().unwrap().loss))
        });
        drop(trainer);
        Tape::rewind(mark);
    }
    g.finish();
}

criterion_group!(benches, bench_moons);
criterion_main!(benches);
