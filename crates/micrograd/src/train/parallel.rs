//! Data-parallel batches for [`fit`](super::fit): a batch's examples computed on several threads,
//! their gradients added in one fixed order, so that every thread count gives the same numbers.
//!
//! A batch is cut into chunks of [`CHUNK`] consecutive examples (a fixed size, whatever the thread
//! count). A chunk's gradient is one backward sweep over the chunk's graph,
//! `(l₁·1/n + l₂·1/n + … + l_c·1/n).backward()`, recorded on one tape: the caller's model on the
//! calling thread when there is one thread, otherwise a worker's own copy of the model
//! ([`Replicate::replicate`], from the parameters' numbers). The copy holds the same numbers, so the
//! chunk's gradient is the same bits on any thread. The batch's gradient is the `l2` term's gradient
//! plus the chunks' gradients **added in chunk order**; the addition is split over the threads by
//! parameter (each parameter's sum still runs in that one order). So `threads = 1` and
//! `threads = N` give the same bits; they differ in the last bits from one backward sweep over the
//! whole batch (which sums the examples in another order).
//!
//! Dropout decisions are drawn on the main thread in the order of the batch's examples
//! ([`Dropout::draw_mask`]) and replayed by the tape that computes the example
//! ([`Dropout::replay`]): an example's mask does not depend on which thread computes it.
//!
//! The gradients of at most [`WINDOW`] chunks are held at once.

use crate::data::Dataset;
#[cfg(feature = "parallel")]
use crate::engine::Mark;
use crate::engine::{Tape, Value};
use crate::loss::LossKind;
use crate::nn::{Dropout, Replicate};
use std::ops::Range;

/// The examples of a chunk: one backward sweep, on one tape. A batch's gradient is its chunks'
/// gradients added in chunk order, so its last bits depend on this size, and never on the thread
/// count.
pub const CHUNK: usize = 8;

/// The chunks whose gradients are held in memory at once.
const WINDOW: usize = 32;

/// The smallest batch for which [`auto_threads`] uses more than one thread: two chunks (a single
/// chunk is one backward sweep, which one thread computes).
pub const MIN_PARALLEL_BATCH: usize = 2 * CHUNK;

/// The least work a batch must hold, in examples × parameters, for [`auto_threads`] to use more
/// than one thread: below it, handing the chunks to the threads costs more than it saves (the
/// measurements are in `docs/performance.md`, "Data-parallel `fit`").
pub const MIN_PARALLEL_WORK: usize = 32_768;

