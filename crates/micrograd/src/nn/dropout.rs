//! Inverted dropout between an MLP's hidden layers, with a train/eval switch and a seeded generator.

use super::MLP;
use crate::engine::Value;
use rand::{Rng, SeedableRng};

/// Inverted dropout, with a train/eval mode switch and its own seeded random generator.
///
/// In **train** mode, [`Dropout::apply`] replaces each unit `h` independently with probability `p` by
/// the constant 0 (no gradient flows to it) and otherwise by `h · 1/(1 - p)` (one
/// [`Value`] node, gradient `1/(1 - p)`), so each unit's expected value is unchanged. In **eval** mode,
/// and whenever `p = 0`, it is the identity: it returns the very same handles and adds no node.
///
/// The generator is a [`rand::rngs::StdRng`] seeded at construction: the same seed and the same
/// sequence of calls drop the same units.
///
/// ```
/// use micrograd::nn::Dropout;
/// use micrograd::Value;
/// let h: Vec<Value> = (0..1000).map(|_| Value::new(1.0)).collect();
/// let mut dropout = Dropout::new(0.5, 7);
/// let out = dropout.apply(&h);                           // train mode
/// let zeros = out.iter().filter(|v| v.data() == 0.0).count();
/// assert!((400..600).contains(&zeros));
/// assert!(out.iter().all(|v| v.data() == 0.0 || v.data() == 2.0));
/// dropout.eval();
/// assert_eq!(dropout.apply(&h), h);                      // the identity
/// ```
#[derive(Clone, Debug)]
pub struct Dropout {
    p: f64,
    training: bool,
    source: Source,
}

/// Where [`Dropout::apply`] takes its drop decisions from.
#[derive(Clone, Debug)]
enum Source {
    /// The seeded generator.
    Rng(Box<rand::rngs::StdRng>),
    /// Decisions drawn beforehand ([`Dropout::draw_mask`]), used in order: a worker thread replays
    /// the very units the generator dropped for its example.
    Replay { mask: Vec<bool>, next: usize },
}

impl Dropout {
    /// Dropout with probability `p` of zeroing a unit, in train mode, its generator seeded from `seed`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)` (NaN included).
    pub fn new(p: f64, seed: u64) -> Dropout {
        check_p(p);
        Dropout {
            p,
            training: true,
            source: Source::Rng(Box::new(rand::rngs::StdRng::seed_from_u64(seed))),
        }
    }

    /// Dropout with probability `p` in train mode that drops exactly the units `mask` says (`true` =
    /// dropped), in order, instead of drawing them: what [`Dropout::draw_mask`] drew on another
    /// thread. Past the end of the mask it drops nothing.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)`.
    ///
    /// ```
    /// use micrograd::nn::Dropout;
    /// use micrograd::Value;
    /// let h: Vec<Value> = (0..50).map(|_| Value::new(1.0)).collect();
    /// let mut a = Dropout::new(0.3, 7);
    /// let mask = a.clone().draw_mask(50);
    /// let mut b = Dropout::replay(0.3, mask);
    /// let (x, y): (Vec<f64>, Vec<f64>) = (a.apply(&h).iter().map(|v| v.data()).collect(),
    ///     b.apply(&h).iter().map(|v| v.data()).collect());
    /// assert_eq!(x, y);
    /// ```
    pub fn replay(p: f64, mask: Vec<bool>) -> Dropout {
        check_p(p);
        Dropout {
            p,
            training: true,
            source: Source::Replay { mask, next: 0 },
        }
    }

    /// The drop decisions the next `n` units would get in train mode (`true` = dropped), advancing
    /// the generator as [`Dropout::apply`] on `n` units would. With `p = 0` nothing is drawn and
    /// nothing is dropped.
    pub fn draw_mask(&mut self, n: usize) -> Vec<bool> {
        if self.p == 0.0 {
            return vec![false; n];
        }
        (0..n).map(|_| self.dropped()).collect()
    }

    /// The next drop decision.
    fn dropped(&mut self) -> bool {
        match &mut self.source {
            Source::Rng(rng) => rng.random::<f64>() < self.p,
            Source::Replay { mask, next } => {
                let d = mask.get(*next).copied().unwrap_or(false);
                *next += 1;
                d
            }
        }
    }

    /// The drop probability `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Switches to train mode (units are dropped).
    pub fn train(&mut self) {
        self.training = true;
    }

    /// Switches to eval mode (the identity).
    pub fn eval(&mut self) {
        self.training = false;
    }

    /// Whether it is in train mode.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// Applies dropout to the units `h` (see the type's docs).
    pub fn apply(&mut self, h: &[Value]) -> Vec<Value> {
        if !self.training || self.p == 0.0 {
            return h.to_vec();
        }
        let scale = 1.0 / (1.0 - self.p);
        h.iter()
            .map(|&v| {
                if self.dropped() {
                    Value::new(0.0)
                } else {
                    v * scale
                }
            })
            .collect()
    }
}

/// Panics unless `p` is in `[0, 1)`.
fn check_p(p: f64) {
    assert!(
        (0.0..1.0).contains(&p),
        "micrograd::nn::Dropout: p must be in [0, 1), got {p}"
    );
}

impl MLP {
    /// [`MLP::forward`] with `dropout` applied to the output of every hidden layer (after its
    /// activation), never to the inputs or to the last layer's outputs. With `dropout` in eval mode (or
    /// `p = 0`) this is exactly [`MLP::forward`].
    ///
    /// # Panics
    /// If `x.len() != self.nin()`.
    ///
    /// ```
    /// use micrograd::nn::{Dropout, MLP};
    /// use micrograd::Value;
    /// let model = MLP::seeded(2, &[8, 1], 1);
    /// let x = [Value::new(0.5), Value::new(-1.0)];
    /// let mut dropout = Dropout::new(0.5, 3);
    /// dropout.eval();
    /// assert_eq!(model.forward_with_dropout(&x, &mut dropout)[0].data(), model.forward(&x)[0].data());
    /// ```
    pub fn forward_with_dropout(&self, x: &[Value], dropout: &mut Dropout) -> Vec<Value> {
        let mut h = self.layers[0].forward(x);
        for layer in &self.layers[1..] {
            h = dropout.apply(&h);
            h = layer.forward(&h);
        }
        h
    }
}
