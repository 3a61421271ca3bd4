//! The forward passes of `micrograd.nn`, in Rust: a whole MLP per call, or a single neuron with
//! micrograd's own nodes.

use crate::registry::{guarded, maybe_collect, with_registry, wrap_new};
use crate::value::{real, PyValue};
use micrograd::Value;
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// An input: a Value, or a number (which becomes a leaf, as `wi*xi` makes it in micrograd).
enum Input<'py> {
    Value(Bound<'py, PyValue>),
    Number(f64),
}

/// Calls `f` on every item of `items`: a list directly (the usual case), any other iterable through
/// the iterator protocol.
fn for_each<'py>(
    items: &Bound<'py, PyAny>,
    mut f: impl FnMut(Bound<'py, PyAny>) -> PyResult<()>,
) -> PyResult<()> {
    if let Ok(list) = items.cast::<PyList>() {
        for item in list.iter() {
            f(item)?;
        }
    } else {
        for item in items.try_iter()? {
            f(item?)?;
        }
    }
    Ok(())
}

fn gather_inputs<'py>(x: &Bound<'py, PyAny>) -> PyResult<Vec<Input<'py>>> {
    let mut out = Vec::new();
    for_each(x, |item| {
        out.push(match item.cast_into::<PyValue>() {
            Ok(v) => Input::Value(v),
            Err(e) => Input::Number(real(&e.into_inner(), "an input")?),
        });
        Ok(())
    })?;
    Ok(out)
}

fn weight<'py>(w: Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyValue>> {
    w.cast_into::<PyValue>().map_err(|e| {
        let ty = e
            .into_inner()
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        pyo3::exceptions::PyTypeError::new_err(format!("{what} must be a Value, not {ty}"))
    })
}

/// The handles of the parameters and inputs, with one registry access.
fn resolve(params: &[Bound<'_, PyValue>], x: &[Input<'_>]) -> PyResult<(Vec<Value>, Vec<Value>)> {
    with_registry(|r| {
        let p = params
            .iter()
            .map(|v| r.handle(v.get()))
            .collect::<PyResult<Vec<_>>>()?;
        let x = x
            .iter()
            .map(|i| match i {
                Input::Value(v) => r.handle(v.get()),
                Input::Number(n) => Ok(Value::new(*n)),
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok((p, x))
    })
}

fn wrong_inputs(nin: usize, got: usize) -> PyErr {
    PyValueError::new_err(format!("a neuron with {nin} weights got {got} inputs"))
}

/// `Neuron.__call__`: `act = b + w0*x0 + w1*x1 + ...` with micrograd's own `*` and `+` nodes (so its
/// graph draws as micrograd's), then `relu` if `nonlin`.
#[pyfunction]
pub fn neuron_forward(
    py: Python<'_>,
    w: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
    nonlin: bool,
) -> PyResult<Py<PyValue>> {
    maybe_collect(py)?;
    let mut params = Vec::new();
    for_each(w, |wi| {
        params.push(weight(wi, "a neuron's weight")?);
        Ok(())
    })?;
    params.push(weight(b.clone(), "a neuron's bias")?);
    let inputs = gather_inputs(x)?;
    let nin = params.len() - 1;
    if inputs.len() != nin {
        return Err(wrong_inputs(nin, inputs.len()));
    }
    let (p, x) = resolve(&params, &inputs)?;
    let act = guarded(|| {
        let mut act = p[nin];
        for (&wi, &xi) in p.iter().zip(&x) {
            act += wi * xi;
        }
        if nonlin {
            act.relu()
        } else {
            act
        }
    })?;
    wrap_new(py, act)
}

/// The layers: `p` holds each neuron's weights then its bias, in order.
fn forward(
    p: &[Value],
    mut cur: Vec<Value>,
    neurons: &[(usize, bool)],
    widths: &[usize],
) -> PyResult<Vec<Value>> {
    let mut next = Vec::new();
    let (mut at, mut k) = (0, 0);
    for &width in widths {
        next.clear();
        for &(nin, nonlin) in &neurons[k..k + width] {
            if nin != cur.len() {
                return Err(wrong_inputs(nin, cur.len()));
            }
            let z = Value::affine(p[at + nin], &p[at..at + nin], &cur);
            next.push(if nonlin { z.relu() } else { z });
            at += nin + 1;
        }
        k += width;
        std::mem::swap(&mut cur, &mut next);
    }
    Ok(cur)
}

/// `MLP.__call__`: every layer's neurons, each one fused `affine` node `b + Σ wᵢxᵢ` (summed left to
/// right from `b`: micrograd's numbers bit for bit) and a `relu` unless it is the last layer. Reads
/// the weights from `layers[i].neurons[j].w`/`.b`/`.nonlin` on every call, so a model changed from
/// Python is seen. Returns a Value for one output (as micrograd), else a list.
#[pyfunction]
pub fn mlp_forward(
    py: Python<'_>,
    layers: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    maybe_collect(py)?;
    let mut params = Vec::new();
    // per neuron: (number of weights, nonlin); per layer: number of neurons
    let mut neurons = Vec::new();
    let mut widths = Vec::new();
    for_each(layers, |layer| {
        let mut width = 0;
        for_each(&layer.getattr(intern!(py, "neurons"))?, |n| {
            let before = params.len();
            for_each(&n.getattr(intern!(py, "w"))?, |wi| {
                params.push(weight(wi, "a neuron's weight")?);
                Ok(())
            })?;
            let nin = params.len() - before;
            params.push(weight(n.getattr(intern!(py, "b"))?, "a neuron's bias")?);
            let nonlin = n.getattr(intern!(py, "nonlin"))?.is_truthy()?;
            neurons.push((nin, nonlin));
            width += 1;
            Ok(())
        })?;
        widths.push(width);
        Ok(())
    })?;
    let inputs = gather_inputs(x)?;
    let (p, x) = resolve(&params, &inputs)?;
    let cur = guarded(|| forward(&p, x, &neurons, &widths))??;
    // Every output gets its object before any is returned (creating objects never collects).
    let mut outs = Vec::with_capacity(cur.len());
    for &v in &cur {
        outs.push(wrap_new(py, v)?);
    }
    if outs.len() == 1 {
        Ok(outs.pop().expect("one output").into_any())
    } else {
        Ok(PyList::new(py, outs)?.into_any().unbind())
    }
}
