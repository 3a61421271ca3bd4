//! `micrograd`: the command-line tool.
//!
//! Every subcommand lives in `src/cmd/<name>.rs` (`train` in `src/cmd/train/`) of the
//! `micrograd_cli` library, progress and traces in `src/report.rs`; the conventions of output, errors
//! and signals are in its docs (`src/lib.rs`).

use clap::{Parser, Subcommand};
use micrograd_cli::{cmd, errln, excerpt, output, signals};
use std::process::ExitCode;

/// micrograd in Rust: a tiny scalar autograd engine and neural-net library.
#[derive(Parser)]
#[command(name = "micrograd", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// micrograd's moons demo, checked step by step against micrograd's own run.
    Demo(cmd::demo::Args),
    /// Train a model (an MLP, or layers from --arch) on a CSV file, digits, MNIST or an image folder.
    Train(Box<cmd::train::Args>),
    /// Hyperparameter search: grid or random, validation split or k-fold, successive halving.
    Tune(Box<cmd::tune::Args>),
    /// Score a data set (CSV, digits, MNIST or an image folder) with a saved model.
    Predict(cmd::predict::Args),
    /// Differentiate an expression: `micrograd grad "x*y + 1" x=2 y=3`.
    Grad(cmd::grad::Args),
    /// Data sets: generate moons, circles, blobs, spirals, xor.
    #[command(subcommand)]
    Data(cmd::data::Command),
    /// microgpt: train a tiny GPT on names, sample from it.
    #[command(subcommand)]
    Gpt(cmd::gpt::Command),
}

fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|e| match excerpt::long_clap_error(&e) {
        Some(message) => {
            errln!("{}", message.trim_end());
            std::process::exit(2)
        }
        None => e.exit(),
    });
    if let Err(e) = signals::install() {
        errln!("warning: cannot handle SIGINT and SIGTERM: {e}");
    }
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Train(args) => cmd::train::run(*args),
        Command::Tune(args) => cmd::tune::run(*args),
        Command::Predict(args) => cmd::predict::run(args),
        Command::Grad(args) => cmd::grad::run(args),
        Command::Data(c) => cmd::data::run(c),
        Command::Gpt(c) => cmd::gpt::run(c),
    }
    .and_then(|()| output::flush_stdout());
    let code = if signals::stop_requested() {
        ExitCode::from(signals::EXIT_CODE)
    } else {
        ExitCode::SUCCESS
    };
    match result {
        Ok(()) => code,
        Err(e) => {
            errln!("error: {e:#}");
            if signals::stop_requested() {
                code
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
