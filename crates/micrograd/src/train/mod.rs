//! Training loops on top of [`nn`](crate::nn), [`loss`](crate::loss) and [`optim`](crate::optim).
//!
//! ## How the parts fit
//!
//! * `demo.rs`: micrograd's own demo loop, op for op ([`train`], [`Trainer`], [`TrainConfig`]):
//!   full batch, hinge loss, L2, SGD with a linearly decaying learning rate.
//! * `fit.rs`: the general loop ([`fit`], [`FitConfig`], [`evaluate`]): any [`LossKind`], any
//!   optimizer ([`OptimizerKind`]), a schedule, mini-batches, dropout, validation, early stopping.
//! * `batches.rs`: what `fit` draws its examples with: the seeded validation split
//!   ([`split_indices`]), an epoch's shuffled mini-batches ([`shuffled_batches`]), and
//!   [`EarlyStopping`].
//! * `model_epoch.rs`: one epoch ([`train_epoch`]) and [`evaluate_model`] for any
//!   [`Model`](crate::nn::Model), such as a CNN.
//! * this file: [`TrainError`], what every loop returns when it cannot start or has to stop.
//!
//! The losses themselves, and [`LossKind`], live in [`crate::loss`]; they are re-exported here.

use std::fmt;

mod batches;
mod demo;
mod fit;
mod model_epoch;

pub use crate::loss::{argmax, LossKind};
pub use batches::{shuffled_batches, split_indices, EarlyStopping};
pub use demo::{accuracy, hinge_loss, l2_penalty, scores, train, StepRecord, TrainConfig, Trainer};
pub use fit::{evaluate, fit, EpochRecord, FitConfig, FitReport, LrSchedule, OptimizerKind};
pub use model_epoch::{confusion_matrix, evaluate_model, train_epoch};

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
        /// The epoch, from 0.
        epoch: usize,
        /// The update step, from 0.
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
                "the loss became {loss} at step {step} (epoch {epoch}); stopped before updating (try a smaller learning rate or --clip)"
            ),
            TrainError::Shape(m) | TrainError::Config(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TrainError {}
