//! The network and its training: the [`Playground`] (the seeded MLP, the optimizer, the points'
//! feature rows), one minibatch step (loss, penalty, backward pass, update), the stop when training
//! diverges, and the readouts ([`Stats`]).

use super::config::{short, Config, LossKind, Reg};
use super::data::{features_of, make_points, Point, FEATURES};
use micrograd::loss;
use micrograd::nn::{Activation, Module, MLP};
use micrograd::optim::{Adam, Optimizer, Sgd};
use micrograd::{Tape, Value};
use serde::Serialize;

/// A loss above this (or not finite) stops training: the learning rate is too high.
pub const DIVERGED: f64 = 1e6;

/// How training stands, for the page's readouts.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub step: u64,
    /// Loss (the data loss, without the penalty) over the training and the test points.
    pub train_loss: f64,
    pub test_loss: f64,
    /// Test accuracy in percent, and training accuracy.
    pub accuracy: f64,
    pub train_accuracy: f64,
    /// Why training stopped, if it did.
    pub stopped: Option<String>,
}

/// The training view's state.
pub struct Playground {
    pub(super) config: Config,
    pub(super) feature_ids: Vec<usize>,
    pub(super) loss: LossKind,
    pub(super) reg: Reg,
    pub(super) points: Vec<Point>,
    pub(super) train: usize,
    /// Feature rows of every point.
    pub(super) rows: Vec<Vec<f64>>,
    pub(super) model: MLP,
    pub(super) params: Vec<Value>,
    pub(super) opt: Box<dyn Optimizer>,
    pub(super) cursor: usize,
    pub(super) step: u64,
    pub(super) stopped: Option<String>,
    /// The pictures: the output's then every neuron's, `GRID × GRID` RGBA each.
    pub(super) maps: Vec<Vec<u8>>,
}

