"""The code cells of Karpathy's micrograd notebooks, quoted verbatim, for the tests and the benchmark.

From https://github.com/karpathy/micrograd (commit c911406), MIT licence, Copyright (c) 2020 Andrej
Karpathy (see upstream/LICENSE): `demo.ipynb` cells 2, 3 and 5-7 and `trace_graph.ipynb` cells 0-4,
verbatim except for the `%matplotlib` line. The demo's data cell (`make_moons`, which needs
scikit-learn) is replaced by `moons()`: the same 100 points, read from `moons_demo.csv`.
"""

from pathlib import Path

import numpy as np

# micrograd's reference run of the demo (see crates/micrograd/tests/fixtures)
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
