//! Training loops on top of [`nn`](crate::nn), [`loss`](crate::loss) and [`optim`](crate::optim).
//!
//! ## How the parts fit
//!
//! * `demo.rs`: micrograd's own demo loop, op for op ([`train`], [`Trainer`], [`TrainConfig`]):
//!   full batch, hinge loss, L2, SGD with a linearly decaying learning rate; the step's graph
//!   recorded once and replayed ([`Execution`]), with the eager loop's numbers bit for bit.
//! * `fit.rs`: the general loop ([`fit`], [`FitConfig`], [`evaluate`]) for an MLP or a
//!   `Sequential` CNN: any [`LossKind`], any optimizer ([`OptimizerKind`]), a schedule,
//!   mini-batches, dropout, validation, early stopping.
//! * `parallel.rs`: a batch's gradient on several threads ([`FitConfig::threads`]), the same
//!   numbers for every thread count: fixed chunks of [`CHUNK`] examples, one backward sweep per
//!   chunk, the chunks' gradients added in chunk order.
//! * `replayed.rs`: full batches on the replay ([`FitConfig::execution`]): each chunk's graph
//!   recorded once and replayed every step, with the eager loop's numbers.
//! * `batches.rs`: what `fit` draws its examples with: the seeded validation split
//!   ([`split_indices`]), an epoch's shuffled mini-batches ([`shuffled_batches`]), and
//!   [`EarlyStopping`].
//! * `model_epoch.rs`: one epoch ([`train_epoch`]) and the confusion matrix for any
//!   [`Model`](crate::nn::Model), such as a CNN.
//! * `error.rs`: [`TrainError`], what every loop returns when it cannot start or has to stop, and
//!   [`ConfigError`], a hyper-parameter out of range (which field, which bound).
//!
//! The losses themselves, and [`LossKind`], live in [`crate::loss`]; they are re-exported here.
//!
//! ## The trainer contract
//!
//! [`Trainer`] (micrograd's demo loop on an [`MLP`](crate::nn::MLP)) and
//! [`gpt::Trainer`](crate::gpt::Trainer) (microgpt) are driven the same way:
//!
//! ```
//! use micrograd::data::moons;
//! use micrograd::gpt::{self, Gpt, GptConfig, Vocab};
//! use micrograd::nn::MLP;
//! use micrograd::train::{TrainConfig, Trainer};
//! use rand::SeedableRng;
//!
//! // micrograd's demo loop: the trainer holds the data set; every step is one full-batch update.
//! let data = moons(40, 0.1, 1);
//! let model = MLP::seeded(2, &[8, 1], 2);
//! let config = TrainConfig { steps: 20, ..TrainConfig::default() };
//! let mut trainer = Trainer::new(&model, &data, &config)?;    // the model, then how to train it
//! let mut losses = vec![];
//! while !trainer.is_done() {                                  // num_steps() planned steps
//!     losses.push(trainer.step()?.loss);                      // measured before the update
//! }
//! assert!(losses[19] < losses[0]);
//!
//! // microgpt: every step is one update on one document.
//! let docs = ["emma", "olivia", "ava"];
//! let mut rng = rand::rngs::StdRng::seed_from_u64(42);
//! let config = GptConfig { n_layer: 1, n_embd: 8, n_head: 2, block_size: 8 };
//! let model = Gpt::new(config, Vocab::from_docs(docs), &mut rng)?;
//! let mut trainer = gpt::Trainer::new(model, 0.01, 30);      // the model, then how to train it
//! let mut losses = vec![];
//! while !trainer.is_done() {
//!     let doc = docs[trainer.steps_done() % docs.len()];
//!     let tokens = trainer.model().vocab().encode(doc)?;
//!     losses.push(trainer.step(&tokens)?);                    // measured before the update
//! }
//! assert!(losses[29] < losses[0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * `new` takes a [`Tape::mark`](crate::Tape::mark): every step rewinds the tape to it, so memory
//!   stays flat and nothing created on the tape after `new` outlives a step. Create the model first.
//! * `step` runs one update and returns what it measured **before** that update (the loss; for the
//!   MLP also the accuracy and the learning rate, a [`StepRecord`]).
//! * A NaN or infinite loss is an error naming the step, and the parameters are left as they were;
//!   a step after the planned ones is an error too ([`TrainError::StepsExhausted`],
//!   `GptError::StepsExhausted`). Either way the tape is rewound.
//! * `steps_done()` counts the steps done (the index of the next one); `num_steps()` is the plan.
//!
//! They differ where the models do: the demo trains on one data set, given to `new`, full batch
//! every step; microgpt takes one document per `step`. The demo borrows its [`MLP`](crate::nn::MLP);
//! microgpt's trainer owns its [`Gpt`](crate::gpt::Gpt) (it is not `Clone`) and gives it back with
//! `into_model`.

mod batches;
mod config;
mod demo;
mod error;
mod fit;
mod model_epoch;
mod parallel;
mod replayed;

pub use crate::loss::{argmax, LossKind};
pub use batches::{shuffled_batches, split_indices, EarlyStopping};
pub use config::{FitConfig, OptimizerKind};
pub use demo::{accuracy, scores, train, train_with, Execution, StepRecord, TrainConfig, Trainer};
pub use error::{Bound, ConfigError, ConfigField, TrainError};
pub use fit::{check_model_fits, evaluate, fit, fit_until, EpochRecord, FitReport};
pub use model_epoch::{confusion_counts, confusion_matrix, train_epoch};
pub use parallel::{auto_threads, CHUNK, MIN_PARALLEL_BATCH, MIN_PARALLEL_WORK};