impl Playground {
    /// A fresh network on freshly generated data.
    pub fn new(config: Config) -> Result<Playground, String> {
        config.validate()?;
        let feature_ids: Vec<usize> = config
            .features
            .iter()
            .map(|f| FEATURES.iter().position(|(k, _)| k == f).unwrap_or(0))
            .collect();
        let points = make_points(&config)?;
        let test = ((points.len() as f64 * config.test_percent / 100.0).round() as usize)
            .clamp(1, points.len() - 1);
        let train = points.len() - test;
        let rows = points
            .iter()
            .map(|p| features_of(&feature_ids, p.x, p.y))
            .collect();
        let act = config.activation()?;
        let mut nouts = config.hidden.clone();
        nouts.push(1);
        let mut acts = vec![act; config.hidden.len()];
        acts.push(Activation::Linear);
        let model = seeded_mlp(feature_ids.len(), &nouts, &acts, config.seed);
        let params = model.parameters();
        let opt: Box<dyn Optimizer> = match config.optimizer.as_str() {
            "sgd" => Box::new(Sgd::new(config.lr)),
            "momentum" => Box::new(Sgd::new(config.lr).momentum(0.9)),
            _ => Box::new(Adam::new(config.lr)),
        };
        let mut pg = Playground {
            loss: config.loss_kind()?,
            reg: config.reg()?,
            config,
            feature_ids,
            points,
            train,
            rows,
            model,
            params,
            opt,
            cursor: 0,
            step: 0,
            stopped: None,
            maps: Vec::new(),
        };
        pg.render();
        Ok(pg)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The number of training points (the first ones of [`Playground::points`]).
    pub fn train_len(&self) -> usize {
        self.train
    }

    /// One example's loss for a score.
    pub(super) fn example_loss(&self, score: Value, label: usize) -> Value {
        let signed = if label == 1 { 1.0 } else { -1.0 };
        match self.loss {
            LossKind::Hinge => loss::hinge(score, signed),
            LossKind::Bce => loss::bce_with_logits(score, label as f64),
            LossKind::Mse => loss::squared_error(score, signed),
        }
    }

    pub(super) fn score(&self, row: &[f64]) -> Value {
        let xs: Vec<Value> = row.iter().map(|&v| Value::new(v)).collect();
        self.model.forward(&xs)[0]
    }

    /// Trains `steps` minibatch steps (fewer if training stops). Returns whether it is still running.
    pub fn train(&mut self, steps: usize) -> bool {
        for _ in 0..steps {
            if self.stopped.is_some() {
                return false;
            }
            self.one_step();
        }
        self.stopped.is_none()
    }

    fn one_step(&mut self) {
        let batch = self.config.batch.min(self.train);
        let mark = Tape::mark();
        let losses: Vec<Value> = (0..batch)
            .map(|k| {
                let i = (self.cursor + k) % self.train;
                let score = self.score(&self.rows[i]);
                self.example_loss(score, self.points[i].label)
            })
            .collect();
        self.cursor = (self.cursor + batch) % self.train;
        let data_loss = loss::mean(&losses);
        let total = match self.reg {
            Reg::None => data_loss,
            Reg::L2 => data_loss + loss::l2_penalty(&self.params, self.config.reg_rate),
            Reg::L1 => {
                let abs: Vec<Value> = self.params.iter().map(|p| p.abs()).collect();
                data_loss + Value::sum_slice(&abs) * self.config.reg_rate
            }
        };
        let value = total.data();
        if !value.is_finite() || value > DIVERGED {
            Tape::rewind(mark);
            self.stop(value);
            return;
        }
        self.opt.zero_grad(&self.params);
        total.backward();
        self.opt.step(&self.params);
        Tape::rewind(mark);
        self.step += 1;
        if let Some(p) = self.params.iter().find(|p| !p.data().is_finite()) {
            self.stop(p.data());
        }
    }

    fn stop(&mut self, value: f64) {
        // with a penalty on, its rate is the other suspect
        let rates = match self.config.reg() {
            Ok(Reg::L1 | Reg::L2) if self.config.reg_rate > 0.0 => format!(
                "the learning rate {} or the regularization rate {} is",
                short(self.config.lr),
                short(self.config.reg_rate)
            ),
            _ => format!("the learning rate {} is", short(self.config.lr)),
        };
        self.stopped = Some(format!(
            "Training stopped at step {}: the loss (or a weight) became {} — {rates} too high for \
             this network. Lower it and press reset.",
            self.step,
            crate::graph::show(value),
        ));
    }

    /// Mean data loss and accuracy (percent) over points `range`.
    fn evaluate(&self, range: std::ops::Range<usize>) -> (f64, f64) {
        let mark = Tape::mark();
        let n = range.len().max(1) as f64;
        let mut total = 0.0;
        let mut right = 0usize;
        for i in range {
            let score = self.score(&self.rows[i]);
            let label = self.points[i].label;
            total += self.example_loss(score, label).data();
            right += usize::from((score.data() > 0.0) == (label == 1));
        }
        Tape::rewind(mark);
        (total / n, 100.0 * right as f64 / n)
    }

    pub fn stats(&self) -> Stats {
        let (train_loss, train_accuracy) = self.evaluate(0..self.train);
        let (test_loss, accuracy) = self.evaluate(self.train..self.points.len());
        Stats {
            step: self.step,
            train_loss,
            test_loss,
            accuracy,
            train_accuracy,
            stopped: self.stopped.clone(),
        }
    }
}

/// An MLP with weights from `seed` (uniform in [-1, 1), biases 0, as `MLP::seeded`).
fn seeded_mlp(nin: usize, nouts: &[usize], acts: &[Activation], seed: u64) -> MLP {
    // `MLP::seeded` gives micrograd's activations (ReLU, linear last); the same weights with ours:
    let mark = Tape::mark();
    let mut weights = MLP::seeded(nin, nouts, seed).to_weights();
    Tape::rewind(mark);
    for (l, a) in weights.layers.iter_mut().zip(acts) {
        l.activation = *a;
    }
    MLP::from_weights(&weights).expect("a freshly made model is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::play::DOMAIN;

    #[test]
    fn moons_train_to_95_percent() {
        let mut pg = Playground::new(Config::default()).unwrap();
        let before = pg.stats();
        assert_eq!(before.step, 0);
        let mut acc = 0.0;
        for _ in 0..40 {
            pg.train(25);
            acc = pg.stats().accuracy;
            if acc >= 95.0 {
                break;
            }
        }
        assert!(acc >= 95.0, "test accuracy {acc}%");
        assert!(pg.stats().train_loss < before.train_loss);
    }

    #[test]
    fn every_data_set_and_option_runs() {
        for dataset in ["moons", "circles", "spirals", "blobs", "xor"] {
            for (loss, opt, reg) in [
                ("hinge", "sgd", "l1"),
                ("bce", "momentum", "l2"),
                ("mse", "adam", "none"),
            ] {
                let cfg = Config {
                    dataset: dataset.into(),
                    loss: loss.into(),
                    optimizer: opt.into(),
                    regularization: reg.into(),
                    reg_rate: 0.001,
                    features: FEATURES.iter().map(|f| f.0.to_string()).collect(),
                    hidden: vec![4, 3, 2],
                    points: 60,
                    ..Config::default()
                };
                let mut pg = Playground::new(cfg).unwrap();
                assert!(pg.train(5), "{dataset} {loss} {opt}");
                let s = pg.stats();
                assert!(s.train_loss.is_finite() && s.test_loss.is_finite());
                assert_eq!(pg.maps().len(), 1 + 7 + 9);
                assert!(pg.points().iter().all(|p| p.x.abs() < 2.0 * DOMAIN));
            }
        }
    }

    #[test]
    fn a_huge_learning_rate_stops_training_with_a_message() {
        let cfg = Config {
            lr: 1e9,
            optimizer: "sgd".into(),
            loss: "mse".into(),
            activation: "relu".into(),
            ..Config::default()
        };
        let mut pg = Playground::new(cfg).unwrap();
        let mut running = true;
        for _ in 0..200 {
            running = pg.train(1);
            if !running {
                break;
            }
        }
        assert!(!running);
        let why = pg.stats().stopped.unwrap();
        assert!(
            why.contains("the learning rate 1000000000 is too high"),
            "{why}"
        );
    }

    /// With a penalty on, its rate is named too: a huge L1 rate with a small learning rate.
    #[test]
    fn a_huge_regularization_rate_is_named_when_training_stops() {
        let cfg = Config {
            regularization: "l1".into(),
            reg_rate: 1e308,
            ..Config::default()
        };
        let mut pg = Playground::new(cfg).unwrap();
        assert!(!pg.train(5));
        let why = pg.stats().stopped.unwrap();
        assert!(
            why.contains("or the regularization rate 1e308 is too high"),
            "{why}"
        );
    }

    #[test]
    fn xor_trains_to_90_percent_with_the_product_feature() {
        let cfg = Config {
            dataset: "xor".into(),
            features: vec!["x".into(), "y".into(), "xy".into()],
            hidden: vec![],
            ..Config::default()
        };
        let mut pg = Playground::new(cfg).unwrap();
        let mut acc = 0.0;
        for _ in 0..40 {
            pg.train(25);
            acc = pg.stats().accuracy;
            if acc >= 90.0 {
                break;
            }
        }
        assert!(acc >= 90.0, "test accuracy {acc}%");
    }

    #[test]
    fn xor_trains_to_90_percent_with_hidden_layers() {
        let cfg = Config {
            dataset: "xor".into(),
            ..Config::default()
        };
        let mut pg = Playground::new(cfg).unwrap();
        let mut acc = 0.0;
        for _ in 0..80 {
            pg.train(25);
            acc = pg.stats().accuracy;
            if acc >= 90.0 {
                break;
            }
        }
        assert!(acc >= 90.0, "test accuracy {acc}%");
    }
}
