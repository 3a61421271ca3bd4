//! `micrograd`: the command-line tool.
//!
//! Every subcommand lives in `src/cmd/<name>.rs`. Errors are reported as `error: ...` with a non-zero
//! exit code; nothing panics on user input, and output files are written atomically (see `output`).

mod cmd;
mod csv_data;
mod output;
mod plot;

use clap::{Parser, Subcommand};
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
    /// Train an MLP on a CSV data set.
    Train(Box<cmd::train::Args>),
    /// Score a CSV data set with a saved model.
    Predict(cmd::predict::Args),
    /// Differentiate an expression: `micrograd grad "x*y + 1" x=2 y=3`.
    Grad(cmd::grad::Args),
    /// Data sets: generate moons, circles, blobs, spirals.
    #[command(subcommand)]
    Data(cmd::data::Command),
    /// microgpt: train a tiny GPT on names, sample from it.
    #[command(subcommand)]
    Gpt(cmd::gpt::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Train(args) => cmd::train::run(*args),
        Command::Predict(args) => cmd::predict::run(args),
        Command::Grad(args) => cmd::grad::run(args),
        Command::Data(c) => cmd::data::run(c),
        Command::Gpt(c) => cmd::gpt::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
