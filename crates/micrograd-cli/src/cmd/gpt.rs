//! `micrograd gpt train` and `micrograd gpt sample`: Karpathy's microgpt on this engine.
//!
//! `train` reads documents (one per line), builds microgpt's vocabulary from them, and trains one
//! document per step with Adam; it can start from microgpt's own initial weights (`--init`), follow a
//! given order of documents (`--order`), and write the per-step loss (`--trace`), the model (`--save`)
//! and a loss-curve picture (`--plot`). `sample` draws names from a saved model.

use crate::excerpt::{excerpt, MAX_CHARS};
use crate::output::{write_bytes_atomic, wrote};
use crate::report::{write_lines, Progress};
use crate::{errln, memory, outln, signals};
use anyhow::{bail, Context, Result};
use micrograd::gpt::{state_dict_from_json, Gpt, GptConfig, GptError, Trainer, Vocab};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Subcommands of `micrograd gpt`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Train a GPT on documents, one per step, as microgpt does.
    Train(TrainArgs),
    /// Sample documents (names) from a saved model.
    Sample(SampleArgs),
}

/// Arguments of `micrograd gpt train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// The documents, one per line (surrounding whitespace and blank lines are ignored). The vocabulary
    /// is their sorted distinct characters, then BOS.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Initial weights: microgpt's state_dict as JSON, `{"wte": [[...], ...], "wpe": ..., "lm_head":
    /// ..., "layer0.attn_wq": ..., ...}`, each matrix a list of output rows, or a model saved by
    /// --save (a checkpoint, to resume: its configuration and vocabulary must match; Adam's state
    /// and the learning-rate decay start afresh). Default: random N(0, 0.08²) weights from --seed.
    #[arg(long, value_name = "FILE")]
    init: Option<PathBuf>,
    /// The documents to train on, in order, one per line and one per step (cycled if there are fewer
    /// lines than steps). Default: the --data documents shuffled with --seed.
    #[arg(long, value_name = "FILE")]
    order: Option<PathBuf>,
    /// Number of training steps (one document each); the learning rate decays linearly to 0 over them.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    steps: usize,
    /// Initial learning rate of Adam (β1 0.85, β2 0.99, ε 1e-8), > 0.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    lr: f64,
    /// Number of transformer blocks.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    n_layer: usize,
    /// Embedding width (a multiple of --n-head).
    #[arg(long, default_value_t = 16, allow_negative_numbers = true)]
    n_embd: usize,
    /// Number of attention heads.
    #[arg(long, default_value_t = 4, allow_negative_numbers = true)]
    n_head: usize,
    /// Context length: the number of positions (longer documents are truncated).
    #[arg(long, default_value_t = 16, allow_negative_numbers = true)]
    block_size: usize,
    /// Seed of the random initial weights and of the shuffle.
    #[arg(long, default_value_t = 42, allow_negative_numbers = true)]
    seed: u64,
    /// Write `{"step": k, "loss": L}` per line (k from 0; L to full precision) to this file (`-`:
    /// standard output). Also written, up to the failing step, when the loss diverges, and as a
    /// checkpoint on Ctrl-C.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Save the trained model (config, vocabulary, state_dict) as JSON to this file (`-`: standard
    /// output). On Ctrl-C (SIGINT) or SIGTERM, training stops at the end of the current step and the
    /// model is saved as a checkpoint (exit code 130); `--init` resumes from it.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Draw the loss curve to this file (.png or .svg).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Refuse to train if the estimated memory (a step's tape, the parameters, Adam's state) exceeds
    /// this, e.g. 512M or 2G [default: the available memory, MemAvailable].
    #[arg(long, value_name = "BYTES", value_parser = memory::max_memory_arg)]
    max_memory: Option<u64>,
}

