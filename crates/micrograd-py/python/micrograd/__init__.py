"""micrograd-rs: a drop-in replacement for Karpathy's micrograd, backed by a Rust engine.

``micrograd.engine.Value`` and ``micrograd.nn.Module/Neuron/Layer/MLP`` have micrograd's API and give
micrograd's numbers; ``micrograd.draw_dot`` draws a graph as SVG without Graphviz;
``micrograd.optim`` and ``micrograd.losses`` hold the Rust crate's optimizers and losses.
"""

from micrograd.engine import Value
from micrograd.viz import Graph, draw_dot

__version__ = "0.1.0"
__all__ = ["Value", "draw_dot", "Graph"]
