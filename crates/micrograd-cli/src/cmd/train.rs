//! `micrograd train`: trains an MLP classifier on a CSV data set, by default the way micrograd's demo
//! does (2 classes, SVM max-margin loss, L2, full-batch SGD with a linearly decaying learning rate),
//! or with the general loop ([`fit`]: any loss, optimizer, schedule, mini-batches, k classes) when
//! any of its flags is given; with a progress bar.

use crate::csv_data;
use crate::output::{check_outputs, write_atomic, wrote};
use crate::plot::{self, Chart, Charts, Regions, Series};
use crate::{errln, memory, signals};
use anyhow::{bail, Context, Result};
use micrograd::data::{Dataset, LabelEncoding};
use micrograd::nn::{Activation, Module, MLP};
use micrograd::train::{
    ConfigField, FitConfig, LossKind, LrSchedule, OptimizerKind, StepRecord, TrainConfig,
    TrainError, Trainer,
};
use rand::SeedableRng;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

mod fit;

/// Arguments of `micrograd train`.
#[derive(clap::Args)]
#[command(after_help = "\
Two training loops:
  micrograd's demo loop (the default): 2 classes, SVM max-margin loss + alpha * L2, full-batch SGD
    for --steps steps, the learning rate decaying linearly from --lr-start to --lr-end; the trace
    and the log count steps from 0, as micrograd does.
  the general loop, chosen by any of --loss --optimizer --momentum --lr --schedule --step-epochs
    --gamma --weight-decay --dropout --batch-size --epochs --val-split --patience --clip --threads:
    k classes
    (--loss ce, the default for more than 2), mini-batches, validation, early stopping; the log,
    the trace, the errors and the loss plot count epochs from 1.

Outputs: `-` is standard output; a symbolic link is written through; an existing file keeps its
permissions, a read-only one is refused; an output may not be an input or another output.
Ctrl-C (SIGINT) or SIGTERM stops at the end of the current step or epoch, saves --save and --trace
as a checkpoint and exits with code 130; --model-init resumes from the saved model.

Examples:
  micrograd train --data moons.csv --save model.json --plot boundary.png
  micrograd train --data spirals.csv --loss ce --optimizer adam --lr 0.03 --batch-size 32 --epochs 100")]
