//! `micrograd train`: trains an MLP binary classifier on a CSV data set the way micrograd's demo does
//! (SVM max-margin loss, L2, SGD with a linearly decaying learning rate), with a progress bar.

use crate::csv_data;
use crate::output::write_atomic;
use crate::plot::{self, Chart, Charts, DecisionBoundary, Series};
use anyhow::{bail, Context, Result};
use micrograd::data::LabelEncoding;
use micrograd::nn::{Activation, Module, MLP};
use micrograd::train::{StepRecord, TrainConfig, Trainer};
use rand::SeedableRng;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Arguments of `micrograd train`.
#[derive(clap::Args)]
pub struct Args {
    /// The training data: CSV with a header, feature columns, then a `label` column (-1/+1 or 0/1).
    #[arg(long, value_name = "F.csv")]
    data: PathBuf,
    /// Start from this model file (JSON, the layout of micrograd's demo weights) instead of a random one.
    #[arg(long, value_name = "M.json", conflicts_with_all = ["hidden", "seed", "activation"])]
    model_init: Option<PathBuf>,
    /// Hidden layer widths of a new model; its output layer is one linear neuron.
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "16,16"
    )]
    hidden: Vec<usize>,
    /// Random seed of a new model's weights (uniform in [-1, 1), biases 0).
    #[arg(long, value_name = "S", default_value_t = 1337)]
    seed: u64,
    /// Activation of a new model's hidden layers: relu, tanh, sigmoid or linear.
    #[arg(long, value_name = "NAME", default_value = "relu")]
    activation: Activation,
    /// Number of SGD steps (full batch).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    steps: u64,
    /// Learning rate at the first step.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    lr_start: f64,
    /// Learning rate the linear decay reaches after the last step.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    lr_end: f64,
    /// L2 regularization strength.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    alpha: f64,
    /// Write each step's loss and accuracy (before its update) as JSON lines to this file.
    #[arg(long, value_name = "T.jsonl")]
    trace: Option<PathBuf>,
    /// Save the trained model (JSON) to this file.
    #[arg(long, value_name = "M.json")]
    save: Option<PathBuf>,
    /// Draw the decision boundary with the data (2-feature data only) to this PNG or SVG file.
    #[arg(long, value_name = "P.png")]
    plot: Option<PathBuf>,
    /// Draw the loss and accuracy curves to this PNG or SVG file.
    #[arg(long, value_name = "L.png")]
    loss_plot: Option<PathBuf>,
}

/// One line of `--trace`: the fields in this order, numbers in shortest round-trip form.
#[derive(serde::Serialize)]
struct TraceLine {
    step: usize,
    loss: f64,
    accuracy: f64,
}

