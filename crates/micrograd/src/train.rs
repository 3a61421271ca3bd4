//! Training a binary classifier the way micrograd's `demo.ipynb` does: SVM max-margin (hinge) loss,
//! L2 regularization, plain SGD with a linearly decaying learning rate, full batch.
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

use crate::data::Dataset;
use crate::engine::{Mark, Tape, Value};
use crate::nn::{Dropout, Module, MLP};
use crate::optim::{clip_grad_norm, Adam, AdamW, Optimizer, Schedule, Sgd};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::fmt;
use std::ops::ControlFlow;

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
        let bad = |m: String| Err(TrainError::Config(m));
        if self.steps == 0 {
            return bad("steps must be at least 1".into());
        }
        if !(self.lr_start.is_finite() && self.lr_start > 0.0) {
            return bad(format!(
                "lr_start must be a finite number > 0, got {}",
                self.lr_start
            ));
        }
        // lr_end is where the decay would arrive after the last step: 0 is allowed, every step's
        // rate is still > 0.
        if !(self.lr_end.is_finite() && self.lr_end >= 0.0) {
            return bad(format!(
                "lr_end must be a finite number >= 0, got {}",
                self.lr_end
            ));
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return bad(format!("alpha must be finite and >= 0, got {}", self.alpha));
        }
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

