//! `micrograd`: the command-line tool.

use clap::{Parser, Subcommand};

/// micrograd in Rust: a tiny scalar autograd engine and neural-net library.
#[derive(Parser)]
#[command(name = "micrograd", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Differentiate a small expression: `micrograd grad "x*y + 1" x=2 y=3` (placeholder).
    Version,
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => println!("micrograd {}", env!("CARGO_PKG_VERSION")),
    }
}
