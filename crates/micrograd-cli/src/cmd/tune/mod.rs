//! `micrograd tune`: hyperparameter search. Grid or random search over the learning rate, batch
//! size, hidden layers, weight decay, dropout and optimizer; every trial a full `fit`, scored on a
//! validation split or by k-fold cross-validation; optional successive halving; trials in parallel,
//! one per thread, each seeded from `--seed` and its index.
//!
//! - `space.rs`: the values of each hyperparameter and the trials drawn from them;
//! - `trial.rs`: running and scoring one trial, the sweep (with halving), its outcome per trial;
//! - this file: the flags, and the outputs (table, JSON lines, picture, the best model).

mod lr_finder;
mod plan;
mod space;
mod trial;

use crate::cmd::train::OptimizerName;
use crate::csv_data;
use crate::output::{write_atomic, wrote};
use crate::plot::{self, Chart, Series};
use crate::{errln, outln};
use anyhow::{bail, Context, Result};
use micrograd::train::LossKind;
use space::{parse_hidden, Space, Values};
use std::path::PathBuf;
pub use trial::{Outcome, TrialResult};

/// Arguments of `micrograd tune`.
#[derive(clap::Args)]
#[command(after_help = "\
Each hyperparameter takes a list (a,b,c) or a range (lo..hi, or lo..hi:log for a log scale).
Grid search (the default) tries every combination, a range as --grid-points values; random search
(--trials N) draws N combinations. Every trial trains a new model (hidden ReLU layers, a linear
output) with the general loop for --epochs epochs and is scored by its validation accuracy (then
loss) on --val-split of the data, or averaged over --folds K folds. A trial whose loss diverges is
recorded as diverged. The same command gives the same table.

Examples:
  micrograd tune --data moons.csv --lr 1e-3..1e-1:log --batch-size 16,64 --weight-decay 0,1e-4 \\
      --trials 24 --val-split 0.25 --seed 1 --plot tune.png --save-best best.json
  micrograd tune --data spirals.csv --optimizer sgd,adam --hidden 16-16,32-32 --folds 4 --halving
  micrograd tune lr --data moons.csv --plot lr.png     (the learning-rate range test)")]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<TuneCommand>,
    /// The data: CSV with a header, feature columns, then a `label` column.
    #[arg(long, value_name = "F.csv", required_unless_present_any = ["collect", "run_trial"])]
    data: Option<PathBuf>,
    /// Learning rates.
    #[arg(long, value_name = "VALUES", default_value = "1e-3..1e-1:log")]
    lr: String,
    /// Batch sizes; 0 = full batch.
    #[arg(long, value_name = "VALUES", default_value = "32")]
    batch_size: String,
    /// Hidden layer architectures, widths joined by `-`: 16-16,32.
    #[arg(long, value_name = "A,B,...", default_value = "16-16")]
    hidden: String,
    /// Weight decays.
    #[arg(long, value_name = "VALUES", default_value = "0")]
    weight_decay: String,
    /// Dropout probabilities, in [0, 1).
    #[arg(long, value_name = "VALUES", default_value = "0")]
    dropout: String,
    /// Optimizers: sgd, momentum, nesterov, adam, adamw.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        default_value = "adam"
    )]
    optimizer: Vec<OptimizerName>,
    /// Momenta of the momentum and nesterov optimizers [default: 0.9].
    #[arg(long, value_name = "VALUES")]
    momentum: Option<String>,
    /// Loss [default: hinge for 2 classes, ce otherwise].
    #[arg(long, value_name = "NAME")]
    loss: Option<LossKind>,
    /// Epochs of every trial (with --halving: of the trials that last).
    #[arg(long, value_name = "N", default_value_t = 20)]
    epochs: usize,
    /// Random search: this many trials drawn from the space (otherwise grid search).
    #[arg(long, value_name = "N")]
    trials: Option<usize>,
    /// Values per range in grid search.
    #[arg(long, value_name = "N", default_value_t = 3)]
    grid_points: usize,
    /// Fraction of the data held out for scoring, in (0, 1) [default: 0.25].
    #[arg(long, value_name = "F", conflicts_with = "folds")]
    val_split: Option<f64>,
    /// Score by K-fold cross-validation instead of a validation split.
    #[arg(long, value_name = "K")]
    folds: Option<usize>,
    /// Successive halving: all trials start with a small budget of epochs, and only the better half
    /// of each round goes on, with twice the epochs, up to --epochs.
    #[arg(long)]
    halving: bool,
    /// Seed of the random search, the split and every trial's seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Trials run at once, one per thread [default: the machine's cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Write every trial as a JSON line to this file.
    #[arg(long, value_name = "T.jsonl")]
    results: Option<PathBuf>,
    /// Draw validation accuracy against the learning rate to this PNG or SVG file.
    #[arg(long, value_name = "P.png")]
    plot: Option<PathBuf>,
    /// Retrain the best trial's settings on the whole training split and save the model (JSON).
    #[arg(long, value_name = "M.json", conflicts_with = "collect")]
    save_best: Option<PathBuf>,
    /// Write the trials to this file (one JSON line each) instead of running them; with
    /// --run-trial or --collect, the plan to read.
    #[arg(long, value_name = "P.jsonl")]
    plan: Option<PathBuf>,
    /// Run trial K of --plan and write its result to --out DIR/trial-K.json.
    #[arg(long, value_name = "K", requires_all = ["plan", "out"])]
    run_trial: Option<usize>,
    /// The folder --run-trial writes its result to.
    #[arg(long, value_name = "DIR", requires = "run_trial")]
    out: Option<PathBuf>,
    /// Merge the results in DIR (trial-K.json files; with --plan, every planned trial's) into the
    /// table, --results and --plot.
    #[arg(long, value_name = "DIR", conflicts_with = "run_trial")]
    collect: Option<PathBuf>,
}

