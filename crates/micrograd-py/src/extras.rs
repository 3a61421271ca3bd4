//! Beyond micrograd: the Rust crate's losses and optimizers, and graph pictures without Graphviz.

use crate::registry::{guarded, handles, maybe_collect, wrap_new};
use crate::value::{values_of, PyValue};
use micrograd::optim::{Adam, AdamW, Optimizer, Sgd};
use micrograd::{loss, Value};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// The handles of a list of Values (non-empty if `nonempty`), after a collection if one is due.
fn value_list(
    py: Python<'_>,
    xs: &Bound<'_, PyAny>,
    what: &str,
    nonempty: bool,
) -> PyResult<Vec<Value>> {
    maybe_collect(py)?;
    let vs = values_of(xs, what)?;
    if nonempty && vs.is_empty() {
        return Err(PyValueError::new_err(format!("{what}: the list is empty")));
    }
    let mut hs = Vec::new();
    handles(&vs, &mut hs)?;
    Ok(hs)
}

fn one(py: Python<'_>, v: &Bound<'_, PyValue>) -> PyResult<Value> {
    maybe_collect(py)?;
    crate::registry::handle(v.get())
}

fn same_len(a: usize, b: usize, what: &str) -> PyResult<()> {
    if a != b {
        return Err(PyValueError::new_err(format!(
            "{what}: {a} predictions but {b} targets"
        )));
    }
    Ok(())
}

/// `relu(1 - y·score)`: the SVM max-margin loss of the moons demo (y is -1 or +1).
#[pyfunction]
pub fn hinge(py: Python<'_>, score: &Bound<'_, PyValue>, y: f64) -> PyResult<Py<PyValue>> {
    let s = one(py, score)?;
    wrap_new(py, loss::hinge(s, y))
}

/// The mean hinge loss over scores and labels.
#[pyfunction]
pub fn hinge_mean(
    py: Python<'_>,
    scores: &Bound<'_, PyAny>,
    labels: Vec<f64>,
) -> PyResult<Py<PyValue>> {
    let s = value_list(py, scores, "hinge_mean: scores", true)?;
    same_len(s.len(), labels.len(), "hinge_mean")?;
    wrap_new(py, guarded(|| loss::hinge_mean(&s, &labels))?)
}

/// `(pred - target)²`.
#[pyfunction]
pub fn squared_error(
    py: Python<'_>,
    pred: &Bound<'_, PyValue>,
    target: f64,
) -> PyResult<Py<PyValue>> {
    let p = one(py, pred)?;
    wrap_new(py, loss::squared_error(p, target))
}

/// The mean squared error.
#[pyfunction]
pub fn mse(py: Python<'_>, preds: &Bound<'_, PyAny>, targets: Vec<f64>) -> PyResult<Py<PyValue>> {
    let p = value_list(py, preds, "mse: preds", true)?;
    same_len(p.len(), targets.len(), "mse")?;
    wrap_new(py, guarded(|| loss::mse(&p, &targets))?)
}

/// Binary cross-entropy of a logit against a label in {0, 1}, computed stably.
#[pyfunction]
pub fn bce_with_logits(
    py: Python<'_>,
    logit: &Bound<'_, PyValue>,
    y: f64,
) -> PyResult<Py<PyValue>> {
    let z = one(py, logit)?;
    wrap_new(py, loss::bce_with_logits(z, y))
}

/// `log Σ exp(zᵢ)`, computed stably.
#[pyfunction]
pub fn log_sum_exp(py: Python<'_>, logits: &Bound<'_, PyAny>) -> PyResult<Py<PyValue>> {
    let z = value_list(py, logits, "log_sum_exp: logits", true)?;
    wrap_new(py, guarded(|| loss::log_sum_exp(&z))?)
}

/// `-log softmax(logits)[class]`.
#[pyfunction]
pub fn softmax_cross_entropy(
    py: Python<'_>,
    logits: &Bound<'_, PyAny>,
    class: usize,
) -> PyResult<Py<PyValue>> {
    let z = value_list(py, logits, "softmax_cross_entropy: logits", true)?;
    if class >= z.len() {
        return Err(PyValueError::new_err(format!(
            "softmax_cross_entropy: class {class} out of range for {} logits",
            z.len()
        )));
    }
    wrap_new(py, guarded(|| loss::softmax_cross_entropy(&z, class))?)
}

