//! One trial of `micrograd tune` (a full `fit` per fold, scored on the held-out rows), and the sweep
//! over all trials: in parallel, one trial per thread, with optional successive halving.

use super::space::{optimizer_kind, trial_seed, Params};
use crate::report::Progress;
use anyhow::{bail, Result};
use micrograd::data::Dataset;
use micrograd::nn::MLP;
use micrograd::train::{evaluate, fit, split_indices, FitConfig, LossKind, TrainError};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// How a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Trained for its epochs and scored.
    Done,
    /// Stopped by successive halving after a round with fewer epochs (its score is that round's).
    Pruned,
    /// Its loss became NaN or infinite: no score.
    Diverged,
}

impl Outcome {
    /// The name in the table and the JSON lines.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Pruned => "pruned",
            Outcome::Diverged => "diverged",
        }
    }
}

/// One trial's settings and score: a line of `--results`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// The trial's index, from 0.
    pub trial: usize,
    /// Its seed (the model's weights, the shuffling, the dropout).
    pub seed: u64,
    /// Its hyperparameters.
    pub params: Params,
    /// The epochs it trained for (its last round's, with halving).
    pub epochs: usize,
    /// How it ended.
    pub outcome: Outcome,
    /// Validation accuracy (mean over the folds); absent if it diverged.
    pub val_accuracy: Option<f64>,
    /// Validation loss (mean over the folds); absent if it diverged.
    pub val_loss: Option<f64>,
}

/// The rows each trial trains on and is scored on: one validation split, or K folds.
pub struct Folds {
    /// (training set, validation set) per fold.
    splits: Vec<(Dataset, Dataset)>,
    /// What `--save-best` retrains on: the training split, or (k-fold) all the data.
    whole: Vec<usize>,
}

/// The rows a fold trains on, and those it is scored on.
type Split = (Vec<usize>, Vec<usize>);

fn subset(data: &Dataset, rows: &[usize]) -> Result<Dataset> {
    Ok(Dataset::new(
        rows.iter().map(|&i| data.row(i).to_vec()).collect(),
        rows.iter().map(|&i| data.labels()[i]).collect(),
        data.n_classes(),
    )?)
}

impl Folds {
    /// `--val-split F` (default 0.25) or `--folds K` of `data`, shuffled with `seed`.
    pub fn new(
        data: &Dataset,
        val_split: Option<f64>,
        folds: Option<usize>,
        seed: u64,
    ) -> Result<Folds> {
        let n = data.len();
        let (parts, whole): (Vec<Split>, Vec<usize>) = match folds {
            Some(k) => {
                if k < 2 || k > n {
                    bail!("--folds must be between 2 and the number of rows ({n}), got {k}");
                }
                let mut idx: Vec<usize> = (0..n).collect();
                idx.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
                let parts = (0..k)
                    .map(|f| {
                        let (mut train, mut val) = (Vec::new(), Vec::new());
                        for (p, &i) in idx.iter().enumerate() {
                            if p % k == f {
                                val.push(i)
                            } else {
                                train.push(i)
                            }
                        }
                        (train, val)
                    })
                    .collect();
                (parts, (0..n).collect())
            }
            None => {
                let f = val_split.unwrap_or(0.25);
                if !(f > 0.0 && f < 1.0) {
                    bail!("--val-split must be in (0, 1) to score trials, got {f}");
                }
                let (train, val) = split_indices(n, f, seed);
                if train.is_empty() || val.is_empty() {
                    bail!("--val-split {f} of {n} rows leaves no training or no validation row");
                }
                (vec![(train.clone(), val)], train)
            }
        };
        let splits = parts
            .iter()
            .map(|(t, v)| Ok((subset(data, t)?, subset(data, v)?)))
            .collect::<Result<_>>()?;
        Ok(Folds { splits, whole })
    }
}

/// Everything a sweep's trials share.
pub struct Sweep<'a> {
    pub data: &'a Dataset,
    pub loss: LossKind,
    pub folds: &'a Folds,
    pub epochs: usize,
    pub seed: u64,
    pub halving: bool,
}

/// Best first: scored before diverged, then higher validation accuracy, lower validation loss, then
/// the lower trial index.
fn order(a: &TrialResult, b: &TrialResult) -> Ordering {
    let key = |r: &TrialResult| {
        (
            r.outcome == Outcome::Diverged,
            r.val_accuracy.unwrap_or(-1.0),
        )
    };
    let (da, aa) = key(a);
    let (db, ab) = key(b);
    da.cmp(&db)
        .then(ab.partial_cmp(&aa).unwrap_or(Ordering::Equal))
        .then(
            a.val_loss
                .unwrap_or(f64::INFINITY)
                .partial_cmp(&b.val_loss.unwrap_or(f64::INFINITY))
                .unwrap_or(Ordering::Equal),
        )
        .then(a.trial.cmp(&b.trial))
}

/// The results, best first.
pub fn ranked(results: &[TrialResult]) -> Vec<&TrialResult> {
    let mut r: Vec<&TrialResult> = results.iter().collect();
    r.sort_by(|a, b| order(a, b));
    r
}

