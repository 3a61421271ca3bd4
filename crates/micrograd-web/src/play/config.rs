//! The settings: [`Config`] (the fields the page keeps in its URL hash), their defaults, their
//! checks, and their names read into the kinds the other parts use.

use super::data::FEATURES;
use micrograd::data::Shape;
use micrograd::nn::Activation;
use serde::{Deserialize, Serialize};

/// The most hidden layers and neurons per layer.
pub const MAX_LAYERS: usize = 6;
pub const MAX_NEURONS: usize = 8;

/// Everything the training view can set (the URL hash holds the same fields).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// moons, circles, spirals, blobs or xor.
    pub dataset: String,
    /// Gaussian noise (standard deviation, before scaling; blobs add it to a base spread).
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
pub(super) enum LossKind {
    Hinge,
    Bce,
    Mse,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Reg {
    None,
    L1,
    L2,
}

/// A setting as a message shows it: as typed when that is short (`0.03`, `150`), else in exponent
/// form (`1e308`, not 309 digits).
pub(super) fn short(x: f64) -> String {
    let plain = format!("{x}");
    if plain.len() <= 12 {
        plain
    } else {
        format!("{x:e}")
    }
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
            return Err(format!(
                "noise must be between 0 and 1, got {}",
                short(self.noise)
            ));
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
                short(self.test_percent)
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
                short(self.lr)
            ));
        }
        if !(self.reg_rate.is_finite() && self.reg_rate >= 0.0) {
            return Err(format!(
                "the regularization rate must be >= 0, got {}",
                short(self.reg_rate)
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

    /// The data set's shape (`micrograd::data`'s, xor included).
    pub(super) fn data(&self) -> Result<Shape, String> {
        self.dataset.parse::<Shape>()
    }

    pub(super) fn activation(&self) -> Result<Activation, String> {
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

    pub(super) fn loss_kind(&self) -> Result<LossKind, String> {
        match self.loss.as_str() {
            "hinge" => Ok(LossKind::Hinge),
            "bce" => Ok(LossKind::Bce),
            "mse" => Ok(LossKind::Mse),
            l => Err(format!("unknown loss {l:?} (hinge, bce or mse)")),
        }
    }

    pub(super) fn reg(&self) -> Result<Reg, String> {
        match self.regularization.as_str() {
            "none" => Ok(Reg::None),
            "l1" => Ok(Reg::L1),
            "l2" => Ok(Reg::L2),
            r => Err(format!("unknown regularization {r:?} (none, l1 or l2)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_every_data_set_name_is_known() {
        assert_eq!(Config::default().validate(), Ok(()));
        for dataset in ["moons", "circles", "spirals", "blobs", "xor"] {
            let cfg = Config {
                dataset: dataset.into(),
                ..Config::default()
            };
            assert_eq!(cfg.data().unwrap().name(), dataset);
        }
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
            assert!(cfg.validate().is_err());
        }
        // a number in a message is shown short, not as 309 digits
        let e = Config {
            noise: 1e308,
            ..Config::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e, "noise must be between 0 and 1, got 1e308");
    }
}
