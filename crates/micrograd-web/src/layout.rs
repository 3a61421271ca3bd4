//! A small left-to-right layered layout for computation graphs, in the manner of Graphviz's `dot` with
//! `rankdir=LR`: every value is a record, every operation an ellipse between its inputs and its value.
//!
//! Ranks: a computed value sits one rank after its operation, which sits one rank after its latest
//! input; a leaf sits just before the first operation that uses it. Within a rank, nodes are ordered
//! by a few barycenter sweeps (fewer crossings), then placed as close to their neighbours' mean height
//! as the spacing allows.

use serde::Serialize;

/// Width of one character of the page's 12px monospace font, and padding inside a record's field.
pub const CHAR_W: f64 = 7.3;
const FIELD_PAD: f64 = 8.0;
const RECORD_H: f64 = 26.0;
const OP_H: f64 = 26.0;
const RANK_GAP: f64 = 34.0;
const ROW_GAP: f64 = 14.0;
const MARGIN: f64 = 10.0;

/// A box: its centre and size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Placed {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The layout of a graph: one box per value, one per operation (`None` for leaves).
#[derive(Clone, Debug)]
pub struct Drawing {
    pub values: Vec<Placed>,
    pub ops: Vec<Option<Placed>>,
    pub width: f64,
    pub height: f64,
}

/// A node of the layered drawing: value `i`'s record or its operation.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    Value(usize),
    Op(usize),
}

