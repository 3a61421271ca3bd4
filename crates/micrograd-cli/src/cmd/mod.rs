//! One module per subcommand.

pub mod data;
pub mod demo;
pub mod gpt;
pub mod grad;
pub mod predict;
pub mod train;
pub mod tune;
