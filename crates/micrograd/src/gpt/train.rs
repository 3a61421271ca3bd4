//! microgpt's training loop, one document per step.

use super::{Gpt, GptError, BETA1, BETA2, EPS};
use crate::engine::{Mark, Tape, Value};

/// microgpt's Adam with bias correction and a learning rate decaying linearly to 0 over `num_steps`:
///
/// ```text
/// lr_t = lr · (1 - step / num_steps)
/// m = β1·m + (1-β1)·g;   v = β2·v + (1-β2)·g²
/// m̂ = m / (1 - β1^(step+1));   v̂ = v / (1 - β2^(step+1))
/// p -= lr_t · m̂ / (√v̂ + ε)
/// ```
/// with β1 = 0.85, β2 = 0.99, ε = 1e-8 ([`BETA1`], [`BETA2`], [`EPS`]). The gradients are zeroed after
/// the update.
///
/// ```
/// use micrograd::{Value, gpt::Adam};
/// let p = Value::new(1.0);
/// let mut adam = Adam::new(1, 0.1, 10);
/// (p * p).backward();                 // g = 2
/// adam.step(&[p]);
/// assert!((p.data() - 0.9).abs() < 1e-9); // the first step moves by lr·sign(g)
/// assert_eq!(p.grad(), 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    /// The initial learning rate.
    pub lr: f64,
    /// β1 (0.85 in microgpt).
    pub beta1: f64,
    /// β2 (0.99 in microgpt).
    pub beta2: f64,
    /// ε (1e-8 in microgpt).
    pub eps: f64,
    num_steps: usize,
    step: usize,
    m: Vec<f64>,
    v: Vec<f64>,
    /// Scratch: the gradients, then the step sizes.
    delta: Vec<f64>,
    /// Scratch: the parameters' values.
    data: Vec<f64>,
}

impl Adam {
    /// Adam for `n_params` parameters with microgpt's β1, β2, ε, decaying `lr` to 0 over `num_steps`.
    pub fn new(n_params: usize, lr: f64, num_steps: usize) -> Adam {
        Adam {
            lr,
            beta1: BETA1,
            beta2: BETA2,
            eps: EPS,
            num_steps,
            step: 0,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
            delta: Vec::with_capacity(n_params),
            data: Vec::with_capacity(n_params),
        }
    }

    /// The number of updates done so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The learning rate of the next update, `lr · (1 - step / num_steps)`.
    pub fn current_lr(&self) -> f64 {
        self.lr * (1.0 - self.step as f64 / self.num_steps as f64)
    }

    /// One update of `params` (the same parameters, in the same order, every time) from their
    /// gradients, which are then zeroed.
    ///
    /// # Panics
    /// If `params.len()` differs from the `n_params` given to [`Adam::new`].
    pub fn step(&mut self, params: &[Value]) {
        self.update(params, true);
    }

    /// The update, zeroing each parameter's gradient if `zero_grads` (the [`Trainer`] zeroes the
    /// whole tape's gradients in one sweep instead).
    fn update(&mut self, params: &[Value], zero_grads: bool) {
        assert_eq!(
            params.len(),
            self.m.len(),
            "Adam::step: {} parameters, but Adam was made for {}",
            params.len(),
            self.m.len()
        );
        let lr_t = self.current_lr();
        let t = (self.step + 1) as f64;
        // As microgpt computes them: `1 - beta**(step + 1)` with a floating-point power.
        let c1 = 1.0 - self.beta1.powf(t);
        let c2 = 1.0 - self.beta2.powf(t);
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        // Three passes: gather the gradients, compute every step size in a plain f64 loop (which
        // the compiler vectorizes: the divisions and square roots dominate), apply them.
        self.delta.clear();
        self.delta.resize(params.len(), 0.0);
        Tape::read_grads(params, &mut self.delta);
        for ((d, m), v) in self.delta.iter_mut().zip(&mut self.m).zip(&mut self.v) {
            let g = *d;
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * (g * g);
            let m_hat = *m / c1;
            let v_hat = *v / c2;
            *d = lr_t * m_hat / (v_hat.sqrt() + eps);
        }
        self.data.resize(params.len(), 0.0);
        Tape::read_data(params, &mut self.data);
        for (x, &d) in self.data.iter_mut().zip(&self.delta) {
            *x -= d;
        }
        Tape::write_data(params, &self.data);
        if zero_grads {
            Tape::zero_grads(params);
        }
        self.step += 1;
    }
}

/// microgpt's training loop, one document per [`Trainer::step`]: forward the document through the
/// model to its loss, backward, Adam update, zero the gradients, and rewind the tape to the mark taken
/// in [`Trainer::new`] so memory stays flat.
///
/// Create the trainer right after the model: everything created on the tape after
/// [`Trainer::new`] is dropped at the end of each step, and the gradient of every value on the tape
/// (the parameters, and anything created before the trainer) is zeroed.
pub struct Trainer {
    model: Gpt,
    params: Vec<Value>,
    adam: Adam,
    mark: Mark,
}

impl Trainer {
    /// A trainer for `model` with learning rate `lr` decaying linearly to 0 over `num_steps` steps.
    /// Takes a [`Tape::mark`].
    pub fn new(model: Gpt, lr: f64, num_steps: usize) -> Trainer {
        let params = model.parameters();
        let adam = Adam::new(params.len(), lr, num_steps);
        Trainer {
            model,
            params,
            adam,
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

    /// The number of steps done so far.
    pub fn steps_done(&self) -> usize {
        self.adam.steps_done()
    }

    /// One training step on one document (`tokens` as [`Vocab::encode`](super::Vocab::encode) gives them); returns the loss
    /// before the update.
    ///
    /// # Errors
    /// [`GptError::NonFiniteLoss`] (naming the step; the parameters are left as they were),
    /// [`GptError::StepsExhausted`] after `num_steps` steps, [`GptError::Tokens`] for bad tokens.
    pub fn step(&mut self, tokens: &[usize]) -> Result<f64, GptError> {
        if self.adam.step >= self.adam.num_steps {
            return Err(GptError::StepsExhausted {
                num_steps: self.adam.num_steps,
            });
        }
        let result = self.model.loss(tokens).and_then(|loss| {
            let l = loss.data();
            if !l.is_finite() {
                return Err(GptError::NonFiniteLoss {
                    step: self.adam.step,
                    loss: l,
                });
            }
            loss.backward();
            self.adam.update(&self.params, false);
            Ok(l)
        });
        Tape::rewind(self.mark);
        // microgpt zeroes every gradient after the update; after the rewind the tape holds only the
        // parameters (and whatever was created before the trainer), so one sweep does it.
        Tape::zero_grad();
        result
    }
}
