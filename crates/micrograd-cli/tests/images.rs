//! `micrograd train` and `predict` beyond 2-D points (issue 12): `--arch` and its errors, the data
//! sources (digits, MNIST IDX files, image folders) and their bad files, `--standardize` carried by
//! the model file into `predict`, the confusion matrix, the pictures, and seeded reruns.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn micrograd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    micrograd().args(args).current_dir(dir).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and expects success; returns (stdout, stderr).
fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let out = run(dir, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    (text(&out.stdout), text(&out.stderr))
}

/// Runs and expects exit code 1, no panic, and no file left in `dir` but `keep`; returns stderr.
fn fails(dir: &Path, args: &[&str], keep: &[&str]) -> String {
    let out = run(dir, args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let mut left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(left, want, "{args:?}: only the inputs are left");
    err
}

fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../micrograd/examples/data")
        .join(name)
}

/// The number after `prefix` in `text` (up to the next space or `%`).
fn number_after(text: &str, prefix: &str) -> f64 {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} in {text}"))
        + prefix.len();
    let rest = &text[at..];
    let end = rest.find([' ', '%']).unwrap_or(rest.len());
    rest[..end].parse().unwrap()
}

/// The test accuracy a training log reports (`test: loss L, accuracy A% ...`).
fn test_accuracy(log: &str) -> f64 {
    let at = log
        .find("test: loss ")
        .unwrap_or_else(|| panic!("no test line in {log}"));
    number_after(&log[at..], "accuracy ")
}

#[test]
fn arch_errors_point_at_the_column_and_name_the_layer_and_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let arch = "conv(8,3) relu maxpool(2,strde=2)";
    let err = fails(
        d,
        &[
            "train", "--data", "digits", "--arch", arch, "--save", "m.json",
        ],
        &[],
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "error: --arch: cannot parse the architecture: column 26: unknown argument `strde` (expected stride or pad)"
    );
    assert_eq!(lines[1], arch);
    assert_eq!(lines[2], format!("{}^", " ".repeat(25)));
    assert_eq!(&arch[25..30], "strde");

    // 8×8 → conv(8,5) 4×4 → maxpool(4) 1×1: the third layer's 2×2 window does not fit
    let arch = "conv(8,5) maxpool(4) maxpool(2) flatten linear(10)";
    let err = fails(
        d,
        &[
            "train", "--data", "digits", "--arch", arch, "--save", "m.json",
        ],
        &[],
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "error: --arch does not fit the digits data (1×8×8 inputs): column 22: layer 3 \
         (maxpool(2)): the 2×2 window does not fit the 1×1 input (height 1 + 2·padding 0 < 2)"
    );
    assert_eq!(lines[2].find('^'), Some(21));
    assert_eq!(&arch[21..31], "maxpool(2)");

    let err = fails(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--arch",
            "conv(4,3) flatten linear(7)",
        ],
        &[],
    );
    assert!(
        err.contains("the ce loss on 10 classes needs a model with 10 outputs, this one has 7"),
        "{err}"
    );
    let err = fails(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--arch",
            "linear(100000) linear(100000)",
        ],
        &[],
    );
    assert!(err.contains("too large for this scalar engine"), "{err}");
    let err = fails(
        d,
        &[
            "train",
            "--data",
            "digits",
            "--hidden",
            "8",
            "--filters",
            "f.png",
        ],
        &[],
    );
    assert!(
        err.contains("--filters draws the filters of a convolution"),
        "{err}"
    );
}

/// Writes an IDX file: magic `0 0 8 ndims`, the sizes big-endian, the bytes.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend(data);
    b
}