/// Arguments of `micrograd gpt sample`.
#[derive(clap::Args)]
pub struct SampleArgs {
    /// A model saved by `micrograd gpt train --save`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Number of samples.
    #[arg(
        short = 'n',
        long = "num",
        default_value_t = 20,
        allow_negative_numbers = true
    )]
    n: usize,
    /// Softmax temperature, > 0: lower is more conservative.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    temperature: f64,
    /// Seed of the sampler (default: a random one).
    #[arg(long, allow_negative_numbers = true)]
    seed: Option<u64>,
}

/// Runs the command.
pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Train(args) => train(args),
        Command::Sample(args) => sample(args),
    }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// microgpt's document list: the stripped non-empty lines, with their 1-based line numbers.
pub fn documents(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect()
}

fn train(args: TrainArgs) -> Result<()> {
    let config = check_args(&args)?;
    let data_text = read_text(&args.data)?;
    let data = documents(&data_text);
    if data.is_empty() {
        bail!(
            "{}: no documents (every line is blank)",
            args.data.display()
        );
    }
    let vocab = Vocab::from_docs(data.iter().map(|(_, d)| d));
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let order = step_documents(&args, &data, &vocab, &mut rng)?;
    reserve_memory(&args, &config, vocab.size())?;
    let model = match &args.init {
        Some(path) => load_init(path, config, vocab)?,
        None => Gpt::new(config, vocab, &mut rng)?,
    };
    errln!(
        "{} documents, vocabulary of {} tokens, {} parameters, {} steps",
        data.len(),
        model.vocab().size(),
        model.num_parameters(),
        args.steps
    );

    signals::checkpoint_on_signal();
    let mut trainer = Trainer::new(model, args.lr, args.steps);
    let mut losses = Vec::with_capacity(args.steps.min(1 << 16));
    let start = Instant::now();
    train_with_progress(&args, &mut trainer, &order, &mut losses)?;
    let elapsed = start.elapsed();
    if losses.is_empty() {
        bail!("interrupted before the first step ended; nothing was written");
    }
    let interrupted = signals::stop_requested();
    print_summary(&losses, interrupted, elapsed);
    write_outputs(&args, trainer.model(), &losses, interrupted)
}

/// The checks made before anything is read; the model's configuration.
fn check_args(args: &TrainArgs) -> Result<GptConfig> {
    if args.steps == 0 {
        bail!("--steps must be at least 1");
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        bail!("--lr must be a positive number, not {}", args.lr);
    }
    let config = GptConfig {
        n_layer: args.n_layer,
        n_embd: args.n_embd,
        n_head: args.n_head,
        block_size: args.block_size,
    };
    if let Err(GptError::Config { field, message }) = config.validate() {
        bail!("--{}: {message}", field.replace('_', "-"));
    }
    if let Some(path) = &args.plot {
        crate::plot::is_svg(path)?;
    }
    let mut inputs = vec![("--data", args.data.as_path())];
    inputs.extend(args.init.as_deref().map(|p| ("--init", p)));
    inputs.extend(args.order.as_deref().map(|p| ("--order", p)));
    crate::output::check_outputs(
        &inputs,
        &[
            ("--save", &args.save),
            ("--trace", &args.trace),
            ("--plot", &args.plot),
        ],
    )?;
    Ok(config)
}

/// The documents of each step, tokenized: `--order`'s lines, or the documents shuffled with `rng`.
fn step_documents(
    args: &TrainArgs,
    data: &[(usize, &str)],
    vocab: &Vocab,
    rng: &mut rand::rngs::StdRng,
) -> Result<Vec<Vec<usize>>> {
    let Some(path) = &args.order else {
        let mut docs: Vec<Vec<usize>> = data
            .iter()
            .map(|(_, d)| {
                vocab
                    .encode(d)
                    .expect("the vocabulary holds every character")
            })
            .collect();
        docs.shuffle(rng);
        return Ok(docs);
    };
    let text = read_text(path)?;
    let docs = documents(&text);
    if docs.is_empty() {
        bail!("{}: no documents (every line is blank)", path.display());
    }
    docs.iter()
        .map(|&(line, doc)| {
            vocab.encode(doc).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{line}: {} (the vocabulary comes from {})",
                    path.display(),
                    excerpt(&e.to_string(), MAX_CHARS),
                    args.data.display()
                )
            })
        })
        .collect()
}

