//! `micrograd tune`: the same table for the same command on any number of jobs, the JSON lines of
//! every trial, successive halving, k-fold scoring, diverging trials, the best model, bad input.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

/// Runs `micrograd` in `dir`: (success, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::cargo_bin("micrograd")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A folder with `d.csv`: 120 moons points.
fn with_moons() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &[
            "data", "gen", "moons", "--n", "120", "--noise", "0.1", "--seed", "3", "--out", "d.csv",
        ],
    );
    assert!(ok, "{err}");
    dir
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const SWEEP: [&str; 16] = [
    "tune",
    "--data",
    "d.csv",
    "--lr",
    "1e-3..1e-1:log",
    "--batch-size",
    "16,32",
    "--weight-decay",
    "0,1e-4",
    "--trials",
    "6",
    "--epochs",
    "4",
    "--seed",
    "1",
    "--val-split",
];

#[test]
fn the_same_command_gives_the_same_table_on_one_job_and_on_three() {
    let dir = with_moons();
    let mut a: Vec<&str> = SWEEP.to_vec();
    a.extend(["0.25", "--results", "one.jsonl", "--jobs", "1"]);
    let (ok, one, err) = run(dir.path(), &a);
    assert!(ok, "{err}");
    a.truncate(SWEEP.len() + 1);
    a.extend(["--results", "three.jsonl", "--jobs", "3"]);
    let (ok, three, err) = run(dir.path(), &a);
    assert!(ok, "{err}");
    assert_eq!(one, three);
    assert_eq!(
        fs::read(dir.path().join("one.jsonl")).unwrap(),
        fs::read(dir.path().join("three.jsonl")).unwrap()
    );
    // A header and six trials, ranked by validation accuracy.
    let rows: Vec<&str> = one.lines().collect();
    assert_eq!(rows.len(), 7, "{one}");
    assert!(rows[0].contains("val acc") && rows[0].contains("optimizer"));
    let trials = lines(&dir.path().join("one.jsonl"));
    assert_eq!(trials.len(), 6);
    let mut accs: Vec<f64> = trials
        .iter()
        .map(|t| t["val_accuracy"].as_f64().unwrap())
        .collect();
    for (k, t) in trials.iter().enumerate() {
        assert_eq!(t["trial"], k);
        assert_eq!(t["outcome"], "done");
        assert_eq!(t["epochs"], 4);
        let lr = t["params"]["lr"].as_f64().unwrap();
        assert!((1e-3..=1e-1).contains(&lr), "{lr}");
        assert!([16, 32].contains(&t["params"]["batch_size"].as_u64().unwrap()));
    }
    accs.sort_by(|a, b| b.partial_cmp(a).unwrap());
    let best_row: Vec<&str> = rows[1].split_whitespace().collect();
    assert_eq!(best_row[0], "1");
    assert_eq!(best_row[2], format!("{:.1}%", accs[0] * 100.0));
    // 30 validation rows: accuracies are multiples of 1/30.
    assert!(accs
        .iter()
        .all(|a| ((a * 30.0).round() - a * 30.0).abs() < 1e-9));
}

#[test]
fn halving_prunes_all_but_the_best_and_the_best_model_is_saved() {
    let dir = with_moons();
    let (ok, out, err) = run(
        dir.path(),
        &[
            "tune",
            "--data",
            "d.csv",
            "--trials",
            "8",
            "--epochs",
            "8",
            "--halving",
            "--results",
            "r.jsonl",
            "--save-best",
            "best.json",
            "--plot",
            "tune.png",
            "--seed",
            "5",
        ],
    );
    assert!(ok, "{err}");
    let trials = lines(&dir.path().join("r.jsonl"));
    let outcome = |o: &str| trials.iter().filter(|t| t["outcome"] == o).count();
    assert_eq!((outcome("done"), outcome("pruned")), (1, 7), "{out}");
    // Rounds of 1, 2, 4 and 8 epochs: 4 trials stop after 1 epoch, 2 after 2, 1 after 4.
    let mut epochs: Vec<u64> = trials
        .iter()
        .map(|t| t["epochs"].as_u64().unwrap())
        .collect();
    epochs.sort_unstable();
    assert_eq!(epochs, [1, 1, 1, 1, 2, 2, 4, 8]);
    let best = trials.iter().find(|t| t["outcome"] == "done").unwrap();
    let first: Vec<&str> = out.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(first[1], best["trial"].to_string());
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("best.json")).unwrap()).unwrap();
    assert_eq!(model["nin"], 2);
    assert_eq!(model["nouts"], serde_json::json!([16, 16, 1]));
    assert!(fs::metadata(dir.path().join("tune.png")).unwrap().len() > 1000);
}

