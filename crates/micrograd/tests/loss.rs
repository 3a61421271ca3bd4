//! Loss tests: values and gradients against PyTorch (fixture `fixtures/loss_torch.json`, written by
//! `scripts/gen_optim_fixtures.py`), finite differences, hand-derived values and extreme logits.

use micrograd::loss::{
    bce_with_logits, hinge, hinge_mean, l2_penalty, log_sum_exp, mean, mse, softmax_cross_entropy,
    squared_error,
};
use micrograd::Value;
use serde_json::Value as Json;

fn fixture() -> Json {
    serde_json::from_str(include_str!("fixtures/loss_torch.json"))
        .expect("fixtures/loss_torch.json is valid JSON")
}

fn f64s(j: &Json) -> Vec<f64> {
    j.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Equal to 4 units in the last place of `max(1, |a|, |b|)`. Losses and their gradients here are
/// O(1) or larger, so this is PyTorch-level agreement; tiny tails (where PyTorch rounds
/// `ln(1 + e^-60)` to 0 and this crate keeps `8.8e-27`) are checked separately, relatively, in
/// `tiny_tails_keep_relative_precision`.
fn ulps_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs()).max(1.0)
}

/// Evaluates `f` at `x`, backpropagates, and returns (value, gradient).
fn eval(x: &[f64], f: &dyn Fn(&[Value]) -> Value) -> (f64, Vec<f64>) {
    let vs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
    let out = f(&vs);
    out.backward();
    (out.data(), vs.iter().map(|v| v.grad()).collect())
}

/// Compares the gradient of `f` at `x` with central differences.
fn check_finite_differences(x: &[f64], f: &dyn Fn(&[Value]) -> Value) {
    let (_, grad) = eval(x, f);
    for i in 0..x.len() {
        let h = 1e-6 * (1.0 + x[i].abs());
        let mut xp = x.to_vec();
        let mut xm = x.to_vec();
        xp[i] += h;
        xm[i] -= h;
        let numeric = (eval(&xp, f).0 - eval(&xm, f).0) / (2.0 * h);
        assert!(
            (numeric - grad[i]).abs() <= 1e-7 * (1.0 + numeric.abs()),
            "at {x:?}: d/dx{i} = {} but finite differences give {numeric}",
            grad[i]
        );
    }
}

// ------------------------------------------------------------------ against PyTorch

