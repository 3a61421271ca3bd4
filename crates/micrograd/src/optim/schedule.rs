//! Learning-rate schedules: the rate as a plain function of the step.

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
