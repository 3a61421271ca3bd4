//! `micrograd data gen moons|circles|blobs|spirals|xor`: writes a toy data set as CSV (`x0,x1,label`,
//! labels `0..k-1`, numbers in shortest round-trip form so reading the file back gives the same
//! doubles).

use crate::output::{write_atomic, wrote};
use anyhow::{Context, Result};
use micrograd::data::Shape;
use std::path::PathBuf;

/// Subcommands of `micrograd data`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Generate a 2-D toy data set and write it as CSV (`x0,x1,label`, labels 0..k-1).
    Gen(GenArgs),
}

/// Arguments of `micrograd data gen`.
#[derive(clap::Args)]
pub struct GenArgs {
    /// The shape: moons, circles, blobs, spirals or xor (the four quadrants, by the sign of x·y).
    shape: Shape,
    /// Number of points (split as evenly as possible between the classes).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    n: usize,
    /// Standard deviation of the Gaussian noise added to each coordinate.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    noise: f64,
    /// Number of classes (moons and xor: 2 only).
    #[arg(long, default_value_t = 2, allow_negative_numbers = true)]
    classes: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    seed: u64,
    /// The CSV file to write (`-`: standard output).
    #[arg(short = 'o', long = "out", value_name = "F.csv")]
    out: PathBuf,
}

/// Runs the command.
pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Gen(args) => gen(args),
    }
}

fn gen(args: GenArgs) -> Result<()> {
    crate::output::check_outputs(&[], &[("-o", &Some(args.out.clone()))])?;
    if args.n > 10_000_000 {
        anyhow::bail!("--n {}: at most 10,000,000 points", args.n);
    }
    let data = args
        .shape
        .generate(args.n, args.classes, args.noise, args.seed)
        .with_context(|| format!("data gen {}", args.shape))?;
    write_atomic(&args.out, |w| {
        writeln!(w, "x0,x1,label")?;
        for (x, label) in data.iter() {
            writeln!(w, "{:?},{:?},{label}", x[0], x[1])?;
        }
        Ok(())
    })?;
    wrote(
        &args.out,
        &format!(
            "{} {} points, {} classes: {:?} per class, noise {}, seed {}",
            data.len(),
            args.shape,
            data.n_classes(),
            data.class_counts(),
            args.noise,
            args.seed
        ),
    );
    Ok(())
}
