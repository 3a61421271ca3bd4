//! Data-parallel `fit` timed: one epoch (the updates and the epoch's evaluation) of an MLP 2-64-64-1
//! on 2,000 moons points, with 1 and 2 threads, for batches of 16, 64, 256 and 1024, and a run of
//! 10 epochs at 256 (the thread pool's start and the workers' first tapes paid once); one epoch of
//! the digits CNN of `benches/digits_cnn.rs` (1,438 training images, Adam, cross-entropy) with 1 and
//! 2 threads, for batches of 32 and 128.
//!
//! Run with `cargo bench -p micrograd --features parallel --bench parallel`. Each batch size's 1- and
//! 2-thread runs are measured back to back, so that the ratio is fair on a busy machine.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use micrograd::data::moons;
use micrograd::datasets::digits;
use micrograd::nn::{Architecture, Init, MLP};
use micrograd::preprocess::train_test_split;
use micrograd::train::{fit, FitConfig, LossKind, OptimizerKind};
use micrograd::Tape;
use rand::SeedableRng;
use std::hint::black_box;
use std::time::Duration;

fn bench_parallel(c: &mut Criterion) {
    let data = moons(2000, 0.1, 1);
    let mut group = c.benchmark_group("fit_epoch_2-64-64-1_moons2000");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    for (batch, epochs) in [(16, 1), (64, 1), (256, 1), (1024, 1), (256, 10)] {
        for threads in [1, 2] {
            let config = FitConfig {
                lr: 0.05,
                batch_size: batch,
                epochs,
                threads,
                ..FitConfig::default()
            };
            group.bench_with_input(
                BenchmarkId::new(
                    format!("batch{batch}_{epochs}epochs"),
                    format!("{threads}threads"),
                ),
                &config,
                |b, config| {
                    b.iter(|| {
                        let mark = Tape::mark();
                        let model = MLP::seeded(2, &[64, 64, 1], 1);
                        black_box(fit(&model, &data, config, |_| {}).unwrap());
                        Tape::rewind(mark);
                    })
                },
            );
        }
    }
    group.finish();
}

fn bench_cnn(c: &mut Criterion) {
    const ARCH: &str =
        "conv(16,3,pad=1) relu maxpool(2) conv(32,3,pad=1) relu maxpool(2) flatten linear(10)";
    let d = digits();
    let train = train_test_split(d.data(), 0.2, 12).unwrap().train;
    let mut group = c.benchmark_group("fit_epoch_digits_cnn");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8));
    for batch in [32, 128] {
        for threads in [1, 2] {
            let config = FitConfig {
                loss: LossKind::CrossEntropy,
                optimizer: OptimizerKind::Adam,
                lr: 0.01,
                batch_size: batch,
                epochs: 1,
                threads,
                ..FitConfig::default()
            };
            group.bench_with_input(
                BenchmarkId::new(format!("batch{batch}"), format!("{threads}threads")),
                &config,
                |b, config| {
                    b.iter(|| {
                        let mark = Tape::mark();
                        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
                        let model = ARCH
                            .parse::<Architecture>()
                            .unwrap()
                            .build(d.shape(), Init::Kaiming, &mut rng)
                            .unwrap();
                        black_box(fit(&model, &train, config, |_| {}).unwrap());
                        Tape::rewind(mark);
                    })
                },
            );
        }
    }
    group.finish();
}

/// Full-batch `fit` replayed (the default) against eager: 20 epochs of micrograd's 2-16-16-1 MLP on
/// 100 moons points (the demo's size) and of a 2-64-64-1 on 200, on one thread.
fn bench_full_batch(c: &mut Criterion) {
    use micrograd::train::Execution;
    let mut group = c.benchmark_group("fit_full_batch_20_epochs");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (n, hidden) in [(100, [16, 16, 1]), (200, [64, 64, 1])] {
        let data = moons(n, 0.1, 1);
        for execution in [Execution::Eager, Execution::Replay] {
            let config = FitConfig {
                lr: 0.05,
                l2: 1e-4,
                epochs: 20,
                threads: 1,
                execution,
                ..FitConfig::default()
            };
            let name = format!("moons{n}_2-{}-{}-1", hidden[0], hidden[1]);
            group.bench_with_input(
                BenchmarkId::new(name, format!("{execution:?}")),
                &config,
                |b, config| {
                    b.iter(|| {
                        let mark = Tape::mark();
                        let model = MLP::seeded(2, &hidden, 1);
                        let report = fit(&model, &data, config, |_| {}).unwrap();
                        assert_eq!(report.execution, config.execution);
                        black_box(report);
                        Tape::rewind(mark);
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_parallel, bench_cnn, bench_full_batch);
criterion_main!(benches);
