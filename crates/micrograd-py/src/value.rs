//! `micrograd.engine.Value`: micrograd's Value, node for node.
//!
//! Every operator records the same nodes as micrograd's `engine.py` does: a number operand becomes a
//! leaf (`x * 2` is `x * Value(2)`), `-x` is `x * -1`, `a - b` is `a + (-b)` and `a / b` is
//! `a * b**-1`. So a graph walked through `_prev` (as `trace_graph.ipynb` does) has micrograd's nodes
//! and edges, and the numbers are micrograd's bit for bit.

use crate::registry::{self, guarded, handle, maybe_collect, with_registry, wrap, wrap_new};
use micrograd::{Op, Value};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError, PyZeroDivisionError};
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PySet, PyString, PyTuple};
use std::sync::atomic::AtomicU32;
use std::sync::OnceLock;

/// A scalar in a computation graph, with its gradient: micrograd's `Value`, backed by the Rust
/// engine. `Value(data)` makes a leaf; arithmetic with Values, ints, floats and NumPy scalars builds
/// the graph; `backward()` fills in `grad` everywhere, with no recursion.
#[pyclass(module = "micrograd.engine", name = "Value", frozen)]
pub struct PyValue {
    /// The registry (thread) this object belongs to.
    pub(crate) owner: u64,
    /// Its node on that thread's tape (changed when a collection moves it).
    pub(crate) node: AtomicU32,
    /// `_prev`, made on first use and kept, so that it is the same objects every time.
    pub(crate) prev: OnceLock<Py<PySet>>,
}

/// An operand: a Value or a number.
enum Operand {
    Value(Value),
    Number(f64),
}

/// A Value or a real number (int, float, NumPy scalar, anything with `__float__` or `__index__`);
/// `None` for anything else, so that the operator returns `NotImplemented` and Python raises its
/// usual `TypeError`. An int past a float's range is an `OverflowError`, as in micrograd (whose
/// arithmetic on it raises Python's own).
fn operand(other: &Bound<'_, PyAny>) -> PyResult<Option<Operand>> {
    if let Ok(v) = other.cast::<PyValue>() {
        return Ok(Some(Operand::Value(handle(v.get())?)));
    }
    if other.is_instance_of::<PyString>() {
        return Ok(None);
    }
    match other.extract::<f64>() {
        Ok(x) => Ok(Some(Operand::Number(x))),
        Err(e) if e.is_instance_of::<PyOverflowError>(other.py()) => Err(too_large("an operand")),
        Err(_) => Ok(None),
    }
}

/// The error for an int past f64's range (`10**400`): Python's own `float()` calls it an overflow.
fn too_large(what: &str) -> PyErr {
    PyOverflowError::new_err(format!(
        "{what}: the int is too large for a float (at most about 1.8e308)"
    ))
}

/// The operand as a Value: a number becomes a new leaf, as in micrograd.
fn as_value(o: Operand) -> Value {
    match o {
        Operand::Value(v) => v,
        Operand::Number(x) => Value::new(x),
    }
}

/// A real number for `data`/`grad`, or a `TypeError` naming what was given.
pub fn real(x: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    if x.is_instance_of::<PyString>() || x.cast::<PyValue>().is_ok() {
        return Err(not_real(x, what));
    }
    x.extract::<f64>().map_err(|e| {
        if e.is_instance_of::<PyOverflowError>(x.py()) {
            too_large(what)
        } else {
            not_real(x, what)
        }
    })
}

fn not_real(x: &Bound<'_, PyAny>, what: &str) -> PyErr {
    let ty = x
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    PyTypeError::new_err(format!(
        "{what} must be a real number (int, float or NumPy scalar), not {ty}"
    ))
}

/// `x ** k` as micrograd computes it: Python refuses `0.0 ** negative`.
fn check_pow(base: f64, k: f64) -> PyResult<()> {
    if base == 0.0 && k < 0.0 {
        return Err(PyZeroDivisionError::new_err(
            "0.0 cannot be raised to a negative power",
        ));
    }
    Ok(())
}

