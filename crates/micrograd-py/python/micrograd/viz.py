"""Pictures of graphs without Graphviz: ``draw_dot(value)`` returns a ``Graph`` that Jupyter shows
inline (``_repr_svg_``), laid out by the pure-Rust layout-rs."""

from micrograd import _micrograd

__all__ = ["Graph", "draw_dot"]


class Graph:
    """A drawn graph: ``source`` is its Graphviz DOT, ``svg()`` its picture (``save(path)`` writes
    either, by the file's extension: ``.svg`` or ``.dot``/``.gv``)."""

    def __init__(self, source):
        self.source = source
        self._svg = None

    def svg(self):
        if self._svg is None:
            self._svg = _micrograd.dot_to_svg(self.source)
        return self._svg

    def _repr_svg_(self):
        return self.svg()

    def save(self, path):
        path = str(path)
        if path.endswith((".dot", ".gv")):
            text = self.source
        elif path.endswith(".svg"):
            text = self.svg()
        else:
            raise ValueError(f"Graph.save: {path!r}: the name must end in .svg, .dot or .gv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def __repr__(self):
        values = self.source.count("[label=\"{")
        return f"<micrograd.Graph of {values} values>"


def draw_dot(root, precision=4, show_grad=True, max_nodes=1000):
    """The graph that ``root`` was computed from, each value with its data and grad (``precision``
    digits), every op as its own node, laid out left to right. Refuses graphs of more than
    ``max_nodes`` values with a ``ValueError``."""
    return Graph(_micrograd.dot_source(root, precision, show_grad, max_nodes))
