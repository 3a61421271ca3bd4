//! microgpt's whole 1000-step training run (one name per step), from its initial weights.

use criterion::{criterion_group, criterion_main, Criterion};
use micrograd::gpt::{Gpt, GptConfig, StateDict, Trainer, Vocab};
use micrograd::Tape;
use std::collections::BTreeMap;
use std::time::Duration;

const NAMES: &str = include_str!("../tests/fixtures/names.txt");
const INIT: &str = include_str!("../tests/fixtures/microgpt_init.json");
const ORDER: &str = include_str!("../tests/fixtures/microgpt_order.txt");

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

fn bench(c: &mut Criterion) {
    let vocab = Vocab::from_docs(lines(NAMES));
    let map: BTreeMap<String, Vec<Vec<f64>>> = serde_json::from_str(INIT).unwrap();
    let sd: StateDict = map.into_iter().collect();
    let docs: Vec<Vec<usize>> = lines(ORDER)
        .iter()
        .map(|d| vocab.encode(d).unwrap())
        .collect();
    let mut g = c.benchmark_group("microgpt");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("train 1000 steps", |b| {
        b.iter(|| {
            Tape::clear();
            let model = Gpt::from_state_dict(GptConfig::MICROGPT, vocab.clone(), &sd).unwrap();
            let mut trainer = Trainer::new(model, 0.01, docs.len());
            let mut last = 0.0;
            for d in &docs {
                last = trainer.step(d).unwrap();
            }
            last
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