/// The thread count [`FitConfig::threads`](super::FitConfig::threads)` = 0` stands for on batches of
/// `batch` examples of a model of `parameters` parameters: the machine's cores
/// (`std::thread::available_parallelism`), or 1 for batches below [`MIN_PARALLEL_BATCH`] examples
/// or [`MIN_PARALLEL_WORK`] examples × parameters, or without the `parallel` feature.
///
/// ```
/// use micrograd::train::auto_threads;
/// assert_eq!(auto_threads(8, 100_000), 1); // one chunk
/// assert_eq!(auto_threads(32, 371), 1); // too little work to share
/// ```
pub fn auto_threads(batch: usize, parameters: usize) -> usize {
    if !cfg!(feature = "parallel")
        || batch < MIN_PARALLEL_BATCH
        || batch.saturating_mul(parameters) < MIN_PARALLEL_WORK
    {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The threads a `fit` computes on: none besides the caller's (sequential) or a rayon pool.
pub(crate) struct Workers {
    #[cfg(feature = "parallel")]
    pool: Option<rayon::ThreadPool>,
    /// The chunks' gradients of a window, kept from batch to batch (a new buffer every batch
    /// would cost page faults and zeroing).
    scratch: std::cell::RefCell<Vec<f64>>,
}

impl Workers {
    /// `threads` workers; 1 (or a pool that cannot be built, or no `parallel` feature) computes on
    /// the calling thread.
    pub(crate) fn new(threads: usize) -> Workers {
        #[cfg(feature = "parallel")]
        {
            let pool = (threads > 1)
                .then(|| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .ok()
                })
                .flatten();
            Workers {
                pool,
                scratch: Default::default(),
            }
        }
        #[cfg(not(feature = "parallel"))]
        {
            let _ = threads;
            Workers {
                scratch: Default::default(),
            }
        }
    }

    /// Whether there is more than one thread.
    pub(crate) fn is_parallel(&self) -> bool {
        #[cfg(feature = "parallel")]
        {
            self.pool.is_some()
        }
        #[cfg(not(feature = "parallel"))]
        {
            false
        }
    }

    /// The fewest chunks a worker takes at a time out of `chunks`: about four shares per thread,
    /// enough to even out the threads' loads, few enough that handing them out costs little.
    #[cfg(feature = "parallel")]
    fn min_len(&self, chunks: usize) -> usize {
        let threads = self.pool.as_ref().map_or(1, |p| p.current_num_threads());
        (chunks / (4 * threads)).max(1)
    }

    /// `f(model, params, chunk)` for the chunks of `range`, in order: on the calling thread with
    /// `model` itself, or on the workers, each with a copy of the model holding `numbers`.
    fn map_chunks<M: Replicate, T: Send>(
        &self,
        (model, params, numbers): (&M, &[Value], &[f64]),
        range: Range<usize>,
        f: impl Fn(&M, &[Value], Range<usize>) -> T + Sync + Send,
    ) -> Vec<T> {
        let end = range.end;
        let chunks: Vec<Range<usize>> = range
            .step_by(CHUNK)
            .map(|s| s..(s + CHUNK).min(end))
            .collect();
        #[cfg(feature = "parallel")]
        if let Some(pool) = &self.pool {
            use rayon::prelude::*;
            let shape = model.shape();
            let min_len = self.min_len(chunks.len());
            return pool.install(|| {
                chunks
                    .into_par_iter()
                    .with_min_len(min_len)
                    .map_init(
                        || Lease::<M>::take(&shape, numbers),
                        |r, c| f(&r.get().model, &r.get().params, c),
                    )
                    .collect()
            });
        }
        let _ = numbers;
        chunks.into_iter().map(|c| f(model, params, c)).collect()
    }

    /// `f(model, params, k, row, losses)` for the chunks of a window: chunk `k` (from 0) owns row
    /// `k` (`np` numbers) of `rows` and `CHUNK` entries of `losses` (fewer at the end). On the
    /// calling thread with `model` itself, or on the workers with copies holding `numbers`.
    fn for_chunks<M: Replicate>(
        &self,
        (model, params, numbers): (&M, &[Value], &[f64]),
        (rows, losses, np): (&mut [f64], &mut [f64], usize),
        f: impl Fn(&M, &[Value], usize, &mut [f64], &mut [f64]) + Sync + Send,
    ) {
        #[cfg(feature = "parallel")]
        if let Some(pool) = &self.pool {
            use rayon::prelude::*;
            let shape = model.shape();
            let min_len = self.min_len(rows.len() / np);
            pool.install(|| {
                rows.par_chunks_mut(np)
                    .zip(losses.par_chunks_mut(CHUNK))
                    .enumerate()
                    .with_min_len(min_len)
                    .for_each_init(
                        || Lease::<M>::take(&shape, numbers),
                        |r, (k, (g, l))| f(&r.get().model, &r.get().params, k, g, l),
                    )
            });
            return;
        }
        let _ = numbers;
        for (k, (g, l)) in rows
            .chunks_mut(np)
            .zip(losses.chunks_mut(CHUNK))
            .enumerate()
        {
            f(model, params, k, g, l);
        }
    }

    /// `f(item)` for every item, on the workers (in any order).
    pub(crate) fn for_each_mut<T: Send>(&self, items: &mut [T], f: impl Fn(&mut T) + Sync + Send) {
        #[cfg(feature = "parallel")]
        if let Some(pool) = &self.pool {
            use rayon::prelude::*;
            pool.install(|| items.par_iter_mut().for_each(f));
            return;
        }
        items.iter_mut().for_each(f);
    }

    /// `f(start, block)` for blocks of `out` (`start` is the block's offset), on the workers.
    pub(crate) fn for_blocks(&self, out: &mut [f64], f: impl Fn(usize, &mut [f64]) + Sync + Send) {
        const BLOCK: usize = 512;
        #[cfg(feature = "parallel")]
        if let Some(pool) = &self.pool {
            use rayon::prelude::*;
            pool.install(|| {
                out.par_chunks_mut(BLOCK)
                    .enumerate()
                    .for_each(|(k, b)| f(k * BLOCK, b))
            });
            return;
        }
        for (k, b) in out.chunks_mut(BLOCK).enumerate() {
            f(k * BLOCK, b);
        }
    }
}

/// A worker's copy of the model, rewound off its tape when dropped.
#[cfg(feature = "parallel")]
struct Replica<M> {
    model: M,
    params: Vec<Value>,
    mark: Mark,
}

#[cfg(feature = "parallel")]
impl<M: Replicate> Replica<M> {
    fn new(shape: &M::Shape, params: &[f64]) -> Replica<M> {
        let mark = Tape::mark();
        let model = M::replicate(shape, params);
        let params = model.parameters();
        Replica {
            model,
            params,
            mark,
        }
    }
}

#[cfg(feature = "parallel")]
impl<M> Drop for Replica<M> {
    fn drop(&mut self) {
        Tape::rewind(self.mark);
    }
}

#[cfg(feature = "parallel")]
thread_local! {
    /// This worker thread's copy of the model, kept from batch to batch of one `fit` (a `Replica`
    /// of the model's type). Emptied on every worker before the pool ends ([`Workers`]'s `Drop`),
    /// so that its tape is rewound while the thread still runs.
    static KEPT: std::cell::RefCell<Option<Box<dyn std::any::Any>>> =
        const { std::cell::RefCell::new(None) };
}

/// A worker's copy of the model for one share of chunks: the thread's kept copy with its numbers
/// rewritten (or a new one), put back when the lease ends. Within a share no other share runs on
/// the thread (the work calls nothing of rayon's), so chunks record above the copy and rewind to
/// it, and the tape stays a stack.
#[cfg(feature = "parallel")]
struct Lease<M: Replicate> {
    replica: Option<Replica<M>>,
}

#[cfg(feature = "parallel")]
impl<M: Replicate> Lease<M> {
    fn take(shape: &M::Shape, numbers: &[f64]) -> Lease<M> {
        let kept = KEPT
            .with(|k| k.borrow_mut().take())
            .and_then(|b| b.downcast::<Replica<M>>().ok());
        let replica = match kept {
            Some(r) => {
                Tape::write_data(&r.params, numbers);
                *r
            }
            None => Replica::new(shape, numbers),
        };
        Lease {
            replica: Some(replica),
        }
    }

    fn get(&self) -> &Replica<M> {
        self.replica
            .as_ref()
            .expect("a lease holds its copy until dropped")
    }
}

#[cfg(feature = "parallel")]
impl<M: Replicate> Drop for Lease<M> {
    fn drop(&mut self) {
        if let Some(r) = self.replica.take() {
            KEPT.with(|k| *k.borrow_mut() = Some(Box::new(r)));
        }
    }
}

#[cfg(feature = "parallel")]
impl Drop for Workers {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.broadcast(|_| drop(KEPT.with(|k| k.borrow_mut().take())));
        }
    }
}

