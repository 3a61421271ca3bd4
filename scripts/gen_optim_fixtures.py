#!/usr/bin/env python3
"""Reference fixtures for micrograd's optimizers and losses, computed with PyTorch in float64.

Writes
  crates/micrograd/tests/fixtures/optim_torch.json  -- 20 steps of torch.optim on a fixed small problem
  crates/micrograd/tests/fixtures/loss_torch.json   -- loss values and gradients, including extreme logits

The Rust tests (crates/micrograd/tests/optim.rs, tests/loss.rs) read these files; neither the tests
nor CI need Python. Re-run only to regenerate:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch
    /tmp/venv/bin/python scripts/gen_optim_fixtures.py

The problem: a 2-3-1 tanh network (hidden h = tanh(W1 x + b1), output o = W2 h + b2) with mean squared
error on six fixed points. Parameters are flattened in the order W1 (row-major, 3x2), b1 (3),
W2 (1x3), b2 (1): 13 numbers. Each run starts from the same initial values and, for 20 steps, does

    opt.zero_grad(); loss = f(params); loss.backward()
    [norm = clip_grad_norm_(params, max_norm)]     # if "clip" is set
    opt.step()
    [scheduler.step()]                             # if "schedule" is set

recording the loss (before the step), the learning rate the step used, the gradient norm before
clipping (if any) and the 13 parameter values after the step.
"""

import json
import math
import os
import sys

import torch

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "crates", "micrograd", "tests", "fixtures")
STEPS = 20

# Six fixed training points (x0, x1) -> y.
XS = [[0.5, -1.0], [-1.5, 0.25], [1.0, 1.0], [-0.3, -0.8], [2.0, -0.5], [0.0, 1.5]]
YS = [0.8, -0.6, 0.3, -0.2, 1.0, -0.9]

# Fixed initial parameters (no RNG, so the fixture is reproducible anywhere).
W1 = [[0.3, -0.5], [0.8, 0.1], [-0.4, 0.6]]
B1 = [0.05, -0.2, 0.1]
W2 = [[0.7, -0.3, 0.5]]
B2 = [0.0]

