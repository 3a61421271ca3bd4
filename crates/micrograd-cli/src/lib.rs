//! The `micrograd` command-line tool as a library: the binary (`src/main.rs`) parses the command line
//! and calls [`cmd`]; tests and the fuzz targets call the loaders ([`csv_data`], the model files) and
//! the output rules ([`output`]) directly.
//!
//! Conventions of every command: **standard output carries the command's results** (the demo's
//! table, predictions, gradients, samples, and any output file given as `-`); **standard error
//! carries progress, notes and the `wrote FILE (what)` lines**. Errors are reported as `error: ...`
//! with exit code 1; a closed standard output (`| head`) ends the output quietly, and the command
//! still writes its files; nothing panics on user input. Outputs are written as [`output`] describes;
//! signals are handled as [`signals`] describes (exit code 130).

pub mod cmd;
pub mod csv_data;
pub mod data_source;
pub mod excerpt;
pub mod memory;
pub mod network;
pub mod output;
pub mod plot;
pub mod report;
pub mod signals;
