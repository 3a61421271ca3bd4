//! The general training loop (`train::fit`) and its parts: dropout, mini-batches, the validation
//! split, early stopping, multi-class training.

use micrograd::data::{blobs, spirals, Dataset};
use micrograd::nn::{Activation, Dropout, LayerWeights, MlpWeights, Module, NeuronWeights, MLP};
use micrograd::optim::{Schedule, Span};
use micrograd::train::{
    evaluate, fit, fit_until, shuffled_batches, split_indices, EarlyStopping, FitConfig, LossKind,
    OptimizerKind, TrainError,
};
use micrograd::{Tape, Value};
use rand::SeedableRng;
use std::sync::atomic::{AtomicBool, Ordering};

/// `s = w·x + b`, one input, one linear output.
fn line(w: f64, b: f64) -> MLP {
    MLP::from_weights(&MlpWeights {
        nin: 1,
        layers: vec![LayerWeights {
            activation: Activation::Linear,
            neurons: vec![NeuronWeights { w: vec![w], b }],
        }],
    })
    .unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn one_full_batch_epoch_by_hand() {
    // x = 1 is class 1 (target +1), x = 2 is class 0 (target -1); s = 0.5x.
    // errors -0.5 and 2: dL/dw = (2·(-0.5)·1 + 2·2·2)/2 = 3.5, dL/db = (-1 + 4)/2 = 1.5.
    // lr 0.05: w = 0.5 - 0.175 = 0.325, b = -0.075; then s = 0.25 and 0.575,
    // loss = ((0.25-1)² + (0.575+1)²)/2 = (0.5625 + 2.480625)/2 = 1.5215625; accuracy 1/2.
    let data = Dataset::new(vec![vec![1.0], vec![2.0]], vec![1, 0], 2).unwrap();
    let model = line(0.5, 0.0);
    let config = FitConfig {
        loss: LossKind::Mse,
        lr: 0.05,
        epochs: 1,
        ..FitConfig::default()
    };
    let report = fit(&model, &data, &config, |_| {}).unwrap();
    let p: Vec<f64> = model.parameters().iter().map(|p| p.data()).collect();
    assert!(close(p[0], 0.325) && close(p[1], -0.075), "{p:?}");
    let r = report.epochs[0];
    assert!(close(r.train_loss, 1.5215625), "{}", r.train_loss);
    assert_eq!(r.train_accuracy, 0.5);
    assert_eq!((r.val_loss, r.steps, r.lr), (None, 1, 0.05));
    assert_eq!(report.sizes, (2, 0));
}

#[test]
fn mini_batches_of_one_are_sequential_sgd_steps_in_the_shuffled_order() {
    let xs = [1.0, 2.0, -1.0, 0.5, 3.0];
    let labels = [1, 0, 1, 1, 0];
    let data = Dataset::new(xs.iter().map(|&x| vec![x]).collect(), labels.to_vec(), 2).unwrap();
    let model = line(0.3, 0.1);
    let seed = 9;
    let config = FitConfig {
        loss: LossKind::Mse,
        lr: 0.01,
        epochs: 3,
        batch_size: 1,
        seed,
        ..FitConfig::default()
    };
    fit(&model, &data, &config, |_| {}).unwrap();
    // The same by hand: fit draws the epochs' orders from StdRng(seed + 1).
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 1);
    let (mut w, mut b) = (0.3, 0.1);
    for _ in 0..3 {
        for batch in shuffled_batches(5, 1, &mut rng) {
            let i = batch[0];
            let y = if labels[i] == 1 { 1.0 } else { -1.0 };
            let e = w * xs[i] + b - y;
            w -= 0.01 * 2.0 * e * xs[i];
            b -= 0.01 * 2.0 * e;
        }
    }
    let p: Vec<f64> = model.parameters().iter().map(|p| p.data()).collect();
    assert!(close(p[0], w) && close(p[1], b), "{p:?} vs {w} {b}");
}

