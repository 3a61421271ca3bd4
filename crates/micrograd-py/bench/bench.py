"""micrograd-rs against Karpathy's micrograd, in one run.

    python bench/bench.py --karpathy PATH   # PATH: a checkout of github.com/karpathy/micrograd

Both packages are `import micrograd`, so each runs in its own subprocess: this one's from the current
environment (pip install ./crates/micrograd-py), Karpathy's from PATH (put first on sys.path). It
measures, for both:

* the demo: `demo.ipynb`'s training loop (its code), 100 steps on its 100 moons points;
* `backward()` on a 1,000,000-node chain (`y*w`, `y+w` alternately);
* one Python-level `a * b` on two Values (timeit, best of 5);

and for micrograd-rs the resident memory over 10,000 steps of the demo loop (it must stay flat:
nothing in the loop frees anything; the collector does). Timings on a shared machine move from run to
run; the ratios, measured in the same run, are the robust part.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import notebook_cells  # noqa: E402  (the notebooks' code cells, quoted)


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def notebook():
    """The demo notebook's namespace after its cells up to the loss function (model made, seeded)."""
    import random

    import numpy as np

    X, y = notebook_cells.moons()
    ns = {"np": np, "random": random, "X": X, "y": y}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in [notebook_cells.DEMO_IMPORTS, notebook_cells.DEMO_SEEDS,
                     notebook_cells.DEMO_MODEL, notebook_cells.DEMO_LOSS]:
            exec(cell, ns)
    return ns


def demo():
    """The notebook's training cell, unchanged (100 steps, printing each): its time and losses."""
    ns = notebook()
    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out):
        exec(notebook_cells.DEMO_TRAIN, ns)
    seconds = time.perf_counter() - t0
    losses = [float(line.split()[3].rstrip(",")) for line in out.getvalue().splitlines()]
    return {"seconds": seconds, "losses": losses}


def memory(steps, sample_every):
    """The notebook's training loop for `steps` steps (the learning rate schedule restarting every
    100), with the resident memory every `sample_every` steps."""
    ns = notebook()
    loss, model = ns["loss"], ns["model"]
    samples = []
    t0 = time.perf_counter()
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * (k % 100) / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        if (k + 1) % sample_every == 0:
            samples.append((k + 1, rss_mib()))
    return {"seconds": time.perf_counter() - t0, "memory": samples}


