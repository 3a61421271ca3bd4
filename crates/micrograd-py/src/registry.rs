//! The link between Python `Value` objects and the engine's tape, and the reclamation of the nodes no
//! Python object can reach any more.
//!
//! Each thread has a tape (the engine's) and a registry (here). The registry holds, by node id, the
//! engine handle and a strong reference to the Python object of every node that has one; a Python
//! object holds only its thread's registry number and its node id, which makes it `Send` and `Sync` as
//! pyo3 requires, and lets every use check the thread first.
//!
//! **Reclamation.** The tape only grows, and frees memory by rewinding to a mark. A notebook never
//! rewinds, and keeps old graphs alive in between the new ones (the previous step's loss lives until
//! the next one is assigned), so a plain rewind cannot free them. Instead, when the tape has grown by
//! more than the live part since the last collection, the registry collects, as a copying collector:
//!
//! 1. Objects only the registry still references (reference count 1) are dropped, from the newest
//!    node down, so that an object released with them (an input cached in its `_prev` set) is seen
//!    afterwards in the same pass.
//! 2. The nodes reachable on the tape from the remaining objects are found in one sweep from the top
//!    down (inputs always come before their users).
//! 3. Their op, inputs, constant, data, gradient and label are read; the tape is rewound to where it
//!    began; they are recorded again in order with the same ops (the data and gradients written back,
//!    since a parameter may have changed since its users were computed); the Python objects get their
//!    new node ids.
//!
//! The cost is proportional to the live nodes per collection, and a collection happens only after as
//! many new nodes as live ones (at least [`MIN_GARBAGE`]), so it is constant per node created. A Python
//! object's node is never reclaimed while the object lives: a Value can only fail to find its node when
//! it is used from another thread than its own.

use crate::value::PyValue;
use micrograd::{Mark, Op, Tape, Value};
use pyo3::create_exception;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

create_exception!(
    micrograd,
    WrongThreadError,
    PyRuntimeError,
    "A Value was used from another thread than the one that created it (each thread has its own graph)."
);
create_exception!(
    micrograd,
    ReclaimedError,
    PyRuntimeError,
    "A Value whose node is no longer on its thread's tape was used."
);

/// A collection waits for at least this many new nodes (about 14 MB of tape and registry).
pub const MIN_GARBAGE: usize = 1 << 18;

static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// Counters for tests and benchmarks (`micrograd.engine.tape_stats()`).
#[derive(Clone, Copy, Default)]
pub struct Stats {
    pub collections: u64,
    pub nodes_copied: u64,
    pub objects_freed: u64,
    pub live_after_last: usize,
}

pub struct Registry {
    /// This thread's registry number, stamped on its Python objects.
    pub owner: u64,
    /// Where this thread's part of the tape begins: collections rewind to it.
    base: Mark,
    /// By node id: the handle and the Python object of every node that has one.
    entries: Vec<Option<(Value, Py<PyValue>)>>,
    /// Collect once the tape holds more nodes than this.
    bound: usize,
    pub stats: Stats,
    /// The collector's buffers, kept from one collection to the next.
    scratch: Scratch,
}

#[derive(Default)]
struct Scratch {
    /// By id - base: the handle of each node to keep, then its new handle.
    keep: Vec<Option<Value>>,
    moved: Vec<Option<Value>>,
    nodes: Vec<Node>,
    rebuilt: Vec<Value>,
    data: Vec<f64>,
    inputs: Vec<Value>,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::new());
}

/// Runs `f` on this thread's registry. `f` must not run Python code (which could re-enter).
pub fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    REGISTRY.with(|r| f(&mut r.borrow_mut()))
}

pub fn wrong_thread() -> PyErr {
    WrongThreadError::new_err(
        "this Value belongs to another thread: each thread builds its own graph (on its own tape), \
         so create and use Values in the same thread",
    )
}

fn reclaimed() -> PyErr {
    ReclaimedError::new_err(
        "this Value's node is no longer on the tape (its graph was freed); this is a bug in \
         micrograd-rs, please report it",
    )
}

impl Registry {
    fn new() -> Registry {
        let base = Tape::mark();
        Registry {
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            base,
            entries: Vec::new(),
            bound: base.len() + MIN_GARBAGE,
            stats: Stats::default(),
            scratch: Scratch::default(),
        }
    }

    /// The engine handle of a Python Value.
    #[inline]
    pub fn handle(&self, v: &PyValue) -> PyResult<Value> {
        if v.owner != self.owner {
            return Err(wrong_thread());
        }
        match self.entries.get(v.node.load(Ordering::Relaxed) as usize) {
            Some(Some((h, obj))) if std::ptr::eq(obj.get(), v) => Ok(*h),
            _ => Err(reclaimed()),
        }
    }

