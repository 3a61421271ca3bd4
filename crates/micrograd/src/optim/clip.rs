//! The global gradient norm, and clipping by it (as `torch.nn.utils.clip_grad_norm_`).

use crate::Value;

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
