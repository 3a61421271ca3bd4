"""Karpathy's own notebooks as acceptance tests: their code cells (quoted in notebook_cells.py),
unchanged, run on this package, their outputs compared with micrograd's own run
(`moons_demo_trace.json`) and micrograd's own drawing of the graphs.
"""

import contextlib
import io
import json
import random
import re

import numpy as np
import pytest
from notebook_cells import (
    DATA,
    DEMO_IMPORTS,
    DEMO_LOSS,
    DEMO_MODEL,
    DEMO_SEEDS,
    DEMO_TRAIN,
    TRACE_CELLS,
    moons,
)


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
