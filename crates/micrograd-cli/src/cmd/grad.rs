//! `micrograd grad EXPR NAME=VALUE...`: evaluate an expression, run backward, print the value and each
//! variable's gradient; optionally draw the graph (DOT, SVG, PNG).
//!
//! Pictures: `--dot F` writes Graphviz DOT (micrograd's `draw_dot`). `--svg F` draws an SVG: with
//! `--renderer auto` (the default) through Graphviz's `dot` program when it is on the PATH, otherwise
//! with the built-in pure-Rust layout (the `layout-rs` crate); `--renderer builtin` or `graphviz`
//! forces one. The built-in layout slows down steeply with the size of the graph and with edges that
//! span many ranks (a value used all along a chain): it untangles edge crossings only in small
//! graphs ([`BUILTIN_OPTIMIZE_UP_TO`]), refuses graphs of more than [`BUILTIN_MAX_SEGMENTS`] edge
//! segments, and gives up after [`LAYOUT_TIMEOUT`]. `--png F` needs Graphviz's `dot`. Every output file is written atomically.

use crate::excerpt::{excerpt, point_at_window, MAX_CHARS};
use crate::output::{write_bytes_atomic, wrote};
use crate::{errln, outln};
use anyhow::{anyhow, bail, Context, Result};
use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};
use micrograd::expr::{EvalError, Evaluation, Expr, Function};
use micrograd::viz::{format_number, to_dot, DotOptions};
use micrograd::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Arguments of `micrograd grad`.
#[derive(clap::Args)]
#[command(after_help = "\
Expressions: numbers, variables, + - * / ^ (or **), unary minus, parentheses, and the functions
relu tanh exp log sigmoid sqrt abs. ^ binds tighter than unary minus (-x^2 is -(x^2)) and is
right-associative (2^3^2 is 2^9).

Examples:
  micrograd grad \"tanh(x1*w1 + x2*w2 + b)\" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
  micrograd grad \"x^2 + 3*x\" x=-4 --json
  micrograd grad \"relu(a*b + c)\" a=2 b=-3 c=10 --svg graph.svg")]
pub struct Args {
    /// The expression (quote it for the shell), e.g. "tanh(x*w + b)".
    #[arg(allow_hyphen_values = true)]
    expr: String,
    /// The value of each variable, e.g. x=-4 w=0.5.
    #[arg(value_name = "NAME=VALUE")]
    values: Vec<String>,
    /// Print {"value": v, "grad": {"name": g, ...}} with full f64 precision (NaN and inf as null).
    #[arg(long)]
    json: bool,
    /// Write the graph as Graphviz DOT to FILE.
    #[arg(long, value_name = "FILE")]
    dot: Option<PathBuf>,
    /// Draw the graph as SVG to FILE (see --renderer).
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Draw the graph as PNG to FILE (needs Graphviz's `dot` program).
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Who lays out the SVG: Graphviz's `dot` if installed else the built-in layout (auto), or
    /// always one of them.
    #[arg(long, value_enum, default_value_t = Renderer::Auto)]
    renderer: Renderer,
    /// Digits after the decimal point in the printed numbers and the picture (--json is always
    /// full precision).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=17),
          allow_negative_numbers = true)]
    precision: u8,
    /// Leave the gradients out of the picture.
    #[arg(long)]
    hide_grad: bool,
    /// Refuse to draw graphs with more values than this.
    #[arg(
        long,
        default_value_t = 500,
        value_name = "N",
        allow_negative_numbers = true
    )]
    max_nodes: usize,
}

/// Who lays out an SVG picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Renderer {
    /// Graphviz's `dot` when it is on the PATH, else the built-in layout.
    Auto,
    /// The built-in pure-Rust layout (layout-rs).
    Builtin,
    /// Graphviz's `dot` program.
    Graphviz,
}

