//! `micrograd data gen` and `micrograd train` with the general training loop: the new flags, their
//! logs and files, and how bad values are refused (clear error, no panic, no file written).

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn micrograd() -> Command {
    Command::cargo_bin("micrograd").unwrap()
}

/// Runs `micrograd` in `dir`: (success, its output, stderr). Training writes its log (progress,
/// summary, `wrote` lines) to stderr and nothing to stdout, so a training run's output is stderr;
/// other commands' output is stdout.
fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = micrograd().args(args).current_dir(dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if args.first() == Some(&"train") {
        assert_eq!(stdout, "", "{args:?}");
        return (out.status.success(), stderr.clone(), stderr);
    }
    (out.status.success(), stdout, stderr)
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A folder holding `d.csv`: `shape` data with `classes` classes.
fn with_data(shape: &str, n: &str, classes: &str, noise: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &[
            "data",
            "gen",
            shape,
            "--n",
            n,
            "--classes",
            classes,
            "--noise",
            noise,
            "--seed",
            "3",
            "-o",
            "d.csv",
        ],
    );
    assert!(ok, "{err}");
    let path = dir.path().join("d.csv");
    (dir, path)
}

#[test]
fn data_gen_writes_k_class_csv_deterministically() {
    let (dir, path) = with_data("spirals", "10", "3", "0.1");
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "x0,x1,label");
    assert_eq!(lines.len(), 11);
    let mut counts = [0; 3];
    for l in &lines[1..] {
        let cells: Vec<&str> = l.split(',').collect();
        assert_eq!(cells.len(), 3);
        cells[0].parse::<f64>().unwrap();
        cells[1].parse::<f64>().unwrap();
        counts[cells[2].parse::<usize>().unwrap()] += 1;
    }
    assert_eq!(counts, [4, 3, 3]);
    // same seed, same bytes; the library's generator, number for number
    let (ok, _, _) = run(
        dir.path(),
        &[
            "data",
            "gen",
            "spirals",
            "--n",
            "10",
            "--classes",
            "3",
            "--noise",
            "0.1",
            "--seed",
            "3",
            "-o",
            "e.csv",
        ],
    );
    assert!(ok);
    assert_eq!(fs::read(dir.path().join("e.csv")).unwrap(), text.as_bytes());
    let lib = micrograd::data::spirals(10, 3, 0.1, 3);
    let (x, label) = lib.iter().next().unwrap();
    assert_eq!(lines[1], format!("{:?},{:?},{label}", x[0], x[1]));
}

#[test]
fn data_gen_xor_labels_the_quadrants_and_matches_the_library() {
    let (dir, path) = with_data("xor", "41", "2", "0");
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "x0,x1,label");
    assert_eq!(lines.len(), 42);
    let mut counts = [0; 2];
    for l in &lines[1..] {
        let cells: Vec<&str> = l.split(',').collect();
        let (x, y): (f64, f64) = (cells[0].parse().unwrap(), cells[1].parse().unwrap());
        let label: usize = cells[2].parse().unwrap();
        assert_eq!(label, usize::from(x * y > 0.0), "{l}");
        assert!(x.abs() <= 1.0 && y.abs() <= 1.0, "{l}");
        counts[label] += 1;
    }
    assert_eq!(counts, [21, 20]);
    let lib = micrograd::data::xor(41, 0.0, 3);
    for ((x, label), line) in lib.iter().zip(&lines[1..]) {
        assert_eq!(*line, format!("{:?},{:?},{label}", x[0], x[1]));
    }
    let (ok, help, _) = run(dir.path(), &["data", "gen", "--help"]);
    assert!(ok && help.contains("spirals or xor"), "{help}");
}

#[test]
fn data_gen_refuses_bad_arguments_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (args, msg) in [
        (
            vec!["moons", "--classes", "3"],
            "moons has exactly 2 classes",
        ),
        (
            vec!["blobs", "--noise", "-1"],
            "noise must be a finite number in [0, 1e300]",
        ),
        (
            vec!["circles", "--noise", "1e308"],
            "larger noise overflows the points to infinity), got 1e308",
        ),
        (vec!["circles", "--n", "1"], "at least one point per class"),
        (vec!["rings"], "unknown data set `rings`"),
        (vec!["blobs", "--classes", "1"], "at least 2 classes"),
        (vec!["xor", "--classes", "4"], "xor has exactly 2 classes"),
        (
            vec!["xor", "--noise", "nan"],
            "noise must be a finite number in [0, 1e300]",
        ),
    ] {
        let mut a = vec!["data", "gen"];
        a.extend(args);
        a.extend(["-o", "x.csv"]);
        let (ok, _, err) = run(dir.path(), &a);
        assert!(!ok && err.contains(msg), "{a:?}: {err}");
        assert!(!err.contains("panicked"));
    }
    let (ok, _, err) = run(dir.path(), &["data", "gen", "moons", "-o", "no/such/x.csv"]);
    assert!(!ok && err.contains("does not exist"), "{err}");
    assert!(files(dir.path()).is_empty());
}

