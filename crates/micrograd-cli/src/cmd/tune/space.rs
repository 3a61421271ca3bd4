//! The search space of `micrograd tune`: each hyperparameter's values (a list, or a range sampled
//! uniformly or on a log scale), and the trials drawn from them by grid or random search.

use crate::cmd::train::OptimizerName;
use anyhow::{bail, Context, Result};
use micrograd::data::Dataset;
use micrograd::train::{LossKind, OptimizerKind};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// One hyperparameter's values: `a,b,c`, or `lo..hi` (uniform), or `lo..hi:log` (log-uniform).
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// These values.
    List(Vec<f64>),
    /// The closed range `lo..=hi`, on a log scale if `log`.
    Range { lo: f64, hi: f64, log: bool },
}

impl Values {
    /// Parses `spec` for the flag `flag`, checking every number with `check` (which says what is
    /// wrong, e.g. "must be > 0").
    pub fn parse(
        flag: &str,
        spec: &str,
        check: impl Fn(f64) -> Option<&'static str>,
    ) -> Result<Values> {
        let number = |s: &str| -> Result<f64> {
            let x: f64 = s
                .trim()
                .parse()
                .with_context(|| format!("--{flag}: `{s}` is not a number"))?;
            if !x.is_finite() {
                bail!("--{flag}: `{s}` is not a finite number");
            }
            if let Some(why) = check(x) {
                bail!("--{flag}: {x} {why}");
            }
            Ok(x)
        };
        let spec = spec.trim();
        if spec.is_empty() {
            bail!("--{flag}: no values (give a list a,b,c or a range lo..hi[:log])");
        }
        if let Some((lo, rest)) = spec.split_once("..") {
            let (hi, log) = match rest.strip_suffix(":log") {
                Some(hi) => (hi, true),
                None => (rest, false),
            };
            if lo.trim().is_empty() || hi.trim().is_empty() {
                bail!("--{flag}: the range `{spec}` needs both ends, lo..hi");
            }
            let (lo, hi) = (number(lo)?, number(hi)?);
            if lo > hi {
                bail!("--{flag}: the range {lo}..{hi} is inverted (lo > hi)");
            }
            if log && lo <= 0.0 {
                bail!("--{flag}: a log-scale range needs lo > 0, got {lo}");
            }
            return Ok(Values::Range { lo, hi, log });
        }
        let list = spec
            .split(',')
            .map(|s| {
                if s.trim().is_empty() {
                    bail!("--{flag}: an empty value in `{spec}`");
                }
                number(s)
            })
            .collect::<Result<Vec<f64>>>()?;
        Ok(Values::List(list))
    }

    /// The values a grid search tries: the list, or `points` values spread evenly over the range
    /// (on the log scale if it is one).
    pub fn grid(&self, points: usize) -> Vec<f64> {
        match *self {
            Values::List(ref v) => v.clone(),
            Values::Range { lo, hi, .. } if lo == hi || points == 1 => vec![lo],
            Values::Range { lo, hi, log } => (0..points)
                .map(|k| {
                    let t = k as f64 / (points - 1) as f64;
                    if log {
                        (lo.ln() + t * (hi.ln() - lo.ln())).exp()
                    } else {
                        lo + t * (hi - lo)
                    }
                })
                .collect(),
        }
    }

    /// How many values [`Values::grid`] gives, without making them.
    pub fn grid_len(&self, points: usize) -> usize {
        match *self {
            Values::List(ref v) => v.len(),
            Values::Range { lo, hi, .. } if lo == hi || points == 1 => 1,
            Values::Range { .. } => points,
        }
    }

    /// One value drawn at random.
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match *self {
            Values::List(ref v) => v[rng.random_range(0..v.len())],
            Values::Range { lo, hi, .. } if lo == hi => lo,
            Values::Range { lo, hi, log: true } => rng.random_range(lo.ln()..=hi.ln()).exp(),
            Values::Range { lo, hi, log: false } => rng.random_range(lo..=hi),
        }
    }
}

/// The hyperparameters of one trial.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Base learning rate.
    pub lr: f64,
    /// Examples per update (0: full batch).
    pub batch_size: usize,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Weight decay.
    pub weight_decay: f64,
    /// Dropout probability.
    pub dropout: f64,
    /// Optimizer name (`sgd`, `momentum`, `nesterov`, `adam`, `adamw`).
    pub optimizer: String,
    /// Momentum of momentum and nesterov (absent for the others).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub momentum: Option<f64>,
}

/// The whole space: every hyperparameter's values.
#[derive(Clone, Debug)]
pub struct Space {
    pub lr: Values,
    pub batch_size: Values,
    pub hidden: Vec<Vec<usize>>,
    pub weight_decay: Values,
    pub dropout: Values,
    pub optimizers: Vec<OptimizerName>,
    pub momentum: Option<Values>,
}