/// `stop` is read before every step: set before training, no step runs; set after epoch 2, the
/// model is bit for bit the one two epochs of `fit` give, and the report counts 2 epochs' steps.
#[test]
fn a_stop_flag_ends_training_before_the_next_step() {
    let data = blobs(30, 2, 0.5, 3);
    let config = FitConfig {
        epochs: 10,
        batch_size: 4,
        ..FitConfig::default()
    };
    let bits =
        |m: &MLP| -> Vec<u64> { m.parameters().iter().map(|p| p.data().to_bits()).collect() };
    let model = MLP::seeded(2, &[4, 1], 5);
    let before = bits(&model);
    let report = fit_until(&model, &data, &config, &AtomicBool::new(true), |_| {}).unwrap();
    assert_eq!((report.epochs.len(), report.steps), (0, 0));
    assert_eq!(bits(&model), before);

    let stop = AtomicBool::new(false);
    let report = fit_until(&model, &data, &config, &stop, |r| {
        if r.epoch == 1 {
            stop.store(true, Ordering::Relaxed);
        }
    })
    .unwrap();
    // 30 examples in batches of 4: 8 steps an epoch
    assert_eq!((report.epochs.len(), report.steps), (2, 16));
    assert_eq!(report.epochs[1].steps, 16);
    let two = MLP::seeded(2, &[4, 1], 5);
    let full = fit(
        &two,
        &data,
        &FitConfig {
            epochs: 2,
            ..config
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(full.steps, 16);
    assert_eq!(bits(&model), bits(&two));
}

#[test]
fn batches_cover_every_example_once_per_epoch_and_are_seeded() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let e1 = shuffled_batches(10, 3, &mut rng);
    let e2 = shuffled_batches(10, 3, &mut rng);
    for epoch in [&e1, &e2] {
        assert_eq!(
            epoch.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![3, 3, 3, 1]
        );
        let mut all: Vec<usize> = epoch.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }
    assert_ne!(e1, e2, "each epoch gets a new order");
    let mut again = rand::rngs::StdRng::seed_from_u64(3);
    assert_eq!(shuffled_batches(10, 3, &mut again), e1);
    assert_ne!(e1.concat(), (0..10).collect::<Vec<_>>(), "shuffled");
    // full batch: in order
    assert_eq!(shuffled_batches(4, 0, &mut rng), vec![vec![0, 1, 2, 3]]);
    assert_eq!(shuffled_batches(4, 9, &mut rng), vec![vec![0, 1, 2, 3]]);
}

#[test]
fn the_split_is_disjoint_complete_and_seeded() {
    let (train, val) = split_indices(100, 0.2, 5);
    assert_eq!((train.len(), val.len()), (80, 20));
    let mut all = [train.clone(), val.clone()].concat();
    all.sort_unstable();
    assert_eq!(all, (0..100).collect::<Vec<_>>());
    assert_eq!(split_indices(100, 0.2, 5), (train.clone(), val.clone()));
    assert_ne!(split_indices(100, 0.2, 6).1, val);
    assert_ne!(val, (80..100).collect::<Vec<_>>(), "random, not the tail");
    assert_eq!(split_indices(7, 0.0, 1), ((0..7).collect(), vec![]));
    assert_eq!(split_indices(7, 0.01, 1).1.len(), 1, "at least one");
}

#[test]
fn dropout_eval_is_the_identity_and_train_drops_about_p_and_rescales() {
    let _ = Tape::mark();
    let h: Vec<Value> = (0..20_000)
        .map(|i| Value::new(1.0 + i as f64 * 1e-4))
        .collect();
    let mut d = Dropout::new(0.3, 11);
    d.eval();
    let len = Tape::len();
    assert_eq!(d.apply(&h), h);
    assert_eq!(Tape::len(), len, "no node in eval mode");
    d.train();
    let out = d.apply(&h);
    let zeros = out.iter().filter(|v| v.data() == 0.0).count();
    let frac = zeros as f64 / h.len() as f64;
    // binomial sd = sqrt(0.3·0.7/20000) = 0.0032
    assert!((frac - 0.3).abs() < 0.015, "{frac}");
    for (o, x) in out.iter().zip(&h) {
        assert!(o.data() == 0.0 || close(o.data(), x.data() / 0.7));
    }
    let s = Value::sum_slice(&out);
    s.backward();
    for (o, x) in out.iter().zip(&h) {
        let want = if o.data() == 0.0 { 0.0 } else { 1.0 / 0.7 };
        assert!(close(x.grad(), want));
    }
    // seeded: the same seed drops the same units
    let mut d2 = Dropout::new(0.3, 11);
    let again: Vec<f64> = d2.apply(&h).iter().map(|v| v.data()).collect();
    assert_eq!(again, out.iter().map(|v| v.data()).collect::<Vec<_>>());
}

#[test]
fn dropout_in_an_mlp_acts_on_hidden_units_only() {
    let model = MLP::seeded(2, &[32, 3], 4);
    let x = [Value::new(0.3), Value::new(-0.7)];
    let mut d = Dropout::new(0.5, 1);
    d.eval();
    let plain: Vec<f64> = model.forward(&x).iter().map(|v| v.data()).collect();
    let eval: Vec<f64> = model
        .forward_with_dropout(&x, &mut d)
        .iter()
        .map(|v| v.data())
        .collect();
    assert_eq!(plain, eval);
    d.train();
    let on: Vec<f64> = model
        .forward_with_dropout(&x, &mut d)
        .iter()
        .map(|v| v.data())
        .collect();
    assert_eq!(on.len(), 3);
    assert_ne!(on, plain);
}

#[test]
fn early_stopping_stops_at_the_right_epoch() {
    // best 0.5 at epoch 3; epochs 4, 5, 6 do not beat it (0.5 again is no improvement): stop at 6.
    let curve = [0.9, 0.7, 0.6, 0.5, 0.55, 0.5, 0.52, 0.1];
    let mut es = EarlyStopping::new(3);
    let stop = curve.iter().enumerate().position(|(e, &l)| es.update(e, l));
    assert_eq!(stop, Some(6));
    assert_eq!((es.best_epoch(), es.best_loss()), (Some(3), Some(0.5)));
    // never stops on a falling curve
    let mut es = EarlyStopping::new(1);
    assert!(!(0..50).any(|e| es.update(e, 1.0 / (e + 1) as f64)));
}

#[test]
fn fit_with_early_stopping_restores_the_best_epoch() {
    // Far too high a learning rate on tiny noisy data: the validation loss soon stops improving.
    let data = spirals(60, 3, 0.3, 2);
    let model = MLP::seeded(2, &[16, 16, 3], 2);
    let config = FitConfig {
        loss: LossKind::CrossEntropy,
        optimizer: OptimizerKind::Adam,
        lr: 0.05,
        epochs: 300,
        batch_size: 8,
        val_split: 0.3,
        patience: Some(5),
        seed: 3,
        ..FitConfig::default()
    };
    let report = fit(&model, &data, &config, |_| {}).unwrap();
    assert!(report.stopped_early);
    let vals: Vec<f64> = report.epochs.iter().map(|r| r.val_loss.unwrap()).collect();
    let best = (0..vals.len())
        .min_by(|&a, &b| vals[a].partial_cmp(&vals[b]).unwrap())
        .unwrap();
    assert_eq!(report.best_epoch, Some(best));
    assert_eq!(report.epochs.len(), best + 5 + 1);
    // the model holds the best epoch's parameters: its validation loss is that epoch's
    let (_, val) = split_indices(60, 0.3, 3);
    let (loss, acc) = evaluate(&model, &data.subset(&val), LossKind::CrossEntropy).unwrap();
    assert_eq!(loss, vals[best]);
    assert_eq!(Some(acc), report.epochs[best].val_accuracy);
    assert_eq!(report.sizes, (42, 18));
}

#[test]
fn fit_is_deterministic_and_validation_is_never_trained_on() {
    let data = blobs(80, 4, 0.4, 7);
    let run = |dropout: f64| {
        let model = MLP::seeded(2, &[12, 4], 1);
        let config = FitConfig {
            loss: LossKind::CrossEntropy,
            optimizer: OptimizerKind::Nesterov(0.9),
            lr: 0.05,
            schedule: Schedule::Cosine {
                over: Span::Run,
                min_lr: 0.0,
            },
            epochs: 20,
            batch_size: 10,
            dropout,
            val_split: 0.25,
            clip: Some(5.0),
            seed: 4,
            ..FitConfig::default()
        };
        let r = fit(&model, &data, &config, |_| {}).unwrap();
        (
            r,
            model
                .parameters()
                .iter()
                .map(|p| p.data())
                .collect::<Vec<_>>(),
        )
    };
    let (a, pa) = run(0.2);
    let (b, pb) = run(0.2);
    assert_eq!(a, b);
    assert_eq!(pa, pb);
    let (_, pc) = run(0.0);
    assert_ne!(pa, pc, "dropout changes training");
    let last = a.epochs.last().unwrap();
    assert_eq!(a.sizes, (60, 20));
    assert_eq!(last.steps, 20 * 6);
    assert!(last.lr < 1e-3, "cosine ends near 0: {}", last.lr);
    assert!(last.val_accuracy.unwrap() > 0.9, "{last:?}");
}

#[test]
fn a_non_finite_loss_names_epoch_and_step_and_makes_no_update() {
    let data = Dataset::new(
        (0..8).map(|i| vec![i as f64]).collect(),
        (0..8).map(|i| i % 2).collect(),
        2,
    )
    .unwrap();
    let model = line(1.0, 0.0);
    let config = FitConfig {
        loss: LossKind::Mse,
        lr: 1e3,
        epochs: 100,
        batch_size: 4,
        ..FitConfig::default()
    };
    let mut seen = Vec::new();
    let err = fit(&model, &data, &config, |r| seen.push(r.epoch)).unwrap_err();
    let TrainError::NonFiniteBatchLoss { epoch, step, loss } = err.clone() else {
        panic!("{err:?}")
    };
    assert!(!loss.is_finite());
    assert_eq!(seen.len(), epoch, "every earlier epoch completed");
    assert!(step >= 2 * epoch && step < 2 * epoch + 2);
    assert!(model.parameters().iter().all(|p| p.data().is_finite()));
    assert!(err.to_string().contains(&format!(
        "at update step {} (epoch {}, both counted from 1)",
        step + 1,
        epoch + 1
    )));
}

#[test]
fn bad_configs_and_shapes_are_errors_not_panics() {
    let data = blobs(30, 3, 0.2, 1);
    let model = MLP::seeded(2, &[4, 3], 1);
    let bad = |c: FitConfig| fit(&model, &data, &c, |_| {}).unwrap_err().to_string();
    let d = FitConfig {
        loss: LossKind::CrossEntropy,
        ..FitConfig::default()
    };
    assert!(bad(FitConfig {
        lr: 0.0,
        ..d.clone()
    })
    .contains("lr"));
    assert!(bad(FitConfig {
        epochs: 0,
        ..d.clone()
    })
    .contains("epochs"));
    assert!(bad(FitConfig {
        val_split: 1.0,
        ..d.clone()
    })
    .contains("val_split"));
    assert!(bad(FitConfig {
        optimizer: OptimizerKind::Momentum(1.0),
        ..d.clone()
    })
    .contains("momentum"));
    assert!(bad(FitConfig {
        schedule: Schedule::Step {
            every: Span::Epochs(0),
            gamma: 0.5
        },
        ..d.clone()
    })
    .contains("period"));
    // A schedule in steps works as given, beside the run-relative ones.
    let report = fit(
        &model,
        &data,
        &FitConfig {
            schedule: Schedule::Step {
                every: Span::Steps(2),
                gamma: 0.5,
            },
            epochs: 5,
            ..d.clone()
        },
        |_| {},
    )
    .unwrap();
    let lrs: Vec<f64> = report.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025]); // one step an epoch: steps 0-1, 2-3, 4
    assert!(bad(FitConfig {
        patience: Some(3),
        ..d.clone()
    })
    .contains("validation split"));
    assert!(bad(FitConfig {
        clip: Some(f64::NAN),
        ..d.clone()
    })
    .contains("clip"));
    assert!(bad(FitConfig {
        weight_decay: -1.0,
        ..d.clone()
    })
    .contains("weight_decay"));
    assert!(bad(FitConfig {
        loss: LossKind::Hinge,
        ..d.clone()
    })
    .contains("2 classes"));
    let one_out = MLP::seeded(2, &[4, 1], 1);
    let e = fit(&one_out, &data, &d, |_| {}).unwrap_err().to_string();
    assert!(e.contains("needs a model with 3 outputs"), "{e}");
}

