//! Learning-rate schedules: the rate as a plain function of the step, over spans given in steps,
//! in epochs, or as the whole run.

/// How long a [`Schedule`]'s ramp or period lasts: a number of update steps, a number of epochs, or
/// the whole run. Epochs and the run are known to a training loop only once it has split and batched
/// its data; it turns them into steps with [`Schedule::resolve`] before asking for a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// This many update steps.
    Steps(usize),
    /// This many epochs (of the loop's steps per epoch).
    Epochs(usize),
    /// The whole run: a ramp ends at the run's last step, a period is the run's length.
    Run,
}

impl Span {
    /// The span in steps, for a run of `total_steps` steps with `steps_per_epoch` steps an epoch.
    /// The run, as a ramp's length, is `total_steps - 1` steps (the last step is at its end).
    fn steps(self, total_steps: usize, steps_per_epoch: usize) -> usize {
        match self {
            Span::Steps(n) => n,
            Span::Epochs(n) => n.saturating_mul(steps_per_epoch),
            Span::Run => total_steps.saturating_sub(1),
        }
    }

    /// The number of steps of a span already in steps.
    ///
    /// # Panics
    /// For [`Span::Epochs`] and [`Span::Run`]: resolve the schedule first.
    fn in_steps(self) -> usize {
        match self {
            Span::Steps(n) => n,
            Span::Epochs(_) | Span::Run => panic!(
                "micrograd::optim::Schedule::lr: a span of {self:?} needs Schedule::resolve first"
            ),
        }
    }
}

/// A learning-rate schedule: the learning rate for step `t` (counted from 0: step 0 is the first
/// update) given the base rate, as a plain function of `t` ([`Schedule::lr`]). Drive an optimizer with
/// `opt.set_lr(schedule.lr(base_lr, t))` before its `t`-th step. The formulas are PyTorch's schedulers'
/// closed forms (`LinearLR`, `CosineAnnealingLR`, `StepLR`) with `t` as their `last_epoch`.
///
/// Lengths are [`Span`]s. A schedule whose spans are in steps is used as it is; one in epochs or
/// over the whole run (what [`train::FitConfig`](crate::train::FitConfig) takes, since the caller
/// does not count `fit`'s steps) is turned into steps by [`Schedule::resolve`].
///
/// ```
/// use micrograd::optim::{Schedule, Span};
/// let s = Schedule::Step { every: Span::Steps(10), gamma: 0.5 };
/// assert_eq!((s.lr(0.1, 9), s.lr(0.1, 10), s.lr(0.1, 25)), (0.1, 0.05, 0.025));
/// let c = Schedule::Cosine { over: Span::Steps(100), min_lr: 0.0 };
/// assert!((c.lr(0.1, 50) - 0.05).abs() < 1e-15);
/// assert_eq!(c.lr(0.1, 100), 0.0);
/// // Over a whole run of 101 steps, resolved: the same schedule.
/// let run = Schedule::Cosine { over: Span::Run, min_lr: 0.0 };
/// assert_eq!(run.resolve(101, 10), c);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// `lr(t) = base`.
    Constant,
    /// `lr(t) = base · (s + (e - s)·min(t, T)/T)` with `s = start_factor`, `e = end_factor`,
    /// `T = over` in steps: from `base·s` at step 0 to `base·e` at step `T`, constant after. With
    /// `T = 0`, `base·e` from the start. Linear decay to zero is `start_factor: 1.0, end_factor: 0.0`.
    Linear {
        /// Factor at step 0.
        start_factor: f64,
        /// Factor from the end of the ramp on.
        end_factor: f64,
        /// The ramp's length.
        over: Span,
    },
    /// Cosine annealing, `lr(t) = min_lr + (base - min_lr)·(1 + cos(π·min(t, T)/T))/2` with
    /// `T = over` in steps: `base` at step 0, `min_lr` at step `T` and after (PyTorch's
    /// `CosineAnnealingLR` would rise again after `T`; this one stays at `min_lr`). With `T = 0`,
    /// `min_lr` from the start.
    Cosine {
        /// The length of the descent from `base` to `min_lr`.
        over: Span,
        /// The final learning rate.
        min_lr: f64,
    },
    /// Step decay, `lr(t) = base · γ^⌊t / P⌋` with `P = every` in steps: multiplied by `gamma` every
    /// `P` steps.
    ///
    /// [`Schedule::lr`] panics if `P` is 0.
    Step {
        /// The period between decays (at least 1 step).
        every: Span,
        /// Multiplicative factor per decay.
        gamma: f64,
    },
}

impl Schedule {
    /// The same schedule with every span in steps, for a run of `total_steps` update steps with
    /// `steps_per_epoch` steps an epoch: [`Span::Epochs`]`(n)` is `n · steps_per_epoch` steps,
    /// [`Span::Run`] is `total_steps - 1` steps for a ramp (its last step at the ramp's end) and
    /// `total_steps` for a step decay's period (at least 1).
    ///
    /// ```
    /// use micrograd::optim::{Schedule, Span};
    /// let s = Schedule::Step { every: Span::Epochs(2), gamma: 0.5 }.resolve(100, 5);
    /// assert_eq!(s, Schedule::Step { every: Span::Steps(10), gamma: 0.5 });
    /// ```
    pub fn resolve(self, total_steps: usize, steps_per_epoch: usize) -> Schedule {
        let steps = |span: Span| Span::Steps(span.steps(total_steps, steps_per_epoch));
        match self {
            Schedule::Constant => Schedule::Constant,
            Schedule::Linear {
                start_factor,
                end_factor,
                over,
            } => Schedule::Linear {
                start_factor,
                end_factor,
                over: steps(over),
            },
            Schedule::Cosine { over, min_lr } => Schedule::Cosine {
                over: steps(over),
                min_lr,
            },
            Schedule::Step { every, gamma } => {
                let period = match every {
                    Span::Run => total_steps,
                    other => other.steps(total_steps, steps_per_epoch),
                };
                Schedule::Step {
                    every: Span::Steps(period.max(1)),
                    gamma,
                }
            }
        }
    }

    /// The learning rate for step `step` (0 = the first update) given the base rate `base_lr`.
    ///
    /// # Panics
    /// For a span in epochs or over the run (call [`Schedule::resolve`] first), and for
    /// [`Schedule::Step`] with a period of 0 steps.
    pub fn lr(&self, base_lr: f64, step: usize) -> f64 {
        match *self {
            Schedule::Constant => base_lr,
            Schedule::Linear {
                start_factor,
                end_factor,
                over,
            } => {
                let total_steps = over.in_steps();
                let factor = if step >= total_steps {
                    end_factor
                } else {
                    start_factor + (end_factor - start_factor) * (step as f64 / total_steps as f64)
                };
                base_lr * factor
            }
            Schedule::Cosine { over, min_lr } => {
                let total_steps = over.in_steps();
                if step >= total_steps {
                    min_lr
                } else {
                    let progress = step as f64 / total_steps as f64;
                    min_lr
                        + (base_lr - min_lr) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
                }
            }
            Schedule::Step { every, gamma } => {
                let step_size = every.in_steps();
                assert!(
                    step_size > 0,
                    "micrograd::optim::Schedule::Step: the period must be at least 1 step"
                );
                let decays = (step / step_size).min(i32::MAX as usize) as i32;
                base_lr * gamma.powi(decays)
            }
        }
    }
}
