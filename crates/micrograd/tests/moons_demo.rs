//! Acceptance: micrograd's moons demo, 100 steps from micrograd's own initial weights on its own data,
//! agrees with micrograd's published trace to 1e-9 relative in loss at every step (in practice ~1e-15)
//! and exactly in accuracy.
//!
//! Runs without the `serde` feature: the fixtures are read with `serde_json` (a dev-dependency) and
//! turned into an [`MlpWeights`]; `tests/model_file.rs` checks the model-file loader gives the same.

use micrograd::data::Dataset;
use micrograd::nn::{Activation, LayerWeights, MlpWeights, Module, NeuronWeights, MLP};
use micrograd::train::{train, train_with, Execution, StepRecord, TrainConfig, Trainer};
use serde_json::Value as Json;

const CSV: &str = include_str!("fixtures/moons_demo.csv");
const INIT: &str = include_str!("fixtures/moons_demo_init.json");
const TRACE: &str = include_str!("fixtures/moons_demo_trace.json");

fn demo_data() -> Dataset {
    let mut features = Vec::new();
    let mut ys = Vec::new();
    for line in CSV.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        features.push(f[..2].to_vec());
        ys.push(f[2]);
    }
    Dataset::from_signed(features, &ys).unwrap()
}

fn demo_weights() -> MlpWeights {
    let j: Json = serde_json::from_str(INIT).unwrap();
    let layers = j["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| LayerWeights {
            activation: if l["nonlin"].as_bool().unwrap() {
                Activation::Relu
            } else {
                Activation::Linear
            },
            neurons: l["neurons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| NeuronWeights {
                    w: n["w"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap())
                        .collect(),
                    b: n["b"].as_f64().unwrap(),
                })
                .collect(),
        })
        .collect();
    MlpWeights {
        nin: j["nin"].as_u64().unwrap() as usize,
        layers,
    }
}

