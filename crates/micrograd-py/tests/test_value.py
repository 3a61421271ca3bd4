"""micrograd's Value semantics, node for node, and the errors for bad input."""

import math
import threading

import numpy as np
import pytest

from micrograd.engine import ReclaimedError, Value, WrongThreadError

torch = pytest.importorskip("torch")


def leaves(v):
    return sorted(p.data for p in v._prev if p._op == "")


def test_repr_data_grad_and_assignment():
    v = Value(2.5)
    assert repr(v) == "Value(data=2.5, grad=0.0)" == str(v)
    assert repr(Value(1e16)) == "Value(data=1e+16, grad=0.0)"
    v.grad = 1
    v.data -= 0.5 * v.grad
    assert (v.data, v.grad) == (2.0, 1.0)
    v.data = np.float32(0.25)
    assert v.data == 0.25 and type(v.data) is float
    assert Value(3).data == 3.0 and Value(True).data == 1.0


def test_numbers_become_leaves_as_in_micrograd():
    x = Value(3.0)
    # x * 2 is x * Value(2): a '*' node whose _prev holds x and a new leaf 2
    y = x * 2
    assert (y._op, y.data, len(y._prev), x in y._prev, leaves(y)) == ("*", 6.0, 2, True, [2.0, 3.0])
    assert (2 * x)._op == "*" and leaves(2 * x) == [2.0, 3.0]
    assert (x + 1)._op == "+" and leaves(1 + x) == [1.0, 3.0]
    # -x is x * -1; a - b is a + (-b); a / b is a * b**-1 (micrograd's definitions)
    n = -x
    assert (n._op, n.data, leaves(n)) == ("*", -3.0, [-1.0, 3.0])
    d = x - 1
    assert (d._op, d.data, leaves(d)) == ("+", 2.0, [-1.0, 3.0])
    r = 1 - x
    assert r._op == "+" and r.data == -2.0 and {p._op for p in r._prev} == {"*", ""}
    q = x / 4
    assert (q._op, q.data, leaves(q)) == ("*", 0.75, [0.25, 3.0])
    rq = 6 / x
    assert rq._op == "*" and rq.data == 2.0 and {p._op for p in rq._prev} == {"**-1", ""}
    p = x**2
    assert (p._op, p.data, p._prev) == ("**2", 9.0, {x})
    assert (x**0.5)._op == "**0.5"
    assert x.relu()._op == "ReLU" and Value(-1.0).relu().data == 0.0
    assert x._op == "" and x._prev == set()


@pytest.mark.parametrize(
    "scalar", [2, 2.0, np.float64(2.0), np.float32(2.0), np.int64(2), np.int32(2), True]
)
def test_every_operator_with_every_scalar_type_on_both_sides(scalar):
    x = Value(3.0)
    s = float(scalar)
    cases = [
        (x + scalar, 3 + s), (scalar + x, s + 3), (x - scalar, 3 - s), (scalar - x, s - 3),
        (x * scalar, 3 * s), (scalar * x, s * 3), (x / scalar, 3 * s**-1), (scalar / x, s * 3**-1),
        (x**scalar, 3**s),
    ]
    for v, want in cases:
        assert isinstance(v, Value), (scalar, v)
        assert v.data == want


def test_prev_is_the_same_objects_every_time():
    a, b = Value(1.0), Value(2.0)
    c = a * b + a
    assert c._prev is c._prev
    first = {id(p) for p in c._prev}
    assert first == {id(p) for p in c._prev}
    (m,) = [p for p in c._prev if p is not a]
    assert m._prev == {a, b} and a in m._prev
    del m
    again = [p for p in c._prev if p is not a]
    assert {id(p) for p in again} <= first


def test_against_torch_with_the_extra_ops():
    xs = [0.3, -1.2, 2.0]
    v = [Value(x) for x in xs]
    out = (v[0].tanh() * v[1].exp() + v[2].log() - v[0].sigmoid() / v[2].sqrt()
           + abs(v[1]) + v[2] ** v[0] + 2 ** v[0] + (v[1] * v[2]).relu())
    out.backward()
    t = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    ref = (t[0].tanh() * t[1].exp() + t[2].log() - t[0].sigmoid() / t[2].sqrt()
           + t[1].abs() + t[2] ** t[0] + 2 ** t[0] + (t[1] * t[2]).relu())
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-14)
    for a, b in zip(v, t):
        assert a.grad == pytest.approx(b.grad.item(), rel=1e-13)


def test_gradients_accumulate_and_can_be_zeroed():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    x.grad = 0
    (x * 5).backward()
    assert x.grad == 5.0


def test_a_million_node_graph_backpropagates():
    # micrograd's recursive topological sort stops with a RecursionError near 1,000 deep
    x = Value(1.0)
    y = x
    for _ in range(500_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert (y.data, x.grad) == (1.0, 1.0)


def test_bad_input_raises_type_errors():
    x = Value(1.0)
    for bad in ["1", None, [1.0], object(), x]:
        with pytest.raises(TypeError, match="real number"):
            Value(bad)
    for op in ["__add__", "__mul__", "__sub__", "__truediv__", "__pow__"]:
        with pytest.raises(TypeError, match="unsupported operand"):
            {"__add__": lambda: x + "a", "__mul__": lambda: x * None, "__sub__": lambda: x - [],
             "__truediv__": lambda: x / "2", "__pow__": lambda: x ** "2"}[op]()
    for huge in [10**400, -(10**309)]:
        with pytest.raises(OverflowError, match="too large for a float"):
            Value(huge)
        with pytest.raises(OverflowError, match="too large for a float"):
            x * huge
    with pytest.raises(TypeError, match="Value.data must be a real number"):
        x.data = "2"
    with pytest.raises(TypeError, match="Value.grad must be a real number"):
        x.grad = None
    with pytest.raises(ValueError, match="built-in operations"):
        Value(2.0, (x,), "+")
    with pytest.raises(TypeError, match="modulus"):
        pow(x, 2, 3)
    with pytest.raises(TypeError, match="pickled"):
        import copy

        copy.copy(x)


def test_division_by_zero_raises_as_in_micrograd():
    # micrograd computes a / 0 as a * 0**-1, which Python refuses
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)


def test_a_value_from_another_thread_is_an_error():
    x = Value(2.0)
    errors, results = [], []

    def use():
        try:
            x * 2
        except WrongThreadError as e:
            errors.append(str(e))
        # a thread builds its own graphs
        y = Value(3.0)
        z = y * y
        z.backward()
        results.append((z.data, y.grad))

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert issubclass(WrongThreadError, RuntimeError) and issubclass(ReclaimedError, RuntimeError)
    assert len(errors) == 1 and "another thread" in errors[0]
    assert results == [(9.0, 6.0)]
    assert (x * 2).data == 4.0


def test_a_value_from_a_finished_thread_is_an_error():
    made = []
    t = threading.Thread(target=lambda: made.append(Value(1.0) * 3))
    t.start()
    t.join()
    (v,) = made
    for use in [lambda: v.data, lambda: v * 2, lambda: v.backward(), lambda: repr(v), lambda: v._prev]:
        with pytest.raises(WrongThreadError, match="another thread"):
            use()


def test_labels():
    a = Value(2.0, label="a")
    assert a.label == "a"
    b = a * 3
    assert b.label == ""
    b.label = "b"
    assert b.label == "b"


def test_hash_and_equality_are_identity_as_in_micrograd():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a, b, a}) == 2
    assert not math.isnan(hash(a))