#[test]
fn bce_with_logits_matches_torch() {
    let fx = fixture();
    let cases = fx["bce_with_logits"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for c in cases {
        let (z, y) = (c["logit"].as_f64().unwrap(), c["target"].as_f64().unwrap());
        let (v, g) = eval(&[z], &|v| bce_with_logits(v[0], y));
        let (want_v, want_g) = (c["loss"].as_f64().unwrap(), c["grad"].as_f64().unwrap());
        assert!(v.is_finite() && g[0].is_finite(), "z = {z}, y = {y}");
        assert!(
            ulps_close(v, want_v),
            "loss(z={z}, y={y}) = {v}, torch {want_v}"
        );
        assert!(
            ulps_close(g[0], want_g),
            "grad(z={z}, y={y}) = {}, torch {want_g}",
            g[0]
        );
    }
}

#[test]
fn softmax_cross_entropy_matches_torch() {
    let fx = fixture();
    for c in fx["cross_entropy"].as_array().unwrap() {
        let logits = f64s(&c["logits"]);
        let class = c["class"].as_u64().unwrap() as usize;
        let (v, g) = eval(&logits, &|z| softmax_cross_entropy(z, class));
        let want_v = c["loss"].as_f64().unwrap();
        assert!(
            ulps_close(v, want_v),
            "{logits:?} class {class}: {v} vs torch {want_v}"
        );
        for (gi, wi) in g.iter().zip(f64s(&c["grad"])) {
            assert!(
                ulps_close(*gi, wi),
                "{logits:?} class {class}: grad {g:?} vs torch {wi}"
            );
        }
    }
}

#[test]
fn mse_hinge_and_l2_match_torch() {
    let fx = fixture();
    let m = &fx["mse"];
    let targets = f64s(&m["targets"]);
    let (v, g) = eval(&f64s(&m["preds"]), &|p| mse(p, &targets));
    assert!(ulps_close(v, m["loss"].as_f64().unwrap()));
    assert!(g
        .iter()
        .zip(f64s(&m["grad"]))
        .all(|(a, b)| ulps_close(*a, b)));

    let h = &fx["hinge_mean"];
    let labels = f64s(&h["labels"]);
    let (v, g) = eval(&f64s(&h["scores"]), &|s| hinge_mean(s, &labels));
    assert!(ulps_close(v, h["loss"].as_f64().unwrap()));
    assert_eq!(g, f64s(&h["grad"]), "hinge gradients are ±1/n or 0");

    let l = &fx["l2_penalty"];
    let alpha = l["alpha"].as_f64().unwrap();
    let (v, g) = eval(&f64s(&l["params"]), &|p| l2_penalty(p, alpha));
    assert!(ulps_close(v, l["loss"].as_f64().unwrap()));
    assert!(g
        .iter()
        .zip(f64s(&l["grad"]))
        .all(|(a, b)| ulps_close(*a, b)));
}

// ------------------------------------------------------------------ finite differences

#[test]
fn gradients_match_finite_differences() {
    for &(s, y) in &[(0.3, 1.0), (-0.7, 1.0), (0.2, -1.0), (2.5, 0.5)] {
        check_finite_differences(&[s], &|v| hinge(v[0], y));
    }
    check_finite_differences(&[0.3, -1.2, 2.0], &|v| mse(v, &[0.0, 1.0, -1.5]));
    for z in [-30.0, -4.0, -0.3, 0.0, 0.01, 1.7, 12.0, 35.0] {
        for y in [0.0, 1.0, 0.25] {
            check_finite_differences(&[z], &|v| bce_with_logits(v[0], y));
        }
    }
    let logits = [0.3, -1.2, 2.2, 0.0, -0.7];
    for c in 0..logits.len() {
        check_finite_differences(&logits, &|z| softmax_cross_entropy(z, c));
    }
    check_finite_differences(&[40.0, 41.5, 39.0], &|z| softmax_cross_entropy(z, 1));
    check_finite_differences(&logits, &log_sum_exp);
    check_finite_differences(&[0.5, -1.5, 2.0], &|p| l2_penalty(p, 0.01));
    // A composite: data loss plus penalty over shared values.
    check_finite_differences(&[0.4, -0.9, 1.3], &|p| {
        softmax_cross_entropy(p, 0) + bce_with_logits(p[1], 1.0) + l2_penalty(p, 0.1)
    });
}

// ------------------------------------------------------------------ hand-derived values, edges

#[test]
fn tiny_tails_keep_relative_precision() {
    let rel = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
    // ln(1 + e^z) for very negative z is e^z to within e^2z: the loss of a confidently right example.
    for z in [-60.0, -200.0, -700.0] {
        let (v, g) = eval(&[z], &|v| bce_with_logits(v[0], 0.0));
        assert!(rel(v, f64::exp(z)), "z = {z}: {v}");
        assert!(
            rel(g[0], f64::exp(z) / (1.0 + f64::exp(z))),
            "z = {z}: {g:?}"
        );
    }
    // Softmax tail: p = e^(zᵢ - m) / Σ e^(zⱼ - m).
    let z = [50.0, -50.0, 0.0, 49.5];
    let (_, g) = eval(&z, &|v| softmax_cross_entropy(v, 3));
    let s: f64 = z.iter().map(|x| (x - 50.0f64).exp()).sum();
    assert!(rel(g[1], (-100.0f64).exp() / s), "{g:?}");
    assert!(rel(g[2], (-50.0f64).exp() / s), "{g:?}");
}

#[test]
fn hinge_is_micrographs_max_margin_bit_for_bit() {
    for &(s, y) in &[
        (0.123456789, 1.0),
        (-0.987654321, -1.0),
        (3.3, -1.0),
        (0.1 + 0.2, 1.0),
    ] {
        let score = Value::new(s);
        // micrograd: (1 + -yi*scorei).relu()
        let reference = (1.0 + (-y) * score).relu();
        assert_eq!(hinge(score, y).data().to_bits(), reference.data().to_bits());
    }
    // Gradient: -y inside the margin, 0 at and beyond it.
    for &(s, y, g) in &[
        (0.5, 1.0, -1.0),
        (-0.5, -1.0, 1.0),
        (1.0, 1.0, 0.0),
        (4.0, 1.0, 0.0),
    ] {
        let (v, grad) = eval(&[s], &|v| hinge(v[0], y));
        assert_eq!(grad[0], g, "s = {s}, y = {y}");
        assert_eq!(v, (1.0 - s * y).max(0.0));
    }
}

#[test]
fn mean_and_mse_by_hand() {
    let (v, g) = eval(&[1.0, 2.0, 4.0, 8.0], &mean);
    assert_eq!((v, g), (3.75, vec![0.25; 4]));
    let (v, g) = eval(&[3.0], &|p| squared_error(p[0], 5.0));
    assert_eq!((v, g), (4.0, vec![-4.0]));
    let (v, g) = eval(&[1.0, -1.0], &|p| mse(p, &[0.0, 0.0]));
    assert_eq!((v, g), (1.0, vec![1.0, -1.0]));
}

#[test]
fn bce_extreme_logits_are_finite_with_exact_limits() {
    for z in [50.0, 100.0, 709.0, 710.0, 1e4, 1e300] {
        // Confidently right: loss and gradient are 0 (or a denormal-sized positive number).
        let (v, g) = eval(&[z], &|v| bce_with_logits(v[0], 1.0));
        assert!(
            (0.0..2e-22).contains(&v) && g[0] == 0.0,
            "z = {z}: {v} {g:?}"
        );
        let (v, g) = eval(&[-z], &|v| bce_with_logits(v[0], 0.0));
        assert!((0.0..2e-22).contains(&v) && (0.0..2e-22).contains(&g[0]));
        // Confidently wrong: loss |z|, gradient ±1.
        let (v, g) = eval(&[z], &|v| bce_with_logits(v[0], 0.0));
        assert_eq!((v, g[0]), (z, 1.0));
        let (v, g) = eval(&[-z], &|v| bce_with_logits(v[0], 1.0));
        assert_eq!((v, g[0]), (z, -1.0));
    }
    // Symmetric at 0.
    let (v, g) = eval(&[0.0], &|v| bce_with_logits(v[0], 1.0));
    assert_eq!((v, g[0]), (std::f64::consts::LN_2, -0.5));
    // Non-finite logits are not hidden.
    assert!(eval(&[f64::NAN], &|v| bce_with_logits(v[0], 1.0))
        .0
        .is_nan());
}

#[test]
fn softmax_cross_entropy_extreme_logits_are_finite() {
    for big in [50.0, 1000.0, 1e6, 1e300] {
        let logits = [big, 0.0, -big];
        for c in 0..3 {
            let (v, g) = eval(&logits, &|z| softmax_cross_entropy(z, c));
            assert!(
                v.is_finite() && g.iter().all(|x| x.is_finite()),
                "{big} {c}"
            );
            assert!(v >= 0.0);
            let total: f64 = g.iter().sum();
            assert!(total.abs() < 1e-12, "gradients sum to 0: {g:?}");
        }
        let (v, g) = eval(&logits, &|z| softmax_cross_entropy(z, 0));
        assert!(
            v < 1e-20 && g.iter().all(|x| x.abs() < 1e-20),
            "right class wins: {v} {g:?}"
        );
        let (v, g) = eval(&logits, &|z| softmax_cross_entropy(z, 1));
        assert_eq!((v, g[0], g[1]), (big, 1.0, -1.0));
        assert!((0.0..1e-43).contains(&g[2]), "e^-2·{big}: {}", g[2]);
    }
    // Shifting all logits by a constant changes nothing (the max is subtracted).
    let (a, ga) = eval(&[0.5, -0.25, 1.0], &|z| softmax_cross_entropy(z, 2));
    let (b, gb) = eval(&[1e4 + 0.5, 1e4 - 0.25, 1e4 + 1.0], &|z| {
        softmax_cross_entropy(z, 2)
    });
    assert!((a - b).abs() < 1e-12);
    assert!(ga.iter().zip(&gb).all(|(x, y)| (x - y).abs() < 1e-12));
    // A -inf logit among finite ones is a class with probability 0; NaN or +inf gives NaN.
    let (v, g) = eval(&[f64::NEG_INFINITY, 0.0], &|z| softmax_cross_entropy(z, 1));
    assert_eq!((v, g[1]), (0.0, 0.0));
    assert!(
        eval(&[f64::INFINITY, 0.0], &|z| softmax_cross_entropy(z, 1))
            .0
            .is_nan()
    );
    assert!(eval(&[f64::NAN, 0.0], &|z| softmax_cross_entropy(z, 1))
        .0
        .is_nan());
    assert!(eval(&[0.0, f64::NAN], &|z| log_sum_exp(z)).0.is_nan());
}

#[test]
fn l2_penalty_is_micrographs_bit_for_bit() {
    let ps: Vec<Value> = [0.1, -0.7, 0.3333, 2.0 / 3.0]
        .iter()
        .map(|&x| Value::new(x))
        .collect();
    let alpha = 1e-4;
    // micrograd: alpha * sum((p*p for p in model.parameters())), Python's sum from 0, left to right.
    let reference = alpha * ps.iter().fold(0.0, |acc, p| acc + p.data() * p.data());
    let r = l2_penalty(&ps, alpha);
    assert_eq!(r.data().to_bits(), reference.to_bits());
    r.backward();
    assert!(ps.iter().all(|p| p.grad() == 2.0 * alpha * p.data()));
    assert_eq!(l2_penalty(&[], 1.0).data(), 0.0);
}

#[test]
#[should_panic(expected = "class 3 is out of range for 3 logits")]
fn softmax_cross_entropy_rejects_a_bad_class() {
    let z = [Value::new(0.0), Value::new(1.0), Value::new(2.0)];
    softmax_cross_entropy(&z, 3);
}

#[test]
#[should_panic(expected = "mse: 2 outputs but 1 targets")]
fn mse_rejects_mismatched_lengths() {
    mse(&[Value::new(0.0), Value::new(1.0)], &[0.0]);
}

#[test]
#[should_panic(expected = "mean: no losses")]
fn mean_rejects_an_empty_batch() {
    mean(&[]);
}
