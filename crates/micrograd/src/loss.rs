//! Loss functions and the L2 penalty, built from engine [`Value`]s so that `backward` differentiates
//! through them.
//!
//! Every function here takes the model's outputs as `Value`s and the targets as plain `f64`s (targets
//! are data, not parameters), and returns one `Value`. Per-example losses ([`hinge`],
//! [`squared_error`], [`bce_with_logits`], [`softmax_cross_entropy`]) are combined over a batch with
//! [`mean`]; [`mse`] and [`hinge_mean`] are the batch forms of the first two. [`LossKind`] names the
//! loss a training loop minimizes, and turns a model's outputs into a predicted class.
//!
//! | loss | math | gradient with respect to the output |
//! |---|---|---|
//! | [`hinge`] | `max(0, 1 - y·s)` | `-y` if `y·s < 1`, else 0 |
//! | [`squared_error`] / [`mse`] | `(p - t)²` / `(1/n) Σ (pᵢ - tᵢ)²` | `2(p - t)` / `2(pᵢ - tᵢ)/n` |
//! | [`bce_with_logits`] | `max(z, 0) - z·y + ln(1 + e^-abs(z))` | `σ(z) - y` |
//! | [`softmax_cross_entropy`] | `ln Σⱼ e^zⱼ - z_c` | `softmax(z)ᵢ - [i = c]` |
//! | [`l2_penalty`] | `α Σ pᵢ²` | `2α pᵢ` |
//!
//! ```
//! use micrograd::{loss, Value};
//!
//! let logits = [Value::new(2.0), Value::new(1.0), Value::new(0.1)];
//! let l = loss::softmax_cross_entropy(&logits, 0);
//! l.backward();
//! assert!((l.data() - 0.4170300162778335).abs() < 1e-15);
//! // The gradient is softmax(z) - onehot(c): it sums to zero.
//! let total: f64 = logits.iter().map(|z| z.grad()).sum();
//! assert!(total.abs() < 1e-15);
//! ```

use crate::Value;

/// micrograd's SVM "max-margin" loss for one example: `relu(1 - y·score)`.
///
/// `y` is the label, `+1` or `-1` (any real number is accepted and used as is). The loss is 0 once the
/// example is on the right side with margin at least 1 (`y·score ≥ 1`); otherwise it grows linearly.
/// The gradient with respect to `score` is `-y` where `y·score < 1` and **0 at and beyond the margin**
/// (the relu's derivative at 0 is 0, as in micrograd). Computed as `(1 - score·y).relu()`, which is
/// micrograd's `(1 + -yi*scorei).relu()` bit for bit.
///
/// ```
/// use micrograd::{loss, Value};
/// let s = Value::new(0.25);
/// let l = loss::hinge(s, 1.0);
/// l.backward();
/// assert_eq!((l.data(), s.grad()), (0.75, -1.0));
/// assert_eq!(loss::hinge(Value::new(-3.0), -1.0).data(), 0.0);
/// ```
pub fn hinge(score: Value, y: f64) -> Value {
    (1.0 - score * y).relu()
}

/// The batch hinge loss `(1/n) Σ relu(1 - yᵢ·sᵢ)`, exactly as micrograd's demo computes it
/// (`sum(losses) * (1.0 / len(losses))`, summed left to right).
///
/// # Panics
/// If `scores` and `labels` differ in length or are empty.
///
/// ```
/// use micrograd::{loss, Value};
/// let scores = [Value::new(2.0), Value::new(0.5)];
/// let l = loss::hinge_mean(&scores, &[1.0, -1.0]);
/// assert_eq!(l.data(), 0.75); // (0 + 1.5) / 2
/// ```
pub fn hinge_mean(scores: &[Value], labels: &[f64]) -> Value {
    check_batch("hinge_mean", scores.len(), labels.len());
    let losses: Vec<Value> = scores
        .iter()
        .zip(labels)
        .map(|(&s, &y)| hinge(s, y))
        .collect();
    mean(&losses)
}

/// Squared error of one prediction: `(pred - target)²`, with gradient `2(pred - target)`.
///
/// ```
/// use micrograd::{loss, Value};
/// let p = Value::new(3.0);
/// let l = loss::squared_error(p, 1.0);
/// l.backward();
/// assert_eq!((l.data(), p.grad()), (4.0, 4.0));
/// ```
pub fn squared_error(pred: Value, target: f64) -> Value {
    (pred - target).pow(2)
}

