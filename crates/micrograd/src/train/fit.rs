//! The general training loop: any loss, any optimizer, mini-batches, dropout, validation, early
//! stopping.

use super::config::FitConfig;
use super::parallel::{auto_threads, batch_gradient, evaluate_rows, Batch, Workers};
use super::replayed::FullBatch;
use super::{
    shuffled_batches, split_indices, Bound, ConfigError, ConfigField, EarlyStopping, Execution,
    LossKind, TrainError,
};
use crate::data::Dataset;
use crate::engine::{Tape, Value};
use crate::nn::{Dropout, Model, Replicate};
use crate::optim::clip_grad_norm;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::atomic::{AtomicBool, Ordering};
/// What one epoch of [`fit`] measured, after its last update, with dropout off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord {
    /// The epoch, from 0.
    pub epoch: usize,
    /// The mean per-example loss over the training set (without the `l2` term).
    pub train_loss: f64,
    /// The fraction of the training set classified correctly.
    pub train_accuracy: f64,
    /// The mean per-example loss over the validation set (`None` without a validation set).
    pub val_loss: Option<f64>,
    /// The validation accuracy.
    pub val_accuracy: Option<f64>,
    /// The learning rate of the epoch's last update.
    pub lr: f64,
    /// The update steps taken so far (all epochs).
    pub steps: usize,
}

/// The result of [`fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// One record per epoch run.
    pub epochs: Vec<EpochRecord>,
    /// With early stopping: the epoch whose parameters the model holds now (the best validation loss).
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before `epochs`.
    pub stopped_early: bool,
    /// The number of training and validation examples.
    pub sizes: (usize, usize),
    /// The update steps run in all. More than the last record's [`EpochRecord::steps`] when
    /// [`fit_until`]'s `stop` ended training in the middle of an epoch: the model then holds the
    /// parameters after the last of them, and that unfinished epoch has no record.
    pub steps: usize,
    /// How the batches were computed: [`Execution::Replay`] where the full batch was recorded
    /// and replayed (see [`FitConfig::execution`]), [`Execution::Eager`] otherwise.
    pub execution: Execution,
}

/// The mean loss and the accuracy of `model` (an [`MLP`](crate::nn::MLP) or a
/// [`Sequential`](crate::nn::Sequential)) on `data` (without dropout, without keeping any graph).
///
/// # Errors
/// [`TrainError::Shape`] if the model's inputs or outputs do not fit the data and the loss.
///
/// ```
/// use micrograd::data::blobs;
/// use micrograd::nn::MLP;
/// use micrograd::train::{evaluate, LossKind};
/// let data = blobs(30, 3, 0.1, 1);
/// let model = MLP::seeded(2, &[3], 1);
/// let (loss, acc) = evaluate(&model, &data, LossKind::CrossEntropy).unwrap();
/// assert!(loss > 0.0 && (0.0..=1.0).contains(&acc));
/// ```
pub fn evaluate<M: Replicate>(
    model: &M,
    data: &Dataset,
    loss: LossKind,
) -> Result<(f64, f64), TrainError> {
    check_model_fits(model, data, loss)?;
    let rows: Vec<usize> = (0..data.len()).collect();
    Ok(eval_rows(
        model,
        &model.parameters(),
        data,
        &rows,
        loss,
        &Workers::new(1),
    ))
}

/// The mean loss and the accuracy on `rows` of `data`, computed on the workers.
fn eval_rows<M: Replicate>(
    model: &M,
    params: &[Value],
    data: &Dataset,
    rows: &[usize],
    loss: LossKind,
    workers: &Workers,
) -> (f64, f64) {
    if rows.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let numbers = numbers_of(params, workers);
    let batch = Batch {
        data,
        rows,
        loss,
        dropout: (0.0, None),
    };
    mean_and_accuracy(evaluate_rows(workers, (model, params, &numbers), &batch))
}

/// The mean loss (summed in order) and the fraction classified correctly, of per-example results.
fn mean_and_accuracy(results: Vec<(f64, bool)>) -> (f64, f64) {
    let n = results.len() as f64;
    let (mut total, mut correct) = (0.0, 0usize);
    for (l, ok) in results {
        total += l;
        correct += usize::from(ok);
    }
    (total / n, correct as f64 / n)
}

/// The parameters' numbers, which the workers' copies of the model are built from (none are
/// needed on one thread).
fn numbers_of(params: &[Value], workers: &Workers) -> Vec<f64> {
    if !workers.is_parallel() {
        return Vec::new();
    }
    values_of(params)
}