type Made = PyResult<Py<PyAny>>;

/// Runs `f` on this Value's handle and an operand (after a collection if one is due), wrapping the
/// result; `NotImplemented` if the operand is not a Value or a number.
fn binary(
    slf: &Bound<'_, PyValue>,
    other: &Bound<'_, PyAny>,
    f: impl FnOnce(Value, Operand) -> PyResult<Value>,
) -> Made {
    let py = slf.py();
    maybe_collect(py)?;
    let a = handle(slf.get())?;
    let Some(b) = operand(other)? else {
        return Ok(py.NotImplemented());
    };
    Ok(wrap_new(py, guarded(|| f(a, b))??)?.into_any())
}

fn unary(slf: &Bound<'_, PyValue>, f: impl FnOnce(Value) -> Value) -> PyResult<Py<PyValue>> {
    let py = slf.py();
    maybe_collect(py)?;
    let a = handle(slf.get())?;
    wrap_new(py, guarded(|| f(a))?)
}

/// `v ** k` for a number k (micrograd's only power), or an error for 0 to a negative power.
fn pow_const(v: Value, k: f64) -> PyResult<Value> {
    check_pow(v.data(), k)?;
    Ok(v.pow(k))
}

/// `pow(v, k, m)`: a modulus means nothing for reals.
fn no_modulus(modulo: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    if modulo.is_some_and(|m| !m.is_none()) {
        return Err(PyTypeError::new_err(
            "pow() with a modulus is not supported for Values",
        ));
    }
    Ok(())
}

fn neg(v: Value) -> Value {
    v * Value::new(-1.0)
}

#[pymethods]
impl PyValue {
    #[new]
    #[pyo3(signature = (data, _children = None, _op = "", label = ""))]
    fn py_new(
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        _children: Option<&Bound<'_, PyAny>>,
        _op: &str,
        label: &str,
    ) -> PyResult<Py<PyValue>> {
        let x = real(data, "Value(data): data")?;
        if let Some(children) = _children {
            if children.len().unwrap_or(1) != 0 {
                return Err(PyValueError::new_err(
                    "Value(data, _children, _op): this engine records its own operations and \
                     cannot backpropagate through a node built from Python with a `_backward` \
                     function; use the built-in operations (+, -, *, /, **, relu, tanh, exp, log, \
                     sigmoid, ...)",
                ));
            }
        }
        if !_op.is_empty() {
            return Err(PyValueError::new_err(
                "Value(data, _children, _op): a leaf has no op (`_op` is set by the operations)",
            ));
        }
        maybe_collect(py)?;
        let v = Value::new(x);
        if !label.is_empty() {
            v.set_label(label);
        }
        wrap_new(py, v)
    }

    /// The forward value (a float); assignable: `p.data -= lr * p.grad`.
    #[getter]
    fn get_data(&self) -> PyResult<f64> {
        Ok(handle(self)?.data())
    }

    #[setter]
    fn set_data(&self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        self.assign(data, "Value.data", Value::set_data)
    }

    /// The gradient (a float); assignable: `p.grad = 0`.
    #[getter]
    fn get_grad(&self) -> PyResult<f64> {
        Ok(handle(self)?.grad())
    }

    #[setter]
    fn set_grad(&self, grad: &Bound<'_, PyAny>) -> PyResult<()> {
        self.assign(grad, "Value.grad", Value::set_grad)
    }

    /// A name shown by `draw_dot` ('' if none).
    #[getter]
    fn get_label(&self) -> PyResult<String> {
        Ok(handle(self)?.label().unwrap_or_default())
    }

    #[setter]
    fn set_label(&self, label: &Bound<'_, PyAny>) -> PyResult<()> {
        let label = label.str()?.to_string();
        handle(self)?.set_label(&label);
        Ok(())
    }