#[test]
fn mnist_files_train_and_bad_ones_are_errors_naming_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = d.join("m");
    fs::create_dir(&m).unwrap();
    // 20 images of 4×4: class 0 bright on the left half, class 1 on the right half
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for i in 0..20u8 {
        let class = i % 2;
        for _ in 0..4 {
            for x in 0..4 {
                pixels.push(if (x < 2) == (class == 0) { 200 + i } else { i });
            }
        }
        labels.push(class);
    }
    fs::write(m.join("train-images-idx3-ubyte"), idx(&[20, 4, 4], &pixels)).unwrap();
    fs::write(m.join("train-labels-idx1-ubyte"), idx(&[20], &labels)).unwrap();
    let (_, log) = ok(
        d,
        &[
            "train",
            "--data",
            "mnist:m",
            "--arch",
            "flatten linear(10)",
            "--optimizer",
            "adam",
            "--lr",
            "0.05",
            "--epochs",
            "30",
            "--seed",
            "1",
        ],
    );
    assert!(
        log.contains("on mnist:m (20 examples, 10 classes)"),
        "{log}"
    );
    assert!(
        log.contains("train accuracy") && log.contains("-> 100.0%"),
        "{log}"
    );

    let images = m.join("train-images-idx3-ubyte");
    let mut wrong = idx(&[20, 4, 4], &pixels);
    wrong[2] = 0x0d;
    fs::write(&images, &wrong).unwrap();
    let err = fails(
        d,
        &["train", "--data", "mnist:m", "--save", "s.json"],
        &["m"],
    );
    assert!(
        err.contains(&format!(
            "{}: byte 2: data type 0x0d is not supported",
            images.strip_prefix(d).unwrap().display()
        )),
        "{err}"
    );
    fs::write(&images, [0x1f, 0x8b, 8, 0, 1, 2]).unwrap();
    let err = fails(
        d,
        &["train", "--data", "mnist:m", "--save", "s.json"],
        &["m"],
    );
    assert!(
        err.contains("train-images-idx3-ubyte: byte 0: wrong magic number 1f 8b 08 00")
            && err.contains("gzipped"),
        "{err}"
    );
    fs::write(&images, &idx(&[20, 4, 4], &pixels)[..100]).unwrap();
    let err = fails(
        d,
        &["train", "--data", "mnist:m", "--save", "s.json"],
        &["m"],
    );
    assert!(
        err.contains(
            "train-images-idx3-ubyte: byte 16: truncated: the header announces 320 bytes of data, the file has 84"
        ),
        "{err}"
    );
    // a label outside MNIST's 10 classes
    fs::write(&images, idx(&[20, 4, 4], &pixels)).unwrap();
    labels[7] = 12;
    fs::write(m.join("train-labels-idx1-ubyte"), idx(&[20], &labels)).unwrap();
    let err = fails(
        d,
        &["train", "--data", "mnist:m", "--save", "s.json"],
        &["m"],
    );
    assert!(
        err.contains("train-labels-idx1-ubyte: label 7: 12 is not one of the 10 classes 0..9"),
        "{err}"
    );
}

fn png(path: &Path, w: u32, h: u32, bright_left: bool) {
    let img = image::GrayImage::from_fn(w, h, |x, _| {
        image::Luma([if (x < w / 2) == bright_left { 230 } else { 20 }])
    });
    img.save(path).unwrap();
}