/// The parameters' values.
fn values_of(params: &[Value]) -> Vec<f64> {
    let mut numbers = vec![0.0; params.len()];
    Tape::read_data(params, &mut numbers);
    numbers
}

/// One batch's loss, with its gradient (the mean loss's plus the `l2` term's) left in the
/// parameters' grads: the `l2` term's gradient, then the chunks' gradients added in chunk order
/// (`parallel.rs`), the same bits for every thread count. A non-finite loss leaves the grads
/// unspecified (no update is made with them).
fn batch_step<M: Replicate>(
    model: &M,
    params: &[Value],
    workers: &Workers,
    data: &Dataset,
    rows: &[usize],
    config: &FitConfig,
    dropout: &mut Dropout,
) -> f64 {
    let numbers = numbers_of(params, workers);
    let units = model.dropout_units();
    let masks: Option<Vec<Vec<bool>>> =
        (config.dropout > 0.0).then(|| rows.iter().map(|_| dropout.draw_mask(units)).collect());
    let (mut grad, penalty) = l2_gradient(params, config.l2);
    let batch = Batch {
        data,
        rows,
        loss: config.loss,
        dropout: (config.dropout, masks.as_deref()),
    };
    let losses = batch_gradient(workers, (model, params, &numbers), &batch, &mut grad);
    finish_step(params, &losses, penalty, &grad)
}

/// [`batch_step`] on the replayed full batch: the same numbers, bit for bit.
fn replayed_step(
    full: &mut FullBatch,
    params: &[Value],
    workers: &Workers,
    config: &FitConfig,
) -> f64 {
    let (mut grad, penalty) = l2_gradient(params, config.l2);
    let losses = full.gradient(&values_of(params), &mut grad, workers);
    finish_step(params, &losses, penalty, &grad)
}

/// The `l2` term's gradient (zeros without one) and its value.
fn l2_gradient(params: &[Value], l2: f64) -> (Vec<f64>, Option<f64>) {
    let mut grad = vec![0.0; params.len()];
    if l2 <= 0.0 {
        return (grad, None);
    }
    let mark = Tape::mark();
    Tape::zero_grads(params);
    let term = crate::loss::l2_penalty(params, l2);
    term.backward();
    Tape::read_grads(params, &mut grad);
    let value = term.data();
    Tape::rewind(mark);
    (grad, Some(value))
}

/// The batch's loss from its examples' losses and the `l2` term, the gradient handed to the
/// parameters if it is finite.
fn finish_step(params: &[Value], losses: &[f64], penalty: Option<f64>, grad: &[f64]) -> f64 {
    // `loss::mean`'s forward pass: summed left to right from 0, times 1/n; then `+ l2 term`.
    let mean = losses.iter().fold(0.0, |acc, l| acc + l) * (1.0 / losses.len() as f64);
    let value = penalty.map_or(mean, |p| mean + p);
    if value.is_finite() {
        Tape::write_grads(params, grad);
    }
    value
}

/// Whether `model` fits `data` and `loss`: the data has at least two classes, the model's inputs
/// are the data's features, and its outputs what the loss needs for the data's classes (the hinge
/// and BCE losses train two classes). What [`fit`], [`evaluate`] and
/// [`train_epoch`](super::train_epoch) check first.
///
/// # Errors
/// [`TrainError::Shape`], saying which sizes differ.
pub fn check_model_fits(
    model: &impl Model,
    data: &Dataset,
    loss: LossKind,
) -> Result<(), TrainError> {
    if model.input_len() != data.n_features() {
        return Err(TrainError::Shape(format!(
            "the model takes {} inputs but the data has {} features",
            model.input_len(),
            data.n_features()
        )));
    }
    let k = data.n_classes();
    if k < 2 {
        return Err(TrainError::Shape(format!(
            "the data has {k} class; a classifier needs at least two"
        )));
    }
    if matches!(loss, LossKind::Hinge | LossKind::Bce) && k != 2 {
        return Err(TrainError::Shape(format!(
            "the {} loss trains 2 classes, the data has {k} (use --loss ce)",
            loss.name()
        )));
    }
    let want = loss.outputs(k);
    let nout = model.output_len();
    let ok = nout == want || (loss == LossKind::Mse && k == 2 && nout == 2);
    if !ok {
        return Err(TrainError::Shape(format!(
            "the {} loss on {k} classes needs a model with {want} output{}, this one has {nout}",
            loss.name(),
            if want == 1 { "" } else { "s" },
        )));
    }
    Ok(())
}

