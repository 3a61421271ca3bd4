//! Unit tests of engine internals (the public behaviour is tested in `tests/engine*.rs`).

use super::handles::{in_trust_box, trust_box};
use super::MAX_NODES;

/// `in_trust_box` against the two compares it replaces, on the edges of every field (0, 1, the
/// middle, the largest values) and on pseudo-random values.
#[test]
fn the_trust_box_is_the_two_compares() {
    let edges = [
        0,
        1,
        2,
        1 << 20,
        MAX_NODES / 2,
        MAX_NODES - 2,
        MAX_NODES - 1,
        MAX_NODES,
    ];
    let mut values = edges.to_vec();
    let mut k = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..24 {
        k = k
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        values.push((k >> 33) as u32 % (MAX_NODES + 1));
    }
    let mut checked = 0;
    for &epoch in &values {
        for &idx in values.iter().filter(|&&i| i < MAX_NODES) {
            let key = u64::from(epoch) << 32 | u64::from(idx);
            for &from in &values {
                for &below in &values {
                    let expected = epoch >= from && idx < below;
                    assert_eq!(
                        in_trust_box(key, trust_box(from, below)),
                        expected,
                        "epoch {epoch}, idx {idx}, from {from}, below {below}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500_000);
}
