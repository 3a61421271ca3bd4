//! The training view's model: a data set, its input features, an MLP with one output (a score whose
//! sign is the class), a loss, an optimizer and a regularizer, trained a few steps at a time, with
//! the pictures the page draws (the decision boundary and every neuron's output over the plane).
//!
//! The engine does all the arithmetic: the network's forward pass, the losses, the backward pass and
//! the optimizer's update. The page's JavaScript keeps the settings in the URL hash and sends them as
//! a JSON [`Config`]; everything else happens here.
//!
//! How the parts fit, in the order a [`Playground`] is made and used:
//!
//! | file | responsibility |
//! | --- | --- |
//! | `config.rs` | [`Config`]: every setting (the URL hash's fields), its default, its bounds ([`Config::validate`]), and the names read into the kinds the other parts use |
//! | `data.rs` | the points: `micrograd::data`'s moons, circles, spirals, blobs and xor, scaled into the page's square `[-DOMAIN, DOMAIN]²`; the input [`FEATURES`] of a point |
//! | `train.rs` | [`Playground`] itself: the seeded MLP and optimizer over the points' feature rows, [`Playground::train`] (minibatch steps: loss, penalty, backward, update, and the stop when it diverges), [`Stats`] |
//! | `network.rs` | the network as the page draws and edits it ([`Network`], [`Link`], [`Playground::set_weight`]) and its graph at one point ([`Playground::point_graph`]) |
//! | `pictures.rs` | [`Playground::render`]: the output, each feature and each hidden neuron over a `GRID × GRID` grid, as RGBA heatmaps in TensorFlow Playground's [`colour`]s |
//!
//! [`Playground::new`] checks the config, makes the points and their feature rows, builds the network
//! and draws the pictures once; then, per animation frame, the page calls `train`, `stats` and
//! `render` and paints `maps`. The struct is defined in `train.rs`; the other files add `impl`
//! blocks to it and see its fields (`pub(super)`). Each file's unit tests sit at its end.

mod config;
mod data;
mod network;
mod pictures;
mod train;

pub use config::{Config, MAX_LAYERS, MAX_NEURONS};
pub use data::{Point, DOMAIN, FEATURES};
pub use network::{Link, Network};
pub use pictures::{cell_centre, colour, GRID};
pub use train::{Playground, Stats, DIVERGED};
