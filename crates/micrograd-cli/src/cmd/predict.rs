//! `micrograd predict`: scores a data set (CSV, digits, MNIST's test files, a folder of images) with
//! a saved model (an MLP or an `--arch` model, with the preprocessing it was trained with) and
//! reports the accuracy and the confusion matrix. A model with one output gives a score (> 0: the
//! second class); one with k outputs the class of the largest output (labels 0..k-1) and its softmax
//! probability as the score.

use crate::csv_data::{self, Labels};
use crate::data_source::{self, DataArgs, DataSource, Loaded, Role};
use crate::network::{self, Network, Saved};
use crate::output::{check_outputs, wrote};
use crate::plot::{self, Confusion, ImageGrid, Scale, Tile};
use crate::{errln, outln};
use anyhow::{anyhow, bail, Result};
use micrograd::data::LabelEncoding;
use micrograd::preprocess::train_test_split;
use micrograd::train::confusion_counts;
use std::path::{Path, PathBuf};

/// Arguments of `micrograd predict`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  micrograd predict --model model.json --data points.csv
  micrograd predict --model cnn.json --data digits --test-split 0.2 --seed 1 --summary \\
      --confusion confusion.png --misclassified wrong.png")]
pub struct Args {
    /// The model file (JSON), e.g. from `micrograd train --save`.
    #[arg(long, value_name = "M.json")]
    model: PathBuf,
    #[command(flatten)]
    source: DataArgs,
    /// Score only the rows `train --test-split F --seed S` held out (the same F and S): its test set.
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    test_split: Option<f64>,
    /// The seed of --test-split, as given to `train` [default: 1337, train's].
    #[arg(
        long,
        value_name = "S",
        default_value_t = 1337,
        requires = "test_split"
    )]
    seed: u64,
    /// Print CSV (the input columns, then `score` and `predicted`) instead of a table.
    #[arg(long, conflicts_with = "summary")]
    csv: bool,
    /// Print only the accuracy and the confusion matrix, not a line per example.
    #[arg(long)]
    summary: bool,
    /// Draw the confusion matrix (rows: true classes, columns: predicted) to this PNG or SVG file.
    #[arg(long, value_name = "C.png")]
    confusion: Option<PathBuf>,
    /// Draw the misclassified images (up to 64), each with its predicted class and, in brackets,
    /// its true one, to this PNG or SVG file (image data only).
    #[arg(long, value_name = "W.png")]
    misclassified: Option<PathBuf>,
    /// Draw the first 32 images with their predicted classes (a wrong one in red, the true class in
    /// brackets) to this PNG or SVG file (image data only).
    #[arg(long, value_name = "S.png")]
    samples: Option<PathBuf>,
}

/// The examples scored: their features as read, and their labels if the data has them.
struct Examples {
    /// The rows as read (before the model's preprocessing).
    features: Vec<Vec<f64>>,
    /// The labelled data (shape, class names, encoding), if the data has labels.
    labelled: Option<Loaded>,
    /// The CSV's column names, printed with the rows (images print no pixels).
    feature_names: Option<Vec<String>>,
}

/// What the model said about every example.
struct Predictions {
    scores: Vec<f64>,
    classes: Vec<usize>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    check_args(&args)?;
    let saved = network::load(&args.model)?;
    let examples = examples(&args)?;
    check_fit(&args, &saved.network, &examples)?;
    let predictions = predict(&saved, &examples.features);
    let Some(labelled) = &examples.labelled else {
        return print_table(
            &args,
            &examples,
            &predictions,
            default_encoding(&saved.network),
        );
    };
    if !args.summary {
        print_table(&args, &examples, &predictions, labelled.encoding)?;
    }
    let labels = labelled.data.labels();
    let correct = labels
        .iter()
        .zip(&predictions.classes)
        .filter(|(a, b)| a == b)
        .count();
    let line = format!(
        "accuracy: {:.2}% ({correct} of {} examples)",
        100.0 * correct as f64 / labels.len() as f64,
        labels.len()
    );
    let names = class_names(labelled, saved.network.output_len());
    let counts = confusion_counts(labels, &predictions.classes, names.len());
    let matrix = confusion_text(&counts, &names);
    if args.csv {
        errln!("{line}\n{matrix}");
    } else {
        outln!("{line}\n{matrix}")?;
    }
    draw(&args, labelled, &predictions, counts, names, &line)
}

