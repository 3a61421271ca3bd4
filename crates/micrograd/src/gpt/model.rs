//! The shape of a GPT ([`GptConfig`]) and its parameters ([`Gpt`]): their names and layout in
//! microgpt's `state_dict` order, microgpt's initialization, and the checks a state dict passes.

use super::{GptError, Vocab, INIT_STD};
use crate::engine::Value;
use rand::Rng;

/// The shape of a [`Gpt`]. microgpt's is [`GptConfig::MICROGPT`]: 1 layer, 16-dim embeddings, 4 heads,
/// 16 positions. The MLP is `4·n_embd` wide and each head `n_embd / n_head`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct GptConfig {
    /// Number of transformer blocks (≥ 0; 0 gives a bigram-like model).
    pub n_layer: usize,
    /// Embedding width (≥ 1, a multiple of `n_head`).
    pub n_embd: usize,
    /// Number of attention heads (≥ 1).
    pub n_head: usize,
    /// Maximum sequence length: the number of position embeddings (≥ 1). Longer documents are
    /// truncated to their first `block_size` predictions.
    pub block_size: usize,
}

impl GptConfig {
    /// microgpt's published configuration.
    pub const MICROGPT: GptConfig = GptConfig {
        n_layer: 1,
        n_embd: 16,
        n_head: 4,
        block_size: 16,
    };

    /// The width of one attention head, `n_embd / n_head`.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head.max(1)
    }

    /// Checks that the sizes are usable.
    ///
    /// ```
    /// use micrograd::gpt::GptConfig;
    /// assert!(GptConfig::MICROGPT.validate().is_ok());
    /// let bad = GptConfig { n_head: 3, ..GptConfig::MICROGPT };
    /// assert_eq!(bad.validate().unwrap_err().to_string(),
    ///            "n_head: n_embd (16) is not a multiple of n_head (3)");
    /// let long = GptConfig { block_size: 1 << 17, ..GptConfig::MICROGPT };
    /// assert_eq!(long.validate().unwrap_err().to_string(),
    ///            "block_size: 131072 is too large (at most 65536)");
    /// ```
    pub fn validate(&self) -> Result<(), GptError> {
        let err = |field, message: String| Err(GptError::Config { field, message });
        if self.n_embd == 0 {
            return err("n_embd", "must be at least 1".into());
        }
        if self.n_head == 0 {
            return err("n_head", "must be at least 1".into());
        }
        if self.block_size == 0 {
            return err("block_size", "must be at least 1".into());
        }
        if self.n_embd % self.n_head != 0 {
            return err(
                "n_head",
                format!(
                    "n_embd ({}) is not a multiple of n_head ({})",
                    self.n_embd, self.n_head
                ),
            );
        }
        // Keep every matrix well inside memory and the tape's u32 indices.
        for (field, value, max) in [
            ("n_embd", self.n_embd, 4096),
            ("n_layer", self.n_layer, 1024),
            ("block_size", self.block_size, 1 << 16),
        ] {
            if value > max {
                return err(field, format!("{value} is too large (at most {max})"));
            }
        }
        Ok(())
    }
}

/// A weight matrix stored as its output rows: `y[o] = Σᵢ W[o][i]·x[i]` (microgpt's layout).
#[derive(Debug)]
pub(super) struct Matrix {
    pub(super) cols: usize,
    pub(super) data: Vec<Value>,
}

impl Matrix {
    pub(super) fn row(&self, o: usize) -> &[Value] {
        &self.data[o * self.cols..(o + 1) * self.cols]
    }

    /// `linear(x, W)`: one [`Value::dot`] node per row (via [`Value::matvec`]), which is Python's
    /// `sum(wi * xi for ...)` bit for bit.
    pub(super) fn apply_into(&self, x: &[Value], out: &mut Vec<Value>) {
        debug_assert_eq!(x.len(), self.cols);
        Value::matvec(&self.data, x, out);
    }

