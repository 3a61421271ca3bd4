//! Adam and AdamW, as `torch.optim.Adam` and `torch.optim.AdamW`, with microgpt's order of operations
//! as a variant ([`AdamFormula`]).

use super::{ensure_state, lerp, Optimizer};
use crate::{Tape, Value};

/// How [`Adam`] and [`AdamW`] turn their moments into a step: the same mathematics, rounded in two
/// different orders. With `t` the step (from 1), `g` the gradient (after any coupled weight decay)
/// and `v̂` the second moment (its running maximum with AMSGrad):
///
/// ```text
/// Torch     m ← lerp(m, g, 1 - β₁);          v ← v·β₂ + (1 - β₂)·g·g
///           p ← p + (-lr/(1 - β₁ᵗ)) · (m / (√v̂ / √(1 - β₂ᵗ) + ε))
/// Microgpt  m ← β₁·m + (1 - β₁)·g;           v ← β₂·v + (1 - β₂)·(g·g)
///           p ← p - lr · (m / (1 - β₁ᵗ)) / (√(v̂ / (1 - β₂ᵗ)) + ε)
/// ```
///
/// `Torch` is `torch.optim.Adam`'s order (checked against it in `tests/optim.rs`); `Microgpt` is
/// Karpathy's microgpt's, bit for bit (what [`gpt::Trainer`](crate::gpt::Trainer) uses, with
/// `β = (0.85, 0.99)` and `lr` decaying linearly to 0). Decoupled decay (AdamW) scales `p` by
/// `1 - lr·λ` first in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AdamFormula {
    /// PyTorch's order of operations (the default).
    #[default]
    Torch,
    /// microgpt's order of operations.
    Microgpt,
}

/// The one Adam: the state and update of [`Adam`] and [`AdamW`] (`decoupled` tells them apart).
#[derive(Clone, Debug)]
struct AdamCore {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    decoupled: bool,
    formula: AdamFormula,
    m: Vec<f64>,
    v: Vec<f64>,
    v_max: Vec<f64>,
    /// Scratch for [`AdamFormula::Microgpt`]: the gradients, then the steps.
    grads: Vec<f64>,
    /// Scratch for [`AdamFormula::Microgpt`]: the parameters' values.
    data: Vec<f64>,
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
            formula: AdamFormula::Torch,
            m: Vec::new(),
            v: Vec::new(),
            v_max: Vec::new(),
            grads: Vec::new(),
            data: Vec::new(),
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

    fn step(&mut self, params: &[Value]) {
        let name = if self.decoupled { "AdamW" } else { "Adam" };
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
        match self.formula {
            AdamFormula::Torch => self.step_torch(params),
            AdamFormula::Microgpt => self.step_microgpt(params),
        }
    }

    /// [`AdamFormula::Torch`], one parameter at a time (each read after the previous one's write).
    fn step_torch(&mut self, params: &[Value]) {
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

    /// [`AdamFormula::Microgpt`], on the whole parameter list at once: read every value and gradient,
    /// compute every step in plain `f64` loops, write every value back.
    fn step_microgpt(&mut self, params: &[Value]) {
        let n = params.len();
        // As microgpt computes them: `1 - beta**(step + 1)` with a floating-point power.
        let t = self.steps as f64;
        let c1 = 1.0 - self.beta1.powf(t);
        let c2 = 1.0 - self.beta2.powf(t);
        let (lr, b1, b2, eps) = (self.lr, self.beta1, self.beta2, self.eps);
        self.grads.resize(n, 0.0);
        Tape::read_grads(params, &mut self.grads);
        self.data.resize(n, 0.0);
        Tape::read_data(params, &mut self.data);
        if self.weight_decay != 0.0 {
            let wd = self.weight_decay;
            if self.decoupled {
                self.data.iter_mut().for_each(|x| *x *= 1.0 - lr * wd);
            } else {
                for (g, &x) in self.grads.iter_mut().zip(&self.data) {
                    *g += wd * x;
                }
            }
        }
        // Each gradient becomes its step.
        let moments = self.grads.iter_mut().zip(&mut self.m).zip(&mut self.v);
        if self.amsgrad {
            for (((d, m), v), v_max) in moments.zip(&mut self.v_max) {
                let g = *d;
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * (g * g);
                *v_max = v_max.max(*v);
                *d = lr * (*m / c1) / ((*v_max / c2).sqrt() + eps);
            }
        } else {
            for ((d, m), v) in moments {
                let g = *d;
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * (g * g);
                *d = lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            }
        }
        for (x, &d) in self.data.iter_mut().zip(&self.grads) {
            *x -= d;
        }
        Tape::write_data(params, &self.data);
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

    /// Sets the order of operations of the update (default [`AdamFormula::Torch`]).
    ///
    /// ```
    /// use micrograd::optim::{Adam, AdamFormula, Optimizer};
    /// use micrograd::Value;
    /// let p = [Value::new(1.0)];
    /// let mut opt = Adam::new(0.1).betas(0.85, 0.99).formula(AdamFormula::Microgpt);
    /// p[0].set_grad(2.0);
    /// opt.step(&p);           // m̂ = 2, v̂ = 4: p = 1 - 0.1·2/(2 + 1e-8)
    /// assert_eq!(p[0].data(), 1.0 - 0.1 * 2.0 / (2.0 + 1e-8));
    /// ```
    pub fn formula(mut self, formula: AdamFormula) -> Adam {
        self.0.formula = formula;
        self
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &[Value]) {
        self.0.step(params);
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
/// follows the current learning rate, so a [`Schedule`](super::Schedule) scales it too.
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
pub struct AdamW(Adam);

/// AdamW's builder is [`Adam`]'s: each method sets the same field of the one implementation.
impl AdamW {
    /// AdamW with learning rate `lr` and the defaults above.
    pub fn new(lr: f64) -> AdamW {
        AdamW(Adam(AdamCore::new(lr, 0.01, true)))
    }

    /// Sets `β₁` and `β₂` (default 0.9 and 0.999); see [`Adam::betas`].
    ///
    /// # Panics
    /// If either is outside `[0, 1)`.
    pub fn betas(self, beta1: f64, beta2: f64) -> AdamW {
        AdamW(self.0.betas(beta1, beta2))
    }

    /// Sets `ε`, added to the denominator (default 1e-8).
    pub fn eps(self, eps: f64) -> AdamW {
        AdamW(self.0.eps(eps))
    }

    /// Sets the decoupled weight decay `λ` (default 0.01).
    pub fn weight_decay(self, weight_decay: f64) -> AdamW {
        AdamW(self.0.weight_decay(weight_decay))
    }

    /// Uses the AMSGrad variant (default false).
    pub fn amsgrad(self, amsgrad: bool) -> AdamW {
        AdamW(self.0.amsgrad(amsgrad))
    }

    /// Sets the order of operations of the update (default [`AdamFormula::Torch`]).
    pub fn formula(self, formula: AdamFormula) -> AdamW {
        AdamW(self.0.formula(formula))
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &[Value]) {
        self.0.step(params);
    }

    fn lr(&self) -> f64 {
        self.0.lr()
    }

    fn set_lr(&mut self, lr: f64) {
        self.0.set_lr(lr);
    }

    fn steps(&self) -> u64 {
        self.0.steps()
    }
}
