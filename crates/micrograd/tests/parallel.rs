//! Data-parallel `fit` (`FitConfig::threads`): every thread count trains to the same parameters, bit
//! for bit, as the single-threaded loop does.

use micrograd::data::{blobs, moons, spirals, Dataset};
use micrograd::nn::{Dropout, Module, Replicate, MLP};
use micrograd::train::{auto_threads, fit, FitConfig, FitReport, LossKind, OptimizerKind, CHUNK};
use micrograd::{Tape, Value};

/// Trains a fresh `MLP(nin, nouts)` (seed 3) with `threads` threads: its parameters' bits and the report.
fn train(
    data: &Dataset,
    nouts: &[usize],
    config: &FitConfig,
    threads: usize,
) -> (Vec<u64>, FitReport) {
    let model = MLP::seeded(data.n_features(), nouts, 3);
    let config = FitConfig {
        threads,
        ..config.clone()
    };
    let report = fit(&model, data, &config, |_| {}).unwrap();
    let bits = model
        .parameters()
        .iter()
        .map(|p| p.data().to_bits())
        .collect();
    (bits, report)
}

/// Every epoch record's numbers, as bits (NaN-safe comparison).
fn record_bits(r: &FitReport) -> Vec<u64> {
    r.epochs
        .iter()
        .flat_map(|e| {
            [
                e.train_loss,
                e.train_accuracy,
                e.val_loss.unwrap_or(-1.0),
                e.val_accuracy.unwrap_or(-1.0),
                e.lr,
            ]
        })
        .map(f64::to_bits)
        .collect()
}

fn same_for_every_thread_count(data: &Dataset, nouts: &[usize], config: &FitConfig) {
    let (one, r1) = train(data, nouts, config, 1);
    for threads in [2, 3, 4] {
        let (p, r) = train(data, nouts, config, threads);
        assert_eq!(p.len(), one.len());
        let differ = p.iter().zip(&one).filter(|(a, b)| a != b).count();
        assert_eq!(
            differ, 0,
            "{threads} threads: {differ} parameters differ from 1 thread"
        );
        assert_eq!(
            record_bits(&r),
            record_bits(&r1),
            "{threads} threads: the records differ"
        );
        assert_eq!(
            (r.best_epoch, r.stopped_early),
            (r1.best_epoch, r1.stopped_early)
        );
    }
    // The run learned something (the comparison is not between untrained models).
    let first = r1.epochs[0].train_loss;
    let last = r1.epochs.last().unwrap().train_loss;
    assert!(last < first, "loss {first} -> {last}");
}

#[test]
fn sgd_hinge_l2_mini_batches_are_bit_identical_on_1_2_3_4_threads() {
    let data = moons(200, 0.1, 5);
    let config = FitConfig {
        lr: 0.05,
        l2: 1e-4,
        batch_size: 37, // not a multiple of the chunk size: a short last chunk and a short last batch
        epochs: 5,
        val_split: 0.2,
        seed: 11,
        ..FitConfig::default()
    };
    assert_ne!(37 % CHUNK, 0);
    same_for_every_thread_count(&data, &[16, 16, 1], &config);
}

#[test]
fn adam_cross_entropy_dropout_clip_and_early_stopping_are_bit_identical() {
    let data = spirals(240, 3, 0.1, 2);
    let config = FitConfig {
        loss: LossKind::CrossEntropy,
        optimizer: OptimizerKind::Adam,
        lr: 0.02,
        dropout: 0.2,
        weight_decay: 1e-4,
        clip: Some(1.0),
        batch_size: 64,
        epochs: 6,
        val_split: 0.25,
        patience: Some(2),
        seed: 4,
        ..FitConfig::default()
    };
    same_for_every_thread_count(&data, &[24, 24, 3], &config);
}

#[test]
fn full_batch_larger_than_the_gradient_window_is_bit_identical() {
    // 700 examples a batch: the examples' gradients are added in windows of a few hundred.
    let data = blobs(700, 2, 0.5, 9);
    let config = FitConfig {
        loss: LossKind::Bce,
        optimizer: OptimizerKind::Momentum(0.9),
        lr: 0.05,
        epochs: 3,
        ..FitConfig::default()
    };
    same_for_every_thread_count(&data, &[8, 1], &config);
}

#[test]
fn the_automatic_thread_count_gives_the_same_numbers_as_one_thread() {
    let data = moons(300, 0.1, 1);
    let config = FitConfig {
        lr: 0.05,
        batch_size: 128,
        epochs: 2,
        ..FitConfig::default()
    };
    assert_eq!(FitConfig::default().threads, 0);
    assert_eq!(
        train(&data, &[8, 1], &config, 0).0,
        train(&data, &[8, 1], &config, 1).0
    );
    assert_eq!(auto_threads(1), 1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(auto_threads(4096), cores);
}

#[test]
fn a_replica_on_another_thread_computes_the_same_outputs_and_gradients() {
    let model = MLP::seeded(3, &[5, 4, 2], 8);
    let numbers: Vec<f64> = model.parameters().iter().map(|p| p.data()).collect();
    let x = [0.25, -1.5, 2.0];
    let grads = move |m: &MLP| {
        let mark = Tape::mark();
        let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
        let out = m.forward(&xs);
        (out[0] * out[1]).backward();
        let g: Vec<f64> = m.parameters().iter().map(|p| p.grad()).collect();
        m.zero_grad();
        Tape::rewind(mark);
        g
    };
    let here = grads(&model);
    let shape = model.shape();
    let there = std::thread::spawn(move || grads(&MLP::replicate(&shape, &numbers)))
        .join()
        .unwrap();
    assert_eq!(here, there);
    assert_eq!(model.dropout_units(), 9);
}

#[test]
fn a_replayed_mask_drops_the_units_the_generator_dropped() {
    let h: Vec<Value> = (0..64).map(|i| Value::new(1.0 + i as f64)).collect();
    let mut live = Dropout::new(0.5, 21);
    let mut drawn = live.clone();
    let mask = drawn.draw_mask(64);
    let a: Vec<f64> = live.apply(&h).iter().map(|v| v.data()).collect();
    let b: Vec<f64> = Dropout::replay(0.5, mask.clone())
        .apply(&h)
        .iter()
        .map(|v| v.data())
        .collect();
    assert_eq!(a, b);
    let dropped = mask.iter().filter(|&&d| d).count();
    assert_eq!(a.iter().filter(|&&v| v == 0.0).count(), dropped);
    assert!((16..48).contains(&dropped), "{dropped}");
    // Both generators are at the same place afterwards.
    assert_eq!(live.draw_mask(8), drawn.draw_mask(8));
}