/// Why training stopped or could not start.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The loss of step `step` was NaN or infinite; no update was made in that step.
    NonFiniteLoss {
        /// The step, from 0.
        step: usize,
        /// The loss value.
        loss: f64,
    },
    /// The loss (or, with clipping, the gradient norm) of the batch at update step `step` (counted
    /// over all epochs, from 0) in epoch `epoch` was NaN or infinite; that batch made no update.
    NonFiniteBatchLoss {
        /// The epoch, from 0 (shown from 1, as the console counts epochs).
        epoch: usize,
        /// The update step, from 0 (shown from 1).
        step: usize,
        /// The loss value.
        loss: f64,
    },
    /// The model and the data do not fit together.
    Shape(String),
    /// A hyper-parameter is out of range.
    Config(String),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::NonFiniteLoss { step, loss } => write!(
                f,
                "the loss became {loss} at step {step}; stopped before updating (try a smaller learning rate)"
            ),
            TrainError::NonFiniteBatchLoss { epoch, step, loss } => write!(
                f,
                "the loss became {loss} at update step {} (epoch {}, both counted from 1); stopped before updating (try a smaller learning rate or --clip)",
                step + 1,
                epoch + 1
            ),
            TrainError::Shape(m) | TrainError::Config(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TrainError {}

/// The mean SVM max-margin loss `(Σ relu(1 + (-yᵢ)·sᵢ)) * (1.0 / n)`, the sum left to right from 0.
///
/// # Panics
/// If the slices differ in length or are empty.
///
/// ```
/// use micrograd::train::hinge_loss;
/// use micrograd::Value;
/// let s = [Value::new(2.0), Value::new(0.5)];
/// // relu(1 - 2) = 0 and relu(1 - 0.5) = 0.5, mean 0.25
/// assert_eq!(hinge_loss(&s, &[1.0, 1.0]).data(), 0.25);
/// ```
pub fn hinge_loss(scores: &[Value], ys: &[f64]) -> Value {
    assert_eq!(
        scores.len(),
        ys.len(),
        "micrograd: scores and labels differ in length"
    );
    assert!(!scores.is_empty(), "micrograd: hinge loss of no points");
    let losses: Vec<Value> = scores
        .iter()
        .zip(ys)
        .map(|(&s, &y)| (s * (-y) + 1.0).relu())
        .collect();
    Value::sum_slice(&losses) * (1.0 / scores.len() as f64)
}

/// The L2 penalty `alpha * (p₀·p₀ + p₁·p₁ + ...)`, the sum left to right from 0, as one dot node.
/// Its gradient with respect to `pᵢ` is `2·alpha·pᵢ`.
///
/// ```
/// use micrograd::train::l2_penalty;
/// use micrograd::Value;
/// let p = [Value::new(3.0), Value::new(-4.0)];
/// let r = l2_penalty(&p, 0.5);
/// r.backward();
/// assert_eq!(r.data(), 12.5);
/// assert_eq!(p[0].grad(), 3.0);
/// ```
pub fn l2_penalty(params: &[Value], alpha: f64) -> Value {
    alpha * Value::dot(params, params)
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

/// Runs the demo's training loop step by step on one model and data set.
///
/// The trainer puts the inputs on the tape once, then takes a [`Tape::mark`] and rewinds to it after
/// every step, so memory stays flat. Do not keep [`Value`]s created between steps: they are dropped by
/// the next step's rewind.
pub struct Trainer<'m> {
    model: &'m MLP,
    params: Vec<Value>,
    inputs: Vec<Vec<Value>>,
    ys: Vec<f64>,
    config: TrainConfig,
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
            step: 0,
            mark: Tape::mark(),
        })
    }

    /// The index of the next step.
    pub fn next_step(&self) -> usize {
        self.step
    }

    /// Whether all `config.steps` steps have run.
    pub fn is_done(&self) -> bool {
        self.step >= self.config.steps
    }

    /// Runs one step (see the module docs) and returns what it measured before the update.
    ///
    /// # Errors
    /// [`TrainError::NonFiniteLoss`] if the loss is NaN or infinite; the parameters are then left as
    /// they were before this step.
    pub fn step(&mut self) -> Result<StepRecord, TrainError> {
        let k = self.step;
        let scores: Vec<Value> = self
            .inputs
            .iter()
            .map(|x| self.model.forward(x)[0])
            .collect();
        let data_loss = hinge_loss(&scores, &self.ys);
        let reg_loss = l2_penalty(&self.params, self.config.alpha);
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
        for p in &self.params {
            p.zero_grad();
        }
        total.backward();
        for p in &self.params {
            p.set_data(p.data() - learning_rate * p.grad());
        }
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

// ---------------------------------------------------------------------------------------------------
// The general training loop: any loss, any optimizer, mini-batches, dropout, validation, early stopping.
// ---------------------------------------------------------------------------------------------------

/// The loss [`fit`] minimizes, and how a model's outputs become a predicted class.
///
/// | kind | outputs | per-example loss (from [`crate::loss`]) | predicted class |
/// |---|---|---|---|
/// | `Hinge` | 1 (2 classes) | `relu(1 - y·s)`, `y = ±1` | `s > 0` → 1 |
/// | `Mse` | 1 (2 classes) | `(s - y)²`, `y = ±1` | `s > 0` → 1 |
/// | `Mse` | k | `Σⱼ (sⱼ - [j = c])² / k` (one-hot) | argmax |
/// | `Bce` | 1 (2 classes) | `bce_with_logits(s, y)`, `y ∈ {0, 1}` | `s > 0` → 1 |
/// | `CrossEntropy` | k ≥ 2 | `softmax_cross_entropy(s, c)` | argmax |
///
/// The argmax takes the first of equal outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LossKind {
    /// SVM max-margin loss (micrograd's).
    Hinge,
    /// Mean squared error.
    Mse,
    /// Binary cross-entropy on a logit.
    Bce,
    /// Softmax cross-entropy over k classes.
    CrossEntropy,
}

impl LossKind {
    /// The number of outputs a model trained with this loss on `classes` classes must have.
    ///
    /// ```
    /// use micrograd::train::LossKind;
    /// assert_eq!(LossKind::CrossEntropy.outputs(3), 3);
    /// assert_eq!(LossKind::Mse.outputs(2), 1);
    /// assert_eq!(LossKind::Mse.outputs(4), 4);
    /// ```
    pub fn outputs(self, classes: usize) -> usize {
        match self {
            LossKind::Hinge | LossKind::Bce => 1,
            LossKind::Mse if classes <= 2 => 1,
            LossKind::Mse | LossKind::CrossEntropy => classes,
        }
    }

