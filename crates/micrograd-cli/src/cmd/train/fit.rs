//! `micrograd train` with the general training loop ([`micrograd::train::fit`]): chosen loss and
//! optimizer, schedule, mini-batches, dropout, validation split, early stopping, k classes.

use super::{
    check_memory, check_min_accuracy, check_plot_features, fit_config, fmt_loss, load_model,
    new_model, save_checkpoint, save_model, write_json_lines, Args,
};
use crate::csv_data;
use crate::output::wrote;
use crate::plot::{self, Chart, Charts, Regions, Series};
use crate::{errln, signals};
use anyhow::{Context, Result};
use micrograd::data::LabelEncoding;
use micrograd::nn::{Module, MLP};
use micrograd::train::{evaluate, fit_until, EpochRecord, FitConfig, FitReport, LrSchedule};
use std::io::IsTerminal;
use std::ops::ControlFlow;

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

/// Runs `micrograd train` with the general loop.
pub fn run(args: &Args) -> Result<()> {
    // the flags are checked before anything is read
    fit_config(args, 2)?;
    let csv = csv_data::load(&args.data)?;
    let encoding = csv.encoding;
    let data = csv.dataset;
    let k = data.n_classes();
    let config = fit_config(args, k)?;
    check_plot_features(args, &data)?;
    let n_train = data.len() - (data.len() as f64 * config.val_split).round() as usize;
    let batch = match config.batch_size {
        0 => n_train,
        b => b.min(n_train),
    };
    let model = match &args.model_init {
        Some(path) => {
            let m = load_model(path)?;
            check_memory(
                args,
                Some(&m),
                data.n_features(),
                m.nout(),
                batch,
                config.l2 > 0.0,
            )?;
            evaluate(&m, &data, config.loss).with_context(|| {
                format!(
                    "{} does not fit {} with --loss {}",
                    path.display(),
                    args.data.display(),
                    config.loss.name()
                )
            })?;
            m
        }
        None => {
            let nout = config.loss.outputs(k);
            check_memory(args, None, data.n_features(), nout, batch, config.l2 > 0.0)?;
            let m = new_model(args, data.n_features(), nout);
            evaluate(&m, &data, config.loss).with_context(|| {
                format!("--loss {} on {}", config.loss.name(), args.data.display())
            })?;
            m
        }
    };
    print_header(args, &model, &data, &config);

    signals::checkpoint_on_signal();
    let mut records = Vec::new();
    let report = match run_with_progress(&model, &data, &config, &mut records) {
        Ok(r) => r,
        Err(e) => {
            // the loss diverged: the trace up to the failing epoch is what a user wants to look at
            if !records.is_empty() {
                write_trace(args, &records, "epochs before the loss diverged")?;
            }
            return Err(e);
        }
    };
    let interrupted = signals::stop_requested();
    let Some(last) = report.epochs.last() else {
        anyhow::bail!("interrupted before the first epoch ended; nothing was written");
    };
    let (train_loss, train_acc) = match report.best_epoch {
        Some(b) => (report.epochs[b].train_loss, report.epochs[b].train_accuracy),
        None => (last.train_loss, last.train_accuracy),
    };
    let mut summary = format!(
        "{}: {} epochs, train loss {} -> {}, train accuracy {} -> {}",
        if interrupted { "interrupted" } else { "done" },
        report.epochs.len(),
        fmt_loss(report.epochs[0].train_loss),
        fmt_loss(train_loss),
        pct(report.epochs[0].train_accuracy),
        pct(train_acc)
    );
    if let Some(b) = report.best_epoch {
        let r = &report.epochs[b];
        summary += &format!(
            "; {} at epoch {}: restored its parameters (val loss {}, val accuracy {})",
            if report.stopped_early {
                "early stop, best validation loss"
            } else {
                "best validation loss"
            },
            b + 1,
            fmt_loss(r.val_loss.unwrap_or(f64::NAN)),
            pct(r.val_accuracy.unwrap_or(f64::NAN))
        );
    } else if let (Some(l), Some(a)) = (last.val_loss, last.val_accuracy) {
        summary += &format!(", val loss {}, val accuracy {}", fmt_loss(l), pct(a));
    }
    errln!("{summary}");
    if interrupted {
        write_trace(args, &report.epochs, "epochs, a checkpoint")?;
        let progress = format!("{} of {} epochs", report.epochs.len(), config.epochs);
        return save_checkpoint(args, &model, &progress);
    }
    check_min_accuracy(args.min_accuracy, train_acc)?;

    write_trace(args, &report.epochs, "epochs")?;
    save_model(args, &model)?;
    if let Some(path) = &args.plot {
        let svg = plot::is_svg(path)?;
        let resolution = if svg { 60 } else { 200 };
        let names: Vec<String> = (0..k)
            .map(|c| match encoding.decode(c) {
                1 if encoding == LabelEncoding::PlusMinusOne => "+1".to_string(),
                l => l.to_string(),
            })
            .collect();
        let title = format!(
            "{} classes, --loss {}: training accuracy {:.1}%",
            k,
            config.loss.name(),
            train_acc * 100.0
        );
        // one output is a score (> 0 means class 1), more are one per class
        plot::save(
            path,
            (760, 640),
            &Regions {
                data: &data,
                outputs: |x: &[f64]| model.predict(x),
                title,
                resolution,
                class_names: names,
            },
        )?;
        wrote(path, "the decision regions");
    }
    if let Some(path) = &args.loss_plot {
        plot::save(path, (760, 640), &curves(&report))?;
        wrote(path, "loss and accuracy per epoch");
    }
    Ok(())
}

