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
    rng: rand::rngs::StdRng,
}

impl Dropout {
    /// Dropout with probability `p` of zeroing a unit, in train mode, its generator seeded from `seed`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1)` (NaN included).
    pub fn new(p: f64, seed: u64) -> Dropout {
        assert!(
            (0.0..1.0).contains(&p),
            "micrograd::nn::Dropout: p must be in [0, 1), got {p}"
        );
        Dropout {
            p,
            training: true,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
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
                if self.rng.random::<f64>() < self.p {
                    Value::new(0.0)
                } else {
                    v * scale
                }
            })
            .collect()
    }
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
