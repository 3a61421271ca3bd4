//! The CLI under hostile use (issue 17): outputs that are links, FIFOs, devices or `-`; outputs equal
//! to inputs or to each other; a closed or full standard output; SIGINT during training; runs too
//! large for memory.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn micrograd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../micrograd/tests/fixtures")
        .join(name)
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    micrograd()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and expects success; returns (stdout, stderr).
fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let out = run_in(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

/// Runs and expects exit code 1 with `needle` in the error; returns stderr.
fn fails(dir: &Path, args: &[&str], needle: &str) -> String {
    let out = run_in(dir, args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A folder with `d.csv` (40 moons points).
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &["data", "gen", "moons", "--n", "40", "-o", "d.csv"],
    );
    dir
}

fn is_model(text: &str) -> bool {
    micrograd::nn::MLP::from_json(text).is_ok()
}

#[cfg(unix)]
#[test]
fn outputs_write_through_links_and_into_stdout_fifos_and_devices() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let dir = folder();
    let d = dir.path();
    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [&["train", "--data", "d.csv", "--steps", "3"][..], extra].concat()
    }

    // a symbolic link, dangling and then not: the file it points to is written, the link stays
    std::os::unix::fs::symlink("target.json", d.join("link.json")).unwrap();
    for _ in 0..2 {
        let (_, err) = ok(d, &with(&["--save", "link.json"]));
        assert!(err.contains("wrote link.json (the trained model)"), "{err}");
        assert!(fs::symlink_metadata(d.join("link.json"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(is_model(
            &fs::read_to_string(d.join("target.json")).unwrap()
        ));
    }

    // `-` and /dev/stdout are standard output; no "wrote" line for `-`
    let (out, err) = ok(d, &with(&["--save", "-"]));
    assert!(is_model(&out), "{out}");
    assert!(!err.contains("wrote -"), "{err}");
    let (out, _) = ok(d, &with(&["--trace", "/dev/stdout"]));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["step"], 2);
    let (out, _) = ok(d, &["data", "gen", "blobs", "--n", "6", "-o", "-"]);
    assert_eq!(out.lines().count(), 7, "{out}");
    assert!(out.starts_with("x0,x1,label\n"), "{out}");

    // /dev/null stays the device
    ok(d, &with(&["--save", "/dev/null", "--trace", "/dev/null"]));
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());

    // a FIFO is written into, and stays a FIFO
    if Command::new("mkfifo")
        .arg(d.join("pipe"))
        .status()
        .is_ok_and(|s| s.success())
    {
        let fifo = d.join("pipe");
        let reader = std::thread::spawn(move || fs::read_to_string(fifo).unwrap());
        ok(d, &with(&["--save", "pipe"]));
        assert!(is_model(&reader.join().unwrap()));
        assert!(fs::metadata(d.join("pipe")).unwrap().file_type().is_fifo());
    }

    // an existing file keeps its permissions; a read-only one is refused and left alone
    fs::write(d.join("m.json"), "old").unwrap();
    fs::set_permissions(d.join("m.json"), fs::Permissions::from_mode(0o600)).unwrap();
    ok(d, &with(&["--save", "m.json"]));
    let meta = fs::metadata(d.join("m.json")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    fs::set_permissions(d.join("m.json"), fs::Permissions::from_mode(0o444)).unwrap();
    let before = fs::read(d.join("m.json")).unwrap();
    fails(
        d,
        &with(&["--save", "m.json"]),
        "--save m.json: the file is read-only",
    );
    assert_eq!(fs::read(d.join("m.json")).unwrap(), before);
    assert_eq!(
        fs::metadata(d.join("m.json")).unwrap().permissions().mode() & 0o777,
        0o444
    );
    assert!(
        !files(d).iter().any(|f| f.starts_with(".micrograd-")),
        "{:?}",
        files(d)
    );
}

#[cfg(unix)]
#[test]
fn an_output_equal_to_an_input_or_another_output_is_refused_before_any_work() {
    let dir = folder();
    let d = dir.path();
    fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("d.csv", d.join("alias.csv")).unwrap();
    fs::copy(fixture("names.txt"), d.join("n.txt")).unwrap();
    let csv = fs::read(d.join("d.csv")).unwrap();
    let names = fs::read(d.join("n.txt")).unwrap();
    let before = files(d);
    for save in ["d.csv", "sub/../d.csv", "alias.csv", "./d.csv"] {
        fails(
            d,
            &["train", "--data", "d.csv", "--save", save],
            &format!("--save {save} is the same file as the input --data d.csv"),
        );
    }
    fails(
        d,
        &["train", "--data", "alias.csv", "--trace", "d.csv"],
        "is the same file as the input --data alias.csv",
    );
    fails(
        d,
        &["gpt", "train", "--data", "n.txt", "--save", "n.txt"],
        "--save n.txt is the same file as the input --data n.txt",
    );
    for (a, b) in [
        (["--save", "a.json"], ["--trace", "a.json"]),
        (["--plot", "p.png"], ["--loss-plot", "sub/../p.png"]),
        (["--save", "-"], ["--trace", "-"]),
    ] {
        let args = [&["train", "--data", "d.csv"][..], &a, &b].concat();
        fails(d, &args, "are the same file; give each output its own name");
    }
    fails(
        d,
        &["grad", "x*2", "x=1", "--dot", "g", "--svg", "g"],
        "--dot g and --svg g are the same file",
    );
    fails(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--arch",
            "flatten linear(10)",
            "--save",
            "m.json",
            "--filters",
            "sub/../m.json",
        ],
        "--save m.json and --filters sub/../m.json are the same file",
    );
    fails(
        d,
        &[
            "predict",
            "--model",
            "alias.csv",
            "--data",
            "digits",
            "--confusion",
            "d.csv",
        ],
        "--confusion d.csv is the same file as the input --model alias.csv",
    );
    fails(
        d,
        &[
            "predict",
            "--model",
            "m.json",
            "--data",
            "digits",
            "--misclassified",
            "w.png",
            "--samples",
            "./w.png",
        ],
        "--misclassified w.png and --samples ./w.png are the same file",
    );
    fails(
        d,
        &["tune", "--data", "d.csv", "--save-best", "alias.csv"],
        "is the same file as the input --data d.csv",
    );
    fails(
        d,
        &["tune", "--data", "d.csv", "--plan", "sub/../d.csv"],
        "--plan sub/../d.csv is the same file as the input --data d.csv",
    );
    fails(
        d,
        &[
            "tune",
            "--data",
            "d.csv",
            "--results",
            "r.jsonl",
            "--plot",
            "r.jsonl",
        ],
        "--results r.jsonl and --plot r.jsonl are the same file",
    );
    fails(
        d,
        &["tune", "lr", "--data", "d.csv", "--plot", "alias.csv"],
        "--plot alias.csv is the same file as the input --data d.csv",
    );
    assert_eq!(files(d), before);
    assert_eq!(fs::read(d.join("d.csv")).unwrap(), csv);
    assert_eq!(fs::read(d.join("n.txt")).unwrap(), names);
}

