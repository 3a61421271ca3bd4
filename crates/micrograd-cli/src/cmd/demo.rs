//! `micrograd demo`: micrograd's `demo.ipynb`, reproduced number for number.
//!
//! Trains `MLP(2, [16, 16, 1])` from micrograd's own initial weights on the notebook's 100 moons points
//! (both shipped inside the binary), prints every step, checks each against micrograd's published
//! trace, and draws the decision boundary and the training curves.

use crate::outln;
use crate::output::wrote;
use crate::plot::{self, Chart, Charts, Regions, Series};
use anyhow::{bail, Context, Result};
use micrograd::data::Dataset;
use micrograd::nn::{Module, MLP};
use micrograd::train::{train, StepRecord, TrainConfig};
use std::path::PathBuf;

/// The notebook's data: `make_moons(n_samples=100, noise=0.1)` after seeding with 1337, labels ±1.
pub const MOONS_CSV: &str = include_str!("../../../micrograd/tests/fixtures/moons_demo.csv");
/// micrograd's initial weights for `MLP(2, [16, 16, 1])` in the notebook run.
pub const MOONS_INIT: &str = include_str!("../../../micrograd/tests/fixtures/moons_demo_init.json");
/// micrograd's loss and accuracy at each of the 100 steps.
pub const MOONS_TRACE: &str =
    include_str!("../../../micrograd/tests/fixtures/moons_demo_trace.json");

/// How close the port must be to micrograd to call it a match.
const TOLERANCE: f64 = 1e-9;

/// Arguments of `micrograd demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Folder for moons.png and loss.png (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

/// One step of micrograd's published trace.
#[derive(serde::Deserialize)]
struct TraceRow {
    step: usize,
    loss: f64,
    accuracy: f64,
}

