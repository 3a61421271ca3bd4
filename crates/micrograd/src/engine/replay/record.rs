//! Recording a graph: the nodes a computation put on the tape above a mark, copied out and
//! re-indexed from 0, as the columns of a [`Replay`].
//!
//! Two ways in: [`record`] traces a function of fresh inputs (what [`Graph`](super::Graph) does),
//! and [`record_above`] copies what the caller computed above a mark from values below it (a model's
//! parameters and a data set, say: what the demo trainer replays). Either way a node below the mark
//! that is not one of the declared leaves is refused ([`GraphError::Captured`]), and so is
//! [`Value::custom`](crate::Value::custom).

use super::super::access::with_tape;
use super::super::ops::Kind;
use super::super::storage::{Meta, TapeInner};
use super::super::{Mark, Tape, Value};
use super::run::{Columns, Replay};
use super::{panic_free, GraphError};

/// Traces `f` at `x` on this thread's tape, above a mark, copies the recorded nodes out re-indexed
/// from 0 (the inputs first), and rewinds to the mark, whatever happens.
pub(super) fn record<F: Fn(&[Value]) -> Value>(f: &F, x: &[f64]) -> Result<Columns, GraphError> {
    let mark = Tape::mark();
    let inputs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
    let traced = panic_free(|| f(&inputs));
    // The function may have rewound the tape below the mark; then the mark is stale and the tape
    // holds nothing of the trace.
    if Tape::len() < mark.len() {
        return Err(GraphError::Rewound);
    }
    let result = traced.and_then(|out| {
        // (a rewind to or below the last input, even to a mark at the start, kills it)
        if !out.is_alive() || inputs.last().is_some_and(|v| !v.is_alive()) {
            return Err(GraphError::Rewound);
        }
        with_tape(|t| copy_out(t, mark, &[], x.len(), out, &[]))
    });
    rewind_quietly(mark)?;
    result.map(|(cols, _)| cols)
}

/// Rewinds to `mark`, or says the traced function made that impossible.
fn rewind_quietly(mark: Mark) -> Result<(), GraphError> {
    panic_free(|| Tape::rewind(mark)).map_err(|_| GraphError::Rewound)
}

/// The graph of `out` as the caller computed it on the tape above `mark`, from the values
/// `leaves` below the mark: they become the graph's first nodes, in their order, and the first
/// `n_inputs` of them its inputs (the rest keep the values they hold now, as constants). Returns
/// the replay and the graph's node for each value of `watch` (values computed above the mark),
/// whose replayed values the caller can read after a forward pass. The tape is left as it is.
///
/// # Errors
/// [`GraphError::Captured`] if the graph uses a node below the mark that is not in `leaves` (or
/// `leaves` holds a computed node, or one twice), [`GraphError::Custom`] for a
/// [`Value::custom`](crate::Value::custom).
pub(crate) fn record_above(
    mark: Mark,
    leaves: &[Value],
    n_inputs: usize,
    out: Value,
    watch: &[Value],
) -> Result<(Replay, Vec<usize>), GraphError> {
    assert!(n_inputs <= leaves.len());
    let (cols, watched) = with_tape(|t| {
        let ids: Vec<u32> = leaves.iter().map(|v| v.idx()).collect();
        for v in leaves.iter().chain(watch).chain([&out]) {
            t.check(*v);
        }
        copy_out(t, mark, &ids, ids.len(), out, watch)
    })?;
    Ok((Replay::new(cols, n_inputs), watched))
}

