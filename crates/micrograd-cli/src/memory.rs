//! How much memory a training run needs, estimated before it starts, so that a model or batch too
//! large for the machine is refused at once with the estimate and a suggestion, instead of aborting
//! on a failed allocation half a minute later.
//!
//! The estimates follow the engine's storage: 28 bytes per tape node (value 8, inputs and op 12,
//! gradient 8), 4 bytes per input index of an n-ary node (an affine or dot node lists its weights and
//! its inputs), 8 bytes per constant. They are upper bounds on a step's tape, doubled because a
//! growing `Vec` may hold twice what it uses, plus what lives for the whole run per parameter (its
//! node, its handles in the model and the trainer, the optimizer's state).

use anyhow::{anyhow, Result};
use micrograd::gpt::GptConfig;
use micrograd::nn::{Activation, AnyLayer, Sequential};

/// Bytes of one tape node.
pub const NODE_BYTES: u128 = 28;
/// Bytes of one input index of an n-ary node.
pub const INDEX_BYTES: u128 = 4;
/// Bytes that live for the whole run per parameter: its node (28), two 16-byte handles (model and
/// trainer), and up to 24 bytes of optimizer state or best-epoch copy.
pub const PARAM_BYTES: u128 = 28 + 32 + 24;

/// Tape nodes and n-ary input indices of one example's forward and backward through an MLP of layer
/// widths `widths` (inputs first), with its `nin` input leaves and about `k + 8` loss nodes.
pub fn mlp_example_graph(widths: &[usize]) -> (u128, u128) {
    let nout = *widths.last().unwrap_or(&1) as u128;
    let mut nodes = widths[0] as u128 + nout + 8;
    let mut indices = nout + 8;
    for w in widths.windows(2) {
        let (nin, n) = (w[0] as u128, w[1] as u128);
        nodes += 2 * n; // the affine node and the activation of each neuron
        indices += n * (2 * nin + 1); // bias, weights and inputs of each affine node
    }
    (nodes, indices)
}

/// The number of parameters of an MLP of layer widths `widths`.
pub fn mlp_parameters(widths: &[usize]) -> u128 {
    widths
        .windows(2)
        .map(|w| (w[0] as u128 + 1) * w[1] as u128)
        .sum()
}

/// Peak tape nodes of training an MLP of layer widths `widths` on batches of `batch` examples: its
/// parameters, a step's graph, and the L2 penalty's graph (a node per parameter) if `l2`. What a
/// training command reserves with [`reserve_tape`] before it builds the model.
pub fn mlp_training_nodes(widths: &[usize], batch: usize, l2: bool) -> u128 {
    training_nodes(mlp_example_graph(widths), mlp_parameters(widths), batch, l2)
}

/// Peak bytes of training an MLP of layer widths `widths` on batches of `batch` examples, with the
/// L2 penalty's graph (a node and two indices per parameter) if `l2`.
pub fn mlp_training_bytes(widths: &[usize], batch: usize, l2: bool) -> u128 {
    training_bytes(mlp_example_graph(widths), mlp_parameters(widths), batch, l2)
}

/// Tape nodes and n-ary input indices of one example's forward and backward through `model`: its
/// input leaves, one affine node per convolution output and linear output (listing its weights and
/// inputs), a node per activation value, two per average-pooling output (max pooling picks an
/// existing node), and about `k + 8` loss nodes.
pub fn sequential_example_graph(model: &Sequential) -> (u128, u128) {
    let nout = model.output_shape().len() as u128;
    let mut nodes = model.input_shape().len() as u128 + nout + 8;
    let mut indices = nout + 8;
    for (layer, pair) in model.layers().iter().zip(model.shapes().windows(2)) {
        let (input, out) = (pair[0].len() as u128, pair[1].len() as u128);
        match layer {
            AnyLayer::Conv2d(c) => {
                let taps = (c.in_channels() * c.kernel_size() * c.kernel_size()) as u128;
                nodes += out;
                indices += out * (2 * taps + 1);
            }
            AnyLayer::Linear(_) => {
                nodes += out;
                indices += out * (2 * input + 1);
            }
            AnyLayer::AvgPool2d(p) => {
                let k = p.params().0 as u128;
                nodes += 2 * out;
                indices += out * (k * k + 2);
            }
            AnyLayer::Activation(Activation::Linear)
            | AnyLayer::MaxPool2d(_)
            | AnyLayer::Flatten(_) => {}
            AnyLayer::Activation(_) => nodes += out,
        }
    }
    (nodes, indices)
}

/// Peak tape nodes of training a model of `params` parameters whose example graph is `graph`
/// (nodes, indices) on batches of `batch` examples, with the L2 penalty's graph if `l2`.
pub fn training_nodes(graph: (u128, u128), params: u128, batch: usize, l2: bool) -> u128 {
    params + batch as u128 * graph.0 + if l2 { params } else { 0 }
}