def chain(n):
    """A chain of n nodes, y*w and y+w alternately, then backward()."""
    from micrograd.engine import Value

    x, w = Value(1.0), Value(1.0)
    t0 = time.perf_counter()
    y = x
    for i in range(n // 2):
        y = y * w
        y = y + w
    t1 = time.perf_counter()
    try:
        y.backward()
    except RecursionError as e:
        return {"nodes": n, "error": f"RecursionError: {e}", "forward_s": t1 - t0}
    t2 = time.perf_counter()
    # y_k = y_(k-1)*w + w from y_0 = x = 1 at w = 1: y_k = k + 1, dy/dx = 1, dy/dw = sum of (k + 1)
    m = n // 2
    ok = (y.data, x.grad, w.grad) == (m + 1, 1.0, m * (m + 1) / 2 + m)
    return {"nodes": n, "forward_s": t1 - t0, "backward_s": t2 - t1, "grads_right": ok}


def deepest_chain():
    """The longest y = y * w chain (one node per op) whose backward() works, found by bisection."""
    from micrograd.engine import Value

    def works(depth):
        w = Value(1.0)
        y = w
        for _ in range(depth):
            y = y * w
        try:
            y.backward()
            return True
        except RecursionError:
            return False

    lo, hi = 1, 1 << 20
    if works(hi):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if works(mid) else (lo, mid)
    return lo


def mul_ns():
    from micrograd.engine import Value

    g = {"a": Value(2.0), "b": Value(3.0)}
    n = 200_000
    return min(timeit.repeat("a * b", globals=g, number=n, repeat=5)) / n * 1e9


def worker(which, memory_steps):
    import micrograd.engine

    is_rs = hasattr(micrograd.engine, "tape_stats")
    assert is_rs == (which != "karpathy"), f"wrong micrograd imported: {micrograd.__file__}"
    out = {"package": micrograd.__file__}
    if which == "memory":
        # a process of its own, so that nothing else has grown the heap
        m = memory(memory_steps, sample_every=max(memory_steps // 20, 1))
        m["stats"] = micrograd.engine.tape_stats()
        out["memory"] = m
    else:
        out["mul_ns"] = mul_ns()
        out["demo"] = demo()
        out["chain"] = chain(1_000_000)
        if not is_rs:
            out["deepest_chain"] = deepest_chain()
    print(json.dumps(out))


def run(which, args, env_path=None):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if env_path:
        env["PYTHONPATH"] = env_path
    cmd = [sys.executable, __file__, "--worker", which, "--memory-steps", str(args.memory_steps)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd="/")
    if res.returncode != 0:
        sys.exit(f"{which} worker failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--karpathy", help="path of a checkout of karpathy/micrograd")
    ap.add_argument("--memory-steps", type=int, default=10_000)
    ap.add_argument("--json", help="write the results here too")
    ap.add_argument("--worker", choices=["rs", "karpathy", "memory"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.memory_steps)
    if not args.karpathy:
        ap.error("--karpathy PATH is required (a checkout of github.com/karpathy/micrograd)")
    rs = run("rs", args)
    kp = run("karpathy", args, os.path.abspath(args.karpathy))
    if args.memory_steps:
        rs["memory"] = run("memory", args)["memory"]
    rs_step = rs["demo"]["seconds"] / 100
    kp_step = kp["demo"]["seconds"] / 100
    worst = max(abs(a - b) / abs(b) for a, b in zip(rs["demo"]["losses"], kp["demo"]["losses"]))
    print(f"micrograd-rs: {rs['package']}\nmicrograd:    {kp['package']}\n")
    print(f"{'measurement':44s} {'micrograd-rs':>16s} {'micrograd':>16s} {'ratio':>9s}")
    print(f"{'demo, one training step (ms)':44s} {rs_step * 1e3:16.3f} {kp_step * 1e3:16.1f} {kp_step / rs_step:8.0f}x")
    print(f"{'demo, 100 steps (s)':44s} {rs_step * 100:16.3f} {kp_step * 100:16.1f}")
    print(f"{'one Python-level a * b (ns)':44s} {rs['mul_ns']:16.0f} {kp['mul_ns']:16.0f} {kp['mul_ns'] / rs['mul_ns']:8.1f}x")
    c, kc = rs["chain"], kp["chain"]
    kback = kc.get("error", f"{kc.get('backward_s', 0):.3f}")
    print(f"{'1,000,000-node chain: build (s)':44s} {c['forward_s']:16.3f} {kc['forward_s']:16.3f}")
    print(f"{'1,000,000-node chain: backward() (s)':44s} {c['backward_s']:16.3f} {kback[:16]:>16s}")
    print(f"\nKarpathy's backward() works up to a chain {kp['deepest_chain']} deep (recursion limit "
          f"{sys.getrecursionlimit()}); micrograd-rs's on 1,000,000 nodes gives the right data and "
          f"grads: {c['grads_right']}")
    print(f"demo losses, 100 steps: largest relative difference {worst:.1e}")
    if "memory" in rs:
        m = rs["memory"]
        pts = m["memory"]
        print(f"\nresident memory over {args.memory_steps} demo steps ({m['seconds']:.1f} s), MiB at step:")
        print("  " + "  ".join(f"{k}: {v:.1f}" for k, v in pts))
        later = [v for k, v in pts if k >= pts[len(pts) // 4][0]]
        print(f"  from step {pts[len(pts) // 4][0]} on: min {min(later):.1f}, max {max(later):.1f} MiB")
        print(f"  collector: {m['stats']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rs": rs, "karpathy": kp}, f, indent=1)


if __name__ == "__main__":
    main()