pub struct Args {
    /// The training data: CSV with a header, feature columns, then a `label` column (-1/+1, or
    /// classes 0, 1, ..., k-1).
    #[arg(long, value_name = "F.csv")]
    data: PathBuf,
    /// Start from this model file (JSON, the layout of micrograd's demo weights) instead of a random one.
    #[arg(long, value_name = "M.json", conflicts_with_all = ["hidden", "seed", "activation"])]
    model_init: Option<PathBuf>,
    /// Hidden layer widths of a new model; its output layer is linear: one neuron (a score) for 2
    /// classes with hinge, mse or bce, k neurons for --loss ce on k classes.
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "16,16"
    )]
    hidden: Vec<usize>,
    /// Random seed of a new model's weights (uniform in [-1, 1), biases 0).
    #[arg(
        long,
        value_name = "S",
        default_value_t = 1337,
        allow_negative_numbers = true
    )]
    seed: u64,
    /// Activation of a new model's hidden layers: relu, tanh, sigmoid or linear.
    #[arg(long, value_name = "NAME", default_value = "relu")]
    activation: Activation,
    /// Number of SGD steps (full batch) of micrograd's demo loop [default: 100]. Not with the
    /// general-training flags (use --epochs).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000),
          conflicts_with_all = FIT_FLAGS, allow_negative_numbers = true)]
    steps: Option<u64>,
    /// Learning rate at the first step of micrograd's demo loop, > 0 [default: 1.0]. Not with the
    /// general-training flags (use --lr).
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = FIT_FLAGS)]
    lr_start: Option<f64>,
    /// Learning rate the demo loop's linear decay reaches after the last step, >= 0 [default: 0.1].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = FIT_FLAGS)]
    lr_end: Option<f64>,
    /// L2 regularization strength: alpha * sum(p^2) is added to the loss [default: 1e-4 for the demo
    /// loop, 0 with the general-training flags].
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,

    // The general training loop: giving any of these flags switches from micrograd's demo loop to it.
    /// Loss: hinge, mse, bce (binary cross-entropy on a logit) or ce (softmax cross-entropy, k classes)
    /// [default: hinge for 2 classes, ce otherwise].
    #[arg(long, value_name = "NAME")]
    loss: Option<LossKind>,
    /// Optimizer: sgd, momentum, nesterov, adam or adamw [default: sgd].
    #[arg(long, value_name = "NAME")]
    optimizer: Option<OptimizerName>,
    /// Momentum of --optimizer momentum|nesterov, in [0, 1) [default: 0.9].
    #[arg(long, allow_negative_numbers = true)]
    momentum: Option<f64>,
    /// Base learning rate, > 0 [default: 0.01 for adam/adamw, 0.1 otherwise].
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
    /// machine's cores, one thread for batches below 64 examples, where threads do not pay
    /// [default: 0].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    threads: Option<usize>,
    /// Fail (and write no file) if the final training accuracy is below this percentage.
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
    min_accuracy: Option<f64>,
    /// Write one JSON line per step (demo loop: `step` from 0, loss and accuracy before its update)
    /// or per epoch (general loop: `epoch` from 1, training and validation loss and accuracy, lr) to
    /// this file (`-`: standard output). Also written, up to the failing step, when the loss diverges,
    /// and as a checkpoint on Ctrl-C.
    #[arg(long, value_name = "T.jsonl")]
    trace: Option<PathBuf>,
    /// Save the trained model (JSON) to this file (`-`: standard output). On Ctrl-C (SIGINT) or
    /// SIGTERM, training stops at the end of the current step or epoch and the model is saved as a
    /// checkpoint (exit code 130); `--model-init` resumes from it.
    #[arg(long, value_name = "M.json")]
    save: Option<PathBuf>,
    /// Draw the decision boundary (2 classes) or the class regions (k classes) with the data
    /// (2-feature data only) to this PNG or SVG file.
    #[arg(long, value_name = "P.png")]
    plot: Option<PathBuf>,
    /// Draw the loss and accuracy curves to this PNG or SVG file.
    #[arg(long, value_name = "L.png")]
    loss_plot: Option<PathBuf>,
    /// Refuse to train if the estimated memory (the tape of a step and the parameters) exceeds this,
    /// e.g. 512M or 2G [default: the available memory, MemAvailable].
    #[arg(long, value_name = "BYTES", value_parser = memory::max_memory_arg)]
    max_memory: Option<u64>,
}

/// The flags of the general training loop (their presence selects it).
const FIT_FLAGS: [&str; 15] = [
    "momentum",
    "step_epochs",
    "gamma",
    "loss",
    "optimizer",
    "lr",
    "schedule",
    "weight_decay",
    "dropout",
    "batch_size",
    "epochs",
    "val_split",
    "patience",
    "clip",
    "threads",
];

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

/// One line of `--trace`: the fields in this order, numbers in shortest round-trip form.
#[derive(serde::Serialize)]
struct TraceLine {
    step: usize,
    loss: f64,
    accuracy: f64,
}

/// Refuses `--plot` for data that is not 2-D, before training.
fn check_plot_features(args: &Args, data: &Dataset) -> Result<()> {
    if args.plot.is_some() && data.n_features() != 2 {
        bail!(
            "--plot draws 2-feature data, {} has {} features",
            args.data.display(),
            data.n_features()
        );
    }
    Ok(())
}

/// A new model for `--hidden`/`--activation`/`--seed`: `nin` inputs, a linear output layer of `nout`.
fn new_model(args: &Args, nin: usize, nout: usize) -> MLP {
    let mut nouts = args.hidden.clone();
    nouts.push(nout);
    let mut acts = vec![args.activation; args.hidden.len()];
    acts.push(Activation::Linear);
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    MLP::with_activations(nin, &nouts, &acts, &mut rng)
}