#[test]
fn image_folders_train_and_corrupt_or_odd_sized_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (class, left) in [("left", true), ("right", false)] {
        fs::create_dir_all(d.join("img").join(class)).unwrap();
        for i in 0..6 {
            png(&d.join(format!("img/{class}/{i}.png")), 6, 6, left);
        }
    }
    let train = [
        "train",
        "--data",
        "images:img",
        "--grayscale",
        "--arch",
        "conv(2,3) tanh flatten linear(2)",
        "--loss",
        "ce",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--epochs",
        "20",
        "--save",
        "m.json",
    ];
    let (_, log) = ok(d, &train);
    assert!(
        log.contains("on images:img (12 examples, 2 classes)"),
        "{log}"
    );
    let (out, _) = ok(
        d,
        &[
            "predict",
            "--model",
            "m.json",
            "--data",
            "images:img",
            "--grayscale",
            "--summary",
        ],
    );
    assert!(
        out.starts_with("accuracy: 100.00% (12 of 12 examples)"),
        "{out}"
    );
    assert!(
        out.contains("left right\n left     6     0\nright     0     6"),
        "{out}"
    );
    fs::remove_file(d.join("m.json")).unwrap();

    // a corrupt PNG: named, and nothing written
    fs::write(d.join("img/right/3.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let err = fails(d, &train, &["img"]);
    assert!(
        err.contains("img/right/3.png: not a readable PNG or JPEG"),
        "{err}"
    );
    // another size: both files and sizes named; --resize makes it fit
    png(&d.join("img/right/3.png"), 8, 5, false);
    let err = fails(d, &train, &["img"]);
    assert!(
        err.contains("img/right/3.png: the image is 8×5 but img/left/0.png is 6×6"),
        "{err}"
    );
    let mut resized = train.to_vec();
    resized.extend(["--resize", "6x6"]);
    ok(d, &resized);
    // a size out of range is a usage error that gives the range
    for size in ["0x6", "6x5000", "6by6"] {
        let mut bad = train.to_vec();
        bad.extend(["--resize", size]);
        let out = run(d, &bad);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "`{size}`: expected WIDTHxHEIGHT, each from 1 to 4096 pixels"
            )),
            "{err}"
        );
    }
    // a resize whose images cannot fit in memory is refused before any is decoded (10,000 links
    // to one small file, resized to 4096×4096: 4 TB of pixels)
    if Path::new("/proc/meminfo").exists() {
        fs::create_dir_all(d.join("many/a")).unwrap();
        fs::create_dir_all(d.join("many/b")).unwrap();
        png(&d.join("many/a/0.png"), 6, 6, true);
        for i in 0..10_000 {
            fs::hard_link(d.join("many/a/0.png"), d.join(format!("many/b/{i}.png"))).unwrap();
        }
        let start = std::time::Instant::now();
        let out = run(
            d,
            &[
                "train",
                "--data",
                "images:many",
                "--resize",
                "4096x4096",
                "--epochs",
                "1",
            ],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("reading 10001 images of 4096×4096×3 pixels needs about"),
            "{err}"
        );
        assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
        fs::remove_dir_all(d.join("many")).unwrap();
    }
    // one class folder: trained to a loss of 0 (accuracy 0% or 100% by the output's sign)
    fs::create_dir_all(d.join("one/only")).unwrap();
    png(&d.join("one/only/0.png"), 6, 6, true);
    png(&d.join("one/only/1.png"), 6, 6, false);
    for arch in ["flatten linear(1)", "flatten linear(2)"] {
        let out = run(
            d,
            &[
                "train",
                "--data",
                "images:one",
                "--arch",
                arch,
                "--epochs",
                "1",
            ],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("the data has 1 class; a classifier needs at least two"),
            "{err}"
        );
    }
}