#[test]
fn three_classes_with_adam_validation_trace_plots_and_model() {
    let (dir, _) = with_data("blobs", "90", "3", "0.3");
    let (ok, out, err) = run(
        dir.path(),
        &[
            "train",
            "--data",
            "d.csv",
            "--hidden",
            "8",
            "--loss",
            "ce",
            "--optimizer",
            "adam",
            "--lr",
            "0.05",
            "--schedule",
            "cosine",
            "--batch-size",
            "16",
            "--epochs",
            "20",
            "--val-split",
            "0.2",
            "--dropout",
            "0.1",
            "--weight-decay",
            "1e-4",
            "--clip",
            "5",
            "--trace",
            "t.jsonl",
            "--save",
            "m.json",
            "--plot",
            "p.png",
            "--loss-plot",
            "l.svg",
            "--min-accuracy",
            "90",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("(90 examples, 3 classes)"), "{out}");
    assert!(
        out.contains("loss ce, optimizer Adam, lr 0.05 (cosine to 0)"),
        "{out}"
    );
    assert!(out.contains("epoch  1/20  loss "), "{out}");
    assert!(out.contains("epoch 20/20  loss "), "{out}");
    assert!(out.contains("val loss "), "{out}");
    assert!(out.contains("done: 20 epochs"), "{out}");
    assert_eq!(
        files(dir.path()),
        ["d.csv", "l.svg", "m.json", "p.png", "t.jsonl"]
    );
    let trace = fs::read_to_string(dir.path().join("t.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = trace
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 20);
    // epochs from 1, as on the console
    assert_eq!(lines[0]["epoch"], 1);
    assert_eq!(lines[19]["epoch"], 20);
    assert!(lines[19]["val_loss"].as_f64().unwrap() > 0.0);
    assert!(lines[19]["train_accuracy"].as_f64().unwrap() >= 0.9);
    assert!(lines[19]["lr"].as_f64().unwrap() < lines[0]["lr"].as_f64().unwrap());
    assert!(fs::read(dir.path().join("p.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    let model =
        micrograd::nn::MLP::from_json(&fs::read_to_string(dir.path().join("m.json")).unwrap())
            .unwrap();
    assert_eq!(model.nouts(), vec![8, 3]);
}

#[test]
fn early_stopping_reports_and_restores_the_best_epoch() {
    let (dir, _) = with_data("spirals", "60", "3", "0.3");
    let (ok, out, err) = run(
        dir.path(),
        &[
            "train",
            "--data",
            "d.csv",
            "--loss",
            "ce",
            "--optimizer",
            "adam",
            "--lr",
            "0.05",
            "--batch-size",
            "8",
            "--epochs",
            "300",
            "--val-split",
            "0.3",
            "--patience",
            "5",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("early stop, best validation loss at epoch"),
        "{out}"
    );
    assert!(out.contains("restored its parameters"), "{out}");
    assert!(!out.contains("done: 300 epochs"), "{out}");
}

#[test]
fn binary_losses_and_the_demo_default_are_kept() {
    let (dir, _) = with_data("moons", "60", "2", "0.1");
    // no new flag: micrograd's demo loop, as before
    let (ok, out, err) = run(dir.path(), &["train", "--data", "d.csv", "--steps", "5"]);
    assert!(ok, "{err}");
    assert!(out.contains("5 steps, lr 1 -> 0.1, alpha 0.0001"), "{out}");
    for loss in ["hinge", "mse", "bce", "ce"] {
        let (ok, out, err) = run(
            dir.path(),
            &[
                "train",
                "--data",
                "d.csv",
                "--loss",
                loss,
                "--epochs",
                "3",
                "--optimizer",
                "nesterov",
                "--save",
                "m.json",
            ],
        );
        assert!(ok, "{loss}: {err}");
        assert!(
            out.contains(&format!("loss {loss}, optimizer Nesterov(0.9)")),
            "{out}"
        );
        let model =
            micrograd::nn::MLP::from_json(&fs::read_to_string(dir.path().join("m.json")).unwrap())
                .unwrap();
        assert_eq!(model.nout(), if loss == "ce" { 2 } else { 1 });
    }
    // demo-loop flags and new flags do not mix
    let (ok, _, err) = run(
        dir.path(),
        &["train", "--data", "d.csv", "--steps", "5", "--epochs", "3"],
    );
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    // k classes without --loss: cross-entropy by default with a new flag, a hint without
    let (dir3, _) = with_data("blobs", "30", "3", "0.2");
    let (ok, _, err) = run(dir3.path(), &["train", "--data", "d.csv"]);
    assert!(!ok && err.contains("use --loss ce"), "{err}");
    let (ok, out, err) = run(dir3.path(), &["train", "--data", "d.csv", "--epochs", "2"]);
    assert!(ok, "{err}");
    assert!(out.contains("loss ce, optimizer Sgd, lr 0.1"), "{out}");
}

#[test]
fn bad_flag_values_are_clear_errors_and_write_nothing() {
    let (dir, _) = with_data("blobs", "30", "3", "0.2");
    let outs = ["--save", "m.json", "--trace", "t.jsonl", "--plot", "p.png"];
    for (flags, msg) in [
        (vec!["--dropout", "1"], "--dropout must be in [0, 1), got 1"),
        (vec!["--dropout", "-0.1"], "--dropout must be in [0, 1)"),
        (vec!["--lr", "0"], "--lr must be a finite number > 0, got 0"),
        (
            vec!["--lr", "nan"],
            "--lr must be a finite number > 0, got NaN",
        ),
        (vec!["--val-split", "1"], "--val-split must be in [0, 1)"),
        (
            vec!["--optimizer", "momentum", "--momentum", "1"],
            "--momentum must be in [0, 1)",
        ),
        (
            vec!["--schedule", "step", "--step-epochs", "0"],
            "--step-epochs must be at least 1",
        ),
        (
            vec!["--schedule", "step", "--gamma", "0"],
            "--gamma must be > 0",
        ),
        (
            vec!["--patience", "3"],
            "--patience needs a validation split > 0",
        ),
        (vec!["--clip", "-1"], "--clip must be a finite number > 0"),
        (
            vec!["--weight-decay", "inf"],
            "--weight-decay must be a finite number >= 0",
        ),
        (vec!["--epochs", "0"], "--epochs must be at least 1"),
        (
            vec!["--momentum", "0.5"],
            "--momentum applies to --optimizer momentum or nesterov only",
        ),
        (
            vec!["--gamma", "0.5"],
            "--gamma and --step-epochs apply to --schedule step only",
        ),
        (
            vec!["--loss", "bce"],
            "the bce loss trains 2 classes, the data has 3",
        ),
        (vec!["--loss", "nope"], "unknown loss `nope`"),
        (vec!["--optimizer", "lbfgs"], "invalid value 'lbfgs'"),
        (
            vec!["--epochs", "3", "--min-accuracy", "101"],
            "--min-accuracy must be a percentage",
        ),
        (
            vec!["--epochs", "1", "--lr", "1e-9", "--min-accuracy", "100"],
            "is below --min-accuracy 100%",
        ),
    ] {
        let mut a = vec!["train", "--data", "d.csv"];
        a.extend(flags.iter().copied());
        a.extend(outs);
        let (ok, _, err) = run(dir.path(), &a);
        assert!(!ok && err.contains(msg), "{flags:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(files(dir.path()), ["d.csv"], "{flags:?}");
    }
}

#[test]
fn a_non_finite_loss_stops_training_naming_the_step_and_epoch() {
    let (dir, _) = with_data("blobs", "40", "2", "0.3");
    let (ok, out, err) = run(
        dir.path(),
        &[
            "train",
            "--data",
            "d.csv",
            "--loss",
            "mse",
            "--lr",
            "1e6",
            "--batch-size",
            "10",
            "--epochs",
            "50",
            "--save",
            "m.json",
        ],
    );
    assert!(!ok, "{out}");
    assert!(err.contains("error: the loss became"), "{err}");
    assert!(
        err.contains(" at update step ") && err.contains(" (epoch 1, both counted from 1)"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    assert_eq!(files(dir.path()), ["d.csv"]);
}

#[test]
fn predict_with_a_k_class_model_reports_argmax_classes() {
    let (dir, _) = with_data("blobs", "60", "3", "0.2");
    let (ok, _, err) = run(
        dir.path(),
        &[
            "train",
            "--data",
            "d.csv",
            "--loss",
            "ce",
            "--optimizer",
            "adam",
            "--lr",
            "0.05",
            "--epochs",
            "30",
            "--batch-size",
            "10",
            "--save",
            "m.json",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        dir.path(),
        &["predict", "--csv", "--model", "m.json", "--data", "d.csv"],
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "x0,x1,label,score,predicted");
    assert_eq!(lines.len(), 61);
    let mut right = 0;
    for l in &lines[1..] {
        let c: Vec<&str> = l.split(',').collect();
        let p: f64 = c[3].parse().unwrap();
        assert!((1.0 / 3.0..=1.0).contains(&p), "{l}");
        right += usize::from(c[2] == c[4]);
    }
    assert!(right >= 57, "{right}");
    assert!(err.contains("accuracy: "), "{err}");
}