/// Peak bytes of training a model of `params` parameters whose example graph is `graph` (nodes,
/// indices) on batches of `batch` examples, with the L2 penalty's graph (a node and two indices per
/// parameter) if `l2`.
pub fn training_bytes(
    (nodes, indices): (u128, u128),
    params: u128,
    batch: usize,
    l2: bool,
) -> u128 {
    let mut step = batch as u128 * (nodes * NODE_BYTES + indices * INDEX_BYTES)
        + (batch as u128 + 2) * INDEX_BYTES;
    if l2 {
        step += params * (NODE_BYTES + 2 * INDEX_BYTES);
    }
    2 * step + params * PARAM_BYTES
}

/// The number of parameters of a GPT.
pub fn gpt_parameters(c: &GptConfig, vocab: usize) -> u128 {
    let (e, v, l) = (c.n_embd as u128, vocab as u128, c.n_layer as u128);
    2 * v * e + c.block_size as u128 * e + l * 12 * e * e
}

/// Peak bytes of one GPT training step on a document of `block_size` positions: per position, the
/// matrix-vector products list two indices per weight (q, k, v, o, the MLP, the head), attention
/// over the earlier positions, and a few nodes per channel.
pub fn gpt_training_bytes(c: &GptConfig, vocab: usize) -> u128 {
    let (e, v, l, n) = (
        c.n_embd as u128,
        vocab as u128,
        c.n_layer as u128,
        c.block_size as u128,
    );
    let indices_per_pos = l * (24 * e * e + 6 * e * n) + 2 * v * e + 16 * e;
    let step = n * (indices_per_pos * INDEX_BYTES + gpt_nodes_per_position(c, vocab) * NODE_BYTES);
    2 * step + gpt_parameters(c, vocab) * PARAM_BYTES
}

/// Tape nodes of one position of a GPT training step (see [`gpt_training_bytes`]).
fn gpt_nodes_per_position(c: &GptConfig, vocab: usize) -> u128 {
    let (e, v, l, n) = (
        c.n_embd as u128,
        vocab as u128,
        c.n_layer as u128,
        c.block_size as u128,
    );
    l * (30 * e + 4 * e / c.n_head.max(1) as u128 * n + 3 * n) + 8 * e + 4 * v
}

/// Peak tape nodes of training a GPT: its parameters and a step's graph on a document of
/// `block_size` positions. What `gpt train` reserves with [`reserve_tape`] before it builds the model.
pub fn gpt_training_nodes(c: &GptConfig, vocab: usize) -> u128 {
    gpt_parameters(c, vocab) + c.block_size as u128 * gpt_nodes_per_position(c, vocab)
}

/// Reserves room on this thread's tape for `nodes` more nodes ([`micrograd::Tape::try_reserve`]), so
/// that a run the machine cannot hold fails here, before training, with an error naming `what` and
/// `suggestion`, instead of panicking when the tape cannot grow in the middle of a step.
pub fn reserve_tape(what: &str, nodes: u128, suggestion: &str) -> Result<()> {
    let nodes = usize::try_from(nodes).unwrap_or(usize::MAX);
    micrograd::Tape::try_reserve(nodes).map_err(|full| {
        anyhow!(
            "{what} needs a tape of {} nodes ({}), which cannot be had: {full}; {suggestion}",
            full.nodes(),
            human(full.bytes())
        )
    })
}

