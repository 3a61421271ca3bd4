//! `micrograd predict`: scores a CSV data set with a saved model and reports the accuracy. A model
//! with one output gives a score (> 0: the second class); one with k outputs the class of the largest
//! output (labels 0..k-1) and its softmax probability as the score.

use crate::csv_data::{self, Labels};
use crate::{errln, outln};
use anyhow::{bail, Result};
use micrograd::data::LabelEncoding;
use micrograd::nn::MLP;
use std::path::PathBuf;

/// Arguments of `micrograd predict`.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON), e.g. from `micrograd train --save`.
    #[arg(long, value_name = "M.json")]
    model: PathBuf,
    /// The data: CSV with a header and feature columns; with a last `label` column the accuracy is
    /// reported too.
    #[arg(long, value_name = "F.csv")]
    data: PathBuf,
    /// Print CSV (the input columns, then `score` and `predicted`) instead of a table.
    #[arg(long)]
    csv: bool,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    let model = crate::cmd::train::load_model(&args.model)?;
    let rows = csv_data::load_rows(&args.data, Labels::Optional)?;
    check_fit(&args, &model, &rows)?;
    let k = model.nout();
    // Predicted labels are written the way the file writes them (-1/+1 by default for a score,
    // 0..k-1 for k outputs).
    let encoding = rows.labelled.as_ref().map_or(
        if k == 1 {
            LabelEncoding::PlusMinusOne
        } else {
            LabelEncoding::ZeroBased
        },
        |l| l.encoding,
    );
    let (scores, classes) = predict(&model, &rows.features);
    let predicted: Vec<i64> = classes.iter().map(|&c| encoding.decode(c)).collect();
    let labels: Option<Vec<i64>> = rows.labelled.as_ref().map(|l| {
        l.dataset
            .labels()
            .iter()
            .map(|&c| encoding.decode(c))
            .collect()
    });
    print_table(&args, &rows, labels.as_deref(), &scores, &predicted)?;
    if let Some(l) = &labels {
        let correct = l.iter().zip(&predicted).filter(|(a, b)| a == b).count();
        let line = format!(
            "accuracy: {:.1}% ({correct} of {} points)",
            100.0 * correct as f64 / l.len() as f64,
            l.len()
        );
        if args.csv {
            errln!("{line}");
        } else {
            outln!("{line}")?;
        }
    }
    Ok(())
}

/// Refuses a model whose inputs are not the data's features, or whose outputs cannot name its
/// classes.
fn check_fit(args: &Args, model: &MLP, rows: &csv_data::CsvRows) -> Result<()> {
    let n_features = rows.feature_names.len();
    if model.nin() != n_features {
        bail!(
            "{} takes {} inputs but {} has {} feature columns",
            args.model.display(),
            model.nin(),
            args.data.display(),
            n_features
        );
    }
    let k = model.nout();
    if let Some(l) = &rows.labelled {
        let classes = l.dataset.n_classes();
        if k == 1 && classes != 2 {
            bail!(
                "{}: the labels have {} classes; a score separates 2 (-1/+1 or 0/1)",
                args.data.display(),
                classes
            );
        }
        if k > 1 && classes > k {
            bail!(
                "{}: the labels have {} classes but {} has {} outputs",
                args.data.display(),
                classes,
                args.model.display(),
                k
            );
        }
    }
    Ok(())
}

/// The score and the class of every row. One output: the score, > 0 meaning the second class. k
/// outputs: the class with the largest output, and its softmax probability as the score.
fn predict(model: &MLP, features: &[Vec<f64>]) -> (Vec<f64>, Vec<usize>) {
    features
        .iter()
        .map(|x| {
            let out = model.predict(x);
            if model.nout() == 1 {
                (out[0], usize::from(out[0] > 0.0))
            } else {
                let c = micrograd::train::argmax(&out);
                let z: f64 = out.iter().map(|&o| (o - out[c]).exp()).sum();
                (1.0 / z, c)
            }
        })
        .unzip()
}

/// Prints the rows with their label (if any), score and prediction: CSV with `--csv`, else a table
/// marking the wrong predictions.
fn print_table(
    args: &Args,
    rows: &csv_data::CsvRows,
    labels: Option<&[i64]>,
    scores: &[f64],
    predicted: &[i64],
) -> Result<()> {
    let mut header: Vec<String> = rows.feature_names.clone();
    if labels.is_some() {
        header.push("label".into());
    }
    header.push("score".into());
    header.push("predicted".into());
    if args.csv {
        outln!("{}", header.join(","))?;
    } else {
        let cells: Vec<String> = header.iter().map(|h| format!("{h:>12}")).collect();
        outln!("{:>5} {}", "#", cells.join(" "))?;
    }
    for (i, x) in rows.features.iter().enumerate() {
        if args.csv {
            let mut cells: Vec<String> = x.iter().map(|v| v.to_string()).collect();
            cells.extend(labels.map(|l| l[i].to_string()));
            cells.push(scores[i].to_string());
            cells.push(predicted[i].to_string());
            outln!("{}", cells.join(","))?;
        } else {
            let mut shown: Vec<String> = x.iter().map(|v| format!("{v:>12.6}")).collect();
            shown.extend(labels.map(|l| format!("{:>12}", l[i])));
            shown.push(format!("{:>12.6}", scores[i]));
            let mark = match labels {
                Some(l) if l[i] != predicted[i] => "  <- wrong",
                _ => "",
            };
            shown.push(format!("{:>12}{mark}", predicted[i]));
            outln!("{:>5} {}", i + 1, shown.join(" "))?;
        }
    }
    Ok(())
}