/// What one batch needs besides the model: the data, the batch's rows, the loss, the dropout.
pub(crate) struct Batch<'a> {
    pub data: &'a Dataset,
    pub rows: &'a [usize],
    pub loss: LossKind,
    /// Dropout's probability, and each example's drop decisions (train mode), or `None`.
    pub dropout: (f64, Option<&'a [Vec<bool>]>),
}

impl Batch<'_> {
    /// Records example `pos` of the batch on the current tape ([`Replicate::forward_train`]): the
    /// model's outputs, and the class.
    fn outputs<M: Replicate>(&self, model: &M, pos: usize) -> (Vec<Value>, usize) {
        let i = self.rows[pos];
        let x: Vec<Value> = self.data.row(i).iter().map(|&v| Value::new(v)).collect();
        let (p, masks) = self.dropout;
        let mask = masks.map_or_else(Vec::new, |m| m[pos].clone());
        let out = model.forward_train(&x, &mut Dropout::replay(p, mask));
        (out, self.data.labels()[i])
    }
}

/// Adds the gradient of the batch's mean loss to `grad` (one number per parameter, in
/// [`Module::parameters`](crate::nn::Module::parameters) order) and returns each example's loss, in
/// batch order. `params` are the model's parameters and `numbers` their values; the parameters'
/// grads are left unspecified.
pub(crate) fn batch_gradient<M: Replicate>(
    workers: &Workers,
    model: (&M, &[Value], &[f64]),
    batch: &Batch<'_>,
    grad: &mut [f64],
) -> Vec<f64> {
    let n = batch.rows.len();
    // (rows of at least one number, so that a model without parameters still has its chunks)
    let np = model.1.len().max(1);
    let inv_n = 1.0 / n as f64;
    let mut losses = vec![0.0; n];
    let mut buf = std::mem::take(&mut *workers.scratch.borrow_mut());
    let chunks = n.div_ceil(CHUNK);
    // (every row is overwritten by `read_grads` before it is read)
    buf.resize(WINDOW.min(chunks) * np, 0.0);
    let mut lo = 0;
    while lo < n {
        let hi = (lo + WINDOW * CHUNK).min(n);
        let rows = &mut buf[..(hi - lo).div_ceil(CHUNK) * np];
        let window = (&mut *rows, &mut losses[lo..hi], np);
        workers.for_chunks(model, window, |m: &M, params, k, row, values| {
            let first = lo + k * CHUNK;
            let mark = Tape::mark();
            Tape::zero_grads(params);
            let mut total: Option<Value> = None;
            for (j, value) in values.iter_mut().enumerate() {
                let (out, class) = batch.outputs(m, first + j);
                let l = batch.loss.example_loss(&out, class);
                *value = l.data();
                let term = l * inv_n;
                total = Some(total.map_or(term, |t| t + term));
            }
            if let Some(t) = total {
                t.backward();
            }
            Tape::read_grads(params, &mut row[..params.len()]);
            Tape::rewind(mark);
        });
        let rows = &*rows;
        workers.for_blocks(grad, |start, block| {
            for row in rows.chunks_exact(np) {
                for (g, &e) in block.iter_mut().zip(&row[start..]) {
                    *g += e;
                }
            }
        });
        lo = hi;
    }
    *workers.scratch.borrow_mut() = buf;
    losses
}

/// Each row's loss and whether the model classifies it correctly, in row order (`batch.dropout`
/// should be `(0.0, None)`).
pub(crate) fn evaluate_rows<M: Replicate>(
    workers: &Workers,
    model: (&M, &[Value], &[f64]),
    batch: &Batch<'_>,
) -> Vec<(f64, bool)> {
    let chunks = workers.map_chunks(model, 0..batch.rows.len(), |m: &M, _, chunk| {
        chunk
            .map(|pos| {
                let mark = Tape::mark();
                let (out, class) = batch.outputs(m, pos);
                let l = batch.loss.example_loss(&out, class).data();
                let plain: Vec<f64> = out.iter().map(|v| v.data()).collect();
                Tape::rewind(mark);
                (l, batch.loss.predict(&plain) == class)
            })
            .collect::<Vec<_>>()
    });
    chunks.into_iter().flatten().collect()
}
