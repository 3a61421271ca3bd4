//! The `micrograd` binary end to end: demo, train, predict, and how bad input is refused.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../micrograd/tests/fixtures")
        .join(name)
}

fn micrograd() -> Command {
    Command::cargo_bin("micrograd").unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn is_png(path: &Path) -> bool {
    fs::read(path).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

#[test]
fn demo_matches_micrograd_and_draws_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    // no --out: the pictures go to the current folder, and the data is inside the binary
    let out = micrograd()
        .arg("demo")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Matches micrograd: all 100 steps agree"),
        "{text}"
    );
    assert!(text.contains("0.8958441028683222"), "{text}");
    assert!(
        text.contains("Final: loss 0.010978, accuracy 100%"),
        "{text}"
    );
    // the table is the result (stdout), the wrote lines are progress (stderr)
    let err = stderr(&out);
    assert!(
        err.contains("wrote ./moons.png (the decision boundary)")
            || err.contains("wrote moons.png (the decision boundary)"),
        "{err}"
    );
    assert!(!text.contains("wrote"), "{text}");
    assert_eq!(files(dir.path()), vec!["loss.png", "moons.png"]);
    assert!(is_png(&dir.path().join("moons.png")));
    assert!(is_png(&dir.path().join("loss.png")));
}

#[test]
fn demo_out_folder_is_created_and_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("pics/new");
    let out = micrograd()
        .args(["demo", "--out"])
        .arg(&sub)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(files(&sub), vec!["loss.png", "moons.png"]);

    let file = dir.path().join("a_file");
    fs::write(&file, "x").unwrap();
    let out = micrograd()
        .args(["demo", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not a folder"), "{}", stderr(&out));
}

#[test]
fn train_trace_save_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let model = dir.path().join("m.json");
    let out = micrograd()
        .args(["train", "--data"])
        .arg(fixture("moons_demo.csv"))
        .arg("--model-init")
        .arg(fixture("moons_demo_init.json"))
        .arg("--trace")
        .arg(&trace)
        .arg("--save")
        .arg(&model)
        .arg("--plot")
        .arg(dir.path().join("b.png"))
        .arg("--loss-plot")
        .arg(dir.path().join("l.svg"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // not a terminal: plain log lines, on stderr; nothing on stdout
    assert!(stderr(&out).contains("step   0/100 loss 0.895844 accuracy 50.0%"));
    assert!(stderr(&out).contains("wrote "), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(is_png(&dir.path().join("b.png")));
    assert!(fs::read_to_string(dir.path().join("l.svg"))
        .unwrap()
        .contains("<svg"));

    // the trace: micrograd's numbers, key order step, loss, accuracy
    let reference: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fixture("moons_demo_trace.json")).unwrap())
            .unwrap();
    let text = fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 100);
    assert!(lines[0].starts_with("{\"step\":0,\"loss\":0.8958441028683222,\"accuracy\":0.5}"));
    for (k, line) in lines.iter().enumerate() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let want = &reference[k];
        assert_eq!(r["step"], want["step"]);
        assert_eq!(r["accuracy"], want["accuracy"]);
        let (a, b) = (r["loss"].as_f64().unwrap(), want["loss"].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-12 * b, "step {k}: {a} vs {b}");
    }

    // predict with the saved model: micrograd's final accuracy
    let out = micrograd()
        .args(["predict", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(fixture("moons_demo.csv"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("accuracy: 100.00% (100 of 100 examples)"));

    // CSV output: one row per point, score and predicted label (-1/+1 like the input)
    let out = micrograd()
        .args(["predict", "--csv", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(fixture("moons_demo.csv"))
        .output()
        .unwrap();
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "x0,x1,label,score,predicted");
    assert_eq!(rows.len(), 101);
    for row in &rows[1..] {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f[2], f[4], "{row}");
        let score: f64 = f[3].parse().unwrap();
        assert_eq!(score > 0.0, f[4] == "1");
    }
}

#[test]
fn train_from_scratch_with_zero_one_labels() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    // a linearly separable set, labels 0/1
    let mut text = String::from("a,b,label\n");
    for i in 0..20 {
        let x = i as f64 / 10.0 - 1.0;
        text.push_str(&format!("{x},{},{}\n", 0.5 * x, u8::from(x > 0.0)));
    }
    fs::write(&data, text).unwrap();
    let model = dir.path().join("m.json");
    let out = micrograd()
        .args([
            "train", "--hidden", "8", "--seed", "3", "--steps", "60", "--data",
        ])
        .arg(&data)
        .arg("--save")
        .arg(&model)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("MLP(2, [8, 1]) (33 parameters)"));
    let saved: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(saved["nouts"], serde_json::json!([8, 1]));
    assert_eq!(saved["layers"][1]["nonlin"], false);
    let out = micrograd()
        .args(["predict", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // 0/1 in, 0/1 out
    assert!(
        stdout(&out)
            .lines()
            .nth(1)
            .unwrap()
            .trim_end()
            .ends_with(" 0")
            || stdout(&out).lines().nth(1).unwrap().contains("wrong")
    );
}

#[test]
fn predict_without_labels_prints_scores_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("x.csv");
    fs::write(&data, "x0,x1\n1.0,0.0\n-1.0,0.5\n").unwrap();
    let out = micrograd()
        .args(["predict", "--csv", "--model"])
        .arg(fixture("moons_demo_init.json"))
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "x0,x1,score,predicted");
    assert_eq!(rows.len(), 3);
    assert!(!stderr(&out).contains("accuracy"));
    // the scores are the model's, to the last bit
    let model = micrograd::nn::MLP::from_json(
        &fs::read_to_string(fixture("moons_demo_init.json")).unwrap(),
    )
    .unwrap();
    for (row, x) in rows[1..].iter().zip([[1.0, 0.0], [-1.0, 0.5]]) {
        let f: Vec<&str> = row.split(',').collect();
        let score: f64 = f[2].parse().unwrap();
        assert_eq!(score, model.predict(&x)[0]);
        assert_eq!(f[3], if score > 0.0 { "1" } else { "-1" });
    }
}