    /// The per-example loss of `outputs` for true class `class`.
    ///
    /// # Panics
    /// If the number of outputs does not fit the loss (see the table) or `class` is out of range.
    pub fn example_loss(self, outputs: &[Value], class: usize) -> Value {
        let sign = if class == 1 { 1.0 } else { -1.0 };
        match (self, outputs.len()) {
            (LossKind::Hinge, 1) => crate::loss::hinge(outputs[0], sign),
            (LossKind::Mse, 1) => crate::loss::squared_error(outputs[0], sign),
            (LossKind::Mse, k) => {
                assert!(class < k, "micrograd: class {class} of {k} outputs");
                let errs: Vec<Value> = outputs
                    .iter()
                    .enumerate()
                    .map(|(j, &s)| crate::loss::squared_error(s, f64::from(u8::from(j == class))))
                    .collect();
                crate::loss::mean(&errs)
            }
            (LossKind::Bce, 1) => {
                crate::loss::bce_with_logits(outputs[0], f64::from(u8::from(class == 1)))
            }
            (LossKind::CrossEntropy, _) => crate::loss::softmax_cross_entropy(outputs, class),
            (kind, k) => panic!(
                "micrograd: the {} loss takes 1 output, got {k}",
                kind.name()
            ),
        }
    }

    /// The class predicted from plain outputs: `s > 0` for one output, the argmax for several.
    ///
    /// ```
    /// use micrograd::train::LossKind;
    /// assert_eq!(LossKind::Bce.predict(&[0.3]), 1);
    /// assert_eq!(LossKind::CrossEntropy.predict(&[0.3, 2.0, 2.0]), 1);
    /// ```
    pub fn predict(self, outputs: &[f64]) -> usize {
        if outputs.len() == 1 {
            return usize::from(outputs[0] > 0.0);
        }
        argmax(outputs)
    }

    /// The lowercase name, as the CLI spells it: `hinge`, `mse`, `bce`, `ce`.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Hinge => "hinge",
            LossKind::Mse => "mse",
            LossKind::Bce => "bce",
            LossKind::CrossEntropy => "ce",
        }
    }
}

impl std::str::FromStr for LossKind {
    type Err = String;
    /// Parses `hinge`, `mse`, `bce` or `ce` (also `cross-entropy`), case-insensitive.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hinge" | "svm" => Ok(LossKind::Hinge),
            "mse" => Ok(LossKind::Mse),
            "bce" => Ok(LossKind::Bce),
            "ce" | "cross-entropy" | "crossentropy" => Ok(LossKind::CrossEntropy),
            other => Err(format!(
                "unknown loss `{other}` (expected hinge, mse, bce or ce)"
            )),
        }
    }
}

/// The index of the largest value (the first of equal ones); NaNs never win. 0 for an empty slice.
///
/// ```
/// assert_eq!(micrograd::train::argmax(&[1.0, 3.0, 3.0, -2.0]), 1);
/// ```
pub fn argmax(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] || xs[best].is_nan() {
            best = i;
        }
    }
    best
}

/// The optimizer [`fit`] builds (from [`crate::optim`], PyTorch's default betas and eps for Adam).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// Plain SGD: `p ← p - lr·g`.
    Sgd,
    /// SGD with (heavy-ball) momentum `μ`, in `[0, 1)`.
    Momentum(f64),
    /// SGD with Nesterov momentum `μ`, in `[0, 1)`.
    Nesterov(f64),
    /// Adam, betas (0.9, 0.999), eps 1e-8; weight decay is added to the gradient (L2).
    Adam,
    /// AdamW, betas (0.9, 0.999), eps 1e-8; decoupled weight decay.
    AdamW,
}

impl OptimizerKind {
    /// Builds the optimizer with learning rate `lr` and weight decay `weight_decay`.
    pub fn build(self, lr: f64, weight_decay: f64) -> Box<dyn Optimizer> {
        match self {
            OptimizerKind::Sgd => Box::new(Sgd::new(lr).weight_decay(weight_decay)),
            OptimizerKind::Momentum(m) => {
                Box::new(Sgd::new(lr).momentum(m).weight_decay(weight_decay))
            }
            OptimizerKind::Nesterov(m) => Box::new(
                Sgd::new(lr)
                    .momentum(m)
                    .nesterov(true)
                    .weight_decay(weight_decay),
            ),
            OptimizerKind::Adam => Box::new(Adam::new(lr).weight_decay(weight_decay)),
            OptimizerKind::AdamW => Box::new(AdamW::new(lr).weight_decay(weight_decay)),
        }
    }
}