    /// The Python object of node `id`, if it has one.
    pub fn object(&self, id: usize) -> Option<&Py<PyValue>> {
        self.entries
            .get(id)
            .and_then(|e| e.as_ref().map(|(_, o)| o))
    }

    fn insert(&mut self, h: Value, obj: Py<PyValue>) {
        let id = h.id();
        if self.entries.len() <= id {
            self.entries.resize_with(id + 1, || None);
        }
        self.entries[id] = Some((h, obj));
    }

    pub fn tape_len(&self) -> usize {
        Tape::len()
    }

    pub fn live_objects(&self) -> usize {
        self.entries.iter().filter(|e| e.is_some()).count()
    }

    /// Drops the objects only the registry references, newest first. Returns how many.
    fn purge(&mut self, py: Python<'_>) -> u64 {
        let mut freed = 0;
        for e in self.entries.iter_mut().rev() {
            if e.as_ref().is_some_and(|(_, o)| o.get_refcnt(py) == 1) {
                // Dropping it releases its cached `_prev` set, whose members (older nodes) may become
                // unreferenced too: they come later in this pass. (A Value's destructor runs no Python
                // code and does not touch the registry.)
                *e = None;
                freed += 1;
            }
        }
        while self.entries.last().is_some_and(|e| e.is_none()) {
            self.entries.pop();
        }
        freed
    }

    /// Frees every node no Python object can reach (see the module docs).
    pub fn collect(&mut self, py: Python<'_>) {
        self.stats.objects_freed += self.purge(py);
        let mut s = std::mem::take(&mut self.scratch);
        self.copy_live(&mut s);
        s.nodes.clear();
        self.scratch = s;
    }

    fn copy_live(&mut self, s: &mut Scratch) {
        let lo = self.base.len();
        let n = Tape::len();
        let keep = &mut s.keep;
        keep.clear();
        keep.resize(n.saturating_sub(lo), None);
        for (h, _) in self.entries.iter().flatten() {
            if h.id() >= lo {
                keep[h.id() - lo] = Some(*h);
            }
        }
        // Top down: a node's inputs are marked before the sweep reaches them.
        s.nodes.clear();
        for i in (0..keep.len()).rev() {
            let Some(h) = keep[i] else { continue };
            let node = Node::read(h);
            for u in &node.inputs {
                if u.id() >= lo {
                    keep[u.id() - lo] = Some(*u);
                }
            }
            if !node.rebuildable() {
                // An op this collector cannot record again: keep everything, try again later.
                self.bound = n + n.max(MIN_GARBAGE);
                return;
            }
            s.nodes.push(node);
        }
        s.nodes.reverse();
        Tape::rewind(self.base);
        let moved = &mut s.moved;
        moved.clear();
        moved.resize(keep.len(), None);
        s.rebuilt.clear();
        s.data.clear();
        for node in &s.nodes {
            s.inputs.clear();
            s.inputs
                .extend(node.inputs.iter().map(|u| match u.id().checked_sub(lo) {
                    Some(i) => moved[i].expect("an input is kept with its user"),
                    None => *u,
                }));
            let v = node.rebuild(&s.inputs);
            moved[node.id - lo] = Some(v);
            s.rebuilt.push(v);
            s.data.push(node.data);
        }
        Tape::write_data(&s.rebuilt, &s.data);
        for (v, node) in s.rebuilt.iter().zip(&s.nodes) {
            if node.grad != 0.0 {
                v.set_grad(node.grad);
            }
            if let Some(label) = &node.label {
                v.set_label(label);
            }
        }
        let old = std::mem::take(&mut self.entries);
        for (h, obj) in old.into_iter().flatten() {
            let new = match h.id().checked_sub(lo) {
                Some(i) => moved[i].expect("every object's node is kept"),
                None => h,
            };
            obj.get().node.store(new.id() as u32, Ordering::Relaxed);
            self.insert(new, obj);
        }
        let live = s.nodes.len();
        self.stats.collections += 1;
        self.stats.nodes_copied += live as u64;
        self.stats.live_after_last = live;
        self.bound = lo + live + live.max(MIN_GARBAGE);
    }
}

/// A node as read before a collection rewinds the tape.
struct Node {
    id: usize,
    op: Op,
    inputs: Vec<Value>,
    constant: Option<f64>,
    data: f64,
    grad: f64,
    label: Option<String>,
}

impl Node {
    fn read(h: Value) -> Node {
        Node {
            id: h.id(),
            op: h.op(),
            inputs: h.inputs(),
            constant: h.constant(),
            data: h.data(),
            grad: h.grad(),
            label: h.label(),
        }
    }

