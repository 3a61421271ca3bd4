//! `micrograd train`: trains a classifier (an MLP, or any `--arch` such as a CNN) on a data set (a CSV
//! file, the built-in digits, MNIST, a folder of images), by default the way micrograd's demo does
//! ([`demo`]: an MLP on CSV points, 2 classes, SVM max-margin loss, L2, full-batch SGD with a linearly
//! decaying learning rate), or with the general loop ([`fit`]: any loss, optimizer, schedule,
//! mini-batches, k classes, preprocessing, a test split, augmentation) when any of its flags
//! ([`FitArgs`], a flattened clap group) is given, or the model or the data needs it (`--arch`,
//! images).
//!
//! The data flows one way: the flags become a library configuration (`TrainConfig` or `FitConfig`),
//! the library trains, and the mode renders what it measured; this file holds what both modes share:
//! the flags, the checks made before anything is read, the model, and the outputs of a finished run.

use crate::data_source::{self, DataArgs, Loaded};
use crate::excerpt::{excerpt, MAX_CHARS};
use crate::network::{self, Network};
use crate::output::{check_outputs, write_bytes_atomic, wrote};
use crate::plot::{self, Charts, ImageGrid, Regions};
use crate::{errln, memory};
use anyhow::{bail, Result};
use micrograd::data::Dataset;
use micrograd::nn::{Activation, MLP};
use micrograd::preprocess::Preprocess;
use micrograd::train::{ConfigField, TrainError};
use rand::SeedableRng;
use std::path::{Path, PathBuf};

mod demo;
mod fit;
mod prepare;

pub use crate::report::fmt_loss;
pub use fit::{FitArgs, OptimizerName, ScheduleName};

/// Arguments of `micrograd train`.
#[derive(clap::Args)]
#[command(after_help = "\
Two training loops:
  micrograd's demo loop (the default): 2 classes, SVM max-margin loss + alpha * L2, full-batch SGD
    for --steps steps, the learning rate decaying linearly from --lr-start to --lr-end; the trace
    and the log count steps from 0, as micrograd does.
  the general loop, chosen by any of --loss --optimizer --momentum --lr --schedule --step-epochs
    --gamma --weight-decay --dropout --batch-size --epochs --val-split --patience --clip --threads
    --standardize --minmax --test-split --augment, and always for --arch or image data: k classes
    (--loss ce, the default for more than 2), mini-batches, validation, early stopping,
    preprocessing, a held-out test set, augmentation; the log, the trace, the errors and the loss
    plot count epochs from 1.

Architectures (--arch): layers separated by spaces: conv(OUT,K[,stride=S][,pad=P]),
  maxpool(K[,S][,P]), avgpool(K[,S][,P]), flatten, linear(OUT), relu, tanh, sigmoid, identity.
  The last layer gives the outputs: one per class for --loss ce.

Outputs: `-` is standard output; a symbolic link is written through; an existing file keeps its
permissions, a read-only one is refused; an output may not be an input or another output.
Ctrl-C (SIGINT) or SIGTERM stops at the end of the current step, saves --save and --trace
as a checkpoint and exits with code 130; --model-init resumes from the saved model.

Examples:
  micrograd train --data moons.csv --save model.json --plot boundary.png
  micrograd train --data spirals.csv --loss ce --optimizer adam --lr 0.03 --batch-size 32 --epochs 100
  micrograd train --data digits --arch \"conv(8,3,pad=1) relu maxpool(2) flatten linear(10)\" \\
      --optimizer adam --epochs 20 --batch-size 32 --test-split 0.2 --filters filters.png")]
