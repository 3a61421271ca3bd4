//! The training step's pieces against hand-derived numbers, and its error handling.

use micrograd::data::{moons, Dataset};
use micrograd::loss::{hinge_mean, l2_penalty};
use micrograd::nn::{Activation, LayerWeights, MlpWeights, Module, NeuronWeights, MLP};
use micrograd::train::{accuracy, train, TrainConfig, TrainError, Trainer};
use micrograd::Value;

fn linear(w: &[f64], b: f64) -> MLP {
    MLP::from_weights(&MlpWeights {
        nin: w.len(),
        layers: vec![LayerWeights {
            activation: Activation::Linear,
            neurons: vec![NeuronWeights { w: w.to_vec(), b }],
        }],
    })
    .unwrap()
}

#[test]
fn hinge_loss_value_and_gradient() {
    let s = [Value::new(0.5), Value::new(-2.0), Value::new(3.0)];
    let ys = [1.0, 1.0, -1.0];
    let l = hinge_mean(&s, &ys);
    // relu(1 - 0.5) + relu(1 + 2) + relu(1 + 3) = 0.5 + 3 + 4, times 1/3
    assert_eq!(l.data(), (0.5 + 3.0 + 4.0) * (1.0 / 3.0));
    l.backward();
    assert_eq!(s.map(|v| v.grad()), [-1.0 / 3.0, -1.0 / 3.0, 1.0 / 3.0]);
    // a point beyond the margin contributes nothing
    let s = [Value::new(1.5)];
    let l = hinge_mean(&s, &[1.0]);
    l.backward();
    assert_eq!((l.data(), s[0].grad()), (0.0, 0.0));
}

#[test]
fn l2_and_accuracy_and_schedule() {
    let p = [Value::new(0.5), Value::new(-2.0)];
    let r = l2_penalty(&p, 1e-4);
    r.backward();
    assert_eq!(r.data(), 1e-4 * 4.25);
    assert_eq!(p.map(|v| v.grad()), [1e-4, -4e-4]);
    assert_eq!(accuracy(&[1.0, -1.0, 0.0], &[1.0, 1.0, -1.0]), 2.0 / 3.0);
    let c = TrainConfig::default();
    let lrs: Vec<f64> = (0..100).map(|k| c.learning_rate(k)).collect();
    for (k, lr) in lrs.iter().enumerate() {
        assert_eq!(*lr, 1.0 - 0.9 * k as f64 / 100.0); // micrograd's expression, bit for bit
    }
    let c = TrainConfig {
        steps: 4,
        lr_start: 0.5,
        lr_end: 0.1,
        alpha: 0.0,
    };
    assert!((c.learning_rate(2) - 0.3).abs() < 1e-15);
}

#[test]
fn one_step_by_hand() {
    // score = w*x + b on two points; alpha = 0.5, lr = 0.1
    let model = linear(&[0.5], 0.0);
    let data = Dataset::from_signed(vec![vec![1.0], vec![-2.0]], &[1.0, 1.0]).unwrap();
    let config = TrainConfig {
        steps: 1,
        lr_start: 0.1,
        lr_end: 0.0,
        alpha: 0.5,
    };
    let mut t = Trainer::new(&model, &data, &config).unwrap();
    let r = t.step().unwrap();
    // scores 0.5 and -1.0: hinge 0.5 and 2.0, mean 1.25; reg 0.5 * 0.25
    assert_eq!(r.data_loss, 1.25);
    assert_eq!(r.reg_loss, 0.125);
    assert_eq!(r.loss, 1.375);
    assert_eq!(r.accuracy, 0.5);
    assert_eq!(r.learning_rate, 0.1);
    // dL/dw = mean(-y*x over active points) + 2*alpha*w = (-1 + 2)/2 + 0.5 = 1.0; dL/db = (-1 - 1)/2 = -1
    let p: Vec<f64> = model.parameters().iter().map(|v| v.data()).collect();
    assert!((p[0] - (0.5 - 0.1 * 1.0)).abs() < 1e-15, "{p:?}");
    assert!((p[1] - 0.1).abs() < 1e-15, "{p:?}");
    assert!(t.is_done());
    assert_eq!((t.steps_done(), t.num_steps()), (1, 1));
    // Past the plan: an error, and nothing changes.
    assert_eq!(t.step(), Err(TrainError::StepsExhausted { steps: 1 }));
    let q: Vec<f64> = t.model().parameters().iter().map(|v| v.data()).collect();
    assert_eq!(p, q);
}