/// Mean squared error `(1/n) Σ (predᵢ - targetᵢ)²` (PyTorch's `mse_loss` with `reduction="mean"`);
/// the gradient with respect to `predᵢ` is `2(predᵢ - targetᵢ)/n`.
///
/// # Panics
/// If the slices differ in length or are empty.
///
/// ```
/// use micrograd::{loss, Value};
/// let preds = [Value::new(1.0), Value::new(2.0)];
/// let l = loss::mse(&preds, &[0.0, 4.0]);
/// l.backward();
/// assert_eq!(l.data(), 2.5);                 // (1 + 4) / 2
/// assert_eq!(preds[1].grad(), -2.0);         // 2·(2 - 4)/2
/// ```
pub fn mse(preds: &[Value], targets: &[f64]) -> Value {
    check_batch("mse", preds.len(), targets.len());
    let errs: Vec<Value> = preds
        .iter()
        .zip(targets)
        .map(|(&p, &t)| squared_error(p, t))
        .collect();
    mean(&errs)
}

/// Binary cross-entropy of a **logit** `z` (a raw score, not a probability) against a target
/// probability `y` (usually 0 or 1; soft targets in [0, 1] work too):
///
/// `-(y·ln σ(z) + (1 - y)·ln(1 - σ(z)))`, computed stably as `max(z, 0) - z·y + ln(1 + e^-|z|)`
/// (with `ln_1p`), as PyTorch's `binary_cross_entropy_with_logits`.
///
/// The gradient is `σ(z) - y`, with `σ` evaluated without overflow. Both are finite for every finite
/// `z`, however large: for `z = 1000, y = 0` the loss is `1000` and the gradient `1`; for `z = 1000,
/// y = 1` the loss underflows to exactly `0` and so does the gradient. (Composing `ln(σ(z))` from engine
/// ops would instead give `ln 0 = -inf` for `z ≲ -745`.) At `z = 0` the loss is `ln 2` and the gradient
/// `0.5 - y`. A NaN or infinite `z` gives a NaN or infinite loss.
///
/// One engine node ([`Value::custom`]).
///
/// ```
/// use micrograd::{loss, Value};
/// let z = Value::new(-50.0);
/// let l = loss::bce_with_logits(z, 1.0);
/// l.backward();
/// assert!((l.data() - 50.0).abs() < 1e-12);       // -ln σ(-50) = 50 + ln(1 + e^-50)
/// assert!((z.grad() - (-1.0)).abs() < 1e-21);      // σ(-50) - 1
/// ```
pub fn bce_with_logits(logit: Value, y: f64) -> Value {
    logit.custom(
        |z| z.max(0.0) - z * y + (-z.abs()).exp().ln_1p(),
        |z| crate::engine::sigmoid(z) - y,
    )
}

/// `ln Σⱼ e^zⱼ`, computed stably as `m + ln Σⱼ e^(zⱼ - m)` where `m = maxⱼ zⱼ` is taken as a
/// **constant** (the result does not depend on `m` mathematically, so its gradient is not needed).
/// Every exponent is ≤ 0 and the sum is ≥ 1, so nothing overflows for any finite logits, however
/// large. The gradient with respect to `zᵢ` is `softmax(z)ᵢ`.
///
/// If any logit is NaN or `+inf`, or all are `-inf`, the result is NaN (a `-inf` logit among finite
/// ones is fine: it contributes `e^-inf = 0`).
///
/// # Panics
/// If `logits` is empty.
///
/// ```
/// use micrograd::{loss, Value};
/// let z = [Value::new(1000.0), Value::new(1000.0)];
/// let lse = loss::log_sum_exp(&z);
/// lse.backward();
/// assert!((lse.data() - (1000.0 + 2f64.ln())).abs() < 1e-12);
/// assert_eq!((z[0].grad(), z[1].grad()), (0.5, 0.5));
/// ```
pub fn log_sum_exp(logits: &[Value]) -> Value {
    let (m, _, log_sum) = shifted_log_sum_exp("log_sum_exp", logits);
    log_sum + m
}

/// For logits `z` with maximum `m` (a constant): `(m, [zᵢ - m], ln Σ e^(zᵢ - m))`.
fn shifted_log_sum_exp(name: &str, logits: &[Value]) -> (f64, Vec<Value>, Value) {
    assert!(!logits.is_empty(), "micrograd::loss::{name}: no logits");
    let m = logits
        .iter()
        .map(|z| z.data())
        .fold(
            f64::NEG_INFINITY,
            |a, b| if b > a || b.is_nan() { b } else { a },
        );
    let shifted: Vec<Value> = logits.iter().map(|&z| z - m).collect();
    let exps: Vec<Value> = shifted.iter().map(|d| d.exp()).collect();
    let log_sum = Value::sum_slice(&exps).log();
    (m, shifted, log_sum)
}

