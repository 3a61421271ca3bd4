//! `micrograd train` with the general training loop ([`micrograd::train::fit_until`], for an MLP or
//! an `--arch` model): chosen loss and optimizer, schedule, mini-batches, dropout, validation split,
//! early stopping, k classes, preprocessing, a test split, augmentation; epochs counted from 1
//! everywhere.

use super::prepare::{self, Prepared};
use super::{check_plot_features, finish, flag_error, Args, Finished};
use crate::data_source::Role;
use crate::network::{self, Network};
use crate::plot::{self, Chart, Charts, Series};
use crate::report::{fmt_loss, write_json_lines, Progress};
use crate::{errln, signals};
use anyhow::{bail, Result};
use micrograd::augment::Augment;
use micrograd::data::Dataset;
use micrograd::optim::{Schedule, Span};
use micrograd::train::{
    evaluate, fit_until, EpochRecord, FitConfig, FitReport, LossKind, OptimizerKind,
};

/// The ids of every flag of [`FitArgs`], read from the struct (a flag added there is covered): what
/// the demo loop's flags conflict with, each named, so that clap's error names the one given.
pub(super) fn flag_ids() -> Vec<clap::Id> {
    let fit = <FitArgs as clap::Args>::augment_args(clap::Command::new("fit"));
    fit.get_arguments().map(|a| a.get_id().clone()).collect()
}

/// The flags of the general training loop: giving any of them selects it (`Args::fit` is `Some`);
/// `--arch` and image data select it with these defaults.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct FitArgs {
    /// Loss: hinge, mse, bce (binary cross-entropy on a logit) or ce (softmax cross-entropy, k classes)
    /// [default: hinge for 2 classes, ce otherwise].
    #[arg(long, value_name = "NAME")]
    loss: Option<LossKind>,
    /// Optimizer: sgd, momentum, nesterov, adam, adamw, rmsprop or adagrad [default: sgd].
    #[arg(long, value_name = "NAME")]
    optimizer: Option<OptimizerName>,
    /// Momentum of --optimizer momentum|nesterov, in [0, 1) [default: 0.9].
    #[arg(long, allow_negative_numbers = true)]
    momentum: Option<f64>,
    /// Base learning rate, > 0 [default: 0.01 for adam, adamw and rmsprop, 0.1 otherwise].
    #[arg(long, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Learning-rate schedule over all update steps: constant, linear (down to lr/10), cosine (down to
    /// 0) or step (times --gamma every --step-epochs epochs) [default: constant].
    #[arg(long, value_name = "NAME")]
    schedule: Option<ScheduleName>,
    /// Epochs between decays of --schedule step [default: a third of --epochs].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    step_epochs: Option<usize>,
    /// Decay factor of --schedule step [default: 0.1].
    #[arg(long, allow_negative_numbers = true)]
    gamma: Option<f64>,
    /// Optimizer weight decay (decoupled for adamw) [default: 0].
    #[arg(long, allow_negative_numbers = true)]
    weight_decay: Option<f64>,
    /// Dropout probability after each hidden layer, in [0, 1) [default: 0].
    #[arg(long, allow_negative_numbers = true)]
    dropout: Option<f64>,
    /// Examples per update; 0 = the whole training set [default: 0].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    batch_size: Option<usize>,
    /// Passes over the training set [default: 100].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    epochs: Option<usize>,
    /// Fraction of the data held out (seeded by --seed) for validation, in [0, 1) [default: 0].
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    val_split: Option<f64>,
    /// Early stopping: stop after N epochs without a lower validation loss and restore the best
    /// epoch's parameters (needs --val-split).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    patience: Option<usize>,
    /// Clip the global gradient norm to this before every update.
    #[arg(long, value_name = "NORM", allow_negative_numbers = true)]
    clip: Option<f64>,
    /// Threads computing each batch (the same numbers for every count); 0 = automatic: the
    /// machine's cores, one thread where a batch holds too little work to share (below 16
    /// examples, or 32,768 examples × parameters)
    /// [default: 0].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    threads: Option<usize>,
    /// Standardize every feature ((x - mean) / std), fitted on the training rows only and saved in
    /// the model file, so that `predict` applies the same transform.
    #[arg(long, conflicts_with = "minmax")]
    pub(super) standardize: bool,
    /// Scale every feature to [0, 1] ((x - min) / (max - min)), fitted on the training rows only
    /// and saved in the model file, so that `predict` applies the same transform.
    #[arg(long)]
    pub(super) minmax: bool,
    /// Hold out this fraction of the data (seeded by --seed), in (0, 1), as a test set: never
    /// trained on, its accuracy reported at the end (`predict --test-split F --seed S` scores the
    /// same rows).
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub(super) test_split: Option<f64>,
    /// Augment the training rows (seeded, after the test split, never the test rows): images
    /// `shift=K` (pixels, each direction) and `rotate=DEGREES`, any data `jitter=STD` (Gaussian
    /// noise), comma-separated; the loop trains on the rows and --augment-copies augmented copies
    /// of them. Not with --val-split (its rows would hold copies of training rows).
    #[arg(long, value_name = "SPEC", value_parser = parse_augment, conflicts_with = "val_split")]
    pub(super) augment: Option<Augment>,
    /// Augmented copies of every training row with --augment [default: 4].
    #[arg(
        long,
        value_name = "N",
        requires = "augment",
        allow_negative_numbers = true
    )]
    pub(super) augment_copies: Option<usize>,
}