/// Every subcommand, with what it writes to stdout, and the files it must still write.
fn every_command(d: &Path) -> Vec<(Vec<String>, Vec<&'static str>)> {
    let names = fixture("names.txt").to_str().unwrap().to_string();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    ok(
        d,
        &[
            "train", "--data", "d.csv", "--steps", "2", "--save", "m.json",
        ],
    );
    ok(
        d,
        &[
            "gpt", "train", "--data", &names, "--steps", "2", "--save", "g.json",
        ],
    );
    ok(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--arch",
            "flatten linear(10)",
            "--epochs",
            "1",
            "--save",
            "cnn.json",
        ],
    );
    vec![
        (v(&["demo", "--out", "pics"]), vec!["pics/moons.png"]),
        (
            v(&[
                "train", "--data", "d.csv", "--steps", "300", "--trace", "-", "--save", "m2.json",
            ]),
            vec!["m2.json"],
        ),
        (
            v(&[
                "train",
                "--data",
                "d.csv",
                "--epochs",
                "300",
                "--batch-size",
                "8",
                "--trace",
                "-",
                "--save",
                "m3.json",
            ]),
            vec!["m3.json"],
        ),
        (
            v(&["predict", "--model", "m.json", "--data", "d.csv"]),
            vec![],
        ),
        (
            v(&["grad", "x*y + 1", "x=2", "y=3", "--dot", "g.dot"]),
            vec!["g.dot"],
        ),
        (
            v(&["data", "gen", "spirals", "--n", "20000", "-o", "-"]),
            vec![],
        ),
        (
            vec![
                "gpt".into(),
                "train".into(),
                "--data".into(),
                names,
                "--steps".into(),
                "30".into(),
                "--trace".into(),
                "-".into(),
                "--save".into(),
                "g2.json".into(),
            ],
            vec!["g2.json"],
        ),
        (
            v(&[
                "gpt", "sample", "--model", "g.json", "-n", "3000", "--seed", "1",
            ]),
            vec![],
        ),
        (
            v(&[
                "train",
                "--data",
                "digits",
                "--arch",
                "conv(2,3) relu flatten linear(10)",
                "--epochs",
                "2",
                "--trace",
                "-",
                "--save",
                "cnn2.json",
                "--filters",
                "filters.png",
            ]),
            vec!["cnn2.json", "filters.png"],
        ),
        (
            v(&[
                "predict",
                "--model",
                "cnn.json",
                "--data",
                "digits",
                "--csv",
                "--confusion",
                "confusion.png",
            ]),
            vec!["confusion.png"],
        ),
        (
            v(&[
                "tune",
                "--data",
                "d.csv",
                "--trials",
                "2",
                "--epochs",
                "2",
                "--save-best",
                "best.json",
                "--plot",
                "tune.png",
            ]),
            vec!["best.json", "tune.png"],
        ),
        (
            v(&[
                "tune", "lr", "--data", "d.csv", "--steps", "40", "--plot", "lr.png",
            ]),
            vec!["lr.png"],
        ),
    ]
}

