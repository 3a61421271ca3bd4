//! What the training loops return when they cannot start or have to stop: [`TrainError`], and for a
//! hyper-parameter out of range a typed [`ConfigError`] naming the field and the bound it breaks.

use std::fmt;

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
    /// [`Trainer::step`](super::Trainer::step) was called after all the planned steps had run.
    StepsExhausted {
        /// The planned number of steps.
        steps: usize,
    },
    /// The model and the data do not fit together.
    Shape(String),
    /// A hyper-parameter is out of range.
    Config(ConfigError),
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
            TrainError::StepsExhausted { steps } => {
                write!(f, "all {steps} planned steps are done")
            }
            TrainError::Shape(m) => f.write_str(m),
            TrainError::Config(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TrainError {}

impl From<ConfigError> for TrainError {
    fn from(e: ConfigError) -> TrainError {
        TrainError::Config(e)
    }
}

/// A hyper-parameter out of range: which field, and which bound it breaks (with the value found).
///
/// Its message is `{subject} {requirement}`, like `dropout must be in [0, 1), got 1`; a program that
/// names the field otherwise (a command-line flag, say) matches on [`field`](ConfigError::field) and
/// puts its own name before [`requirement`](ConfigError::requirement).
///
/// ```
/// use micrograd::train::{Bound, ConfigField, FitConfig, TrainError};
/// let bad = FitConfig { dropout: 1.0, ..FitConfig::default() };
/// let TrainError::Config(e) = bad.validate().unwrap_err() else { unreachable!() };
/// assert_eq!((e.field, e.bound), (ConfigField::Dropout, Bound::Fraction { found: 1.0 }));
/// assert_eq!(e.requirement(), "must be in [0, 1), got 1");
/// assert_eq!(e.to_string(), "dropout must be in [0, 1), got 1");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConfigError {
    /// The field that is out of range.
    pub field: ConfigField,
    /// The bound it breaks.
    pub bound: Bound,
}

/// A field of [`TrainConfig`](super::TrainConfig) or [`FitConfig`](super::FitConfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigField {
    /// `TrainConfig::steps`.
    Steps,
    /// `TrainConfig::lr_start`.
    LrStart,
    /// `TrainConfig::lr_end`.
    LrEnd,
    /// `TrainConfig::alpha`.
    Alpha,
    /// `FitConfig::lr`.
    Lr,
    /// `FitConfig::weight_decay`.
    WeightDecay,
    /// `FitConfig::l2`.
    L2,
    /// `FitConfig::dropout`.
    Dropout,
    /// `FitConfig::val_split`.
    ValSplit,
    /// `FitConfig::epochs`.
    Epochs,
    /// The momentum of `OptimizerKind::Momentum` or `OptimizerKind::Nesterov`.
    Momentum,
    /// `Schedule::Linear::start_factor` of `FitConfig::schedule`.
    LinearStartFactor,
    /// `Schedule::Linear::end_factor`.
    LinearEndFactor,
    /// `Schedule::Cosine::min_lr`.
    CosineMinLr,
    /// `Schedule::Step::every` (its steps or epochs).
    StepPeriod,
    /// `Schedule::Step::gamma`.
    StepGamma,
    /// `FitConfig::clip`.
    Clip,
    /// `FitConfig::patience`.
    Patience,
}

/// The bound a [`ConfigError`]'s field breaks, with the value found.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Bound {
    /// A count must be at least 1 (it is 0).
    AtLeastOne,
    /// A number must be finite and > 0.
    Positive {
        /// The value.
        found: f64,
    },
    /// A number must be finite and >= 0.
    NonNegative {
        /// The value.
        found: f64,
    },
    /// A number must be in `[0, 1)`.
    Fraction {
        /// The value.
        found: f64,
    },
    /// Early stopping needs a validation split > 0 (it watches the validation loss).
    NeedsValidation,
    /// The validation split must leave at least one training example.
    LeavesTraining {
        /// The split.
        found: f64,
        /// The number of examples.
        examples: usize,
    },
}

