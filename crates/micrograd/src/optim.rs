//! Optimizers, learning-rate schedules and gradient clipping, with the update rules of PyTorch's
//! `torch.optim` (checked step for step against it in `tests/optim.rs`).
//!
//! An optimizer is given the model's parameter list on every [`Optimizer::step`]: it reads each
//! parameter's [`grad`](Value::grad) and writes its new value with [`set_data`](Value::set_data). Its
//! per-parameter state (momentum buffers, Adam's moments) is kept in `Vec<f64>`s aligned with that list,
//! created on the first step; so pass **the same parameters in the same order** every time (a list of a
//! different length panics).
//!
//! ```
//! use micrograd::optim::{clip_grad_norm, Adam, Optimizer, Schedule};
//! use micrograd::{Tape, Value};
//!
//! // Minimize (x - 3)² + (y + 1)².
//! let params = [Value::new(0.0), Value::new(0.0)];
//! let mut opt = Adam::new(0.1);
//! let schedule = Schedule::Cosine { total_steps: 500, min_lr: 0.0 };
//! let mark = Tape::mark();
//! for step in 0..500 {
//!     let loss = (params[0] - 3.0).pow(2) + (params[1] + 1.0).pow(2);
//!     opt.zero_grad(&params);
//!     loss.backward();
//!     clip_grad_norm(&params, 10.0);
//!     opt.set_lr(schedule.lr(0.1, step));
//!     opt.step(&params);
//!     Tape::rewind(mark);
//! }
//! assert!((params[0].data() - 3.0).abs() < 1e-3);
//! assert!((params[1].data() + 1.0).abs() < 1e-3);
//! ```

use crate::Value;

/// A gradient-descent optimizer: updates parameters in place from their gradients.
///
/// Object safe, so a program can pick one at run time (`Box<dyn Optimizer>`).
pub trait Optimizer {
    /// Applies one update to every parameter in `params` from its current gradient (which it does not
    /// change). Pass the same parameters, in the same order, on every call.
    ///
    /// # Panics
    /// If the optimizer keeps per-parameter state (SGD with momentum, Adam, AdamW) and `params` has a
    /// different length than on the first call.
    fn step(&mut self, params: &[Value]);

    /// The learning rate the next [`step`](Optimizer::step) will use.
    fn lr(&self) -> f64;

    /// Sets the learning rate for the following steps (how a [`Schedule`] drives the optimizer). The
    /// optimizer's state is kept.
    fn set_lr(&mut self, lr: f64);

    /// Sets every parameter's gradient to 0 (call it before each `backward`, since gradients
    /// accumulate).
    fn zero_grad(&self, params: &[Value]) {
        for p in params {
            p.zero_grad();
        }
    }

    /// The number of steps taken so far.
    fn steps(&self) -> u64;
}

/// Creates the per-parameter state on the first step; afterwards checks the list has not changed size.
fn ensure_state(name: &str, state: &mut [&mut Vec<f64>], steps: u64, n: usize) {
    for s in state.iter_mut() {
        if steps == 0 && s.is_empty() {
            s.resize(n, 0.0);
        }
        assert_eq!(
            s.len(),
            n,
            "micrograd::optim::{name}::step: got {n} parameters, but the optimizer's state was built for \
             {}; pass the same parameter list on every step",
            s.len()
        );
    }
}

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

/// The state and update shared by [`Adam`] and [`AdamW`].
#[derive(Clone, Debug)]
struct AdamCore {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    decoupled: bool,
    m: Vec<f64>,
    v: Vec<f64>,
    v_max: Vec<f64>,
    steps: u64,
}

impl AdamCore {
    fn new(lr: f64, weight_decay: f64, decoupled: bool) -> AdamCore {
        AdamCore {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            amsgrad: false,
            decoupled,
            m: Vec::new(),
            v: Vec::new(),
            v_max: Vec::new(),
            steps: 0,
        }
    }

    fn set_betas(&mut self, beta1: f64, beta2: f64) {
        assert!(
            (0.0..1.0).contains(&beta1) && (0.0..1.0).contains(&beta2),
            "micrograd::optim: Adam betas must be in [0, 1), got ({beta1}, {beta2})"
        );
        self.beta1 = beta1;
        self.beta2 = beta2;
    }

