//! Issue 12's targets, measured: a small CNN and an MLP on the built-in digits, and standardized MLPs
//! on wine and breast cancer, each on a seeded 80/20 train/test split, with the test accuracy and the
//! training time.
//!
//! ```sh
//! cargo run --release -p micrograd --example digits                 # all four
//! cargo run --release -p micrograd --example digits -- cnn          # or mlp, wine, breast
//! cargo run --release -p micrograd --example digits -- all --write-splits target/splits
//! ```
//!
//! `--write-splits DIR` writes each data set's split as JSON, which `scripts/sklearn_baselines.py`
//! reads to score scikit-learn's standardized `MLPClassifier((16,))` on the very same rows.
//!
//! Knobs, from the environment: `SEED` (12: the split, the weights, the shuffles, the
//! augmentation), and for the CNN `CNN_ARCH` (the architecture grammar), `CNN_EPOCHS` (40),
//! `CNN_LR` (0.01) and `CNN_AUG` (`shift=1,rotate=10`; `none` for no augmentation).

use micrograd::augment::Augment;
use micrograd::data::Dataset;
use micrograd::datasets::digits;
use micrograd::nn::{Architecture, Chw, Init, Model, Module};
use micrograd::optim::{Adam, Optimizer, Schedule, Span};
use micrograd::preprocess::{train_test_split, Preprocess, Scaling, Split};
use micrograd::train::{evaluate, train_epoch, LossKind};
use rand::SeedableRng;
use std::time::Instant;

/// The seed of every split, initialization and shuffle (`SEED=N` in the environment overrides it).
fn seed() -> u64 {
    env_or("SEED", 12) as u64
}
const LOSS: LossKind = LossKind::CrossEntropy;

struct Run {
    arch: &'static str,
    epochs: usize,
    batch: usize,
    lr: f64,
    augment: Augment,
    scaling: Option<Scaling>,
}

/// Adam on the mean cross-entropy in mini-batches, the learning rate following a cosine schedule
/// epoch by epoch, the training rows augmented afresh every epoch. Returns the seconds spent.
fn train(model: &impl Model, data: &Dataset, shape: Chw, run: &Run) -> f64 {
    let start = Instant::now();
    let mut opt = Adam::new(run.lr);
    let schedule = Schedule::Cosine {
        over: Span::Steps(run.epochs),
        min_lr: run.lr * 0.01,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed() + 1);
    for epoch in 0..run.epochs {
        let epoch_data = if run.augment.is_identity() {
            data.clone()
        } else {
            run.augment
                .dataset(data, Some(shape), seed() + 100 + epoch as u64)
        };
        opt.set_lr(schedule.lr(run.lr, epoch));
        train_epoch(model, &epoch_data, LOSS, run.batch, &mut opt, &mut rng).expect("training");
    }
    start.elapsed().as_secs_f64()
}

fn run(name: &str, data: &Dataset, shape: Chw, run: &Run, splits: Option<&str>) -> (f64, f64) {
    let Split {
        train: train_set,
        test,
        train_rows,
        test_rows,
    } = train_test_split(data, 0.2, seed()).expect("an 80/20 split");
    if let Some(dir) = splits {
        std::fs::create_dir_all(dir).expect("create the splits folder");
        let text = format!(
            "{{\"seed\": {}, \"train_rows\": {train_rows:?}, \"test_rows\": {test_rows:?}}}\n",
            seed()
        );
        std::fs::write(format!("{dir}/{name}.json"), text).expect("write the split");
    }
    let (train_set, test) = match run.scaling {
        Some(s) => {
            let pre = Preprocess::fit(s, &train_set);
            (pre.transform(&train_set), pre.transform(&test))
        }
        None => (train_set, test),
    };
    let arch: Architecture = run.arch.parse().expect("a valid architecture");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed());
    let model = arch
        .build(shape, Init::Kaiming, &mut rng)
        .expect("the architecture fits the data");
    let secs = train(&model, &train_set, shape, run);
    let (_, acc) = evaluate(&model, &test, LOSS).expect("the model fits");
    println!(
        "{name:7} {:>5} train / {:>4} test  {:<55} {:>3} epochs  test accuracy {:6.2}%  trained in {secs:5.1} s",
        train_set.len(),
        test.len(),
        format!("{} ({} params)", run.arch, model.num_parameters()),
        run.epochs,
        100.0 * acc
    );
    (acc, secs)
}

fn csv(text: &str) -> Dataset {
    let mut lines = text.lines();
    lines.next();
    let (mut rows, mut labels) = (Vec::new(), Vec::new());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let mut v: Vec<f64> = line
            .split(',')
            .map(|x| x.parse().expect("a number"))
            .collect();
        labels.push(v.pop().expect("a label") as usize);
        rows.push(v);
    }
    let k = labels.iter().max().expect("rows") + 1;
    Dataset::new(rows, labels, k).expect("a well-formed CSV")
}

/// The CNN (`CNN_ARCH=...` overrides it).
const CNN: &str =
    "conv(16,3,pad=1) relu maxpool(2) conv(32,3,pad=1) relu maxpool(2) flatten linear(10)";

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("all", String::as_str);
    let splits = args
        .iter()
        .position(|a| a == "--write-splits")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    let all = which == "all" || which.starts_with("--");
    let d = digits();
    if all || which == "cnn" {
        let r = Run {
            arch: Box::leak(
                std::env::var("CNN_ARCH")
                    .unwrap_or(CNN.into())
                    .into_boxed_str(),
            ),
            epochs: env_or("CNN_EPOCHS", 40),
            batch: 32,
            lr: std::env::var("CNN_LR")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.01),
            augment: std::env::var("CNN_AUG")
                .unwrap_or("shift=1,rotate=10".into())
                .parse()
                .unwrap(),
            scaling: None,
        };
        run("cnn", d.data(), d.shape(), &r, splits);
    }
    if all || which == "mlp" {
        let r = Run {
            arch: "linear(64) relu linear(10)",
            epochs: 40,
            batch: 32,
            lr: 0.005,
            augment: Augment::default(),
            scaling: None,
        };
        run("mlp", d.data(), d.shape(), &r, splits);
    }
    for (name, text) in [
        ("wine", include_str!("data/wine.csv")),
        ("breast", include_str!("data/breast_cancer.csv")),
    ] {
        if all || which == name {
            let data = csv(text);
            let r = Run {
                arch: "linear(16) relu linear(K)",
                epochs: 100,
                batch: 32,
                lr: 0.005,
                augment: Augment::default(),
                scaling: Some(Scaling::Standardize),
            };
            let arch = r.arch.replace('K', &data.n_classes().to_string());
            let r = Run {
                arch: Box::leak(arch.into_boxed_str()),
                ..r
            };
            let n = data.n_features();
            run(name, &data, Chw::flat(n), &r, splits);
        }
    }
}