/// Trains `model` on `data` as `config` says, calling `on_epoch` after every epoch.
///
/// Each epoch: the training examples are shuffled (seeded) and cut into batches
/// ([`shuffled_batches`]); for each batch, with dropout in train mode,
///
/// ```text
/// loss  = mean over the batch of the per-example loss (LossKind)  +  l2 · Σ p²   (if l2 > 0)
/// grads = ∇(l2 term) + Σ over chunks of CHUNK examples, in order, of ∇(Σ_chunk lossᵢ / n)
///         (one backward sweep per chunk, on whichever thread: see `parallel.rs`);
/// clip the global grad norm (if clip);
/// opt.set_lr(schedule.lr(lr, step)); opt.step(params); step += 1
/// ```
///
/// then the training and validation sets are evaluated with dropout off ([`EpochRecord`]). The
/// validation set is a seeded split ([`split_indices`]) of `data`, never trained on. With
/// `patience`, training stops once the validation loss has not improved for `patience` epochs, and
/// **the parameters of the best epoch (lowest validation loss) are restored**, also when all epochs
/// ran ([`FitReport::best_epoch`]); the records of the epochs after it are kept in the report.
///
/// # Errors
/// [`TrainError::Config`] for a bad config or a split that leaves no training example,
/// [`TrainError::Shape`] if the model does not fit the data and the loss, and
/// [`TrainError::NonFiniteBatchLoss`] (naming the epoch and the step) if a batch's loss is NaN or
/// infinite, in which case that batch makes no update.
///
/// ```
/// use micrograd::data::blobs;
/// use micrograd::nn::MLP;
/// use micrograd::train::{fit, FitConfig, LossKind, OptimizerKind};
/// let data = blobs(60, 3, 0.3, 1);
/// let model = MLP::seeded(2, &[8, 3], 1);
/// let config = FitConfig { loss: LossKind::CrossEntropy, optimizer: OptimizerKind::Adam, lr: 0.05,
///     epochs: 30, batch_size: 16, val_split: 0.2, ..FitConfig::default() };
/// let report = fit(&model, &data, &config, |_| {}).unwrap();
/// assert_eq!(report.sizes, (48, 12));
/// assert!(report.epochs.last().unwrap().train_accuracy > 0.9);
/// ```
pub fn fit<M: Replicate>(
    model: &M,
    data: &Dataset,
    config: &FitConfig,
    on_epoch: impl FnMut(&EpochRecord),
) -> Result<FitReport, TrainError> {
    fit_until(model, data, config, &AtomicBool::new(false), on_epoch)
}