    fn step(&mut self, name: &str, params: &[Value]) {
        let n = params.len();
        if self.amsgrad {
            ensure_state(
                name,
                &mut [&mut self.m, &mut self.v, &mut self.v_max],
                self.steps,
                n,
            );
        } else {
            ensure_state(name, &mut [&mut self.m, &mut self.v], self.steps, n);
        }
        self.steps += 1;
        let t = self.steps as f64;
        // The scalar factors, computed as torch.optim.Adam computes them (Python floats).
        let bias_correction1 = 1.0 - self.beta1.powf(t);
        let bias_correction2 = 1.0 - self.beta2.powf(t);
        let step_size = self.lr / bias_correction1;
        let bias_correction2_sqrt = bias_correction2.powf(0.5);
        let w1 = 1.0 - self.beta1;
        let w2 = 1.0 - self.beta2;
        for (i, p) in params.iter().enumerate() {
            let mut data = p.data();
            let mut g = p.grad();
            if self.weight_decay != 0.0 {
                if self.decoupled {
                    data *= 1.0 - self.lr * self.weight_decay;
                } else {
                    g += self.weight_decay * data;
                }
            }
            self.m[i] = lerp(self.m[i], g, w1);
            self.v[i] = self.v[i] * self.beta2 + w2 * g * g;
            let v = if self.amsgrad {
                self.v_max[i] = self.v_max[i].max(self.v[i]);
                self.v_max[i]
            } else {
                self.v[i]
            };
            let denom = v.sqrt() / bias_correction2_sqrt + self.eps;
            p.set_data(data + (-step_size) * (self.m[i] / denom));
        }
    }
}

/// `a + w·(b - a)`, evaluated as PyTorch's `lerp` does (from the nearer end).
fn lerp(a: f64, b: f64, w: f64) -> f64 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

/// Adam (Kingma & Ba), as `torch.optim.Adam`, with optional L2 weight decay and AMSGrad. For each
/// parameter `p` with gradient `g`, at step `t` (from 1):
///
/// ```text
/// g ← g + λ·p                                   (weight_decay λ ≠ 0: L2, coupled to the gradient)
/// m ← β₁·m + (1 - β₁)·g
/// v ← β₂·v + (1 - β₂)·g²
/// v̂ ← max(v̂, v) if amsgrad, else v
/// p ← p - lr/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)
/// ```
///
/// Defaults: `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0`, no AMSGrad. Because `λ·p` passes through the
/// adaptive scaling, the effective decay differs per parameter; [`AdamW`] decouples it.
///
/// ```
/// use micrograd::optim::{Adam, Optimizer};
/// use micrograd::Value;
/// let p = [Value::new(1.0)];
/// let mut opt = Adam::new(0.01);
/// p[0].set_grad(123.0);
/// opt.step(&p);           // Adam's first step moves each parameter by about lr, whatever |g|
/// assert!((p[0].data() - 0.99).abs() < 1e-9);
/// ```
#[derive(Clone, Debug)]
pub struct Adam(AdamCore);

impl Adam {
    /// Adam with learning rate `lr` and the defaults above.
    pub fn new(lr: f64) -> Adam {
        Adam(AdamCore::new(lr, 0.0, false))
    }

    /// Sets `β₁` and `β₂`, the decay rates of the moment estimates (default 0.9 and 0.999).
    ///
    /// # Panics
    /// If either is outside `[0, 1)`.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Adam {
        self.0.set_betas(beta1, beta2);
        self
    }

    /// Sets `ε`, added to the denominator (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Adam {
        self.0.eps = eps;
        self
    }

    /// Sets the L2 weight decay `λ`, added to the gradient as `λ·p` (default 0).
    pub fn weight_decay(mut self, weight_decay: f64) -> Adam {
        self.0.weight_decay = weight_decay;
        self
    }

    /// Uses the AMSGrad variant (the running maximum of `v`; default false).
    pub fn amsgrad(mut self, amsgrad: bool) -> Adam {
        self.0.amsgrad = amsgrad;
        self
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &[Value]) {
        self.0.step("Adam", params);
    }

    fn lr(&self) -> f64 {
        self.0.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.0.lr = lr;
    }

    fn steps(&self) -> u64 {
        self.0.steps
    }
}