#[test]
fn multi_class_mse_and_binary_losses_train() {
    let data = blobs(60, 3, 0.3, 2);
    let model = MLP::seeded(2, &[8, 3], 2);
    let config = FitConfig {
        loss: LossKind::Mse,
        optimizer: OptimizerKind::Adam,
        lr: 0.05,
        epochs: 40,
        batch_size: 10,
        ..FitConfig::default()
    };
    let r = fit(&model, &data, &config, |_| {}).unwrap();
    let (first, last) = (r.epochs[0], *r.epochs.last().unwrap());
    assert!(
        last.train_loss < first.train_loss / 2.0,
        "{first:?} {last:?}"
    );
    assert!(last.train_accuracy > 0.95, "{last:?}");
    let two = blobs(40, 2, 0.3, 2);
    for loss in [LossKind::Hinge, LossKind::Bce] {
        let model = MLP::seeded(2, &[8, 1], 2);
        let c = FitConfig {
            loss,
            epochs: 30,
            ..FitConfig::default()
        };
        let r = fit(&model, &two, &c, |_| {}).unwrap();
        assert_eq!(r.epochs.last().unwrap().train_accuracy, 1.0, "{loss:?}");
    }
}

/// The README's example (`micrograd data gen spirals --classes 3 --n 300 --noise 0.05 --seed 1`, then
/// `micrograd train --hidden 16,16 --loss ce --optimizer adam --lr 0.03 --schedule cosine
/// --batch-size 32 --epochs 100 --seed 1`), in the library: at least 95% training accuracy on 3-class
/// spirals (measured: 98.3%).
#[test]
fn readme_three_class_spirals_reach_95_percent_with_adam() {
    let data = spirals(300, 3, 0.05, 1);
    assert_eq!(data.class_counts(), vec![100, 100, 100]);
    let model = MLP::seeded(2, &[16, 16, 3], 1);
    let config = FitConfig {
        loss: LossKind::CrossEntropy,
        optimizer: OptimizerKind::Adam,
        lr: 0.03,
        schedule: Schedule::Cosine {
            over: Span::Run,
            min_lr: 0.0,
        },
        epochs: 100,
        batch_size: 32,
        seed: 1,
        ..FitConfig::default()
    };
    let report = fit(&model, &data, &config, |_| {}).unwrap();
    let first = report.epochs[0];
    let last = *report.epochs.last().unwrap();
    assert!(first.train_accuracy < 0.8, "{first:?}");
    assert!(last.train_accuracy >= 0.95, "{last:?}");
    assert!(last.train_loss < 0.1, "{last:?}");
    let (loss, acc) = evaluate(&model, &data, LossKind::CrossEntropy).unwrap();
    assert_eq!((loss, acc), (last.train_loss, last.train_accuracy));
}

