//! One training epoch of the digits CNN of `examples/digits.rs`, timed:
//! `conv(16,3,pad=1) relu maxpool(2) conv(32,3,pad=1) relu maxpool(2) flatten linear(10)` on the 1,438
//! training images of the seeded 80/20 split, mini-batches of 32, softmax cross-entropy, Adam.
//!
//! Run with `cargo bench -p micrograd --bench digits_cnn`; `scripts/torch_digits_cnn.py` times the
//! same epoch in PyTorch eager (float64, one thread, batched) for the ratio.

use criterion::{criterion_group, criterion_main, Criterion};
use micrograd::datasets::digits;
use micrograd::nn::{Architecture, Init};
use micrograd::optim::Adam;
use micrograd::preprocess::train_test_split;
use micrograd::train::{train_epoch, LossKind};
use rand::SeedableRng;
use std::hint::black_box;
use std::time::Duration;

const ARCH: &str =
    "conv(16,3,pad=1) relu maxpool(2) conv(32,3,pad=1) relu maxpool(2) flatten linear(10)";

fn epoch(c: &mut Criterion) {
    let d = digits();
    let split = train_test_split(d.data(), 0.2, 12).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let model = ARCH
        .parse::<Architecture>()
        .unwrap()
        .build(d.shape(), Init::Kaiming, &mut rng)
        .unwrap();
    let mut opt = Adam::new(0.01);
    let mut group = c.benchmark_group("digits_cnn");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("one_epoch", |b| {
        b.iter(|| {
            black_box(
                train_epoch(
                    &model,
                    &split.train,
                    LossKind::CrossEntropy,
                    32,
                    &mut opt,
                    &mut rng,
                )
                .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, epoch);
criterion_main!(benches);
