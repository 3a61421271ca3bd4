//! What the general loop prepares before training: the architecture (`--arch`, errors pointing at
//! the column), the held-out test set (`--test-split`), the preprocessing fitted on the training
//! rows (`--standardize`, `--minmax`), the augmentation (`--augment`), and the model, checked
//! against the data with its memory reserved.

use super::{new_model, reserve_memory, Args, FitArgs, MAX_PARAMETERS};
use crate::data_source::Loaded;
use crate::excerpt::{excerpt, point_at_window, MAX_CHARS};
use crate::memory;
use crate::network::{Network, Saved};
use anyhow::{anyhow, bail, Context, Result};
use micrograd::augment::Augment;
use micrograd::data::Dataset;
use micrograd::nn::{Architecture, Chw, Init, Module, Sequential};
use micrograd::preprocess::{train_test_split, Preprocess, Scaling};
use micrograd::train::{check_model_fits, split_indices, FitConfig};
use rand::SeedableRng;

/// The data the general loop trains on, and what it keeps aside.
pub(super) struct Prepared {
    /// The training rows (validation included), preprocessed, with their augmented copies.
    pub train: Dataset,
    /// The held-out test rows, preprocessed, with `--test-split`.
    pub test: Option<Dataset>,
    /// The transform fitted on the training rows (or the `--model-init` file's).
    pub preprocess: Option<Preprocess>,
    /// The augmentation `train` holds (with the number of copies), if any.
    pub augment: Option<(Augment, usize)>,
    /// The training rows before augmentation.
    pub rows: usize,
    /// Every example's shape (an image's, or the CSV's features, flat).
    pub shape: Chw,
}

/// `--arch`, parsed; an error shows the architecture with a caret under the column.
pub(super) fn parse_arch(args: &Args) -> Result<Option<Architecture>> {
    let Some(text) = &args.arch else {
        return Ok(None);
    };
    text.parse::<Architecture>().map(Some).map_err(|e| {
        anyhow!(
            "--arch: cannot parse the architecture: {}\n{}",
            excerpt(&e.to_string(), MAX_CHARS),
            point_at_window(text, e.column)
        )
    })
}

/// The test split (with `--seed`, as `predict --test-split` draws it), the preprocessing, and the
/// augmentation of the training rows.
pub(super) fn split_and_scale(
    args: &Args,
    flags: &FitArgs,
    loaded: &Loaded,
    config: &FitConfig,
    init: Option<&Saved>,
) -> Result<Prepared> {
    let (train, test) = match flags.test_split {
        Some(f) => {
            let s = train_test_split(&loaded.data, f, args.seed)
                .map_err(|e| anyhow!("--test-split {f}: {}", e.message))?;
            (s.train, Some(s.test))
        }
        None => (loaded.data.clone(), None),
    };
    let preprocess = preprocess(flags, &train, config, init)?;
    let scale = |d: Dataset| -> Result<Dataset> {
        match &preprocess {
            Some(p) => {
                p.check(&d)
                    .with_context(|| "--model-init's preprocessing")?;
                Ok(p.transform(&d))
            }
            None => Ok(d),
        }
    };
    let augment = flags.augment.unwrap_or_default();
    let image = loaded.is_image.then_some(loaded.shape);
    if image.is_none() && (augment.shift > 0 || augment.rotate > 0.0) {
        bail!(
            "--augment {augment}: shifts and rotations need image data (use jitter=STD for points)"
        );
    }
    let copies = flags.augment_copies.unwrap_or(4);
    if !(1..=100).contains(&copies) {
        bail!("--augment-copies must be 1 to 100, got {copies}");
    }
    let rows = train.len();
    // Augmented before scaling, so that a shift brings in the images' own 0 (black).
    let train = if augment.is_identity() {
        train
    } else {
        augment.expand(&train, image, copies, args.seed.wrapping_add(AUGMENT_SEED))
    };
    Ok(Prepared {
        train: scale(train)?,
        test: test.map(scale).transpose()?,
        preprocess,
        augment: (!augment.is_identity()).then_some((augment, copies)),
        rows,
        shape: loaded.shape,
    })
}

