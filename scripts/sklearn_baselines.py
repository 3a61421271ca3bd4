#!/usr/bin/env python3
"""scikit-learn's scores on the very splits micrograd's `digits` example trains on.

    cargo run --release -p micrograd --example digits -- all --write-splits target/splits
    /work/venv-torch/bin/python scripts/sklearn_baselines.py target/splits

For wine and breast cancer: StandardScaler fitted on the training rows, then
MLPClassifier(hidden_layer_sizes=(16,)) (scikit-learn's defaults otherwise: Adam, lr 1e-3, 200
iterations, random_state 0), scored on the test rows, the baseline issue 12 quotes. For digits: the
same MLP with 64 hidden units and an RBF SVM, on the pixel values scaled to [0, 1] as micrograd
loads them. Data: the CSVs in crates/micrograd/examples/data (copied from scikit-learn's bundled
copies) and load_digits().
"""

import json
import os
import sys
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "crates", "micrograd", "examples", "data")


def csv(name):
    rows = np.loadtxt(os.path.join(DATA, name), delimiter=",", skiprows=1)
    return rows[:, :-1], rows[:, -1].astype(int)


def split(splits, name, x, y):
    with open(os.path.join(splits, f"{name}.json")) as f:
        s = json.load(f)
    tr, te = np.array(s["train_rows"]), np.array(s["test_rows"])
    return x[tr], y[tr], x[te], y[te]


def main():
    splits = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "splits")
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, file in [("wine", "wine.csv"), ("breast", "breast_cancer.csv")]:
        xtr, ytr, xte, yte = split(splits, name, *csv(file))
        scaler = StandardScaler().fit(xtr)
        clf = MLPClassifier(hidden_layer_sizes=(16,), random_state=0).fit(scaler.transform(xtr), ytr)
        acc = clf.score(scaler.transform(xte), yte)
        print(f"{name:7} standardized MLPClassifier((16,)): test accuracy {100 * acc:6.2f}% ({len(yte)} test rows)")
    d = load_digits()
    xtr, ytr, xte, yte = split(splits, "mlp", d.data / 16.0, d.target)
    mlp = MLPClassifier(hidden_layer_sizes=(64,), random_state=0).fit(xtr, ytr)
    svm = SVC(kernel="rbf").fit(xtr, ytr)
    print(f"digits  MLPClassifier((64,)): test accuracy {100 * mlp.score(xte, yte):6.2f}%")
    print(f"digits  SVC(rbf):             test accuracy {100 * svm.score(xte, yte):6.2f}%")


if __name__ == "__main__":
    main()