    /// The op that produced this Value, as micrograd names it ('+', '*', '**2', 'ReLU', ...; '' for
    /// a leaf).
    #[getter]
    fn _op(&self) -> PyResult<String> {
        Ok(op_name(handle(self)?))
    }

    /// The set of Values this one was computed from: the same Python objects every time.
    #[getter]
    fn _prev(slf: &Bound<'_, PyValue>) -> PyResult<Py<PySet>> {
        let py = slf.py();
        let v = slf.get();
        if let Some(set) = v.prev.get() {
            return Ok(set.clone_ref(py));
        }
        let inputs = handle(v)?.inputs();
        let mut objs = Vec::with_capacity(inputs.len());
        for u in inputs {
            objs.push(wrap(py, u)?);
        }
        let set = PySet::new(py, &objs)?.unbind();
        Ok(v.prev.get_or_init(|| set).clone_ref(py))
    }

    fn __add__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| Ok(a + as_value(b)))
    }

    fn __radd__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| Ok(a + as_value(b)))
    }

    fn __mul__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| Ok(a * as_value(b)))
    }

    fn __rmul__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| Ok(a * as_value(b)))
    }

    /// `self + (-other)`, as micrograd.
    fn __sub__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| {
            Ok(a + match b {
                Operand::Value(b) => neg(b),
                Operand::Number(x) => Value::new(-x),
            })
        })
    }

    /// `other + (-self)`, as micrograd.
    fn __rsub__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| Ok(neg(a) + as_value(b)))
    }

    /// `self * other**-1`, as micrograd.
    fn __truediv__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| {
            Ok(a * match b {
                Operand::Value(b) => pow_const(b, -1.0)?,
                Operand::Number(x) => {
                    check_pow(x, -1.0)?;
                    Value::new(x.powf(-1.0))
                }
            })
        })
    }

    /// `other * self**-1`, as micrograd.
    fn __rtruediv__(slf: &Bound<'_, PyValue>, other: &Bound<'_, PyAny>) -> Made {
        binary(slf, other, |a, b| Ok(pow_const(a, -1.0)? * as_value(b)))
    }

    /// `self ** k` for a number k (micrograd's `'**k'` node), or for a Value k (an extra).
    fn __pow__(
        slf: &Bound<'_, PyValue>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> Made {
        no_modulus(modulo)?;
        binary(slf, other, |a, b| match b {
            Operand::Number(k) => pow_const(a, k),
            Operand::Value(k) => Ok(a.pow(k)),
        })
    }

    /// `number ** self` (an extra: micrograd has no `__rpow__`).
    fn __rpow__(
        slf: &Bound<'_, PyValue>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> Made {
        no_modulus(modulo)?;
        binary(slf, other, |a, b| Ok(as_value(b).pow(a)))
    }

    /// `self * -1`, as micrograd.
    fn __neg__(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, neg)
    }

    fn __abs__(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, Value::abs)
    }

    /// `max(0, x)`.
    fn relu(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, Value::relu)
    }

    fn tanh(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, Value::tanh)
    }

    fn exp(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, Value::exp)
    }

    /// The natural logarithm.
    fn log(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, Value::log)
    }

    fn sigmoid(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, Value::sigmoid)
    }

    fn sqrt(slf: &Bound<'_, PyValue>) -> PyResult<Py<PyValue>> {
        unary(slf, Value::sqrt)
    }

    /// Backpropagation from this Value: adds d self / d node to the grad of every node it depends
    /// on (gradients accumulate until zeroed, as in micrograd). Iterative: any depth works.
    fn backward(&self) -> PyResult<()> {
        let v = handle(self)?;
        guarded(|| v.backward())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let v = handle(self)?;
        Ok(format!(
            "Value(data={}, grad={})",
            PyFloat::new(py, v.data()).repr()?,
            PyFloat::new(py, v.grad()).repr()?
        ))
    }

    /// NumPy scalars on the left (`np.float64(2) * v`) defer to the Value's reflected operator.
    #[classattr]
    fn __array_ufunc__(py: Python<'_>) -> Py<PyAny> {
        py.None()
    }

    fn __reduce__(&self) -> PyResult<Py<PyTuple>> {
        Err(PyTypeError::new_err(
            "a Value cannot be pickled or copied (it is a node of a graph); use Value(v.data)",
        ))
    }
}

