#!/usr/bin/env python3
"""micrograd's moons demo in JAX (float64, jit on the CPU): the yardstick for `micrograd demo`'s 100
training steps (`cargo bench -p micrograd --bench moons`, `moons/train_100_steps/*`).

The same run as micrograd's `demo.ipynb` and the crate's demo trainer: the notebook's 100 moons points
(`moons_demo.csv`), micrograd's own initial weights for MLP(2, [16, 16, 1]) (`moons_demo_init.json`),
the SVM max-margin loss `mean(relu(1 - y*score))` plus `1e-4 * sum(p*p)`, full-batch SGD with
learning rate `1.0 - 0.9*k/100` for k = 0..99 (the same doubles as micrograd's), every number
float64. It checks each step's loss and accuracy against micrograd's trace
(`moons_demo_trace.json`) and then times the 100 steps after compiling, two ways:

  per-step jit   one jitted step (forward, gradient, update) called from Python 100 times
  whole-loop jit the 100 steps as one jitted `lax.scan` (no Python between steps)

Each is timed `--runs` times in this process (wall clock, `block_until_ready`), after a compile and
a warm-up run; the minimum and the median are printed. XLA runs on one thread unless `--threads 0`
(the Rust trainer is single-threaded). Install and run (the venv is not part of the repository):

    python3 -m venv /work/venv-jax && /work/venv-jax/bin/pip install jax
    /work/venv-jax/bin/python scripts/jax_moons.py --data-dir ../shared/data

`--data-dir` defaults to crates/micrograd/tests/fixtures, which holds the same three files byte for
byte. For the whole process (interpreter, import, compile, a warm-up run and one timed run) time
`python scripts/jax_moons.py --runs 1 --no-check --way per-step` (or `--way whole-loop`).
"""

import argparse
import json
import os
import statistics
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=os.path.join(ROOT, "crates/micrograd/tests/fixtures"))
    p.add_argument("--runs", type=int, default=50, help="timed runs of the 100 steps, each way")
    p.add_argument("--threads", type=int, default=1, help="XLA CPU threads (0: XLA's default)")
    p.add_argument("--no-check", action="store_true", help="skip the check against the trace")
    p.add_argument("--way", choices=["both", "per-step", "whole-loop"], default="both",
                   help="which jitted program(s) to compile, check and time")
    return p.parse_args()


args = parse_args()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
if args.threads == 1:
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
    ).strip()

import jax  # noqa: E402  (after the environment is set)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

STEPS = 100
ALPHA = 1e-4


def load(data_dir):
    rows = np.loadtxt(os.path.join(data_dir, "moons_demo.csv"), delimiter=",", skiprows=1)
    x, y = rows[:, :2], rows[:, 2]
    with open(os.path.join(data_dir, "moons_demo_init.json")) as f:
        init = json.load(f)
    params = []
    for layer in init["layers"]:
        w = np.array([n["w"] for n in layer["neurons"]], dtype=np.float64)
        b = np.array([n["b"] for n in layer["neurons"]], dtype=np.float64)
        params.append((w, b))
    with open(os.path.join(data_dir, "moons_demo_trace.json")) as f:
        trace = json.load(f)
    return x, y, params, trace


def scores(params, x):
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w.T + b
        if i + 1 < len(params):  # ReLU hidden layers, linear output (micrograd's MLP)
            h = jnp.maximum(h, 0.0)
    return h[:, 0]


def loss_fn(params, x, y):
    s = scores(params, x)
    data_loss = jnp.sum(jnp.maximum(1.0 + -y * s, 0.0)) * (1.0 / y.shape[0])
    reg_loss = ALPHA * sum(jnp.sum(w * w) + jnp.sum(b * b) for w, b in params)
    # the points classified right; micrograd's accuracy is this count / 100, divided outside (XLA
    # would turn a division by a constant into a multiplication, which is not the same double)
    correct = jnp.sum((y > 0) == (s > 0))
    return data_loss + reg_loss, correct


def sgd_step(params, x, y, lr):
    (loss, acc), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y)
    new = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
    return new, loss, acc


step_jit = jax.jit(sgd_step)


@jax.jit
def train_scan(params, x, y, lrs):
    def body(p, lr):
        p, loss, acc = sgd_step(p, x, y, lr)
        return p, (loss, acc)

    return jax.lax.scan(body, params, lrs)


def per_step(params, x, y, lrs):
    losses, accs = [], []
    for lr in lrs:
        params, loss, acc = step_jit(params, x, y, lr)
        losses.append(loss)
        accs.append(acc)
    jax.block_until_ready(params)
    return params, losses, accs


def timed(f, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main():
    t_start = time.perf_counter()
    x_np, y_np, init_np, trace = load(args.data_dir)
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in init_np]
    # micrograd's schedule, the same doubles: 1.0 - 0.9*k/100
    lrs_py = [1.0 - 0.9 * k / 100 for k in range(STEPS)]
    lrs = jnp.asarray(lrs_py, dtype=jnp.float64)

    ways = ["per-step", "whole-loop"] if args.way == "both" else [args.way]
    t = time.perf_counter()
    if "per-step" in ways:
        step_jit.lower(params, x, y, lrs[0]).compile()
    if "whole-loop" in ways:
        train_scan.lower(params, x, y, lrs).compile()
    compile_s = time.perf_counter() - t

    runs_to_check = []  # (warm-up runs, and the runs to check)
    if "per-step" in ways:
        _, losses, accs = per_step(params, x, y, lrs)
        runs_to_check.append((losses, accs))
    if "whole-loop" in ways:
        _, (scan_losses, scan_accs) = jax.block_until_ready(train_scan(params, x, y, lrs))
        runs_to_check.append((scan_losses, scan_accs))
    if not args.no_check:
        worst = 0.0
        for k, row in enumerate(trace):
            for l, a in ((ls[k], acs[k]) for ls, acs in runs_to_check):
                rel = abs(float(l) - row["loss"]) / abs(row["loss"])
                worst = max(worst, rel)
                acc = int(a) / len(y_np)
                assert acc == row["accuracy"], (k, acc, row["accuracy"])
        assert worst < 1e-9, worst
        print(f"matches micrograd's trace: largest relative difference in loss {worst:.1e}, "
              "accuracy identical at every step")

    runs = max(args.runs, 1)
    results = []
    if "per-step" in ways:
        results.append(("per-step jit", timed(lambda: per_step(params, x, y, lrs), runs)))
    if "whole-loop" in ways:
        scan = lambda: jax.block_until_ready(train_scan(params, x, y, lrs))  # noqa: E731
        results.append(("whole-loop jit", timed(scan, runs)))
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}, float64, "
          f"XLA threads: {'1' if args.threads == 1 else 'default'}; compile {compile_s:.2f} s")
    for name, (lo, med) in results:
        print(f"{name:>14}: 100 steps in {lo * 1e3:.3f} ms (min of {runs}), "
              f"median {med * 1e3:.3f} ms; {lo * 1e6 / STEPS:.1f} us/step")
    print(f"in this process since main(): {time.perf_counter() - t_start:.2f} s")


if __name__ == "__main__":
    main()