/// The learning-rate schedule of [`fit`], over all its update steps (`epochs × batches per epoch`),
/// turned into an [`optim::Schedule`](crate::optim::Schedule) by [`LrSchedule::resolve`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LrSchedule {
    /// The base rate throughout.
    Constant,
    /// Linear decay from the base rate to `base · end_factor` at the last step.
    Linear {
        /// The final factor (micrograd's demo decays to 0.1).
        end_factor: f64,
    },
    /// Cosine annealing from the base rate to `min_lr` at the last step.
    Cosine {
        /// The final learning rate.
        min_lr: f64,
    },
    /// Multiply by `gamma` every `epochs` epochs.
    Step {
        /// Epochs between decays, at least 1.
        epochs: usize,
        /// The factor.
        gamma: f64,
    },
}

impl LrSchedule {
    /// The per-step schedule for a run of `total_steps` update steps with `steps_per_epoch` steps an
    /// epoch.
    ///
    /// ```
    /// use micrograd::optim::Schedule;
    /// use micrograd::train::LrSchedule;
    /// let s = LrSchedule::Step { epochs: 2, gamma: 0.5 }.resolve(100, 5);
    /// assert_eq!(s, Schedule::Step { step_size: 10, gamma: 0.5 });
    /// ```
    pub fn resolve(self, total_steps: usize, steps_per_epoch: usize) -> Schedule {
        match self {
            LrSchedule::Constant => Schedule::Constant,
            LrSchedule::Linear { end_factor } => Schedule::Linear {
                start_factor: 1.0,
                end_factor,
                total_steps: total_steps.saturating_sub(1),
            },
            LrSchedule::Cosine { min_lr } => Schedule::Cosine {
                total_steps: total_steps.saturating_sub(1),
                min_lr,
            },
            LrSchedule::Step { epochs, gamma } => Schedule::Step {
                step_size: (epochs * steps_per_epoch).max(1),
                gamma,
            },
        }
    }
}

/// Everything [`fit`] needs to know. `FitConfig::default()` is full-batch plain SGD on the hinge loss
/// with lr 0.1 for 100 epochs, no regularization, no validation.
#[derive(Clone, Debug, PartialEq)]
pub struct FitConfig {
    /// The loss.
    pub loss: LossKind,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The base learning rate (finite, > 0).
    pub lr: f64,
    /// The learning-rate schedule.
    pub schedule: LrSchedule,
    /// The optimizer's weight decay (finite, >= 0): L2 added to the gradient for SGD and Adam,
    /// decoupled for AdamW.
    pub weight_decay: f64,
    /// `alpha · Σ p²` added to every batch's loss (micrograd's regularization; finite, >= 0).
    pub l2: f64,
    /// Dropout probability after each hidden layer, in `[0, 1)`; 0 turns it off.
    pub dropout: f64,
    /// Examples per update; 0 means the whole training set (full batch).
    pub batch_size: usize,
    /// Passes over the training set (at least 1).
    pub epochs: usize,
    /// Fraction of the data held out for validation, in `[0, 1)`; 0 means no validation set.
    pub val_split: f64,
    /// Stop after this many epochs without a new best validation loss (needs `val_split > 0`);
    /// the parameters of the best epoch are then restored.
    pub patience: Option<usize>,
    /// Clip the global gradient norm to this (finite, > 0) before each update.
    pub clip: Option<f64>,
    /// Seed of the split, the shuffling and the dropout.
    pub seed: u64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            loss: LossKind::Hinge,
            optimizer: OptimizerKind::Sgd,
            lr: 0.1,
            schedule: LrSchedule::Constant,
            weight_decay: 0.0,
            l2: 0.0,
            dropout: 0.0,
            batch_size: 0,
            epochs: 100,
            val_split: 0.0,
            patience: None,
            clip: None,
            seed: 0,
        }
    }
}