impl ConfigError {
    /// How the message names the field: `lr`, `the step schedule's gamma`, ...
    pub fn subject(&self) -> String {
        use ConfigField as F;
        let name = match (self.field, self.bound) {
            (F::ValSplit, Bound::LeavesTraining { found, .. }) => {
                return format!("a validation split of {found}");
            }
            (F::Patience, Bound::NeedsValidation) => "early stopping (patience)",
            (F::Steps, _) => "steps",
            (F::LrStart, _) => "lr_start",
            (F::LrEnd, _) => "lr_end",
            (F::Alpha, _) => "alpha",
            (F::Lr, _) => "lr",
            (F::WeightDecay, _) => "weight_decay",
            (F::L2, _) => "l2",
            (F::Dropout, _) => "dropout",
            (F::ValSplit, _) => "val_split",
            (F::Epochs, _) => "epochs",
            (F::Momentum, _) => "momentum",
            (F::LinearStartFactor, _) => "the linear schedule's start factor",
            (F::LinearEndFactor, _) => "the linear schedule's end factor",
            (F::CosineMinLr, _) => "the cosine schedule's min_lr",
            (F::StepPeriod, _) => "the step schedule's period",
            (F::StepGamma, _) => "the step schedule's gamma",
            (F::Clip, _) => "clip",
            (F::Patience, _) => "patience",
        };
        name.to_string()
    }

    /// What the field must be, and what it is: `must be in [0, 1), got 1`.
    pub fn requirement(&self) -> String {
        use ConfigField as F;
        // A number is "a finite number" where the field's own name does not already say so.
        let spelled_out = !matches!(
            self.field,
            F::LinearStartFactor | F::LinearEndFactor | F::CosineMinLr | F::StepGamma
        );
        match self.bound {
            Bound::AtLeastOne if self.field == F::Patience => {
                "must be at least 1 epoch".to_string()
            }
            Bound::AtLeastOne => "must be at least 1".to_string(),
            Bound::Positive { found } if spelled_out => {
                format!("must be a finite number > 0, got {found}")
            }
            Bound::Positive { found } => format!("must be > 0, got {found}"),
            Bound::NonNegative { found } if self.field == F::Alpha => {
                format!("must be finite and >= 0, got {found}")
            }
            Bound::NonNegative { found } if spelled_out => {
                format!("must be a finite number >= 0, got {found}")
            }
            Bound::NonNegative { found } => format!("must be >= 0, got {found}"),
            Bound::Fraction { found } => format!("must be in [0, 1), got {found}"),
            Bound::NeedsValidation => "needs a validation split > 0".to_string(),
            Bound::LeavesTraining { examples, .. } => {
                format!("leaves no training example out of {examples}")
            }
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.subject(), self.requirement())
    }
}

impl std::error::Error for ConfigError {}

/// `Ok` if `found >= 1`, else [`Bound::AtLeastOne`].
pub(super) fn at_least_one(field: ConfigField, found: usize) -> Result<(), ConfigError> {
    check(found >= 1, field, Bound::AtLeastOne)
}

/// `Ok` if `found` is finite and > 0, else [`Bound::Positive`].
pub(super) fn positive(field: ConfigField, found: f64) -> Result<(), ConfigError> {
    check(
        found.is_finite() && found > 0.0,
        field,
        Bound::Positive { found },
    )
}

/// `Ok` if `found` is finite and >= 0, else [`Bound::NonNegative`].
pub(super) fn non_negative(field: ConfigField, found: f64) -> Result<(), ConfigError> {
    check(
        found.is_finite() && found >= 0.0,
        field,
        Bound::NonNegative { found },
    )
}

/// `Ok` if `found` is in `[0, 1)` (so not NaN), else [`Bound::Fraction`].
pub(super) fn fraction(field: ConfigField, found: f64) -> Result<(), ConfigError> {
    check(
        (0.0..1.0).contains(&found),
        field,
        Bound::Fraction { found },
    )
}

/// `Ok` if `ok`, else the error of `field` breaking `bound`.
pub(super) fn check(ok: bool, field: ConfigField, bound: Bound) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError { field, bound })
    }
}
