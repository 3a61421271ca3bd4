//! microgpt on this engine: Andrej Karpathy's single-file scalar-autograd GPT, generalized.
//!
//! A decoder-only transformer in the style of GPT-2 with microgpt's simplifications (RMSNorm without
//! gain, no biases, ReLU MLP), trained one document per step with Adam and linear learning-rate decay,
//! exactly as microgpt does it: the same operations in the same order, so that from the same initial
//! weights the per-step loss agrees with Python microgpt's to about 1e-12 relative (see
//! `tests/gpt.rs` and `examples/microgpt.rs`).
//!
//! * [`Vocab`]: the sorted distinct characters of the data, then the BOS token.
//! * [`GptConfig`]: `n_layer`, `n_embd`, `n_head`, `block_size`.
//! * [`Gpt`]: the parameters (one [`Value`](crate::Value) each, keyed by microgpt's `state_dict` names), the forward
//!   pass with a key/value cache ([`Gpt::logits`]), the document loss ([`Gpt::loss`]) and sampling
//!   ([`Gpt::sample`]).
//! * [`Trainer`]: microgpt's training step (forward, backward, Adam update, zero grads, rewind the
//!   tape).
//!
//! ## How the parts fit
//!
//! * `vocab.rs`: [`Vocab`], characters to token ids and back;
//! * `model.rs`: [`GptConfig`], the parameters ([`Gpt`], [`StateDict`]) and their creation and checks;
//! * `forward.rs`: the forward pass with its [`KvCache`], the document loss and sampling;
//! * `train.rs`: [`Trainer`], one document per step;
//! * `json.rs`: model files (the `serde` feature);
//! * this file: the constants microgpt fixes, and [`GptError`].
//!
//! ```
//! use micrograd::gpt::{Gpt, GptConfig, Trainer, Vocab};
//! use rand::SeedableRng;
//!
//! let docs = ["emma", "olivia", "ava"];
//! let vocab = Vocab::from_docs(docs);
//! let config = GptConfig { n_layer: 1, n_embd: 8, n_head: 2, block_size: 8 };
//! let mut rng = rand::rngs::StdRng::seed_from_u64(42);
//! let model = Gpt::new(config, vocab, &mut rng).unwrap();
//! let mut trainer = Trainer::new(model, 0.01, 30);
//! let mut losses = vec![];
//! for step in 0..30 {
//!     let tokens = trainer.model().vocab().encode(docs[step % 3]).unwrap();
//!     losses.push(trainer.step(&tokens).unwrap());
//! }
//! assert!(losses[29] < losses[0]);          // it learns
//! let name = trainer.model().sample(&mut rng, 0.5).unwrap();
//! assert!(name.chars().all(|c| "emaolivy".contains(c)));
//! ```

use std::fmt;

mod forward;
#[cfg(feature = "serde")]
mod json;
mod model;
mod train;
mod vocab;

pub use forward::KvCache;
#[cfg(feature = "serde")]
pub use json::state_dict_from_json;
pub use model::{Gpt, GptConfig, StateDict};
pub use train::Trainer;
pub use vocab::Vocab;

/// The standard deviation of microgpt's initial weights (`random.gauss(0, 0.08)`).
pub const INIT_STD: f64 = 0.08;
/// Adam's β1 in microgpt.
pub const BETA1: f64 = 0.85;
/// Adam's β2 in microgpt.
pub const BETA2: f64 = 0.99;
/// Adam's ε in microgpt.
pub const EPS: f64 = 1e-8;
/// The ε inside RMSNorm: `x · (mean(x²) + 1e-5)^-0.5`.
pub const RMSNORM_EPS: f64 = 1e-5;

/// What can go wrong building, loading, training or sampling a [`Gpt`]. Every message names the
/// offending field, parameter, character or step.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GptError {
    /// An invalid configuration value (`field` is `n_layer`, `n_embd`, `n_head`, `block_size`, ...).
    Config {
        /// The configuration field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// An invalid vocabulary.
    Vocab(String),
    /// A document holds a character that is not in the vocabulary.
    UnknownChar {
        /// The character.
        ch: char,
        /// The document.
        doc: String,
    },
    /// A token sequence that cannot be trained on or fed to the model.
    Tokens(String),
    /// A state dict entry is missing, unexpected or of the wrong shape (`field` is its name, such as
    /// `layer0.attn_wq`).
    StateDict {
        /// The state dict name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The loss of a training step was NaN or infinite; the parameters were not updated.
    NonFiniteLoss {
        /// The step (from 0).
        step: usize,
        /// The loss.
        loss: f64,
    },
    /// Sampling was asked with a temperature that is not a positive finite number, or the model's
    /// probabilities were not finite.
    Sampling(String),
    /// Training past the planned number of steps (the learning rate has decayed to 0).
    StepsExhausted {
        /// The planned number of steps.
        num_steps: usize,
    },
    /// A model or state dict file that is not valid JSON or lacks a field (the message is serde_json's,
    /// with the field, line and column).
    Json(String),
}

impl fmt::Display for GptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GptError::Config { field, message } => write!(f, "{field}: {message}"),
            GptError::Vocab(m) => write!(f, "vocabulary: {m}"),
            GptError::UnknownChar { ch, doc } => {
                write!(f, "character {ch:?} of {doc:?} is not in the vocabulary")
            }
            GptError::Tokens(m) => write!(f, "tokens: {m}"),
            GptError::StateDict { field, message } => write!(f, "{field}: {message}"),
            GptError::NonFiniteLoss { step, loss } => {
                write!(f, "the loss of step {step} is {loss}: training stopped")
            }
            GptError::Sampling(m) => write!(f, "sampling: {m}"),
            GptError::StepsExhausted { num_steps } => write!(
                f,
                "all {num_steps} planned steps are done (the learning rate has decayed to 0)"
            ),
            GptError::Json(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for GptError {}