impl FitConfig {
    /// Checks every number is in range (see the fields), so that building the optimizer, the schedule
    /// and the dropout cannot panic. The error names the field.
    ///
    /// ```
    /// use micrograd::train::FitConfig;
    /// let bad = FitConfig { dropout: 1.0, ..FitConfig::default() };
    /// assert_eq!(bad.validate().unwrap_err().to_string(), "dropout must be in [0, 1), got 1");
    /// ```
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr must be a finite number > 0, got {}", self.lr));
        }
        for (name, v) in [("weight_decay", self.weight_decay), ("l2", self.l2)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{name} must be a finite number >= 0, got {v}"));
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if !(0.0..1.0).contains(&self.val_split) {
            return bad(format!(
                "val_split must be in [0, 1), got {}",
                self.val_split
            ));
        }
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if let OptimizerKind::Momentum(m) | OptimizerKind::Nesterov(m) = self.optimizer {
            if !(0.0..1.0).contains(&m) {
                return bad(format!("momentum must be in [0, 1), got {m}"));
            }
        }
        match self.schedule {
            LrSchedule::Constant => {}
            LrSchedule::Linear { end_factor: f } if !(f.is_finite() && f >= 0.0) => {
                return bad(format!(
                    "the linear schedule's end factor must be >= 0, got {f}"
                ));
            }
            LrSchedule::Cosine { min_lr } if !(min_lr.is_finite() && min_lr >= 0.0) => {
                return bad(format!(
                    "the cosine schedule's min_lr must be >= 0, got {min_lr}"
                ));
            }
            LrSchedule::Step { epochs: 0, .. } => {
                return bad("the step schedule's step size must be at least 1 epoch".into());
            }
            LrSchedule::Step { gamma, .. } if !(gamma.is_finite() && gamma > 0.0) => {
                return bad(format!(
                    "the step schedule's gamma must be > 0, got {gamma}"
                ));
            }
            _ => {}
        }
        if let Some(c) = self.clip {
            if !(c.is_finite() && c > 0.0) {
                return bad(format!("clip must be a finite number > 0, got {c}"));
            }
        }
        if let Some(p) = self.patience {
            if p == 0 {
                return bad("patience must be at least 1 epoch".into());
            }
            if self.val_split == 0.0 {
                return bad("early stopping (patience) needs a validation split > 0".into());
            }
        }
        Ok(())
    }
}

/// A seeded train/validation split of `n` examples: `round(n · val_fraction)` of them (at least 1 if
/// `val_fraction > 0`) chosen uniformly at random for validation, the rest for training. Both lists are
/// sorted, disjoint, and together hold every index `0..n` once. The same `(n, val_fraction, seed)`
/// gives the same split.
///
/// ```
/// let (train, val) = micrograd::train::split_indices(10, 0.3, 1);
/// assert_eq!((train.len(), val.len()), (7, 3));
/// ```
pub fn split_indices(n: usize, val_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    idx.shuffle(&mut rng);
    let mut n_val = (n as f64 * val_fraction).round() as usize;
    if val_fraction > 0.0 {
        n_val = n_val.max(1);
    }
    let n_val = n_val.min(n);
    let mut val = idx[..n_val].to_vec();
    let mut train = idx[n_val..].to_vec();
    val.sort_unstable();
    train.sort_unstable();
    (train, val)
}

/// One epoch's mini-batches over `n` examples: a fresh random permutation of `0..n` from `rng`, cut
/// into consecutive batches of `batch_size` (the last one smaller if `batch_size` does not divide
/// `n`). `batch_size` 0, or at least `n`, gives one batch of all examples, in order (no shuffling, no
/// draw from `rng`). Every index appears in exactly one batch.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let b = micrograd::train::shuffled_batches(10, 4, &mut rng);
/// assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
/// ```
pub fn shuffled_batches(n: usize, batch_size: usize, rng: &mut impl Rng) -> Vec<Vec<usize>> {
    let mut idx: Vec<usize> = (0..n).collect();
    if batch_size == 0 || batch_size >= n {
        return vec![idx];
    }
    idx.shuffle(rng);
    idx.chunks(batch_size).map(<[usize]>::to_vec).collect()
}