/// AdamW (Loshchilov & Hutter), as `torch.optim.AdamW`: Adam with **decoupled** weight decay. Each
/// step first shrinks the parameter, `p ← p·(1 - lr·λ)`, then applies [`Adam`]'s update with the raw
/// gradient (no `λ·p` term in `g`), so the decay does not pass through the adaptive scaling.
///
/// Defaults: `β = (0.9, 0.999)`, `ε = 1e-8`, `λ = 0.01` (PyTorch's default), no AMSGrad. The decay
/// follows the current learning rate, so a [`Schedule`] scales it too.
///
/// ```
/// use micrograd::optim::{AdamW, Optimizer};
/// use micrograd::Value;
/// let p = [Value::new(2.0)];
/// let mut opt = AdamW::new(0.1).weight_decay(0.5);
/// p[0].set_grad(0.0);     // no gradient: only the decay acts
/// opt.step(&p);
/// assert!((p[0].data() - 2.0 * (1.0 - 0.1 * 0.5)).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct AdamW(AdamCore);

impl AdamW {
    /// AdamW with learning rate `lr` and the defaults above.
    pub fn new(lr: f64) -> AdamW {
        AdamW(AdamCore::new(lr, 0.01, true))
    }

    /// Sets `β₁` and `β₂` (default 0.9 and 0.999).
    ///
    /// # Panics
    /// If either is outside `[0, 1)`.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> AdamW {
        self.0.set_betas(beta1, beta2);
        self
    }

    /// Sets `ε`, added to the denominator (default 1e-8).
    pub fn eps(mut self, eps: f64) -> AdamW {
        self.0.eps = eps;
        self
    }

    /// Sets the decoupled weight decay `λ` (default 0.01).
    pub fn weight_decay(mut self, weight_decay: f64) -> AdamW {
        self.0.weight_decay = weight_decay;
        self
    }

    /// Uses the AMSGrad variant (default false).
    pub fn amsgrad(mut self, amsgrad: bool) -> AdamW {
        self.0.amsgrad = amsgrad;
        self
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &[Value]) {
        self.0.step("AdamW", params);
    }

    fn lr(&self) -> f64 {
        self.0.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.0.lr = lr;
    }

    fn steps(&self) -> u64 {
        self.0.steps
    }
}

/// A learning-rate schedule: the learning rate for step `t` (counted from 0: step 0 is the first
/// update) given the base rate, as a plain function of `t` ([`Schedule::lr`]). Drive an optimizer with
/// `opt.set_lr(schedule.lr(base_lr, t))` before its `t`-th step. The formulas are PyTorch's schedulers'
/// closed forms (`LinearLR`, `CosineAnnealingLR`, `StepLR`) with `t` as their `last_epoch`.
///
/// ```
/// use micrograd::optim::Schedule;
/// let s = Schedule::Step { step_size: 10, gamma: 0.5 };
/// assert_eq!((s.lr(0.1, 9), s.lr(0.1, 10), s.lr(0.1, 25)), (0.1, 0.05, 0.025));
/// let c = Schedule::Cosine { total_steps: 100, min_lr: 0.0 };
/// assert!((c.lr(0.1, 50) - 0.05).abs() < 1e-15);
/// assert_eq!(c.lr(0.1, 100), 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// `lr(t) = base`.
    Constant,
    /// `lr(t) = base · (s + (e - s)·min(t, T)/T)` with `s = start_factor`, `e = end_factor`,
    /// `T = total_steps`: from `base·s` at step 0 to `base·e` at step `T`, constant after. With `T = 0`,
    /// `base·e` from the start. Linear decay to zero is `start_factor: 1.0, end_factor: 0.0`.
    Linear {
        /// Factor at step 0.
        start_factor: f64,
        /// Factor from step `total_steps` on.
        end_factor: f64,
        /// Number of steps of the ramp.
        total_steps: usize,
    },
    /// Cosine annealing, `lr(t) = min_lr + (base - min_lr)·(1 + cos(π·min(t, T)/T))/2` with
    /// `T = total_steps`: `base` at step 0, `min_lr` at step `T` and after (PyTorch's
    /// `CosineAnnealingLR` would rise again after `T`; this one stays at `min_lr`). With `T = 0`,
    /// `min_lr` from the start.
    Cosine {
        /// Number of steps from `base` down to `min_lr`.
        total_steps: usize,
        /// The final learning rate.
        min_lr: f64,
    },
    /// Step decay, `lr(t) = base · γ^⌊t / step_size⌋`: multiplied by `gamma` every `step_size` steps.
    ///
    /// [`Schedule::lr`] panics if `step_size` is 0.
    Step {
        /// Number of steps between decays (at least 1).
        step_size: usize,
        /// Multiplicative factor per decay.
        gamma: f64,
    },
}

