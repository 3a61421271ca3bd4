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
//! **Replayed.** The step's graph is the same at every step (the same data, the same model; only the
//! parameters' numbers change, and `relu`'s branches, which are ops), so the trainer records it once,
//! when it is made, and replays it at every step ([`Execution::Replay`], the default): the forward
//! pass and the backward sweep over the recorded nodes, without building them on the tape again. The
//! replay computes every node with the formula the tape used and adds every gradient contribution in
//! the tape's order, so the two executions give the same records and parameters, bit for bit
//! ([`Execution::Eager`] records every step on the tape, as micrograd does).
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
use crate::engine::{record_above, Mark, Replay, Tape, Value};
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
/// [`TrainConfig::learning_rate`]. A step is computed as its [`Execution`] says (by default, by
/// replaying the step's graph, recorded in `new`); after it, every parameter holds its updated value
/// and the gradient that update used, whichever the execution.
pub struct Trainer<'m> {
    model: &'m MLP,
    params: Vec<Value>,
    inputs: Vec<Vec<Value>>,
    ys: Vec<f64>,
    config: TrainConfig,
    sgd: Sgd,
    step: usize,
    mark: Mark,
    /// The step's recorded graph, for [`Execution::Replay`].
    graph: Option<StepGraph>,
}

/// How a [`Trainer`] computes its steps. Both give the same records and parameters, bit for bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Execution {
    /// The step's graph is recorded once, when the trainer is made, and replayed at every step
    /// (forward and backward over the recorded nodes, without the tape): faster.
    #[default]
    Replay,
    /// Every step builds its graph on the tape, backpropagates it and rewinds (micrograd's way).
    Eager,
}

/// The step's graph as recorded for [`Execution::Replay`]: its inputs are the parameters (in
/// [`Module::parameters`] order), the data points are constants, and it is watched at the scores,
/// the data loss and the L2 term.
struct StepGraph {
    replay: Replay,
    /// The graph's nodes of the scores, of `data_loss` and of `reg_loss`.
    scores: Vec<usize>,
    data_loss: usize,
    reg_loss: usize,
    /// Buffers reused at every step: the gradient and the scores' values.
    grad: Vec<f64>,
    score_data: Vec<f64>,
}

impl<'m> Trainer<'m> {
    /// Prepares training `model` on `data` with `config`.
    ///
    /// # Errors
    /// A bad config, a data set that does not have 2 classes, or a model whose inputs do not match
    /// the data or that does not have exactly one output.
    pub fn new(model: &'m MLP, data: &Dataset, config: &TrainConfig) -> Result<Self, TrainError> {
        Self::with_execution(model, data, config, Execution::Replay)
    }

    /// [`Trainer::new`], computing the steps as `execution` says.
    ///
    /// # Errors
    /// As [`Trainer::new`].
    pub fn with_execution(
        model: &'m MLP,
        data: &Dataset,
        config: &TrainConfig,
        execution: Execution,
    ) -> Result<Self, TrainError> {
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
        let mut trainer = Trainer {
            model,
            params: model.parameters(),
            inputs,
            ys,
            config: config.clone(),
            sgd: Sgd::new(config.lr_start),
            step: 0,
            mark: Tape::mark(),
            graph: None,
        };
        if execution == Execution::Replay {
            trainer.graph = trainer.record();
        }
        Ok(trainer)
    }

    /// How the steps are computed: [`Execution::Replay`] unless asked otherwise (or unless the
    /// step's graph could not be recorded, which an [`MLP`] always allows).
    pub fn execution(&self) -> Execution {
        match self.graph {
            Some(_) => Execution::Replay,
            None => Execution::Eager,
        }
    }

    /// The step's forward pass on the tape (above the mark): the scores, the data loss, the L2 term
    /// and the total loss.
    fn forward(&self) -> (Vec<Value>, Value, Value, Value) {
        let scores: Vec<Value> = self
            .inputs
            .iter()
            .map(|x| self.model.forward(x)[0])
            .collect();
        let data_loss = loss::hinge_mean(&scores, &self.ys);
        let reg_loss = loss::l2_penalty(&self.params, self.config.alpha);
        (scores, data_loss, reg_loss, data_loss + reg_loss)
    }