fn trace() -> Vec<(usize, f64, f64)> {
    let j: Json = serde_json::from_str(TRACE).unwrap();
    j.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["step"].as_u64().unwrap() as usize,
                r["loss"].as_f64().unwrap(),
                r["accuracy"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn fixtures_are_the_demo() {
    let data = demo_data();
    assert_eq!(data.len(), 100);
    assert_eq!(data.class_counts(), vec![50, 50]);
    let model = MLP::from_weights(&demo_weights()).unwrap();
    assert_eq!(model.nouts(), vec![16, 16, 1]);
    assert_eq!(model.num_parameters(), 337);
    assert_eq!(
        model.layers()[2].neurons()[0].activation(),
        Activation::Linear
    );
    // the first weight of the file, read exactly
    assert_eq!(model.parameters()[0].data(), 0.23550571390294128);
}

#[test]
fn hundred_steps_match_micrograd() {
    let data = demo_data();
    let model = MLP::from_weights(&demo_weights()).unwrap();
    let records = train(&model, &data, &TrainConfig::default(), |_| {}).unwrap();
    let expected = trace();
    assert_eq!(records.len(), 100);
    assert_eq!(expected.len(), 100);
    let mut worst = 0.0f64;
    for (r, &(step, loss, acc)) in records.iter().zip(&expected) {
        assert_eq!(r.step, step);
        let rel = (r.loss - loss).abs() / loss.abs();
        worst = worst.max(rel);
        assert!(
            rel <= 1e-9,
            "step {step}: loss {} vs micrograd {loss} (relative {rel:e})",
            r.loss
        );
        assert_eq!(r.accuracy, acc, "step {step}: accuracy");
        assert_eq!(r.loss, r.data_loss + r.reg_loss);
    }
    eprintln!("max relative difference in loss: {worst:e}");
    // The README promises ~1e-14: keep it honest.
    assert!(worst < 1e-12, "max relative difference {worst:e}");
    assert_eq!(records[0].loss, 0.8958441028683222);
    assert_eq!(records[99].accuracy, 1.0);
}

#[test]
fn trainer_matches_train_and_keeps_the_tape_flat() {
    let data = demo_data();
    let model = MLP::from_weights(&demo_weights()).unwrap();
    let config = TrainConfig {
        steps: 5,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(&model, &data, &config).unwrap();
    let mut lens = Vec::new();
    let mut losses = Vec::new();
    while !trainer.is_done() {
        losses.push(trainer.step().unwrap().loss);
        lens.push(micrograd::Tape::len());
    }
    assert!(lens.windows(2).all(|w| w[0] == w[1]), "{lens:?}");
    // The schedule depends on `steps`, so only step 0 is micrograd's; the rest must equal `train`.
    assert_eq!(losses[0], trace()[0].1);
    let again = MLP::from_weights(&demo_weights()).unwrap();
    let records = train(&again, &data, &config, |_| {}).unwrap();
    let from_train: Vec<f64> = records.iter().map(|r| r.loss).collect();
    assert_eq!(losses, from_train);
    assert_eq!(model.to_weights(), again.to_weights());
    assert_ne!(model.to_weights(), demo_weights());
}

/// Every step of a run: its record, then every parameter's value and gradient after the update, as
/// bits.
fn full_trace(
    model: &MLP,
    data: &Dataset,
    config: &TrainConfig,
    execution: Execution,
) -> Vec<(StepRecord, Vec<(u64, u64)>)> {
    let mut trainer = Trainer::with_execution(model, data, config, execution).unwrap();
    assert_eq!(trainer.execution(), execution);
    let mut steps = Vec::new();
    while !trainer.is_done() {
        let record = trainer.step().unwrap();
        let params = model
            .parameters()
            .iter()
            .map(|p| (p.data().to_bits(), p.grad().to_bits()))
            .collect();
        steps.push((record, params));
    }
    steps
}

/// The record's numbers as bits (so that a NaN would compare, and -0 differ from 0).
fn bits(r: &StepRecord) -> [u64; 6] {
    [
        r.step as u64,
        r.loss.to_bits(),
        r.data_loss.to_bits(),
        r.reg_loss.to_bits(),
        r.accuracy.to_bits(),
        r.learning_rate.to_bits(),
    ]
}

#[test]
fn the_replayed_demo_equals_the_eager_demo_bit_for_bit() {
    let data = demo_data();
    let config = TrainConfig::default();
    let eager_model = MLP::from_weights(&demo_weights()).unwrap();
    let eager = full_trace(&eager_model, &data, &config, Execution::Eager);
    let replay_model = MLP::from_weights(&demo_weights()).unwrap();
    let replayed = full_trace(&replay_model, &data, &config, Execution::Replay);
    assert_eq!(eager.len(), 100);
    for (k, ((re, pe), (rr, pr))) in eager.iter().zip(&replayed).enumerate() {
        assert_eq!(bits(re), bits(rr), "step {k}: {re:?} vs {rr:?}");
        assert_eq!(pe.len(), 337);
        for (j, (a, b)) in pe.iter().zip(pr).enumerate() {
            assert_eq!(a, b, "step {k}, parameter {j} (value bits, gradient bits)");
        }
    }
    // and both are micrograd's run, as `train` (the replay) gives it
    assert_eq!(replayed[0].0.loss, 0.8958441028683222);
    assert_eq!(replayed[99].0.loss, 0.010978370135492717);
    let by_train = train(
        &MLP::from_weights(&demo_weights()).unwrap(),
        &data,
        &config,
        |_| {},
    );
    let by_train: Vec<[u64; 6]> = by_train.unwrap().iter().map(bits).collect();
    assert_eq!(
        by_train,
        replayed.iter().map(|(r, _)| bits(r)).collect::<Vec<_>>()
    );
}

#[test]
fn the_replay_equals_eager_on_other_models_and_data() {
    // tanh and sigmoid layers, relu branches that change with the steps, another data set and
    // schedule, an L2 term of 0
    let data = micrograd::data::moons(37, 0.2, 5);
    let config = TrainConfig {
        steps: 30,
        lr_start: 0.5,
        lr_end: 0.0,
        alpha: 0.0,
    };
    let make = || {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3);
        MLP::with_activations(
            2,
            &[5, 4, 1],
            &[Activation::Tanh, Activation::Relu, Activation::Sigmoid],
            &mut rng,
        )
    };
    let (a, b) = (make(), make());
    let eager = full_trace(&a, &data, &config, Execution::Eager);
    let replayed = full_trace(&b, &data, &config, Execution::Replay);
    assert_eq!(eager.len(), 30);
    for (k, ((re, pe), (rr, pr))) in eager.iter().zip(&replayed).enumerate() {
        assert_eq!(bits(re), bits(rr), "step {k}");
        assert_eq!(pe, pr, "step {k}: parameters");
    }
    assert!(replayed[29].0.loss < replayed[0].0.loss);
    let rs = train_with(&make(), &data, &config, Execution::Eager, |_| {}).unwrap();
    assert_eq!(
        rs.iter().map(bits).collect::<Vec<_>>(),
        eager.iter().map(|(r, _)| bits(r)).collect::<Vec<_>>()
    );
}
