"""The autograd engine: micrograd's ``Value``, recorded on a Rust tape.

Every thread has its own tape: a Value belongs to the thread that created it, and using it from
another raises ``WrongThreadError``. Nodes no Python object can reach any more are freed
automatically (``tape_stats()`` shows the collector at work; ``collect()`` runs it now).
"""

from micrograd._micrograd import ReclaimedError, Value, WrongThreadError, collect, tape_stats

__all__ = ["Value", "WrongThreadError", "ReclaimedError", "collect", "tape_stats"]
