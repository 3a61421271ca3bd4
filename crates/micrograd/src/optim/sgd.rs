//! Stochastic gradient descent, as `torch.optim.SGD`.

use super::{ensure_state, Optimizer};
use crate::Value;

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay,
/// as `torch.optim.SGD`. For each parameter `p` with gradient `g`, at step `t` (from 1):
///
/// ```text
/// g ← g + λ·p                                  (weight_decay λ ≠ 0)
/// b ← g                                        (momentum μ ≠ 0, t = 1)
/// b ← μ·b + (1 - τ)·g                          (momentum μ ≠ 0, t > 1; dampening τ)
/// g ← g + μ·b  if nesterov,  else  g ← b       (momentum μ ≠ 0)
/// p ← p - lr·g
/// ```
///
/// With the defaults (no momentum, no decay) it is micrograd's `p.data -= lr * p.grad`. Every setting
/// is applied as written, for any value: PyTorch's refusal of Nesterov without momentum or with
/// dampening is not repeated (with `μ = 0` Nesterov changes nothing).
///
/// ```
/// use micrograd::optim::{Optimizer, Sgd};
/// use micrograd::Value;
/// let p = [Value::new(1.0)];
/// let mut opt = Sgd::new(0.1).momentum(0.9);
/// p[0].set_grad(2.0);
/// opt.step(&p);                       // b = 2,   p = 1 - 0.1·2
/// assert!((p[0].data() - 0.8).abs() < 1e-15);
/// opt.step(&p);                       // b = 0.9·2 + 2 = 3.8,  p = 0.8 - 0.38
/// assert!((p[0].data() - 0.42).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    buf: Vec<f64>,
    steps: u64,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`: no momentum, no dampening, no Nesterov, no weight decay.
    pub fn new(lr: f64) -> Sgd {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            buf: Vec::new(),
            steps: 0,
        }
    }

    /// Sets the momentum factor `μ` (default 0, i.e. none; 0.9 is usual).
    pub fn momentum(mut self, momentum: f64) -> Sgd {
        self.momentum = momentum;
        self
    }

    /// Sets the dampening `τ` of the momentum buffer's gradient term (default 0).
    pub fn dampening(mut self, dampening: f64) -> Sgd {
        self.dampening = dampening;
        self
    }

    /// Uses Nesterov momentum (default false).
    pub fn nesterov(mut self, nesterov: bool) -> Sgd {
        self.nesterov = nesterov;
        self
    }

    /// Sets the weight decay `λ` added to the gradient as `λ·p` (default 0). Equivalent to adding
    /// [`l2_penalty`](crate::loss::l2_penalty) with `α = λ/2` to the loss.
    pub fn weight_decay(mut self, weight_decay: f64) -> Sgd {
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &[Value]) {
        let use_momentum = self.momentum != 0.0;
        if use_momentum {
            ensure_state("Sgd", &mut [&mut self.buf], self.steps, params.len());
        }
        for (i, p) in params.iter().enumerate() {
            let data = p.data();
            let mut g = p.grad();
            if self.weight_decay != 0.0 {
                g += self.weight_decay * data;
            }
            if use_momentum {
                let b = &mut self.buf[i];
                *b = if self.steps == 0 {
                    g
                } else {
                    self.momentum * *b + (1.0 - self.dampening) * g
                };
                g = if self.nesterov {
                    g + self.momentum * *b
                } else {
                    *b
                };
            }
            p.set_data(data + (-self.lr) * g);
        }
        self.steps += 1;
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