/// Refuses a model whose estimated memory exceeds `--max-memory` or the available memory, then
/// reserves the tape's estimated peak ([`memory::reserve_tape`]).
fn reserve_memory(args: &TrainArgs, config: &GptConfig, vocab: usize) -> Result<()> {
    let what = format!(
        "training a GPT of {} parameters (n_layer {}, n_embd {}, block_size {})",
        memory::gpt_parameters(config, vocab),
        config.n_layer,
        config.n_embd,
        config.block_size
    );
    let suggestion =
        "use a smaller model (--n-embd, --n-layer) or a shorter context (--block-size)";
    memory::check(
        &what,
        memory::gpt_training_bytes(config, vocab),
        args.max_memory,
        suggestion,
    )?;
    memory::reserve_tape(&what, memory::gpt_training_nodes(config, vocab), suggestion)
}

/// Runs the steps, one document each, pushing each step's loss to `losses`, until all ran or a
/// signal asks to stop, reporting progress (plain lines: about 10, plus the last step). On a
/// divergence, writes the trace up to the failing step and says so in the error.
fn train_with_progress(
    args: &TrainArgs,
    trainer: &mut Trainer,
    order: &[Vec<usize>],
    losses: &mut Vec<f64>,
) -> Result<()> {
    let progress = Progress::new(args.steps, args.steps / 10);
    for step in 0..args.steps {
        if signals::stop_requested() {
            break;
        }
        let e = match trainer.step(&order[step % order.len()]) {
            Ok(loss) => {
                losses.push(loss);
                progress.update(
                    step,
                    || format!("step {:>5} / {} | loss {loss:.4}", step + 1, args.steps),
                    || format!("loss {loss:.4}"),
                );
                continue;
            }
            Err(e) => e,
        };
        progress.finish(false);
        // the trace up to the failing step is what a user wants to look at
        let written = if losses.is_empty() || args.trace.is_none() {
            "nothing was written".to_string()
        } else {
            write_trace(args, losses, "steps before the loss diverged")?;
            format!("wrote the trace of steps 1 to {}", losses.len())
        };
        if let GptError::NonFiniteLoss { loss, .. } = e {
            bail!(
                "the loss of step {} (counting from 1, as the progress lines do) is {loss}; \
                 training stopped before updating ({written}; try a smaller --lr)",
                step + 1
            );
        }
        return Err(anyhow::Error::new(e).context(format!("training stopped; {written}")));
    }
    progress.finish(true);
    Ok(())
}