/// Writes the trained model for `--save`, if given.
fn save_model(args: &Args, model: &MLP) -> Result<()> {
    if let Some(path) = &args.save {
        let json = model.to_json();
        write_atomic(path, |w| Ok(w.write_all(json.as_bytes())?))?;
        wrote(path, "the trained model");
    }
    Ok(())
}

/// Loads a model file, naming the file in errors.
pub fn load_model(path: &Path) -> Result<MLP> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    MLP::from_json(&text).with_context(|| format!("{}: not a valid model file", path.display()))
}

/// A loss for people: 6 decimals in the usual range, scientific notation when huge or tiny.
pub fn fmt_loss(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e5).contains(&x.abs()) {
        format!("{x:.4e}")
    } else {
        format!("{x:.6}")
    }
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let mut inputs = vec![("--data", args.data.as_path())];
    inputs.extend(args.model_init.as_deref().map(|p| ("--model-init", p)));
    check_outputs(
        &inputs,
        &[
            ("--trace", &args.trace),
            ("--save", &args.save),
            ("--plot", &args.plot),
            ("--loss-plot", &args.loss_plot),
        ],
    )?;
    for (flag, path) in [("--plot", &args.plot), ("--loss-plot", &args.loss_plot)] {
        if let Some(p) = path {
            plot::is_svg(p).with_context(|| flag.to_string())?;
        }
    }
    if args.hidden.contains(&0) {
        bail!("--hidden: every layer needs at least one neuron");
    }
    // A model this size would take minutes per step on a scalar engine, and gigabytes of tape.
    let widths: Vec<usize> = args.hidden.iter().copied().chain([1]).collect();
    let params: u128 = widths
        .windows(2)
        .map(|w| (w[0] as u128 + 1) * w[1] as u128)
        .sum();
    if widths.iter().any(|&w| w > 100_000) || params > 10_000_000 {
        bail!(
            "--hidden {}: too large for this scalar engine (at most 100,000 neurons a layer and 10,000,000 weights between hidden layers)",
            args.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",")
        );
    }
    if let Some(m) = args.min_accuracy {
        if !(0.0..=100.0).contains(&m) {
            bail!("--min-accuracy must be a percentage in [0, 100], got {m}");
        }
    }
    if uses_fit(&args) {
        return fit::run(&args);
    }
    let defaults = TrainConfig::default();
    let config = TrainConfig {
        steps: args.steps.map_or(defaults.steps, |s| s as usize),
        lr_start: args.lr_start.unwrap_or(defaults.lr_start),
        lr_end: args.lr_end.unwrap_or(defaults.lr_end),
        alpha: args.alpha.unwrap_or(defaults.alpha),
    };
    if let Err(e) = config.validate() {
        bail!(flag_error(&e));
    }

    let csv = csv_data::load(&args.data)?;
    let encoding = csv.encoding;
    let data = csv.dataset;
    if data.n_classes() != 2 {
        bail!(
            "{}: the hinge loss trains 2 classes, the labels have {} (use --loss ce for k classes)",
            args.data.display(),
            data.n_classes()
        );
    }
    check_plot_features(&args, &data)?;

    let model = match &args.model_init {
        Some(path) => {
            let m = load_model(path)?;
            if m.nin() != data.n_features() {
                bail!(
                    "{} takes {} inputs but {} has {} features",
                    path.display(),
                    m.nin(),
                    args.data.display(),
                    data.n_features()
                );
            }
            if m.nout() != 1 {
                bail!(
                    "{} has {} outputs; the hinge loss needs 1 (a score)",
                    path.display(),
                    m.nout()
                );
            }
            check_memory(&args, Some(&m), data.n_features(), 1, data.len(), true)?;
            m
        }
        None => {
            check_memory(&args, None, data.n_features(), 1, data.len(), true)?;
            new_model(&args, data.n_features(), 1)
        }
    };

    let widths: Vec<String> = model.nouts().iter().map(|n| n.to_string()).collect();
    errln!(
        "training MLP({}, [{}]) ({} parameters) on {} ({} points), {} steps, lr {} -> {}, alpha {}",
        model.nin(),
        widths.join(", "),
        model.num_parameters(),
        args.data.display(),
        data.len(),
        config.steps,
        config.lr_start,
        config.lr_end,
        config.alpha
    );

    signals::checkpoint_on_signal();
    let mut trainer = Trainer::new(&model, &data, &config)?;
    let mut records = Vec::with_capacity(config.steps.min(1 << 16));
    let outcome = run_with_progress(&mut trainer, config.steps, &mut records);
    if let Err(e) = outcome {
        // the loss diverged: the trace up to the failing step is what a user wants to look at
        if !records.is_empty() {
            write_trace(&args, &records, "steps before the loss diverged")?;
        }
        return Err(e);
    }
    if records.is_empty() {
        bail!("interrupted before the first step ended; nothing was written");
    }
    let interrupted = signals::stop_requested();
    let (first, last) = (&records[0], &records[records.len() - 1]);
    let final_acc = micrograd::train::accuracy(
        &micrograd::train::scores(&model, &data)?,
        &data.signed_labels()?,
    );
    errln!(
        "{}: loss {} -> {}, accuracy {:.1}% -> {:.1}% (after the last update: {:.1}%)",
        if interrupted { "interrupted" } else { "done" },
        fmt_loss(first.loss),
        fmt_loss(last.loss),
        first.accuracy * 100.0,
        last.accuracy * 100.0,
        final_acc * 100.0
    );
    if interrupted {
        write_trace(&args, &records, "steps, a checkpoint")?;
        save_checkpoint(
            &args,
            &model,
            &format!("{} of {} steps", records.len(), config.steps),
        )?;
        return Ok(());
    }
    check_min_accuracy(args.min_accuracy, final_acc)?;

    write_trace(&args, &records, "steps")?;
    save_model(&args, &model)?;
    if let Some(path) = &args.plot {
        plot::save(
            path,
            (760, 640),
            &Regions {
                data: &data,
                outputs: |x: &[f64]| model.predict(x),
                title: format!(
                    "decision boundary after {} steps (accuracy {:.0}%)",
                    records.len(),
                    final_acc * 100.0
                ),
                // an SVG draws every cell as an element: keep it small
                resolution: if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
                {
                    60
                } else {
                    200
                },
                class_names: [0, 1]
                    .map(|c| match encoding.decode(c) {
                        1 if encoding == LabelEncoding::PlusMinusOne => "+1".to_string(),
                        l => l.to_string(),
                    })
                    .to_vec(),
            },
        )?;
        wrote(path, "the decision boundary");
    }
    if let Some(path) = &args.loss_plot {
        plot::save(path, (760, 640), &curves(&records))?;
        wrote(path, "loss and accuracy");
    }
    Ok(())
}

