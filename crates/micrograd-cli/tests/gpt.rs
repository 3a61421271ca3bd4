//! `micrograd gpt train` / `sample` end to end, on microgpt's fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../micrograd/tests/fixtures")
        .join(name)
}

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn train_follows_microgpt_then_saves_samples_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, model, plot) = (
        dir.path().join("t.jsonl"),
        dir.path().join("m.json"),
        dir.path().join("loss.svg"),
    );
    let (names, init, order) = (
        fixture("names.txt"),
        fixture("microgpt_init.json"),
        fixture("microgpt_order.txt"),
    );
    let out = micrograd(&[
        "gpt",
        "train",
        "--data",
        names.to_str().unwrap(),
        "--init",
        init.to_str().unwrap(),
        "--order",
        order.to_str().unwrap(),
        "--steps",
        "1000",
        "--trace",
        trace.to_str().unwrap(),
        "--save",
        model.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("4192 parameters"), "{}", stderr(&out));

    // Every step's loss agrees with Python microgpt's to 1e-9 relative.
    let want: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("microgpt_trace.json")).unwrap())
            .unwrap();
    let got = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 1000);
    assert!(
        lines[0].starts_with(r#"{"step": 0, "loss": 3.36596694758485"#),
        "{}",
        lines[0]
    );
    for (k, (line, w)) in lines.iter().zip(&want).enumerate() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(row["step"], k);
        let (l, w) = (row["loss"].as_f64().unwrap(), w["loss"].as_f64().unwrap());
        assert!(((l - w) / w).abs() < 1e-9, "step {k}: {l} vs {w}");
    }
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("training loss"));

    let out = micrograd(&[
        "gpt",
        "sample",
        "--model",
        model.to_str().unwrap(),
        "-n",
        "20",
        "--temperature",
        "0.5",
        "--seed",
        "7",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names = String::from_utf8(out.stdout).unwrap();
    assert_eq!(names.lines().count(), 20);
    assert!(names
        .lines()
        .all(|n| n.chars().count() <= 16 && n.chars().all(|c| c.is_ascii_lowercase())));
    // Seeded: the same names again.
    let again = micrograd(&[
        "gpt",
        "sample",
        "--model",
        model.to_str().unwrap(),
        "-n",
        "20",
        "--seed",
        "7",
    ]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), names);
}

#[test]
fn malformed_inputs_get_clear_errors_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let names = fixture("names.txt");
    let names = names.to_str().unwrap();
    let bad_order = dir.path().join("order.txt");
    std::fs::write(&bad_order, "emma\n\nzoë\n").unwrap();
    let bad_init = dir.path().join("init.json");
    std::fs::write(&bad_init, r#"{"wte": [[0.1, 0.2]]}"#).unwrap();
    let broken_json = dir.path().join("broken.json");
    std::fs::write(&broken_json, "{\"wte\": [[0.1,\n 0.2]], \"wpe\": 3}").unwrap();
    let trace = dir.path().join("t.jsonl");
    let trace = trace.to_str().unwrap();

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--order", bad_order.to_str().unwrap()],
            "order.txt:3: character 'ë' of \"zoë\" is not in the vocabulary",
        ),
        (
            vec!["--init", bad_init.to_str().unwrap()],
            "init.json: does not fit the model: wte: has 1 rows, expected 27 (vocabulary size)",
        ),
        (
            vec!["--init", broken_json.to_str().unwrap()],
            "broken.json: not a state dict: wpe: expected a list of rows",
        ),
        (
            vec!["--n-head", "3"],
            "--n-head: n_embd (16) is not a multiple of n_head (3)",
        ),
        (vec!["--steps", "0"], "--steps must be at least 1"),
        (
            vec!["--plot", "loss.jpg"],
            "loss.jpg: a picture's name must end in .png or .svg",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["gpt", "train", "--data", names, "--trace", trace];
        if !extra.contains(&"--steps") {
            args.extend(["--steps", "2"]);
        }
        args.extend(extra);
        let out = micrograd(&args);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
        assert!(!Path::new(trace).exists(), "no trace after an error");
    }
    let out = micrograd(&["gpt", "sample", "--model", bad_init.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("init.json: not a saved model: unknown field `wte`"),
        "{}",
        stderr(&out)
    );
    assert!(!out.status.success());
}