#[test]
fn k_fold_grid_search_tries_every_combination() {
    let dir = with_moons();
    let (ok, out, err) = run(
        dir.path(),
        &[
            "tune",
            "--data",
            "d.csv",
            "--lr",
            "0.01..0.1:log",
            "--grid-points",
            "2",
            "--optimizer",
            "sgd,momentum",
            "--momentum",
            "0.5,0.9",
            "--folds",
            "3",
            "--epochs",
            "2",
            "--results",
            "r.jsonl",
        ],
    );
    assert!(ok, "{err}");
    // sgd: 2 rates; momentum: 2 rates x 2 momenta.
    let trials = lines(&dir.path().join("r.jsonl"));
    assert_eq!(trials.len(), 6, "{out}");
    assert!(trials[0]["params"].get("momentum").is_none());
    assert_eq!(trials[2]["params"]["momentum"], 0.5);
    assert_eq!(trials[5]["params"]["momentum"], 0.9);
}

#[test]
fn a_diverging_trial_is_recorded_and_the_sweep_goes_on() {
    let dir = with_moons();
    let (ok, out, err) = run(
        dir.path(),
        &[
            "tune",
            "--data",
            "d.csv",
            "--loss",
            "mse",
            "--optimizer",
            "sgd",
            "--lr",
            "0.01,1e6",
            "--epochs",
            "5",
            "--results",
            "r.jsonl",
        ],
    );
    assert!(ok, "{err}");
    let trials = lines(&dir.path().join("r.jsonl"));
    assert_eq!(trials[0]["outcome"], "done");
    assert_eq!(trials[1]["outcome"], "diverged");
    assert!(trials[1]["val_accuracy"].is_null());
    // The diverged trial is ranked last.
    assert!(out.lines().nth(2).unwrap().ends_with("diverged"), "{out}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = with_moons();
    let cases: [(&[&str], &str); 8] = [
        (
            &["--lr", "0.1..0.01"],
            "--lr: the range 0.1..0.01 is inverted (lo > hi)",
        ),
        (&["--lr", ""], "--lr: no values"),
        (&["--trials", "0"], "--trials must be at least 1"),
        (
            &["--optimizer", "adam", "--momentum", "0.9"],
            "--momentum is a parameter of the momentum and nesterov optimizers; --optimizer adam \
             does not take it",
        ),
        (&["--dropout", "1"], "--dropout: 1 must be in [0, 1)"),
        (
            &["--batch-size", "2.5"],
            "--batch-size: 2.5 must be a whole number >= 0",
        ),
        (
            &["--folds", "1"],
            "--folds must be between 2 and the number of rows (120), got 1",
        ),
        (
            &["--hidden", "16-"],
            "--hidden: `` in `16-` is not a layer width >= 1",
        ),
    ];
    for (extra, want) in cases {
        let mut a = vec!["tune", "--data", "d.csv", "--epochs", "1"];
        a.extend_from_slice(extra);
        let (ok, _, err) = run(dir.path(), &a);
        assert!(!ok, "{a:?}");
        assert!(err.contains(want), "{a:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_sweep_run_as_separate_processes_through_xargs_gives_the_in_process_table() {
    let dir = with_moons();
    let mut a: Vec<&str> = SWEEP.to_vec();
    a.extend(["0.25", "--results", "in.jsonl"]);
    let (ok, in_process, err) = run(dir.path(), &a);
    assert!(ok, "{err}");
    a.truncate(SWEEP.len() + 1);
    a.extend(["--plan", "plan.jsonl"]);
    let (ok, out, err) = run(dir.path(), &a);
    assert!(ok && out.is_empty(), "{err}");
    assert_eq!(lines(&dir.path().join("plan.jsonl")).len(), 6);
    let bin = assert_cmd::cargo::cargo_bin("micrograd");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "seq 0 5 | xargs -P 3 -I K '{}' tune --run-trial K --plan plan.jsonl --out results 2>>run.log",
            bin.display()
        ))
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let (ok, merged, err) = run(
        dir.path(),
        &[
            "tune",
            "--collect",
            "results",
            "--plan",
            "plan.jsonl",
            "--results",
            "merged.jsonl",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(merged, in_process);
    assert_eq!(
        fs::read(dir.path().join("merged.jsonl")).unwrap(),
        fs::read(dir.path().join("in.jsonl")).unwrap()
    );
    // A missing and a corrupt result file are clear errors.
    fs::remove_file(dir.path().join("results/trial-4.json")).unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &["tune", "--collect", "results", "--plan", "plan.jsonl"],
    );
    assert!(
        !ok && err.contains("no result for trial 4 of the plan"),
        "{err}"
    );
    fs::write(dir.path().join("results/trial-4.json"), "{\"trial\": 4, ").unwrap();
    let (ok, _, err) = run(dir.path(), &["tune", "--collect", "results"]);
    assert!(
        !ok && err.contains("trial-4.json: not a trial result (corrupt or incomplete)"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // A copy under another name was counted twice (trial-00.json: trial 0 ranked twice); a
    // result in the wrong file, or of a trial the plan does not have, was taken silently.
    let results = dir.path().join("results");
    let trial = |k: usize| fs::read_to_string(results.join(format!("trial-{k}.json"))).unwrap();
    fs::write(
        results.join("trial-4.json"),
        trial(3).replace("\"trial\":3", "\"trial\":4"),
    )
    .unwrap();
    assert!(trial(4).contains("\"trial\":4"), "{}", trial(4));
    let collect = || {
        run(
            dir.path(),
            &["tune", "--collect", "results", "--plan", "plan.jsonl"],
        )
    };
    assert!(collect().0, "{}", collect().2);
    fs::copy(results.join("trial-0.json"), results.join("trial-00.json")).unwrap();
    let (ok, _, err) = collect();
    assert!(
        !ok && err.contains("two files hold the result of trial 0"),
        "{err}"
    );
    fs::remove_file(results.join("trial-00.json")).unwrap();
    fs::write(results.join("trial-9.json"), trial(1)).unwrap();
    let (ok, _, err) = collect();
    assert!(
        !ok && err
            .contains("trial-9.json: the result of trial 1, in a file not named trial-1.json"),
        "{err}"
    );
    fs::write(
        results.join("trial-9.json"),
        trial(1).replace("\"trial\":1", "\"trial\":9"),
    )
    .unwrap();
    let (ok, _, err) = collect();
    assert!(
        !ok && err.contains("trial-9.json is not a trial of the plan plan.jsonl (it has 6)"),
        "{err}"
    );
}

#[test]
fn the_learning_rate_range_test_suggests_a_rate_and_draws_the_loss() {
    let dir = with_moons();
    let (ok, out, err) = run(
        dir.path(),
        &[
            "tune", "lr", "--data", "d.csv", "--steps", "60", "--plot", "lr.png", "--seed", "2",
        ],
    );
    assert!(ok, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("suggested learning rate: "))
        .unwrap();
    let lr: f64 = line["suggested learning rate: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1e-5..1.0).contains(&lr), "{out}");
    assert!(fs::metadata(dir.path().join("lr.png")).unwrap().len() > 1000);
    // The same command, the same suggestion.
    let (_, again, _) = run(
        dir.path(),
        &[
            "tune", "lr", "--data", "d.csv", "--steps", "60", "--seed", "2",
        ],
    );
    assert_eq!(again, out);
    let (ok, _, err) = run(
        dir.path(),
        &[
            "tune", "lr", "--data", "d.csv", "--lr-min", "1", "--lr-max", "0.1",
        ],
    );
    assert!(
        !ok && err.contains("--lr-min 1 must be below --lr-max 0.1"),
        "{err}"
    );
    let (ok, _, err) = run(
        dir.path(),
        &["tune", "lr", "--data", "d.csv", "--steps", "1"],
    );
    assert!(
        !ok && err.contains("--steps must be 2 to 1000000, got 1"),
        "{err}"
    );
    // --steps 1e11 aborted allocating 2.4 TB for the curve
    let (ok, _, err) = run(
        dir.path(),
        &["tune", "lr", "--data", "d.csv", "--steps", "100000000000"],
    );
    assert!(
        !ok && err.contains("--steps must be 2 to 1000000, got 100000000000"),
        "{err}"
    );
    // lr_max / lr_min overflowed: the rate became inf, trained with and suggested
    let (ok, out, err) = run(
        dir.path(),
        &[
            "tune", "lr", "--data", "d.csv", "--lr-min", "1e-300", "--lr-max", "1e300", "--steps",
            "20",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        !out.contains("inf") && out.contains("lr 1.000e-300 ->"),
        "{out}"
    );
}

#[test]
fn huge_sweeps_are_refused_before_any_trial_is_made() {
    // --trials 1e12 aborted allocating 96 TB; --grid-points 1e8 built the grid for half a minute
    // before counting it.
    let dir = with_moons();
    let start = std::time::Instant::now();
    for (args, needle) in [
        (
            vec!["--trials", "1000000000000"],
            "--trials 1000000000000: at most 100000 trials",
        ),
        (
            vec!["--lr", "1e-3..1e-1", "--grid-points", "100000000"],
            "the grid has 100000000 combinations",
        ),
        (
            vec![
                "--lr",
                "1e-3..1e-1",
                "--dropout",
                "0..0.5",
                "--grid-points",
                "4294967296",
            ],
            "the grid has 18446744073709551616 combinations",
        ),
    ] {
        let mut all = vec!["tune", "--data", "d.csv", "--epochs", "1"];
        all.extend(args);
        let (ok, _, err) = run(dir.path(), &all);
        assert!(!ok && err.contains(needle), "{all:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{err}"
        );
    }
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
}

#[test]
fn trains_other_sources_are_named_as_such() {
    // was "cannot read digits: No such file or directory"
    let dir = with_moons();
    for args in [
        vec!["tune", "--data", "digits", "--epochs", "1"],
        vec!["tune", "lr", "--data", "images:img"],
    ] {
        let (ok, _, err) = run(dir.path(), &args);
        let name = args[args.len() - if args[1] == "lr" { 1 } else { 3 }];
        assert!(
            !ok && err.contains(&format!(
                "--data {name}: tune reads a CSV file (digits, mnist:DIR and images:DIR are train's)"
            )),
            "{err}"
        );
    }
}