impl Schedule {
    /// The learning rate for step `step` (0 = the first update) given the base rate `base_lr`.
    ///
    /// # Panics
    /// For [`Schedule::Step`] with `step_size == 0`.
    pub fn lr(&self, base_lr: f64, step: usize) -> f64 {
        match *self {
            Schedule::Constant => base_lr,
            Schedule::Linear {
                start_factor,
                end_factor,
                total_steps,
            } => {
                let factor = if step >= total_steps {
                    end_factor
                } else {
                    start_factor + (end_factor - start_factor) * (step as f64 / total_steps as f64)
                };
                base_lr * factor
            }
            Schedule::Cosine {
                total_steps,
                min_lr,
            } => {
                if step >= total_steps {
                    min_lr
                } else {
                    let progress = step as f64 / total_steps as f64;
                    min_lr
                        + (base_lr - min_lr) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
                }
            }
            Schedule::Step { step_size, gamma } => {
                assert!(
                    step_size > 0,
                    "micrograd::optim::Schedule::Step: step_size must be at least 1"
                );
                let decays = (step / step_size).min(i32::MAX as usize) as i32;
                base_lr * gamma.powi(decays)
            }
        }
    }
}

/// The global L2 norm of the parameters' gradients, `√Σ gᵢ²` (as if they were one vector).
///
/// Computed without spurious overflow or underflow: if the plain sum of squares overflows (gradients
/// beyond ~1e154) or underflows, it is recomputed with scaling, so the result is finite whenever the
/// true norm is. It is NaN if any gradient is NaN, `inf` if any is infinite, and 0 for an empty list.
///
/// ```
/// use micrograd::optim::grad_norm;
/// use micrograd::Value;
/// let ps = [Value::new(0.0), Value::new(0.0)];
/// ps[0].set_grad(3e200);
/// ps[1].set_grad(4e200);
/// assert!((grad_norm(&ps) / 5e200 - 1.0).abs() < 1e-15);
/// ```
pub fn grad_norm(params: &[Value]) -> f64 {
    let grads: Vec<f64> = params.iter().map(|p| p.grad()).collect();
    let sum_sq: f64 = grads.iter().map(|g| g * g).sum();
    if sum_sq.is_finite() && sum_sq >= f64::MIN_POSITIVE {
        return sum_sq.sqrt();
    }
    let scale = grads.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    if grads.iter().any(|g| g.is_nan()) {
        return f64::NAN;
    }
    if scale == 0.0 || scale.is_infinite() {
        return scale;
    }
    let scaled: f64 = grads.iter().map(|g| (g / scale) * (g / scale)).sum();
    scale * scaled.sqrt()
}

/// Gradient clipping by global norm, as `torch.nn.utils.clip_grad_norm_`: computes the total norm
/// `N` = [`grad_norm`]`(params)` and, if `max_norm / (N + 1e-6) < 1`, multiplies every gradient by that
/// factor (so the new norm is just under `max_norm`); otherwise leaves them unchanged. Returns `N`, the
/// norm **before** clipping (worth logging).
///
/// If `N` is NaN or infinite the gradients are left as they are and `N` is returned, so the caller can
/// see the problem and stop (PyTorch would scale them to NaN/0).
///
/// # Panics
/// If `max_norm` is negative or NaN.
///
/// ```
/// use micrograd::optim::clip_grad_norm;
/// use micrograd::Value;
/// let ps = [Value::new(0.0), Value::new(0.0)];
/// ps[0].set_grad(3.0);
/// ps[1].set_grad(4.0);
/// let norm = clip_grad_norm(&ps, 1.0);
/// assert_eq!(norm, 5.0);
/// assert!((ps[0].grad() - 0.6).abs() < 1e-6 && (ps[1].grad() - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm(params: &[Value], max_norm: f64) -> f64 {
    assert!(
        max_norm >= 0.0,
        "micrograd::optim::clip_grad_norm: max_norm must be >= 0, got {max_norm}"
    );
    let total = grad_norm(params);
    if !total.is_finite() {
        return total;
    }
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        for p in params {
            p.set_grad(p.grad() * coef);
        }
    }
    total
}

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