    /// Records the step's graph for the replay (and rewinds): the parameters as its inputs, the data
    /// points as constants.
    fn record(&self) -> Option<StepGraph> {
        let (scores, data_loss, reg_loss, total) = self.forward();
        let leaves: Vec<Value> = self
            .params
            .iter()
            .chain(self.inputs.iter().flatten())
            .copied()
            .collect();
        let mut watch = scores;
        watch.extend([data_loss, reg_loss]);
        let recorded = record_above(self.mark, &leaves, self.params.len(), total, &watch);
        Tape::rewind(self.mark);
        let (replay, mut watched) = recorded.ok()?;
        let reg_loss = watched.pop()?;
        let data_loss = watched.pop()?;
        Some(StepGraph {
            grad: vec![0.0; self.params.len()],
            score_data: vec![0.0; watched.len()],
            scores: watched,
            data_loss,
            reg_loss,
            replay,
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
        let learning_rate = self.config.learning_rate(k);
        let record = match &mut self.graph {
            Some(graph) => Self::replayed_step(graph, &self.params, &self.ys, k, learning_rate),
            None => self.eager_step(k, learning_rate),
        }?;
        // `p + (-lr)·g`: micrograd's `p.data -= lr * p.grad`, the same double.
        self.sgd.set_lr(learning_rate);
        self.sgd.step(&self.params);
        self.step += 1;
        Ok(record)
    }
}

impl Trainer<'_> {
    /// Step `k`'s forward and backward pass on the tape: the record, and the parameters' gradients
    /// (the tape rewound either way).
    fn eager_step(&mut self, k: usize, learning_rate: f64) -> Result<StepRecord, TrainError> {
        let (scores, data_loss, reg_loss, total) = self.forward();
        let score_data: Vec<f64> = scores.iter().map(|s| s.data()).collect();
        let record = StepRecord {
            step: k,
            loss: total.data(),
            data_loss: data_loss.data(),
            reg_loss: reg_loss.data(),
            accuracy: accuracy(&score_data, &self.ys),
            learning_rate,
        };
        if record.loss.is_finite() {
            self.sgd.zero_grad(&self.params);
            total.backward();
        }
        Tape::rewind(self.mark);
        finite(record)
    }

    /// Step `k`'s forward and backward pass by replaying its graph at the parameters' values: the
    /// record, and the parameters' gradients (as zeroing them and backpropagating would give).
    fn replayed_step(
        graph: &mut StepGraph,
        params: &[Value],
        ys: &[f64],
        k: usize,
        learning_rate: f64,
    ) -> Result<StepRecord, TrainError> {
        let replay = &mut graph.replay;
        Tape::read_data(params, replay.inputs_mut());
        let loss = replay.forward();
        for (s, &node) in graph.score_data.iter_mut().zip(&graph.scores) {
            *s = replay.value(node);
        }
        let record = StepRecord {
            step: k,
            loss,
            data_loss: replay.value(graph.data_loss),
            reg_loss: replay.value(graph.reg_loss),
            accuracy: accuracy(&graph.score_data, ys),
            learning_rate,
        };
        if record.loss.is_finite() {
            replay.backward(&mut graph.grad);
            Tape::write_grads(params, &graph.grad);
        }
        finite(record)
    }
}

/// The record, or [`TrainError::NonFiniteLoss`] if its loss is NaN or infinite.
fn finite(record: StepRecord) -> Result<StepRecord, TrainError> {
    if record.loss.is_finite() {
        Ok(record)
    } else {
        Err(TrainError::NonFiniteLoss {
            step: record.step,
            loss: record.loss,
        })
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
    on_step: impl FnMut(&StepRecord),
) -> Result<Vec<StepRecord>, TrainError> {
    train_with(model, data, config, Execution::Replay, on_step)
}

/// [`train`], computing the steps as `execution` says (the same records either way, bit for bit).
///
/// # Errors
/// As [`train`].
pub fn train_with(
    model: &MLP,
    data: &Dataset,
    config: &TrainConfig,
    execution: Execution,
    mut on_step: impl FnMut(&StepRecord),
) -> Result<Vec<StepRecord>, TrainError> {
    let mut trainer = Trainer::with_execution(model, data, config, execution)?;
    let mut records = Vec::with_capacity(config.steps.min(1 << 16));
    while !trainer.is_done() {
        let r = trainer.step()?;
        on_step(&r);
        records.push(r);
    }
    Ok(records)
}