fn parse_augment(s: &str) -> Result<Augment, String> {
    s.parse()
}

/// `--optimizer` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OptimizerName {
    /// Plain SGD.
    Sgd,
    /// SGD with momentum.
    Momentum,
    /// SGD with Nesterov momentum.
    Nesterov,
    /// Adam.
    Adam,
    /// AdamW (decoupled weight decay).
    Adamw,
    /// RMSprop.
    Rmsprop,
    /// Adagrad.
    Adagrad,
}

/// `--schedule` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScheduleName {
    /// The base rate throughout.
    Constant,
    /// Linear decay to a tenth of the base rate.
    Linear,
    /// Cosine annealing to 0.
    Cosine,
    /// Multiplied by --gamma every --step-epochs epochs.
    Step,
}

impl FitArgs {
    /// The loop's settings from these flags (`--alpha` as `l2`, `--seed`) for data of `classes`
    /// classes, the library's defaults for what is not given, checked, with errors naming the flags.
    pub fn config(&self, alpha: Option<f64>, seed: u64, classes: usize) -> Result<FitConfig> {
        let defaults = FitConfig::default();
        let config = FitConfig {
            loss: self.loss.unwrap_or(if classes == 2 {
                LossKind::Hinge
            } else {
                LossKind::CrossEntropy
            }),
            optimizer: self.optimizer()?,
            lr: self.lr.unwrap_or(match self.optimizer {
                Some(OptimizerName::Adam | OptimizerName::Adamw | OptimizerName::Rmsprop) => 0.01,
                _ => defaults.lr,
            }),
            schedule: self.schedule(self.epochs.unwrap_or(defaults.epochs))?,
            weight_decay: self.weight_decay.unwrap_or(defaults.weight_decay),
            l2: alpha.unwrap_or(defaults.l2),
            dropout: self.dropout.unwrap_or(defaults.dropout),
            batch_size: self.batch_size.unwrap_or(defaults.batch_size),
            epochs: self.epochs.unwrap_or(defaults.epochs),
            val_split: self.val_split.unwrap_or(defaults.val_split),
            patience: self.patience,
            clip: self.clip,
            seed,
            threads: self.threads.unwrap_or(defaults.threads),
            execution: defaults.execution,
        };
        if let Err(e) = config.validate() {
            bail!(flag_error(&e));
        }
        Ok(config)
    }

    /// `--optimizer` with `--momentum` (which only momentum and nesterov take).
    fn optimizer(&self) -> Result<OptimizerKind> {
        let name = self.optimizer.unwrap_or(OptimizerName::Sgd);
        let momentum = self.momentum.unwrap_or(0.9);
        if self.momentum.is_some()
            && !matches!(name, OptimizerName::Momentum | OptimizerName::Nesterov)
        {
            bail!("--momentum applies to --optimizer momentum or nesterov only");
        }
        Ok(match name {
            OptimizerName::Sgd => OptimizerKind::Sgd,
            OptimizerName::Momentum => OptimizerKind::Momentum(momentum),
            OptimizerName::Nesterov => OptimizerKind::Nesterov(momentum),
            OptimizerName::Adam => OptimizerKind::Adam,
            OptimizerName::Adamw => OptimizerKind::AdamW,
            OptimizerName::Rmsprop => OptimizerKind::RmsProp,
            OptimizerName::Adagrad => OptimizerKind::Adagrad,
        })
    }