/// Fails early, before training, if an output file could not be written: its folder must exist.
pub fn check_output(flag: &str, path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "{flag} {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        bail!(
            "{flag} {}: is a folder, expected a file name",
            path.display()
        );
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
    let outputs = [
        ("--trace", &args.trace),
        ("--save", &args.save),
        ("--plot", &args.plot),
        ("--loss-plot", &args.loss_plot),
    ];
    for (flag, path) in outputs {
        if let Some(p) = path {
            check_output(flag, p)?;
        }
    }
    for (flag, path) in [("--plot", &args.plot), ("--loss-plot", &args.loss_plot)] {
        if let Some(p) = path {
            plot::is_svg(p).with_context(|| flag.to_string())?;
        }
    }
    let config = TrainConfig {
        steps: args.steps as usize,
        lr_start: args.lr_start,
        lr_end: args.lr_end,
        alpha: args.alpha,
    };
    config.validate()?;
    if args.hidden.contains(&0) {
        bail!("--hidden: every layer needs at least one neuron");
    }

    let csv = csv_data::load(&args.data)?;
    let encoding = csv.encoding;
    let data = csv.dataset;
    if data.n_classes() != 2 {
        bail!(
            "{}: the hinge loss trains 2 classes, the labels have {} (use -1/+1 or 0/1)",
            args.data.display(),
            data.n_classes()
        );
    }
    if args.plot.is_some() && data.n_features() != 2 {
        bail!(
            "--plot draws 2-feature data, {} has {} features",
            args.data.display(),
            data.n_features()
        );
    }

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
            m
        }
        None => {
            let mut nouts = args.hidden.clone();
            nouts.push(1);
            let mut acts = vec![args.activation; args.hidden.len()];
            acts.push(Activation::Linear);
            let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
            MLP::with_activations(data.n_features(), &nouts, &acts, &mut rng)
        }
    };

    let widths: Vec<String> = model.nouts().iter().map(|n| n.to_string()).collect();
    println!(
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

    let mut trainer = Trainer::new(&model, &data, &config)?;
    let records = run_with_progress(&mut trainer, config.steps)?;
    let (first, last) = (&records[0], &records[records.len() - 1]);
    let final_acc = micrograd::train::accuracy(
        &micrograd::train::scores(&model, &data)?,
        &data.signed_labels()?,
    );
    println!(
        "done: loss {} -> {}, accuracy {:.1}% -> {:.1}% (after the last update: {:.1}%)",
        fmt_loss(first.loss),
        fmt_loss(last.loss),
        first.accuracy * 100.0,
        last.accuracy * 100.0,
        final_acc * 100.0
    );

    if let Some(path) = &args.trace {
        write_atomic(path, |w| {
            for r in &records {
                let line = TraceLine {
                    step: r.step,
                    loss: r.loss,
                    accuracy: r.accuracy,
                };
                serde_json::to_writer(&mut *w, &line)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })?;
        println!("wrote {} ({} steps)", path.display(), records.len());
    }
    if let Some(path) = &args.save {
        let json = model.to_json();
        write_atomic(path, |w| Ok(w.write_all(json.as_bytes())?))?;
        println!("wrote {} (the trained model)", path.display());
    }
    if let Some(path) = &args.plot {
        plot::save(
            path,
            (760, 640),
            &DecisionBoundary {
                data: &data,
                score: |x: &[f64]| model.predict(x)[0],
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
                class_names: [0, 1].map(|c| match encoding.decode(c) {
                    1 if encoding == LabelEncoding::PlusMinusOne => "+1".to_string(),
                    l => l.to_string(),
                }),
            },
        )?;
        println!("wrote {} (the decision boundary)", path.display());
    }
    if let Some(path) = &args.loss_plot {
        plot::save(path, (760, 640), &curves(&records))?;
        println!("wrote {} (loss and accuracy)", path.display());
    }
    Ok(())
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

/// Runs every step: a progress bar with the live loss when stderr is a terminal, plain log lines on
/// stdout otherwise (about 100 of them, plus the last step).
fn run_with_progress(trainer: &mut Trainer<'_>, steps: usize) -> Result<Vec<StepRecord>> {
    let mut records = Vec::with_capacity(steps);
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(steps as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        while !trainer.is_done() {
            let r = match trainer.step() {
                Ok(r) => r,
                Err(e) => {
                    bar.abandon();
                    return Err(e.into());
                }
            };
            bar.set_message(format!(
                "loss {}  accuracy {:.1}%",
                fmt_loss(r.loss),
                r.accuracy * 100.0
            ));
            bar.inc(1);
            records.push(r);
        }
        bar.finish();
    } else {
        let every = steps.div_ceil(100).max(1);
        while !trainer.is_done() {
            let r = trainer.step()?;
            if r.step % every == 0 || r.step + 1 == steps {
                println!(
                    "step {:>width$}/{steps} loss {} accuracy {:.1}%",
                    r.step,
                    fmt_loss(r.loss),
                    r.accuracy * 100.0,
                    width = steps.to_string().len()
                );
            }
            records.push(r);
        }
    }
    Ok(records)
}