/// The nodes from `mark` to `out` (and at least `n_leaves` of them) of the tape, re-indexed: the
/// tape nodes `leaves` (below the mark) become nodes `0..leaves.len()`, and the mark becomes node
/// `leaves.len()`. With no `leaves`, the first `n_leaves` nodes above the mark are the inputs. Also
/// returns the new index of each of `watch`. (Runs inside `with_tape`: no user code, no panics but
/// internal errors.)
fn copy_out(
    t: &TapeInner,
    mark: Mark,
    leaves: &[u32],
    n_leaves: usize,
    out: Value,
    watch: &[Value],
) -> Result<(Columns, Vec<usize>), GraphError> {
    let (m, mc, me) = (mark.nodes, mark.consts, mark.extra);
    let base = leaves.len() as u32;
    // Where each leaf goes, by tape node from the lowest leaf up (`NONE` for nodes that are not
    // leaves of the graph).
    const NONE: u32 = u32::MAX;
    let first = leaves.iter().copied().min().unwrap_or(0);
    let span = leaves.iter().map(|&k| k + 1 - first).max().unwrap_or(0);
    let mut below = vec![NONE; span as usize];
    for (j, &k) in leaves.iter().enumerate() {
        let slot = &mut below[(k - first) as usize];
        if k >= m || t.meta[k as usize].op != Kind::Leaf || *slot != NONE {
            return Err(GraphError::Captured { node: k as usize });
        }
        *slot = j as u32;
    }
    let node = |k: u32| -> Result<u32, GraphError> {
        if k >= m {
            return Ok(k - m + base);
        }
        match below.get(k.wrapping_sub(first) as usize) {
            Some(&j) if j != NONE => Ok(j),
            _ => Err(GraphError::Captured { node: k as usize }),
        }
    };
    let o = out.idx();
    let o_new = node(o)?;
    // (the watched values may lie above the output)
    let top = watch.iter().map(|v| v.idx()).fold(o, u32::max);
    let (lo, hi) = (
        m as usize,
        (top as usize + 1).max(m as usize + n_leaves - leaves.len()),
    );
    let mut meta: Vec<Meta> = leaves.iter().map(|&k| t.meta[k as usize]).collect();
    meta.extend_from_slice(&t.meta[lo..hi]);
    let mut data: Vec<f64> = leaves.iter().map(|&k| t.data[k as usize]).collect();
    data.extend_from_slice(&t.data[lo..hi]);
    let mut extra = t.extra[me as usize..].to_vec();
    for n in &mut meta[leaves.len()..] {
        match n.op {
            Kind::Leaf => {}
            Kind::Custom => return Err(GraphError::Custom),
            Kind::Sum | Kind::Dot | Kind::Affine => {
                n.a -= me;
                let items = &mut extra[n.a as usize..(n.a + n.b) as usize];
                for k in items {
                    *k = node(*k)?;
                }
            }
            Kind::DotRange => {
                let (w0, k) = (n.a, (n.b - me) as usize);
                let (x0, len) = (extra[k], extra[k + 1]);
                let run = |s: u32| -> Result<Option<u32>, GraphError> {
                    let first = node(s)?;
                    for j in 1..len {
                        if node(s + j)? != first + j {
                            return Ok(None);
                        }
                    }
                    Ok(Some(first))
                };
                match (run(w0)?, run(x0)?) {
                    (Some(w), Some(x)) => {
                        (n.a, n.b) = (w, k as u32);
                        extra[k] = x;
                    }
                    _ => {
                        // The runs are not runs in the graph's numbering: the same dot product as
                        // a list of pairs (the same sums, and the same additions to each adjoint).
                        let from = extra.len();
                        for j in 0..len {
                            extra.extend([node(w0 + j)?, node(x0 + j)?]);
                        }
                        (n.op, n.a, n.b) = (Kind::Dot, from as u32, 2 * len);
                    }
                }
            }
            k if k.is_binary() => (n.a, n.b) = (node(n.a)?, node(n.b)?),
            k if k.has_constant() => (n.a, n.b) = (node(n.a)?, n.b - mc),
            _ => n.a = node(n.a)?,
        }
    }
    let watched = watch
        .iter()
        .map(|v| node(v.idx()).map(|k| k as usize))
        .collect::<Result<_, _>>()?;
    let cols = Columns {
        output: o_new as usize,
        data,
        meta,
        consts: t.consts[mc as usize..t.consts_len].to_vec(),
        extra,
    };
    Ok((cols, watched))
}

#[cfg(test)]
mod tests {
    use super::super::GraphError;
    use super::record_above;
    use crate::{Tape, Value};

    #[test]
    fn a_graph_above_a_mark_takes_its_declared_leaves_and_refuses_others() {
        let (p, q, c) = (Value::new(2.0), Value::new(3.0), Value::new(5.0));
        let mark = Tape::mark();
        let pq = p * q;
        let out = pq + c * p;
        let after = out * 2.0; // watched, above the output
                               // p and q as inputs, c as a constant
        let (mut replay, watched) = record_above(mark, &[p, q, c], 2, out, &[pq, after]).unwrap();
        replay.inputs_mut().copy_from_slice(&[1.5, -1.0]);
        assert_eq!(replay.forward(), -1.5 + 5.0 * 1.5); // p·q + c·p
        assert_eq!(replay.value(watched[0]), -1.5);
        let mut g = [0.0; 2];
        replay.backward(&mut g);
        assert_eq!(g, [-1.0 + 5.0, 1.5]);
        // c used but not declared
        let err = record_above(mark, &[p, q], 2, out, &[]).err();
        assert_eq!(err, Some(GraphError::Captured { node: c.id() }));
        // a computed value as a leaf, and a leaf twice
        let err = record_above(mark, &[p, pq], 1, out, &[]).err();
        assert!(matches!(err, Some(GraphError::Captured { .. })));
        let err = record_above(mark, &[p, p, q, c], 1, out, &[]).err();
        assert_eq!(err, Some(GraphError::Captured { node: p.id() }));
        Tape::rewind(mark);
    }
}