/// `micrograd tune`'s subcommands.
#[derive(clap::Subcommand)]
enum TuneCommand {
    /// Smith's learning-rate range test: the loss while the rate grows exponentially, and a
    /// suggested rate.
    Lr(lr_finder::LrArgs),
}

fn positive(x: f64) -> Option<&'static str> {
    (x <= 0.0).then_some("must be > 0")
}

fn non_negative(x: f64) -> Option<&'static str> {
    (x < 0.0).then_some("must be >= 0")
}

fn fraction(x: f64) -> Option<&'static str> {
    (!(0.0..1.0).contains(&x)).then_some("must be in [0, 1)")
}

fn whole(x: f64) -> Option<&'static str> {
    (x < 0.0 || x.fract() != 0.0).then_some("must be a whole number >= 0")
}

/// The search space from the flags, checked.
fn space(a: &Args) -> Result<Space> {
    let space = Space {
        lr: Values::parse("lr", &a.lr, positive)?,
        batch_size: Values::parse("batch-size", &a.batch_size, whole)?,
        hidden: parse_hidden(&a.hidden)?,
        weight_decay: Values::parse("weight-decay", &a.weight_decay, non_negative)?,
        dropout: Values::parse("dropout", &a.dropout, fraction)?,
        optimizers: a.optimizer.clone(),
        momentum: a
            .momentum
            .as_deref()
            .map(|m| Values::parse("momentum", m, fraction))
            .transpose()?,
    };
    space.check()?;
    Ok(space)
}

/// `--data`, a CSV file; `digits`, `mnist:DIR` or `images:DIR` (train's other sources), where no
/// such file exists, is named as what tune does not read rather than as a missing file.
pub(crate) fn load_csv(path: &std::path::Path) -> Result<micrograd::data::Dataset> {
    let text = path.to_string_lossy();
    let other = text == "digits" || text.starts_with("mnist:") || text.starts_with("images:");
    if other && !path.exists() {
        bail!(
            "--data {}: tune reads a CSV file (digits, mnist:DIR and images:DIR are train's)",
            crate::excerpt::excerpt(&text, crate::excerpt::MAX_CHARS)
        );
    }
    Ok(csv_data::load(path)?.dataset)
}

/// The most trials a sweep (a grid or --trials) may have.
const MAX_TRIALS: usize = 100_000;

/// Runs `micrograd tune`.
pub fn run(mut a: Args) -> Result<()> {
    if let Some(TuneCommand::Lr(lr)) = a.command.take() {
        return lr_finder::run(lr);
    }
    check_paths(&a)?;
    if let Some(dir) = &a.collect {
        let results = plan::collect(dir, a.plan.as_deref())?;
        return report(&a, &results, None);
    }
    if let (Some(k), Some(plan), Some(out)) = (a.run_trial, &a.plan, &a.out) {
        return plan::run_trial(plan, k, out);
    }
    let space = space(&a)?;
    if a.trials == Some(0) {
        bail!("--trials must be at least 1");
    }
    if a.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if a.grid_points == 0 {
        bail!("--grid-points must be at least 1");
    }
    // Counted before any trial is made: a grid or a --trials of billions would not fit in memory.
    if let Some(n) = a.trials.filter(|&n| n > MAX_TRIALS) {
        bail!("--trials {n}: at most {MAX_TRIALS} trials");
    }
    let combinations = space.grid_len(a.grid_points);
    if a.trials.is_none() && combinations > MAX_TRIALS as u128 {
        bail!(
            "the grid has {combinations} combinations; use fewer values or random search (--trials N)"
        );
    }
    let trials = match a.trials {
        Some(n) => space.random(n, a.seed),
        None => space.grid(a.grid_points),
    };
    let data_path = a.data.as_ref().context("--data is required")?;
    let data = load_csv(data_path)?;
    let loss = space::loss_for(a.loss, &data);
    let folds = trial::Folds::new(&data, a.val_split, a.folds, a.seed)?;
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let sweep = trial::Sweep {
        data: &data,
        loss,
        folds: &folds,
        epochs: a.epochs,
        seed: a.seed,
        halving: a.halving,
    };
    if let Some(path) = &a.plan {
        if a.halving {
            bail!("--halving cannot be planned (its rounds depend on the results): run it in one process");
        }
        let settings = plan::Settings {
            data: data_path.clone(),
            loss: loss.name().into(),
            epochs: a.epochs,
            val_split: a.val_split,
            folds: a.folds,
            seed: a.seed,
        };
        return plan::write_plan(path, &settings, &trials);
    }
    let results = sweep.run(&trials, jobs)?;
    report(&a, &results, Some(&sweep))
}

