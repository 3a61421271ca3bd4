"""The collector: nodes no Python object can reach are freed, everything reachable survives intact."""

import gc
import random

import pytest

from micrograd import losses
from micrograd.engine import Value, collect, tape_stats
from micrograd.nn import MLP, Neuron


def snapshot(root):
    """Every value reachable from root through _prev: (id, data, grad, op, label, input ids)."""
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        out.append((id(v), v.data, v.grad, v._op, v.label, sorted(id(p) for p in v._prev)))
        stack.extend(v._prev)
    return sorted(out)


def every_op_graph():
    x, y = Value(0.7, label="x"), Value(-1.3, label="y")
    n = Neuron(2)
    m = MLP(2, [3, 2])
    parts = [
        x + y, x * y, x - y, x / y, x**3, x**y.relu(), 2**x, -x, abs(y), x.relu(), x.tanh(),
        x.exp(), (x * x).log(), x.sigmoid(), (x * x).sqrt(), n([x, y]), n([1.0, 2.0]),
        losses.hinge(x, 1.0), losses.mse([x, y], [1.0, 2.0]), losses.bce_with_logits(x, 1.0),
        losses.softmax_cross_entropy([x, y, x * y], 2), losses.l2_penalty([x, y], 0.5),
    ] + m([x, y])
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total, (x, y, n, m)


def run_every_op_graph(collect_in_between):
    random.seed(0)
    total, keep = every_op_graph()
    total.backward()
    x, y, _, m = keep
    p0 = m.parameters()[0]
    p0.data += 0.5  # changed after its users were computed: their data must not be recomputed
    before = snapshot(total)
    if collect_in_between:
        collect()
    after = snapshot(total)
    total.backward()
    return before, after, [v.grad for v in (x, y, p0)]


def test_a_collection_keeps_every_reachable_node_with_its_numbers():
    _, _, grads = run_every_op_graph(False)
    before, after, grads_collected = run_every_op_graph(True)
    assert after == before
    # and the graph backpropagates again as it would have without the collection
    assert grads_collected == pytest.approx(grads, rel=1e-14)


def test_unreachable_graphs_are_freed_and_memory_stays_flat():
    random.seed(1)
    model = MLP(2, [8, 1])
    data = [([random.random(), random.random()], random.choice([-1, 1])) for _ in range(50)]
    lens = []
    total = None
    for step in range(600):
        # as in the demo notebook: the previous step's loss lives until this one is assigned
        inputs = [list(map(Value, x)) for x, _ in data]
        total = sum(((model(x) - y) ** 2 for x, (_, y) in zip(inputs, data)), Value(0.0))
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= 0.001 * p.grad
        lens.append(tape_stats()["tape_nodes"])
    stats = tape_stats()
    assert stats["collections"] >= 2
    # the tape never grows past the bound: the live nodes plus min_garbage
    assert max(lens) <= stats["live_after_last"] * 2 + stats["min_garbage"] + 5000
    assert max(lens[300:]) <= max(lens[:300]) * 1.1


def test_objects_only_the_registry_holds_are_freed():
    gc.collect()
    collect()
    start = tape_stats()["objects"]
    vs = [Value(float(i)) * 2 for i in range(1000)]
    assert tape_stats()["objects"] >= start + 1000
    del vs
    collect()
    assert tape_stats()["objects"] <= start + 5


def test_a_long_lived_value_survives_many_collections():
    keep = Value(1.5, label="kept")
    y = keep * keep
    for _ in range(2 * tape_stats()["min_garbage"]):
        Value(1.0)
    assert tape_stats()["collections"] >= 1
    assert (keep.data, keep.label, y.data) == (1.5, "kept", 2.25)
    y.backward()
    assert keep.grad == 3.0
    assert y._prev == {keep}