impl Sweep<'_> {
    fn config(&self, p: &Params, seed: u64, epochs: usize) -> Result<FitConfig> {
        let config = FitConfig {
            loss: self.loss,
            optimizer: optimizer_kind(&p.optimizer, p.momentum.unwrap_or(0.9))?,
            lr: p.lr,
            weight_decay: p.weight_decay,
            dropout: p.dropout,
            batch_size: p.batch_size,
            epochs,
            seed,
            threads: 1,
            ..FitConfig::default()
        };
        config.validate()?;
        Ok(config)
    }

    fn model(&self, p: &Params, seed: u64) -> MLP {
        let mut nouts = p.hidden.clone();
        nouts.push(self.loss.outputs(self.data.n_classes()));
        MLP::seeded(self.data.n_features(), &nouts, seed)
    }

    /// Trial `index` with `epochs` epochs: trained and scored on every fold.
    pub fn trial(&self, index: usize, p: &Params, epochs: usize) -> Result<TrialResult> {
        let seed = trial_seed(self.seed, index);
        let config = self.config(p, seed, epochs)?;
        let (mut loss, mut acc) = (0.0, 0.0);
        let mut diverged = false;
        for (train, val) in &self.folds.splits {
            let mark = micrograd::Tape::mark();
            let model = self.model(p, seed);
            let scored = match fit(&model, train, &config, |_| {}) {
                Ok(_) => Some(evaluate(&model, val, self.loss)?),
                Err(TrainError::NonFiniteBatchLoss { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            micrograd::Tape::rewind(mark);
            match scored {
                Some((l, a)) if l.is_finite() => {
                    loss += l;
                    acc += a;
                }
                _ => {
                    diverged = true;
                    break;
                }
            }
        }
        let k = self.folds.splits.len() as f64;
        Ok(TrialResult {
            trial: index,
            seed,
            params: p.clone(),
            epochs,
            outcome: if diverged {
                Outcome::Diverged
            } else {
                Outcome::Done
            },
            val_accuracy: (!diverged).then_some(acc / k),
            val_loss: (!diverged).then_some(loss / k),
        })
    }

    /// Runs `which` trials with `epochs` epochs on `jobs` threads, in trial order.
    fn round(
        &self,
        trials: &[Params],
        which: &[usize],
        epochs: usize,
        pool: &rayon::ThreadPool,
        bar: &Progress,
    ) -> Result<Vec<TrialResult>> {
        use rayon::prelude::*;
        pool.install(|| {
            which
                .par_iter()
                .map(|&i| {
                    let r = self.trial(i, &trials[i], epochs);
                    bar.inc("trials");
                    r
                })
                .collect()
        })
    }

    /// Every trial, in trial order (with halving: each trial's last round).
    pub fn run(&self, trials: &[Params], jobs: usize) -> Result<Vec<TrialResult>> {
        for (i, p) in trials.iter().enumerate() {
            self.config(p, 0, 1)
                .map_err(|e| anyhow::anyhow!("trial {i}: {e}"))?;
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
        let mut budgets = vec![self.epochs];
        if self.halving {
            let mut e = self.epochs;
            let mut alive = trials.len();
            while alive > 1 && e > 1 {
                e /= 2;
                alive = alive.div_ceil(2);
                budgets.push(e);
            }
            budgets.reverse();
        }
        let mut alive_n = trials.len();
        let runs: usize = budgets
            .iter()
            .map(|_| {
                let n = alive_n;
                alive_n = alive_n.div_ceil(2);
                n
            })
            .sum();
        // (a bar on a terminal; no plain lines: the table follows)
        let bar = Progress::new(runs, usize::MAX);
        let mut results: Vec<Option<TrialResult>> = vec![None; trials.len()];
        let mut alive: Vec<usize> = (0..trials.len()).collect();
        for (round, &epochs) in budgets.iter().enumerate() {
            let done = self.round(trials, &alive, epochs, &pool, &bar)?;
            let last = round + 1 == budgets.len();
            let mut ranked_round: Vec<&TrialResult> = done.iter().collect();
            ranked_round.sort_by(|a, b| order(a, b));
            let keep = if last {
                alive.len()
            } else {
                alive.len().div_ceil(2)
            };
            let survivors: Vec<usize> = ranked_round
                .iter()
                .take(keep)
                .filter(|r| r.outcome != Outcome::Diverged)
                .map(|r| r.trial)
                .collect();
            for mut r in done {
                if !last && r.outcome == Outcome::Done && !survivors.contains(&r.trial) {
                    r.outcome = Outcome::Pruned;
                }
                let at = r.trial;
                results[at] = Some(r);
            }
            alive = survivors;
            alive.sort_unstable();
            if alive.is_empty() {
                break;
            }
        }
        bar.finish(true);
        Ok(results.into_iter().flatten().collect())
    }

    /// The model of `best`'s settings and seed, trained on the whole training split for the full
    /// epochs.
    pub fn retrain(&self, best: &TrialResult) -> Result<MLP> {
        let train = subset(self.data, &self.folds.whole)?;
        let config = FitConfig {
            threads: 0,
            ..self.config(&best.params, best.seed, self.epochs)?
        };
        let model = self.model(&best.params, best.seed);
        fit(&model, &train, &config, |_| {})?;
        Ok(model)
    }
}