#[test]
fn standardize_is_stored_in_the_model_file_and_predict_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wine = data_file("wine.csv");
    let wine = wine.to_str().unwrap();
    let (_, log) = ok(
        d,
        &[
            "train",
            "--data",
            wine,
            "--hidden",
            "16",
            "--optimizer",
            "adam",
            "--lr",
            "0.01",
            "--batch-size",
            "16",
            "--epochs",
            "30",
            "--standardize",
            "--test-split",
            "0.2",
            "--seed",
            "3",
            "--save",
            "m.json",
        ],
    );
    let test_accuracy = test_accuracy(&log);
    let model = fs::read_to_string(d.join("m.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&model).unwrap();
    let pre = &json["preprocess"];
    assert_eq!(pre["scaling"], "standardize");
    assert_eq!(pre["shift"].as_array().unwrap().len(), 13);
    // the magnesium column (about 100) is shifted by its training mean
    let mean = pre["shift"][4].as_f64().unwrap();
    assert!((90.0..110.0).contains(&mean), "{mean}");

    // predict on the raw CSV's held-out rows: the accuracy train reported
    let (out, _) = ok(
        d,
        &[
            "predict",
            "--model",
            "m.json",
            "--data",
            wine,
            "--test-split",
            "0.2",
            "--seed",
            "3",
            "--summary",
        ],
    );
    assert_eq!(
        number_after(&out, "accuracy: "),
        test_accuracy,
        "{out}\n{log}"
    );
    assert!(out.contains("of 36 examples"), "{out}");
    // without the transform the same weights do much worse: predict really applies it
    let mut raw = json.clone();
    raw.as_object_mut().unwrap().remove("preprocess");
    fs::write(d.join("raw.json"), raw.to_string()).unwrap();
    let (out, _) = ok(
        d,
        &[
            "predict",
            "--model",
            "raw.json",
            "--data",
            wine,
            "--test-split",
            "0.2",
            "--seed",
            "3",
            "--summary",
        ],
    );
    assert!(number_after(&out, "accuracy: ") < 60.0, "{out}");
}

#[test]
fn the_confusion_matrix_of_a_known_model_and_its_picture() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two outputs x and -x: class 0 where x > 0.
    fs::write(
        d.join("m.json"),
        r#"{"format": "micrograd-sequential", "input": [1, 1, 1], "architecture": "linear(2)",
            "layers": [{"layer": "linear(2)", "weight": [1.0, -1.0], "bias": [0.0, 0.0]}]}"#,
    )
    .unwrap();
    fs::write(
        d.join("t.csv"),
        "x,label\n1,0\n-1,0\n2,1\n-3,1\n-4,1\n0.5,0\n",
    )
    .unwrap();
    let (out, _) = ok(
        d,
        &[
            "predict",
            "--model",
            "m.json",
            "--data",
            "t.csv",
            "--confusion",
            "c.png",
        ],
    );
    let tail: Vec<&str> = out.lines().rev().take(4).collect();
    assert_eq!(
        tail,
        [
            "   1    1    2",
            "   0    2    1",
            "        0    1",
            "confusion matrix (rows: true class, columns: predicted)"
        ],
        "{out}"
    );
    assert!(out.contains("accuracy: 66.67% (4 of 6 examples)"), "{out}");
    assert_eq!(&fs::read(d.join("c.png")).unwrap()[1..4], b"PNG");
    // pictures of images need image data; a label beyond the model's outputs is refused
    let err = fails(
        d,
        &[
            "predict",
            "--model",
            "m.json",
            "--data",
            "t.csv",
            "--misclassified",
            "w.png",
        ],
        &["m.json", "t.csv", "c.png"],
    );
    assert!(
        err.contains("--misclassified and --samples draw images; t.csv is not image data"),
        "{err}"
    );
    // ... refused before anything is printed or drawn (the table and --confusion came first)
    let out = run(
        d,
        &[
            "predict",
            "--model",
            "m.json",
            "--data",
            "t.csv",
            "--confusion",
            "c2.png",
            "--samples",
            "s.png",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert!(!d.join("c2.png").exists());
    // a confusion matrix of data without labels is an error, not silently skipped
    fs::write(d.join("u.csv"), "x\n1\n-1\n").unwrap();
    let err = fails(
        d,
        &[
            "predict",
            "--model",
            "m.json",
            "--data",
            "u.csv",
            "--confusion",
            "c2.png",
        ],
        &["m.json", "t.csv", "c.png", "u.csv"],
    );
    assert!(
        err.contains(
            "--confusion, --misclassified and --samples need labels; u.csv has no label column"
        ),
        "{err}"
    );
    fs::remove_file(d.join("u.csv")).unwrap();
    fs::write(d.join("t.csv"), "x,label\n1,0\n-1,2\n").unwrap();
    let err = fails(
        d,
        &["predict", "--model", "m.json", "--data", "t.csv"],
        &["m.json", "t.csv", "c.png"],
    );
    assert!(
        err.contains("t.csv: the labels have 3 classes but m.json has 2 outputs"),
        "{err}"
    );
}

#[test]
fn a_seeded_cnn_run_is_bit_identical_and_its_pictures_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let train = |save: &str, threads: &str| {
        ok(
            d,
            &[
                "train",
                "--data",
                "digits",
                "--arch",
                "conv(2,3) relu maxpool(2) flatten linear(10)",
                "--optimizer",
                "adam",
                "--lr",
                "0.02",
                "--batch-size",
                "64",
                "--epochs",
                "2",
                "--test-split",
                "0.8",
                "--augment",
                "shift=1,rotate=10",
                "--augment-copies",
                "1",
                "--seed",
                "5",
                "--threads",
                threads,
                "--save",
                save,
                "--trace",
                &format!("{save}.jsonl"),
            ],
        )
        .1
    };
    let log = train("a.json", "1");
    train("b.json", "1");
    train("c.json", "2");
    let a = fs::read(d.join("a.json")).unwrap();
    assert_eq!(a, fs::read(d.join("b.json")).unwrap());
    assert_eq!(
        a,
        fs::read(d.join("c.json")).unwrap(),
        "the same numbers on 2 threads"
    );
    assert_eq!(
        fs::read(d.join("a.json.jsonl")).unwrap(),
        fs::read(d.join("c.json.jsonl")).unwrap()
    );
    // 20% of 1,797 train, with one augmented copy each
    assert!(
        log.contains(
            "(359 examples and 359 augmented copies, 10 classes, 1438 held out for testing)"
        ),
        "{log}"
    );
    let (out, _) = ok(
        d,
        &[
            "predict",
            "--model",
            "a.json",
            "--data",
            "digits",
            "--test-split",
            "0.8",
            "--seed",
            "5",
            "--summary",
            "--confusion",
            "c.svg",
            "--misclassified",
            "w.png",
            "--samples",
            "s.png",
        ],
    );
    assert_eq!(
        number_after(&out, "accuracy: "),
        test_accuracy(&log),
        "{out}\n{log}"
    );
    assert!(fs::read_to_string(d.join("c.svg"))
        .unwrap()
        .contains("<svg"));
    for picture in ["w.png", "s.png"] {
        assert_eq!(&fs::read(d.join(picture)).unwrap()[1..4], b"PNG");
    }
}

