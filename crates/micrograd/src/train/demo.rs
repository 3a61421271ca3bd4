//! micrograd's demo loop: training a binary classifier the way micrograd's `demo.ipynb` does: SVM
//! max-margin (hinge) loss, L2 regularization, plain SGD with a linearly decaying learning rate, full
//! batch.
//!
//! Step `k` (0-based) of [`Trainer::step`], op for op like the demo:
//!
//! ```text
//! score_i   = model(x_i)
//! loss_i    = relu(1 + (-y_i) * score_i)              y_i ∈ {-1, +1}
//! data_loss = (loss_0 + loss_1 + ... + loss_{n-1}) * (1.0 / n)
//! reg_loss  = alpha * (p_0*p_0 + p_1*p_1 + ...)       over every parameter, in order
//! total     = data_loss + reg_loss
//! accuracy  = fraction of i with (y_i > 0) == (score_i > 0)
//! zero the parameters' grads; total.backward()
//! lr_k      = lr_start - (lr_start - lr_end) * k / steps
//! p.data   -= lr_k * p.grad                            for every parameter
//! ```
//!
//! `data_loss` is [`loss::hinge_mean`] and `reg_loss` [`loss::l2_penalty`], which compute these very
//! doubles (`1 - s·y` is `1 + (-y)·s` exactly, and both sums run left to right).
//!
//! The loss and accuracy recorded for step `k` are computed before that step's update. A loss that is
//! NaN or infinite stops training with [`TrainError::NonFiniteLoss`] naming the step, before any update.
//!
//! ```
//! use micrograd::data::moons;
//! use micrograd::nn::MLP;
//! use micrograd::train::{train, TrainConfig};
//!
//! let data = moons(40, 0.1, 1);
//! let model = MLP::seeded(2, &[8, 1], 2);
//! let config = TrainConfig { steps: 20, ..TrainConfig::default() };
//! let records = train(&model, &data, &config, |_| {}).unwrap();
//! assert_eq!(records.len(), 20);
//! assert!(records[19].loss < records[0].loss);
//! ```

use super::error::{at_least_one, non_negative, positive};
use super::{ConfigField, TrainError};
use crate::data::Dataset;
use crate::engine::{Mark, Tape, Value};
use crate::loss;
use crate::nn::{Module, MLP};
use crate::optim::{Optimizer, Sgd};

/// The demo's hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of SGD steps (full batch).
    pub steps: usize,
    /// Learning rate of step 0.
    pub lr_start: f64,
    /// The learning rate the linear decay would reach at step `steps` (the last step, `steps - 1`, uses
    /// slightly more).
    pub lr_end: f64,
    /// L2 regularization strength: `alpha * Σ p²` is added to the loss.
    pub alpha: f64,
}

impl Default for TrainConfig {
    /// The demo's settings: 100 steps, learning rate 1.0 decaying to 0.1, `alpha = 1e-4`.
    fn default() -> Self {
        TrainConfig {
            steps: 100,
            lr_start: 1.0,
            lr_end: 0.1,
            alpha: 1e-4,
        }
    }
}

impl TrainConfig {
    /// `lr_start - (lr_start - lr_end) * step / steps`, evaluated in that order (for the demo's
    /// settings this is `1.0 - 0.9 * k / 100`, the same double as micrograd's).
    ///
    /// ```
    /// use micrograd::train::TrainConfig;
    /// let c = TrainConfig::default();
    /// assert_eq!(c.learning_rate(0), 1.0);
    /// assert_eq!(c.learning_rate(50), 1.0 - 0.9 * 50.0 / 100.0);
    /// ```
    pub fn learning_rate(&self, step: usize) -> f64 {
        self.lr_start - (self.lr_start - self.lr_end) * step as f64 / self.steps as f64
    }

    /// Checks that `steps >= 1`, `lr_start > 0`, `lr_end >= 0` (both finite) and `alpha` is finite and
    /// `>= 0`.
    pub fn validate(&self) -> Result<(), TrainError> {
        at_least_one(ConfigField::Steps, self.steps)?;
        positive(ConfigField::LrStart, self.lr_start)?;
        // lr_end is where the decay would arrive after the last step: 0 is allowed, every step's
        // rate is still > 0.
        non_negative(ConfigField::LrEnd, self.lr_end)?;
        non_negative(ConfigField::Alpha, self.alpha)?;
        Ok(())
    }
}

/// What one training step measured (before its update).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepRecord {
    /// The step index `k`, from 0.
    pub step: usize,
    /// `data_loss + reg_loss`.
    pub loss: f64,
    /// The mean hinge loss.
    pub data_loss: f64,
    /// `alpha * Σ p²`.
    pub reg_loss: f64,
    /// Fraction of training points classified correctly, in `[0, 1]`.
    pub accuracy: f64,
    /// The learning rate this step's update used.
    pub learning_rate: f64,
}

/// The fraction of points with `(yᵢ > 0) == (scoreᵢ > 0)`: micrograd's accuracy for ±1 labels.
/// An empty input gives `NaN`.
///
/// ```
/// use micrograd::train::accuracy;
/// assert_eq!(accuracy(&[0.3, -2.0, 0.0, 1.0], &[1.0, -1.0, 1.0, -1.0]), 0.5);
/// ```
pub fn accuracy(scores: &[f64], ys: &[f64]) -> f64 {
    let correct = scores
        .iter()
        .zip(ys)
        .filter(|(&s, &y)| (y > 0.0) == (s > 0.0))
        .count();
    correct as f64 / scores.len() as f64
}