/// `alpha · Σ p²` over the parameters.
#[pyfunction]
pub fn l2_penalty(py: Python<'_>, params: &Bound<'_, PyAny>, alpha: f64) -> PyResult<Py<PyValue>> {
    let p = value_list(py, params, "l2_penalty: params", false)?;
    wrap_new(py, guarded(|| loss::l2_penalty(&p, alpha))?)
}

/// The mean of a list of losses.
#[pyfunction]
pub fn mean(py: Python<'_>, losses: &Bound<'_, PyAny>) -> PyResult<Py<PyValue>> {
    let l = value_list(py, losses, "mean: losses", true)?;
    wrap_new(py, guarded(|| loss::mean(&l))?)
}

/// Holds an optimizer of the Rust crate and the parameters it updates.
struct Opt<O> {
    inner: O,
    params: Vec<Py<PyValue>>,
}

impl<O: Optimizer> Opt<O> {
    fn new(params: &Bound<'_, PyAny>, inner: O) -> PyResult<Opt<O>> {
        let params = values_of(params, "the optimizer's parameters")?
            .into_iter()
            .map(Bound::unbind)
            .collect();
        Ok(Opt { inner, params })
    }

    fn handles(&self, py: Python<'_>) -> PyResult<Vec<Value>> {
        let bound: Vec<Bound<'_, PyValue>> =
            self.params.iter().map(|p| p.bind(py).clone()).collect();
        let mut hs = Vec::new();
        handles(&bound, &mut hs)?;
        Ok(hs)
    }

    fn step(&mut self, py: Python<'_>) -> PyResult<()> {
        let hs = self.handles(py)?;
        guarded(|| self.inner.step(&hs))
    }

    fn zero_grad(&self, py: Python<'_>) -> PyResult<()> {
        let hs = self.handles(py)?;
        micrograd::Tape::zero_grads(&hs);
        Ok(())
    }
}

fn check_lr(lr: f64) -> PyResult<()> {
    if !(lr.is_finite() && lr >= 0.0) {
        return Err(PyValueError::new_err(format!(
            "lr must be a finite number >= 0, got {lr}"
        )));
    }
    Ok(())
}

fn check_betas(b1: f64, b2: f64) -> PyResult<()> {
    for b in [b1, b2] {
        if !(0.0..1.0).contains(&b) {
            return Err(PyValueError::new_err(format!(
                "betas must be in [0, 1), got {b}"
            )));
        }
    }
    Ok(())
}

/// The methods every optimizer class has (the classes differ in their constructors).
macro_rules! optimizer_class {
    ($T:ident, $name:literal, $($new:tt)*) => {
        #[pymethods]
        impl $T {
            $($new)*

            /// One update of every parameter from its gradient.
            fn step(&mut self, py: Python<'_>) -> PyResult<()> {
                self.0.step(py)
            }

            /// Sets every parameter's gradient to 0.
            fn zero_grad(&self, py: Python<'_>) -> PyResult<()> {
                self.0.zero_grad(py)
            }

            /// The learning rate (assignable, for schedules).
            #[getter]
            fn get_lr(&self) -> f64 {
                self.0.inner.lr()
            }

            #[setter]
            fn set_lr(&mut self, lr: f64) -> PyResult<()> {
                check_lr(lr)?;
                self.0.inner.set_lr(lr);
                Ok(())
            }

            /// The number of steps taken.
            #[getter]
            fn steps(&self) -> u64 {
                self.0.inner.steps()
            }

            fn __repr__(&self) -> String {
                format!(
                    "{}(lr={}, {} parameters)",
                    $name,
                    self.0.inner.lr(),
                    self.0.params.len()
                )
            }
        }
    };
}

/// Stochastic gradient descent (as `torch.optim.SGD`): micrograd's `p.data -= lr * p.grad` with the
/// defaults.
#[pyclass(module = "micrograd.optim", name = "SGD")]
pub struct PySgd(Opt<Sgd>);