/// Lays out values `0..n` in topological order; `inputs[i]` are value `i`'s distinct inputs,
/// `fields[i]` the character counts of its record's fields, `ops[i]` the length of its operation's
/// label (`None` for a leaf).
pub fn layout(inputs: &[Vec<usize>], fields: &[Vec<usize>], ops: &[Option<usize>]) -> Drawing {
    let n = inputs.len();
    // Ranks: values even, operations odd.
    let mut rank = vec![0usize; n];
    for i in 0..n {
        if ops[i].is_some() {
            rank[i] = inputs[i].iter().map(|&u| rank[u]).max().unwrap_or(0) + 2;
        }
    }
    let mut first_use = vec![usize::MAX; n];
    for i in 0..n {
        for &u in &inputs[i] {
            first_use[u] = first_use[u].min(rank[i] - 1);
        }
    }
    for i in 0..n {
        if ops[i].is_none() && first_use[i] != usize::MAX {
            rank[i] = first_use[i] - 1;
        }
    }
    let ranks = rank.iter().max().map_or(1, |r| r + 1);
    let item_rank = |it: Item| match it {
        Item::Value(i) => rank[i],
        Item::Op(i) => rank[i] - 1,
    };

    // Neighbours: a value's op precedes it; its inputs precede its op.
    let mut preds: Vec<Vec<Item>> = Vec::new();
    let mut succs: Vec<Vec<Item>> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let slot = |it: Item| match it {
        Item::Value(i) => 2 * i,
        Item::Op(i) => 2 * i + 1,
    };
    for i in 0..n {
        items.push(Item::Value(i));
        items.push(Item::Op(i));
        preds.push(vec![]);
        preds.push(vec![]);
        succs.push(vec![]);
        succs.push(vec![]);
    }
    let mut link = |a: Item, b: Item| {
        succs[slot(a)].push(b);
        preds[slot(b)].push(a);
    };
    for i in 0..n {
        if ops[i].is_some() {
            link(Item::Op(i), Item::Value(i));
            for &u in &inputs[i] {
                link(Item::Value(u), Item::Op(i));
            }
        }
    }
    let present = |it: Item| match it {
        Item::Value(_) => true,
        Item::Op(i) => ops[i].is_some(),
    };
    let mut layers: Vec<Vec<Item>> = vec![Vec::new(); ranks];
    for &it in &items {
        if present(it) {
            layers[item_rank(it)].push(it);
        }
    }

    // Order within ranks: barycenter sweeps, down then up.
    let mut pos = vec![0.0f64; 2 * n];
    let set_pos = |layers: &Vec<Vec<Item>>, pos: &mut Vec<f64>| {
        for layer in layers {
            for (k, &it) in layer.iter().enumerate() {
                pos[slot(it)] = k as f64;
            }
        }
    };
    set_pos(&layers, &mut pos);
    for sweep in 0..8 {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down {
            (1..ranks).collect()
        } else {
            (0..ranks.saturating_sub(1)).rev().collect()
        };
        for r in order {
            let neigh = if down { &preds } else { &succs };
            let mut keyed: Vec<(f64, Item)> = layers[r]
                .iter()
                .map(|&it| {
                    let ns = &neigh[slot(it)];
                    let key = if ns.is_empty() {
                        pos[slot(it)]
                    } else {
                        ns.iter().map(|&m| pos[slot(m)]).sum::<f64>() / ns.len() as f64
                    };
                    (key, it)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            layers[r] = keyed.into_iter().map(|(_, it)| it).collect();
            for (k, &it) in layers[r].iter().enumerate() {
                pos[slot(it)] = k as f64;
            }
        }
    }

    // Sizes.
    let size = |it: Item| match it {
        Item::Value(i) => {
            let w: f64 = fields[i]
                .iter()
                .map(|&c| c as f64 * CHAR_W + 2.0 * FIELD_PAD)
                .sum();
            (w, RECORD_H)
        }
        Item::Op(i) => {
            let c = ops[i].unwrap_or(1) as f64;
            ((c * CHAR_W + 22.0).max(OP_H + 8.0), OP_H)
        }
    };

    // Heights: start stacked, then pull each node toward its neighbours' mean, keeping the order
    // and the spacing.
    let mut y = vec![0.0f64; 2 * n];
    for layer in &layers {
        let mut top = 0.0;
        for &it in layer {
            let (_, h) = size(it);
            y[slot(it)] = top + h / 2.0;
            top += h + ROW_GAP;
        }
    }
    for round in 0..12 {
        let down = round % 2 == 0;
        for r in 0..ranks {
            let r = if down { r } else { ranks - 1 - r };
            let layer = &layers[r];
            if layer.is_empty() {
                continue;
            }
            let want: Vec<f64> = layer
                .iter()
                .map(|&it| {
                    let ns: Vec<Item> = preds[slot(it)]
                        .iter()
                        .chain(&succs[slot(it)])
                        .copied()
                        .collect();
                    if ns.is_empty() {
                        y[slot(it)]
                    } else {
                        ns.iter().map(|&m| y[slot(m)]).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            // Place in order at the wanted height, pushing down what would overlap...
            let mut placed: Vec<f64> = Vec::with_capacity(layer.len());
            for (k, &it) in layer.iter().enumerate() {
                let h = size(it).1;
                let mut v = want[k];
                if k > 0 {
                    let prev_h = size(layer[k - 1]).1;
                    v = v.max(placed[k - 1] + (prev_h + h) / 2.0 + ROW_GAP);
                }
                placed.push(v);
            }
            // ...then shift the whole rank so that it sits around the wanted heights on average.
            let shift = want.iter().sum::<f64>() / want.len() as f64
                - placed.iter().sum::<f64>() / placed.len() as f64;
            for (k, &it) in layer.iter().enumerate() {
                y[slot(it)] = placed[k] + shift;
            }
        }
    }

    // Normalize: the topmost box at the margin.
    let top = items
        .iter()
        .filter(|&&it| present(it))
        .map(|&it| y[slot(it)] - size(it).1 / 2.0)
        .fold(f64::INFINITY, f64::min);
    let top = if top.is_finite() { top } else { 0.0 };

    // Columns: each rank as wide as its widest box.
    let mut col_x = vec![0.0f64; ranks];
    let mut x = MARGIN;
    for r in 0..ranks {
        let w = layers[r].iter().map(|&it| size(it).0).fold(0.0, f64::max);
        col_x[r] = x + w / 2.0;
        x += w + if w > 0.0 { RANK_GAP } else { 0.0 };
    }
    let place = |it: Item| {
        let (w, h) = size(it);
        Placed {
            x: col_x[item_rank(it)],
            y: y[slot(it)] - top + MARGIN,
            w,
            h,
        }
    };
    let values: Vec<Placed> = (0..n).map(|i| place(Item::Value(i))).collect();
    let op_boxes: Vec<Option<Placed>> = (0..n)
        .map(|i| ops[i].is_some().then(|| place(Item::Op(i))))
        .collect();
    let height = values
        .iter()
        .chain(op_boxes.iter().flatten())
        .map(|p| p.y + p.h / 2.0)
        .fold(0.0, f64::max)
        + MARGIN;
    Drawing {
        values,
        ops: op_boxes,
        width: x - RANK_GAP + MARGIN,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(a: &Placed, b: &Placed) -> bool {
        (a.x - b.x).abs() < (a.w + b.w) / 2.0 && (a.y - b.y).abs() < (a.h + b.h) / 2.0
    }

    #[test]
    fn a_small_graph_flows_left_to_right_without_overlaps() {
        // 0: a, 1: b, 2: a*b, 3: c, 4: (a*b)+c
        let inputs = vec![vec![], vec![], vec![0, 1], vec![], vec![2, 3]];
        let fields = vec![vec![1, 11, 11]; 5];
        let ops = vec![None, None, Some(1), None, Some(1)];
        let d = layout(&inputs, &fields, &ops);
        let all: Vec<Placed> = d
            .values
            .iter()
            .copied()
            .chain(d.ops.iter().flatten().copied())
            .collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} {b:?}");
            }
            assert!(a.y - a.h / 2.0 >= 0.0 && a.y + a.h / 2.0 <= d.height);
            assert!(a.x - a.w / 2.0 >= 0.0 && a.x + a.w / 2.0 <= d.width + 0.01);
        }
        let op4 = d.ops[4].unwrap();
        assert!(d.values[2].x < op4.x && op4.x < d.values[4].x);
        // c is a leaf used only by the last op: it sits right before it, with a*b.
        assert_eq!(d.values[3].x, d.values[2].x);
    }
}
