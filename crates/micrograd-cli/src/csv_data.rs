//! Reading data sets from CSV files.
//!
//! The layout: a header row, then one row per point: the feature columns, then a last column named
//! `label`. Labels are `-1`/`+1`, or classes `0, 1, ..., k-1` (so `0`/`1` for two classes); see
//! [`micrograd::data::encode_labels`]. Spaces around fields are ignored and blank lines skipped.
//! Every error names the file, the line and (for a bad number) the column.

use crate::excerpt::excerpt;
use anyhow::{bail, Context, Result};
use micrograd::data::{encode_labels, Dataset, LabelEncoding};
use std::path::Path;

/// The most characters of a field or column name an error message shows.
const FIELD_CHARS: usize = 80;

/// A data set read from CSV.
#[derive(Debug)]
pub struct CsvData {
    /// The points and their classes.
    pub dataset: Dataset,
    /// How the labels were written (to write predictions the same way).
    pub encoding: LabelEncoding,
}

/// Whether the last column must be `label`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    /// The file must have a `label` column.
    Required,
    /// If the last column is not named `label`, every column is a feature (and all labels read as 0).
    Optional,
}

/// A data set read from CSV, possibly without labels.
#[derive(Debug)]
pub struct CsvRows {
    /// The feature rows.
    pub features: Vec<Vec<f64>>,
    /// The labelled data, if the file has a `label` column.
    pub labelled: Option<CsvData>,
    /// The feature column names from the header.
    pub feature_names: Vec<String>,
}

/// Reads a labelled CSV data set from `path`.
pub fn load(path: &Path) -> Result<CsvData> {
    let rows = load_rows(path, Labels::Required)?;
    Ok(rows.labelled.expect("labels are required"))
}

/// Reads a CSV data set from `path`, with or without labels.
pub fn load_rows(path: &Path, labels: Labels) -> Result<CsvRows> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text, &path.display().to_string(), labels)
}

/// Parses CSV `text`; `name` (a file name) starts every error message.
pub fn parse(text: &str, name: &str, labels: Labels) -> Result<CsvRows> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(name, &e))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        bail!("{name}: the file is empty (expected a header row like `x0,x1,label`)");
    }
    let has_label = header
        .last()
        .is_some_and(|h| h.eq_ignore_ascii_case("label"));
    if !has_label && labels == Labels::Required {
        bail!(
            "{name}: line 1: the last column must be `label`, found `{}` (expected a header like `x0,x1,label`)",
            excerpt(header.last().map_or("", String::as_str), FIELD_CHARS)
        );
    }
    let n_features = header.len() - usize::from(has_label);
    if n_features == 0 {
        bail!("{name}: line 1: no feature columns before `label`");
    }
    let mut features = Vec::new();
    let mut raw_labels = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e))?;
        let line = record.position().map_or(0, |p| p.line());
        let mut row = Vec::with_capacity(n_features);
        for (c, field) in record.iter().take(n_features).enumerate() {
            let x: f64 = field.parse().map_err(|_| {
                anyhow::anyhow!(
                    "{name}: line {line}, column {} (`{}`): `{}` is not a number",
                    c + 1,
                    excerpt(&header[c], FIELD_CHARS),
                    excerpt(field, FIELD_CHARS)
                )
            })?;
            if !x.is_finite() {
                bail!(
                    "{name}: line {line}, column {} (`{}`): `{}` is not a finite number",
                    c + 1,
                    excerpt(&header[c], FIELD_CHARS),
                    excerpt(field, FIELD_CHARS)
                );
            }
            row.push(x);
        }
        if has_label {
            let field = &record[n_features];
            let col = n_features + 1;
            let shown = excerpt(field, FIELD_CHARS);
            let y: f64 = field.parse().map_err(|_| {
                anyhow::anyhow!(
                    "{name}: line {line}, column {col} (`label`): `{shown}` is not a label (expected -1/+1 or 0, 1, ..., k-1)"
                )
            })?;
            if !(y.is_finite() && y.fract() == 0.0 && y.abs() < 1e9) {
                bail!(
                    "{name}: line {line}, column {col} (`label`): `{shown}` is not a whole number (expected -1/+1 or 0, 1, ..., k-1)"
                );
            }
            raw_labels.push(y as i64);
        }
        features.push(row);
        lines.push(line);
    }
    if features.is_empty() {
        bail!("{name}: no data rows after the header");
    }
    let feature_names = header[..n_features].to_vec();
    let labelled = if has_label {
        let (classes_of, k, encoding) = encode_labels(&raw_labels).map_err(|e| match e.row {
            Some(r) => anyhow::anyhow!(
                "{name}: line {}, column {} (`label`): {}",
                lines[r],
                n_features + 1,
                e.message
            ),
            None => anyhow::anyhow!("{name}: {}", e.message),
        })?;
        let dataset = Dataset::new(features.clone(), classes_of, k)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        Some(CsvData { dataset, encoding })
    } else {
        None
    };
    Ok(CsvRows {
        features,
        labelled,
        feature_names,
    })
}