    /// Whether [`Node::rebuild`] can record this node again (its op and arity are known).
    fn rebuildable(&self) -> bool {
        let arity = self.inputs.len();
        match self.op {
            Op::Leaf => arity == 0,
            Op::Sum => true,
            Op::Dot => arity % 2 == 0,
            Op::Affine => arity % 2 == 1,
            Op::Add | Op::Mul | Op::Sub | Op::Div | Op::Pow | Op::Max | Op::Min => arity == 2,
            Op::Neg
            | Op::Exp
            | Op::Log
            | Op::Tanh
            | Op::Sigmoid
            | Op::Relu
            | Op::Sqrt
            | Op::Abs => arity == 1,
            Op::AddConst
            | Op::ConstSub
            | Op::MulConst
            | Op::DivConst
            | Op::ConstDiv
            | Op::PowConst
            | Op::Custom => arity == 1 && self.constant.is_some(),
            _ => false,
        }
    }

    /// Records the node again, with its op, on `x` (its inputs' new handles). The forward value is
    /// overwritten with the recorded one afterwards.
    fn rebuild(&self, x: &[Value]) -> Value {
        let c = self.constant.unwrap_or(0.0);
        let data = self.data;
        let pairs = |s: &[Value]| -> (Vec<Value>, Vec<Value>) {
            s.chunks_exact(2).map(|p| (p[0], p[1])).unzip()
        };
        match self.op {
            Op::Leaf => Value::new(data),
            Op::Sum => Value::sum_slice(x),
            Op::Dot => {
                let (w, v) = pairs(x);
                Value::dot(&w, &v)
            }
            Op::Affine => {
                let (w, v) = pairs(&x[1..]);
                Value::affine(x[0], &w, &v)
            }
            Op::Add => x[0] + x[1],
            Op::Mul => x[0] * x[1],
            Op::Sub => x[0] - x[1],
            Op::Div => x[0] / x[1],
            Op::Pow => x[0].pow(x[1]),
            Op::Max => x[0].max(x[1]),
            Op::Min => x[0].min(x[1]),
            Op::Neg => -x[0],
            Op::Exp => x[0].exp(),
            Op::Log => x[0].log(),
            Op::Tanh => x[0].tanh(),
            Op::Sigmoid => x[0].sigmoid(),
            Op::Relu => x[0].relu(),
            Op::Sqrt => x[0].sqrt(),
            Op::Abs => x[0].abs(),
            Op::AddConst => x[0] + c,
            Op::ConstSub => c - x[0],
            Op::MulConst => x[0] * c,
            Op::DivConst => x[0] / c,
            Op::ConstDiv => c / x[0],
            Op::PowConst => x[0].pow(c),
            Op::Custom => x[0].custom(|_| data, |_| c),
            op => unreachable!("{op:?} was checked by rebuildable before the rewind"),
        }
    }
}

/// Runs engine or library code, turning a panic (a condition not checked before the call, such as a
/// full tape) into a `RuntimeError` with its message rather than pyo3's `PanicException`.
pub fn guarded<R>(f: impl FnOnce() -> R) -> PyResult<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "internal error".into());
        PyRuntimeError::new_err(msg)
    })
}

/// The engine handle of a Python Value (checking its thread).
#[inline]
pub fn handle(v: &PyValue) -> PyResult<Value> {
    with_registry(|r| r.handle(v))
}

/// The handles of many Python Values, with one registry access.
pub fn handles(vs: &[Bound<'_, PyValue>], out: &mut Vec<Value>) -> PyResult<()> {
    with_registry(|r| {
        out.clear();
        for v in vs {
            out.push(r.handle(v.get())?);
        }
        Ok(())
    })
}

/// Collects if the tape has grown past the bound. Called at the start of every operation that
/// records nodes, before it reads any handle (a collection moves nodes).
#[inline]
pub fn maybe_collect(py: Python<'_>) -> PyResult<()> {
    let over = with_registry(|r| Tape::len() > r.bound);
    if over {
        collect(py)?;
    }
    Ok(())
}

pub fn collect(py: Python<'_>) -> PyResult<()> {
    guarded(|| with_registry(|r| r.collect(py)))
}

/// The Python object for a node just created (which has none yet).
pub fn wrap_new(py: Python<'_>, h: Value) -> PyResult<Py<PyValue>> {
    let owner = with_registry(|r| r.owner);
    let obj = Py::new(py, PyValue::new(owner, h))?;
    let stored = obj.clone_ref(py);
    with_registry(|r| r.insert(h, stored));
    Ok(obj)
}

/// The Python object for node `h`: the existing one if it has one, so that a node is always the same
/// Python object.
pub fn wrap(py: Python<'_>, h: Value) -> PyResult<Py<PyValue>> {
    match with_registry(|r| r.object(h.id()).map(|o| o.clone_ref(py))) {
        Some(obj) => Ok(obj),
        None => wrap_new(py, h),
    }
}

impl PyValue {
    pub fn new(owner: u64, h: Value) -> PyValue {
        PyValue {
            owner,
            node: AtomicU32::new(h.id() as u32),
            prev: std::sync::OnceLock::new(),
        }
    }
}