/// `--standardize` or `--minmax` fitted on the rows the loop trains on (the validation rows, drawn
/// as the loop draws them, left out), or the `--model-init` file's transform, which it keeps.
fn preprocess(
    flags: &FitArgs,
    train: &Dataset,
    config: &FitConfig,
    init: Option<&Saved>,
) -> Result<Option<Preprocess>> {
    let scaling = match (flags.standardize, flags.minmax) {
        (true, _) => Some(Scaling::Standardize),
        (_, true) => Some(Scaling::MinMax),
        _ => None,
    };
    match (scaling, init.and_then(|s| s.preprocess.clone())) {
        (Some(_), Some(_)) => bail!(
            "--standardize/--minmax: the --model-init file has its own preprocessing, which it keeps"
        ),
        (None, kept) => Ok(kept),
        (Some(s), None) => {
            let (rows, _) = split_indices(train.len(), config.val_split, config.seed);
            if rows.is_empty() {
                bail!("--val-split {} leaves no rows to train on", config.val_split);
            }
            Ok(Some(Preprocess::fit(s, &train.subset(&rows))))
        }
    }
}

/// Added to `--seed` for the augmentation's draws, so that they are not the split's or the
/// initialization's.
const AUGMENT_SEED: u64 = 0xA06;

/// `--model-init`, `--arch` or `--hidden`'s model, checked against the data and the loss, with the
/// memory of a batch reserved.
pub(super) fn model(
    args: &Args,
    arch: Option<&Architecture>,
    init: Option<Saved>,
    prepared: &Prepared,
    config: &FitConfig,
) -> Result<Network> {
    let data = &prepared.train;
    let n_train = data.len() - (data.len() as f64 * config.val_split).round() as usize;
    let batch = match config.batch_size {
        0 => n_train,
        b => b.min(n_train),
    };
    let (nin, l2, loss) = (data.n_features(), config.l2 > 0.0, config.loss);
    let network = match (init, arch) {
        (Some(saved), _) => saved.network,
        (None, Some(arch)) => Network::Sequential(build(args, arch, prepared.shape)?),
        (None, None) => {
            let nout = loss.outputs(data.n_classes());
            reserve_memory(args, None, (nin, nout), batch, l2)?;
            Network::Mlp(new_model(args, nin, nout))
        }
    };
    match &network {
        Network::Mlp(m) if args.model_init.is_some() => {
            reserve_memory(args, Some(m), (nin, m.nout()), batch, l2)?
        }
        Network::Mlp(_) => {}
        Network::Sequential(s) => reserve_sequential(args, s, batch, l2)?,
    }
    if let Network::Sequential(s) = &network {
        if !prepared.shape.is_flat() && s.input_shape() != prepared.shape {
            bail!(
                "the model takes inputs of shape {} but {} has images of {}",
                s.input_shape(),
                args.source.name(),
                prepared.shape
            );
        }
    }
    if args.filters.is_some() && network.first_conv().is_none() {
        bail!("--filters draws the filters of a convolution; this model has none");
    }
    let fits = match &network {
        Network::Mlp(m) => check_model_fits(m, data, loss),
        Network::Sequential(s) => check_model_fits(s, data, loss),
    };
    fits.with_context(|| {
        let what = args
            .model_init
            .as_ref()
            .map_or("the model".to_string(), |p| p.display().to_string());
        format!(
            "{what} does not fit {} with --loss {}",
            args.source.name(),
            loss.name()
        )
    })?;
    Ok(network)
}

/// Builds `--arch` for inputs of `shape` (Kaiming weights seeded by `--seed`), refusing one too large
/// before it allocates anything.
fn build(args: &Args, arch: &Architecture, shape: Chw) -> Result<Sequential> {
    let text = args.arch.as_deref().unwrap_or_default();
    if arch.parameter_bound(shape) > MAX_PARAMETERS {
        bail!(
            "--arch {}: too large for this scalar engine on {shape} inputs (at most 10,000,000 parameters)",
            excerpt(text, MAX_CHARS)
        );
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    arch.build(shape, Init::Kaiming, &mut rng).map_err(|e| {
        anyhow!(
            "--arch does not fit the {} data ({shape} inputs): {}\n{}",
            args.source.name(),
            excerpt(&e.to_string(), MAX_CHARS),
            point_at_window(text, e.column)
        )
    })
}

/// [`super::reserve_memory`] for a [`Sequential`] model, from the layers' shapes.
fn reserve_sequential(args: &Args, model: &Sequential, batch: usize, l2: bool) -> Result<()> {
    let what = format!(
        "training {} on batches of {batch} examples",
        excerpt(&model.to_string(), MAX_CHARS)
    );
    let suggestion = "use smaller batches (--batch-size N), fewer channels or smaller layers";
    let graph = memory::sequential_example_graph(model);
    let params = model.num_parameters() as u128;
    let estimate = memory::training_bytes(graph, params, batch, l2);
    memory::check(&what, estimate, args.max_memory, suggestion)?;
    memory::reserve_tape(
        &what,
        memory::training_nodes(graph, params, batch, l2),
        suggestion,
    )
}