/// [`fit`], stopping before the next update step once `stop` is set (by a signal handler, another
/// thread or `on_epoch`: a user's interrupt, for a checkpoint). The report then holds the epochs
/// finished; if `stop` came in the middle of an epoch, [`FitReport::steps`] counts the steps of
/// that epoch too, and the model holds the parameters after the last step. With early stopping
/// the best epoch's parameters are restored as usual.
///
/// # Errors
/// As [`fit`].
///
/// ```
/// use micrograd::data::blobs;
/// use micrograd::nn::MLP;
/// use micrograd::train::{fit_until, FitConfig};
/// use std::sync::atomic::{AtomicBool, Ordering};
/// let data = blobs(20, 2, 0.3, 1);
/// let model = MLP::seeded(2, &[4, 1], 1);
/// let config = FitConfig { epochs: 50, batch_size: 4, ..FitConfig::default() };
/// let stop = AtomicBool::new(false);
/// let report = fit_until(&model, &data, &config, &stop, |r| {
///     if r.epoch == 2 { stop.store(true, Ordering::Relaxed) }
/// })
/// .unwrap();
/// assert_eq!((report.epochs.len(), report.steps), (3, 15));
/// ```
pub fn fit_until<M: Replicate>(
    model: &M,
    data: &Dataset,
    config: &FitConfig,
    stop: &AtomicBool,
    mut on_epoch: impl FnMut(&EpochRecord),
) -> Result<FitReport, TrainError> {
    config.validate()?;
    check_model_fits(model, data, config.loss)?;
    if config.dropout > 0.0 && !M::HAS_DROPOUT {
        return Err(TrainError::Shape(format!(
            "dropout {} is applied between an MLP's hidden layers; this model has no dropout",
            config.dropout
        )));
    }
    let (train_rows, val_rows) = split_indices(data.len(), config.val_split, config.seed);
    if train_rows.is_empty() {
        return Err(TrainError::Config(ConfigError {
            field: ConfigField::ValSplit,
            bound: Bound::LeavesTraining {
                found: config.val_split,
                examples: data.len(),
            },
        }));
    }
    let n = train_rows.len();
    let steps_per_epoch = if config.batch_size == 0 {
        1
    } else {
        n.div_ceil(config.batch_size)
    };
    let total_steps = steps_per_epoch * config.epochs;
    let schedule = config.schedule.resolve(total_steps, steps_per_epoch);
    let params = model.parameters();
    let mut opt = config.optimizer.build(config.lr, config.weight_decay);
    let mut shuffle_rng = StdRng::seed_from_u64(config.seed.wrapping_add(1));
    let mut dropout = Dropout::new(config.dropout, config.seed.wrapping_add(2));
    let mut stopper = config.patience.map(EarlyStopping::new);
    let mut best_params: Option<Vec<f64>> = None;
    let mut report = FitReport {
        epochs: Vec::with_capacity(config.epochs.min(1 << 16)),
        best_epoch: None,
        stopped_early: false,
        sizes: (n, val_rows.len()),
        steps: 0,
        execution: Execution::Eager,
    };
    let batch_len = if config.batch_size == 0 {
        n
    } else {
        config.batch_size.min(n)
    };
    let workers = Workers::new(match config.threads {
        0 => auto_threads(batch_len, params.len()),
        t => t,
    });
    // One batch of all the training rows, in order (`shuffled_batches` draws nothing for it), no
    // dropout, and a model and loss whose graphs replay exactly: the same graph at every step.
    let replay = config.execution == Execution::Replay
        && batch_len == n
        && config.dropout == 0.0
        && config.loss.replays_exactly()
        && model.replays_exactly();
    let mut full = replay
        .then(|| FullBatch::record(model, &params, data, &train_rows, config.loss))
        .flatten();
    if full.is_some() {
        report.execution = Execution::Replay;
    }
    let mark = Tape::mark();
    let mut step = 0usize;
    let mut lr = config.lr;
    'epochs: for epoch in 0..config.epochs {
        dropout.train();
        for batch in shuffled_batches(n, config.batch_size, &mut shuffle_rng) {
            if stop.load(Ordering::Relaxed) {
                break 'epochs;
            }
            let rows: Vec<usize> = batch.iter().map(|&b| train_rows[b]).collect();
            let value = match full.as_mut() {
                Some(full) => replayed_step(full, &params, &workers, config),
                None => batch_step(model, &params, &workers, data, &rows, config, &mut dropout),
            };
            if !value.is_finite() {
                Tape::rewind(mark);
                return Err(TrainError::NonFiniteBatchLoss {
                    epoch,
                    step,
                    loss: value,
                });
            }
            if let Some(c) = config.clip {
                let norm = clip_grad_norm(&params, c);
                if !norm.is_finite() {
                    Tape::rewind(mark);
                    return Err(TrainError::NonFiniteBatchLoss {
                        epoch,
                        step,
                        loss: norm,
                    });
                }
            }
            lr = schedule.lr(config.lr, step);
            opt.set_lr(lr);
            opt.step(&params);
            Tape::rewind(mark);
            step += 1;
        }
        dropout.eval();
        let (train_loss, train_accuracy) = match full.as_mut() {
            Some(full) => mean_and_accuracy(full.evaluate(&values_of(&params))),
            None => eval_rows(model, &params, data, &train_rows, config.loss, &workers),
        };
        let val = (!val_rows.is_empty())
            .then(|| eval_rows(model, &params, data, &val_rows, config.loss, &workers));
        let record = EpochRecord {
            epoch,
            train_loss,
            train_accuracy,
            val_loss: val.map(|v| v.0),
            val_accuracy: val.map(|v| v.1),
            lr,
            steps: step,
        };
        on_epoch(&record);
        report.epochs.push(record);
        if let (Some(es), Some((vl, _))) = (stopper.as_mut(), val) {
            let stop = es.update(epoch, vl);
            if es.improved() {
                best_params = Some(values_of(&params));
            }
            if stop {
                report.stopped_early = epoch + 1 < config.epochs;
                break;
            }
        }
    }
    report.steps = step;
    if let (Some(es), Some(best)) = (&stopper, &best_params) {
        for (p, &v) in params.iter().zip(best) {
            p.set_data(v);
        }
        report.best_epoch = es.best_epoch();
    }
    Ok(report)
}
