//! Data-parallel `fit` (`FitConfig::threads`): every thread count trains to the same parameters, bit
//! for bit; a batch's gradient is its chunks' gradients added in chunk order.

use micrograd::data::{blobs, moons, spirals, Dataset};
use micrograd::nn::{Architecture, Chw, Dropout, Init, Module, Replicate, Sequential, MLP};
use micrograd::train::{
    auto_threads, fit, FitConfig, FitReport, LossKind, OptimizerKind, TrainError, CHUNK,
};
use micrograd::{Tape, Value};
use rand::SeedableRng;

/// Trains a fresh `MLP(nin, nouts)` (seed 3) with `threads` threads: its parameters' bits and the report.
fn train(
    data: &Dataset,
    nouts: &[usize],
    config: &FitConfig,
    threads: usize,
) -> (Vec<u64>, FitReport) {
    let config = FitConfig {
        threads,
        ..config.clone()
    };
    train_seeded(data, nouts, 3, &config)
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
    // 700 examples a batch: 88 chunks, their gradients added in windows of 32 chunks.
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
    assert_eq!(auto_threads(1, 10_000), 1);
    assert_eq!(auto_threads(2 * CHUNK - 1, 10_000), 1);
    assert_eq!(auto_threads(64, 100), 1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(auto_threads(16, 4417), cores);
    assert_eq!(auto_threads(4096, 100), cores);
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

/// The gradient `fit` takes for a batch of `rows`, computed by hand: each chunk of `CHUNK`
/// consecutive rows on a fresh graph, `(l₁/n + … + l_c/n).backward()`, and the chunks' gradients
/// added in chunk order from 0.
fn chunked_gradient(model: &MLP, data: &Dataset, rows: &[usize], loss: LossKind) -> Vec<f64> {
    let params = model.parameters();
    let inv_n = 1.0 / rows.len() as f64;
    let mut grad = vec![0.0; params.len()];
    for chunk in rows.chunks(CHUNK) {
        let mark = Tape::mark();
        model.zero_grad();
        let mut total: Option<Value> = None;
        for &i in chunk {
            let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
            let term = loss.example_loss(&model.forward(&x), data.labels()[i]) * inv_n;
            total = Some(total.map_or(term, |t| t + term));
        }
        total.unwrap().backward();
        for (g, p) in grad.iter_mut().zip(&params) {
            *g += p.grad();
        }
        Tape::rewind(mark);
    }
    grad
}

#[test]
fn a_full_batch_step_is_the_chunks_gradients_added_in_chunk_order() {
    // One full-batch epoch of plain SGD: p₁ = p₀ + (-lr)·g, with g the chunked gradient, bit for
    // bit on 1 and 3 threads; and g is the single-tape gradient up to rounding.
    let data = moons(45, 0.1, 2); // 6 chunks, the last one short
    let lr = 0.1;
    let reference = MLP::seeded(2, &[6, 1], 4);
    let p0: Vec<f64> = reference.parameters().iter().map(|p| p.data()).collect();
    let rows: Vec<usize> = (0..data.len()).collect();
    let g = chunked_gradient(&reference, &data, &rows, LossKind::Hinge);
    let want: Vec<u64> = p0
        .iter()
        .zip(&g)
        .map(|(p, g)| (p + (-lr) * g).to_bits())
        .collect();
    for threads in [1, 3] {
        let config = FitConfig {
            lr,
            epochs: 1,
            threads,
            ..FitConfig::default()
        };
        let (bits, _) = train_seeded(&data, &[6, 1], 4, &config);
        assert_eq!(bits, want, "{threads} threads");
    }
    // The single tape's gradient (every example on one graph) differs at most by rounding.
    let mark = Tape::mark();
    reference.zero_grad();
    let losses: Vec<Value> = rows
        .iter()
        .map(|&i| {
            let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
            LossKind::Hinge.example_loss(&reference.forward(&x), data.labels()[i])
        })
        .collect();
    micrograd::loss::mean(&losses).backward();
    for (p, g) in reference.parameters().iter().zip(&g) {
        assert!(
            (p.grad() - g).abs() <= 1e-14 * (1.0 + g.abs()),
            "{} vs {g}",
            p.grad()
        );
    }
    Tape::rewind(mark);
}

/// `train` with the model's seed given.
fn train_seeded(
    data: &Dataset,
    nouts: &[usize],
    seed: u64,
    config: &FitConfig,
) -> (Vec<u64>, FitReport) {
    let model = MLP::seeded(data.n_features(), nouts, seed);
    let report = fit(&model, data, config, |_| {}).unwrap();
    let bits = model
        .parameters()
        .iter()
        .map(|p| p.data().to_bits())
        .collect();
    (bits, report)
}

/// A small CNN for 1×6×6 inputs (seed 5).
fn cnn() -> Sequential {
    cnn_of("conv(3,3,pad=1) relu maxpool(2) flatten linear(3)")
}

/// The model of `arch` for 1×6×6 inputs (seed 5).
fn cnn_of(arch: &str) -> Sequential {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    arch.parse::<Architecture>()
        .unwrap()
        .build(Chw::new(1, 6, 6), Init::Kaiming, &mut rng)
        .unwrap()
}

/// 90 noisy 6×6 images of three bars (horizontal, vertical, diagonal).
fn bars() -> Dataset {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let (mut rows, mut labels) = (Vec::new(), Vec::new());
    for i in 0..90 {
        let class = i % 3;
        let at = rand::Rng::random_range(&mut rng, 1..5);
        let row: Vec<f64> = (0..36)
            .map(|k| {
                let (y, x) = (k / 6, k % 6);
                let on = match class {
                    0 => y == at,
                    1 => x == at,
                    _ => x == y,
                };
                f64::from(u8::from(on)) + 0.1 * rand::Rng::random_range(&mut rng, -1.0..1.0)
            })
            .collect();
        rows.push(row);
        labels.push(class);
    }
    Dataset::new(rows, labels, 3).unwrap()
}

#[test]
fn a_sequential_cnn_trains_through_fit_bit_identically_on_1_2_3_threads() {
    let data = bars();
    let config = FitConfig {
        loss: LossKind::CrossEntropy,
        optimizer: OptimizerKind::Adam,
        lr: 0.02,
        batch_size: 20,
        epochs: 6,
        val_split: 0.2,
        l2: 1e-4,
        ..FitConfig::default()
    };
    let run = |threads| {
        let model = cnn();
        let report = fit(
            &model,
            &data,
            &FitConfig {
                threads,
                ..config.clone()
            },
            |_| {},
        )
        .unwrap();
        let bits: Vec<u64> = model
            .parameters()
            .iter()
            .map(|p| p.data().to_bits())
            .collect();
        (bits, record_bits(&report), report)
    };
    let (one, r1, report) = run(1);
    for threads in [2, 3] {
        let (p, r, _) = run(threads);
        assert_eq!(p, one, "{threads} threads");
        assert_eq!(r, r1, "{threads} threads");
    }
    let last = report.epochs.last().unwrap();
    assert!(last.train_loss < report.epochs[0].train_loss);
    assert!(last.val_accuracy.unwrap() >= 0.9, "{last:?}");
    // A model copied onto another thread holds the same layers.
    let model = cnn();
    let numbers: Vec<f64> = model.parameters().iter().map(|p| p.data()).collect();
    let shape = model.shape();
    let x = data.row(0).to_vec();
    let here = model.predict(&x);
    let there = std::thread::spawn(move || Sequential::replicate(&shape, &numbers).predict(&x))
        .join()
        .unwrap();
    assert_eq!(here, there);
}

#[test]
fn dropout_on_a_model_without_dropout_is_refused() {
    let config = FitConfig {
        loss: LossKind::CrossEntropy,
        dropout: 0.2,
        ..FitConfig::default()
    };
    let e = fit(&cnn(), &bars(), &config, |_| {}).unwrap_err();
    assert_eq!(
        e,
        TrainError::Shape(
            "dropout 0.2 is applied between an MLP's hidden layers; this model has no dropout"
                .into()
        )
    );
}

#[test]
fn full_batches_replayed_give_the_eager_numbers_bit_for_bit() {
    use micrograd::train::Execution;
    // MLPs, each replayed (the default) and eager, on 1 and 2 threads: hinge + L2 + clipping with
    // SGD; multi-class squared error with Adam, a validation split and early stopping. Cross-entropy
    // (its shift is a constant of the recorded logits) trains eagerly.
    let mse = FitConfig {
        loss: LossKind::Mse,
        optimizer: OptimizerKind::Adam,
        lr: 0.03,
        epochs: 12,
        val_split: 0.25,
        patience: Some(3),
        ..FitConfig::default()
    };
    let cases = [
        (
            moons(90, 0.1, 3),
            vec![8, 8, 1],
            FitConfig {
                lr: 0.1,
                l2: 1e-3,
                clip: Some(1.0),
                epochs: 8,
                ..FitConfig::default()
            },
            Execution::Replay,
        ),
        (
            spirals(120, 3, 0.1, 4),
            vec![12, 3],
            mse.clone(),
            Execution::Replay,
        ),
        (
            spirals(120, 3, 0.1, 4),
            vec![12, 3],
            FitConfig {
                loss: LossKind::CrossEntropy,
                ..mse
            },
            Execution::Eager,
        ),
    ];
    for (data, nouts, config, used) in cases {
        let eager = FitConfig {
            execution: Execution::Eager,
            threads: 1,
            ..config.clone()
        };
        let (want, r_want) = train_seeded(&data, &nouts, 6, &eager);
        assert_eq!(r_want.execution, Execution::Eager);
        for threads in [1, 2] {
            let config = FitConfig {
                threads,
                ..config.clone()
            };
            let (got, r_got) = train_seeded(&data, &nouts, 6, &config);
            assert_eq!(r_got.execution, used, "{threads} threads");
            assert_eq!(got, want, "{threads} threads");
            assert_eq!(
                record_bits(&r_got),
                record_bits(&r_want),
                "{threads} threads"
            );
        }
        assert!(r_want.epochs.last().unwrap().train_loss < r_want.epochs[0].train_loss);
    }
    // A CNN with average pooling is replayed; max pooling (its choice is made in Rust) is not.
    let data = bars();
    let config = FitConfig {
        loss: LossKind::Mse,
        optimizer: OptimizerKind::Adam,
        lr: 0.02,
        epochs: 5,
        l2: 1e-4,
        ..FitConfig::default()
    };
    for (arch, used) in [
        (
            "conv(3,3,pad=1) relu avgpool(2) flatten linear(3)",
            Execution::Replay,
        ),
        (
            "conv(3,3,pad=1) relu maxpool(2) flatten linear(3)",
            Execution::Eager,
        ),
    ] {
        let run = |execution| {
            let model = cnn_of(arch);
            let config = FitConfig {
                execution,
                ..config.clone()
            };
            let report = fit(&model, &data, &config, |_| {}).unwrap();
            let bits: Vec<u64> = model
                .parameters()
                .iter()
                .map(|p| p.data().to_bits())
                .collect();
            (bits, record_bits(&report), report.execution)
        };
        let (bits, records, execution) = run(Execution::Replay);
        assert_eq!(execution, used, "{arch}");
        let eager = run(Execution::Eager);
        assert_eq!((bits, records), (eager.0, eager.1), "{arch}");
    }
}
