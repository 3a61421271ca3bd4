//! microgpt's training loop, one document per step, through [`optim::Adam`](crate::optim::Adam)
//! with microgpt's formula.

use super::{Gpt, GptError, BETA1, BETA2, EPS};
use crate::engine::{Mark, Tape, Value};
use crate::optim::{Adam, AdamFormula, Optimizer, Schedule, Span};

/// microgpt's training loop, one document per [`Trainer::step`]: forward the document through the
/// model to its loss, backward, Adam update, zero the gradients, and rewind the tape to the mark taken
/// in [`Trainer::new`] so memory stays flat. It keeps the [trainer contract](crate::train#the-trainer-contract)
/// shared with [`train::Trainer`](crate::train::Trainer).
///
/// The update is [`Adam`] with [`AdamFormula::Microgpt`], `β = (0.85, 0.99)`, `ε = 1e-8` ([`BETA1`],
/// [`BETA2`], [`EPS`]), and the learning rate of step `k` (from 0) is `lr · (1 - k / num_steps)`
/// ([`Schedule::Linear`] from 1 to 0 over `num_steps`):
///
/// ```text
/// lr_k = lr · (1 - k / num_steps)
/// m = β1·m + (1-β1)·g;   v = β2·v + (1-β2)·g²
/// m̂ = m / (1 - β1^(k+1));   v̂ = v / (1 - β2^(k+1))
/// p -= lr_k · m̂ / (√v̂ + ε)
/// ```
///
/// Create the trainer right after the model: everything created on the tape after
/// [`Trainer::new`] is dropped at the end of each step, and the gradient of every value on the tape
/// (the parameters, and anything created before the trainer) is zeroed.
pub struct Trainer {
    model: Gpt,
    params: Vec<Value>,
    adam: Adam,
    lr: f64,
    schedule: Schedule,
    num_steps: usize,
    mark: Mark,
}

impl Trainer {
    /// A trainer for `model` with learning rate `lr` decaying linearly to 0 over `num_steps` steps.
    /// Takes a [`Tape::mark`].
    pub fn new(model: Gpt, lr: f64, num_steps: usize) -> Trainer {
        let params = model.parameters();
        let adam = Adam::new(lr)
            .betas(BETA1, BETA2)
            .eps(EPS)
            .formula(AdamFormula::Microgpt);
        Trainer {
            model,
            params,
            adam,
            lr,
            schedule: Schedule::Linear {
                start_factor: 1.0,
                end_factor: 0.0,
                over: Span::Steps(num_steps),
            },
            num_steps,
            mark: Tape::mark(),
        }
    }

    /// The model being trained.
    pub fn model(&self) -> &Gpt {
        &self.model
    }

    /// The trained model.
    pub fn into_model(self) -> Gpt {
        self.model
    }

    /// The number of steps done so far (the index of the next step).
    pub fn steps_done(&self) -> usize {
        self.adam.steps() as usize
    }

    /// The planned number of steps, `num_steps`.
    pub fn num_steps(&self) -> usize {
        self.num_steps
    }

    /// Whether all `num_steps` steps have run.
    pub fn is_done(&self) -> bool {
        self.steps_done() >= self.num_steps
    }

    /// One training step on one document (`tokens` as [`Vocab::encode`](super::Vocab::encode) gives
    /// them); returns the loss before the update.
    ///
    /// # Errors
    /// [`GptError::NonFiniteLoss`] (naming the step; the parameters are left as they were),
    /// [`GptError::StepsExhausted`] after `num_steps` steps, [`GptError::Tokens`] for bad tokens.
    pub fn step(&mut self, tokens: &[usize]) -> Result<f64, GptError> {
        let step = self.steps_done();
        if self.is_done() {
            return Err(GptError::StepsExhausted {
                num_steps: self.num_steps,
            });
        }
        let result = self.model.loss(tokens).and_then(|loss| {
            let l = loss.data();
            if !l.is_finite() {
                return Err(GptError::NonFiniteLoss { step, loss: l });
            }
            loss.backward();
            self.adam.set_lr(self.schedule.lr(self.lr, step));
            self.adam.step(&self.params);
            Ok(l)
        });
        Tape::rewind(self.mark);
        // microgpt zeroes every gradient after the update; after the rewind the tape holds only the
        // parameters (and whatever was created before the trainer), so one sweep does it.
        Tape::zero_grad();
        result
    }
}
