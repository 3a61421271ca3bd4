//! What [`fit`](super::fit) is told: [`FitConfig`] and the optimizer it builds ([`OptimizerKind`]),
//! with the checks of every bound.

use super::error::{at_least_one, check, fraction, non_negative, positive};
use super::{Bound, ConfigField, Execution, LossKind, TrainError};
use crate::optim::{Adagrad, Adam, AdamW, Optimizer, RmsProp, Schedule, Sgd, Span};

/// The optimizer [`fit`](super::fit) builds (from [`crate::optim`], PyTorch's default betas and eps for Adam).
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
    /// RMSprop, PyTorch's defaults (alpha 0.99, eps 1e-8, no momentum); weight decay is added to
    /// the gradient.
    RmsProp,
    /// Adagrad, PyTorch's defaults (no lr decay, initial accumulator 0, eps 1e-10); weight decay
    /// is added to the gradient.
    Adagrad,
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
            OptimizerKind::RmsProp => Box::new(RmsProp::new(lr).weight_decay(weight_decay)),
            OptimizerKind::Adagrad => Box::new(Adagrad::new(lr).weight_decay(weight_decay)),
        }
    }
}

/// Everything [`fit`](super::fit) needs to know. `FitConfig::default()` is full-batch plain SGD on the hinge loss
/// with lr 0.1 for 100 epochs, no regularization, no validation.
#[derive(Clone, Debug, PartialEq)]
pub struct FitConfig {
    /// The loss.
    pub loss: LossKind,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The base learning rate (finite, > 0).
    pub lr: f64,
    /// The learning-rate schedule over `fit`'s update steps (`epochs ×` batches per epoch): its
    /// spans in steps, in epochs, or [`Span::Run`] (the whole run), resolved by `fit` once the data
    /// is split and batched ([`Schedule::resolve`]).
    pub schedule: Schedule,
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
    /// Threads computing each batch's gradient (and the evaluation): 0 means automatic
    /// ([`auto_threads`](super::auto_threads): the machine's cores, one thread for batches too
    /// small to share). **Every thread count gives the same
    /// numbers**, bit for bit (see `parallel.rs` in [`train`](super)). Without the `parallel`
    /// feature every count computes on the calling thread.
    pub threads: usize,
    /// How full batches are computed: [`Execution::Replay`] (the default) records each chunk's
    /// graph once and replays it at every step, where the graph does not change from step to step
    /// (one batch of all the training rows, no dropout, a model and a loss whose graphs replay
    /// exactly: `Replicate::replays_exactly`, `LossKind::replays_exactly`) and the recorded graphs
    /// fit in 24 MiB, where the replay is faster;
    /// [`Execution::Eager`] records every step on the tape. Both give the same numbers, bit for
    /// bit; mini-batches and dropout are always eager.
    pub execution: Execution,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            loss: LossKind::Hinge,
            optimizer: OptimizerKind::Sgd,
            lr: 0.1,
            schedule: Schedule::Constant,
            weight_decay: 0.0,
            l2: 0.0,
            dropout: 0.0,
            batch_size: 0,
            epochs: 100,
            val_split: 0.0,
            patience: None,
            clip: None,
            seed: 0,
            threads: 0,
            execution: Execution::Replay,
        }
    }
}

impl FitConfig {
    /// Checks every number is in range (see the fields), so that building the optimizer, the schedule
    /// and the dropout cannot panic. The error ([`TrainError::Config`]) names the field and the bound.
    ///
    /// ```
    /// use micrograd::train::FitConfig;
    /// let bad = FitConfig { dropout: 1.0, ..FitConfig::default() };
    /// assert_eq!(bad.validate().unwrap_err().to_string(), "dropout must be in [0, 1), got 1");
    /// ```
    pub fn validate(&self) -> Result<(), TrainError> {
        use ConfigField as F;
        positive(F::Lr, self.lr)?;
        non_negative(F::WeightDecay, self.weight_decay)?;
        non_negative(F::L2, self.l2)?;
        fraction(F::Dropout, self.dropout)?;
        fraction(F::ValSplit, self.val_split)?;
        at_least_one(F::Epochs, self.epochs)?;
        if let OptimizerKind::Momentum(m) | OptimizerKind::Nesterov(m) = self.optimizer {
            fraction(F::Momentum, m)?;
        }
        match self.schedule {
            Schedule::Constant => {}
            Schedule::Linear {
                start_factor,
                end_factor,
                ..
            } => {
                non_negative(F::LinearStartFactor, start_factor)?;
                non_negative(F::LinearEndFactor, end_factor)?;
            }
            Schedule::Cosine { min_lr, .. } => non_negative(F::CosineMinLr, min_lr)?,
            Schedule::Step { every, gamma } => {
                if let Span::Steps(n) | Span::Epochs(n) = every {
                    at_least_one(F::StepPeriod, n)?;
                }
                positive(F::StepGamma, gamma)?;
            }
        }
        if let Some(c) = self.clip {
            positive(F::Clip, c)?;
        }
        if let Some(p) = self.patience {
            at_least_one(F::Patience, p)?;
            check(self.val_split != 0.0, F::Patience, Bound::NeedsValidation)?;
        }
        Ok(())
    }
}
