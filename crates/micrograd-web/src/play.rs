//! The training view's model: a data set, its input features, an MLP with one output (a score whose
//! sign is the class), a loss, an optimizer and a regularizer, trained a few steps at a time, with
//! the pictures the page draws (the decision boundary and every neuron's output over the plane).
//!
//! The engine does all the arithmetic: the network's forward pass, the losses, the backward pass and
//! the optimizer's update. Data sets come from `micrograd::data` (xor is its four blobs, relabelled and
//! turned by 45°), scaled into the page's square `[-DOMAIN, DOMAIN]²`.

use crate::graph::{snapshot, GraphData};
use micrograd::data::Shape;
use micrograd::loss;
use micrograd::nn::{Activation, Module, MLP};
use micrograd::optim::{Adam, Optimizer, Sgd};
use micrograd::{Tape, Value};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The page's square is `[-DOMAIN, DOMAIN]²` in the model's input units.
pub const DOMAIN: f64 = 2.0;
/// The most hidden layers and neurons per layer.
pub const MAX_LAYERS: usize = 6;
pub const MAX_NEURONS: usize = 8;
/// The picture grid: `GRID × GRID` cells over the square.
pub const GRID: usize = 40;
/// A loss above this (or not finite) stops training: the learning rate is too high.
pub const DIVERGED: f64 = 1e6;

/// The input features, in the page's order, with their names in the URL and on the page.
pub const FEATURES: [(&str, &str); 7] = [
    ("x", "x"),
    ("y", "y"),
    ("x2", "x²"),
    ("y2", "y²"),
    ("xy", "xy"),
    ("sinx", "sin x"),
    ("siny", "sin y"),
];