/// Writes `--trace` of the general loop (if asked), one JSON line per epoch, epochs from 1.
fn write_trace(args: &Args, epochs: &[EpochRecord], what: &str) -> Result<()> {
    write_json_lines(
        args.trace.as_deref(),
        epochs.iter().map(|r| EpochTrace {
            epoch: r.epoch + 1,
            train_loss: r.train_loss,
            train_accuracy: r.train_accuracy,
            val_loss: r.val_loss,
            val_accuracy: r.val_accuracy,
            lr: r.lr,
        }),
        what,
    )
}

fn print_header(args: &Args, model: &MLP, data: &micrograd::data::Dataset, c: &FitConfig) {
    let widths: Vec<String> = model.nouts().iter().map(|n| n.to_string()).collect();
    let batch = if c.batch_size == 0 {
        "full batch".to_string()
    } else {
        format!("batch size {}", c.batch_size)
    };
    errln!(
        "training MLP({}, [{}]) ({} parameters) on {} ({} points, {} classes)",
        model.nin(),
        widths.join(", "),
        model.num_parameters(),
        args.data.display(),
        data.len(),
        data.n_classes()
    );
    let schedule = match c.schedule {
        LrSchedule::Constant => "constant".to_string(),
        LrSchedule::Linear { end_factor } => format!("linear to x{end_factor}"),
        LrSchedule::Cosine { min_lr } => format!("cosine to {min_lr}"),
        LrSchedule::Step { epochs, gamma } => format!("x{gamma} every {epochs} epochs"),
    };
    errln!(
        "loss {}, optimizer {:?}, lr {} ({schedule}), weight decay {}, L2 {}, dropout {}, {batch}, {} epochs, validation split {}{}{}",
        c.loss.name(),
        c.optimizer,
        c.lr,
        c.weight_decay,
        c.l2,
        c.dropout,
        c.epochs,
        c.val_split,
        c.patience.map_or(String::new(), |p| format!(", patience {p}")),
        c.clip.map_or(String::new(), |n| format!(", clip {n}")),
    );
}

/// Trains with a progress bar (stderr a terminal) or log lines on stderr (at most about 50, plus the
/// last), pushing each epoch's record to `records`; a signal stops training at the end of the epoch.
fn run_with_progress(
    model: &MLP,
    data: &micrograd::data::Dataset,
    config: &FitConfig,
    records: &mut Vec<EpochRecord>,
) -> Result<FitReport> {
    let epochs = config.epochs;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(epochs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let every = epochs.div_ceil(if bar.is_some() { 10 } else { 50 }).max(1);
    let result = fit_until(model, data, config, |r| {
        records.push(*r);
        let line = epoch_line(r, epochs);
        match &bar {
            Some(bar) => {
                if (r.epoch + 1) % every == 0 {
                    bar.println(&line);
                }
                bar.set_message(
                    line.split_once("  ")
                        .map_or(String::new(), |x| x.1.to_string()),
                );
                bar.inc(1);
            }
            None if r.epoch % every == 0 || r.epoch + 1 == epochs => errln!("{line}"),
            None => {}
        }
        if signals::stop_requested() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    if let Some(bar) = &bar {
        match result {
            Ok(_) => bar.finish(),
            Err(_) => bar.abandon(),
        }
    }
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
    let mut loss = vec![Series::line(
        "training loss",
        &pick(|r| Some(r.train_loss)),
        plot::PALETTE[0],
    )
    .from_x(1.0)];
    let mut acc = vec![Series::line(
        "training accuracy",
        &pick(|r| Some(r.train_accuracy * 100.0)),
        plot::PALETTE[0],
    )
    .from_x(1.0)];
    if report.sizes.1 > 0 {
        loss.push(
            Series::line("validation loss", &pick(|r| r.val_loss), plot::PALETTE[1]).from_x(1.0),
        );
        acc.push(
            Series::line(
                "validation accuracy",
                &pick(|r| r.val_accuracy.map(|a| a * 100.0)),
                plot::PALETTE[1],
            )
            .from_x(1.0),
        );
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
