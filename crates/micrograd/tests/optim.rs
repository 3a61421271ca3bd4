//! Optimizer tests: 20 steps of every optimizer configuration against PyTorch's `torch.optim`
//! (fixture `fixtures/optim_torch.json`, written by `scripts/gen_optim_fixtures.py`), plus hand-derived
//! updates, schedules and gradient clipping.

use micrograd::optim::{
    clip_grad_norm, grad_norm, Adagrad, Adam, AdamFormula, AdamW, Optimizer, RmsProp, Schedule,
    Sgd, Span,
};
use micrograd::{Tape, Value};
use serde_json::Value as Json;

/// Agreement required with PyTorch, on every parameter after every step.
const TOL: f64 = 1e-10;

fn fixture() -> Json {
    let text = include_str!("fixtures/optim_torch.json");
    serde_json::from_str(text).expect("fixtures/optim_torch.json is valid JSON")
}

fn f64s(j: &Json) -> Vec<f64> {
    j.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// The fixture's problem, with the engine: a 2-3-1 tanh MLP with MSE loss. `params` is W1 (3x2
/// row-major), b1 (3), W2 (1x3), b2 (1).
fn loss(params: &[Value], xs: &[Vec<f64>], ys: &[f64]) -> Value {
    let (w1, rest) = params.split_at(6);
    let (b1, rest) = rest.split_at(3);
    let (w2, b2) = rest.split_at(3);
    let errs: Vec<Value> = xs
        .iter()
        .zip(ys)
        .map(|(x, &y)| {
            let x = [Value::new(x[0]), Value::new(x[1])];
            let h: Vec<Value> = (0..3)
                .map(|j| Value::affine(b1[j], &w1[2 * j..2 * j + 2], &x).tanh())
                .collect();
            micrograd::loss::squared_error(Value::affine(b2[0], w2, &h), y)
        })
        .collect();
    micrograd::loss::mean(&errs)
}

fn optimizer(cfg: &Json) -> Box<dyn Optimizer> {
    let num = |k: &str| cfg.get(k).and_then(Json::as_f64);
    let flag = |k: &str| cfg.get(k).and_then(Json::as_bool).unwrap_or(false);
    let lr = num("lr").unwrap();
    match cfg["optimizer"].as_str().unwrap() {
        "sgd" => Box::new(
            Sgd::new(lr)
                .momentum(num("momentum").unwrap_or(0.0))
                .dampening(num("dampening").unwrap_or(0.0))
                .nesterov(flag("nesterov"))
                .weight_decay(num("weight_decay").unwrap_or(0.0)),
        ),
        "adam" | "adamw" => {
            let betas = cfg.get("betas").map(f64s).unwrap_or(vec![0.9, 0.999]);
            let eps = num("eps").unwrap_or(1e-8);
            if cfg["optimizer"] == "adam" {
                Box::new(
                    Adam::new(lr)
                        .betas(betas[0], betas[1])
                        .eps(eps)
                        .amsgrad(flag("amsgrad"))
                        .weight_decay(num("weight_decay").unwrap_or(0.0)),
                )
            } else {
                let mut opt = AdamW::new(lr)
                    .betas(betas[0], betas[1])
                    .eps(eps)
                    .amsgrad(flag("amsgrad"));
                if let Some(wd) = num("weight_decay") {
                    opt = opt.weight_decay(wd);
                }
                Box::new(opt)
            }
        }
        "rmsprop" => Box::new(
            RmsProp::new(lr)
                .alpha(num("alpha").unwrap_or(0.99))
                .eps(num("eps").unwrap_or(1e-8))
                .weight_decay(num("weight_decay").unwrap_or(0.0))
                .momentum(num("momentum").unwrap_or(0.0))
                .centered(flag("centered")),
        ),
        "adagrad" => Box::new(
            Adagrad::new(lr)
                .lr_decay(num("lr_decay").unwrap_or(0.0))
                .weight_decay(num("weight_decay").unwrap_or(0.0))
                .initial_accumulator_value(num("initial_accumulator_value").unwrap_or(0.0))
                .eps(num("eps").unwrap_or(1e-10)),
        ),
        other => panic!("unknown optimizer {other}"),
    }
}

fn schedule(cfg: &Json) -> Schedule {
    let Some(s) = cfg.get("schedule") else {
        return Schedule::Constant;
    };
    let num = |k: &str| s[k].as_f64().unwrap();
    let int = |k: &str| s[k].as_u64().unwrap() as usize;
    match s["kind"].as_str().unwrap() {
        "step" => Schedule::Step {
            every: Span::Steps(int("step_size")),
            gamma: num("gamma"),
        },
        "cosine" => Schedule::Cosine {
            over: Span::Steps(int("total_steps")),
            min_lr: num("min_lr"),
        },
        "linear" => Schedule::Linear {
            start_factor: num("start_factor"),
            end_factor: num("end_factor"),
            over: Span::Steps(int("total_steps")),
        },
        other => panic!("unknown schedule {other}"),
    }
}

/// Largest differences from PyTorch over a run: (parameters, loss, learning rate, gradient norm).
fn run_against_torch(run: &Json, problem: &Json) -> [f64; 4] {
    let cfg = &run["config"];
    let name = cfg["name"].as_str().unwrap();
    let xs: Vec<Vec<f64>> = problem["xs"].as_array().unwrap().iter().map(f64s).collect();
    let ys = f64s(&problem["ys"]);
    let params: Vec<Value> = f64s(&problem["initial_params"])
        .into_iter()
        .map(Value::new)
        .collect();
    let mut opt = optimizer(cfg);
    let sched = schedule(cfg);
    let base_lr = cfg["lr"].as_f64().unwrap();
    let clip = cfg.get("clip").and_then(Json::as_f64);
    let mut max = [0.0f64; 4];
    let mark = Tape::mark();
    for (t, want) in run["steps"].as_array().unwrap().iter().enumerate() {
        opt.zero_grad(&params);
        let l = loss(&params, &xs, &ys);
        l.backward();
        max[1] = max[1].max((l.data() - want["loss"].as_f64().unwrap()).abs());
        if let Some(max_norm) = clip {
            let norm = clip_grad_norm(&params, max_norm);
            max[3] = max[3].max((norm - want["grad_norm"].as_f64().unwrap()).abs());
        }
        let lr = sched.lr(base_lr, t);
        max[2] = max[2].max((lr - want["lr"].as_f64().unwrap()).abs());
        opt.set_lr(lr);
        opt.step(&params);
        Tape::rewind(mark);
        for (i, (p, w)) in params.iter().zip(f64s(&want["params"])).enumerate() {
            let d = (p.data() - w).abs();
            assert!(
                d <= TOL,
                "{name}: step {}: param {i} = {} but torch has {w} (diff {d:e})",
                t + 1,
                p.data()
            );
            max[0] = max[0].max(d);
        }
    }
    assert_eq!(opt.steps(), 20, "{name}");
    max
}

#[test]
fn twenty_steps_match_torch_optim() {
    let fx = fixture();
    assert_eq!(fx["steps_per_run"], 20);
    let runs = fx["runs"].as_array().unwrap();
    assert!(runs.len() >= 10, "the fixture covers every optimizer");
    println!(
        "torch {}: max |Δ| over 20 steps (params, loss, lr, grad norm)",
        fx["torch_version"]
    );
    for run in runs {
        let [dp, dl, dlr, dn] = run_against_torch(run, &fx["problem"]);
        println!(
            "{:36} {dp:.1e} {dl:.1e} {dlr:.1e} {dn:.1e}",
            run["config"]["name"].as_str().unwrap()
        );
        let name = &run["config"]["name"];
        assert!(
            dl <= TOL && dlr <= 1e-15 && dn <= TOL,
            "{name}: {dl} {dlr} {dn}"
        );
    }
}

#[test]
fn fixture_runs_differ_from_each_other() {
    // Guards against a fixture where the settings had no effect (e.g. every run identical).
    let fx = fixture();
    let finals: Vec<Vec<f64>> = fx["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| f64s(&r["steps"][19]["params"]))
        .collect();
    for i in 0..finals.len() {
        for j in 0..i {
            let d = finals[i]
                .iter()
                .zip(&finals[j])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(d > 1e-6, "runs {i} and {j} end at the same parameters");
        }
    }
}

// ------------------------------------------------------------------ hand-derived updates

/// Runs `steps` updates on `f(p) = Σ cᵢ·pᵢ` (constant gradients `c`) and returns the parameters.
fn with_grads(opt: &mut dyn Optimizer, init: &[f64], grads: &[f64], steps: usize) -> Vec<f64> {
    let ps: Vec<Value> = init.iter().map(|&x| Value::new(x)).collect();
    for _ in 0..steps {
        opt.zero_grad(&ps);
        for (p, &g) in ps.iter().zip(grads) {
            p.set_grad(g);
        }
        opt.step(&ps);
    }
    ps.iter().map(|p| p.data()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-14 * (1.0 + b.abs())
}

#[test]
fn sgd_by_hand() {
    // Plain: p - lr·g.
    let p = with_grads(&mut Sgd::new(0.5), &[1.0, -2.0], &[4.0, -1.0], 1);
    assert_eq!(p, vec![-1.0, -1.5]);
    // Weight decay: g + λp = 4 + 0.1·1 = 4.1.
    let p = with_grads(&mut Sgd::new(0.5).weight_decay(0.1), &[1.0], &[4.0], 1);
    assert!(close(p[0], 1.0 - 0.5 * 4.1));
    // Momentum 0.5, dampening 0.5, constant g = 1: b = 1, then 0.5 + 0.5 = 1, 1: p = -3·lr.
    let p = with_grads(
        &mut Sgd::new(0.1).momentum(0.5).dampening(0.5),
        &[0.0],
        &[1.0],
        3,
    );
    assert!(close(p[0], -0.3));
    // Nesterov μ = 0.5, g = 1: b1 = 1, step g + μb = 1.5; b2 = 1.5, step 1 + 0.75 = 1.75.
    let p = with_grads(
        &mut Sgd::new(1.0).momentum(0.5).nesterov(true),
        &[0.0],
        &[1.0],
        2,
    );
    assert!(close(p[0], -(1.5 + 1.75)));
    // Nesterov without momentum changes nothing.
    let a = with_grads(&mut Sgd::new(0.1).nesterov(true), &[1.0], &[3.0], 3);
    let b = with_grads(&mut Sgd::new(0.1), &[1.0], &[3.0], 3);
    assert_eq!(a, b);
}

#[test]
fn adam_by_hand() {
    // With a constant gradient g, m̂ = g and v̂ = g² exactly in the math, so every step moves each
    // parameter by lr·g/(|g| + ε), i.e. about lr·sign(g), whatever the scale of g.
    for g in [1e-3, 1.0, -250.0] {
        let p = with_grads(&mut Adam::new(0.01), &[0.0], &[g], 5);
        let want = -5.0 * 0.01 * g / (g.abs() + 1e-8);
        assert!((p[0] - want).abs() < 1e-12, "g = {g}: {} vs {want}", p[0]);
    }
    // Zero gradient: no move (0/ε = 0).
    assert_eq!(
        with_grads(&mut Adam::new(0.1), &[2.0], &[0.0], 3),
        vec![2.0]
    );
    // L2 weight decay enters the gradient: g = 0, p = 2, λ = 0.5 → effective g = 1 → first step -lr.
    let p = with_grads(&mut Adam::new(0.1).weight_decay(0.5), &[2.0], &[0.0], 1);
    assert!((p[0] - (2.0 - 0.1)).abs() < 1e-8);
    // AMSGrad with a shrinking gradient keeps the largest v: steps smaller than plain Adam's.
    let ps = [Value::new(0.0)];
    let (mut a, mut b) = (Adam::new(0.1).amsgrad(true), Adam::new(0.1));
    let qs = [Value::new(0.0)];
    for g in [10.0, 1.0, 0.1] {
        ps[0].set_grad(g);
        qs[0].set_grad(g);
        a.step(&ps);
        b.step(&qs);
    }
    assert!(ps[0].data() > qs[0].data(), "amsgrad moves less");
}

/// `AdamFormula::Microgpt` is microgpt's update to the bit, written out here in its order of
/// operations, with coupled and decoupled decay and AMSGrad applied as documented.
#[test]
fn adam_microgpt_formula_bit_for_bit() {
    let grads = [[0.3, -2.0], [-0.7, 1e-3], [0.05, 4.0], [1.5, -0.2]];
    for (decay, decoupled, amsgrad) in [
        (0.0, false, false),
        (0.1, false, false),
        (0.1, true, false),
        (0.0, false, true),
    ] {
        let ps = [Value::new(0.5), Value::new(-1.25)];
        let mut opt: Box<dyn Optimizer> = if decoupled {
            Box::new(
                AdamW::new(0.02)
                    .betas(0.85, 0.99)
                    .weight_decay(decay)
                    .amsgrad(amsgrad)
                    .formula(AdamFormula::Microgpt),
            )
        } else {
            Box::new(
                Adam::new(0.02)
                    .betas(0.85, 0.99)
                    .weight_decay(decay)
                    .amsgrad(amsgrad)
                    .formula(AdamFormula::Microgpt),
            )
        };
        let (mut x, mut m, mut v, mut v_max) = ([0.5, -1.25], [0.0; 2], [0.0; 2], [0.0f64; 2]);
        for (step, g) in grads.iter().enumerate() {
            let lr = 0.02 * (1.0 - step as f64 / 4.0);
            opt.set_lr(lr);
            for (p, &gi) in ps.iter().zip(g) {
                p.set_grad(gi);
            }
            opt.step(&ps);
            let t = (step + 1) as f64;
            for i in 0..2 {
                let mut gi = g[i];
                if decoupled {
                    x[i] *= 1.0 - lr * decay;
                } else {
                    gi += decay * x[i];
                }
                m[i] = 0.85 * m[i] + (1.0 - 0.85) * gi;
                v[i] = 0.99 * v[i] + (1.0 - 0.99) * (gi * gi);
                v_max[i] = v_max[i].max(v[i]);
                let v_used = if amsgrad { v_max[i] } else { v[i] };
                let m_hat = m[i] / (1.0 - 0.85f64.powf(t));
                let v_hat = v_used / (1.0 - 0.99f64.powf(t));
                x[i] -= lr * m_hat / (v_hat.sqrt() + 1e-8);
                assert_eq!(
                    ps[i].data(),
                    x[i],
                    "decay {decay}, decoupled {decoupled}, amsgrad {amsgrad}, step {step}"
                );
                assert_eq!(ps[i].grad(), g[i], "the step leaves the gradients alone");
            }
        }
    }
}

#[test]
fn adamw_decouples_decay() {
    // Decoupled: p·(1 - lr·λ) then the Adam step on the raw gradient.
    let p = with_grads(&mut AdamW::new(0.1).weight_decay(0.5), &[2.0], &[3.0], 1);
    let want = 2.0 * (1.0 - 0.05) - 0.1 * 3.0 / (3.0 + 1e-8);
    assert!((p[0] - want).abs() < 1e-14, "{} vs {want}", p[0]);
    // Default decay is PyTorch's 0.01; with zero gradient only the decay acts, compounding.
    let p = with_grads(&mut AdamW::new(0.1), &[1.0], &[0.0], 3);
    assert!(close(p[0], 0.999f64.powi(3)));
    // Adam's coupled decay is not the same thing.
    let q = with_grads(&mut Adam::new(0.1).weight_decay(0.01), &[1.0], &[0.0], 3);
    assert!((p[0] - q[0]).abs() > 0.1);
}

#[test]
fn set_lr_drives_the_step() {
    let mut opt = Sgd::new(1.0);
    assert_eq!(opt.lr(), 1.0);
    opt.set_lr(0.25);
    assert_eq!(opt.lr(), 0.25);
    let p = [Value::new(0.0)];
    p[0].set_grad(1.0);
    opt.step(&p);
    assert_eq!(p[0].data(), -0.25);
    // Adam's state survives an lr change.
    let mut adam = Adam::new(0.1);
    p[0].set_grad(1.0);
    adam.step(&p);
    adam.set_lr(0.0);
    let before = p[0].data();
    adam.step(&p);
    assert_eq!(p[0].data(), before);
    assert_eq!(adam.steps(), 2);
}

#[test]
fn zero_grad_clears_every_parameter() {
    let ps = [Value::new(1.0), Value::new(2.0)];
    (ps[0] * ps[1]).backward();
    assert_eq!((ps[0].grad(), ps[1].grad()), (2.0, 1.0));
    Sgd::new(0.1).zero_grad(&ps);
    assert_eq!((ps[0].grad(), ps[1].grad()), (0.0, 0.0));
}

#[test]
#[should_panic(expected = "got 1 parameters, but the optimizer's state was built for 2")]
fn a_different_parameter_list_panics() {
    let mut opt = Adam::new(0.1);
    let ps = [Value::new(1.0), Value::new(2.0)];
    opt.step(&ps);
    opt.step(&ps[..1]);
}

#[test]
#[should_panic(expected = "betas must be in [0, 1)")]
fn adam_rejects_beta_one() {
    let _ = Adam::new(0.1).betas(0.9, 1.0);
}

// ------------------------------------------------------------------ schedules

#[test]
fn schedules() {
    let base = 0.2;
    assert_eq!(Schedule::Constant.lr(base, 12345), base);

    let lin = Schedule::Linear {
        start_factor: 1.0,
        end_factor: 0.0,
        over: Span::Steps(4),
    };
    let got: Vec<f64> = (0..6).map(|t| lin.lr(base, t)).collect();
    assert_eq!(got, vec![0.2, 0.15000000000000002, 0.1, 0.05, 0.0, 0.0]);
    let warm = Schedule::Linear {
        start_factor: 0.5,
        end_factor: 1.0,
        over: Span::Steps(0),
    };
    assert_eq!(
        warm.lr(base, 0),
        base,
        "T = 0: the end factor from the start"
    );

    let cos = Schedule::Cosine {
        over: Span::Steps(4),
        min_lr: 0.02,
    };
    let got: Vec<f64> = (0..6).map(|t| cos.lr(base, t)).collect();
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let want = [
        0.2,
        0.02 + 0.18 * (1.0 + s) / 2.0,
        0.11,
        0.02 + 0.18 * (1.0 - s) / 2.0,
        0.02,
        0.02,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{got:?}");
    }
    // Monotone non-increasing over the whole run.
    let long = Schedule::Cosine {
        over: Span::Steps(1000),
        min_lr: 0.0,
    };
    assert!((1..1100).all(|t| long.lr(1.0, t) <= long.lr(1.0, t - 1)));

    let step = Schedule::Step {
        every: Span::Steps(3),
        gamma: 0.1,
    };
    let got: Vec<f64> = (0..7).map(|t| step.lr(1.0, t)).collect();
    assert_eq!(
        got,
        vec![1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.010000000000000002]
    );
}

#[test]
#[should_panic(expected = "the period must be at least 1 step")]
fn step_schedule_rejects_zero_step_size() {
    Schedule::Step {
        every: Span::Steps(0),
        gamma: 0.5,
    }
    .lr(1.0, 3);
}

// ------------------------------------------------------------------ gradient clipping

fn grads_of(ps: &[Value]) -> Vec<f64> {
    ps.iter().map(|p| p.grad()).collect()
}

fn params_with_grads(gs: &[f64]) -> Vec<Value> {
    gs.iter()
        .map(|&g| {
            let p = Value::new(0.0);
            p.set_grad(g);
            p
        })
        .collect()
}

#[test]
fn clipping_scales_to_max_norm_and_returns_the_old_norm() {
    let ps = params_with_grads(&[3.0, -4.0, 0.0, 12.0]); // norm 13
    let n = clip_grad_norm(&ps, 6.5);
    assert_eq!(n, 13.0);
    let coef = 6.5 / (13.0 + 1e-6);
    assert_eq!(
        grads_of(&ps),
        vec![3.0 * coef, -4.0 * coef, 0.0, 12.0 * coef]
    );
    assert!((grad_norm(&ps) - 6.5).abs() < 1e-6 && grad_norm(&ps) < 6.5);
}

#[test]
fn clipping_leaves_small_gradients_alone() {
    let ps = params_with_grads(&[0.3, -0.4]);
    assert!((clip_grad_norm(&ps, 0.6) - 0.5).abs() < 1e-15);
    assert_eq!(grads_of(&ps), vec![0.3, -0.4], "norm < max_norm: untouched");
    // As in PyTorch, the factor is max_norm / (norm + 1e-6): a norm equal to max_norm is scaled by
    // a hair, one 1e-6 below it is not.
    let ps = params_with_grads(&[0.3, -0.4]);
    let n = clip_grad_norm(&ps, 0.5);
    assert!(grads_of(&ps)[0] < 0.3 && grads_of(&ps)[0] > 0.3 * (1.0 - 3e-6));
    let ps = params_with_grads(&[0.3, -0.4]);
    clip_grad_norm(&ps, n + 1e-6);
    assert_eq!(grads_of(&ps), vec![0.3, -0.4]);
    // Empty list and max_norm 0.
    assert_eq!(clip_grad_norm(&[], 1.0), 0.0);
    let ps = params_with_grads(&[1.0]);
    clip_grad_norm(&ps, 0.0);
    assert_eq!(grads_of(&ps), vec![0.0]);
}

#[test]
fn clipping_reports_non_finite_norms_without_touching_gradients() {
    let ps = params_with_grads(&[1.0, f64::NAN]);
    assert!(clip_grad_norm(&ps, 1.0).is_nan());
    assert_eq!(ps[0].grad(), 1.0);
    let ps = params_with_grads(&[1.0, f64::NEG_INFINITY]);
    assert_eq!(clip_grad_norm(&ps, 1.0), f64::INFINITY);
    assert_eq!(ps[0].grad(), 1.0);
}

#[test]
fn grad_norm_avoids_overflow_and_underflow() {
    let ps = params_with_grads(&[3e300, -4e300]);
    assert!((grad_norm(&ps) / 5e300 - 1.0).abs() < 1e-15);
    let ps = params_with_grads(&[3e-300, 4e-300]);
    assert!((grad_norm(&ps) / 5e-300 - 1.0).abs() < 1e-15);
    // And clipping huge gradients works.
    let ps = params_with_grads(&[3e300, -4e300]);
    clip_grad_norm(&ps, 1.0);
    assert!((grads_of(&ps)[0] - 0.6).abs() < 1e-12 && (grads_of(&ps)[1] + 0.8).abs() < 1e-12);
}

#[test]
#[should_panic(expected = "max_norm must be >= 0")]
fn clipping_rejects_a_negative_max_norm() {
    clip_grad_norm(&params_with_grads(&[1.0]), -1.0);
}