/// Everything the training view can set (the URL hash holds the same fields).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// moons, circles, spirals, blobs or xor.
    pub dataset: String,
    /// Gaussian noise (standard deviation, before scaling; blobs and xor add it to a base spread).
    pub noise: f64,
    /// Number of points, and the share of them held out for testing (percent).
    pub points: usize,
    pub test_percent: f64,
    /// Seed of the data and of the initial weights.
    pub seed: u64,
    /// The input features, by URL name (`x`, `y`, `x2`, `y2`, `xy`, `sinx`, `siny`).
    pub features: Vec<String>,
    /// Neurons per hidden layer (the output layer, one linear neuron, is added).
    pub hidden: Vec<usize>,
    /// relu, tanh, sigmoid or linear (the hidden layers').
    pub activation: String,
    /// hinge, bce (logistic) or mse.
    pub loss: String,
    /// sgd, momentum or adam.
    pub optimizer: String,
    pub lr: f64,
    /// none, l1 or l2, and its rate.
    pub regularization: String,
    pub reg_rate: f64,
    pub batch: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            dataset: "moons".into(),
            noise: 0.1,
            points: 200,
            test_percent: 50.0,
            seed: 1,
            features: vec!["x".into(), "y".into()],
            hidden: vec![8, 8],
            activation: "tanh".into(),
            loss: "hinge".into(),
            optimizer: "adam".into(),
            lr: 0.03,
            regularization: "none".into(),
            reg_rate: 0.0,
            batch: 10,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Data {
    Shape(Shape),
    Xor,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum LossKind {
    Hinge,
    Bce,
    Mse,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Reg {
    None,
    L1,
    L2,
}

impl Config {
    /// Checks every field; the message names the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        self.data()?;
        self.activation()?;
        self.loss_kind()?;
        self.reg()?;
        if !matches!(self.optimizer.as_str(), "sgd" | "momentum" | "adam") {
            return Err(format!(
                "unknown optimizer {:?} (sgd, momentum or adam)",
                self.optimizer
            ));
        }
        if !(self.noise.is_finite() && (0.0..=1.0).contains(&self.noise)) {
            return Err(format!("noise must be between 0 and 1, got {}", self.noise));
        }
        if !(10..=2000).contains(&self.points) {
            return Err(format!(
                "the number of points must be 10 to 2000, got {}",
                self.points
            ));
        }
        if !(self.test_percent.is_finite() && (10.0..=90.0).contains(&self.test_percent)) {
            return Err(format!(
                "the test share must be 10% to 90%, got {}",
                self.test_percent
            ));
        }
        if self.features.is_empty() {
            return Err("choose at least one input feature".into());
        }
        for f in &self.features {
            if !FEATURES.iter().any(|(k, _)| k == f) {
                return Err(format!("unknown feature {f:?}"));
            }
        }
        if self.hidden.len() > MAX_LAYERS {
            return Err(format!("at most {MAX_LAYERS} hidden layers"));
        }
        if self.hidden.iter().any(|&n| !(1..=MAX_NEURONS).contains(&n)) {
            return Err(format!("a layer has 1 to {MAX_NEURONS} neurons"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(format!(
                "the learning rate must be a number > 0, got {}",
                self.lr
            ));
        }
        if !(self.reg_rate.is_finite() && self.reg_rate >= 0.0) {
            return Err(format!(
                "the regularization rate must be >= 0, got {}",
                self.reg_rate
            ));
        }
        if !(1..=2000).contains(&self.batch) {
            return Err(format!(
                "the batch size must be 1 to 2000, got {}",
                self.batch
            ));
        }
        Ok(())
    }

    fn data(&self) -> Result<Data, String> {
        if self.dataset == "xor" {
            return Ok(Data::Xor);
        }
        self.dataset.parse::<Shape>().map(Data::Shape)
    }

    fn activation(&self) -> Result<Activation, String> {
        match self.activation.as_str() {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "sigmoid" => Ok(Activation::Sigmoid),
            "linear" => Ok(Activation::Linear),
            a => Err(format!(
                "unknown activation {a:?} (relu, tanh, sigmoid or linear)"
            )),
        }
    }

    fn loss_kind(&self) -> Result<LossKind, String> {
        match self.loss.as_str() {
            "hinge" => Ok(LossKind::Hinge),
            "bce" => Ok(LossKind::Bce),
            "mse" => Ok(LossKind::Mse),
            l => Err(format!("unknown loss {l:?} (hinge, bce or mse)")),
        }
    }

    fn reg(&self) -> Result<Reg, String> {
        match self.regularization.as_str() {
            "none" => Ok(Reg::None),
            "l1" => Ok(Reg::L1),
            "l2" => Ok(Reg::L2),
            r => Err(format!("unknown regularization {r:?} (none, l1 or l2)")),
        }
    }
}

/// A point of the data set, in the page's square, with its class (0 or 1).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub label: usize,
}

/// The data set: points and their classes, the first `train` for training, the rest for testing.
fn make_points(cfg: &Config) -> Result<Vec<Point>, String> {
    let n = cfg.points;
    let seed = cfg.seed;
    let spread = 0.25 + 2.0 * cfg.noise;
    let (data, map): (_, fn(&[f64], usize) -> Point) = match cfg.data()? {
        Data::Shape(Shape::Moons) => (Shape::Moons.generate(n, 2, cfg.noise, seed), |r, c| {
            point(r[0] - 0.5, r[1] - 0.25, 1.6 / 1.5, c)
        }),
        Data::Shape(Shape::Blobs) => (Shape::Blobs.generate(n, 2, spread, seed), |r, c| {
            point(r[0], r[1], 0.6, c)
        }),
        Data::Shape(shape) => (shape.generate(n, 2, cfg.noise, seed), |r, c| {
            point(r[0], r[1], 1.6, c)
        }),
        // Four blobs at (±2, 0), (0, ±2), opposite ones of one class, turned by 45°: xor.
        Data::Xor => (Shape::Blobs.generate(n, 4, spread, seed), |r, c| {
            let s = std::f64::consts::FRAC_1_SQRT_2;
            point(s * (r[0] - r[1]), s * (r[0] + r[1]), 0.6, c % 2)
        }),
    };
    let data = data.map_err(|e| e.to_string())?;
    Ok(data.iter().map(|(r, c)| map(r, c)).collect())
}

fn point(x: f64, y: f64, scale: f64, label: usize) -> Point {
    Point {
        x: x * scale,
        y: y * scale,
        label,
    }
}

/// The feature vector of a point.
fn features_of(names: &[usize], x: f64, y: f64) -> Vec<f64> {
    names
        .iter()
        .map(|&k| match k {
            0 => x,
            1 => y,
            2 => x * x,
            3 => y * y,
            4 => x * y,
            5 => x.sin(),
            _ => y.sin(),
        })
        .collect()
}

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

/// One weight of the network, for the page's links.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// The layer (0: the first hidden layer, or the output layer if there is none), the neuron in
    /// it, and the input (a feature for layer 0, a neuron of the layer before otherwise).
    pub layer: usize,
    pub neuron: usize,
    pub input: usize,
    pub weight: f64,
}

/// The network for the page: layer sizes (features first, output last), links, biases.
#[derive(Clone, Debug, Serialize)]
pub struct Network {
    pub features: Vec<String>,
    pub sizes: Vec<usize>,
    pub links: Vec<Link>,
    pub biases: Vec<Vec<f64>>,
}

/// The training view's state.
pub struct Playground {
    config: Config,
    feature_ids: Vec<usize>,
    loss: LossKind,
    reg: Reg,
    points: Vec<Point>,
    train: usize,
    /// Feature rows of every point.
    rows: Vec<Vec<f64>>,
    model: MLP,
    params: Vec<Value>,
    opt: Box<dyn Optimizer>,
    cursor: usize,
    step: u64,
    stopped: Option<String>,
    /// The pictures: the output's then every neuron's, `GRID × GRID` RGBA each.
    maps: Vec<Vec<u8>>,
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
    fn example_loss(&self, score: Value, label: usize) -> Value {
        let signed = if label == 1 { 1.0 } else { -1.0 };
        match self.loss {
            LossKind::Hinge => loss::hinge(score, signed),
            LossKind::Bce => loss::bce_with_logits(score, label as f64),
            LossKind::Mse => loss::squared_error(score, signed),
        }
    }

    fn score(&self, row: &[f64]) -> Value {
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
        self.stopped = Some(format!(
            "Training stopped at step {}: the loss (or a weight) became {} — the learning rate {} \
             is too high for this network. Lower it and press reset.",
            self.step,
            crate::graph::show(value),
            self.config.lr
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

    pub fn network(&self) -> Network {
        let mut sizes = vec![self.feature_ids.len()];
        let mut links = Vec::new();
        let mut biases = Vec::new();
        for (l, layer) in self.model.layers().iter().enumerate() {
            sizes.push(layer.nout());
            biases.push(layer.neurons().iter().map(|n| n.bias().data()).collect());
            for (j, neuron) in layer.neurons().iter().enumerate() {
                for (i, w) in neuron.weights().iter().enumerate() {
                    links.push(Link {
                        layer: l,
                        neuron: j,
                        input: i,
                        weight: w.data(),
                    });
                }
            }
        }
        Network {
            features: self
                .feature_ids
                .iter()
                .map(|&k| FEATURES[k].1.to_string())
                .collect(),
            sizes,
            links,
            biases,
        }
    }

    /// Sets one weight (see [`Link`]); `input == nin` sets the neuron's bias.
    pub fn set_weight(
        &mut self,
        layer: usize,
        neuron: usize,
        input: usize,
        value: f64,
    ) -> Result<(), String> {
        if !value.is_finite() {
            return Err(format!("a weight must be a finite number, got {value}"));
        }
        let n = self
            .model
            .layers()
            .get(layer)
            .and_then(|l| l.neurons().get(neuron))
            .ok_or_else(|| format!("no neuron {neuron} in layer {layer}"))?;
        let p = match n.weights().get(input) {
            Some(&w) => w,
            None if input == n.weights().len() => n.bias(),
            None => return Err(format!("neuron {neuron} has no input {input}")),
        };
        p.set_data(value);
        self.stopped = None;
        self.render();
        Ok(())
    }

    /// Recomputes the pictures: the output over the square, then every input feature's, then every
    /// hidden neuron's.
    pub fn render(&mut self) {
        let layers = self.model.layers();
        let hidden: usize = layers[..layers.len() - 1].iter().map(|l| l.nout()).sum();
        let nf = self.feature_ids.len();
        let mut outs = vec![vec![0.0f64; GRID * GRID]; 1 + nf + hidden];
        let mark = Tape::mark();
        for gy in 0..GRID {
            for gx in 0..GRID {
                let (x, y) = cell_centre(gx, gy);
                let row = features_of(&self.feature_ids, x, y);
                for (f, &v) in row.iter().enumerate() {
                    outs[1 + f][gy * GRID + gx] = v;
                }
                let mut h: Vec<Value> = row.iter().map(|&v| Value::new(v)).collect();
                let mut k = 1 + nf;
                for (l, layer) in layers.iter().enumerate() {
                    h = layer.forward(&h);
                    if l + 1 < layers.len() {
                        for v in &h {
                            outs[k][gy * GRID + gx] = v.data();
                            k += 1;
                        }
                    }
                }
                outs[0][gy * GRID + gx] = h[0].data();
            }
            Tape::rewind(mark);
        }
        let bce = self.loss == LossKind::Bce;
        self.maps = outs
            .iter()
            .enumerate()
            .map(|(m, vals)| {
                let scale = if m == 0 {
                    1.0
                } else {
                    vals.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-9)
                };
                let mut px = Vec::with_capacity(GRID * GRID * 4);
                for &v in vals {
                    // The output: its score as a class-1 margin (tanh(z/2) = 2σ(z) - 1 for logits).
                    let t = if m == 0 && bce {
                        (v / 2.0).tanh()
                    } else {
                        v / scale
                    };
                    px.extend_from_slice(&colour(t));
                }
                px
            })
            .collect();
    }

    /// The pictures (RGBA, `GRID × GRID`): 0 is the output, then the input features, then the hidden
    /// neurons layer by layer.
    pub fn maps(&self) -> &[Vec<u8>] {
        &self.maps
    }

    /// The network's forward graph for the point `(x, y)`, with the gradients of its score (and, when
    /// `label` is given, of that example's loss).
    pub fn point_graph(&self, x: f64, y: f64, label: Option<usize>) -> GraphData {
        let mark = Tape::mark();
        let mut names: HashMap<usize, String> = HashMap::new();
        for (l, layer) in self.model.layers().iter().enumerate() {
            for (j, n) in layer.neurons().iter().enumerate() {
                for (i, w) in n.weights().iter().enumerate() {
                    names.insert(w.id(), format!("w{}.{}.{}", l + 1, j + 1, i + 1));
                }
                names.insert(n.bias().id(), format!("b{}.{}", l + 1, j + 1));
            }
        }
        let row = features_of(&self.feature_ids, x, y);
        let xs: Vec<Value> = row.iter().map(|&v| Value::new(v)).collect();
        for (&k, v) in self.feature_ids.iter().zip(&xs) {
            names.insert(v.id(), FEATURES[k].1.to_string());
        }
        let score = self.model.forward(&xs)[0];
        names.insert(score.id(), "score".into());
        let root = match label {
            Some(c) => {
                let l = self.example_loss(score, c);
                names.insert(l.id(), "loss".into());
                l
            }
            None => score,
        };
        self.model.zero_grad();
        let graph = snapshot(root, &|v| names.get(&v.id()).cloned());
        self.model.zero_grad();
        Tape::rewind(mark);
        graph
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

/// The centre of grid cell `(gx, gy)` in the square (row 0 at the top: largest y).
pub fn cell_centre(gx: usize, gy: usize) -> (f64, f64) {
    let cell = 2.0 * DOMAIN / GRID as f64;
    (
        -DOMAIN + (gx as f64 + 0.5) * cell,
        DOMAIN - (gy as f64 + 0.5) * cell,
    )
}

/// TensorFlow Playground's colours: orange for -1 (class 0), white for 0, blue for +1 (class 1).
pub fn colour(t: f64) -> [u8; 4] {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (r, g, b) = if t >= 0.0 {
        lerp((245.0, 245.0, 245.0), (8.0, 119.0, 189.0), t)
    } else {
        lerp((245.0, 245.0, 245.0), (245.0, 147.0, 34.0), -t)
    };
    [r, g, b, 255]
}

fn lerp(a: (f64, f64, f64), b: (f64, f64, f64), t: f64) -> (u8, u8, u8) {
    let f = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    (f(a.0, b.0), f(a.1, b.1), f(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(pg.stats().stopped.unwrap().contains("learning rate"));
    }

    #[test]
    fn bad_configs_are_refused() {
        for cfg in [
            Config {
                dataset: "donut".into(),
                ..Config::default()
            },
            Config {
                hidden: vec![9],
                ..Config::default()
            },
            Config {
                hidden: vec![1; 7],
                ..Config::default()
            },
            Config {
                lr: f64::NAN,
                ..Config::default()
            },
            Config {
                features: vec![],
                ..Config::default()
            },
        ] {
            assert!(Playground::new(cfg).is_err());
        }
    }

    #[test]
    fn weights_can_be_set_and_the_point_graph_has_the_network() {
        let mut pg = Playground::new(Config::default()).unwrap();
        pg.set_weight(0, 0, 1, 0.25).unwrap();
        let net = pg.network();
        assert_eq!(net.sizes, vec![2, 8, 8, 1]);
        assert_eq!(net.links.len(), 2 * 8 + 8 * 8 + 8);
        assert_eq!(net.links[1].weight, 0.25);
        pg.set_weight(0, 0, 2, -0.5).unwrap();
        assert_eq!(pg.network().biases[0][0], -0.5);
        assert!(pg.set_weight(0, 0, 3, 1.0).is_err());
        assert!(pg.set_weight(5, 0, 0, 1.0).is_err());
        let before = Tape::len();
        let g = pg.point_graph(0.5, -0.5, Some(1));
        assert_eq!(Tape::len(), before);
        assert!(g.nodes.iter().any(|n| n.label.as_deref() == Some("w1.1.2")));
        assert_eq!(g.nodes.last().unwrap().label.as_deref(), Some("loss"));
        // Training afterwards is not disturbed by the graph's gradients.
        assert!(pg.train(3));
    }
}