#[test]
fn points_take_jitter_and_minmax_and_refuse_the_image_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "data", "gen", "moons", "--n", "60", "--seed", "4", "-o", "d.csv",
        ],
    );
    let train = |save: &str| {
        ok(
            d,
            &[
                "train",
                "--data",
                "d.csv",
                "--loss",
                "ce",
                "--optimizer",
                "adam",
                "--epochs",
                "3",
                "--minmax",
                "--augment",
                "jitter=0.05",
                "--augment-copies",
                "2",
                "--seed",
                "2",
                "--save",
                save,
            ],
        )
        .1
    };
    let log = train("a.json");
    assert!(
        log.contains("(60 examples and 120 augmented copies, 2 classes)"),
        "{log}"
    );
    assert!(
        log.contains(", minmax, augment jitter=0.05 (2 copies of every training row)"),
        "{log}"
    );
    train("b.json");
    let a = fs::read_to_string(d.join("a.json")).unwrap();
    assert_eq!(a, fs::read_to_string(d.join("b.json")).unwrap());
    let json: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(json["preprocess"]["scaling"], "minmax");
    // fitted on the 60 rows, not on their jittered copies: x1's minimum is a data point's
    let rows = fs::read_to_string(d.join("d.csv")).unwrap();
    let min_x1 = rows
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(json["preprocess"]["shift"][1].as_f64().unwrap(), min_x1);

    let keep = ["a.json", "b.json", "d.csv"];
    let err = fails(
        d,
        &[
            "train",
            "--data",
            "d.csv",
            "--augment",
            "shift=1",
            "--save",
            "c.json",
        ],
        &keep,
    );
    assert!(
        err.contains("--augment shift=1: shifts and rotations need image data"),
        "{err}"
    );
    let err = fails(
        d,
        &[
            "train", "--data", "d.csv", "--resize", "8x8", "--save", "c.json",
        ],
        &keep,
    );
    assert!(
        err.contains("--resize and --grayscale apply to --data images:DIR only"),
        "{err}"
    );
    let out = run(
        d,
        &[
            "train",
            "--data",
            "d.csv",
            "--augment",
            "jitter=0.1",
            "--val-split",
            "0.2",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );
}