/// Early stopping on a validation loss: an epoch whose loss is strictly below the best so far becomes
/// the new best; training stops once `patience` epochs in a row have not improved on it.
///
/// ```
/// use micrograd::train::EarlyStopping;
/// let mut es = EarlyStopping::new(2);
/// let curve = [1.0, 0.5, 0.6, 0.4, 0.45, 0.41, 0.3];
/// let stop = curve.iter().enumerate().position(|(e, &l)| es.update(e, l));
/// assert_eq!((stop, es.best_epoch()), (Some(5), Some(3)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    best: Option<(usize, f64)>,
    bad_epochs: usize,
}

impl EarlyStopping {
    /// Stops after `patience` epochs without improvement.
    pub fn new(patience: usize) -> EarlyStopping {
        EarlyStopping {
            patience,
            best: None,
            bad_epochs: 0,
        }
    }

    /// Records epoch `epoch`'s validation loss and returns whether to stop now. A NaN loss never
    /// improves.
    pub fn update(&mut self, epoch: usize, loss: f64) -> bool {
        match self.best {
            Some((_, b)) if loss.partial_cmp(&b) != Some(std::cmp::Ordering::Less) => {
                self.bad_epochs += 1
            }
            None if loss.is_nan() => self.bad_epochs += 1,
            _ => {
                self.best = Some((epoch, loss));
                self.bad_epochs = 0;
            }
        }
        self.bad_epochs >= self.patience
    }

    /// Whether the last epoch given to [`update`](EarlyStopping::update) was a new best.
    pub fn improved(&self) -> bool {
        self.best.is_some() && self.bad_epochs == 0
    }

    /// The epoch with the lowest loss so far.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best.map(|(e, _)| e)
    }

    /// The lowest loss so far.
    pub fn best_loss(&self) -> Option<f64> {
        self.best.map(|(_, l)| l)
    }
}

/// What one epoch of [`fit`] measured, after its last update, with dropout off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord {
    /// The epoch, from 0.
    pub epoch: usize,
    /// The mean per-example loss over the training set (without the `l2` term).
    pub train_loss: f64,
    /// The fraction of the training set classified correctly.
    pub train_accuracy: f64,
    /// The mean per-example loss over the validation set (`None` without a validation set).
    pub val_loss: Option<f64>,
    /// The validation accuracy.
    pub val_accuracy: Option<f64>,
    /// The learning rate of the epoch's last update.
    pub lr: f64,
    /// The update steps taken so far (all epochs).
    pub steps: usize,
}

/// The result of [`fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// One record per epoch run.
    pub epochs: Vec<EpochRecord>,
    /// With early stopping: the epoch whose parameters the model holds now (the best validation loss).
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before `epochs`.
    pub stopped_early: bool,
    /// The number of training and validation examples.
    pub sizes: (usize, usize),
}

/// The mean loss and the accuracy of `model` on `data` (without dropout, without keeping any graph).
///
/// # Errors
/// [`TrainError::Shape`] if the model's inputs or outputs do not fit the data and the loss.
///
/// ```
/// use micrograd::data::blobs;
/// use micrograd::nn::MLP;
/// use micrograd::train::{evaluate, LossKind};
/// let data = blobs(30, 3, 0.1, 1);
/// let model = MLP::seeded(2, &[3], 1);
/// let (loss, acc) = evaluate(&model, &data, LossKind::CrossEntropy).unwrap();
/// assert!(loss > 0.0 && (0.0..=1.0).contains(&acc));
/// ```
pub fn evaluate(model: &MLP, data: &Dataset, loss: LossKind) -> Result<(f64, f64), TrainError> {
    check_fit_shape(model, data, loss)?;
    Ok(eval_rows(
        model,
        data,
        &(0..data.len()).collect::<Vec<_>>(),
        loss,
    ))
}

fn eval_rows(model: &MLP, data: &Dataset, rows: &[usize], loss: LossKind) -> (f64, f64) {
    if rows.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mark = Tape::mark();
    let mut total = 0.0;
    let mut correct = 0usize;
    for &i in rows {
        let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
        let out = model.forward(&x);
        let class = data.labels()[i];
        total += loss.example_loss(&out, class).data();
        let plain: Vec<f64> = out.iter().map(|v| v.data()).collect();
        correct += usize::from(loss.predict(&plain) == class);
        Tape::rewind(mark);
    }
    (
        total / rows.len() as f64,
        correct as f64 / rows.len() as f64,
    )
}

