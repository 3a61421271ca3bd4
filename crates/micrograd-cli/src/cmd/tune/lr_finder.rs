//! `micrograd tune lr`: Smith's learning-rate range test. The learning rate grows exponentially from
//! `--lr-min` to `--lr-max` over `--steps` mini-batch updates of a new model; the loss (smoothed
//! with a bias-corrected running mean, as fastai's finder does) is drawn against the rate, and the
//! suggested rate is a tenth of the one where the smoothed loss is lowest. The run stops early once
//! the smoothed loss exceeds four times its lowest value (it diverged).

use super::space::{loss_for, optimizer_kind, optimizer_name};
use crate::cmd::train::OptimizerName;
use crate::outln;
use crate::output::wrote;
use crate::plot::{self, Chart, Series};
use anyhow::{bail, Result};
use micrograd::nn::{Module, MLP};
use micrograd::train::{shuffled_batches, LossKind};
use micrograd::{Tape, Value};
use rand::SeedableRng;
use std::path::PathBuf;

/// Arguments of `micrograd tune lr`.
#[derive(clap::Args)]
pub struct LrArgs {
    /// The data: CSV with a header, feature columns, then a `label` column.
    #[arg(long, value_name = "F.csv")]
    data: PathBuf,
    /// Hidden layer widths of the model.
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "16,16"
    )]
    hidden: Vec<usize>,
    /// Loss [default: hinge for 2 classes, ce otherwise].
    #[arg(long, value_name = "NAME")]
    loss: Option<LossKind>,
    /// Optimizer: sgd, momentum (0.9), nesterov (0.9), adam or adamw.
    #[arg(long, value_name = "NAME", default_value = "adam")]
    optimizer: OptimizerName,
    /// The first learning rate.
    #[arg(long, default_value_t = 1e-5)]
    lr_min: f64,
    /// The last learning rate.
    #[arg(long, default_value_t = 1.0)]
    lr_max: f64,
    /// Update steps (the rate grows by the same factor at each).
    #[arg(long, default_value_t = 100)]
    steps: usize,
    /// Examples per update.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Seed of the model's weights and the batches.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Draw the loss against the learning rate to this PNG or SVG file.
    #[arg(long, value_name = "P.png")]
    plot: Option<PathBuf>,
}

/// One step of the range test.
struct Point {
    lr: f64,
    loss: f64,
    smoothed: f64,
}

/// The most steps of a range test (a point of the curve each).
const MAX_STEPS: usize = 1_000_000;

/// Runs `micrograd tune lr`.
pub fn run(a: LrArgs) -> Result<()> {
    crate::output::check_outputs(&[("--data", &a.data)], &[("--plot", &a.plot)])?;
    if !(a.lr_min > 0.0 && a.lr_min.is_finite() && a.lr_max.is_finite()) {
        bail!("--lr-min and --lr-max must be finite and > 0");
    }
    if a.lr_min >= a.lr_max {
        bail!("--lr-min {} must be below --lr-max {}", a.lr_min, a.lr_max);
    }
    if !(2..=MAX_STEPS).contains(&a.steps) {
        bail!("--steps must be 2 to {MAX_STEPS}, got {}", a.steps);
    }
    if a.hidden.contains(&0) {
        bail!("--hidden: a layer needs at least 1 neuron");
    }
    let data = super::load_csv(&a.data)?;
    let loss = loss_for(a.loss, &data);
    let mut nouts = a.hidden.clone();
    nouts.push(loss.outputs(data.n_classes()));
    let model = MLP::seeded(data.n_features(), &nouts, a.seed);
    let params = model.parameters();
    let kind = optimizer_kind(optimizer_name(a.optimizer), 0.9)?;
    let mut opt = kind.build(a.lr_min, 0.0);
    let mut rng = rand::rngs::StdRng::seed_from_u64(a.seed);
    let mut batches = Vec::new();
    // The rate at `step`: lr_min · (lr_max / lr_min)^(step / (steps - 1)); on the logs where the
    // ratio overflows (1e-300 to 1e300), so that every rate stays finite.
    let ratio = a.lr_max / a.lr_min;
    let growth = if ratio.is_finite() {
        ratio.ln()
    } else {
        a.lr_max.ln() - a.lr_min.ln()
    } / (a.steps - 1) as f64;
    let rate = |step: usize| {
        if ratio.is_finite() {
            a.lr_min * (growth * step as f64).exp()
        } else {
            (a.lr_min.ln() + growth * step as f64).exp()
        }
    };
    let (beta, mut avg, mut best) = (0.98, 0.0, f64::INFINITY);
    let mut points = Vec::with_capacity(a.steps);
    let mark = Tape::mark();
    for step in 0..a.steps {
        if batches.is_empty() {
            batches = shuffled_batches(data.len(), a.batch_size, &mut rng);
            batches.reverse();
        }
        let batch = batches.pop().unwrap_or_default();
        let losses: Vec<Value> = batch
            .iter()
            .map(|&i| {
                let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
                loss.example_loss(&model.forward(&x), data.labels()[i])
            })
            .collect();
        let total = micrograd::loss::mean(&losses);
        let value = total.data();
        let lr = rate(step);
        if !value.is_finite() {
            Tape::rewind(mark);
            break;
        }
        avg = beta * avg + (1.0 - beta) * value;
        let smoothed = avg / (1.0 - beta.powi(step as i32 + 1));
        points.push(Point {
            lr,
            loss: value,
            smoothed,
        });
        if smoothed > 4.0 * best {
            Tape::rewind(mark);
            break;
        }
        best = best.min(smoothed);
        opt.zero_grad(&params);
        total.backward();
        opt.set_lr(lr);
        opt.step(&params);
        Tape::rewind(mark);
    }
    let Some(lowest) = points
        .iter()
        .min_by(|p, q| p.smoothed.total_cmp(&q.smoothed))
    else {
        bail!(
            "the loss was not finite at the first step (--lr-min {})",
            a.lr_min
        );
    };
    let suggested = (lowest.lr / 10.0).max(a.lr_min);
    outln!(
        "{} steps, lr {:.3e} -> {:.3e}; lowest smoothed loss {:.6} at lr {:.3e}",
        points.len(),
        a.lr_min,
        points.last().map_or(a.lr_min, |p| p.lr),
        lowest.smoothed,
        lowest.lr
    )?;
    outln!("suggested learning rate: {suggested:.3e} (a tenth of the rate at the lowest loss)")?;
    if let Some(path) = &a.plot {
        let at = |f: fn(&Point) -> f64| points.iter().map(|p| (p.lr.log10(), f(p))).collect();
        let mut raw = Series::dots("loss", &[], plot::GRAY);
        raw.points = at(|p| p.loss);
        let mut smooth = Series::line("smoothed loss", &[], plot::class_color(1));
        smooth.points = at(|p| p.smoothed);
        let mut mark_lr = Series::line("suggested lr", &[], plot::class_color(0));
        let (lo, hi) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p.smoothed), h.max(p.smoothed))
            });
        mark_lr.points = vec![(suggested.log10(), lo), (suggested.log10(), hi)];
        let chart = Chart {
            title: format!("learning-rate range test: suggested lr {suggested:.2e}"),
            x_label: "log10(learning rate)".into(),
            y_label: format!("{} loss", loss.name()),
            series: vec![raw, smooth, mark_lr],
            ..Chart::default()
        };
        plot::save(path, (800, 500), &chart)?;
        wrote(path, "the loss against the learning rate");
    }
    Ok(())
}