/// Whether an optimizer takes a momentum.
fn takes_momentum(o: OptimizerName) -> bool {
    matches!(o, OptimizerName::Momentum | OptimizerName::Nesterov)
}

/// The name `--optimizer` takes for `o`.
pub fn optimizer_name(o: OptimizerName) -> &'static str {
    match o {
        OptimizerName::Sgd => "sgd",
        OptimizerName::Momentum => "momentum",
        OptimizerName::Nesterov => "nesterov",
        OptimizerName::Adam => "adam",
        OptimizerName::Adamw => "adamw",
        OptimizerName::Rmsprop => "rmsprop",
        OptimizerName::Adagrad => "adagrad",
    }
}

/// The optimizer named `name` (as [`optimizer_name`] writes it), with momentum `m` if it takes one.
pub fn optimizer_kind(name: &str, m: f64) -> Result<OptimizerKind> {
    Ok(match name {
        "sgd" => OptimizerKind::Sgd,
        "momentum" => OptimizerKind::Momentum(m),
        "nesterov" => OptimizerKind::Nesterov(m),
        "adam" => OptimizerKind::Adam,
        "adamw" => OptimizerKind::AdamW,
        "rmsprop" => OptimizerKind::RmsProp,
        "adagrad" => OptimizerKind::Adagrad,
        other => bail!("unknown optimizer `{other}`"),
    })
}

/// `--loss`, or its default: hinge for 2 classes, softmax cross-entropy otherwise.
pub fn loss_for(loss: Option<LossKind>, data: &Dataset) -> LossKind {
    loss.unwrap_or(if data.n_classes() == 2 {
        LossKind::Hinge
    } else {
        LossKind::CrossEntropy
    })
}

/// Parses `--hidden 16-16,32,64-64`: architectures separated by commas, layer widths by `-`.
pub fn parse_hidden(spec: &str) -> Result<Vec<Vec<usize>>> {
    spec.split(',')
        .map(|arch| {
            let arch = arch.trim();
            if arch.is_empty() {
                bail!("--hidden: an empty architecture in `{spec}` (write e.g. 16-16,32)");
            }
            arch.split('-')
                .map(|w| match w.trim().parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => bail!("--hidden: `{w}` in `{arch}` is not a layer width >= 1"),
                })
                .collect()
        })
        .collect()
}

impl Space {
    /// Checks what the values cannot say on their own: a parameter no chosen optimizer takes.
    pub fn check(&self) -> Result<()> {
        if self.momentum.is_some() && !self.optimizers.iter().any(|&o| takes_momentum(o)) {
            let names: Vec<&str> = self.optimizers.iter().map(|&o| optimizer_name(o)).collect();
            bail!(
                "--momentum is a parameter of the momentum and nesterov optimizers; --optimizer {} \
                 does not take it",
                names.join(",")
            );
        }
        if self.optimizers.is_empty() {
            bail!("--optimizer: no optimizer given");
        }
        Ok(())
    }

    /// How many combinations [`Space::grid`] gives (saturating), without making them.
    pub fn grid_len(&self, points: usize) -> u128 {
        let momenta = self.momentum.as_ref().map_or(1, |m| m.grid_len(points)) as u128;
        let per_optimizer: u128 = self
            .optimizers
            .iter()
            .map(|&o| if takes_momentum(o) { momenta } else { 1 })
            .sum();
        [
            self.hidden.len(),
            self.lr.grid_len(points),
            self.batch_size.grid_len(points),
            self.weight_decay.grid_len(points),
            self.dropout.grid_len(points),
        ]
        .iter()
        .fold(per_optimizer, |n, &k| n.saturating_mul(k as u128))
    }

