//! How [`fit`](super::fit) draws its examples: the seeded validation split, an epoch's shuffled
//! mini-batches, and early stopping on the validation loss.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A seeded train/validation split of `n` examples: `round(n · val_fraction)` of them (at least 1 if
/// `val_fraction > 0`) chosen uniformly at random for validation, the rest for training. Both lists are
/// sorted, disjoint, and together hold every index `0..n` once. The same `(n, val_fraction, seed)`
/// gives the same split.
///
/// ```
/// let (train, val) = micrograd::train::split_indices(10, 0.3, 1);
/// assert_eq!((train.len(), val.len()), (7, 3));
/// ```
pub fn split_indices(n: usize, val_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    idx.shuffle(&mut rng);
    let mut n_val = (n as f64 * val_fraction).round() as usize;
    if val_fraction > 0.0 {
        n_val = n_val.max(1);
    }
    let n_val = n_val.min(n);
    let mut val = idx[..n_val].to_vec();
    let mut train = idx[n_val..].to_vec();
    val.sort_unstable();
    train.sort_unstable();
    (train, val)
}

/// One epoch's mini-batches over `n` examples: a fresh random permutation of `0..n` from `rng`, cut
/// into consecutive batches of `batch_size` (the last one smaller if `batch_size` does not divide
/// `n`). `batch_size` 0, or at least `n`, gives one batch of all examples, in order (no shuffling, no
/// draw from `rng`). Every index appears in exactly one batch.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let b = micrograd::train::shuffled_batches(10, 4, &mut rng);
/// assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
/// ```
pub fn shuffled_batches(n: usize, batch_size: usize, rng: &mut impl Rng) -> Vec<Vec<usize>> {
    let mut idx: Vec<usize> = (0..n).collect();
    if batch_size == 0 || batch_size >= n {
        return vec![idx];
    }
    idx.shuffle(rng);
    idx.chunks(batch_size).map(<[usize]>::to_vec).collect()
}

/// Early stopping on a validation loss: an epoch whose loss is strictly below the best so far becomes
/// the new best; training stops once `patience` epochs in a row have not improved on it.
///
/// ```
/// use micrograd::train::EarlyStopping;
/// let mut es = EarlyStopping::new(2);
/// let curve = [1.0, 0.5, 0.6, 0.4, 0.45, 0.41, 0.3];
/// let stop = curve.iter().enumerate().position(|(e, &l)| es.update(e, l));
/// assert_eq!((stop, es.best_epoch()), (Some(5), Some(3)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    best: Option<(usize, f64)>,
    bad_epochs: usize,
}

impl EarlyStopping {
    /// Stops after `patience` epochs without improvement.
    pub fn new(patience: usize) -> EarlyStopping {
        EarlyStopping {
            patience,
            best: None,
            bad_epochs: 0,
        }
    }

    /// Records epoch `epoch`'s validation loss and returns whether to stop now. A NaN loss never
    /// improves.
    pub fn update(&mut self, epoch: usize, loss: f64) -> bool {
        match self.best {
            Some((_, b)) if loss.partial_cmp(&b) != Some(std::cmp::Ordering::Less) => {
                self.bad_epochs += 1
            }
            None if loss.is_nan() => self.bad_epochs += 1,
            _ => {
                self.best = Some((epoch, loss));
                self.bad_epochs = 0;
            }
        }
        self.bad_epochs >= self.patience
    }

    /// Whether the last epoch given to [`update`](EarlyStopping::update) was a new best.
    pub fn improved(&self) -> bool {
        self.best.is_some() && self.bad_epochs == 0
    }

    /// The epoch with the lowest loss so far.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best.map(|(e, _)| e)
    }

    /// The lowest loss so far.
    pub fn best_loss(&self) -> Option<f64> {
        self.best.map(|(_, l)| l)
    }
}