    /// `--schedule` with `--gamma` and `--step-epochs` (which only step takes), for `epochs` epochs.
    fn schedule(&self, epochs: usize) -> Result<Schedule> {
        let name = self.schedule.unwrap_or(ScheduleName::Constant);
        if (self.gamma.is_some() || self.step_epochs.is_some()) && name != ScheduleName::Step {
            bail!("--gamma and --step-epochs apply to --schedule step only");
        }
        Ok(match name {
            ScheduleName::Constant => Schedule::Constant,
            ScheduleName::Linear => Schedule::Linear {
                start_factor: 1.0,
                end_factor: 0.1,
                over: Span::Run,
            },
            ScheduleName::Cosine => Schedule::Cosine {
                over: Span::Run,
                min_lr: 0.0,
            },
            ScheduleName::Step => Schedule::Step {
                every: Span::Epochs(self.step_epochs.unwrap_or(epochs.div_ceil(3))),
                gamma: self.gamma.unwrap_or(0.1),
            },
        })
    }
}

/// One line of `--trace` in this mode (epochs from 1, as on the console).
#[derive(serde::Serialize)]
struct EpochTrace {
    epoch: usize,
    train_loss: f64,
    train_accuracy: f64,
    val_loss: Option<f64>,
    val_accuracy: Option<f64>,
    lr: f64,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Runs `micrograd train` with the general loop.
pub(super) fn run(args: &Args, flags: &FitArgs) -> Result<()> {
    // the flags and the architecture are checked before anything is read
    flags.config(args.alpha, args.seed, 2)?;
    let arch = prepare::parse_arch(args)?;
    let init = args.model_init.as_deref().map(network::load).transpose()?;
    let loaded = args.source.load(Role::Train)?;
    let config = flags.config(args.alpha, args.seed, loaded.data.n_classes())?;
    check_plot_features(args, &loaded.data)?;
    let prepared = prepare::split_and_scale(args, flags, &loaded, &config, init.as_ref())?;
    let model = prepare::model(args, arch.as_ref(), init, &prepared, &config)?;
    print_header(args, &model, &prepared, &config);

    signals::checkpoint_on_signal();
    let mut records = Vec::new();
    let report = match train_with_progress(&model, &prepared, &config, &mut records) {
        Ok(r) => r,
        Err(e) => {
            // the loss diverged: the trace up to the failing epoch is what a user wants to look at
            if !records.is_empty() {
                write_trace(args, &records, "epochs before the loss diverged")?;
            }
            return Err(e);
        }
    };
    if report.steps == 0 {
        bail!("interrupted before the first step ended; nothing was written");
    }
    let interrupted = signals::stop_requested();
    // a stop in the middle of an epoch: the steps of that epoch after the last record
    let done_steps = report.epochs.last().map_or(0, |r| r.steps);
    let mut progress = format!("{} of {} epochs", report.epochs.len(), config.epochs);
    if report.steps > done_steps {
        progress += &format!(
            " and {} steps into epoch {}",
            report.steps - done_steps,
            report.epochs.len() + 1
        );
    }
    let train_accuracy = print_summary(&report, interrupted);
    let accuracy = match &prepared.test {
        Some(test) => (test_accuracy(&model, test, config.loss)?, "test"),
        None => (train_accuracy, "training"),
    };
    finish(
        args,
        &Finished {
            model: &model,
            preprocess: prepared.preprocess.as_ref(),
            data: &loaded,
            interrupted,
            accuracy,
            unit: "epochs",
            progress,
            trace: &|what| write_trace(args, &report.epochs, what),
            regions: (
                format!(
                    "{} classes, --loss {}: training accuracy {:.1}%",
                    loaded.data.n_classes(),
                    config.loss.name(),
                    train_accuracy * 100.0
                ),
                "the decision regions",
            ),
            curves: &|| curves(&report),
            curves_what: "loss and accuracy per epoch",
        },
    )
}

/// Scores the held-out test set and prints its accuracy; returns it.
fn test_accuracy(model: &Network, test: &Dataset, loss: LossKind) -> Result<f64> {
    let (test_loss, accuracy) = match model {
        Network::Mlp(m) => evaluate(m, test, loss)?,
        Network::Sequential(m) => evaluate(m, test, loss)?,
    };
    let correct = (accuracy * test.len() as f64).round() as usize;
    errln!(
        "test: loss {}, accuracy {:.2}% ({correct} of {} held out)",
        fmt_loss(test_loss),
        accuracy * 100.0,
        test.len()
    );
    Ok(accuracy)
}

/// The schedule as the header line writes it: `constant`, `linear to x0.1`, `cosine to 0`,
/// `x0.1 every 4 epochs` (spans other than the run are named).
fn describe_schedule(s: &Schedule) -> String {
    let span = |over: Span| match over {
        Span::Run => String::new(),
        Span::Epochs(n) => format!(" over {n} epochs"),
        Span::Steps(n) => format!(" over {n} steps"),
    };
    match *s {
        Schedule::Constant => "constant".to_string(),
        Schedule::Linear {
            end_factor, over, ..
        } => format!("linear to x{end_factor}{}", span(over)),
        Schedule::Cosine { over, min_lr } => format!("cosine to {min_lr}{}", span(over)),
        Schedule::Step { every, gamma } => match every {
            Span::Epochs(n) => format!("x{gamma} every {n} epochs"),
            Span::Steps(n) => format!("x{gamma} every {n} steps"),
            Span::Run => format!("x{gamma} after the run"),
        },
    }
}

fn print_header(args: &Args, model: &Network, prepared: &Prepared, c: &FitConfig) {
    let batch = if c.batch_size == 0 {
        "full batch".to_string()
    } else {
        format!("batch size {}", c.batch_size)
    };
    let data = &prepared.train;
    let test = prepared.test.as_ref().map_or(String::new(), |t| {
        format!(", {} held out for testing", t.len())
    });
    let copies = match data.len() - prepared.rows {
        0 => String::new(),
        n => format!(" and {n} augmented copies"),
    };
    errln!(
        "training {} ({} parameters) on {} ({} examples{copies}, {} classes{test})",
        model.describe(),
        model.num_parameters(),
        args.source.name(),
        prepared.rows,
        data.n_classes()
    );
    let schedule = describe_schedule(&c.schedule);
    let extras: String = [
        c.patience.map(|p| format!("patience {p}")),
        c.clip.map(|n| format!("clip {n}")),
        prepared
            .preprocess
            .as_ref()
            .map(|p| p.scaling().to_string()),
        prepared
            .augment
            .map(|(a, n)| format!("augment {a} ({n} copies of every training row)")),
    ]
    .into_iter()
    .flatten()
    .map(|e| format!(", {e}"))
    .collect();
    errln!(
        "loss {}, optimizer {:?}, lr {} ({schedule}), weight decay {}, L2 {}, dropout {}, {batch}, {} epochs, validation split {}{extras}",
        c.loss.name(),
        c.optimizer,
        c.lr,
        c.weight_decay,
        c.l2,
        c.dropout,
        c.epochs,
        c.val_split,
    );
}

/// Prints the run's summary; returns the final training accuracy (the best epoch's, whose parameters
/// were restored, with early stopping).
fn print_summary(report: &FitReport, interrupted: bool) -> f64 {
    let (Some(first), Some(last)) = (report.epochs.first(), report.epochs.last()) else {
        errln!(
            "interrupted: {} steps into epoch 1, no epoch finished (no loss measured)",
            report.steps
        );
        return f64::NAN;
    };
    let end = report.best_epoch.map_or(last, |b| &report.epochs[b]);
    let mut summary = format!(
        "{}: {} epochs, train loss {} -> {}, train accuracy {} -> {}",
        if interrupted { "interrupted" } else { "done" },
        report.epochs.len(),
        fmt_loss(first.train_loss),
        fmt_loss(end.train_loss),
        pct(first.train_accuracy),
        pct(end.train_accuracy)
    );
    if let Some(b) = report.best_epoch {
        summary += &format!(
            "; {} at epoch {}: restored its parameters (val loss {}, val accuracy {})",
            if report.stopped_early {
                "early stop, best validation loss"
            } else {
                "best validation loss"
            },
            b + 1,
            fmt_loss(end.val_loss.unwrap_or(f64::NAN)),
            pct(end.val_accuracy.unwrap_or(f64::NAN))
        );
    } else if let (Some(l), Some(a)) = (last.val_loss, last.val_accuracy) {
        summary += &format!(", val loss {}, val accuracy {}", fmt_loss(l), pct(a));
    }
    errln!("{summary}");
    end.train_accuracy
}

/// Writes `--trace` of the general loop (if asked), one JSON line per epoch, epochs from 1.
fn write_trace(args: &Args, epochs: &[EpochRecord], what: &str) -> Result<()> {
    write_json_lines(args.trace.as_deref(), epochs, what, |r| EpochTrace {
        epoch: r.epoch + 1,
        train_loss: r.train_loss,
        train_accuracy: r.train_accuracy,
        val_loss: r.val_loss,
        val_accuracy: r.val_accuracy,
        lr: r.lr,
    })
}

fn epoch_line(r: &EpochRecord, epochs: usize) -> String {
    let mut line = format!(
        "epoch {:>w$}/{epochs}  loss {}  acc {}",
        r.epoch + 1,
        fmt_loss(r.train_loss),
        pct(r.train_accuracy),
        w = epochs.to_string().len()
    );
    if let (Some(l), Some(a)) = (r.val_loss, r.val_accuracy) {
        line += &format!("  val loss {}  val acc {}", fmt_loss(l), pct(a));
    }
    line + &format!("  lr {:.3e}", r.lr)
}

/// Trains, reporting progress (plain lines: at most about 50, plus the last; on a bar, about 10
/// echoed above it) and pushing each epoch's record to `records`; a signal stops training at the
/// end of the epoch.
fn train_with_progress(
    model: &Network,
    prepared: &Prepared,
    config: &FitConfig,
    records: &mut Vec<EpochRecord>,
) -> Result<FitReport> {
    let epochs = config.epochs;
    let progress = Progress::new(epochs, epochs.div_ceil(50)).echo_every(epochs.div_ceil(10));
    let on_epoch = |r: &EpochRecord| {
        records.push(*r);
        let line = epoch_line(r, epochs);
        let status = line
            .split_once("  ")
            .map_or(String::new(), |x| x.1.to_string());
        progress.update(r.epoch, || line, || status);
    };
    let stop = signals::stop_flag();
    let result = match model {
        Network::Mlp(m) => fit_until(m, &prepared.train, config, stop, on_epoch),
        Network::Sequential(m) => fit_until(m, &prepared.train, config, stop, on_epoch),
    };
    progress.finish(result.is_ok());
    Ok(result?)
}

/// Training and validation loss (log scale) and accuracy per epoch.
fn curves(report: &FitReport) -> Charts {
    let pick = |f: fn(&EpochRecord) -> Option<f64>| -> Vec<f64> {
        report
            .epochs
            .iter()
            .map(|r| f(r).unwrap_or(f64::NAN))
            .collect()
    };
    // epochs from 1, as on the console and in the trace
    let line = |name, f, colour| Series::line(name, &pick(f), colour).from_x(1.0);
    let mut loss = vec![line(
        "training loss",
        |r| Some(r.train_loss),
        plot::PALETTE[0],
    )];
    let mut acc = vec![line(
        "training accuracy",
        |r| Some(r.train_accuracy * 100.0),
        plot::PALETTE[0],
    )];
    if report.sizes.1 > 0 {
        loss.push(line("validation loss", |r| r.val_loss, plot::PALETTE[1]));
        acc.push(line(
            "validation accuracy",
            |r| r.val_accuracy.map(|a| a * 100.0),
            plot::PALETTE[1],
        ));
    }
    Charts(vec![
        Chart {
            title: "loss".into(),
            x_label: "epoch".into(),
            y_label: "mean loss (log scale)".into(),
            series: loss,
            log_y: true,
            ..Chart::default()
        },
        Chart {
            title: "accuracy".into(),
            x_label: "epoch".into(),
            y_label: "accuracy (%)".into(),
            series: acc,
            y_range: Some((0.0, 102.0)),
            legend_bottom: true,
            ..Chart::default()
        },
    ])
}