fn check_fit_shape(model: &MLP, data: &Dataset, loss: LossKind) -> Result<(), TrainError> {
    if model.nin() != data.n_features() {
        return Err(TrainError::Shape(format!(
            "the model takes {} inputs but the data has {} features",
            model.nin(),
            data.n_features()
        )));
    }
    let k = data.n_classes();
    if matches!(loss, LossKind::Hinge | LossKind::Bce) && k != 2 {
        return Err(TrainError::Shape(format!(
            "the {} loss trains 2 classes, the data has {k} (use --loss ce)",
            loss.name()
        )));
    }
    let want = loss.outputs(k);
    let ok = model.nout() == want || (loss == LossKind::Mse && k == 2 && model.nout() == 2);
    if !ok {
        return Err(TrainError::Shape(format!(
            "the {} loss on {k} classes needs a model with {want} output{}, this one has {}",
            loss.name(),
            if want == 1 { "" } else { "s" },
            model.nout()
        )));
    }
    Ok(())
}

/// Trains `model` on `data` as `config` says, calling `on_epoch` after every epoch.
///
/// Each epoch: the training examples are shuffled (seeded) and cut into batches
/// ([`shuffled_batches`]); for each batch, with dropout in train mode,
///
/// ```text
/// loss  = mean over the batch of the per-example loss (LossKind)  +  l2 · Σ p²   (if l2 > 0)
/// zero the grads; loss.backward(); clip the global grad norm (if clip);
/// opt.set_lr(schedule.lr(lr, step)); opt.step(params); step += 1
/// ```
///
/// then the training and validation sets are evaluated with dropout off ([`EpochRecord`]). The
/// validation set is a seeded split ([`split_indices`]) of `data`, never trained on. With
/// `patience`, training stops once the validation loss has not improved for `patience` epochs, and
/// **the parameters of the best epoch (lowest validation loss) are restored**, also when all epochs
/// ran ([`FitReport::best_epoch`]); the records of the epochs after it are kept in the report.
///
/// # Errors
/// [`TrainError::Config`] for a bad config or a split that leaves no training example,
/// [`TrainError::Shape`] if the model does not fit the data and the loss, and
/// [`TrainError::NonFiniteBatchLoss`] (naming the epoch and the step) if a batch's loss is NaN or
/// infinite, in which case that batch makes no update.
///
/// ```
/// use micrograd::data::blobs;
/// use micrograd::nn::MLP;
/// use micrograd::train::{fit, FitConfig, LossKind, OptimizerKind};
/// let data = blobs(60, 3, 0.3, 1);
/// let model = MLP::seeded(2, &[8, 3], 1);
/// let config = FitConfig { loss: LossKind::CrossEntropy, optimizer: OptimizerKind::Adam, lr: 0.05,
///     epochs: 30, batch_size: 16, val_split: 0.2, ..FitConfig::default() };
/// let report = fit(&model, &data, &config, |_| {}).unwrap();
/// assert_eq!(report.sizes, (48, 12));
/// assert!(report.epochs.last().unwrap().train_accuracy > 0.9);
/// ```
pub fn fit(
    model: &MLP,
    data: &Dataset,
    config: &FitConfig,
    mut on_epoch: impl FnMut(&EpochRecord),
) -> Result<FitReport, TrainError> {
    fit_until(model, data, config, |r| {
        on_epoch(r);
        ControlFlow::Continue(())
    })
}

