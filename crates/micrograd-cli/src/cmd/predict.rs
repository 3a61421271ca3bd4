//! `micrograd predict`: scores a CSV data set with a saved model and reports the accuracy.

use crate::csv_data::{self, Labels};
use anyhow::{bail, Result};
use micrograd::data::LabelEncoding;
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
    if model.nout() != 1 {
        bail!(
            "{} has {} outputs; predict scores binary classifiers (1 output)",
            args.model.display(),
            model.nout()
        );
    }
    if let Some(l) = &rows.labelled {
        if l.dataset.n_classes() != 2 {
            bail!(
                "{}: the labels have {} classes; a score separates 2 (-1/+1 or 0/1)",
                args.data.display(),
                l.dataset.n_classes()
            );
        }
    }
    // Predicted labels are written the way the file writes them (-1/+1 by default).
    let encoding = rows
        .labelled
        .as_ref()
        .map_or(LabelEncoding::PlusMinusOne, |l| l.encoding);
    let scores: Vec<f64> = rows.features.iter().map(|x| model.predict(x)[0]).collect();
    let predicted: Vec<i64> = scores
        .iter()
        .map(|&s| encoding.decode(usize::from(s > 0.0)))
        .collect();
    let labels: Option<Vec<i64>> = rows.labelled.as_ref().map(|l| {
        l.dataset
            .labels()
            .iter()
            .map(|&c| encoding.decode(c))
            .collect()
    });

    let mut header: Vec<String> = rows.feature_names.clone();
    if labels.is_some() {
        header.push("label".into());
    }
    header.push("score".into());
    header.push("predicted".into());
    if args.csv {
        println!("{}", header.join(","));
    } else {
        let cells: Vec<String> = header.iter().map(|h| format!("{h:>12}")).collect();
        println!("{:>5} {}", "#", cells.join(" "));
    }
    for (i, x) in rows.features.iter().enumerate() {
        let mut cells: Vec<String> = x.iter().map(|v| v.to_string()).collect();
        if let Some(l) = &labels {
            cells.push(l[i].to_string());
        }
        cells.push(scores[i].to_string());
        cells.push(predicted[i].to_string());
        if args.csv {
            println!("{}", cells.join(","));
        } else {
            let mut shown: Vec<String> = x.iter().map(|v| format!("{v:>12.6}")).collect();
            if let Some(l) = &labels {
                shown.push(format!("{:>12}", l[i]));
            }
            shown.push(format!("{:>12.6}", scores[i]));
            let mark = match &labels {
                Some(l) if l[i] != predicted[i] => "  <- wrong",
                _ => "",
            };
            shown.push(format!("{:>12}{mark}", predicted[i]));
            println!("{:>5} {}", i + 1, shown.join(" "));
        }
    }
    if let Some(l) = &labels {
        let correct = l.iter().zip(&predicted).filter(|(a, b)| a == b).count();
        let line = format!(
            "accuracy: {:.1}% ({correct} of {} points)",
            100.0 * correct as f64 / l.len() as f64,
            l.len()
        );
        if args.csv {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    Ok(())
}