/// Runs the command.
pub fn run(args: Args) -> Result<()> {
    crate::output::check_outputs(
        &[],
        &[
            ("--dot", &args.dot),
            ("--svg", &args.svg),
            ("--png", &args.png),
        ],
    )?;
    let bindings = parse_bindings(&args.values)?;
    let expr = Expr::parse(&args.expr).map_err(|e| {
        anyhow!(
            "cannot parse the expression: {}\n{}",
            excerpt(&e.to_string(), MAX_CHARS),
            point_at_window(&args.expr, e.column)
        )
    })?;
    let out = evaluate(&args.expr, &expr, &bindings)?;
    out.value.backward();
    let value = out.value.data();

    // Gradients in command-line order; a variable the expression does not use has gradient 0.
    let mut grads: Vec<(String, f64)> = Vec::new();
    for (name, _) in &bindings {
        let g = out.grad(name);
        if g.is_none() {
            errln!("note: the expression does not use {name}; its gradient is 0");
        }
        grads.push((name.clone(), g.unwrap_or(0.0)));
    }
    if !value.is_finite() {
        errln!("warning: the value is {value}");
    }

    print_gradients(&args, value, &grads)?;
    if args.dot.is_some() || args.svg.is_some() || args.png.is_some() {
        draw(&args, out.value)?;
    }
    Ok(())
}

/// Evaluates `expr` (whose text is `source`) with `bindings`, an error pointing at the fault.
fn evaluate(source: &str, expr: &Expr, bindings: &[(String, f64)]) -> Result<Evaluation> {
    let refs: Vec<(&str, f64)> = bindings.iter().map(|(n, x)| (n.as_str(), *x)).collect();
    expr.eval(&refs).map_err(|e| {
        let mut msg = excerpt(&e.to_string(), MAX_CHARS);
        if let EvalError::UnknownVariable { name, .. } = &e {
            msg.push_str(&format!(
                "; give it a value as {}=VALUE",
                excerpt(name, MAX_CHARS)
            ));
        }
        if let Some(column) = e.column() {
            msg.push('\n');
            msg.push_str(&point_at_window(source, column));
        }
        anyhow!(msg)
    })
}

/// Prints the value and the gradients: a table, or JSON with `--json`.
fn print_gradients(args: &Args, value: f64, grads: &[(String, f64)]) -> Result<()> {
    if args.json {
        outln!("{}", json(value, grads)?)?;
    } else {
        let p = args.precision as usize;
        let width = grads
            .iter()
            .map(|(n, _)| n.len() + 2)
            .max()
            .unwrap_or(0)
            .max(5);
        outln!("{:<width$}  {}", "value", format_number(value, p))?;
        for (name, g) in grads {
            outln!("{:<width$}  {}", format!("d/d{name}"), format_number(*g, p))?;
        }
    }
    Ok(())
}

/// Writes the graph of `root` as `--dot`, `--svg` and `--png` asked.
fn draw(args: &Args, root: Value) -> Result<()> {
    let opts = DotOptions {
        precision: args.precision as usize,
        show_grad: !args.hide_grad,
        max_nodes: args.max_nodes,
    };
    let dot =
        to_dot(root, &opts).map_err(|e| anyhow!("cannot draw the graph: {e} (see --max-nodes)"))?;
    if let Some(path) = &args.dot {
        write_bytes_atomic(path, dot.as_bytes())?;
        wrote(path, "the graph as Graphviz DOT");
    }
    if let Some(path) = &args.svg {
        let use_graphviz = match args.renderer {
            Renderer::Builtin => false,
            Renderer::Graphviz => true,
            Renderer::Auto => graphviz_installed(),
        };
        let svg = if use_graphviz {
            graphviz(&dot, "svg")?
        } else {
            builtin_svg(root, &dot)?.into_bytes()
        };
        write_bytes_atomic(path, &svg)?;
        wrote(path, "the graph as SVG");
    }
    if let Some(path) = &args.png {
        if !graphviz_installed() {
            bail!(
                "--png needs Graphviz's `dot` program, which is not on the PATH \
                 (install graphviz, or use --svg, which works without it)"
            );
        }
        write_bytes_atomic(path, &graphviz(&dot, "png")?)?;
        wrote(path, "the graph as PNG");
    }
    Ok(())
}

/// Parses `NAME=VALUE` arguments: the name must be a variable name (not a function's), the value a
/// finite number, and no name may repeat.
fn parse_bindings(args: &[String]) -> Result<Vec<(String, f64)>> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for full in args {
        let arg = &excerpt(full, MAX_CHARS / 3);
        let Some((name, value)) = full.split_once('=') else {
            bail!("argument '{arg}' is not of the form NAME=VALUE (e.g. x=2.5)");
        };
        let name = name.trim();
        let shown_name = excerpt(name, MAX_CHARS / 3);
        let mut chars = name.chars();
        let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            bail!(
                "argument '{arg}': '{shown_name}' is not a variable name \
                 (a letter or _, then letters, digits, _)"
            );
        }
        if Function::from_name(name).is_some() {
            bail!("argument '{arg}': '{shown_name}' is a function, not a variable");
        }
        let x: f64 = value.trim().parse().map_err(|_| {
            anyhow!(
                "argument '{arg}': '{}' is not a number",
                excerpt(value, MAX_CHARS / 3)
            )
        })?;
        if !x.is_finite() {
            bail!("argument '{arg}': the value of {shown_name} must be a finite number");
        }
        if out.iter().any(|(n, _)| n == name) {
            bail!("variable {shown_name} is given twice");
        }
        out.push((name.to_string(), x));
    }
    Ok(out)
}

