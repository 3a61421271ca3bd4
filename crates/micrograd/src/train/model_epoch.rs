//! One epoch of mini-batch training, and evaluation, for any [`Model`] (an [`MLP`](crate::nn::MLP)
//! or a [`Sequential`](crate::nn::Sequential) CNN): what a loop over images needs, without `fit`'s
//! MLP-only extras.

use super::fit::check_model_fits;
use super::{shuffled_batches, TrainError};
use crate::data::Dataset;
use crate::loss::{mean, LossKind};
use crate::nn::Model;
use crate::optim::Optimizer;
use crate::{Tape, Value};
use rand::Rng;

/// One pass over `data` in shuffled mini-batches of `batch_size` ([`shuffled_batches`] with `rng`;
/// 0 means one batch): for each batch, the mean per-example `loss`, zeroed gradients, `backward`,
/// and one `opt` step at its current learning rate. The tape is rewound after every batch, so the
/// parameters must have been created before this call. Returns the mean of the batch losses.
///
/// # Errors
/// [`TrainError::Shape`] if the model does not fit the data and loss (nothing is trained), and
/// [`TrainError::NonFiniteBatchLoss`] (with `epoch` 0 and the batch's index as `step`) if a batch's
/// loss is NaN or infinite; that batch makes no update.
///
/// ```
/// use micrograd::data::blobs;
/// use micrograd::nn::{Architecture, Chw, Init};
/// use micrograd::optim::Adam;
/// use micrograd::train::{evaluate, train_epoch, LossKind};
/// use rand::SeedableRng;
/// let data = blobs(60, 3, 0.2, 1);
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let model = "linear(8) relu linear(3)".parse::<Architecture>().unwrap()
///     .build(Chw::flat(2), Init::Kaiming, &mut rng).unwrap();
/// let mut opt = Adam::new(0.05);
/// for _ in 0..30 {
///     train_epoch(&model, &data, LossKind::CrossEntropy, 16, &mut opt, &mut rng).unwrap();
/// }
/// let (_, accuracy) = evaluate(&model, &data, LossKind::CrossEntropy).unwrap();
/// assert!(accuracy > 0.9);
/// ```
pub fn train_epoch(
    model: &impl Model,
    data: &Dataset,
    loss: LossKind,
    batch_size: usize,
    opt: &mut dyn Optimizer,
    rng: &mut impl Rng,
) -> Result<f64, TrainError> {
    check_model_fits(model, data, loss)?;
    let params = model.parameters();
    let mark = Tape::mark();
    let mut total = 0.0;
    let batches = shuffled_batches(data.len(), batch_size, rng);
    let n = batches.len();
    for (step, batch) in batches.into_iter().enumerate() {
        let losses: Vec<Value> = batch
            .iter()
            .map(|&i| {
                let x: Vec<Value> = data.row(i).iter().map(|&v| Value::new(v)).collect();
                loss.example_loss(&model.forward_values(&x), data.labels()[i])
            })
            .collect();
        let l = mean(&losses);
        let value = l.data();
        if !value.is_finite() {
            Tape::rewind(mark);
            return Err(TrainError::NonFiniteBatchLoss {
                epoch: 0,
                step,
                loss: value,
            });
        }
        opt.zero_grad(&params);
        l.backward();
        opt.step(&params);
        Tape::rewind(mark);
        total += value;
    }
    Ok(total / n as f64)
}

/// The confusion matrix of `model` on `data`: entry `[true class][predicted class]` counts the
/// examples (rows sum to the class counts), predictions by [`LossKind::predict`]. The tape is left
/// as it was.
///
/// # Errors
/// [`TrainError::Shape`] if the model does not fit the data and loss.
///
/// ```
/// use micrograd::data::Dataset;
/// use micrograd::nn::{AnyLayer, Chw, Linear, Sequential};
/// use micrograd::train::{confusion_matrix, LossKind};
/// // Two outputs, x and -x: class 0 if x > 0.
/// let layer = Linear::from_weights(1, 2, &[1.0, -1.0], &[0.0, 0.0]).unwrap();
/// let model = Sequential::new(Chw::flat(1), vec![AnyLayer::from(layer)]).unwrap();
/// let data = Dataset::new(vec![vec![1.0], vec![-1.0], vec![2.0]], vec![0, 0, 1], 2).unwrap();
/// let m = confusion_matrix(&model, &data, LossKind::CrossEntropy).unwrap();
/// assert_eq!(m, vec![vec![1, 1], vec![1, 0]]);
/// ```
pub fn confusion_matrix(
    model: &impl Model,
    data: &Dataset,
    loss: LossKind,
) -> Result<Vec<Vec<usize>>, TrainError> {
    check_model_fits(model, data, loss)?;
    let mark = Tape::mark();
    let predicted: Vec<usize> = data
        .iter()
        .map(|(x, _)| {
            let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
            let plain: Vec<f64> = model.forward_values(&xs).iter().map(|v| v.data()).collect();
            Tape::rewind(mark);
            loss.predict(&plain)
        })
        .collect();
    Ok(confusion_counts(
        data.labels(),
        &predicted,
        data.n_classes(),
    ))
}

/// The confusion matrix of predictions already made: entry `[true class][predicted class]` counts
/// the examples, for `k` classes (a prediction of `k` or more, which a model with more outputs than
/// the data has classes can make, is counted in the last column).
///
/// # Panics
/// If the lists have different lengths, `k` is 0, or a true class is `k` or more.
///
/// ```
/// use micrograd::train::confusion_counts;
/// assert_eq!(confusion_counts(&[0, 0, 1, 2], &[0, 1, 1, 0], 3),
///            vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 0]]);
/// ```
pub fn confusion_counts(labels: &[usize], predicted: &[usize], k: usize) -> Vec<Vec<usize>> {
    assert_eq!(
        labels.len(),
        predicted.len(),
        "micrograd: {} labels and {} predictions",
        labels.len(),
        predicted.len()
    );
    assert!(k > 0, "micrograd: a confusion matrix of 0 classes");
    let mut m = vec![vec![0; k]; k];
    for (&t, &p) in labels.iter().zip(predicted) {
        m[t][p.min(k - 1)] += 1;
    }
    m
}