fn csv_error(name: &str, e: &csv::Error) -> anyhow::Error {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => anyhow::anyhow!(
            "{name}: line {}: expected {expected_len} fields like the header, found {len}",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        csv::ErrorKind::Utf8 { pos, .. } => anyhow::anyhow!(
            "{name}: line {}: not valid UTF-8 text",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        _ => anyhow::anyhow!("{name}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", parse(text, "d.csv", Labels::Required).unwrap_err())
    }

    #[test]
    fn reads_plus_minus_one_and_zero_one() {
        let rows = parse(
            "x0,x1,label\n1.5,2,-1\n\n-3, 4e-1 ,1\n",
            "d.csv",
            Labels::Required,
        )
        .unwrap();
        assert_eq!(rows.feature_names, vec!["x0", "x1"]);
        let d = rows.labelled.unwrap();
        assert_eq!(d.encoding, LabelEncoding::PlusMinusOne);
        assert_eq!(d.dataset.features(), &[vec![1.5, 2.0], vec![-3.0, 0.4]]);
        assert_eq!(d.dataset.labels(), &[0, 1]);
        let d = parse("a,label\n1,0\n2,1.0\n3,2\n", "d.csv", Labels::Required)
            .unwrap()
            .labelled
            .unwrap();
        assert_eq!(d.encoding, LabelEncoding::ZeroBased);
        assert_eq!(d.dataset.n_classes(), 3);
    }

    #[test]
    fn the_demo_file_reads_exactly() {
        let text = include_str!("../../micrograd/tests/fixtures/moons_demo.csv");
        let d = parse(text, "moons_demo.csv", Labels::Required)
            .unwrap()
            .labelled
            .unwrap();
        assert_eq!(d.dataset.len(), 100);
        assert_eq!(d.dataset.row(0), &[1.1221146075409685, 0.08147717341718697]);
        assert_eq!(d.dataset.labels()[0], 0);
        assert_eq!(d.dataset.labels()[2], 1);
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(
            err("x0,x1,label\n1,2,1\n1,abc,-1\n"),
            "d.csv: line 3, column 2 (`x1`): `abc` is not a number"
        );
        assert_eq!(
            err("x0,x1,label\n1,2,1\n1,2\n"),
            "d.csv: line 3: expected 3 fields like the header, found 2"
        );
        assert_eq!(
            err("x0,x1,label\n1,2,1\n1,2,0.5\n"),
            "d.csv: line 3, column 3 (`label`): `0.5` is not a whole number (expected -1/+1 or 0, 1, ..., k-1)"
        );
        assert_eq!(
            err("x0,x1,label\n1,2,-1\n1,2,0\n"),
            "d.csv: line 3, column 3 (`label`): label 0 among -1/+1 labels (expected -1 or 1)"
        );
        assert_eq!(
            err("x0,x1,y\n1,2,1\n"),
            "d.csv: line 1: the last column must be `label`, found `y` (expected a header like `x0,x1,label`)"
        );
        assert!(err("").contains("empty"));
        assert_eq!(err("x0,label\n"), "d.csv: no data rows after the header");
        assert!(err("x0,label\n1,inf\n").contains("line 2, column 2"));
        assert!(err("x0,label\nNaN,1\n").contains("not a finite number"));
    }

    #[test]
    fn a_huge_field_is_shown_cut() {
        let field = "9".repeat(1_000_000) + "x";
        let e = err(&format!("x0,label\n{field},1\n"));
        assert!(e.len() < 300, "{} characters", e.len());
        assert!(
            e.starts_with("d.csv: line 2, column 1 (`x0`): `9999"),
            "{}",
            &e[..100]
        );
        assert!(
            e.contains("9…9") && e.ends_with("99x` is not a number"),
            "{e}"
        );
    }

    #[test]
    fn labels_may_be_optional() {
        let r = parse("x0,x1\n1,2\n3,4\n", "d.csv", Labels::Optional).unwrap();
        assert!(r.labelled.is_none());
        assert_eq!(r.features, vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    }
}
