//! Full-batch [`fit`](super::fit) on the replay: with one batch of all the training rows, in
//! order, and no dropout, every step's graph is the same but for the parameters' values. Each chunk
//! of [`CHUNK`] examples is recorded once ([`record_above`]: the parameters as the graph's inputs,
//! the examples as constants) and replayed at every step: its forward pass (the examples' losses
//! and outputs) and its backward pass (the chunk's gradient), with the eager chunk's numbers bit
//! for bit. The batch's gradient is then summed in chunk order, as `parallel.rs` sums it, so the
//! replayed and the eager `fit` give the same bits.
//!
//! The graphs of the whole batch are held at once, where the eager loop reuses one chunk's memory:
//! the replay is used only while they take at most [`MAX_BYTES`], where it is faster.

use super::parallel::{Workers, CHUNK};
use crate::data::Dataset;
use crate::engine::{record_above, Replay, Tape, Value};
use crate::loss::LossKind;
use crate::nn::Replicate;

/// The most memory the recorded chunks may take (24 MiB); a larger batch trains eagerly. Past it
/// the graphs no longer stay in the processor's caches and the replay loses its lead over eager
/// (the measurements are in `docs/performance.md`, "Full-batch `fit` on the replay").
pub const MAX_BYTES: usize = 24 << 20;

/// One chunk's recorded graph, and where to read its examples' losses and outputs.
struct ChunkGraph {
    replay: Replay,
    /// For each example of the chunk: its loss's node, its outputs' nodes, and its class.
    examples: Vec<(usize, Vec<usize>, usize)>,
    /// The chunk's gradient and its examples' losses, after [`FullBatch::gradient`].
    grad: Vec<f64>,
    losses: Vec<f64>,
}

impl ChunkGraph {
    /// Replays the chunk at the parameters' values `numbers`: its losses, and its gradient. With
    /// `forwarded`, the forward pass at `numbers` has been replayed already (its values stand).
    fn step(&mut self, numbers: &[f64], forwarded: bool) {
        if !forwarded {
            self.forward(numbers);
        }
        self.losses.clear();
        for e in &self.examples {
            self.losses.push(self.replay.value(e.0));
        }
        self.replay.backward(&mut self.grad);
    }

    fn forward(&mut self, numbers: &[f64]) {
        self.replay.inputs_mut().copy_from_slice(numbers);
        self.replay.forward();
    }
}

/// The full batch's chunks, recorded.
pub(crate) struct FullBatch {
    chunks: Vec<ChunkGraph>,
    loss: LossKind,
    /// The parameters' values of the chunks' last forward pass (an epoch's evaluation replays the
    /// very forward pass the next step needs: it is not replayed twice).
    forwarded_at: Vec<f64>,
}

impl FullBatch {
    /// Records the chunks of `rows` of `data` (the batch, in order) for `model` with parameters
    /// `params`; `None` if a chunk cannot be recorded or the graphs would pass [`MAX_BYTES`] (the
    /// tape is left as it was either way).
    pub(crate) fn record<M: Replicate>(
        model: &M,
        params: &[Value],
        data: &Dataset,
        rows: &[usize],
        loss: LossKind,
    ) -> Option<FullBatch> {
        let inv_n = 1.0 / rows.len() as f64;
        let mut chunks = Vec::with_capacity(rows.len().div_ceil(CHUNK));
        let mut bytes = 0usize;
        for chunk in rows.chunks(CHUNK) {
            let mark = Tape::mark();
            // The eager chunk's graph, op for op (`parallel::batch_gradient`).
            let mut total: Option<Value> = None;
            let mut watch = Vec::with_capacity(chunk.len() * 2);
            let mut shape = Vec::with_capacity(chunk.len());
            for &i in chunk {
                let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
                let out = model.forward_values(&x);
                let l = loss.example_loss(&out, data.labels()[i]);
                watch.push(l);
                watch.extend(&out);
                shape.push((out.len(), data.labels()[i]));
                let term = l * inv_n;
                total = Some(total.map_or(term, |t| t + term));
            }
            let recorded = total
                .map(|t| record_above(mark, params, params.len(), t, &watch))
                .and_then(Result::ok);
            Tape::rewind(mark);
            let (replay, nodes) = recorded?;
            bytes += replay.bytes();
            if bytes > MAX_BYTES {
                return None;
            }
            let mut at = nodes.into_iter();
            let examples = shape
                .into_iter()
                .map(|(outputs, class)| {
                    let l = at.next().expect("a node for every watched value");
                    (l, at.by_ref().take(outputs).collect(), class)
                })
                .collect();
            chunks.push(ChunkGraph {
                replay,
                examples,
                grad: vec![0.0; params.len()],
                losses: Vec::with_capacity(chunk.len()),
            });
        }
        Some(FullBatch {
            chunks,
            loss,
            forwarded_at: Vec::new(),
        })
    }

    /// One step at the parameters' values `numbers`, the chunks replayed on the workers: adds the
    /// batch's gradient to `grad` (the chunks' gradients in chunk order, split over the workers by
    /// parameter) and returns each example's loss, in batch order.
    pub(crate) fn gradient(
        &mut self,
        numbers: &[f64],
        grad: &mut [f64],
        workers: &Workers,
    ) -> Vec<f64> {
        let forwarded = self.forwarded_at == numbers;
        workers.for_each_mut(&mut self.chunks, |c| c.step(numbers, forwarded));
        self.forwarded_at.clear();
        self.forwarded_at.extend_from_slice(numbers);
        let chunks = &self.chunks;
        workers.for_blocks(grad, |start, block| {
            for c in chunks {
                for (g, &e) in block.iter_mut().zip(&c.grad[start..]) {
                    *g += e;
                }
            }
        });
        chunks
            .iter()
            .flat_map(|c| c.losses.iter().copied())
            .collect()
    }

    /// Each example's loss and whether the model classifies it correctly, in batch order, at the
    /// parameters' values `numbers` (what `fit`'s evaluation of the training rows computes).
    pub(crate) fn evaluate(&mut self, numbers: &[f64]) -> Vec<(f64, bool)> {
        let mut out = Vec::new();
        let mut plain = Vec::new();
        if self.forwarded_at != numbers {
            for c in &mut self.chunks {
                c.forward(numbers);
            }
            self.forwarded_at.clear();
            self.forwarded_at.extend_from_slice(numbers);
        }
        for c in &self.chunks {
            for (l, outputs, class) in &c.examples {
                plain.clear();
                plain.extend(outputs.iter().map(|&k| c.replay.value(k)));
                out.push((c.replay.value(*l), self.loss.predict(&plain) == *class));
            }
        }
        out
    }
}