#[test]
fn schedules_run_over_all_update_steps() {
    let data = blobs(20, 2, 0.3, 1);
    let lrs = |schedule: Schedule, batch_size: usize| -> Vec<f64> {
        let model = MLP::seeded(2, &[4, 1], 1);
        let c = FitConfig {
            schedule,
            batch_size,
            epochs: 6,
            ..FitConfig::default()
        };
        let r = fit(&model, &data, &c, |_| {}).unwrap();
        r.epochs.iter().map(|e| e.lr).collect()
    };
    let step = Schedule::Step {
        every: Span::Epochs(2),
        gamma: 0.5,
    };
    assert_eq!(lrs(step, 0), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    // 2 steps an epoch: the decay still comes every 2 epochs; the record is the epoch's last step's
    assert_eq!(lrs(step, 10), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    let linear = lrs(
        Schedule::Linear {
            start_factor: 1.0,
            end_factor: 0.1,
            over: Span::Run,
        },
        0,
    );
    assert!(
        close(linear[0], 0.1) && close(linear[5], 0.01),
        "{linear:?}"
    );
    assert!(close(linear[1], 0.1 * (1.0 - 0.9 / 5.0)));
    let cosine = lrs(
        Schedule::Cosine {
            over: Span::Run,
            min_lr: 0.0,
        },
        0,
    );
    assert!(close(cosine[0], 0.1) && cosine[5] == 0.0);
    assert!(close(
        cosine[2],
        0.05 * (1.0 + (0.4 * std::f64::consts::PI).cos())
    ));
}

/// Every configuration error names its field and its bound, typed, with the value found; the
/// messages are pinned word for word (the CLI puts its flag before `requirement()`).
#[test]
fn config_errors_name_the_field_and_the_bound() {
    use micrograd::train::{Bound, ConfigError, ConfigField as F};
    let d = FitConfig::default();
    let cases = [
        (
            FitConfig {
                lr: 0.0,
                ..d.clone()
            },
            F::Lr,
            Bound::Positive { found: 0.0 },
            "lr must be a finite number > 0, got 0",
        ),
        (
            FitConfig {
                weight_decay: -1.0,
                ..d.clone()
            },
            F::WeightDecay,
            Bound::NonNegative { found: -1.0 },
            "weight_decay must be a finite number >= 0, got -1",
        ),
        (
            FitConfig {
                l2: -2.0,
                ..d.clone()
            },
            F::L2,
            Bound::NonNegative { found: -2.0 },
            "l2 must be a finite number >= 0, got -2",
        ),
        (
            FitConfig {
                dropout: 1.0,
                ..d.clone()
            },
            F::Dropout,
            Bound::Fraction { found: 1.0 },
            "dropout must be in [0, 1), got 1",
        ),
        (
            FitConfig {
                val_split: 1.5,
                ..d.clone()
            },
            F::ValSplit,
            Bound::Fraction { found: 1.5 },
            "val_split must be in [0, 1), got 1.5",
        ),
        (
            FitConfig {
                epochs: 0,
                ..d.clone()
            },
            F::Epochs,
            Bound::AtLeastOne,
            "epochs must be at least 1",
        ),
        (
            FitConfig {
                optimizer: OptimizerKind::Nesterov(1.0),
                ..d.clone()
            },
            F::Momentum,
            Bound::Fraction { found: 1.0 },
            "momentum must be in [0, 1), got 1",
        ),
        (
            FitConfig {
                schedule: Schedule::Linear {
                    start_factor: 1.0,
                    end_factor: -1.0,
                    over: Span::Run,
                },
                ..d.clone()
            },
            F::LinearEndFactor,
            Bound::NonNegative { found: -1.0 },
            "the linear schedule's end factor must be >= 0, got -1",
        ),
        (
            FitConfig {
                schedule: Schedule::Cosine {
                    over: Span::Run,
                    min_lr: -0.5,
                },
                ..d.clone()
            },
            F::CosineMinLr,
            Bound::NonNegative { found: -0.5 },
            "the cosine schedule's min_lr must be >= 0, got -0.5",
        ),
        (
            FitConfig {
                schedule: Schedule::Step {
                    every: Span::Epochs(0),
                    gamma: 0.5,
                },
                ..d.clone()
            },
            F::StepPeriod,
            Bound::AtLeastOne,
            "the step schedule's period must be at least 1",
        ),
        (
            FitConfig {
                schedule: Schedule::Step {
                    every: Span::Epochs(1),
                    gamma: 0.0,
                },
                ..d.clone()
            },
            F::StepGamma,
            Bound::Positive { found: 0.0 },
            "the step schedule's gamma must be > 0, got 0",
        ),
        (
            FitConfig {
                clip: Some(-1.0),
                ..d.clone()
            },
            F::Clip,
            Bound::Positive { found: -1.0 },
            "clip must be a finite number > 0, got -1",
        ),
        (
            FitConfig {
                patience: Some(0),
                val_split: 0.2,
                ..d.clone()
            },
            F::Patience,
            Bound::AtLeastOne,
            "patience must be at least 1 epoch",
        ),
        (
            FitConfig {
                patience: Some(3),
                ..d.clone()
            },
            F::Patience,
            Bound::NeedsValidation,
            "early stopping (patience) needs a validation split > 0",
        ),
    ];
    for (config, field, bound, message) in cases {
        let err = config.validate().unwrap_err();
        assert_eq!(
            err,
            TrainError::Config(ConfigError { field, bound }),
            "{message}"
        );
        assert_eq!(err.to_string(), message);
    }
    // The split is checked against the data, in `fit`.
    let one = Dataset::new(vec![vec![0.0, 0.0]], vec![0], 2).unwrap();
    let config = FitConfig {
        val_split: 0.5,
        ..d.clone()
    };
    let err = fit(&MLP::seeded(2, &[1], 1), &one, &config, |_| {}).unwrap_err();
    let TrainError::Config(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.field, e.bound),
        (
            F::ValSplit,
            Bound::LeavesTraining {
                found: 0.5,
                examples: 1
            }
        )
    );
    assert_eq!(
        err.to_string(),
        "a validation split of 0.5 leaves no training example out of 1"
    );
}

/// One class (an image folder with one sub-folder) trained to a loss of 0 with any model, its
/// accuracy depending on the output's sign: refused, as a CSV file with one label is.
#[test]
fn one_class_is_refused() {
    let data = Dataset::new(vec![vec![0.0, 1.0], vec![1.0, 0.0]], vec![0, 0], 1).unwrap();
    let model = MLP::seeded(2, &[4, 1], 1);
    let config = FitConfig {
        loss: LossKind::CrossEntropy,
        ..FitConfig::default()
    };
    let err = fit(&model, &data, &config, |_| {}).unwrap_err();
    assert!(matches!(err, TrainError::Shape(_)), "{err:?}");
    assert_eq!(
        err.to_string().rsplit(": ").next().unwrap(),
        "the data has 1 class; a classifier needs at least two",
        "{err}"
    );
}
