//! `micrograd-rs`: a drop-in replacement for Andrej Karpathy's Python `micrograd`, backed by the Rust
//! engine. This is the extension module `micrograd._micrograd`; the Python package around it
//! (`python/micrograd/`) gives it micrograd's module layout (`micrograd.engine.Value`,
//! `micrograd.nn.MLP`, ...).
//!
//! See `registry.rs` for how Python objects map to tape nodes and how unreachable nodes are freed.

mod extras;
mod nn;
mod registry;
mod value;

use pyo3::prelude::*;

#[pymodule]
fn _micrograd(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<value::PyValue>()?;
    m.add(
        "WrongThreadError",
        py.get_type::<registry::WrongThreadError>(),
    )?;
    m.add("ReclaimedError", py.get_type::<registry::ReclaimedError>())?;
    m.add_function(wrap_pyfunction!(value::zero_grads, m)?)?;
    m.add_function(wrap_pyfunction!(value::tape_stats, m)?)?;
    m.add_function(wrap_pyfunction!(value::collect, m)?)?;
    m.add_function(wrap_pyfunction!(nn::neuron_forward, m)?)?;
    m.add_function(wrap_pyfunction!(nn::mlp_forward, m)?)?;
    m.add_class::<extras::PySgd>()?;
    m.add_class::<extras::PyAdam>()?;
    m.add_class::<extras::PyAdamW>()?;
    for f in [
        wrap_pyfunction!(extras::hinge, m)?,
        wrap_pyfunction!(extras::hinge_mean, m)?,
        wrap_pyfunction!(extras::squared_error, m)?,
        wrap_pyfunction!(extras::mse, m)?,
        wrap_pyfunction!(extras::bce_with_logits, m)?,
        wrap_pyfunction!(extras::log_sum_exp, m)?,
        wrap_pyfunction!(extras::softmax_cross_entropy, m)?,
        wrap_pyfunction!(extras::l2_penalty, m)?,
        wrap_pyfunction!(extras::mean, m)?,
        wrap_pyfunction!(extras::dot_source, m)?,
        wrap_pyfunction!(extras::dot_to_svg, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