    fn to_rows(&self) -> Vec<Vec<f64>> {
        self.data
            .chunks_exact(self.cols)
            .map(|r| r.iter().map(|v| v.data()).collect())
            .collect()
    }
}

/// The names and shapes `(name, rows, cols, what rows/cols are)` of a configuration's parameters, in
/// microgpt's `state_dict` order.
fn layout(
    config: &GptConfig,
    vocab_size: usize,
) -> Vec<(String, usize, usize, &'static str, &'static str)> {
    let (e, v) = (config.n_embd, vocab_size);
    let mut out = vec![
        ("wte".to_string(), v, e, "vocabulary size", "n_embd"),
        (
            "wpe".to_string(),
            config.block_size,
            e,
            "block_size",
            "n_embd",
        ),
        ("lm_head".to_string(), v, e, "vocabulary size", "n_embd"),
    ];
    for i in 0..config.n_layer {
        for name in ["attn_wq", "attn_wk", "attn_wv", "attn_wo"] {
            out.push((format!("layer{i}.{name}"), e, e, "n_embd", "n_embd"));
        }
        out.push((format!("layer{i}.mlp_fc1"), 4 * e, e, "4·n_embd", "n_embd"));
        out.push((format!("layer{i}.mlp_fc2"), e, 4 * e, "n_embd", "4·n_embd"));
    }
    out
}

/// A model's parameters by name, in microgpt's `state_dict` order: `wte`, `wpe`, `lm_head`, then per
/// layer `layer{i}.attn_wq`, `attn_wk`, `attn_wv`, `attn_wo`, `mlp_fc1`, `mlp_fc2`; each matrix a list
/// of output rows.
pub type StateDict = Vec<(String, Vec<Vec<f64>>)>;

#[derive(Debug)]
pub(super) struct Block {
    pub(super) wq: Matrix,
    pub(super) wk: Matrix,
    pub(super) wv: Matrix,
    pub(super) wo: Matrix,
    pub(super) fc1: Matrix,
    pub(super) fc2: Matrix,
}

/// microgpt's GPT: token and position embeddings, `n_layer` blocks of (RMSNorm, multi-head causal
/// self-attention, residual; RMSNorm, ReLU MLP, residual) and a linear head, no biases.
///
/// Every parameter is a [`Value`] on the current thread's [`Tape`](crate::Tape), created by [`Gpt::new`] or
/// [`Gpt::from_state_dict`]; the model is therefore tied to its thread, and must not be used after
/// a [`Tape::rewind`](crate::Tape::rewind) to a mark taken before it was created (or a [`Tape::clear`](crate::Tape::clear)). It is not `Clone`:
/// a copy would share the same parameters; build an independent one from [`Gpt::state_dict`].
#[derive(Debug)]
pub struct Gpt {
    pub(super) config: GptConfig,
    pub(super) vocab: Vocab,
    pub(super) wte: Matrix,
    pub(super) wpe: Matrix,
    pub(super) lm_head: Matrix,
    pub(super) blocks: Vec<Block>,
}

/// One standard normal sample (Box–Muller, as Python's `random.gauss`).
fn gauss(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random();
    let u2: f64 = rng.random();
    (-2.0 * (1.0 - u2).ln()).sqrt() * (std::f64::consts::TAU * u1).cos()
}

impl Gpt {
    /// A model with microgpt's initialization: every weight drawn from N(0, 0.08²) ([`INIT_STD`]).
    ///
    /// # Errors
    /// [`GptError::Config`] if `config` is invalid.
    pub fn new(config: GptConfig, vocab: Vocab, rng: &mut impl Rng) -> Result<Gpt, GptError> {
        config.validate()?;
        let sd: StateDict = layout(&config, vocab.size())
            .into_iter()
            .map(|(name, rows, cols, _, _)| {
                let m = (0..rows)
                    .map(|_| (0..cols).map(|_| INIT_STD * gauss(rng)).collect())
                    .collect();
                (name, m)
            })
            .collect();
        Gpt::from_state_dict(config, vocab, &sd)
    }

