//! RMSprop, as `torch.optim.RMSprop`.

use super::{ensure_state, lerp, Optimizer};
use crate::Value;

/// RMSprop (Hinton's lecture 6e), as `torch.optim.RMSprop`, with optional weight decay, momentum and
/// centering. For each parameter `p` with gradient `g`:
///
/// ```text
/// g ← g + λ·p                                  (weight_decay λ ≠ 0)
/// s ← α·s + (1 - α)·g²
/// ḡ ← lerp(ḡ, g, 1 - α),  d ← √(s - ḡ²) + ε     (centered)
/// d ← √s + ε                                   (otherwise)
/// b ← μ·b + g/d,  p ← p - lr·b                 (momentum μ > 0)
/// p ← p - lr·g/d                               (otherwise)
/// ```
///
/// Defaults as PyTorch's: `α = 0.99`, `ε = 1e-8`, `λ = 0`, `μ = 0`, not centered.
///
/// ```
/// use micrograd::optim::{Optimizer, RmsProp};
/// use micrograd::Value;
/// let p = [Value::new(1.0)];
/// let mut opt = RmsProp::new(0.01);
/// p[0].set_grad(2.0);
/// opt.step(&p);               // s = 0.01·4, p = 1 - 0.01·2/(0.2 + 1e-8)
/// assert!((p[0].data() - 0.9).abs() < 1e-7);   // ε moves it by 5e-9
/// ```
#[derive(Clone, Debug)]
pub struct RmsProp {
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    square_avg: Vec<f64>,
    grad_avg: Vec<f64>,
    buf: Vec<f64>,
    steps: u64,
}

impl RmsProp {
    /// RMSprop with learning rate `lr` and the defaults above.
    pub fn new(lr: f64) -> RmsProp {
        RmsProp {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            square_avg: Vec::new(),
            grad_avg: Vec::new(),
            buf: Vec::new(),
            steps: 0,
        }
    }

    /// Sets the smoothing constant `α` of the squared-gradient average (default 0.99).
    ///
    /// # Panics
    /// If `α` is not in `[0, 1]`.
    pub fn alpha(mut self, alpha: f64) -> RmsProp {
        assert!(
            (0.0..=1.0).contains(&alpha),
            "micrograd::optim: RMSprop alpha must be in [0, 1], got {alpha}"
        );
        self.alpha = alpha;
        self
    }

    /// Sets `ε`, added to the root mean square (default 1e-8).
    pub fn eps(mut self, eps: f64) -> RmsProp {
        self.eps = eps;
        self
    }

    /// Sets the L2 weight decay `λ` added to the gradient as `λ·p` (default 0).
    pub fn weight_decay(mut self, weight_decay: f64) -> RmsProp {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets the momentum `μ` (default 0).
    pub fn momentum(mut self, momentum: f64) -> RmsProp {
        self.momentum = momentum;
        self
    }

    /// Centers the second moment by the gradient's running mean (default off).
    pub fn centered(mut self, centered: bool) -> RmsProp {
        self.centered = centered;
        self
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, params: &[Value]) {
        let n = params.len();
        ensure_state("RmsProp", &mut [&mut self.square_avg], self.steps, n);
        if self.centered {
            ensure_state("RmsProp", &mut [&mut self.grad_avg], self.steps, n);
        }
        if self.momentum > 0.0 {
            ensure_state("RmsProp", &mut [&mut self.buf], self.steps, n);
        }
        let w = 1.0 - self.alpha;
        for (i, p) in params.iter().enumerate() {
            let data = p.data();
            let mut g = p.grad();
            if self.weight_decay != 0.0 {
                g += self.weight_decay * data;
            }
            let s = self.square_avg[i] * self.alpha + w * g * g;
            self.square_avg[i] = s;
            let avg = if self.centered {
                let ga = lerp(self.grad_avg[i], g, w);
                self.grad_avg[i] = ga;
                (s + (-ga) * ga).sqrt() + self.eps
            } else {
                s.sqrt() + self.eps
            };
            if self.momentum > 0.0 {
                let b = self.buf[i] * self.momentum + g / avg;
                self.buf[i] = b;
                p.set_data(data + (-self.lr) * b);
            } else {
                p.set_data(data + (-self.lr) * (g / avg));
            }
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