/// [`fit`], where `on_epoch` can stop training after any epoch by returning
/// [`ControlFlow::Break`] (a user's interrupt, for a checkpoint): the report then holds the epochs
/// run, and with early stopping the best epoch's parameters are restored as usual.
///
/// # Errors
/// As [`fit`].
///
/// ```
/// use micrograd::data::blobs;
/// use micrograd::nn::MLP;
/// use micrograd::train::{fit_until, FitConfig};
/// use std::ops::ControlFlow;
/// let data = blobs(20, 2, 0.3, 1);
/// let model = MLP::seeded(2, &[4, 1], 1);
/// let config = FitConfig { epochs: 50, ..FitConfig::default() };
/// let report = fit_until(&model, &data, &config, |r| {
///     if r.epoch == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
/// })
/// .unwrap();
/// assert_eq!(report.epochs.len(), 3);
/// ```
pub fn fit_until(
    model: &MLP,
    data: &Dataset,
    config: &FitConfig,
    mut on_epoch: impl FnMut(&EpochRecord) -> ControlFlow<()>,
) -> Result<FitReport, TrainError> {
    config.validate()?;
    check_fit_shape(model, data, config.loss)?;
    let (train_rows, val_rows) = split_indices(data.len(), config.val_split, config.seed);
    if train_rows.is_empty() {
        return Err(TrainError::Config(format!(
            "a validation split of {} leaves no training example out of {}",
            config.val_split,
            data.len()
        )));
    }
    let n = train_rows.len();
    let steps_per_epoch = if config.batch_size == 0 {
        1
    } else {
        n.div_ceil(config.batch_size)
    };
    let total_steps = steps_per_epoch * config.epochs;
    let schedule = config.schedule.resolve(total_steps, steps_per_epoch);
    let params = model.parameters();
    let mut opt = config.optimizer.build(config.lr, config.weight_decay);
    let mut shuffle_rng = StdRng::seed_from_u64(config.seed.wrapping_add(1));
    let mut dropout = Dropout::new(config.dropout, config.seed.wrapping_add(2));
    let mut stopper = config.patience.map(EarlyStopping::new);
    let mut best_params: Option<Vec<f64>> = None;
    let mut report = FitReport {
        epochs: Vec::with_capacity(config.epochs.min(1 << 16)),
        best_epoch: None,
        stopped_early: false,
        sizes: (n, val_rows.len()),
    };
    let mark = Tape::mark();
    let mut step = 0usize;
    let mut lr = config.lr;
    for epoch in 0..config.epochs {
        dropout.train();
        for batch in shuffled_batches(n, config.batch_size, &mut shuffle_rng) {
            let losses: Vec<Value> = batch
                .iter()
                .map(|&b| {
                    let i = train_rows[b];
                    let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
                    let out = model.forward_with_dropout(&x, &mut dropout);
                    config.loss.example_loss(&out, data.labels()[i])
                })
                .collect();
            let mut total = crate::loss::mean(&losses);
            if config.l2 > 0.0 {
                total += crate::loss::l2_penalty(&params, config.l2);
            }
            let value = total.data();
            if !value.is_finite() {
                Tape::rewind(mark);
                return Err(TrainError::NonFiniteBatchLoss {
                    epoch,
                    step,
                    loss: value,
                });
            }
            opt.zero_grad(&params);
            total.backward();
            if let Some(c) = config.clip {
                let norm = clip_grad_norm(&params, c);
                if !norm.is_finite() {
                    Tape::rewind(mark);
                    return Err(TrainError::NonFiniteBatchLoss {
                        epoch,
                        step,
                        loss: norm,
                    });
                }
            }
            lr = schedule.lr(config.lr, step);
            opt.set_lr(lr);
            opt.step(&params);
            Tape::rewind(mark);
            step += 1;
        }
        dropout.eval();
        let (train_loss, train_accuracy) = eval_rows(model, data, &train_rows, config.loss);
        let val = (!val_rows.is_empty()).then(|| eval_rows(model, data, &val_rows, config.loss));
        let record = EpochRecord {
            epoch,
            train_loss,
            train_accuracy,
            val_loss: val.map(|v| v.0),
            val_accuracy: val.map(|v| v.1),
            lr,
            steps: step,
        };
        let flow = on_epoch(&record);
        report.epochs.push(record);
        if let (Some(es), Some((vl, _))) = (stopper.as_mut(), val) {
            let stop = es.update(epoch, vl);
            if es.improved() {
                best_params = Some(params.iter().map(|p| p.data()).collect());
            }
            if stop {
                report.stopped_early = epoch + 1 < config.epochs;
                break;
            }
        }
        if flow.is_break() {
            break;
        }
    }
    if let (Some(es), Some(best)) = (&stopper, &best_params) {
        for (p, &v) in params.iter().zip(best) {
            p.set_data(v);
        }
        report.best_epoch = es.best_epoch();
    }
    Ok(report)
}
