#!/usr/bin/env python3
"""Reference fixtures for micrograd's Conv2d, MaxPool2d and AvgPool2d, computed with PyTorch in float64.

Writes
  crates/micrograd/tests/fixtures/conv_torch.json

For every case: the input x (C x H x W, flattened CHW), the layer's parameters (Conv2d: weight
(out, in, k, k) row-major and bias), an upstream gradient g of the output's shape, the output
y = layer(x) and the gradients of sum(y * g) with respect to x, the weight and the bias. The Rust
test (crates/micrograd/tests/conv.rs) reads this file and asserts agreement to 1e-12; neither the
tests nor CI need Python. Re-run only to regenerate:

    python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch
    /work/venv-torch/bin/python scripts/gen_conv_fixtures.py

The cases cover 1 to 4 channels, kernels 1 to 5, strides 1 to 3, paddings 0 to 3 (including a
padding at least the kernel size, where whole windows lie in the zero padding), square and non-square
inputs, and max pooling with ties (integer-valued inputs: the first maximum gets the gradient).
"""

import json
import os

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(12)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "micrograd", "tests", "fixtures", "conv_torch.json")

# (in_channels, out_channels, kernel, stride, padding, height, width)
CONV = [
    (1, 1, 3, 1, 0, 5, 5),
    (1, 2, 3, 1, 1, 6, 4),
    (2, 3, 2, 2, 0, 7, 5),
    (3, 2, 3, 2, 1, 5, 8),
    (2, 4, 1, 1, 0, 3, 4),
    (3, 3, 5, 3, 2, 9, 6),
    (1, 2, 3, 1, 3, 4, 4),
    (2, 2, 4, 3, 1, 10, 7),
    (4, 3, 3, 2, 2, 6, 11),
    (1, 8, 3, 1, 1, 8, 8),
]

# (channels, kernel, stride, padding, height, width); PyTorch requires padding <= kernel / 2.
POOL = [
    (1, 2, 2, 0, 4, 6),
    (2, 3, 2, 1, 7, 5),
    (3, 2, 1, 0, 3, 4),
    (2, 3, 3, 0, 8, 9),
    (1, 4, 2, 2, 6, 5),
    (2, 2, 3, 1, 5, 7),
    (3, 5, 1, 2, 5, 6),
]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def forward_backward(layer, x):
    """y = layer(x), a random upstream gradient g, and sum(y * g) backpropagated; the shared fields."""
    y = layer(x)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    return {"out_height": y.shape[2], "out_width": y.shape[3], "x": flat(x), "g": flat(g), "y": flat(y),
            "grad_x": flat(x.grad)}


def conv_case(cin, cout, k, s, p, h, w):
    layer = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p)
    x = torch.randn(1, cin, h, w, requires_grad=True)
    common = forward_backward(layer, x)
    return {
        "in_channels": cin,
        "out_channels": cout,
        "kernel": k,
        "stride": s,
        "padding": p,
        "height": h,
        "width": w,
        **common,
        "weight": flat(layer.weight),
        "bias": flat(layer.bias),
        "grad_weight": flat(layer.weight.grad),
        "grad_bias": flat(layer.bias.grad),
    }


def pool_case(kind, c, k, s, p, h, w, ties=False):
    if kind == "max":
        layer = torch.nn.MaxPool2d(k, stride=s, padding=p)
    else:
        layer = torch.nn.AvgPool2d(k, stride=s, padding=p)
    if ties:
        x = torch.randint(0, 3, (1, c, h, w)).to(torch.float64).requires_grad_(True)
    else:
        x = torch.randn(1, c, h, w, requires_grad=True)
    common = forward_backward(layer, x)
    return {
        "kind": kind,
        "ties": ties,
        "channels": c,
        "kernel": k,
        "stride": s,
        "padding": p,
        "height": h,
        "width": w,
        **common,
    }


def main():
    pools = [pool_case(kind, *case) for kind in ("max", "avg") for case in POOL]
    pools += [pool_case("max", 2, 2, 1, 0, 5, 6, ties=True), pool_case("max", 1, 3, 2, 1, 7, 7, ties=True)]
    fixture = {
        "generator": "scripts/gen_conv_fixtures.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "loss": "sum(y * g): the gradients are those of y against the upstream gradient g",
        "conv": [conv_case(*case) for case in CONV],
        "pool": pools,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(fixture['conv'])} conv cases, {len(pools)} pool cases")


if __name__ == "__main__":
    main()
