"""Karpathy's own notebooks as acceptance tests: their code cells, unchanged, run on this package.

The cells quoted below are from https://github.com/karpathy/micrograd (commit c911406, MIT licence,
Copyright (c) 2020 Andrej Karpathy; see upstream/LICENSE): `demo.ipynb` cells 2, 3 and 5-7 and
`trace_graph.ipynb` cells 0-4, verbatim except for the `%matplotlib` line. The notebook's data cell
(`make_moons`, which needs scikit-learn) is replaced by the same 100 points read from
`moons_demo.csv`, and its outputs are compared with micrograd's own run (`moons_demo_trace.json`).
"""

import contextlib
import io
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

# micrograd's reference run of the demo (see /crates/micrograd/tests/fixtures and its README)
DATA = Path(__file__).resolve().parents[2] / "micrograd" / "tests" / "fixtures"

# ---- demo.ipynb (quoted) ---------------------------------------------------------------------------

DEMO_IMPORTS = """\
from micrograd.engine import Value
from micrograd.nn import Neuron, Layer, MLP
"""

DEMO_SEEDS = """\
np.random.seed(1337)
random.seed(1337)
"""

DEMO_MODEL = """\
# initialize a model 
model = MLP(2, [16, 16, 1]) # 2-layer neural network
print(model)
print("number of parameters", len(model.parameters()))
"""

DEMO_LOSS = """\
# loss function
def loss(batch_size=None):
    
    # inline DataLoader :)
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]
    
    # forward the model to get scores
    scores = list(map(model, inputs))
    
    # svm "max-margin" loss
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    
    # also get accuracy
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    return total_loss, sum(accuracy) / len(accuracy)

total_loss, acc = loss()
print(total_loss, acc)
"""

DEMO_TRAIN = """\
# optimization
for k in range(100):
    
    # forward
    total_loss, acc = loss()
    
    # backward
    model.zero_grad()
    total_loss.backward()
    
    # update (sgd)
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    
    if k % 1 == 0:
        print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
"""


def moons():
    """The notebook's `X, y` (make_moons(n_samples=100, noise=0.1) after its seeds, y in {-1, 1})."""
    rows = (DATA / "moons_demo.csv").read_text().split("\n")[1:]
    rows = [r.split(",") for r in rows if r]
    X = np.array([[float(a), float(b)] for a, b, _ in rows])
    y = np.array([int(c) for _, _, c in rows])
    return X, y


def run(cells, ns):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in cells:
            exec(cell, ns)
    return out.getvalue()


def demo_namespace():
    X, y = moons()
    return {"np": np, "random": random, "X": X, "y": y}


def test_demo_initial_weights_are_micrographs():
    ns = demo_namespace()
    run([DEMO_IMPORTS, DEMO_SEEDS, DEMO_MODEL], ns)
    init = json.loads((DATA / "moons_demo_init.json").read_text())
    expected = [
        x
        for layer in init["layers"]
        for neuron in layer["neurons"]
        for x in neuron["w"] + [neuron["b"]]
    ]
    assert [p.data for p in ns["model"].parameters()] == expected


def test_demo_notebook_reproduces_micrograds_trace():
    ns = demo_namespace()
    out = run([DEMO_IMPORTS, DEMO_SEEDS, DEMO_MODEL, DEMO_LOSS, DEMO_TRAIN], ns)
    lines = out.splitlines()
    assert lines[0].startswith("MLP of [Layer of [ReLUNeuron(2), ")
    assert lines[0].endswith("Layer of [LinearNeuron(16)]]")
    assert lines[1] == "number of parameters 337"
    first = re.fullmatch(r"Value\(data=(\S+), grad=(\S+)\) (\S+)", lines[2])
    assert first and float(first[1]) == 0.8958441028683222 and float(first[3]) == 0.5
    trace = json.loads((DATA / "moons_demo_trace.json").read_text())
    steps = [re.fullmatch(r"step (\d+) loss (\S+), accuracy (\S+)%", l) for l in lines[3:]]
    assert len(steps) == 100 and all(steps)
    for m, ref in zip(steps, trace):
        assert int(m[1]) == ref["step"]
        loss = float(m[2])
        assert abs(loss - ref["loss"]) <= 1e-12 * abs(ref["loss"]), (ref, loss)
        assert float(m[3]) == pytest.approx(ref["accuracy"] * 100, abs=1e-9)


# ---- trace_graph.ipynb (quoted) --------------------------------------------------------------------

TRACE_CELLS = [
    """\
# brew install graphviz
# pip install graphviz
from graphviz import Digraph
""",
    """\
from micrograd.engine import Value
""",
    """\
def trace(root):
    nodes, edges = set(), set()
    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges

def draw_dot(root, format='svg', rankdir='LR'):
    \"\"\"
    format: png | svg | ...
    rankdir: TB (top to bottom graph) | LR (left to right)
    \"\"\"
    assert rankdir in ['LR', 'TB']
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={'rankdir': rankdir}) #, node_attr={'rankdir': 'TB'})
    
    for n in nodes:
        dot.node(name=str(id(n)), label = "{ data %.4f | grad %.4f }" % (n.data, n.grad), shape='record')
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    
    return dot
""",
    """\
# a very simple example
x = Value(1.0)
y = (x * 2 + 1).relu()
y.backward()
draw_dot(y)
""",
    """\
# a simple 2D neuron
import random
from micrograd import nn

random.seed(1337)
n = nn.Neuron(2)
x = [Value(1.0), Value(-2.0)]
y = n(x)
y.backward()

dot = draw_dot(y)
dot
""",
]


def counts(dot):
    edges = sum("->" in line for line in dot.body)
    return len(dot.body) - edges, edges


def test_trace_graph_notebook_draws_micrographs_graphs():
    pytest.importorskip("graphviz")
    ns = {}
    run(TRACE_CELLS[:3], ns)
    run(TRACE_CELLS[3:4], ns)
    # micrograd's own run of these cells: 6 values and 5 edges, drawn as 9 nodes and 8 edges
    # (values plus op nodes); the neuron: 10 values, 9 edges, drawn as 15 nodes and 14 edges (its
    # committed picture, gout.svg, has 15 nodes and 14 edges).
    nodes, edges = ns["trace"](ns["y"])
    assert (len(nodes), len(edges)) == (6, 5)
    assert counts(ns["draw_dot"](ns["y"])) == (9, 8)
    assert ns["y"].data == 3.0 and ns["x"].grad == 2.0
    run(TRACE_CELLS[4:], ns)
    nodes, edges = ns["trace"](ns["y"])
    assert (len(nodes), len(edges)) == (10, 9)
    assert counts(ns["dot"]) == (15, 14)
    # micrograd's numbers for the neuron: its weights from random.seed(1337), its output
    assert [w.data for w in ns["n"].w] == [0.23550571390294128, 0.06653114721000164]
    assert ns["y"].data == 0.102443419482938
    assert [xi.grad for xi in ns["x"]] == [w.data for w in ns["n"].w]
    # the graph walk sees the same Python objects every time
    assert ns["trace"](ns["y"]) == (nodes, edges)
