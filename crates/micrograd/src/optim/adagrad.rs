//! Adagrad, as `torch.optim.Adagrad`.

use super::{ensure_state, Optimizer};
use crate::Value;

/// Adagrad (Duchi et al.), as `torch.optim.Adagrad`, with optional learning-rate decay, weight decay
/// and initial accumulator. For each parameter `p` with gradient `g`, at step `t` (from 1):
///
/// ```text
/// g ← g + λ·p                                  (weight_decay λ ≠ 0)
/// η ← lr / (1 + (t - 1)·lr_decay)
/// s ← s + g²                                   (s starts at initial_accumulator_value)
/// p ← p - η·g / (√s + ε)
/// ```
///
/// Defaults as PyTorch's: `lr_decay = 0`, `λ = 0`, initial accumulator 0, `ε = 1e-10`.
///
/// ```
/// use micrograd::optim::{Adagrad, Optimizer};
/// use micrograd::Value;
/// let p = [Value::new(1.0)];
/// let mut opt = Adagrad::new(0.1);
/// p[0].set_grad(3.0);
/// opt.step(&p);               // s = 9, p = 1 - 0.1·3/3
/// assert!((p[0].data() - 0.9).abs() < 1e-10);  // ε moves it by 3e-12
/// ```
#[derive(Clone, Debug)]
pub struct Adagrad {
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    initial_accumulator: f64,
    eps: f64,
    sum: Vec<f64>,
    steps: u64,
}

impl Adagrad {
    /// Adagrad with learning rate `lr` and the defaults above.
    pub fn new(lr: f64) -> Adagrad {
        Adagrad {
            lr,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator: 0.0,
            eps: 1e-10,
            sum: Vec::new(),
            steps: 0,
        }
    }

    /// Sets the learning-rate decay (default 0).
    pub fn lr_decay(mut self, lr_decay: f64) -> Adagrad {
        self.lr_decay = lr_decay;
        self
    }

    /// Sets the L2 weight decay `λ` added to the gradient as `λ·p` (default 0).
    pub fn weight_decay(mut self, weight_decay: f64) -> Adagrad {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets the value the squared-gradient sums start from (default 0).
    ///
    /// # Panics
    /// If it is negative.
    pub fn initial_accumulator_value(mut self, value: f64) -> Adagrad {
        assert!(
            value >= 0.0,
            "micrograd::optim: Adagrad's initial accumulator must be >= 0, got {value}"
        );
        self.initial_accumulator = value;
        self
    }

    /// Sets `ε`, added to the root of the sum (default 1e-10).
    pub fn eps(mut self, eps: f64) -> Adagrad {
        self.eps = eps;
        self
    }
}

impl Optimizer for Adagrad {
    fn step(&mut self, params: &[Value]) {
        if self.steps == 0 && self.sum.is_empty() {
            self.sum = vec![self.initial_accumulator; params.len()];
        }
        ensure_state("Adagrad", &mut [&mut self.sum], self.steps, params.len());
        self.steps += 1;
        let clr = self.lr / (1.0 + (self.steps - 1) as f64 * self.lr_decay);
        for (i, p) in params.iter().enumerate() {
            let data = p.data();
            let mut g = p.grad();
            if self.weight_decay != 0.0 {
                g += self.weight_decay * data;
            }
            self.sum[i] += g * g;
            let std = self.sum[i].sqrt() + self.eps;
            p.set_data(data + (-clr) * (g / std));
        }
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn steps(&self) -> u64 {
        self.steps
    }
}