    /// A model from a state dict (microgpt's `state_dict`, such as its `microgpt_init.json`).
    ///
    /// # Errors
    /// [`GptError::StateDict`] naming the entry if one is missing, repeated, unexpected, of the wrong
    /// shape (naming the row) or holds a non-finite number; [`GptError::Config`] for a bad `config`.
    pub fn from_state_dict(
        config: GptConfig,
        vocab: Vocab,
        state_dict: &[(String, Vec<Vec<f64>>)],
    ) -> Result<Gpt, GptError> {
        config.validate()?;
        let layout = layout(&config, vocab.size());
        for (i, (name, _)) in state_dict.iter().enumerate() {
            if !layout.iter().any(|l| &l.0 == name) {
                return Err(GptError::StateDict {
                    field: name.clone(),
                    message: format!(
                        "not a parameter of this model (n_layer = {})",
                        config.n_layer
                    ),
                });
            }
            if state_dict[..i].iter().any(|(n, _)| n == name) {
                return Err(GptError::StateDict {
                    field: name.clone(),
                    message: "given twice".into(),
                });
            }
        }
        let mut mats = Vec::with_capacity(layout.len());
        for (name, rows, cols, rows_are, cols_are) in &layout {
            let sd_err = |message: String| GptError::StateDict {
                field: name.clone(),
                message,
            };
            let m = state_dict
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, m)| m)
                .ok_or_else(|| sd_err("missing".into()))?;
            if m.len() != *rows {
                return Err(sd_err(format!(
                    "has {} rows, expected {rows} ({rows_are})",
                    m.len()
                )));
            }
            let mut data = Vec::with_capacity(rows * cols);
            for (r, row) in m.iter().enumerate() {
                if row.len() != *cols {
                    return Err(sd_err(format!(
                        "row {r} has {} numbers, expected {cols} ({cols_are})",
                        row.len()
                    )));
                }
                if let Some(c) = row.iter().position(|x| !x.is_finite()) {
                    return Err(sd_err(format!("row {r}, column {c} is {}", row[c])));
                }
                data.extend(row.iter().map(|&x| Value::new(x)));
            }
            mats.push(Matrix { cols: *cols, data });
        }
        let mut mats = mats.into_iter();
        let mut next = || mats.next().expect("layout and matrices agree");
        let (wte, wpe, lm_head) = (next(), next(), next());
        let blocks = (0..config.n_layer)
            .map(|_| Block {
                wq: next(),
                wk: next(),
                wv: next(),
                wo: next(),
                fc1: next(),
                fc2: next(),
            })
            .collect();
        Ok(Gpt {
            config,
            vocab,
            wte,
            wpe,
            lm_head,
            blocks,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    /// The vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    fn matrices(&self) -> impl Iterator<Item = &Matrix> {
        [&self.wte, &self.wpe, &self.lm_head].into_iter().chain(
            self.blocks
                .iter()
                .flat_map(|b| [&b.wq, &b.wk, &b.wv, &b.wo, &b.fc1, &b.fc2]),
        )
    }

    /// Every parameter, in `state_dict` order (matrix by matrix, row by row): microgpt's `params`.
    pub fn parameters(&self) -> Vec<Value> {
        self.matrices()
            .flat_map(|m| m.data.iter().copied())
            .collect()
    }

    /// The number of parameters (4,192 for microgpt's configuration and 27 tokens).
    pub fn num_parameters(&self) -> usize {
        self.matrices().map(|m| m.data.len()).sum()
    }

    /// The current weights by name, in microgpt's `state_dict` order (see [`StateDict`]).
    pub fn state_dict(&self) -> StateDict {
        layout(&self.config, self.vocab.size())
            .into_iter()
            .zip(self.matrices())
            .map(|(l, m)| (l.0, m.to_rows()))
            .collect()
    }
}
