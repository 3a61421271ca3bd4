//! `micrograd train` with micrograd's demo loop ([`micrograd::train::Trainer`]): 2 classes, SVM
//! max-margin loss + alpha * L2, full-batch SGD with a linearly decaying learning rate; steps counted
//! from 0, as micrograd does.

use super::{check_plot_features, finish, flag_error, load_mlp, reserve_memory, Args, Finished};
use crate::data_source::Role;
use crate::network::Network;
use crate::plot::{self, Chart, Charts, Series};
use crate::report::{fmt_loss, write_json_lines, Progress};
use crate::{errln, signals};
use anyhow::{bail, Result};
use micrograd::data::Dataset;
use micrograd::nn::{Module, MLP};
use micrograd::train::{StepRecord, TrainConfig, Trainer};

/// One line of `--trace`: the fields in this order, numbers in shortest round-trip form.
#[derive(serde::Serialize)]
struct TraceLine {
    step: usize,
    loss: f64,
    accuracy: f64,
}

/// Runs `micrograd train` with the demo loop.
pub(super) fn run(args: &Args) -> Result<()> {
    let config = config(args)?;
    if args.filters.is_some() {
        bail!("--filters draws the filters of a convolution; an MLP has none (use --arch)");
    }
    let loaded = args.source.load(Role::Train)?;
    let data = &loaded.data;
    if data.n_classes() != 2 {
        bail!(
            "{}: the hinge loss trains 2 classes, the labels have {} (use --loss ce for k classes)",
            args.source.name(),
            data.n_classes()
        );
    }
    check_plot_features(args, data)?;
    let model = model(args, data)?;
    print_header(args, &model, data, &config);

    signals::checkpoint_on_signal();
    let mut trainer = Trainer::new(&model, data, &config)?;
    let mut records = Vec::with_capacity(config.steps.min(1 << 16));
    if let Err(e) = train_with_progress(&mut trainer, config.steps, &mut records) {
        // the loss diverged: the trace up to the failing step is what a user wants to look at
        if !records.is_empty() {
            write_trace(args, &records, "steps before the loss diverged")?;
        }
        return Err(e);
    }
    if records.is_empty() {
        bail!("interrupted before the first step ended; nothing was written");
    }
    let interrupted = signals::stop_requested();
    let accuracy = micrograd::train::accuracy(
        &micrograd::train::scores(&model, data)?,
        &data.signed_labels()?,
    );
    print_summary(&records, interrupted, accuracy);
    finish(
        args,
        &Finished {
            model: &Network::Mlp(model),
            preprocess: None,
            data: &loaded,
            interrupted,
            accuracy: (accuracy, "training"),
            unit: "steps",
            progress: format!("{} of {} steps", records.len(), config.steps),
            trace: &|what| write_trace(args, &records, what),
            regions: (
                format!(
                    "decision boundary after {} steps (accuracy {:.0}%)",
                    records.len(),
                    accuracy * 100.0
                ),
                "the decision boundary",
            ),
            curves: &|| curves(&records),
            curves_what: "loss and accuracy",
        },
    )
}

/// The demo loop's settings from the flags, the library's defaults for those not given, checked.
fn config(args: &Args) -> Result<TrainConfig> {
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
    Ok(config)
}

/// `--model-init` (checked against the data: a score for 2 classes) or a new model, with the
/// memory of a full-batch step reserved.
fn model(args: &Args, data: &Dataset) -> Result<MLP> {
    let Some(path) = &args.model_init else {
        reserve_memory(args, None, (data.n_features(), 1), data.len(), true)?;
        return Ok(super::new_model(args, data.n_features(), 1));
    };
    let m = load_mlp(path)?;
    if m.nin() != data.n_features() {
        bail!(
            "{} takes {} inputs but {} has {} features",
            path.display(),
            m.nin(),
            args.source.name(),
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
    reserve_memory(args, Some(&m), (data.n_features(), 1), data.len(), true)?;
    Ok(m)
}

fn print_header(args: &Args, model: &MLP, data: &Dataset, config: &TrainConfig) {
    let widths: Vec<String> = model.nouts().iter().map(|n| n.to_string()).collect();
    errln!(
        "training MLP({}, [{}]) ({} parameters) on {} ({} points), {} steps, lr {} -> {}, alpha {}",
        model.nin(),
        widths.join(", "),
        model.num_parameters(),
        args.source.name(),
        data.len(),
        config.steps,
        config.lr_start,
        config.lr_end,
        config.alpha
    );
}

fn print_summary(records: &[StepRecord], interrupted: bool, final_accuracy: f64) {
    let (first, last) = (&records[0], &records[records.len() - 1]);
    errln!(
        "{}: loss {} -> {}, accuracy {:.1}% -> {:.1}% (after the last update: {:.1}%)",
        if interrupted { "interrupted" } else { "done" },
        fmt_loss(first.loss),
        fmt_loss(last.loss),
        first.accuracy * 100.0,
        last.accuracy * 100.0,
        final_accuracy * 100.0
    );
}

/// Runs every step, pushing each step's record to `records`, until all ran or a signal asks to
/// stop, reporting progress (plain lines: about 100, plus the last step).
fn train_with_progress(
    trainer: &mut Trainer<'_>,
    steps: usize,
    records: &mut Vec<StepRecord>,
) -> Result<()> {
    let progress = Progress::new(steps, steps.div_ceil(100));
    while !trainer.is_done() && !signals::stop_requested() {
        let r = match trainer.step() {
            Ok(r) => r,
            Err(e) => {
                progress.finish(false);
                return Err(e.into());
            }
        };
        progress.update(
            r.step,
            || {
                format!(
                    "step {:>width$}/{steps} loss {} accuracy {:.1}%",
                    r.step,
                    fmt_loss(r.loss),
                    r.accuracy * 100.0,
                    width = steps.to_string().len()
                )
            },
            || {
                format!(
                    "loss {}  accuracy {:.1}%",
                    fmt_loss(r.loss),
                    r.accuracy * 100.0
                )
            },
        );
        records.push(r);
    }
    progress.finish(true);
    Ok(())
}

/// Writes `--trace` of the demo loop (if asked), one JSON line per step record.
fn write_trace(args: &Args, records: &[StepRecord], what: &str) -> Result<()> {
    write_json_lines(args.trace.as_deref(), records, what, |r| TraceLine {
        step: r.step,
        loss: r.loss,
        accuracy: r.accuracy,
    })
}

/// The loss (log scale) and accuracy curves of a run.
fn curves(records: &[StepRecord]) -> Charts {
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