optimizer_class!(
    PySgd,
    "SGD",
    #[new]
    #[pyo3(signature = (params, lr = 0.01, momentum = 0.0, dampening = 0.0, weight_decay = 0.0, nesterov = false))]
    fn new(
        params: &Bound<'_, PyAny>,
        lr: f64,
        momentum: f64,
        dampening: f64,
        weight_decay: f64,
        nesterov: bool,
    ) -> PyResult<PySgd> {
        check_lr(lr)?;
        let sgd = Sgd::new(lr)
            .momentum(momentum)
            .dampening(dampening)
            .weight_decay(weight_decay)
            .nesterov(nesterov);
        Ok(PySgd(Opt::new(params, sgd)?))
    }
);

/// Adam and AdamW: the same constructor (PyTorch's arguments), their own default weight decay.
macro_rules! adam_class {
    ($(#[$doc:meta])* $T:ident, $O:ident, $name:literal, $decay:literal) => {
        $(#[$doc])*
        #[pyclass(module = "micrograd.optim", name = $name)]
        pub struct $T(Opt<$O>);

        optimizer_class!(
            $T,
            $name,
            #[new]
            #[pyo3(signature = (params, lr = 0.001, betas = (0.9, 0.999), eps = 1e-8, weight_decay = $decay, amsgrad = false))]
            fn new(
                params: &Bound<'_, PyAny>,
                lr: f64,
                betas: (f64, f64),
                eps: f64,
                weight_decay: f64,
                amsgrad: bool,
            ) -> PyResult<$T> {
                check_lr(lr)?;
                check_betas(betas.0, betas.1)?;
                let opt = guarded(|| {
                    $O::new(lr)
                        .betas(betas.0, betas.1)
                        .eps(eps)
                        .weight_decay(weight_decay)
                        .amsgrad(amsgrad)
                })?;
                Ok($T(Opt::new(params, opt)?))
            }
        );
    };
}

adam_class!(
    /// Adam (as `torch.optim.Adam`).
    PyAdam,
    Adam,
    "Adam",
    0.0
);
adam_class!(
    /// AdamW, Adam with decoupled weight decay (as `torch.optim.AdamW`).
    PyAdamW,
    AdamW,
    "AdamW",
    0.01
);

/// The graph reachable from `root` as Graphviz DOT (the Rust crate's `viz::to_dot`).
#[pyfunction]
#[pyo3(signature = (root, precision = 4, show_grad = true, max_nodes = 1000))]
pub fn dot_source(
    root: &Bound<'_, PyValue>,
    precision: usize,
    show_grad: bool,
    max_nodes: usize,
) -> PyResult<String> {
    let v = crate::registry::handle(root.get())?;
    let opts = micrograd::viz::DotOptions {
        precision,
        show_grad,
        max_nodes,
    };
    micrograd::viz::to_dot(v, &opts).map_err(|e| PyValueError::new_err(format!("draw_dot: {e}")))
}

/// Lays out a DOT graph and draws it as SVG with the pure-Rust layout-rs (no Graphviz needed).
/// Layout optimizations (fewer edge crossings) run for graphs up to `optimize_up_to` nodes.
#[pyfunction]
#[pyo3(signature = (dot, optimize_up_to = 150))]
pub fn dot_to_svg(py: Python<'_>, dot: &str, optimize_up_to: usize) -> PyResult<String> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    let ast = DotParser::new(dot)
        .process()
        .map_err(|e| PyValueError::new_err(format!("draw_dot: cannot read the DOT graph: {e}")))?;
    let nodes = dot.lines().filter(|l| l.contains("[label=")).count();
    py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut builder = GraphBuilder::new();
            builder.visit_graph(&ast);
            let mut graph = builder.get();
            let mut svg = SVGWriter::new();
            graph.do_it(false, nodes > optimize_up_to, false, &mut svg);
            svg.finalize()
        }))
    })
    .map_err(|_| {
        PyRuntimeError::new_err(
            "draw_dot: the built-in layout failed on this graph; use .source with Graphviz",
        )
    })
}