#[test]
fn a_closed_stdout_ends_quietly_after_the_files_are_written() {
    let dir = folder();
    let d = dir.path();
    for (args, outputs) in every_command(d) {
        let mut child = micrograd()
            .args(&args)
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // read one byte (the command has started writing), then close the pipe
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        let _ = stdout.read(&mut first);
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
        for f in outputs {
            assert!(d.join(f).exists(), "{args:?}: {f} was not written: {err}");
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let dir = folder();
    let d = dir.path();
    for (args, _) in every_command(d) {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = micrograd()
            .args(&args)
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(full)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("error: cannot write to standard output: No space left on device"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Starts `args` in `dir`, waits for `ready` on stderr, sends SIGINT; returns (exit code, stderr).
#[cfg(unix)]
fn interrupt(dir: &Path, args: &[&str], ready: &str) -> (Option<i32>, String) {
    let mut child = micrograd()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let start = Instant::now();
    while !seen.contains(ready) {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("{args:?} ended before {ready:?}: {seen}");
        }
        seen += &line;
        assert!(start.elapsed() < Duration::from_secs(60), "{seen}");
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    (status.code(), seen + &rest)
}

#[cfg(unix)]
#[test]
fn sigint_saves_a_checkpoint_that_training_resumes_from() {
    let dir = folder();
    let d = dir.path();
    let no_temporaries = |d: &Path| {
        assert!(
            !files(d).iter().any(|f| f.starts_with(".micrograd-")),
            "{:?}",
            files(d)
        )
    };

    // micrograd's demo loop
    let (code, err) = interrupt(
        d,
        &[
            "train",
            "--data",
            "d.csv",
            "--steps",
            "100000000",
            "--save",
            "m.json",
            "--trace",
            "t.jsonl",
        ],
        "step ",
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains("stopped by a signal; resume with --model-init m.json"),
        "{err}"
    );
    assert!(err.contains("a checkpoint after "), "{err}");
    assert!(is_model(&fs::read_to_string(d.join("m.json")).unwrap()));
    let trace = fs::read_to_string(d.join("t.jsonl")).unwrap();
    assert!(trace.lines().count() >= 1);
    for (k, l) in trace.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["step"], k);
    }
    no_temporaries(d);
    ok(
        d,
        &[
            "train",
            "--data",
            "d.csv",
            "--model-init",
            "m.json",
            "--steps",
            "2",
        ],
    );

    // the general loop, between epochs
    let (code, err) = interrupt(
        d,
        &[
            "train",
            "--data",
            "d.csv",
            "--epochs",
            "10000000",
            "--batch-size",
            "8",
            "--save",
            "f.json",
            "--trace",
            "f.jsonl",
        ],
        "epoch ",
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted: "), "{err}");
    assert!(is_model(&fs::read_to_string(d.join("f.json")).unwrap()));
    let first: serde_json::Value = serde_json::from_str(
        fs::read_to_string(d.join("f.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["epoch"], 1);
    no_temporaries(d);

    // the general loop in the middle of a long epoch (1,797 steps of one digit each, seconds): it stops at
    // the end of the current step, not of the epoch, and the checkpoint resumes
    let (code, err) = interrupt(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--arch",
            "conv(32,3,pad=1) relu flatten linear(10)",
            "--epochs",
            "3",
            "--batch-size",
            "1",
            "--save",
            "e.json",
            "--trace",
            "e.jsonl",
        ],
        "loss ce",
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains("interrupted: ") && err.contains("steps into epoch 1, no epoch finished"),
        "{err}"
    );
    assert!(
        err.contains("a checkpoint after 0 of 3 epochs and ")
            && err.contains(" steps into epoch 1)"),
        "{err}"
    );
    let saved = fs::read_to_string(d.join("e.json")).unwrap();
    assert!(micrograd::nn::Sequential::from_json(&saved).is_ok());
    assert_eq!(fs::read_to_string(d.join("e.jsonl")).unwrap(), "");
    no_temporaries(d);
    let (_, err) = ok(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--model-init",
            "e.json",
            "--epochs",
            "1",
        ],
    );
    assert!(err.contains("done: 1 epochs"), "{err}");

    // gpt train: a saved model is accepted as --init
    let names = fixture("names.txt");
    let names = names.to_str().unwrap();
    let (code, err) = interrupt(
        d,
        &[
            "gpt",
            "train",
            "--data",
            names,
            "--steps",
            "100000000",
            "--save",
            "g.json",
            "--trace",
            "g.jsonl",
        ],
        "step ",
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains("stopped by a signal; resume with --init g.json"),
        "{err}"
    );
    let saved = micrograd::gpt::Gpt::from_json(&fs::read_to_string(d.join("g.json")).unwrap());
    assert!(saved.is_ok(), "{saved:?}");
    no_temporaries(d);
    let (_, err) = ok(
        d,
        &[
            "gpt", "train", "--data", names, "--init", "g.json", "--steps", "3",
        ],
    );
    assert!(err.contains("trained 3 steps"), "{err}");
    fails(
        d,
        &[
            "gpt", "train", "--data", names, "--init", "g.json", "--steps", "3", "--n-embd", "8",
        ],
        "g.json: the saved model is",
    );
}

#[test]
fn runs_too_large_for_memory_are_refused_at_once() {
    let dir = folder();
    let d = dir.path();
    // 2,000 points, full batch, through two layers of 3,000: terabytes of tape
    let mut csv = String::from("x0,x1,label\n");
    for i in 0..2000 {
        csv += &format!(
            "{},{},{}\n",
            i as f64 * 0.001,
            1.0 - i as f64 * 0.001,
            i % 2
        );
    }
    fs::write(d.join("big.csv"), csv).unwrap();
    let start = Instant::now();
    let err = fails(
        d,
        &[
            "train",
            "--data",
            "big.csv",
            "--hidden",
            "3000,3000",
            "--save",
            "m.json",
        ],
        "training MLP(2, [3000, 3000, 1]) on batches of 2000 examples needs about ",
    );
    assert!(err.contains("--batch-size"), "{err}");
    let err = fails(
        d,
        &[
            "gpt",
            "train",
            "--data",
            fixture("names.txt").to_str().unwrap(),
            "--n-embd",
            "4096",
        ],
        "needs about ",
    );
    assert!(err.contains("use a smaller model (--n-embd"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(!d.join("m.json").exists());

    // --max-memory
    fails(
        d,
        &[
            "train",
            "--data",
            "d.csv",
            "--steps",
            "1",
            "--max-memory",
            "100K",
        ],
        "more than --max-memory, 100.0 KiB",
    );
    ok(
        d,
        &[
            "train",
            "--data",
            "d.csv",
            "--steps",
            "1",
            "--max-memory",
            "1G",
        ],
    );
    fails(
        d,
        &[
            "gpt",
            "train",
            "--data",
            fixture("names.txt").to_str().unwrap(),
            "--max-memory",
            "1M",
        ],
        "more than --max-memory, 1.0 MiB",
    );
    let out = run_in(d, &["train", "--data", "d.csv", "--max-memory", "lots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`lots` is not a size"));
}

#[test]
fn a_tape_that_cannot_be_had_is_an_error_before_training_in_both_loops() {
    // --max-memory lets the estimate through; the tape's reservation (11,000 points full batch
    // through 100,000 neurons: 2.2 billion nodes, more than a tape holds) is refused by the engine
    let dir = folder();
    let d = dir.path();
    let mut csv = String::from("x0,x1,label\n");
    for i in 0..11_000 {
        csv += &format!(
            "{},{},{}\n",
            i as f64 * 0.001,
            0.5,
            if i % 2 == 0 { -1 } else { 1 }
        );
    }
    fs::write(d.join("big.csv"), csv).unwrap();
    // the parameters (3 · 100,000 + 100,001), a step on every point, the L2 penalty (a node a parameter)
    let nodes: u128 = 400_001 + 11_000 * (2 + 1 + 8 + 2 * 100_001) + 400_001;
    for extra in [
        &["--steps", "1"][..],
        &["--epochs", "1", "--alpha", "1e-4"][..],
    ] {
        let mut args = vec![
            "train",
            "--data",
            "big.csv",
            "--hidden",
            "100000",
            "--max-memory",
            "1000T",
            "--save",
            "m.json",
        ];
        args.extend(extra);
        let start = Instant::now();
        let err = fails(
            d,
            &args,
            &format!(
                "error: training MLP(2, [100000, 1]) on batches of 11000 examples needs a tape of \
                 {nodes} nodes (57.4 GiB), which cannot be had: micrograd: the tape cannot grow to \
                 {nodes} nodes ({} bytes): a tape holds at most 2147483647 nodes; use smaller \
                 batches (--batch-size N, the general loop), a smaller model (--hidden), or less data",
                nodes * 28
            ),
        );
        assert!(
            !err.contains("training MLP(2, [100000, 1]) (100001"),
            "{err}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
        assert!(!d.join("m.json").exists());
    }
    // gpt train: 1,000 layers of 4,096 channels, 2·10^11 parameters, refused before it is built
    let names = fixture("names.txt");
    let args = [
        "gpt",
        "train",
        "--data",
        names.to_str().unwrap(),
        "--n-embd",
        "4096",
        "--n-layer",
        "1000",
        "--max-memory",
        "1000T",
        "--save",
        "g.json",
    ];
    fails(
        d,
        &args,
        "error: training a GPT of 201326878720 parameters (n_layer 1000, n_embd 4096, block_size 16) \
         needs a tape of 204342828736 nodes (5.2 TiB), which cannot be had: micrograd: the tape \
         cannot grow to 204342828736 nodes (5721599204608 bytes): a tape holds at most 2147483647 \
         nodes; use a smaller model (--n-embd, --n-layer) or a shorter context (--block-size)",
    );
    assert!(!d.join("g.json").exists());
}

#[test]
fn gpt_errors_name_the_field_and_the_failing_step() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = fixture("names.txt");
    let names = names.to_str().unwrap();
    fails(
        d,
        &["gpt", "train", "--data", names, "--block-size", "100000"],
        "error: --block-size: 100000 is too large (at most 65536)",
    );
    // negative numbers after a flag are values, refused by their own check
    fails(
        d,
        &["gpt", "train", "--data", names, "--lr", "-1"],
        "--lr must be a positive number, not -1",
    );
    let out = run_in(d, &["gpt", "train", "--data", names, "--steps", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid value '-1' for '--steps <STEPS>'"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn gpt_divergence_names_the_failing_step_once_and_writes_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = fixture("names.txt");
    let err = fails(
        d,
        &[
            "gpt",
            "train",
            "--data",
            names.to_str().unwrap(),
            "--lr",
            "1e300",
            "--steps",
            "50",
            "--trace",
            "t.jsonl",
            "--save",
            "m.json",
        ],
        "error: the loss of step ",
    );
    assert_eq!(err.matches("stopped").count(), 1, "{err}");
    // the step named is the one that failed: the trace holds the steps before it
    let step: usize = err
        .split("the loss of step ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    let trace = fs::read_to_string(d.join("t.jsonl")).unwrap();
    assert_eq!(trace.lines().count(), step - 1, "{err}\n{trace}");
    assert!(
        err.contains(&format!("wrote the trace of steps 1 to {}", step - 1)),
        "{err}"
    );
    assert!(!d.join("m.json").exists());
}

#[test]
fn help_texts_describe_k_classes_both_loops_and_the_new_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (help, _) = ok(dir.path(), &["train", "--help"]);
    for needle in [
        "classes 0, 1, ..., k-1",
        "k neurons for --loss ce on k classes",
        "micrograd's demo loop (the default)",
        "count epochs from 1",
        "--max-memory <BYTES>",
        "exits with code 130",
        "`-`: standard output",
    ] {
        assert!(help.contains(needle), "{needle:?} not in train --help");
    }
    assert!(!help.contains("its output layer is one linear neuron"));
    let (help, _) = ok(dir.path(), &["--help"]);
    assert!(
        help.contains("Train a model (an MLP, or layers from --arch) on a CSV file, digits")
            && help.contains("Score a data set (CSV, digits, MNIST or an image folder)"),
        "{help}"
    );
    // clap prints each default once; a help text that also spells it out shows it twice
    for args in [
        &["train", "--help"][..],
        &["tune", "--help"],
        &["tune", "lr", "--help"],
    ] {
        let (help, _) = ok(dir.path(), args);
        let mut option = String::new();
        for line in help.lines().chain(["  --end"]) {
            if line.trim_start().starts_with('-') {
                assert!(
                    option.matches("[default:").count() <= 1,
                    "{args:?}: the default is given twice in {option}"
                );
                option.clear();
            }
            option.push_str(line);
        }
    }
    let (help, _) = ok(dir.path(), &["gpt", "train", "--help"]);
    assert!(help.contains("or a model saved by"), "{help}");
    assert!(help.contains("--max-memory <BYTES>"), "{help}");
}

/// Waits until a `.micrograd-` temporary file exists in `dir`.
#[cfg(unix)]
fn wait_for_temporary(dir: &Path) {
    let start = Instant::now();
    while !files(dir).iter().any(|f| f.starts_with(".micrograd-")) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
fn sigint(pid: u32) {
    assert!(Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

/// An output into a FIFO nobody reads is staged in a temporary file (in TMPDIR) and then blocks
/// opening the FIFO: a signal then must remove the temporary file.
#[cfg(unix)]
#[test]
fn a_signal_while_an_output_is_written_removes_the_temporary_file() {
    let dir = folder();
    let d = dir.path();
    let tmp = d.join("tmp");
    fs::create_dir(&tmp).unwrap();
    if !Command::new("mkfifo")
        .arg(d.join("pipe"))
        .status()
        .is_ok_and(|s| s.success())
    {
        return; // no mkfifo here
    }
    let spawn = |args: &[&str]| {
        micrograd()
            .args(args)
            .current_dir(d)
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };

    // outside training: the first signal ends the command
    let child = spawn(&["data", "gen", "moons", "-o", "pipe"]);
    wait_for_temporary(&tmp);
    sigint(child.id());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert_eq!(files(&tmp), Vec::<String>::new());

    // while training: the first signal asks for a checkpoint, a second one ends the command
    let child = spawn(&["train", "--data", "d.csv", "--steps", "3", "--save", "pipe"]);
    wait_for_temporary(&tmp);
    sigint(child.id());
    std::thread::sleep(Duration::from_millis(300));
    sigint(child.id());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupt again to quit at once"), "{err}");
    assert_eq!(files(&tmp), Vec::<String>::new());
    assert!(
        !files(d).iter().any(|f| f.starts_with(".micrograd-")),
        "{:?}",
        files(d)
    );
}

/// No error echoes more than about 200 characters of one input: a 100,000-character `--arch` in
/// the memory refusal, a 5,000-character value in clap's `invalid value '...'` (ours and clap's).
#[test]
fn long_inputs_are_cut_in_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let arch = vec!["relu"; 20_000].join(" ");
    let err = fails(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--arch",
            &arch,
            "--max-memory",
            "1M",
        ],
        "of memory, more than --max-memory",
    );
    assert!(err.len() < 1000, "{} bytes: {}", err.len(), &err[..300]);
    assert!(err.contains("training relu relu"), "{err}");
    let long = "x".repeat(5000);
    let hidden = vec!["1"; 3000].join(",") + ",100001";
    for args in [
        vec!["train", "--data", "digits", "--augment", long.as_str()],
        vec!["train", "--data", "digits", "--lr", long.as_str()],
        vec!["train", "--data", "images:d", "--resize", long.as_str()],
        vec!["train", "--data", long.as_str(), "--bogus"],
        vec!["train", "--data", "digits", "--hidden", hidden.as_str()],
    ] {
        let out = run_in(d, &args);
        let err = text(&out.stderr);
        let code = if args.contains(&"--hidden") { 1 } else { 2 };
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            &err[..err.len().min(300)]
        );
        assert!(err.len() < 1000, "{} bytes: {}", err.len(), &err[..300]);
        assert!(err.starts_with("error: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let err = text(&run_in(d, &["train", "--data", "digits", "--augment", &long]).stderr);
    assert!(
        err.starts_with("error: invalid value 'xxxx") && err.contains("for '--augment <SPEC>'"),
        "{err}"
    );
    assert!(err.contains("expected KEY=VALUE"), "{err}");
}

/// `--augment jitter=1e308` parses (a finite number) and used to panic in the library; a constant
/// column whose mean rounds (0.1 seven times) was standardized by a 1e-17 "standard deviation".
#[test]
fn huge_jitter_and_constant_columns_train_without_panicking_or_exploding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv: String = (0..7).map(|i| format!("{i},0.1,{}\n", i % 2)).collect();
    fs::write(d.join("c.csv"), format!("x,c,label\n{csv}")).unwrap();
    let out = run_in(
        d,
        &[
            "train",
            "--data",
            "c.csv",
            "--arch",
            "linear(1)",
            "--epochs",
            "1",
            "--augment",
            "jitter=1e308",
        ],
    );
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the loss became"), "{err}");
    ok(
        d,
        &[
            "train",
            "--data",
            "c.csv",
            "--arch",
            "linear(1)",
            "--epochs",
            "1",
            "--standardize",
            "--save",
            "m.json",
        ],
    );
    let model: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("m.json")).unwrap()).unwrap();
    assert_eq!(model["preprocess"]["scale"][1], 1.0, "{model}");
    assert_eq!(model["preprocess"]["shift"][1], 0.1, "{model}");
}