/// Refuses, before any work, an output that cannot be written or that is an input (`--data`, or
/// `--plan` when it is read) or another output. `--plan` is an output unless `--collect` or
/// `--run-trial` reads it.
fn check_paths(a: &Args) -> Result<()> {
    let reads_plan = a.collect.is_some() || a.run_trial.is_some();
    let mut inputs = Vec::new();
    if let Some(data) = &a.data {
        inputs.push(("--data", data.as_path()));
    }
    let mut outputs = vec![
        ("--results", &a.results),
        ("--plot", &a.plot),
        ("--save-best", &a.save_best),
    ];
    match (&a.plan, reads_plan) {
        (Some(plan), true) => inputs.push(("--plan", plan.as_path())),
        _ => outputs.push(("--plan", &a.plan)),
    }
    crate::output::check_outputs(&inputs, &outputs)
}

/// The outputs of a sweep: the table, `--results`, `--plot` and (in one process) `--save-best`.
fn report(a: &Args, results: &[TrialResult], sweep: Option<&trial::Sweep<'_>>) -> Result<()> {
    print_table(results)?;
    if let Some(path) = &a.results {
        write_atomic(path, |w| {
            for r in results {
                serde_json::to_writer(&mut *w, r)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })?;
        wrote(path, &format!("{} trials", results.len()));
    }
    if let Some(path) = &a.plot {
        draw(path, results)?;
    }
    if let (Some(path), Some(sweep)) = (&a.save_best, sweep) {
        let best = trial::ranked(results)
            .into_iter()
            .find(|r| r.outcome != Outcome::Diverged)
            .context("every trial diverged: no model to save")?;
        let model = sweep.retrain(best)?;
        let json = model.to_json();
        write_atomic(path, |w| Ok(w.write_all(json.as_bytes())?))?;
        wrote(
            path,
            &format!("the best trial's model (trial {}), retrained", best.trial),
        );
    }
    Ok(())
}

fn fmt_score(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The results sorted by validation score, best first.
fn print_table(results: &[TrialResult]) -> Result<()> {
    outln!(
        "{:>4} {:>5}  {:>8}  {:>9}  {:>6}  {:>9}  {:>5}  {:>8}  {:>5}  {:<9}  {}",
        "rank",
        "trial",
        "val acc",
        "val loss",
        "epochs",
        "lr",
        "batch",
        "w decay",
        "drop",
        "optimizer",
        "hidden"
    )?;
    for (k, r) in trial::ranked(results).into_iter().enumerate() {
        let p = &r.params;
        let opt = match p.momentum {
            Some(m) => format!("{}({m})", p.optimizer),
            None => p.optimizer.clone(),
        };
        let hidden: Vec<String> = p.hidden.iter().map(|h| h.to_string()).collect();
        let outcome = match r.outcome {
            Outcome::Done => String::new(),
            o => format!("  {}", o.name()),
        };
        outln!(
            "{:>4} {:>5}  {:>8}  {:>9}  {:>6}  {:>9.3e}  {:>5}  {:>8}  {:>5}  {:<9}  {}{outcome}",
            k + 1,
            r.trial,
            fmt_score(r.val_accuracy),
            r.val_loss.map_or("-".into(), |l| format!("{l:.4}")),
            r.epochs,
            p.lr,
            p.batch_size,
            p.weight_decay,
            p.dropout,
            opt,
            hidden.join("-"),
        )?;
    }
    Ok(())
}

/// Validation accuracy against log10 of the learning rate, one series of dots per optimizer.
fn draw(path: &std::path::Path, results: &[TrialResult]) -> Result<()> {
    let mut names: Vec<&str> = results
        .iter()
        .map(|r| r.params.optimizer.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let series = names
        .iter()
        .enumerate()
        .map(|(k, &name)| {
            let mut s = Series::dots(name, &[], plot::class_color(k));
            s.points = results
                .iter()
                .filter(|r| r.params.optimizer == name)
                .filter_map(|r| r.val_accuracy.map(|a| (r.params.lr.log10(), a * 100.0)))
                .collect();
            s.width(4)
        })
        .collect();
    let chart = Chart {
        title: format!(
            "{} trials: validation accuracy against learning rate",
            results.len()
        ),
        x_label: "log10(learning rate)".into(),
        y_label: "validation accuracy (%)".into(),
        series,
        legend_bottom: true,
        ..Chart::default()
    };
    plot::save(path, (800, 500), &chart)?;
    wrote(path, "the score against the learning rate");
    let diverged = results
        .iter()
        .filter(|r| r.outcome == Outcome::Diverged)
        .count();
    if diverged > 0 {
        errln!("({diverged} diverged trials have no score and are not drawn)");
    }
    Ok(())
}