/// The model's score (its single output) for every row of `data`, without keeping any graph.
///
/// # Errors
/// [`TrainError::Shape`] if the model does not take `data.n_features()` inputs or does not have exactly
/// one output.
pub fn scores(model: &MLP, data: &Dataset) -> Result<Vec<f64>, TrainError> {
    check_shape(model, data)?;
    Ok(data
        .features()
        .iter()
        .map(|x| model.predict(x)[0])
        .collect())
}

fn check_shape(model: &MLP, data: &Dataset) -> Result<(), TrainError> {
    if model.nin() != data.n_features() {
        return Err(TrainError::Shape(format!(
            "the model takes {} inputs but the data has {} features",
            model.nin(),
            data.n_features()
        )));
    }
    if model.nout() != 1 {
        return Err(TrainError::Shape(format!(
            "the hinge loss needs a model with 1 output (a score), this one has {}",
            model.nout()
        )));
    }
    Ok(())
}

/// Runs the demo's training loop step by step on one model and data set, keeping the
/// [trainer contract](super#the-trainer-contract) shared with [`gpt::Trainer`](crate::gpt::Trainer).
///
/// The trainer puts the inputs on the tape once, then takes a [`Tape::mark`] and rewinds to it after
/// every step, so memory stays flat. Do not keep [`Value`]s created between steps: they are dropped by
/// the next step's rewind. The update is [`Sgd`] with the learning rate of
/// [`TrainConfig::learning_rate`].
pub struct Trainer<'m> {
    model: &'m MLP,
    params: Vec<Value>,
    inputs: Vec<Vec<Value>>,
    ys: Vec<f64>,
    config: TrainConfig,
    sgd: Sgd,
    step: usize,
    mark: Mark,
}

impl<'m> Trainer<'m> {
    /// Prepares training `model` on `data` with `config`.
    ///
    /// # Errors
    /// A bad config, a data set that does not have 2 classes, or a model whose inputs do not match
    /// the data or that does not have exactly one output.
    pub fn new(model: &'m MLP, data: &Dataset, config: &TrainConfig) -> Result<Self, TrainError> {
        config.validate()?;
        check_shape(model, data)?;
        let ys = data
            .signed_labels()
            .map_err(|e| TrainError::Shape(e.to_string()))?;
        let inputs = data
            .features()
            .iter()
            .map(|row| row.iter().map(|&x| Value::new(x)).collect())
            .collect();
        Ok(Trainer {
            model,
            params: model.parameters(),
            inputs,
            ys,
            config: config.clone(),
            sgd: Sgd::new(config.lr_start),
            step: 0,
            mark: Tape::mark(),
        })
    }

    /// The model being trained.
    pub fn model(&self) -> &MLP {
        self.model
    }

    /// The number of steps done so far (the index of the next step).
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The planned number of steps, `config.steps`.
    pub fn num_steps(&self) -> usize {
        self.config.steps
    }

    /// Whether all `config.steps` steps have run.
    pub fn is_done(&self) -> bool {
        self.step >= self.config.steps
    }

    /// Runs one step (see the module docs) and returns what it measured before the update.
    ///
    /// # Errors
    /// [`TrainError::NonFiniteLoss`] if the loss is NaN or infinite; the parameters are then left as
    /// they were before this step. [`TrainError::StepsExhausted`] after `config.steps` steps.
    pub fn step(&mut self) -> Result<StepRecord, TrainError> {
        let k = self.step;
        if self.is_done() {
            return Err(TrainError::StepsExhausted {
                steps: self.config.steps,
            });
        }
        let scores: Vec<Value> = self
            .inputs
            .iter()
            .map(|x| self.model.forward(x)[0])
            .collect();
        let data_loss = loss::hinge_mean(&scores, &self.ys);
        let reg_loss = loss::l2_penalty(&self.params, self.config.alpha);
        let total = data_loss + reg_loss;
        let score_data: Vec<f64> = scores.iter().map(|s| s.data()).collect();
        let learning_rate = self.config.learning_rate(k);
        let record = StepRecord {
            step: k,
            loss: total.data(),
            data_loss: data_loss.data(),
            reg_loss: reg_loss.data(),
            accuracy: accuracy(&score_data, &self.ys),
            learning_rate,
        };
        if !record.loss.is_finite() {
            Tape::rewind(self.mark);
            return Err(TrainError::NonFiniteLoss {
                step: k,
                loss: record.loss,
            });
        }
        self.sgd.zero_grad(&self.params);
        total.backward();
        // `p + (-lr)·g`: micrograd's `p.data -= lr * p.grad`, the same double.
        self.sgd.set_lr(learning_rate);
        self.sgd.step(&self.params);
        Tape::rewind(self.mark);
        self.step += 1;
        Ok(record)
    }
}

/// Trains `model` on `data` for `config.steps` steps, calling `on_step` after each, and returns every
/// step's record.
///
/// # Errors
/// As [`Trainer::new`] and [`Trainer::step`]; on a non-finite loss the model keeps the parameters of
/// the last good step.
pub fn train(
    model: &MLP,
    data: &Dataset,
    config: &TrainConfig,
    mut on_step: impl FnMut(&StepRecord),
) -> Result<Vec<StepRecord>, TrainError> {
    let mut trainer = Trainer::new(model, data, config)?;
    let mut records = Vec::with_capacity(config.steps.min(1 << 16));
    while !trainer.is_done() {
        let r = trainer.step()?;
        on_step(&r);
        records.push(r);
    }
    Ok(records)
}