fn percent(a: f64) -> String {
    format!("{:.0}%", a * 100.0)
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    if args.out.exists() && !args.out.is_dir() {
        bail!("--out {}: not a folder", args.out.display());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the folder {}", args.out.display()))?;

    let data = crate::csv_data::parse(
        MOONS_CSV,
        "moons_demo.csv",
        crate::csv_data::Labels::Required,
    )?
    .labelled
    .expect("the demo data has labels")
    .dataset;
    let model = MLP::from_json(MOONS_INIT).context("moons_demo_init.json")?;
    let reference: Vec<TraceRow> =
        serde_json::from_str(MOONS_TRACE).context("moons_demo_trace.json")?;
    let config = TrainConfig::default();
    print_intro(&model, &data, &config)?;
    let (records, check) = train_and_compare(&model, &data, &config, &reference)?;
    let matched = print_verdict(&records, &check)?;
    draw(&args, &model, &data, &records, &reference)?;
    if !matched {
        bail!("the run does not match micrograd's trace to {TOLERANCE:e}");
    }
    Ok(())
}

/// How a run compares with micrograd's trace: the largest relative difference in loss (and its
/// step), and the steps whose accuracy differs.
struct Comparison {
    worst: (f64, usize),
    accuracy_mismatches: Vec<usize>,
}

fn print_intro(model: &MLP, data: &Dataset, config: &TrainConfig) -> Result<()> {
    outln!("micrograd's moons demo, in Rust")?;
    outln!(
        "  MLP(2, [16, 16, 1]): ReLU, ReLU, linear; {} parameters, from micrograd's own initial weights",
        model.num_parameters()
    )?;
    outln!(
        "  data: {} moons points; loss: SVM max-margin + {} * L2; SGD for {} steps, learning rate {} -> {}",
        data.len(),
        config.alpha,
        config.steps,
        config.lr_start,
        config.lr_end
    )?;
    outln!("  every step is checked against micrograd's own run (Python, micrograd 0.1.0)\n")?;
    outln!(
        "{:>4}  {:<20} {:>8}   {:<20} {:>8}  {:>9}",
        "step",
        "loss",
        "accuracy",
        "micrograd loss",
        "accuracy",
        "rel. diff"
    )
}

/// Trains, printing every step beside micrograd's and comparing the two.
fn train_and_compare(
    model: &MLP,
    data: &Dataset,
    config: &TrainConfig,
    reference: &[TraceRow],
) -> Result<(Vec<StepRecord>, Comparison)> {
    let mut check = Comparison {
        worst: (0.0, 0),
        accuracy_mismatches: Vec::new(),
    };
    let mut print_error = None;
    let records = train(model, data, config, |r: &StepRecord| {
        let reference = reference.get(r.step);
        let (ref_loss, ref_acc) = reference.map_or((f64::NAN, f64::NAN), |t| (t.loss, t.accuracy));
        let rel = (r.loss - ref_loss).abs() / ref_loss.abs();
        if rel > check.worst.0 || rel.is_nan() {
            check.worst = (rel, r.step);
        }
        if r.accuracy != ref_acc || reference.map_or(true, |t| t.step != r.step) {
            check.accuracy_mismatches.push(r.step);
        }
        if let Err(e) = outln!(
            "{:>4}  {:<20} {:>8}   {:<20} {:>8}  {:>9}",
            r.step,
            r.loss,
            percent(r.accuracy),
            ref_loss,
            percent(ref_acc),
            if rel == 0.0 {
                "0".to_string()
            } else {
                format!("{rel:.1e}")
            }
        ) {
            print_error.get_or_insert(e);
        }
    })?;
    match print_error {
        Some(e) => Err(e),
        None => Ok((records, check)),
    }
}

/// Prints whether the run matches micrograd's, and the final loss and accuracy; returns whether
/// it matches.
fn print_verdict(records: &[StepRecord], check: &Comparison) -> Result<bool> {
    let last = records.last().expect("100 steps");
    outln!()?;
    let (worst, accuracy_mismatches) = (check.worst, &check.accuracy_mismatches);
    let matched = worst.0 <= TOLERANCE && accuracy_mismatches.is_empty();
    if matched {
        outln!(
            "Matches micrograd: all {} steps agree; the largest relative difference in loss is {:.1e} (step {}), \
             accuracy is identical at every step.",
            records.len(),
            worst.0,
            worst.1
        )?;
        outln!(
            "(Both do the same arithmetic in float64; they differ only in the order some gradient contributions are added up.)"
        )?;
    } else {
        outln!(
            "DOES NOT MATCH micrograd: largest relative difference in loss {:.1e} (step {}); accuracy differs at steps {:?}",
            worst.0, worst.1, accuracy_mismatches
        )?;
    }
    outln!(
        "Final: loss {:.6}, accuracy {}.\n",
        last.loss,
        percent(last.accuracy)
    )?;
    Ok(matched)
}

/// Draws moons.png (the decision boundary) and loss.png (ours and micrograd's curves) in `--out`.
fn draw(
    args: &Args,
    model: &MLP,
    data: &Dataset,
    records: &[StepRecord],
    reference: &[TraceRow],
) -> Result<()> {
    let last = records.last().expect("100 steps");
    let moons_png = args.out.join("moons.png");
    let loss_png = args.out.join("loss.png");
    plot::save(
        &moons_png,
        (760, 640),
        &Regions {
            data,
            outputs: |x: &[f64]| model.predict(x),
            title: format!(
                "moons: decision boundary after {} steps (accuracy {})",
                records.len(),
                percent(last.accuracy)
            ),
            resolution: 200,
            class_names: vec!["-1".into(), "+1".into()],
        },
    )?;
    plot::save(&loss_png, (760, 640), &curves(records, reference))?;
    wrote(&moons_png, "the decision boundary");
    wrote(&loss_png, "loss and accuracy, ours and micrograd's");
    Ok(())
}

/// Our loss and accuracy curves beside micrograd's.
fn curves(records: &[StepRecord], reference: &[TraceRow]) -> Charts {
    let ours_loss: Vec<f64> = records.iter().map(|r| r.loss).collect();
    let ours_acc: Vec<f64> = records.iter().map(|r| r.accuracy * 100.0).collect();
    let ref_loss: Vec<f64> = reference.iter().map(|t| t.loss).collect();
    let ref_acc: Vec<f64> = reference.iter().map(|t| t.accuracy * 100.0).collect();
    let curves = |title: &str, y_label: &str, ours: &[f64], theirs: &[f64], colour| Chart {
        title: title.into(),
        x_label: "step".into(),
        y_label: y_label.into(),
        series: vec![
            Series::line("ours (Rust)", ours, colour),
            Series::dots("micrograd (Python)", theirs, plot::GRAY),
        ],
        ..Chart::default()
    };
    Charts(vec![
        Chart {
            log_y: true,
            ..curves(
                "loss (SVM max-margin + L2)",
                "loss (log scale)",
                &ours_loss,
                &ref_loss,
                plot::PALETTE[0],
            )
        },
        Chart {
            y_range: Some((40.0, 102.0)),
            legend_bottom: true,
            ..curves(
                "training accuracy",
                "accuracy (%)",
                &ours_acc,
                &ref_acc,
                plot::PALETTE[1],
            )
        },
    ])
}