/// Reads a size like `512M`, `2G`, `1.5GiB` or `100000` (bytes); K, M, G, T are powers of 1024.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let digits = upper.trim_end_matches(['B', 'I']);
    let (num, mult) = match digits.chars().last() {
        Some('K') => (&digits[..digits.len() - 1], 1u64 << 10),
        Some('M') => (&digits[..digits.len() - 1], 1 << 20),
        Some('G') => (&digits[..digits.len() - 1], 1 << 30),
        Some('T') => (&digits[..digits.len() - 1], 1 << 40),
        _ => (digits, 1),
    };
    let x: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 512M, 2G or a number of bytes)"))?;
    let bytes = x * mult as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{s}` is not a size of at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// The memory available for new allocations: `MemAvailable` in /proc/meminfo (None where there is
/// none).
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A size for people: `1.5 GiB`.
pub fn human(bytes: u128) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut x = bytes as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < units.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{x:.1} {}", units[u])
    }
}

/// Refuses a run whose estimate exceeds `--max-memory` (if given) or the available memory, naming the
/// estimate, the limit and `suggestion`.
pub fn check(what: &str, estimate: u128, max_memory: Option<u64>, suggestion: &str) -> Result<()> {
    let (limit, source) = match max_memory {
        Some(m) => (m, "--max-memory"),
        None => match available() {
            Some(a) => (a, "the available memory (MemAvailable)"),
            None => return Ok(()),
        },
    };
    if estimate > limit as u128 {
        return Err(anyhow!(
            "{what} needs about {} of memory, more than {source}, {}; {suggestion}",
            human(estimate),
            human(limit as u128)
        ));
    }
    Ok(())
}

/// `--max-memory`'s parser for clap.
pub fn max_memory_arg(s: &str) -> Result<u64, String> {
    parse_bytes(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use micrograd::nn::{Module, MLP};
    use micrograd::{Tape, Value};

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("2G"), Ok(2 << 30));
        assert_eq!(parse_bytes("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert_eq!(parse_bytes("4k"), Ok(4096));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("-1G").is_err());
        assert!(parse_bytes("0").is_err());
        assert_eq!(human(3 << 29), "1.5 GiB");
        assert_eq!(human(100), "100 bytes");
    }

    #[test]
    fn the_mlp_estimate_bounds_the_real_graph() {
        let widths = [3, 20, 10, 4];
        let model = MLP::seeded(3, &[20, 10, 4], 1);
        let batch = 16;
        let before = Tape::len();
        let losses: Vec<Value> = (0..batch)
            .map(|i| {
                let x: Vec<Value> = (0..3).map(|j| Value::new((i * j) as f64 * 0.1)).collect();
                let out = model.forward(&x);
                micrograd::train::LossKind::CrossEntropy.example_loss(&out, i % 4)
            })
            .collect();
        let total = micrograd::loss::mean(&losses);
        total.backward();
        let nodes = (Tape::len() - before) as u128;
        let (per_example, _) = mlp_example_graph(&widths);
        let estimate = per_example * batch as u128;
        assert!(
            estimate >= nodes && estimate <= 2 * nodes,
            "estimate {estimate} nodes, real {nodes}"
        );
        assert_eq!(mlp_parameters(&widths), model.num_parameters() as u128);
    }

    #[test]
    fn the_gpt_estimate_counts_its_parameters() {
        let c = GptConfig::MICROGPT;
        let vocab = 27;
        let gpt = micrograd::gpt::Gpt::new(
            c,
            micrograd::gpt::Vocab::from_docs(["abcdefghijklmnopqrstuvwxyz"]),
            &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1),
        )
        .unwrap();
        assert_eq!(gpt_parameters(&c, vocab), gpt.num_parameters() as u128);
        let mut trainer = micrograd::gpt::Trainer::new(gpt, 0.01, 10);
        let tokens: Vec<usize> = (0..17).map(|i| i % 27).collect();
        let before = Tape::allocated_bytes();
        trainer.step(&tokens).unwrap();
        let used = Tape::allocated_bytes().saturating_sub(before) as u128;
        let estimate = gpt_training_bytes(&c, vocab);
        assert!(estimate >= used, "estimate {estimate}, tape grew by {used}");
        assert!(
            estimate < 100 * (used + (1 << 20)),
            "estimate {estimate}, used {used}"
        );
    }

    #[test]
    fn a_tape_that_cannot_be_had_is_an_error_naming_the_run() {
        let e = reserve_tape("this run", 1 << 40, "use --batch-size").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "this run needs a tape of {} nodes (28.0 TiB), which cannot be had: micrograd: the \
                 tape cannot grow to {} nodes ({} bytes): a tape holds at most 2147483647 nodes; \
                 use --batch-size",
                Tape::len() + (1 << 40),
                Tape::len() + (1 << 40),
                (Tape::len() + (1 << 40)) as u128 * 28
            )
        );
        let e = reserve_tape("that run", u128::MAX, "").unwrap_err();
        assert!(e.to_string().starts_with("that run needs a tape of"), "{e}");
        assert!(reserve_tape("a small run", 1000, "").is_ok());
        assert!(Tape::allocated_bytes() >= (Tape::len() + 1000) * 28);
    }

    #[test]
    fn the_reserved_nodes_bound_the_real_graph() {
        let widths = [2, 16, 16, 1];
        assert_eq!(
            mlp_training_nodes(&widths, 10, false),
            337 + 10 * mlp_example_graph(&widths).0
        );
        assert_eq!(
            mlp_training_nodes(&widths, 10, true),
            2 * 337 + 10 * mlp_example_graph(&widths).0
        );
        let c = GptConfig::MICROGPT;
        assert_eq!(
            gpt_training_nodes(&c, 27),
            gpt_parameters(&c, 27) + 16 * gpt_nodes_per_position(&c, 27)
        );
    }

    #[test]
    fn oversized_runs_are_refused_with_the_estimate() {
        let e = check("this run", 3 << 30, Some(1 << 30), "use --batch-size").unwrap_err();
        assert_eq!(
            e.to_string(),
            "this run needs about 3.0 GiB of memory, more than --max-memory, 1.0 GiB; use --batch-size"
        );
        assert!(check("this run", 1 << 20, Some(1 << 30), "").is_ok());
    }
}
