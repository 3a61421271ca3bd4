//! Output paths are checked before any work, and sizes that would exhaust memory are refused with a
//! clear error instead of an allocation failure.

use std::path::Path;
use std::process::{Command, Output};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("run the micrograd binary")
}

fn fails_with(args: &[&str], needle: &str) {
    let out = micrograd(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err:?}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

#[test]
fn huge_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    let csv = csv.to_str().unwrap();
    fails_with(
        &["data", "gen", "blobs", "--n", "10000000000", "-o", csv],
        "at most 10,000,000 points",
    );
    assert!(!Path::new(csv).exists());
    let ok = micrograd(&["data", "gen", "moons", "--n", "20", "-o", csv]);
    assert!(ok.status.success());
    fails_with(
        &[
            "train",
            "--data",
            csv,
            "--hidden",
            "100000,100000",
            "--steps",
            "1",
        ],
        "too large for this scalar engine",
    );
}

#[test]
fn an_unwritable_output_fails_before_any_work_and_leaves_nothing() {
    if !Path::new("/proc/self").exists() {
        return; // needs a folder nobody can create files in, even root: /proc
    }
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join("g.dot");
    fails_with(
        &[
            "grad",
            "x*2",
            "x=1",
            "--dot",
            dot.to_str().unwrap(),
            "--svg",
            "/proc/x.svg",
        ],
        "--svg /proc/x.svg: cannot write in the folder /proc",
    );
    assert!(
        !dot.exists(),
        "--dot was written although --svg could not be"
    );
    let csv = dir.path().join("d.csv");
    let csv = csv.to_str().unwrap();
    assert!(micrograd(&["data", "gen", "moons", "--n", "20", "-o", csv])
        .status
        .success());
    let save = dir.path().join("m.json");
    fails_with(
        &[
            "train",
            "--data",
            csv,
            "--steps",
            "2",
            "--save",
            save.to_str().unwrap(),
            "--plot",
            "/proc/x.png",
        ],
        "--plot /proc/x.png: cannot write in the folder /proc",
    );
    assert!(!save.exists());
    fails_with(
        &["data", "gen", "moons", "-o", "/proc/x.csv"],
        "-o /proc/x.csv",
    );
}
