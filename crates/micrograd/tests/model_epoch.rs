//! Training any `nn::Model`: one epoch equals the hand-written loop, errors instead of panics, and
//! evaluation agrees with the confusion matrix.

use micrograd::data::{blobs, Dataset};
use micrograd::loss::{mean, softmax_cross_entropy};
use micrograd::nn::{Architecture, Chw, Init, Module, Sequential};
use micrograd::optim::{Adam, Optimizer, Sgd};
use micrograd::train::{
    confusion_matrix, evaluate, shuffled_batches, train_epoch, LossKind, TrainError,
};
use micrograd::{Tape, Value};
use rand::SeedableRng;

fn model(seed: u64) -> Sequential {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    "linear(6) tanh linear(3)"
        .parse::<Architecture>()
        .unwrap()
        .build(Chw::flat(2), Init::Xavier, &mut rng)
        .unwrap()
}

#[test]
fn one_epoch_is_the_hand_written_loop() {
    let data = blobs(40, 3, 0.3, 2);
    let (a, b) = (model(1), model(1));
    let mut rng_a = rand::rngs::StdRng::seed_from_u64(5);
    let mut opt_a = Sgd::new(0.1).momentum(0.9);
    let mean_loss = train_epoch(
        &a,
        &data,
        LossKind::CrossEntropy,
        16,
        &mut opt_a,
        &mut rng_a,
    )
    .unwrap();

    let params = b.parameters();
    let mut rng_b = rand::rngs::StdRng::seed_from_u64(5);
    let mut opt_b = Sgd::new(0.1).momentum(0.9);
    let mark = Tape::mark();
    let mut losses = Vec::new();
    for batch in shuffled_batches(data.len(), 16, &mut rng_b) {
        let ls: Vec<Value> = batch
            .iter()
            .map(|&i| {
                let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
                softmax_cross_entropy(&b.forward(&x), data.labels()[i])
            })
            .collect();
        let l = mean(&ls);
        losses.push(l.data());
        opt_b.zero_grad(&params);
        l.backward();
        opt_b.step(&params);
        Tape::rewind(mark);
    }
    let bits = |m: &Sequential| -> Vec<u64> {
        m.parameters().iter().map(|p| p.data().to_bits()).collect()
    };
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(losses.len(), 3);
    assert_eq!(mean_loss, losses.iter().sum::<f64>() / 3.0);
}

#[test]
fn training_learns_and_evaluation_matches_the_confusion_matrix() {
    let data = blobs(90, 3, 0.2, 3);
    let m = model(2);
    let mut opt = Adam::new(0.05);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let (before, _) = evaluate(&m, &data, LossKind::CrossEntropy).unwrap();
    for _ in 0..40 {
        train_epoch(&m, &data, LossKind::CrossEntropy, 16, &mut opt, &mut rng).unwrap();
    }
    let (after, acc) = evaluate(&m, &data, LossKind::CrossEntropy).unwrap();
    assert!(after < before / 5.0, "{before} -> {after}");
    let cm = confusion_matrix(&m, &data, LossKind::CrossEntropy).unwrap();
    let correct: usize = (0..3).map(|i| cm[i][i]).sum();
    assert_eq!(correct as f64 / 90.0, acc);
    let rows: Vec<usize> = cm.iter().map(|r| r.iter().sum()).collect();
    assert_eq!(rows, data.class_counts());
    assert!(acc > 0.95, "{acc}");
}

#[test]
fn mismatches_and_blowups_are_errors() {
    let m = model(3);
    let mut opt = Sgd::new(0.1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let wide = Dataset::new(vec![vec![0.0; 3]], vec![0], 3).unwrap();
    let e = train_epoch(&m, &wide, LossKind::CrossEntropy, 1, &mut opt, &mut rng).unwrap_err();
    assert_eq!(
        e,
        TrainError::Shape("the model takes 2 inputs but the data has 3 features".into())
    );
    let two = Dataset::new(vec![vec![0.0; 2]], vec![0], 2).unwrap();
    let e = evaluate(&m, &two, LossKind::CrossEntropy).unwrap_err();
    assert!(
        e.to_string()
            .contains("needs a model with 2 outputs, this one has 3"),
        "{e}"
    );
    // A linear model whose outputs overflow: the loss is not finite, and nothing is updated.
    let mut init = rand::rngs::StdRng::seed_from_u64(0);
    let lin = "linear(3)"
        .parse::<Architecture>()
        .unwrap()
        .build(Chw::flat(2), Init::Uniform, &mut init)
        .unwrap();
    for (i, p) in lin.parameters().iter().enumerate() {
        p.set_data(if i % 2 == 0 { 1e300 } else { -1e300 });
    }
    let huge = Dataset::new(vec![vec![1e300, -1e300]], vec![0], 3).unwrap();
    let before: Vec<f64> = lin.parameters().iter().map(|p| p.data()).collect();
    let e = train_epoch(&lin, &huge, LossKind::CrossEntropy, 1, &mut opt, &mut rng);
    let after: Vec<f64> = lin.parameters().iter().map(|p| p.data()).collect();
    match e {
        Err(TrainError::NonFiniteBatchLoss { step: 0, .. }) => assert_eq!(before, after),
        other => panic!("expected a non-finite loss, got {other:?}"),
    }
}