# Each optimizer configuration. Keys mirror the Rust builders.
CONFIGS = [
    {"name": "sgd", "optimizer": "sgd", "lr": 0.1},
    {"name": "sgd_weight_decay", "optimizer": "sgd", "lr": 0.1, "weight_decay": 0.05},
    {"name": "sgd_momentum", "optimizer": "sgd", "lr": 0.05, "momentum": 0.9},
    {"name": "sgd_momentum_dampening", "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"name": "sgd_nesterov", "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
    {
        "name": "sgd_nesterov_weight_decay",
        "optimizer": "sgd",
        "lr": 0.05,
        "momentum": 0.8,
        "nesterov": True,
        "weight_decay": 0.01,
    },
    {"name": "adam", "optimizer": "adam", "lr": 0.05},
    {
        "name": "adam_weight_decay_betas_eps",
        "optimizer": "adam",
        "lr": 0.05,
        "betas": [0.8, 0.99],
        "eps": 1e-6,
        "weight_decay": 0.1,
    },
    {"name": "adam_amsgrad", "optimizer": "adam", "lr": 0.05, "amsgrad": True},
    {"name": "adamw", "optimizer": "adamw", "lr": 0.05, "weight_decay": 0.1},
    {"name": "adamw_default_decay", "optimizer": "adamw", "lr": 0.02},
    {
        "name": "sgd_momentum_clip_step_schedule",
        "optimizer": "sgd",
        "lr": 0.2,
        "momentum": 0.9,
        "clip": 0.3,
        "schedule": {"kind": "step", "step_size": 5, "gamma": 0.5},
    },
    {
        "name": "adam_clip_cosine_schedule",
        "optimizer": "adam",
        "lr": 0.05,
        "clip": 0.2,
        "schedule": {"kind": "cosine", "total_steps": 20, "min_lr": 0.001},
    },
    {
        "name": "adamw_linear_schedule",
        "optimizer": "adamw",
        "lr": 0.05,
        "weight_decay": 0.1,
        "schedule": {"kind": "linear", "start_factor": 1.0, "end_factor": 0.1, "total_steps": 20},
    },
    {
        "name": "adamw_amsgrad_linear_warmup",
        "optimizer": "adamw",
        "lr": 0.05,
        "amsgrad": True,
        "weight_decay": 0.05,
        "schedule": {"kind": "linear", "start_factor": 0.25, "end_factor": 1.0, "total_steps": 8},
    },
    {"name": "rmsprop", "optimizer": "rmsprop", "lr": 0.01},
    {
        "name": "rmsprop_centered_momentum_decay",
        "optimizer": "rmsprop",
        "lr": 0.005,
        "alpha": 0.9,
        "eps": 1e-6,
        "momentum": 0.8,
        "centered": True,
        "weight_decay": 0.05,
    },
    {"name": "rmsprop_momentum", "optimizer": "rmsprop", "lr": 0.005, "momentum": 0.5},
    {"name": "adagrad", "optimizer": "adagrad", "lr": 0.1},
    {
        "name": "adagrad_decay_initial_accumulator",
        "optimizer": "adagrad",
        "lr": 0.2,
        "lr_decay": 0.05,
        "weight_decay": 0.02,
        "initial_accumulator_value": 0.1,
        "eps": 1e-8,
    },
]


def make_params():
    return [
        torch.tensor(W1, requires_grad=True),
        torch.tensor(B1, requires_grad=True),
        torch.tensor(W2, requires_grad=True),
        torch.tensor(B2, requires_grad=True),
    ]


def flat(params):
    return [float(v) for p in params for v in p.detach().reshape(-1).tolist()]


def loss_fn(params):
    w1, b1, w2, b2 = params
    x = torch.tensor(XS)
    y = torch.tensor(YS)
    h = torch.tanh(x @ w1.T + b1)
    out = (h @ w2.T + b2).reshape(-1)
    return torch.nn.functional.mse_loss(out, y)


def make_optimizer(cfg, params):
    kind = cfg["optimizer"]
    if kind == "sgd":
        return torch.optim.SGD(
            params,
            lr=cfg["lr"],
            momentum=cfg.get("momentum", 0.0),
            dampening=cfg.get("dampening", 0.0),
            nesterov=cfg.get("nesterov", False),
            weight_decay=cfg.get("weight_decay", 0.0),
            foreach=False,
        )
    if kind == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=cfg["lr"],
            alpha=cfg.get("alpha", 0.99),
            eps=cfg.get("eps", 1e-8),
            weight_decay=cfg.get("weight_decay", 0.0),
            momentum=cfg.get("momentum", 0.0),
            centered=cfg.get("centered", False),
            foreach=False,
        )
    if kind == "adagrad":
        return torch.optim.Adagrad(
            params,
            lr=cfg["lr"],
            lr_decay=cfg.get("lr_decay", 0.0),
            weight_decay=cfg.get("weight_decay", 0.0),
            initial_accumulator_value=cfg.get("initial_accumulator_value", 0.0),
            eps=cfg.get("eps", 1e-10),
            foreach=False,
        )
    betas = tuple(cfg.get("betas", [0.9, 0.999]))
    eps = cfg.get("eps", 1e-8)
    amsgrad = cfg.get("amsgrad", False)
    if kind == "adam":
        return torch.optim.Adam(
            params,
            lr=cfg["lr"],
            betas=betas,
            eps=eps,
            weight_decay=cfg.get("weight_decay", 0.0),
            amsgrad=amsgrad,
            foreach=False,
        )
    if kind == "adamw":
        return torch.optim.AdamW(
            params,
            lr=cfg["lr"],
            betas=betas,
            eps=eps,
            weight_decay=cfg.get("weight_decay", 0.01),
            amsgrad=amsgrad,
            foreach=False,
        )
    raise ValueError(kind)


def make_scheduler(cfg, opt):
    s = cfg.get("schedule")
    if s is None:
        return None
    if s["kind"] == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=s["step_size"], gamma=s["gamma"])
    if s["kind"] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s["total_steps"], eta_min=s["min_lr"])
    if s["kind"] == "linear":
        return torch.optim.lr_scheduler.LinearLR(
            opt, start_factor=s["start_factor"], end_factor=s["end_factor"], total_iters=s["total_steps"]
        )
    raise ValueError(s["kind"])


