#!/usr/bin/env python3
"""Copies the three real data sets micrograd uses from scikit-learn's bundled copies.

Writes
  crates/micrograd/src/datasets/digits.bin     -- the 1,797 8x8 digits, packed (built into the crate)
  crates/micrograd/examples/data/wine.csv       -- UCI wine, 178 x 13, 3 classes
  crates/micrograd/examples/data/breast_cancer.csv -- Wisconsin diagnostic breast cancer, 569 x 30

digits.bin: 1,797 records of 41 bytes, in scikit-learn's order (pixels are 0..16, and 16 does not
fit a nibble): 32 bytes of low nibbles (v & 15, two per
byte, high nibble first), 8 bytes of a 64-bit mask of the pixels equal to 16 (bit i for pixel i,
little-endian), then the label byte. 1,797 x 41 = 73,677 bytes.

The CSVs are in micrograd's CSV layout: a header of feature names then `label`, one row per sample,
the class index (0-based, scikit-learn's target) last. Re-run only to regenerate:

    python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install scikit-learn
    /work/venv-torch/bin/python scripts/export_sklearn_data.py

Licences: digits, wine and breast cancer are UCI Machine Learning Repository data sets under
CC BY 4.0; see crates/micrograd/src/datasets/README.md and crates/micrograd/examples/data/README.md
for the citations.
"""

import csv
import gzip
import os

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_wine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SK_DATA = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data")


def pack_digits():
    with gzip.open(os.path.join(SK_DATA, "digits.csv.gz"), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    assert rows.shape == (1797, 65), rows.shape
    out = bytearray()
    for row in rows:
        pixels, label = row[:64], int(row[64])
        assert pixels.min() >= 0 and pixels.max() <= 16 and 0 <= label <= 9
        low = [int(v) & 15 for v in pixels]
        for i in range(0, 64, 2):
            out.append((low[i] << 4) | low[i + 1])
        mask = sum(1 << i for i, v in enumerate(pixels) if v == 16)
        out += mask.to_bytes(8, "little")
        out.append(label)
    path = os.path.join(ROOT, "crates", "micrograd", "src", "datasets", "digits.bin")
    with open(path, "wb") as f:
        f.write(out)
    print(f"wrote {path}: {len(out)} bytes")


def write_csv(name, bunch):
    path = os.path.join(ROOT, "crates", "micrograd", "examples", "data", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([n.replace(" ", "_").replace("/", "_") for n in bunch.feature_names] + ["label"])
        for x, y in zip(bunch.data, bunch.target):
            w.writerow([repr(float(v)) if not float(v).is_integer() else str(int(v)) for v in x] + [int(y)])
    print(f"wrote {path}: {bunch.data.shape[0]} rows x {bunch.data.shape[1]} features")


if __name__ == "__main__":
    pack_digits()
    write_csv("wine.csv", load_wine())
    write_csv("breast_cancer.csv", load_breast_cancer())
