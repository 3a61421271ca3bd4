//! Karpathy's microgpt, all 1000 steps, on this engine: checks every step's loss against Python
//! microgpt's own trace (to 1e-9 relative), prints the largest relative error and the wall time, then
//! samples 20 names at temperature 0.5.
//!
//! ```text
//! cargo run --release -p micrograd --example microgpt
//! ```

use micrograd::gpt::{Gpt, GptConfig, StateDict, Trainer, Vocab};
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

const NAMES: &str = include_str!("../tests/fixtures/names.txt");
const INIT: &str = include_str!("../tests/fixtures/microgpt_init.json");
const ORDER: &str = include_str!("../tests/fixtures/microgpt_order.txt");
const TRACE: &str = include_str!("../tests/fixtures/microgpt_trace.json");

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

fn main() -> ExitCode {
    let vocab = Vocab::from_docs(lines(NAMES));
    let map: BTreeMap<String, Vec<Vec<f64>>> =
        serde_json::from_str(INIT).expect("microgpt_init.json parses");
    let sd: StateDict = map.into_iter().collect();
    let trace: Vec<BTreeMap<String, f64>> =
        serde_json::from_str(TRACE).expect("microgpt_trace.json parses");
    let docs: Vec<Vec<usize>> = lines(ORDER)
        .iter()
        .map(|d| vocab.encode(d).expect("names are in the vocabulary"))
        .collect();
    assert_eq!(docs.len(), trace.len());

    let start = Instant::now();
    let model = Gpt::from_state_dict(GptConfig::MICROGPT, vocab, &sd).expect("microgpt's weights");
    let mut trainer = Trainer::new(model, 0.01, docs.len());
    let losses: Vec<f64> = docs
        .iter()
        .map(|d| trainer.step(d).expect("training step"))
        .collect();
    let elapsed = start.elapsed();

    let (mut worst, mut worst_step, mut failed) = (0.0f64, 0, 0);
    for (k, (&loss, row)) in losses.iter().zip(&trace).enumerate() {
        let want = row["loss"];
        let rel = ((loss - want) / want).abs();
        if rel > worst {
            (worst, worst_step) = (rel, k);
        }
        if rel.is_nan() || rel > 1e-9 {
            failed += 1;
            eprintln!("step {k}: loss {loss} vs microgpt's {want} (relative error {rel:e})");
        }
    }
    let tail = &losses[losses.len() - 100..];
    println!(
        "microgpt, {} parameters, {} steps: {:.1} ms ({:.1} µs/step)",
        trainer.model().num_parameters(),
        losses.len(),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / losses.len() as f64
    );
    println!(
        "loss: step 0 {:.6}, step {} {:.6}, mean of the last 100 {:.4}",
        losses[0],
        losses.len() - 1,
        losses[losses.len() - 1],
        tail.iter().sum::<f64>() / tail.len() as f64
    );
    println!("max relative error vs microgpt's trace: {worst:.3e} (step {worst_step})");

    println!("\n--- 20 samples, temperature 0.5 ---");
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    for i in 1..=20 {
        let name = trainer.model().sample(&mut rng, 0.5).expect("sampling");
        println!("sample {i:2}: {name}");
    }
    if failed > 0 {
        eprintln!("{failed} steps differ from microgpt's by more than 1e-9 relative");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