/// `{"value": v, "grad": {"name": g, ...}}`, names in command-line order, numbers in shortest
/// round-trip form (serde_json), non-finite numbers as `null`.
fn json(value: f64, grads: &[(String, f64)]) -> Result<String> {
    let mut s = format!(
        "{{\"value\": {}, \"grad\": {{",
        serde_json::to_string(&value)?
    );
    for (i, (name, g)) in grads.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&format!(
            "{}: {}",
            serde_json::to_string(name)?,
            serde_json::to_string(g)?
        ));
    }
    s.push_str("}}");
    Ok(s)
}

/// Whether Graphviz's `dot` program can be run.
fn graphviz_installed() -> bool {
    Command::new("dot")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `dot -T<format>` on the DOT text and returns its output; gives up (and kills `dot`) after
/// [`LAYOUT_TIMEOUT`], as the built-in layout does.
fn graphviz(dot: &str, format: &str) -> Result<Vec<u8>> {
    graphviz_with_timeout("dot", dot, format, LAYOUT_TIMEOUT)
}

/// [`graphviz`] with the program and the timeout given (the tests use a program that hangs).
fn graphviz_with_timeout(
    program: &str,
    dot: &str,
    format: &str,
    timeout: Duration,
) -> Result<Vec<u8>> {
    let mut child = Command::new(program)
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run Graphviz's `dot` program (is graphviz installed?)")?;
    // Write and read from other threads so a large output cannot deadlock against a full pipe, and
    // so the wait can time out.
    let mut stdin = child.stdin.take().context("no stdin for `dot`")?;
    let input = dot.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let read_all = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = read_all(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read_all(child.stderr.take().map(|p| Box::new(p) as _));
    let status = wait_with_timeout(&mut child, format, timeout)?;
    let written = writer
        .join()
        .map_err(|_| anyhow!("writing to `dot` failed"))?;
    let out = stdout
        .join()
        .map_err(|_| anyhow!("reading from `dot` failed"))?;
    let err = stderr
        .join()
        .map_err(|_| anyhow!("reading from `dot` failed"))?;
    if !status.success() {
        bail!(
            "Graphviz's `dot -T{format}` failed: {}",
            String::from_utf8_lossy(&err).trim()
        );
    }
    written.context("writing to `dot`")?;
    Ok(out)
}

/// Waits for `dot -T{format}`, killing it after `timeout`.
fn wait_with_timeout(
    child: &mut std::process::Child,
    format: &str,
    timeout: Duration,
) -> Result<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("running `dot`")? {
            return Ok(status);
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "Graphviz's `dot -T{format}` took more than {} s; gave up (write --dot and draw it \
                 yourself)",
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The most edge segments the built-in layout is asked to route (see [`layout_size`]); beyond
/// this it would take more than a few seconds even with its optimizations off (measured in release
/// mode, optimizations off: 10,000 segments 0.6 s, 40,000 segments 8.5 s).
const BUILTIN_MAX_SEGMENTS: usize = 20_000;

/// Up to this many nodes plus segments the built-in layout runs its crossing-reduction and rank
/// optimizations, which grow steeply with the graph (measured in release mode: the sum of 20
/// `tanh(a*b)` terms, 178 nodes + 157 segments, 0.15 s; 40 terms, 358 + 317, 2.0 s; 60 terms,
/// 538 + 477, 9.5 s, against 0.19 s with them off). Bigger graphs are laid out without them: same
/// ranks, more edge crossings.
const BUILTIN_OPTIMIZE_UP_TO: usize = 400;

/// How long a layout (the built-in one or Graphviz's `dot`) may run before the command gives up.
const LAYOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// The size of `root`'s picture for a layered layout: (nodes, edge segments). Nodes are the values and
/// the operation nodes. Segments count the rank-to-rank pieces of the edges once every node sits as
/// far right as it can (just before its nearest consumer), as a layered layout ranks them: an edge
/// spanning k ranks is k segments. A chain costs one segment per edge; a value used all along a
/// long chain costs the square of the chain's length, which is what makes layered layouts slow.
fn layout_size(root: Value) -> (usize, usize) {
    let values = micrograd::viz::reachable(root);
    let index: HashMap<usize, usize> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id(), i))
        .collect();
    let inputs: Vec<Vec<usize>> = values
        .iter()
        .map(|v| {
            let mut ins: Vec<usize> = v.inputs().iter().map(|u| index[&u.id()]).collect();
            ins.sort_unstable();
            ins.dedup();
            ins
        })
        .collect();
    // Value i sits at rank 2*r[i], its op node at 2*r[i] - 1. First as soon as possible (creation
    // order is topological), then as late as possible: every value moves right to just before its
    // nearest consumer, as a layered layout's rank optimizer does.
    let mut r = vec![0usize; values.len()];
    for i in 0..values.len() {
        if let Some(top) = inputs[i].iter().map(|&j| r[j]).max() {
            r[i] = top + 1;
        }
    }
    let mut consumer_min = vec![usize::MAX; values.len()];
    for i in (0..values.len()).rev() {
        if consumer_min[i] != usize::MAX {
            r[i] = consumer_min[i] - 1;
        }
        for &j in &inputs[i] {
            consumer_min[j] = consumer_min[j].min(r[i]);
        }
    }
    let mut segments = 0usize;
    let mut nodes = values.len();
    for i in 0..values.len() {
        if !inputs[i].is_empty() {
            nodes += 1;
            let op_rank = 2 * r[i] - 1;
            segments += 1 + inputs[i].iter().map(|&j| op_rank - 2 * r[j]).sum::<usize>();
        }
    }
    (nodes, segments)
}

/// Lays out and draws the DOT graph as SVG with layout-rs (no Graphviz needed), refusing graphs it
/// would take too long on.
fn builtin_svg(root: Value, dot: &str) -> Result<String> {
    let (nodes, segments) = layout_size(root);
    let optimize = nodes + segments <= BUILTIN_OPTIMIZE_UP_TO;
    if segments > BUILTIN_MAX_SEGMENTS {
        bail!(
            "this graph is too tangled for the built-in layout ({segments} edge segments, limit \
             {BUILTIN_MAX_SEGMENTS}: a value used along a long chain); write --dot and draw it with \
             Graphviz, or use --renderer graphviz"
        );
    }
    let ast = DotParser::new(dot)
        .process()
        .map_err(|e| anyhow!("the built-in renderer cannot read the graph: {e}"))?;
    // layout-rs asserts on a few internal invariants; a failure becomes an error instead of a panic
    // message (the DOT text comes from `viz::to_dot`, so this is not expected to happen). It runs on
    // its own thread so that a layout that takes too long can be abandoned.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut builder = GraphBuilder::new();
        builder.visit_graph(&ast);
        let mut graph = builder.get();
        let mut svg = SVGWriter::new();
        graph.do_it(false, !optimize, false, &mut svg);
        let _ = tx.send(svg.finalize());
    });
    let result = rx.recv_timeout(LAYOUT_TIMEOUT);
    std::panic::set_hook(hook);
    match result {
        Ok(svg) => Ok(svg),
        Err(mpsc::RecvTimeoutError::Timeout) => bail!(
            "the built-in layout took more than {} s; write --dot and draw it with Graphviz",
            LAYOUT_TIMEOUT.as_secs()
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            bail!("the built-in renderer failed on this graph; write --dot and use Graphviz")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_hanging_dot_is_killed_after_the_timeout() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("dot");
        std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let start = std::time::Instant::now();
        let err = graphviz_with_timeout(
            fake.to_str().unwrap(),
            "digraph {}",
            "svg",
            Duration::from_millis(500),
        )
        .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        assert!(err.to_string().contains("took more than 0 s"), "{err}");
    }

    #[test]
    fn a_long_expression_is_shown_as_a_window() {
        let src = format!("{}+*1", "x+".repeat(10_000));
        let shown = point_at_window(&src, 20_002);
        let lines: Vec<&str> = shown.lines().collect();
        assert!(lines[0].chars().count() <= 202, "{}", lines[0].len());
        let caret = lines[1].chars().count() - 1;
        assert_eq!(lines[0].chars().nth(caret), Some('*'));
    }
}