fn print_summary(losses: &[f64], interrupted: bool, elapsed: std::time::Duration) {
    let tail = &losses[losses.len().saturating_sub(100)..];
    errln!(
        "{} {} steps in {:.3} s ({:.1} µs/step); loss: first {:.4}, last {:.4}, mean of the last {} {:.4}",
        if interrupted {
            "interrupted after"
        } else {
            "trained"
        },
        losses.len(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / losses.len() as f64,
        losses[0],
        losses[losses.len() - 1],
        tail.len(),
        tail.iter().sum::<f64>() / tail.len() as f64
    );
}

/// Writes `--trace` and `--save` (as a checkpoint if `interrupted`, saying how to resume), then,
/// unless interrupted, `--plot`.
fn write_outputs(args: &TrainArgs, model: &Gpt, losses: &[f64], interrupted: bool) -> Result<()> {
    let checkpoint = if interrupted { ", a checkpoint" } else { "" };
    write_trace(args, losses, &format!("steps{checkpoint}"))?;
    if let Some(path) = &args.save {
        write_bytes_atomic(path, model.to_json().as_bytes())?;
        wrote(
            path,
            &format!(
                "the model after {} of {} steps{checkpoint}",
                losses.len(),
                args.steps
            ),
        );
    }
    if interrupted {
        match &args.save {
            Some(path) => errln!("stopped by a signal; resume with --init {}", path.display()),
            None => errln!("stopped by a signal; no --save, so the model is lost"),
        }
        return Ok(());
    }
    if let Some(path) = &args.plot {
        plot_losses(path, losses)?;
        wrote(path, "the loss curve");
    }
    Ok(())
}

/// Writes `--trace` (if asked): `{"step": k, "loss": L}` per step, k from 0.
fn write_trace(args: &TrainArgs, losses: &[f64], what: &str) -> Result<()> {
    write_lines(args.trace.as_deref(), losses, what, |w, k, loss| {
        Ok(write!(
            w,
            "{{\"step\": {k}, \"loss\": {}}}",
            serde_json::to_string(loss)?
        )?)
    })
}

/// `--init`: a model saved by `--save` (its configuration and vocabulary must be this run's) or a
/// bare state dict.
fn load_init(path: &Path, config: GptConfig, vocab: Vocab) -> Result<Gpt> {
    init_from_text(
        &read_text(path)?,
        &path.display().to_string(),
        config,
        vocab,
    )
}

/// [`load_init`] on the text of the file `name`.
pub fn init_from_text(text: &str, name: &str, config: GptConfig, vocab: Vocab) -> Result<Gpt> {
    if text.contains("\"state_dict\"") {
        let model = Gpt::from_json(text).with_context(|| format!("{name}: not a saved model"))?;
        if *model.config() != config {
            bail!(
                "{name}: the saved model is {:?}, this run asks for {:?} (give the same --n-layer, \
                 --n-embd, --n-head, --block-size)",
                model.config(),
                config
            );
        }
        if *model.vocab() != vocab {
            bail!("{name}: the saved model's vocabulary differs from the one of --data");
        }
        return Ok(model);
    }
    let sd = state_dict_from_json(text).with_context(|| format!("{name}: not a state dict"))?;
    Gpt::from_state_dict(config, vocab, &sd)
        .with_context(|| format!("{name}: does not fit the model"))
}

fn sample(args: SampleArgs) -> Result<()> {
    let model = Gpt::from_json(&read_text(&args.model)?)
        .with_context(|| format!("{}: not a saved model", args.model.display()))?;
    let mut rng = match args.seed {
        Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
        None => rand::rngs::StdRng::from_os_rng(),
    };
    for _ in 0..args.n {
        let name = model.sample(&mut rng, args.temperature)?;
        outln!("{name}")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// The loss-curve picture
// ---------------------------------------------------------------------------------------------------

/// Draws the per-step loss (faint) and its running mean over 50 steps (bold) to a PNG or SVG file,
/// written atomically by [`crate::plot::save`].
fn plot_losses(path: &Path, losses: &[f64]) -> Result<()> {
    use crate::plot::{self, Chart, Series};
    let window = 50;
    let chart = Chart {
        title: "microgpt on micrograd-rs: training loss".into(),
        x_label: "step (one name per step)".into(),
        y_label: "loss (nats per character)".into(),
        series: vec![
            Series::line("loss of the step's document", losses, plot::PALETTE[1])
                .width(1)
                .opacity(0.45),
            Series::running_mean(
                format!("mean of the last {window} steps"),
                losses,
                window,
                plot::PALETTE[0],
            )
            .width(3),
        ],
        ..Chart::default()
    };
    plot::save(path, (900, 500), &chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_stripped_non_empty_lines_with_line_numbers() {
        assert_eq!(
            documents("emma\n\n  ava \r\nbob"),
            vec![(1, "emma"), (3, "ava"), (4, "bob")]
        );
    }
}
