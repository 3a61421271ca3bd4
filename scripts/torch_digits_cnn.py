#!/usr/bin/env python3
"""One training epoch of micrograd's digits CNN in PyTorch eager, float64, one thread: the other side
of `cargo bench -p micrograd --bench digits_cnn`.

    /work/venv-torch/bin/python scripts/torch_digits_cnn.py

The same architecture (Conv2d(1,16,3,padding=1) ReLU MaxPool2d(2) Conv2d(16,32,3,padding=1) ReLU
MaxPool2d(2) Flatten Linear(128,10)), the same number of training images (1,438 of scikit-learn's
digits, 80% of 1,797, pixels / 16), mini-batches of 32 (batched tensors, PyTorch's natural way),
cross-entropy, Adam(lr=0.01). Prints the median of 10 epochs after 2 warm-up epochs.
"""

import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
torch.manual_seed(12)

d = load_digits()
rng = np.random.default_rng(12)
idx = rng.permutation(len(d.target))[:1438]
x = torch.tensor(d.data[idx] / 16.0).reshape(-1, 1, 8, 8)
y = torch.tensor(d.target[idx])

model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 16, 3, padding=1),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(16, 32, 3, padding=1),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Flatten(),
    torch.nn.Linear(128, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = torch.nn.CrossEntropyLoss()


def epoch():
    perm = torch.randperm(len(y))
    for i in range(0, len(y), 32):
        b = perm[i : i + 32]
        opt.zero_grad()
        loss = loss_fn(model(x[b]), y[b])
        loss.backward()
        opt.step()


for _ in range(2):
    epoch()
times = []
for _ in range(10):
    t = time.perf_counter()
    epoch()
    times.append(time.perf_counter() - t)
print(f"torch {torch.__version__}, float64, 1 thread: one epoch median {1000 * statistics.median(times):.1f} ms "
      f"(min {1000 * min(times):.1f}, max {1000 * max(times):.1f})")