/// Softmax cross-entropy of `k` logits against the true class `class` (in `0..k`):
///
/// `-ln softmax(z)_c = ln Σⱼ e^zⱼ - z_c` (PyTorch's `cross_entropy` for one example), computed as
/// `ln Σⱼ e^(zⱼ - m) - (z_c - m)` with `m = maxⱼ zⱼ` a constant, as in [`log_sum_exp`]. The gradient with respect to `zᵢ` is `softmax(z)ᵢ - [i = c]`, which sums to 0.
///
/// Finite for every finite logits: with `z = [1000, 0]` and `c = 1` the loss is `1000` and the
/// gradient `[1, -1]`; when the true class wins by a wide margin the loss is 0 and the gradient is 0.
/// Non-finite logits follow [`log_sum_exp`] (NaN if any is NaN or `+inf`).
///
/// # Panics
/// If `logits` is empty or `class >= logits.len()`.
///
/// ```
/// use micrograd::{loss, Value};
/// let z = [Value::new(0.0), Value::new(0.0), Value::new(0.0), Value::new(0.0)];
/// let l = loss::softmax_cross_entropy(&z, 2);
/// l.backward();
/// assert!((l.data() - 4f64.ln()).abs() < 1e-15);   // uniform over 4 classes
/// assert_eq!(z[2].grad(), 0.25 - 1.0);
/// assert_eq!(z[0].grad(), 0.25);
/// ```
pub fn softmax_cross_entropy(logits: &[Value], class: usize) -> Value {
    assert!(
        class < logits.len(),
        "micrograd::loss::softmax_cross_entropy: class {class} is out of range for {} logits",
        logits.len()
    );
    // ln Σ e^(zⱼ - m) - (z_c - m): the same as ln Σ e^zⱼ - z_c, without the cancellation of two
    // large numbers when the logits are large.
    let (_, shifted, log_sum) = shifted_log_sum_exp("softmax_cross_entropy", logits);
    log_sum - shifted[class]
}

/// The L2 penalty `α Σ pᵢ²` (micrograd's `alpha * sum((p*p for p in model.parameters()))`, bit for bit),
/// with gradient `2α pᵢ`. Add it to the data loss to regularize. An empty `params` gives 0.
///
/// (This is "L2 regularization" in the loss. [`Sgd`](crate::optim::Sgd) and
/// [`Adam`](crate::optim::Adam)'s `weight_decay` add `λ·p` to the gradient instead, which is the same
/// as this penalty with `α = λ/2`; [`AdamW`](crate::optim::AdamW)'s decoupled decay is different.)
///
/// ```
/// use micrograd::{loss, Value};
/// let ps = [Value::new(1.0), Value::new(-2.0)];
/// let r = loss::l2_penalty(&ps, 1e-4);
/// r.backward();
/// assert!((r.data() - 5e-4).abs() < 1e-18);
/// assert!((ps[1].grad() - (-4e-4)).abs() < 1e-18);
/// ```
pub fn l2_penalty(params: &[Value], alpha: f64) -> Value {
    alpha * Value::dot(params, params)
}

/// The mean `(1/n) Σ lossᵢ` of per-example losses, as micrograd computes it: summed left to right from
/// 0, then multiplied by `1.0 / n`. Each loss's gradient is `1/n`.
///
/// # Panics
/// If `losses` is empty (the mean of nothing is undefined).
///
/// ```
/// use micrograd::{loss, Value};
/// let ls = [Value::new(1.0), Value::new(2.0), Value::new(6.0)];
/// assert_eq!(loss::mean(&ls).data(), 3.0);
/// ```
pub fn mean(losses: &[Value]) -> Value {
    assert!(!losses.is_empty(), "micrograd::loss::mean: no losses");
    Value::sum_slice(losses) * (1.0 / losses.len() as f64)
}

fn check_batch(name: &str, outputs: usize, targets: usize) {
    assert_eq!(
        outputs, targets,
        "micrograd::loss::{name}: {outputs} outputs but {targets} targets"
    );
    assert!(outputs > 0, "micrograd::loss::{name}: empty batch");
}

/// The loss [`fit`](crate::train::fit) minimizes, and how a model's outputs become a predicted class.
///
/// | kind | outputs | per-example loss (from [`crate::loss`]) | predicted class |
/// |---|---|---|---|
/// | `Hinge` | 1 (2 classes) | `relu(1 - y·s)`, `y = ±1` | `s > 0` → 1 |
/// | `Mse` | 1 (2 classes) | `(s - y)²`, `y = ±1` | `s > 0` → 1 |
/// | `Mse` | k | `Σⱼ (sⱼ - [j = c])² / k` (one-hot) | argmax |
/// | `Bce` | 1 (2 classes) | `bce_with_logits(s, y)`, `y ∈ {0, 1}` | `s > 0` → 1 |
/// | `CrossEntropy` | k ≥ 2 | `softmax_cross_entropy(s, c)` | argmax |
///
/// The argmax takes the first of equal outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LossKind {
    /// SVM max-margin loss (micrograd's).
    Hinge,
    /// Mean squared error.
    Mse,
    /// Binary cross-entropy on a logit.
    Bce,
    /// Softmax cross-entropy over k classes.
    CrossEntropy,
}