/// Writes `--trace` of the demo loop (if asked), one JSON line per step record.
fn write_trace(args: &Args, records: &[StepRecord], what: &str) -> Result<()> {
    write_json_lines(
        args.trace.as_deref(),
        records.iter().map(|r| TraceLine {
            step: r.step,
            loss: r.loss,
            accuracy: r.accuracy,
        }),
        what,
    )
}

/// Writes `lines` as JSON lines to `path` (if given) and reports `wrote PATH (N what)`.
pub fn write_json_lines<T: serde::Serialize>(
    path: Option<&Path>,
    lines: impl ExactSizeIterator<Item = T>,
    what: &str,
) -> Result<()> {
    if let Some(path) = path {
        let n = lines.len();
        write_atomic(path, |w| {
            for line in lines {
                serde_json::to_writer(&mut *w, &line)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })?;
        wrote(path, &format!("{n} {what}"));
    }
    Ok(())
}

/// After an interrupt: saves the model as a checkpoint (if `--save`) and says how to resume.
pub fn save_checkpoint(args: &Args, model: &MLP, progress: &str) -> Result<()> {
    match &args.save {
        Some(path) => {
            let json = model.to_json();
            write_atomic(path, |w| Ok(w.write_all(json.as_bytes())?))?;
            wrote(path, &format!("a checkpoint after {progress}"));
            errln!(
                "stopped by a signal; resume with --model-init {}",
                path.display()
            );
        }
        None => errln!("stopped by a signal after {progress}; no --save, so the model is lost"),
    }
    Ok(())
}

/// Refuses, before the model is built, a run whose estimated memory exceeds `--max-memory` or the
/// available memory: the model `init` (or a new one of `--hidden`), `nin` inputs, `nout` outputs,
/// batches of `batch` examples, with the L2 penalty's graph if `l2`.
pub fn check_memory(
    args: &Args,
    init: Option<&MLP>,
    nin: usize,
    nout: usize,
    batch: usize,
    l2: bool,
) -> Result<()> {
    let mut widths = vec![nin];
    match init {
        Some(m) => widths.extend(m.nouts()),
        None => {
            widths.extend(&args.hidden);
            widths.push(nout);
        }
    }
    let estimate = memory::mlp_training_bytes(&widths, batch, l2);
    let shown: Vec<String> = widths[1..].iter().map(|w| w.to_string()).collect();
    memory::check(
        &format!(
            "training MLP({nin}, [{}]) on batches of {batch} examples",
            shown.join(", ")
        ),
        estimate,
        args.max_memory,
        "use smaller batches (--batch-size N, the general loop), a smaller model (--hidden), or \
         less data",
    )
}

/// Whether any flag of the general training loop was given.
fn uses_fit(a: &Args) -> bool {
    a.loss.is_some()
        || a.optimizer.is_some()
        || a.momentum.is_some()
        || a.step_epochs.is_some()
        || a.gamma.is_some()
        || a.lr.is_some()
        || a.schedule.is_some()
        || a.weight_decay.is_some()
        || a.dropout.is_some()
        || a.batch_size.is_some()
        || a.epochs.is_some()
        || a.val_split.is_some()
        || a.patience.is_some()
        || a.clip.is_some()
        || a.threads.is_some()
}

/// `--min-accuracy`: an error if `accuracy` (a fraction) is below the percentage.
pub fn check_min_accuracy(min: Option<f64>, accuracy: f64) -> Result<()> {
    if let Some(m) = min {
        if accuracy.is_nan() || accuracy * 100.0 < m {
            bail!(
                "the final training accuracy {:.2}% is below --min-accuracy {m}%; no file written",
                accuracy * 100.0
            );
        }
    }
    Ok(())
}

/// The general loop's settings from the flags, checked, with errors naming the flags.
pub fn fit_config(a: &Args, classes: usize) -> Result<FitConfig> {
    let name = a.optimizer.unwrap_or(OptimizerName::Sgd);
    let momentum = a.momentum.unwrap_or(0.9);
    if a.momentum.is_some() && !matches!(name, OptimizerName::Momentum | OptimizerName::Nesterov) {
        bail!("--momentum applies to --optimizer momentum or nesterov only");
    }
    let scheduled = a.schedule.unwrap_or(ScheduleName::Constant);
    if (a.gamma.is_some() || a.step_epochs.is_some()) && scheduled != ScheduleName::Step {
        bail!("--gamma and --step-epochs apply to --schedule step only");
    }
    let optimizer = match name {
        OptimizerName::Sgd => OptimizerKind::Sgd,
        OptimizerName::Momentum => OptimizerKind::Momentum(momentum),
        OptimizerName::Nesterov => OptimizerKind::Nesterov(momentum),
        OptimizerName::Adam => OptimizerKind::Adam,
        OptimizerName::Adamw => OptimizerKind::AdamW,
    };
    let epochs = a.epochs.unwrap_or(100);
    let schedule = match scheduled {
        ScheduleName::Constant => LrSchedule::Constant,
        ScheduleName::Linear => LrSchedule::Linear { end_factor: 0.1 },
        ScheduleName::Cosine => LrSchedule::Cosine { min_lr: 0.0 },
        ScheduleName::Step => LrSchedule::Step {
            epochs: a.step_epochs.unwrap_or(epochs.div_ceil(3)),
            gamma: a.gamma.unwrap_or(0.1),
        },
    };
    let config = FitConfig {
        loss: a.loss.unwrap_or(if classes == 2 {
            LossKind::Hinge
        } else {
            LossKind::CrossEntropy
        }),
        optimizer,
        lr: a.lr.unwrap_or(match optimizer {
            OptimizerKind::Adam | OptimizerKind::AdamW => 0.01,
            _ => 0.1,
        }),
        schedule,
        weight_decay: a.weight_decay.unwrap_or(0.0),
        l2: a.alpha.unwrap_or(0.0),
        dropout: a.dropout.unwrap_or(0.0),
        batch_size: a.batch_size.unwrap_or(0),
        epochs,
        val_split: a.val_split.unwrap_or(0.0),
        patience: a.patience,
        clip: a.clip,
        seed: a.seed,
        threads: a.threads.unwrap_or(0),
    };
    if let Err(e) = config.validate() {
        bail!(flag_error(&e));
    }
    Ok(config)
}

/// A configuration error with the field named by its flag: `--lr must be a finite number > 0, got 0`.
fn flag_error(e: &TrainError) -> String {
    let TrainError::Config(c) = e else {
        return e.to_string();
    };
    let flag = match c.field {
        ConfigField::Lr => "--lr",
        ConfigField::LrStart => "--lr-start",
        ConfigField::LrEnd => "--lr-end",
        ConfigField::Steps => "--steps",
        ConfigField::WeightDecay => "--weight-decay",
        ConfigField::L2 => "--alpha",
        ConfigField::Dropout => "--dropout",
        ConfigField::ValSplit => "--val-split",
        ConfigField::Epochs => "--epochs",
        ConfigField::Momentum => "--momentum",
        ConfigField::Clip => "--clip",
        ConfigField::Patience => "--patience",
        ConfigField::StepEpochs => "--step-epochs",
        ConfigField::StepGamma => "--gamma",
        _ => return e.to_string(),
    };
    format!("{flag} {}", c.requirement())
}

/// The loss (log scale) and accuracy curves of a run.
pub fn curves(records: &[StepRecord]) -> Charts {
    let loss: Vec<f64> = records.iter().map(|r| r.loss).collect();
    let data_loss: Vec<f64> = records.iter().map(|r| r.data_loss).collect();
    let acc: Vec<f64> = records.iter().map(|r| r.accuracy * 100.0).collect();
    Charts(vec![
        Chart {
            title: "loss".into(),
            x_label: "step".into(),
            y_label: "loss (log scale)".into(),
            series: vec![
                Series::line("total loss", &loss, plot::PALETTE[0]),
                Series::line("hinge loss (without L2)", &data_loss, plot::PALETTE[3]),
            ],
            log_y: true,
            ..Chart::default()
        },
        Chart {
            title: "training accuracy".into(),
            x_label: "step".into(),
            y_label: "accuracy (%)".into(),
            series: vec![Series::line("accuracy", &acc, plot::PALETTE[1])],
            y_range: Some((0.0, 102.0)),
            legend_bottom: true,
            ..Chart::default()
        },
    ])
}

/// Runs every step, pushing each step's record to `records`, until all ran or a signal asks to stop:
/// a progress bar with the live loss when stderr is a terminal, plain log lines on stderr otherwise
/// (about 100 of them, plus the last step).
fn run_with_progress(
    trainer: &mut Trainer<'_>,
    steps: usize,
    records: &mut Vec<StepRecord>,
) -> Result<()> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(steps as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let every = steps.div_ceil(100).max(1);
    while !trainer.is_done() && !signals::stop_requested() {
        let r = match trainer.step() {
            Ok(r) => r,
            Err(e) => {
                if let Some(bar) = &bar {
                    bar.abandon();
                }
                return Err(e.into());
            }
        };
        match &bar {
            Some(bar) => {
                bar.set_message(format!(
                    "loss {}  accuracy {:.1}%",
                    fmt_loss(r.loss),
                    r.accuracy * 100.0
                ));
                bar.inc(1);
            }
            None if r.step % every == 0 || r.step + 1 == steps => errln!(
                "step {:>width$}/{steps} loss {} accuracy {:.1}%",
                r.step,
                fmt_loss(r.loss),
                r.accuracy * 100.0,
                width = steps.to_string().len()
            ),
            None => {}
        }
        records.push(r);
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    Ok(())
}