def run(cfg):
    params = make_params()
    opt = make_optimizer(cfg, params)
    sched = make_scheduler(cfg, opt)
    steps = []
    clipped = 0
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        record = {"loss": loss.item(), "lr": opt.param_groups[0]["lr"]}
        if "clip" in cfg:
            norm = torch.nn.utils.clip_grad_norm_(params, cfg["clip"], foreach=False)
            record["grad_norm"] = norm.item()
            clipped += norm.item() > cfg["clip"]
        opt.step()
        if sched is not None:
            sched.step()
        record["params"] = flat(params)
        steps.append(record)
    if "clip" in cfg and clipped == 0:
        sys.exit(f"{cfg['name']}: clipping never acted; lower max_norm")
    final = loss_fn(params).item()
    if not final < steps[0]["loss"]:
        sys.exit(f"{cfg['name']}: loss did not decrease ({steps[0]['loss']} -> {final})")
    return {"config": cfg, "steps": steps, "final_loss": final}


def optim_fixture():
    init = flat(make_params())
    return {
        "generator": "scripts/gen_optim_fixtures.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "problem": {
            "description": "2-3-1 tanh MLP, MSE loss; params flattened W1 (3x2 row-major), b1 (3), W2 (1x3), b2 (1)",
            "xs": XS,
            "ys": YS,
            "initial_params": init,
        },
        "steps_per_run": STEPS,
        "runs": [run(cfg) for cfg in CONFIGS],
    }


def value_and_grads(fn, *inputs):
    ts = [torch.tensor(v, requires_grad=True) for v in inputs]
    out = fn(*ts)
    out.backward()
    return out.item(), [t.grad.tolist() for t in ts]


def loss_fixture():
    F = torch.nn.functional
    bce = []
    for z in [-1000.0, -745.0, -60.0, -50.0, -3.0, -0.5, 0.0, 0.7, 4.0, 50.0, 60.0, 745.0, 1000.0]:
        for y in [0.0, 1.0, 0.3]:
            v, (g,) = value_and_grads(lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(y)), z)
            bce.append({"logit": z, "target": y, "loss": v, "grad": g})
    ce = []
    cases = [
        ([2.0, 1.0, 0.1], 0),
        ([2.0, 1.0, 0.1], 2),
        ([0.0, 0.0, 0.0, 0.0], 3),
        ([1000.0, 0.0, -1000.0], 0),
        ([1000.0, 0.0, -1000.0], 1),
        ([1000.0, 0.0, -1000.0], 2),
        ([50.0, -50.0, 0.0, 49.5], 3),
        ([-800.0, -799.0], 0),
        ([3.5], 0),
        ([0.3, -1.2, 2.2, 0.0, -0.7], 1),
    ]
    for logits, c in cases:
        v, (g,) = value_and_grads(lambda t: F.cross_entropy(t.unsqueeze(0), torch.tensor([c])), logits)
        ce.append({"logits": logits, "class": c, "loss": v, "grad": g})
    mse_preds, mse_targets = [0.5, -1.25, 3.0, 0.0], [1.0, -1.0, 2.5, 0.125]
    v, (g,) = value_and_grads(lambda t: F.mse_loss(t, torch.tensor(mse_targets)), mse_preds)
    mse = {"preds": mse_preds, "targets": mse_targets, "loss": v, "grad": g}
    hinge_scores, hinge_labels = [2.0, 0.5, -0.25, -3.0, 1.0, 0.0], [1.0, 1.0, 1.0, -1.0, -1.0, -1.0]
    v, (g,) = value_and_grads(lambda t: torch.relu(1 - torch.tensor(hinge_labels) * t).mean(), hinge_scores)
    hinge = {"scores": hinge_scores, "labels": hinge_labels, "loss": v, "grad": g}
    l2_params, alpha = [0.5, -1.5, 2.0, 0.0, -0.25], 1e-3
    v, (g,) = value_and_grads(lambda t: alpha * (t * t).sum(), l2_params)
    l2 = {"params": l2_params, "alpha": alpha, "loss": v, "grad": g}
    return {
        "generator": "scripts/gen_optim_fixtures.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "bce_with_logits": bce,
        "cross_entropy": ce,
        "mse": mse,
        "hinge_mean": hinge,
        "l2_penalty": l2,
    }


def write(name, obj):
    path = os.path.join(FIXTURES, name)
    os.makedirs(FIXTURES, exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    assert all(math.isfinite(x) for x in flat(make_params()))
    write("optim_torch.json", optim_fixture())
    write("loss_torch.json", loss_fixture())