impl LossKind {
    /// The number of outputs a model trained with this loss on `classes` classes must have.
    ///
    /// ```
    /// use micrograd::train::LossKind;
    /// assert_eq!(LossKind::CrossEntropy.outputs(3), 3);
    /// assert_eq!(LossKind::Mse.outputs(2), 1);
    /// assert_eq!(LossKind::Mse.outputs(4), 4);
    /// ```
    pub fn outputs(self, classes: usize) -> usize {
        match self {
            LossKind::Hinge | LossKind::Bce => 1,
            LossKind::Mse if classes <= 2 => 1,
            LossKind::Mse | LossKind::CrossEntropy => classes,
        }
    }

    /// Whether the graph [`example_loss`](LossKind::example_loss) records depends on the outputs'
    /// values only through its ops, so that a recorded graph replays it exactly at other values:
    /// the hinge and squared-error losses. Not cross-entropy (its shift `m = max z` is a constant
    /// taken from the logits' values when recorded) nor BCE (a custom op).
    pub fn replays_exactly(self) -> bool {
        matches!(self, LossKind::Hinge | LossKind::Mse)
    }

    /// The per-example loss of `outputs` for true class `class`.
    ///
    /// # Panics
    /// If the number of outputs does not fit the loss (see the table) or `class` is out of range.
    pub fn example_loss(self, outputs: &[Value], class: usize) -> Value {
        let sign = if class == 1 { 1.0 } else { -1.0 };
        match (self, outputs.len()) {
            (LossKind::Hinge, 1) => crate::loss::hinge(outputs[0], sign),
            (LossKind::Mse, 1) => crate::loss::squared_error(outputs[0], sign),
            (LossKind::Mse, k) => {
                assert!(class < k, "micrograd: class {class} of {k} outputs");
                let errs: Vec<Value> = outputs
                    .iter()
                    .enumerate()
                    .map(|(j, &s)| crate::loss::squared_error(s, f64::from(u8::from(j == class))))
                    .collect();
                crate::loss::mean(&errs)
            }
            (LossKind::Bce, 1) => {
                crate::loss::bce_with_logits(outputs[0], f64::from(u8::from(class == 1)))
            }
            (LossKind::CrossEntropy, _) => crate::loss::softmax_cross_entropy(outputs, class),
            (kind, k) => panic!(
                "micrograd: the {} loss takes 1 output, got {k}",
                kind.name()
            ),
        }
    }

    /// The class predicted from plain outputs: `s > 0` for one output, the argmax for several.
    ///
    /// ```
    /// use micrograd::train::LossKind;
    /// assert_eq!(LossKind::Bce.predict(&[0.3]), 1);
    /// assert_eq!(LossKind::CrossEntropy.predict(&[0.3, 2.0, 2.0]), 1);
    /// ```
    pub fn predict(self, outputs: &[f64]) -> usize {
        if outputs.len() == 1 {
            return usize::from(outputs[0] > 0.0);
        }
        argmax(outputs)
    }

    /// The lowercase name, as the CLI spells it: `hinge`, `mse`, `bce`, `ce`.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Hinge => "hinge",
            LossKind::Mse => "mse",
            LossKind::Bce => "bce",
            LossKind::CrossEntropy => "ce",
        }
    }
}

impl std::str::FromStr for LossKind {
    type Err = String;
    /// Parses `hinge`, `mse`, `bce` or `ce` (also `cross-entropy`), case-insensitive.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hinge" | "svm" => Ok(LossKind::Hinge),
            "mse" => Ok(LossKind::Mse),
            "bce" => Ok(LossKind::Bce),
            "ce" | "cross-entropy" | "crossentropy" => Ok(LossKind::CrossEntropy),
            other => Err(format!(
                "unknown loss `{other}` (expected hinge, mse, bce or ce)"
            )),
        }
    }
}

/// The index of the largest value (the first of equal ones); NaNs never win. 0 for an empty slice.
///
/// ```
/// assert_eq!(micrograd::train::argmax(&[1.0, 3.0, 3.0, -2.0]), 1);
/// ```
pub fn argmax(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] || xs[best].is_nan() {
            best = i;
        }
    }
    best
}