impl PyValue {
    /// `data` or `grad` assigned from Python: a real number, or a `TypeError` naming `what`.
    fn assign(&self, x: &Bound<'_, PyAny>, what: &str, set: fn(Value, f64)) -> PyResult<()> {
        let x = real(x, what)?;
        set(handle(self)?, x);
        Ok(())
    }
}

/// The op name micrograd gives (`'+'`, `'*'`, `'**2'`, `'ReLU'`), and a name for the extra ops.
pub fn op_name(v: Value) -> String {
    let op = v.op();
    match op {
        Op::Leaf => String::new(),
        Op::Relu => "ReLU".into(),
        Op::PowConst => format!("**{}", number(v.constant().unwrap_or(f64::NAN))),
        Op::Pow => "**".into(),
        Op::AddConst | Op::MulConst | Op::DivConst | Op::ConstSub | Op::ConstDiv => {
            let c = number(v.constant().unwrap_or(f64::NAN));
            match op {
                Op::ConstSub | Op::ConstDiv => format!("{c}{}", op.symbol()),
                _ => format!("{}{c}", op.symbol()),
            }
        }
        _ => op.symbol().into(),
    }
}

/// A number as Python writes it in micrograd's `f'**{other}'`: integers without a decimal point.
fn number(c: f64) -> String {
    if c.fract() == 0.0 && c.abs() < 1e15 {
        format!("{}", c as i64)
    } else {
        format!("{c:?}")
    }
}

/// Zeroes the gradients of a list of Values in one call (`Module.zero_grad`).
#[pyfunction]
pub fn zero_grads(params: &Bound<'_, PyAny>) -> PyResult<()> {
    let vs = values_of(params, "zero_grad: parameters")?;
    let mut hs = Vec::new();
    registry::handles(&vs, &mut hs)?;
    micrograd::Tape::zero_grads(&hs);
    Ok(())
}

/// The items of an iterable of Values, or a `TypeError` naming the first that is not one.
pub fn values_of<'py>(items: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Bound<'py, PyValue>>> {
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        match item.cast_into::<PyValue>() {
            Ok(v) => out.push(v),
            Err(e) => {
                let ty = e.into_inner().get_type().name()?.to_string();
                return Err(PyTypeError::new_err(format!(
                    "{what} must be Values, got a {ty}"
                )));
            }
        }
    }
    Ok(out)
}

/// Statistics of this thread's tape and collector (for tests and benchmarks).
#[pyfunction]
pub fn tape_stats(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let (nodes, objects, stats) = with_registry(|r| (r.tape_len(), r.live_objects(), r.stats));
    let d = pyo3::types::PyDict::new(py);
    d.set_item("tape_nodes", nodes)?;
    d.set_item("objects", objects)?;
    d.set_item("collections", stats.collections)?;
    d.set_item("nodes_copied", stats.nodes_copied)?;
    d.set_item("objects_freed", stats.objects_freed)?;
    d.set_item("live_after_last", stats.live_after_last)?;
    d.set_item("tape_bytes", micrograd::Tape::allocated_bytes())?;
    d.set_item("min_garbage", registry::MIN_GARBAGE)?;
    Ok(d.into_any().unbind())
}

/// Frees the nodes no Python object can reach now (normally automatic).
#[pyfunction]
pub fn collect(py: Python<'_>) -> PyResult<()> {
    registry::collect(py)
}