/// Refuses, before anything is read: outputs that collide with the inputs or each other, picture
/// names that are neither PNG nor SVG.
fn check_args(args: &Args) -> Result<()> {
    let mut inputs: Vec<(&str, &Path)> = data_source::input(&args.source).into_iter().collect();
    inputs.push(("--model", &args.model));
    let pictures = [
        ("--confusion", &args.confusion),
        ("--misclassified", &args.misclassified),
        ("--samples", &args.samples),
    ];
    check_outputs(&inputs, &pictures)?;
    for (flag, path) in pictures {
        if let Some(p) = path {
            plot::is_svg(p).map_err(|e| anyhow!("{flag}: {e}"))?;
        }
    }
    Ok(())
}

/// How predicted labels are written for data without labels: -1/+1 for a score, 0..k-1 for k
/// outputs.
fn default_encoding(network: &Network) -> LabelEncoding {
    if network.output_len() == 1 {
        LabelEncoding::PlusMinusOne
    } else {
        LabelEncoding::ZeroBased
    }
}

/// Reads `--data` (a CSV file may lack labels) and keeps `--test-split`'s rows.
fn examples(args: &Args) -> Result<Examples> {
    let all = match &args.source.data {
        DataSource::Csv(path) if args.source.resize.is_none() && !args.source.grayscale => {
            let rows = csv_data::load_rows(path, Labels::Optional)?;
            Examples {
                features: rows.features,
                labelled: rows.labelled.map(Loaded::from),
                feature_names: Some(rows.feature_names),
            }
        }
        _ => {
            let loaded = args.source.load(Role::Predict)?;
            Examples {
                features: loaded.data.features().to_vec(),
                labelled: Some(loaded),
                feature_names: None,
            }
        }
    };
    let Some(f) = args.test_split else {
        return Ok(all);
    };
    let Some(labelled) = &all.labelled else {
        bail!(
            "--test-split: {} has no labels to split by",
            args.source.name()
        );
    };
    let split = train_test_split(&labelled.data, f, args.seed)
        .map_err(|e| anyhow!("--test-split {f}: {}", e.message))?;
    Ok(Examples {
        features: split.test.features().to_vec(),
        labelled: Some(labelled.with_data(split.test)),
        feature_names: all.feature_names,
    })
}

/// Refuses, before anything is printed or drawn: a model whose inputs are not the data's features
/// (or, for images, not their shape), or whose outputs cannot name its classes; pictures of data
/// without labels, and `--misclassified`/`--samples` of data that is not images.
fn check_fit(args: &Args, model: &Network, examples: &Examples) -> Result<()> {
    let grids = args.misclassified.is_some() || args.samples.is_some();
    match &examples.labelled {
        None if grids || args.confusion.is_some() => bail!(
            "--confusion, --misclassified and --samples need labels; {} has no label column",
            args.source.name()
        ),
        Some(l) if grids && !l.is_image => bail!(
            "--misclassified and --samples draw images; {} is not image data",
            args.source.name()
        ),
        _ => {}
    }
    let n_features = examples.features[0].len();
    let shape = examples.labelled.as_ref().map(|l| l.shape);
    let image_mismatch = matches!(model, Network::Sequential(_))
        && shape.is_some_and(|s| !s.is_flat() && s != model.input_shape());
    if model.input_len() != n_features && examples.feature_names.is_some() {
        bail!(
            "{} takes {} inputs but {} has {n_features} feature columns",
            args.model.display(),
            model.input_len(),
            args.source.name(),
        );
    }
    if model.input_len() != n_features || image_mismatch {
        bail!(
            "{} takes inputs of shape {} ({} values) but {} has {} ({} values)",
            args.model.display(),
            model.input_shape(),
            model.input_len(),
            args.source.name(),
            shape.map_or(n_features.to_string(), |s| s.to_string()),
            n_features
        );
    }
    let k = model.output_len();
    if let Some(l) = &examples.labelled {
        let classes = l.data.n_classes();
        if k == 1 && classes != 2 {
            bail!(
                "{}: the labels have {classes} classes; a score separates 2 (-1/+1 or 0/1)",
                args.source.name()
            );
        }
        if k > 1 && classes > k {
            bail!(
                "{}: the labels have {classes} classes but {} has {k} outputs (a label outside the model's classes 0..{})",
                args.source.name(),
                args.model.display(),
                k - 1
            );
        }
    }
    Ok(())
}

