//! The kernels of the n-ary ops: sums and dot products over lists or runs of nodes, forward (from
//! handles or slices of values) and backward (into the adjoints). Each sums left to right, as the
//! ops promise, so that the numbers are those of micrograd's loops, bit for bit.

use super::value::Value;

/// Backward of a sum: every input's adjoint grows by `g`.
#[inline(never)]
pub(super) fn back_sum(items: &[u32], adj: &mut [f64], g: f64) {
    for &k in items {
        adj[k as usize] += g;
    }
}

/// Backward of a dot product stored as pairs `w0, x0, w1, x1, ...` (after the bias, if `affine`):
/// `adj[wᵢ] += g·xᵢ`, `adj[xᵢ] += g·wᵢ`, and the bias's adjoint grows by `g`.
#[inline(never)]
pub(super) fn back_dot(data: &[f64], mut items: &[u32], adj: &mut [f64], g: f64, affine: bool) {
    if affine {
        adj[items[0] as usize] += g;
        items = &items[1..];
    }
    for pair in items.chunks_exact(2) {
        let (w, x) = (pair[0] as usize, pair[1] as usize);
        let (wd, xd) = (data[w], data[x]);
        adj[w] += g * xd;
        adj[x] += g * wd;
    }
}

/// Backward of a dot product of the runs `w0..w0 + len` and `x0..x0 + len`: `adj[w0 + j] += g·x_j`,
/// `adj[x0 + j] += g·w_j`. Out of line, to keep the main backward loop small.
#[inline(never)]
pub(super) fn back_dot_range(
    data: &[f64],
    adj: &mut [f64],
    g: f64,
    w0: usize,
    x0: usize,
    len: usize,
) {
    let (ws, xs) = (&data[w0..w0 + len], &data[x0..x0 + len]);
    if w0 + len <= x0 || x0 + len <= w0 {
        // Disjoint runs: each adjoint gets one term, so two plain (vectorizable) passes give the
        // same numbers as the pairwise loop.
        for (a, &xd) in adj[w0..w0 + len].iter_mut().zip(xs) {
            *a += g * xd;
        }
        for (a, &wd) in adj[x0..x0 + len].iter_mut().zip(ws) {
            *a += g * wd;
        }
    } else {
        for j in 0..len {
            let (wd, xd) = (data[w0 + j], data[x0 + j]);
            adj[w0 + j] += g * xd;
            adj[x0 + j] += g * wd;
        }
    }
}

/// `Σ wⱼ·xⱼ` left to right from 0, over two slices of values.
#[inline]
pub(super) fn dot_slices(w: &[f64], x: &[f64]) -> f64 {
    let mut acc = 0.0;
    for (a, b) in w.iter().zip(x) {
        acc += a * b;
    }
    acc
}

/// Four rows of [`dot_slices`] at once (`quad` holds four rows of `x.len()` values): each row is
/// still summed left to right.
#[inline]
pub(super) fn dot4_slices(quad: &[f64], x: &[f64]) -> [f64; 4] {
    let n = x.len();
    let [r0, r1, r2, r3] = four_rows(quad, n);
    let mut acc = [0.0f64; 4];
    for j in 0..n {
        acc[0] += r0[j] * x[j];
        acc[1] += r1[j] * x[j];
        acc[2] += r2[j] * x[j];
        acc[3] += r3[j] * x[j];
    }
    acc
}

/// The four rows of `n` items that `quad` holds, for `dot4_slices` and `dot4_of`.
#[inline(always)]
fn four_rows<T>(quad: &[T], n: usize) -> [&[T]; 4] {
    let (r0, rest) = quad.split_at(n);
    let (r1, rest) = rest.split_at(n);
    let (r2, r3) = rest.split_at(n);
    [r0, r1, r2, r3]
}

/// Whether the values are consecutive nodes (`idx`, `idx + 1`, ...).
pub(super) fn consecutive(items: &[Value]) -> bool {
    // (the ends first: most lists that are not runs fail there)
    let ends = match (items.first(), items.last()) {
        (Some(a), Some(b)) => b.idx().wrapping_sub(a.idx()) as usize == items.len() - 1,
        _ => true,
    };
    ends && items
        .iter()
        .zip(items.iter().skip(1))
        .fold(true, |ok, (a, b)| ok & (b.idx() == a.idx().wrapping_add(1)))
}

/// `Σ data[xᵢ]` left to right from 0. Out of line, so that the running sum stays in a register.
#[inline(never)]
pub(super) fn sum_of(data: &[f64], items: &[Value]) -> f64 {
    let mut acc = 0.0;
    for v in items {
        acc += data[v.idx() as usize];
    }
    acc
}

/// `init + Σ data[wᵢ]·data[xᵢ]` left to right. Out of line, so that the running sum stays in a register.
#[inline(never)]
pub(super) fn dot_of(data: &[f64], init: f64, w: &[Value], x: &[Value]) -> f64 {
    let mut acc = init;
    for (wi, xi) in w.iter().zip(x) {
        acc += data[wi.idx() as usize] * data[xi.idx() as usize];
    }
    acc
}

/// Four rows of `dot_of` (from 0) at once: `quad` holds four consecutive rows of `x.len()` values.
#[inline(never)]
pub(super) fn dot4_of(data: &[f64], quad: &[Value], x: &[Value]) -> [f64; 4] {
    let n = x.len();
    let [r0, r1, r2, r3] = four_rows(quad, n);
    let mut acc = [0.0f64; 4];
    for j in 0..n {
        let xj = data[x[j].idx() as usize];
        acc[0] += data[r0[j].idx() as usize] * xj;
        acc[1] += data[r1[j].idx() as usize] * xj;
        acc[2] += data[r2[j].idx() as usize] * xj;
        acc[3] += data[r3[j].idx() as usize] * xj;
    }
    acc
}