/// Runs `micrograd` in an empty folder that receives any output; returns (stderr, files left).
fn fails(args: &[&str], dir: &Path) -> (String, Vec<String>) {
    let out = micrograd().args(args).current_dir(dir).output().unwrap();
    assert!(!out.status.success(), "should fail: {args:?}");
    // 2 for argument errors (clap), 1 for everything else
    assert!(matches!(out.status.code(), Some(1 | 2)), "{:?}", out.status);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    (err, files(dir))
}

#[test]
fn bad_input_is_a_clear_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = fixture("moons_demo.csv");
    let csv = csv.to_str().unwrap();
    let init = fixture("moons_demo_init.json");
    let init = init.to_str().unwrap();
    let outs = ["--trace", "t.jsonl", "--save", "m.json", "--plot", "p.png"];

    // a malformed CSV: file, line and column named
    fs::write(d.join("bad.csv"), "x0,x1,label\n1,2,1\n3,oops,-1\n").unwrap();
    let mut args = vec!["train", "--data", "bad.csv"];
    args.extend(outs);
    let (err, left) = fails(&args, d);
    assert!(
        err.contains("bad.csv: line 3, column 2 (`x1`): `oops` is not a number"),
        "{err}"
    );
    assert_eq!(left, vec!["bad.csv"]);

    // a missing file
    let (err, _) = fails(&["train", "--data", "missing.csv"], d);
    assert!(err.contains("cannot read missing.csv"), "{err}");

    // a model file with a wrong field: the field is named
    let text = fs::read_to_string(fixture("moons_demo_init.json")).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut broken = j.clone();
    broken["layers"][1]["neurons"][3]["w"][0] = serde_json::json!("x");
    fs::write(d.join("broken.json"), broken.to_string()).unwrap();
    let mut args = vec!["train", "--data", csv, "--model-init", "broken.json"];
    args.extend(outs);
    let (err, left) = fails(&args, d);
    assert!(
        err.contains("`layers[1].neurons[3].w[0]`: expected a finite number"),
        "{err}"
    );
    assert_eq!(left, vec!["bad.csv", "broken.json"]);

    // a model for 3 inputs on 2-feature data
    let mut wide = j.clone();
    wide["nin"] = serde_json::json!(3);
    fs::write(d.join("wide.json"), wide.to_string()).unwrap();
    let (err, _) = fails(&["train", "--data", csv, "--model-init", "wide.json"], d);
    assert!(
        err.contains("`layers[0].neurons[0].w`: expected 3 weights"),
        "{err}"
    );
    let (err, _) = fails(&["predict", "--data", csv, "--model", "broken.json"], d);
    assert!(err.contains("broken.json: not a valid model file"), "{err}");

    // divergence: the step is named; only the trace up to the failing step is written
    let mut args = vec![
        "train",
        "--data",
        csv,
        "--model-init",
        init,
        "--lr-start",
        "1e6",
    ];
    args.extend(outs);
    let (err, left) = fails(&args, d);
    assert!(err.contains("the loss became inf at step 6"), "{err}");
    assert_eq!(left, vec!["bad.csv", "broken.json", "t.jsonl", "wide.json"]);
    let trace = fs::read_to_string(d.join("t.jsonl")).unwrap();
    assert_eq!(trace.lines().count(), 6, "steps 0 to 5 ran: {trace}");
    assert!(trace.lines().last().unwrap().starts_with("{\"step\":5,"));
    fs::remove_file(d.join("t.jsonl")).unwrap();

    // arguments
    let (err, _) = fails(&["train", "--data", csv, "--steps", "0"], d);
    assert!(err.contains("--steps"), "{err}");
    let (err, _) = fails(&["train", "--data", csv, "--hidden", "16,x"], d);
    assert!(err.contains("--hidden"), "{err}");
    let (err, _) = fails(&["train", "--data", csv, "--activation", "gelu"], d);
    assert!(err.contains("unknown activation `gelu`"), "{err}");
    let (err, _) = fails(&["train", "--data", csv, "--alpha", "-1"], d);
    assert!(err.contains("alpha must be finite and >= 0"), "{err}");
    // learning rates <= 0 are refused, written either way
    for lr in [
        ["--lr-start", "-1"],
        ["--lr-start=-1", "--steps=2"],
        ["--lr-start", "0"],
    ] {
        let (err, _) = fails(&[&["train", "--data", csv][..], &lr].concat(), d);
        assert!(
            err.contains("error: --lr-start must be a finite number > 0, got "),
            "{err}"
        );
    }
    let (err, _) = fails(&["train", "--data", csv, "--lr-end", "-0.5"], d);
    assert!(
        err.contains("error: --lr-end must be a finite number >= 0, got -0.5"),
        "{err}"
    );
    let (err, _) = fails(&["train", "--data", csv, "--lr", "-0.5"], d);
    assert!(
        err.contains("error: --lr must be a finite number > 0, got -0.5"),
        "{err}"
    );
    let (err, _) = fails(&["train", "--data", csv, "--save", "no/such/dir/m.json"], d);
    assert!(err.contains("does not exist"), "{err}");
    let (err, _) = fails(
        &[
            "train",
            "--data",
            csv,
            "--model-init",
            init,
            "--hidden",
            "4",
        ],
        d,
    );
    assert!(err.contains("cannot be used with"), "{err}");

    // predict: a model for other data, and a 3-feature file cannot be drawn
    fs::write(d.join("f3.csv"), "a,b,c,label\n0,0,0,1\n1,1,1,-1\n").unwrap();
    let (err, _) = fails(&["predict", "--model", init, "--data", "f3.csv"], d);
    assert!(
        err.contains("takes 2 inputs but f3.csv has 3 feature columns"),
        "{err}"
    );
    let (err, _) = fails(&["train", "--data", "f3.csv", "--plot", "p.png"], d);
    assert!(
        err.contains("--plot draws 2-feature data, f3.csv has 3 features"),
        "{err}"
    );
    fs::remove_file(d.join("f3.csv")).unwrap();

    // three classes cannot train with the hinge loss
    fs::write(d.join("k3.csv"), "x,label\n0,0\n1,1\n2,2\n").unwrap();
    let (err, _) = fails(&["train", "--data", "k3.csv"], d);
    assert!(err.contains("trains 2 classes, the labels have 3"), "{err}");
    let left = files(d);
    assert_eq!(left, vec!["bad.csv", "broken.json", "k3.csv", "wide.json"]);
}