pub struct Args {
    #[command(flatten)]
    source: DataArgs,
    /// Start from this model file (an MLP's or an --arch model's, as `--save` writes it, with its
    /// preprocessing) instead of a random one.
    #[arg(long, value_name = "M.json", conflicts_with_all = ["hidden", "activation", "arch"])]
    model_init: Option<PathBuf>,
    /// The model as layers (see below), e.g. "conv(8,3,pad=1) relu maxpool(2) flatten linear(10)"
    /// or "linear(32) relu linear(10)"; Kaiming-initialized (seeded by --seed). Instead of
    /// --hidden/--activation; trains with the general loop.
    #[arg(long, value_name = "LAYERS", conflicts_with_all = ["hidden", "activation"])]
    arch: Option<String>,
    /// Hidden layer widths of a new model; its output layer is linear: one neuron (a score) for 2
    /// classes with hinge, mse or bce, k neurons for --loss ce on k classes.
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "16,16"
    )]
    hidden: Vec<usize>,
    /// Random seed: of a new model's weights (an MLP's uniform in [-1, 1), an --arch model's
    /// Kaiming; biases 0), and of the general loop's test and validation splits, shuffles and
    /// augmentation (give the first run's with --model-init to keep its test rows out).
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
          conflicts_with_all = fit::flag_ids(), allow_negative_numbers = true)]
    steps: Option<u64>,
    /// Learning rate at the first step of micrograd's demo loop, > 0 [default: 1.0]. Not with the
    /// general-training flags (use --lr).
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = fit::flag_ids())]
    lr_start: Option<f64>,
    /// Learning rate the demo loop's linear decay reaches after the last step, >= 0 [default: 0.1].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = fit::flag_ids())]
    lr_end: Option<f64>,
    /// L2 regularization strength: alpha * sum(p^2) is added to the loss [default: 1e-4 for the demo
    /// loop, 0 with the general-training flags].
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,
    // The general training loop: `Some` when any of its flags is given, which selects it.
    #[command(flatten)]
    fit: Option<FitArgs>,
    /// Fail (and write no file) if the final accuracy is below this percentage: the test accuracy
    /// with --test-split, else the training accuracy.
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
    min_accuracy: Option<f64>,
    /// Write one JSON line per step (demo loop: `step` from 0, loss and accuracy before its update)
    /// or per epoch (general loop: `epoch` from 1, training and validation loss and accuracy, lr) to
    /// this file (`-`: standard output). Also written, up to the failing step, when the loss diverges,
    /// and as a checkpoint on Ctrl-C.
    #[arg(long, value_name = "T.jsonl")]
    trace: Option<PathBuf>,
    /// Save the trained model (JSON) to this file (`-`: standard output). On Ctrl-C (SIGINT) or
    /// SIGTERM, training stops at the end of the current step and the model is saved as a
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
    /// Draw the filters of the model's first convolution (one tile per output and input channel,
    /// gray 0, white positive, black negative) to this PNG or SVG file.
    #[arg(long, value_name = "F.png")]
    filters: Option<PathBuf>,
    /// Refuse to train if the estimated memory (the tape of a step and the parameters) exceeds this,
    /// e.g. 512M or 2G [default: the available memory, MemAvailable].
    #[arg(long, value_name = "BYTES", value_parser = memory::max_memory_arg)]
    max_memory: Option<u64>,
}

/// Runs the command: the checks both loops share, then the loop the flags, the model or the data
/// chose.
pub fn run(args: Args) -> Result<()> {
    check_args(&args)?;
    let general = args.arch.is_some() || args.source.data.csv_path().is_none();
    match &args.fit {
        Some(fit) => fit::run(&args, fit),
        None if general => fit::run(&args, &FitArgs::default()),
        None => demo::run(&args),
    }
}

/// What is refused before anything is read: the outputs, the pictures' formats, `--hidden` and
/// `--min-accuracy`.
fn check_args(args: &Args) -> Result<()> {
    let mut inputs: Vec<(&str, &Path)> = data_source::input(&args.source).into_iter().collect();
    inputs.extend(args.model_init.as_deref().map(|p| ("--model-init", p)));
    let pictures = [
        ("--plot", &args.plot),
        ("--loss-plot", &args.loss_plot),
        ("--filters", &args.filters),
    ];
    let mut outputs = vec![("--trace", &args.trace), ("--save", &args.save)];
    outputs.extend(pictures);
    check_outputs(&inputs, &outputs)?;
    for (flag, path) in pictures {
        if let Some(p) = path {
            plot::is_svg(p).map_err(|e| anyhow::anyhow!("{flag}: {e}"))?;
        }
    }
    if args.hidden.contains(&0) {
        bail!("--hidden: every layer needs at least one neuron");
    }
    // A model this size would take minutes per step on a scalar engine, and gigabytes of tape.
    let widths: Vec<usize> = args.hidden.iter().copied().chain([1]).collect();
    if widths.iter().any(|&w| w > 100_000) || memory::mlp_parameters(&widths) > MAX_PARAMETERS {
        bail!(
            "--hidden {}: too large for this scalar engine (at most 100,000 neurons a layer and 10,000,000 weights between hidden layers)",
            excerpt(
                &args.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(","),
                MAX_CHARS
            )
        );
    }
    if let Some(m) = args.min_accuracy {
        if !(0.0..=100.0).contains(&m) {
            bail!("--min-accuracy must be a percentage in [0, 100], got {m}");
        }
    }
    Ok(())
}

