"""micrograd.nn, and what this package adds: optimizers, losses, draw_dot."""

import random

import pytest

import micrograd
from micrograd import losses, optim
from micrograd.engine import Value
from micrograd.nn import MLP, Layer, Module, Neuron

torch = pytest.importorskip("torch")


def test_model_repr_and_parameters_as_in_the_demo_notebook():
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    hidden = ", ".join(["ReLUNeuron(2)"] * 16)
    hidden2 = ", ".join(["ReLUNeuron(16)"] * 16)
    assert str(model) == (
        f"MLP of [Layer of [{hidden}], Layer of [{hidden2}], Layer of [LinearNeuron(16)]]"
    )
    assert len(model.parameters()) == 337
    assert isinstance(model, Module) and isinstance(model.layers[0], Layer)
    assert model.layers[0].neurons[0].b.data == 0.0
    assert all(n.nonlin for n in model.layers[1].neurons) and not model.layers[2].neurons[0].nonlin


def test_mlp_call_gives_the_layer_by_layer_numbers():
    random.seed(7)
    model = MLP(3, [4, 4, 2])
    x = [Value(0.5), Value(-1.5), Value(2.0)]
    fused = model(x)
    assert isinstance(fused, list) and len(fused) == 2
    h = x
    for layer in model.layers:  # micrograd's nodes, neuron by neuron
        h = layer(h)
    assert [v.data for v in fused] == [v.data for v in h]
    (fused[0] * fused[1]).backward()
    g_fused = [p.grad for p in model.parameters()] + [v.grad for v in x]
    model.zero_grad()
    for v in x:
        v.grad = 0
    (h[0] * h[1]).backward()
    g = [p.grad for p in model.parameters()] + [v.grad for v in x]
    assert g_fused == pytest.approx(g, rel=1e-15, abs=1e-300)
    assert any(g)
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_neuron_builds_micrographs_nodes_and_takes_numbers():
    random.seed(3)
    n = Neuron(2, nonlin=False)
    y = n([1.0, 2.0])
    assert y._op == "+" and y.data == n.b.data + n.w[0].data * 1.0 + n.w[1].data * 2.0
    random.seed(3)
    m = MLP(2, [1])
    assert m([1.0, 2.0]).data == n([1.0, 2.0]).data  # the same weights, fused or not
    with pytest.raises(ValueError, match="2 weights got 3 inputs"):
        n([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="2 weights got 1 inputs"):
        MLP(2, [3, 1])([Value(1.0)])
    with pytest.raises(TypeError, match="real number"):
        n(["a", 1.0])
    n.w[0] = 0.5
    with pytest.raises(TypeError, match="weight must be a Value, not float"):
        n([1.0, 2.0])


def quadratic_problem():
    random.seed(11)
    target = [random.uniform(-1, 1) for _ in range(5)]
    start = [random.uniform(-1, 1) for _ in range(5)]
    return target, start


def test_sgd_and_adam_match_torch():
    target, start = quadratic_problem()
    for ours, theirs, kw in [
        (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
        (optim.Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99))),
        (optim.AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1)),
    ]:
        ps = [Value(s) for s in start]
        opt = ours(ps, **kw)
        tp = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in start]
        topt = theirs(tp, **kw)
        for _ in range(10):
            opt.zero_grad()
            sum((p - t) ** 2 * (i + 1) for i, (p, t) in enumerate(zip(ps, target))).backward()
            opt.step()
            topt.zero_grad()
            sum((p - t) ** 2 * (i + 1) for i, (p, t) in enumerate(zip(tp, target))).backward()
            topt.step()
        assert [p.data for p in ps] == pytest.approx([p.item() for p in tp], rel=1e-12), ours
        assert opt.steps == 10 and "parameters" in repr(opt)
    opt.lr = 0.5
    assert opt.lr == 0.5
    with pytest.raises(ValueError, match="betas"):
        optim.Adam(ps, betas=(1.5, 0.9))
    with pytest.raises(ValueError, match="lr"):
        optim.SGD(ps, lr=-1)
    with pytest.raises(TypeError, match="must be Values"):
        optim.SGD([1.0])


def test_losses_match_torch():
    F = torch.nn.functional
    z = [0.3, -1.2, 2.0]
    v = [Value(x) for x in z]
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    total = (losses.softmax_cross_entropy(v, 2) + losses.log_sum_exp(v)
             + losses.mse(v, [1.0, 0.0, -1.0]) + losses.bce_with_logits(v[0], 1.0)
             + losses.hinge(v[1], -1.0) + losses.l2_penalty(v, 0.1))
    ref = (F.cross_entropy(t[None], torch.tensor([2])) + torch.logsumexp(t, 0)
           + F.mse_loss(t, torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64))
           + F.binary_cross_entropy_with_logits(t[0], torch.tensor(1.0, dtype=torch.float64))
           + torch.relu(1 + t[1]) + 0.1 * (t * t).sum())
    total.backward()
    ref.backward()
    assert total.data == pytest.approx(ref.item(), rel=1e-14)
    assert [x.grad for x in v] == pytest.approx(t.grad.tolist(), rel=1e-13)
    assert losses.hinge_mean(v, [1, -1, 1]).data == pytest.approx(
        sum(max(0, 1 - y * x) for x, y in zip(z, [1, -1, 1])) / 3)
    assert losses.mean(v).data == pytest.approx(sum(z) / 3)
    with pytest.raises(ValueError, match="empty"):
        losses.log_sum_exp([])
    with pytest.raises(ValueError, match="out of range"):
        losses.softmax_cross_entropy(v, 3)
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        losses.mse(v, [1.0, 2.0])


def test_draw_dot_gives_an_svg_without_graphviz(tmp_path):
    random.seed(1337)
    n = Neuron(2)
    x = [Value(1.0, label="x1"), Value(-2.0, label="x2")]
    y = n(x)
    y.backward()
    g = micrograd.draw_dot(y)
    assert g.source.startswith("digraph {") and "x1" in g.source
    assert g.source.count('[label="{') == 10  # micrograd's 10 values
    svg = g._repr_svg_()
    assert "<svg" in svg and "x1" in svg and "data 1.0000" in svg
    g.save(tmp_path / "n.svg")
    g.save(tmp_path / "n.dot")
    assert (tmp_path / "n.svg").read_text() == svg
    assert (tmp_path / "n.dot").read_text() == g.source
    with pytest.raises(ValueError, match=".svg, .dot or .gv"):
        g.save(tmp_path / "n.png")
    big = Value(0.0)
    for i in range(600):
        big = big + i
    with pytest.raises(ValueError, match="more than the limit of 1000"):
        micrograd.draw_dot(big)
    assert repr(micrograd.draw_dot(big, max_nodes=5000)) == "<micrograd.Graph of 1201 values>"
