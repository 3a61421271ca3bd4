"""micrograd's neural-network library: ``Module``, ``Neuron``, ``Layer``, ``MLP``.

The same classes, attributes and initialization as micrograd's ``nn.py``: a ``Neuron`` draws its
weights with ``random.uniform(-1, 1)`` from Python's ``random`` module, in micrograd's order, so that
``random.seed(1337)`` gives micrograd's exact model. The forward passes run in Rust:

* ``Neuron.__call__`` (and so ``Layer.__call__``) records micrograd's own nodes,
  ``b + w0*x0 + w1*x1 + ...`` then ``relu``, so its graph draws exactly as micrograd's;
* ``MLP.__call__`` runs the whole network in one call, each neuron as one fused ``affine`` node
  (the same sum in the same order, so the same numbers bit for bit) and a ``relu``. It reads every
  layer's ``neurons`` and every neuron's ``w``, ``b`` and ``nonlin`` on each call, so changes to the
  model are seen, but it computes them itself: a subclass that overrides ``Neuron.__call__`` or
  ``Layer.__call__`` should override ``MLP.__call__`` too (``for layer in self.layers: x = layer(x)``).
"""

import random

from micrograd import _micrograd
from micrograd.engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP"]


class Module:
    """Base class: ``parameters()`` lists the Values to train, ``zero_grad()`` zeroes their grads."""

    def zero_grad(self):
        _micrograd.zero_grads(self.parameters())

    def parameters(self):
        return []


class Neuron(Module):
    """``relu(b + w·x)`` (or linear with ``nonlin=False``) over ``nin`` inputs."""

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        return _micrograd.neuron_forward(self.w, self.b, x, self.nonlin)

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        kind = "ReLU" if self.nonlin else "Linear"
        return f"{kind}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons over the same ``nin`` inputs; one output is returned bare, as in micrograd."""

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        outs = [neuron(x) for neuron in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self):
        return "Layer of [" + ", ".join(str(n) for n in self.neurons) + "]"


class MLP(Module):
    """A multi-layer perceptron: ReLU hidden layers, a linear last layer."""

    def __init__(self, nin, nouts):
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last) for i in range(len(nouts))]

    def __call__(self, x):
        return _micrograd.mlp_forward(self.layers, x)

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return "MLP of [" + ", ".join(str(layer) for layer in self.layers) + "]"