    /// Every combination of the values (ranges as `points` values each), in a fixed order.
    pub fn grid(&self, points: usize) -> Vec<Params> {
        let mut out = Vec::new();
        let momenta = self.momentum.as_ref().map_or(vec![0.9], |m| m.grid(points));
        for &opt in &self.optimizers {
            let ms: Vec<Option<f64>> = if takes_momentum(opt) {
                momenta.iter().map(|&m| Some(m)).collect()
            } else {
                vec![None]
            };
            for hidden in &self.hidden {
                for &lr in &self.lr.grid(points) {
                    for &bs in &self.batch_size.grid(points) {
                        for &wd in &self.weight_decay.grid(points) {
                            for &dp in &self.dropout.grid(points) {
                                for &m in &ms {
                                    out.push(Params {
                                        lr,
                                        batch_size: bs.round() as usize,
                                        hidden: hidden.clone(),
                                        weight_decay: wd,
                                        dropout: dp,
                                        optimizer: optimizer_name(opt).into(),
                                        momentum: m,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// `trials` combinations drawn at random from a generator seeded with `seed`.
    pub fn random(&self, trials: usize, seed: u64) -> Vec<Params> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..trials)
            .map(|_| {
                let opt = self.optimizers[rng.random_range(0..self.optimizers.len())];
                let hidden = self.hidden[rng.random_range(0..self.hidden.len())].clone();
                let lr = self.lr.sample(&mut rng);
                let batch_size = self.batch_size.sample(&mut rng).round() as usize;
                let weight_decay = self.weight_decay.sample(&mut rng);
                let dropout = self.dropout.sample(&mut rng);
                let momentum = takes_momentum(opt)
                    .then(|| self.momentum.as_ref().map_or(0.9, |m| m.sample(&mut rng)));
                Params {
                    lr,
                    batch_size,
                    hidden,
                    weight_decay,
                    dropout,
                    optimizer: optimizer_name(opt).into(),
                    momentum,
                }
            })
            .collect()
    }
}

/// The seed of trial `index` of a sweep seeded with `seed` (SplitMix64 of both): trials get
/// unrelated seeds, the same for the same command.
pub fn trial_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positive(x: f64) -> Option<&'static str> {
        (x <= 0.0).then_some("must be > 0")
    }

    #[test]
    fn grid_len_counts_the_grid_without_making_it() {
        let range = |lo, hi| Values::Range { lo, hi, log: false };
        let mut space = Space {
            lr: range(0.01, 0.1),
            batch_size: Values::List(vec![16.0, 32.0]),
            hidden: vec![vec![16], vec![8, 8]],
            weight_decay: range(0.0, 0.0),
            dropout: Values::List(vec![0.0]),
            optimizers: vec![OptimizerName::Sgd, OptimizerName::Momentum],
            momentum: Some(range(0.5, 0.9)),
        };
        for points in [1, 2, 3] {
            assert_eq!(space.grid_len(points), space.grid(points).len() as u128);
        }
        space.lr = range(0.01, 0.1);
        space.dropout = range(0.0, 0.5);
        // hidden 2 × lr 2⁴⁰ × batch 2 × dropout 2⁴⁰ × (sgd 1 + momentum 2⁴⁰)
        assert_eq!(space.grid_len(1 << 40), 4 * (1 << 80) * ((1 << 40) + 1));
    }

    #[test]
    fn values_parse_lists_and_ranges_and_refuse_bad_ones() {
        assert_eq!(
            Values::parse("lr", "1e-3..1e-1:log", positive).unwrap(),
            Values::Range {
                lo: 1e-3,
                hi: 1e-1,
                log: true
            }
        );
        assert_eq!(
            Values::parse("lr", "0.1, 0.2", positive).unwrap(),
            Values::List(vec![0.1, 0.2])
        );
        let err = |s: &str| Values::parse("lr", s, positive).unwrap_err().to_string();
        assert_eq!(
            err("0.1..0.01"),
            "--lr: the range 0.1..0.01 is inverted (lo > hi)"
        );
        assert_eq!(
            err(""),
            "--lr: no values (give a list a,b,c or a range lo..hi[:log])"
        );
        assert_eq!(err("0.1,,0.2"), "--lr: an empty value in `0.1,,0.2`");
        assert_eq!(err("0..1"), "--lr: 0 must be > 0");
        assert_eq!(err("..1"), "--lr: the range `..1` needs both ends, lo..hi");
        assert_eq!(err("x"), "--lr: `x` is not a number");
        let any = |_| None;
        assert_eq!(
            Values::parse("weight-decay", "0..1:log", any)
                .unwrap_err()
                .to_string(),
            "--weight-decay: a log-scale range needs lo > 0, got 0"
        );
    }

    #[test]
    fn a_log_grid_is_evenly_spaced_in_the_exponent() {
        let v = Values::Range {
            lo: 1e-3,
            hi: 1e-1,
            log: true,
        }
        .grid(3);
        assert!(
            (v[0] - 1e-3).abs() < 1e-15
                && (v[1] - 1e-2).abs() < 1e-14
                && (v[2] - 1e-1).abs() < 1e-13
        );
    }

    #[test]
    fn hidden_architectures_parse() {
        assert_eq!(
            parse_hidden("16-16,32").unwrap(),
            vec![vec![16, 16], vec![32]]
        );
        assert!(parse_hidden("16-,32").is_err());
        assert!(parse_hidden("0").is_err());
    }

    #[test]
    fn trial_seeds_differ_and_repeat() {
        assert_eq!(trial_seed(1, 5), trial_seed(1, 5));
        assert_ne!(trial_seed(1, 5), trial_seed(1, 6));
        assert_ne!(trial_seed(1, 5), trial_seed(2, 5));
    }
}