/// The most parameters a model may have: more would take minutes per step on a scalar engine.
const MAX_PARAMETERS: u128 = 10_000_000;

/// Refuses `--plot` for data that is not 2-D, before training.
fn check_plot_features(args: &Args, data: &Dataset) -> Result<()> {
    if args.plot.is_some() && data.n_features() != 2 {
        bail!(
            "--plot draws 2-feature data, {} has {} features",
            args.source.name(),
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

/// Before the model is built: refuses a run whose estimated memory exceeds `--max-memory` or the
/// available memory, then reserves the tape's estimated peak ([`memory::reserve_tape`]), so that a
/// tape the machine cannot give is an error now rather than a panic in a step. The model is `init`
/// (or a new one of `--hidden`), with `nin` inputs and `nout` outputs, trained on batches of `batch`
/// examples, with the L2 penalty's graph if `l2`.
fn reserve_memory(
    args: &Args,
    init: Option<&MLP>,
    (nin, nout): (usize, usize),
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
    let shown: Vec<String> = widths[1..].iter().map(|w| w.to_string()).collect();
    let what = format!(
        "training MLP({nin}, [{}]) on batches of {batch} examples",
        excerpt(&shown.join(", "), MAX_CHARS)
    );
    let suggestion = "use smaller batches (--batch-size N, the general loop), a smaller model \
                      (--hidden), or less data";
    let estimate = memory::mlp_training_bytes(&widths, batch, l2);
    memory::check(&what, estimate, args.max_memory, suggestion)?;
    memory::reserve_tape(
        &what,
        memory::mlp_training_nodes(&widths, batch, l2),
        suggestion,
    )
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
        ConfigField::StepPeriod => "--step-epochs",
        ConfigField::StepGamma => "--gamma",
        _ => return e.to_string(),
    };
    format!("{flag} {}", c.requirement())
}

/// What a run that ended (all its steps or epochs, or stopped by a signal) hands to [`finish`].
struct Finished<'a> {
    model: &'a Network,
    /// The transform of the inputs the model was trained with (saved with it).
    preprocess: Option<&'a Preprocess>,
    /// The data as read (before any preprocessing), for `--plot`.
    data: &'a Loaded,
    /// Whether a signal stopped it: then only a checkpoint is written.
    interrupted: bool,
    /// The final accuracy `--min-accuracy` checks (a fraction), and what it is (`training`, `test`).
    accuracy: (f64, &'static str),
    /// `steps` or `epochs`.
    unit: &'static str,
    /// `N of M steps`: how far it got.
    progress: String,
    /// Writes `--trace` (if asked), with `what` after the number of lines.
    trace: &'a dyn Fn(&str) -> Result<()>,
    /// The title of `--plot` and what the `wrote` line calls it.
    regions: (String, &'static str),
    /// The figure of `--loss-plot` and what the `wrote` line calls it.
    curves: &'a dyn Fn() -> Charts,
    curves_what: &'static str,
}

/// Writes what a run's flags ask for: after a signal `--trace` and `--save` as a checkpoint; else,
/// if the accuracy passes `--min-accuracy`, `--trace`, `--save`, `--plot`, `--loss-plot` and
/// `--filters`.
fn finish(args: &Args, run: &Finished<'_>) -> Result<()> {
    if run.interrupted {
        (run.trace)(&format!("{}, a checkpoint", run.unit))?;
        return save_checkpoint(args, run, &run.progress);
    }
    if let Some(m) = args.min_accuracy {
        let (accuracy, what) = run.accuracy;
        if accuracy.is_nan() || accuracy * 100.0 < m {
            bail!(
                "the final {what} accuracy {:.2}% is below --min-accuracy {m}%; no file written",
                accuracy * 100.0
            );
        }
    }
    (run.trace)(run.unit)?;
    if let Some(path) = &args.save {
        write_model(path, run, "the trained model")?;
    }
    if let Some(path) = &args.plot {
        plot_regions(path, run)?;
        wrote(path, run.regions.1);
    }
    if let Some(path) = &args.loss_plot {
        plot::save(path, (760, 640), &(run.curves)())?;
        wrote(path, run.curves_what);
    }
    if let (Some(path), Some(conv)) = (&args.filters, run.model.first_conv()) {
        let grid = ImageGrid::filters(conv);
        plot::save(path, grid.size(), &grid)?;
        wrote(path, "the first convolution's filters");
    }
    Ok(())
}

/// Draws `--plot`: the data and the regions the model gives each class (one output is a score,
/// `> 0` meaning class 1; more are one per class), over the data as read (the model's
/// preprocessing applied to every point it is asked about).
fn plot_regions(path: &Path, run: &Finished<'_>) -> Result<()> {
    plot::save(
        path,
        (760, 640),
        &Regions {
            data: &run.data.data,
            outputs: |x: &[f64]| match run.preprocess {
                Some(p) => run.model.predict(&p.transform_row(x)),
                None => run.model.predict(x),
            },
            title: run.regions.0.clone(),
            // an SVG draws every cell as an element: keep it small
            resolution: if plot::is_svg(path)? { 60 } else { 200 },
            class_names: run.data.class_names.clone(),
        },
    )
}

/// After an interrupt: saves the model as a checkpoint (if `--save`) and says how to resume.
fn save_checkpoint(args: &Args, run: &Finished<'_>, progress: &str) -> Result<()> {
    match &args.save {
        Some(path) => {
            write_model(path, run, &format!("a checkpoint after {progress}"))?;
            errln!(
                "stopped by a signal; resume with --model-init {}",
                path.display()
            );
        }
        None => errln!("stopped by a signal after {progress}; no --save, so the model is lost"),
    }
    Ok(())
}

/// Writes the model (with its preprocessing) to `path` as JSON and reports `wrote PATH (what)`.
fn write_model(path: &Path, run: &Finished<'_>, what: &str) -> Result<()> {
    write_bytes_atomic(path, run.model.to_json(run.preprocess).as_bytes())?;
    wrote(path, what);
    Ok(())
}

/// Loads `--model-init` as an MLP without preprocessing (what the demo loop trains).
fn load_mlp(path: &Path) -> Result<MLP> {
    let saved = network::load(path)?;
    match saved.network {
        Network::Mlp(m) if saved.preprocess.is_none() => Ok(m),
        _ => bail!(
            "{}: a model with preprocessing or an --arch model trains with the general loop (give \
             --epochs or another of its flags)",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        train: Args,
    }

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        let args = ["micrograd-train", "--data", "d.csv"].iter().chain(extra);
        Cli::try_parse_from(args).map(|c| c.train)
    }

    #[test]
    fn any_fit_flag_selects_the_general_loop_and_conflicts_with_the_demo_flags() {
        assert!(parse(&[]).unwrap().fit.is_none());
        assert!(parse(&["--alpha", "0.1", "--steps", "3"])
            .unwrap()
            .fit
            .is_none());
        let ids = fit::flag_ids();
        assert_eq!(ids.len(), 20);
        for id in &ids {
            let flag = format!("--{}", id.as_str().replace('_', "-"));
            let value: &[&str] = match id.as_str() {
                "loss" => &["ce"],
                "optimizer" => &["adam"],
                "schedule" => &["step"],
                "augment" => &["shift=1"],
                "augment_copies" => &["2", "--augment", "shift=1"],
                "test_split" => &["0.2"],
                "standardize" | "minmax" => &[],
                _ => &["1"],
            };
            let given: Vec<&str> = [flag.as_str()]
                .into_iter()
                .chain(value.iter().copied())
                .collect();
            let args = parse(&given).unwrap();
            assert!(args.fit.is_some(), "{flag} selects the general loop");
            for demo in ["--steps", "--lr-start", "--lr-end"] {
                let err = parse(&[&[demo, "1"], &given[..]].concat()).err().unwrap();
                assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
                let shown = err.to_string();
                let named = [
                    format!("'{flag} "),
                    format!("'{flag}'"),
                    format!("  {flag} <"),
                ];
                assert!(named.iter().any(|n| shown.contains(n)), "{shown}");
            }
        }
    }
}