/// The score and the class of every row, its preprocessing applied first. One output: the score,
/// positive meaning the second class. k outputs: the class with the largest output, and its
/// softmax probability as the score.
fn predict(saved: &Saved, features: &[Vec<f64>]) -> Predictions {
    let (scores, classes) = features
        .iter()
        .map(|x| {
            let out = match &saved.preprocess {
                Some(p) => saved.network.predict(&p.transform_row(x)),
                None => saved.network.predict(x),
            };
            if out.len() == 1 {
                (out[0], usize::from(out[0] > 0.0))
            } else {
                let c = micrograd::train::argmax(&out);
                let z: f64 = out.iter().map(|&o| (o - out[c]).exp()).sum();
                (1.0 / z, c)
            }
        })
        .unzip();
    Predictions { scores, classes }
}

/// A name per class the data or the model knows: the data's names, then the labels of the model's
/// further outputs.
fn class_names(labelled: &Loaded, outputs: usize) -> Vec<String> {
    let k = labelled.data.n_classes().max(outputs.max(2));
    (0..k)
        .map(|c| {
            labelled
                .class_names
                .get(c)
                .cloned()
                .unwrap_or_else(|| labelled.encoding.decode(c).to_string())
        })
        .collect()
}

/// The confusion matrix as text: a header of predicted classes, a row per true class.
fn confusion_text(counts: &[Vec<usize>], names: &[String]) -> String {
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .chain(counts.iter().flatten().map(|c| c.to_string().len()))
        .max()
        .unwrap_or(1)
        .max(4);
    let mut out = format!(
        "confusion matrix (rows: true class, columns: predicted)\n{:>width$}",
        ""
    );
    for n in names {
        out += &format!(" {n:>width$}");
    }
    for (name, row) in names.iter().zip(counts) {
        out += &format!("\n{name:>width$}");
        for c in row {
            out += &format!(" {c:>width$}");
        }
    }
    out
}

/// Writes `--confusion`, `--misclassified` and `--samples`.
fn draw(
    args: &Args,
    labelled: &Loaded,
    predictions: &Predictions,
    counts: Vec<Vec<usize>>,
    class_names: Vec<String>,
    accuracy: &str,
) -> Result<()> {
    if let Some(path) = &args.confusion {
        let figure = Confusion {
            title: format!("{}: {accuracy}", args.source.name()),
            counts,
            class_names: class_names.clone(),
        };
        plot::save(path, figure.size(), &figure)?;
        wrote(path, "the confusion matrix");
    }
    draw_grids(args, labelled, predictions, &class_names)
}