#[test]
fn training_learns_and_the_last_records_are_good() {
    let data = moons(60, 0.05, 3);
    let model = MLP::seeded(2, &[12, 12, 1], 4);
    let mut seen = 0;
    let rs = train(
        &model,
        &data,
        &TrainConfig {
            steps: 60,
            ..TrainConfig::default()
        },
        |r| {
            assert_eq!(r.step, seen);
            seen += 1;
        },
    )
    .unwrap();
    assert_eq!(seen, 60);
    assert!(
        rs[59].loss < 0.5 * rs[0].loss,
        "{} -> {}",
        rs[0].loss,
        rs[59].loss
    );
    assert!(rs[59].accuracy >= 0.85, "{}", rs[59].accuracy);
}

#[test]
fn non_finite_loss_stops_before_updating() {
    let model = linear(&[1e200, 1e200], 0.0);
    let data = Dataset::from_signed(vec![vec![1e200, 1e200]], &[-1.0]).unwrap();
    let before = model.to_weights();
    let err = train(&model, &data, &TrainConfig::default(), |_| {}).unwrap_err();
    assert_eq!(
        err,
        TrainError::NonFiniteLoss {
            step: 0,
            loss: f64::INFINITY
        }
    );
    assert!(err.to_string().contains("at step 0"));
    assert_eq!(model.to_weights(), before);
}

#[test]
fn shapes_and_configs_are_checked() {
    let data = moons(10, 0.1, 0);
    let bad =
        |m: &MLP, d: &Dataset, c: &TrainConfig| Trainer::new(m, d, c).err().unwrap().to_string();
    let c = TrainConfig::default();
    assert_eq!(
        bad(&MLP::seeded(3, &[4, 1], 0), &data, &c),
        "the model takes 3 inputs but the data has 2 features"
    );
    assert!(bad(&MLP::seeded(2, &[4, 2], 0), &data, &c).contains("1 output"));
    let k3 = Dataset::new(vec![vec![0.0, 0.0]; 3], vec![0, 1, 2], 3).unwrap();
    assert!(bad(&MLP::seeded(2, &[1], 0), &k3, &c).contains("2 classes"));
    let m = MLP::seeded(2, &[1], 0);
    assert!(bad(
        &m,
        &data,
        &TrainConfig {
            steps: 0,
            ..c.clone()
        }
    )
    .contains("steps"));
    assert!(bad(
        &m,
        &data,
        &TrainConfig {
            alpha: -1.0,
            ..c.clone()
        }
    )
    .contains("alpha"));
    assert!(bad(
        &m,
        &data,
        &TrainConfig {
            lr_start: f64::NAN,
            ..c.clone()
        }
    )
    .contains("finite"));
    // Typed: which field, which bound; the messages word for word.
    use micrograd::train::{Bound, ConfigError, ConfigField};
    let err = |c: TrainConfig| c.validate().unwrap_err();
    let e = err(TrainConfig {
        lr_end: f64::INFINITY,
        ..c.clone()
    });
    assert_eq!(
        e,
        TrainError::Config(ConfigError {
            field: ConfigField::LrEnd,
            bound: Bound::NonNegative {
                found: f64::INFINITY
            }
        })
    );
    assert_eq!(
        e.to_string(),
        "lr_end must be a finite number >= 0, got inf"
    );
    let e = err(TrainConfig {
        lr_start: -1.0,
        ..c.clone()
    });
    assert_eq!(
        e,
        TrainError::Config(ConfigError {
            field: ConfigField::LrStart,
            bound: Bound::Positive { found: -1.0 }
        })
    );
    assert_eq!(
        e.to_string(),
        "lr_start must be a finite number > 0, got -1"
    );
    let e = err(TrainConfig {
        steps: 0,
        ..c.clone()
    });
    assert_eq!(
        e,
        TrainError::Config(ConfigError {
            field: ConfigField::Steps,
            bound: Bound::AtLeastOne
        })
    );
    assert_eq!(e.to_string(), "steps must be at least 1");
    let e = err(TrainConfig {
        alpha: -1.0,
        ..c.clone()
    });
    assert_eq!(
        e,
        TrainError::Config(ConfigError {
            field: ConfigField::Alpha,
            bound: Bound::NonNegative { found: -1.0 }
        })
    );
    assert_eq!(e.to_string(), "alpha must be finite and >= 0, got -1");
    for (lr_start, lr_end) in [(0.0, 0.1), (-1.0, 0.1), (1.0, -0.5)] {
        let msg = bad(
            &m,
            &data,
            &TrainConfig {
                lr_start,
                lr_end,
                ..c.clone()
            },
        );
        let field = if lr_start > 0.0 { "lr_end" } else { "lr_start" };
        assert!(msg.starts_with(field), "{msg}");
    }
}