/// Writes `--misclassified` and `--samples`.
fn draw_grids(
    args: &Args,
    labelled: &Loaded,
    predictions: &Predictions,
    class_names: &[String],
) -> Result<()> {
    if args.misclassified.is_none() && args.samples.is_none() {
        return Ok(());
    }
    if !labelled.is_image {
        bail!(
            "--misclassified and --samples draw images; {} is not image data",
            args.source.name()
        );
    }
    let labels = labelled.data.labels();
    let wrong: Vec<usize> = (0..labels.len())
        .filter(|&i| predictions.classes[i] != labels[i])
        .collect();
    let first: Vec<usize> = (0..labels.len().min(SAMPLES)).collect();
    for (path, rows, title, what) in [
        (
            &args.misclassified,
            &wrong,
            format!("{} misclassified: predicted (true)", wrong.len()),
            "the misclassified images",
        ),
        (
            &args.samples,
            &first,
            format!("the first {} examples: predicted (true)", first.len()),
            "sample predictions",
        ),
    ] {
        let Some(path) = path else { continue };
        let grid = ImageGrid {
            title,
            shape: labelled.shape,
            tiles: rows
                .iter()
                .take(MAX_TILES)
                .map(|&i| tile(labelled, predictions, class_names, i))
                .collect(),
            columns: 8,
            scale: Scale::Unit,
        };
        plot::save(path, grid.size(), &grid)?;
        wrote(path, what);
    }
    Ok(())
}

/// The most images a grid shows.
const MAX_TILES: usize = 64;
/// The images `--samples` shows.
const SAMPLES: usize = 32;

/// Example `i` as a tile: `3` under a right prediction, `8 (3)` in red under a wrong one (the
/// prediction, then the true class).
fn tile(labelled: &Loaded, predictions: &Predictions, names: &[String], i: usize) -> Tile {
    let (truth, predicted) = (labelled.data.labels()[i], predictions.classes[i]);
    let caption = if truth == predicted {
        names[predicted].clone()
    } else {
        format!("{} ({})", names[predicted], names[truth])
    };
    Tile {
        pixels: labelled.data.row(i).to_vec(),
        caption,
        alert: truth != predicted,
    }
}

/// Prints the rows with their label (if any), score and prediction: CSV with `--csv`, else a table
/// marking the wrong predictions. Images are printed without their pixels.
fn print_table(
    args: &Args,
    examples: &Examples,
    predictions: &Predictions,
    encoding: LabelEncoding,
) -> Result<()> {
    let no_names = Vec::new();
    let names = examples.feature_names.as_ref().unwrap_or(&no_names);
    let labels: Option<Vec<i64>> = examples.labelled.as_ref().map(|l| {
        l.data
            .labels()
            .iter()
            .map(|&c| encoding.decode(c))
            .collect()
    });
    let predicted: Vec<i64> = predictions
        .classes
        .iter()
        .map(|&c| encoding.decode(c))
        .collect();
    let mut header: Vec<String> = names.clone();
    if labels.is_some() {
        header.push("label".into());
    }
    header.extend(["score".into(), "predicted".into()]);
    if args.csv {
        outln!("{}", header.join(","))?;
    } else {
        let cells: Vec<String> = header.iter().map(|h| format!("{h:>12}")).collect();
        outln!("{:>5} {}", "#", cells.join(" "))?;
    }
    for (i, x) in examples.features.iter().enumerate() {
        let x = if names.is_empty() { &[][..] } else { &x[..] };
        let label = labels.as_ref().map(|l| l[i]);
        let (score, p) = (predictions.scores[i], predicted[i]);
        if args.csv {
            let mut cells: Vec<String> = x.iter().map(|v| v.to_string()).collect();
            cells.extend(label.map(|l| l.to_string()));
            cells.extend([score.to_string(), p.to_string()]);
            outln!("{}", cells.join(","))?;
        } else {
            let mut shown: Vec<String> = x.iter().map(|v| format!("{v:>12.6}")).collect();
            shown.extend(label.map(|l| format!("{l:>12}")));
            shown.push(format!("{score:>12.6}"));
            let mark = if label.is_some_and(|l| l != p) {
                "  <- wrong"
            } else {
                ""
            };
            shown.push(format!("{p:>12}{mark}"));
            outln!("{:>5} {}", i + 1, shown.join(" "))?;
        }
    }
    Ok(())
}
